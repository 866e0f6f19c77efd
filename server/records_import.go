package server

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// recordsRoute imports one record file (JSON, JSONL, CSV, XLSX) while the server holds the data directory:
// ketnoi index --server sends its record files there. Its body is as large as an upload's (see bodyLimit).
const recordsRoute = "/api/v1/records"

// maxImportProblems bounds the problems an import's answer lists; its counts are always the whole file's.
const maxImportProblems = 1000

// maxProblemText bounds the id and the message of each problem an import's answer lists, in characters: an
// id read from the wrong column may be a whole paragraph.
const maxProblemText = 300

// errImportStopped stops a record import at a batch when the server begins to stop.
var errImportStopped = errors.New("record import stopped: the server is shutting down")

// errRecordFileTooLarge stops keeping a record file that passes the upload limit.
var errRecordFileTooLarge = errors.New("record file over the upload limit")

// apiImportRecords imports a multipart upload of one record file (part "file", its format by its file
// name's extension; optional fields restore and source_file) as `ketnoi index` imports a file on disk: the
// file is kept in the store's originals (streamed, never whole in memory), then read row by row, a row that
// fails is a problem of the answer and the rest still goes in, and records staff deleted stay deleted unless
// restore. The answer comes once the store has the records; the index follows the writes as they go and is
// synced before the answer (see importRecordFile).
func (s *Server) apiImportRecords(c echo.Context) error {
	// The file's own limit is counted as it is kept; the request is bounded a little above it (the
	// fields and headers).
	mr, err := s.openUpload(c, 64<<10)
	if err != nil {
		return err
	}
	var name, sha, label string
	var format corpus.Format
	restore, fields := false, 0
	for part, err := range uploadParts(mr) {
		if err != nil {
			return err
		}
		switch part.FormName() {
		case "file":
			if sha != "" {
				return apiErr(http.StatusBadRequest, "too_many_files", "Mỗi yêu cầu một tệp; gửi nhiều tệp bằng nhiều yêu cầu.")
			}
			name = part.FileName()
			if format = corpus.FormatOf(name); format == "" {
				return apiErr(http.StatusUnsupportedMediaType, "unsupported_format",
					"Tệp "+strconv.Quote(name)+" không phải tệp bản ghi: cần tệp "+strings.Join(corpus.RecordExts(), ", ")+" (báo cáo gửi tới /api/v1/documents).")
			}
			if sha, err = s.keepRecordFile(part); err != nil {
				return err
			}
		case restoreField:
			if restore, err = readRestoreField(part, fields); err != nil {
				return err
			}
		case sourceFileField:
			if label, err = readSourceFileField(part, fields); err != nil {
				return err
			}
		default:
			return apiErr(http.StatusBadRequest, "unknown_field",
				"Trường "+strconv.Quote(part.FormName())+" không dùng cho tệp bản ghi: chỉ có file, restore và source_file.")
		}
		fields++
	}
	if sha == "" {
		return apiErr(http.StatusBadRequest, "missing_file", "Thiếu phần \"file\" chứa tệp bản ghi cần nhập.")
	}
	if label == "" {
		label = nameLabel(name)
	}
	out, err := s.importRecordFile(c, name, format, sha, label, restore)
	if err != nil {
		return err
	}
	noteRecordImports(c, []importedFile{{label, out}})
	return c.JSON(http.StatusOK, out)
}

// importedFile is a record file a request imported: its label and what the import did.
type importedFile struct {
	label string
	out   *recordsImportResponse
}

// noteRecordImports names the record files a request imported for its audit entry ("records.import"):
// their labels, and the counts of each.
func noteRecordImports(c echo.Context, files []importedFile) {
	labels, reasons := make([]string, len(files)), make([]string, len(files))
	for i, f := range files {
		labels[i] = f.label
		reasons[i] = fmt.Sprintf("%d mới, %d cập nhật, %d không đổi, %d đã bị xoá không đưa lại, %d bị loại",
			f.out.Added, f.out.Updated, f.out.Unchanged, f.out.KeptDeleted, f.out.Rejected)
		if len(files) > 1 {
			reasons[i] = f.label + ": " + reasons[i]
		}
	}
	noteAudit(c, "records.import", strings.Join(labels, ", "), strings.Join(reasons, "; "))
}

// nameLabel is the label of a record file sent without source_file: its name, made a valid label (UTF-8,
// no control characters, at most MaxSourceFile bytes) where it is not, since the client sends a name it
// could not send as a label (not UTF-8, say) without one, and the import must not fail for it.
func nameLabel(name string) string {
	if indexer.CheckSourceFile(name) == nil {
		return name
	}
	l := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	for len(l) > indexer.MaxSourceFile {
		_, n := utf8.DecodeLastRuneInString(l)
		l = l[:len(l)-n]
	}
	return l
}

// keepRecordFile streams the file part of an import into the store's originals, within the upload limit,
// and returns its SHA-256.
func (s *Server) keepRecordFile(part io.Reader) (string, error) {
	body := &bodyReader{r: part}
	sha, err := s.store.PutOriginal(&capReader{r: body, left: s.up.limit})
	switch {
	case errors.Is(err, errRecordFileTooLarge):
		return "", apiErr(http.StatusRequestEntityTooLarge, "file_too_large", fmt.Sprintf("Tệp vượt giới hạn %d MB.", s.up.limit>>20))
	case err != nil && body.err != nil:
		return "", uploadReadError(body.err)
	case err != nil:
		// Not the request's fault (a full disk): the server's error, logged.
		return "", err
	}
	return sha, nil
}

// capReader reads at most left bytes of r, and fails with errRecordFileTooLarge when r has more.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errRecordFileTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1] // one byte over tells a file of exactly the limit from a longer one
	}
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return 0, errRecordFileTooLarge
	}
	return n, err
}

// importRecordFile imports the kept original sha, the record file name, as the source "upload:KEY/LABEL"
// (indexer.UploadKey: the uploader's key or user id and the file's label), so that the records of
// different uploaders and files stay apart. Each batch of the file is written holding the write lock, and
// the index follows the batches holding it too: other writes (edits, deletes, upload jobs) wait for one
// batch, not for the whole file. When the server starts stopping, the import stops at the next batch and
// says how far it went (sending the file again goes on: what is in is then "unchanged"). The index is
// synced before the answer, on the server's own context; a failure of that sync is logged, not answered,
// since the records are in the store and the next write or start brings the index up.
func (s *Server) importRecordFile(c echo.Context, name string, format corpus.Format, sha, label string, restore bool) (*recordsImportResponse, error) {
	f, err := s.store.OpenOriginal(sha)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := &recordsImportResponse{File: name, Problems: []importProblemJSON{}}
	var errs, warns int
	add := func(p importProblemJSON) {
		// Errors and warnings are capped apart, so that warnings never hide a row left out; each text is
		// cut, so that the answer stays small whatever the file holds.
		n := &warns
		if p.Severity != string(corpus.Warning) {
			n = &errs
		}
		if *n == maxImportProblems {
			out.ProblemsTruncated = true
			return
		}
		*n++
		p.ID, p.Message = clipRunes(p.ID, maxProblemText), clipRunes(p.Message, maxProblemText)
		out.Problems = append(out.Problems, p)
	}
	life, draining := lifeOf(c.Request().Context()), drainingOf(c.Request().Context())
	// The follower lasts as long as the import, however large the file: syncTimeout bounds one sync after
	// a write, not an import. Shutdown stops it; the next start catches up.
	follow := indexer.Follow(life, s.store, s.idx, &s.writeMu)
	counts, err := s.store.ImportRecords(f, name, format, indexer.UploadKey(principalID(c), label), sha, restore, corpus.ImportHooks{
		// Within the file, as a local run does; across the files of a client's run only the client could tell.
		Check: corpus.WarnRepeated(map[string]string{}, name),
		Problem: func(p corpus.Problem) {
			add(importProblemJSON{Line: p.Line, ID: p.ID, Field: p.Field, Severity: string(p.Severity), Code: p.Code, Message: p.Message})
		},
		KeptDeleted: func(line int, id string) {
			add(importProblemJSON{Line: line, ID: id, Severity: string(corpus.Warning), Code: corpus.ProblemKeptDeleted, Message: corpus.KeptDeletedMessage(id)})
		},
		Written: follow.Kick,
		Around: func(write func() error) error {
			if draining.Err() != nil {
				return errImportStopped
			}
			s.writeMu.Lock()
			defer s.writeMu.Unlock()
			return write()
		},
	})
	// Whatever batches went in, the index follows them, even when the import stopped half way.
	if ferr := follow.Close(); ferr != nil {
		s.reqLog(c).Warn("index follow during a record import", "error", ferr.Error())
	}
	s.writeMu.Lock()
	serr := s.syncIndex(c.Request().Context())
	s.writeMu.Unlock()
	if serr != nil {
		s.reqLog(c).Error("index sync after a record import", "error", serr.Error())
	}
	if errors.Is(err, errImportStopped) {
		return nil, apiErr(http.StatusServiceUnavailable, "shutting_down", fmt.Sprintf("Máy chủ đang dừng: đã nhập %d bản ghi đầu của tệp %s rồi dừng. "+
			"Gửi lại tệp khi máy chủ chạy lại để nhập phần còn lại (phần đã nhập sẽ là \"không đổi\").",
			counts.Added+counts.Updated+counts.Unchanged+counts.KeptDeleted, strconv.Quote(name)))
	}
	var unreadable *corpus.UnreadableError
	if errors.As(err, &unreadable) {
		return nil, apiErr(http.StatusBadRequest, corpus.ProblemUnreadableFile, "Tệp "+strconv.Quote(name)+" không đọc được: "+unreadable.Detail()+".")
	}
	if err != nil {
		return nil, err
	}
	// The rows left deleted are known when their batch is written, after the problems of its later rows.
	slices.SortStableFunc(out.Problems, func(a, b importProblemJSON) int { return cmp.Compare(a.Line, b.Line) })
	out.Read, out.Rejected, out.Warnings = counts.Read, counts.Rejected, counts.Warnings
	out.Added, out.Updated, out.Unchanged, out.KeptDeleted = counts.Added, counts.Updated, counts.Unchanged, counts.KeptDeleted
	return out, nil
}
