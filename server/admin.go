package server

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Admin endpoints: routes.go puts them behind requireRole(corpus.RoleAdmin).

// backupStall is how long a backup download may make no progress before the server gives up on it. The
// server's WriteTimeout bounds a whole response, far too short for a large archive, so the download's
// deadline slides forward as long as bytes keep flowing.
const backupStall = 2 * time.Minute

// apiBackup streams a backup archive of the store (see corpus.Store.Backup): a consistent snapshot taken
// while the server keeps serving and writing. The archive is written straight to the connection, never
// held in memory or on disk whole. Once the first byte is out an error can no longer change the status:
// the archive then simply ends without its manifest, which every reader (ketnoi backup, corpus.Restore)
// refuses.
func (s *Server) apiBackup(c echo.Context) error {
	if s.store == nil {
		return apiErr(http.StatusServiceUnavailable, "no_store", "Máy chủ này không có kho dữ liệu để sao lưu.")
	}
	name := "ketnoi-sao-luu-" + time.Now().UTC().Format("20060102-150405") + ".tar.gz"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/gzip")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	w := &slidingWriter{w: c.Response(), rc: http.NewResponseController(c.Response())}
	start := time.Now()
	m, err := s.store.Backup(w)
	if err != nil {
		// The client sees a truncated archive; the operator sees why.
		s.reqLog(c).Error("backup failed", slog.String("error", err.Error()),
			slog.Int64("bytes", w.n))
		return nil
	}
	by := ""
	if k, ok := principal(c); ok {
		by = k.ID
	}
	s.reqLog(c).Info("backup", slog.String("key", by), slog.Uint64("seq", m.Seq),
		slog.Int("records", m.Total()), slog.Int("originals", m.Originals), slog.Int64("bytes", w.n),
		slog.Duration("took", time.Since(start)))
	return nil
}

// sendSliding answers 200 with r as the body, the write deadline sliding forward while bytes flow: a large
// download (an original file, an export) on a slow line outlasts the server's WriteTimeout.
func sendSliding(c echo.Context, ctype string, r io.Reader) error {
	c.Response().Header().Set(echo.HeaderContentType, ctype)
	c.Response().WriteHeader(http.StatusOK)
	_, err := io.Copy(&slidingWriter{w: c.Response(), rc: http.NewResponseController(c.Response())}, r)
	return err
}

// slidingWriter pushes the connection's write deadline forward as the response makes progress.
type slidingWriter struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	n        int64
	extended time.Time
}

func (s *slidingWriter) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(s.extended) > time.Second {
		// Not every writer supports deadlines (httptest's recorder does not): then there is none to move.
		_ = s.rc.SetWriteDeadline(now.Add(backupStall))
		s.extended = now
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}
