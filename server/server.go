// Package server is ketnoi's HTTP face: the JSON API and the server-rendered web UI, on Echo. It sees the
// search backend only through indexer.Index, and it is the only package that imports Echo.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/matcher"
	"ketnoi/oai"
)

// Config configures a Server.
type Config struct {
	// RequestTimeout cancels a request's work (its context) after this long.
	RequestTimeout time.Duration
	// BodyLimit bounds JSON request bodies, e.g. "1M".
	BodyLimit string
	// ShutdownTimeout is how long in-flight requests may take to finish on shutdown.
	ShutdownTimeout time.Duration
	Keys            *corpus.Keyring // API keys for writes (auth.go); nil: every route that needs a key answers 401
	// IntakeLimit needs may be submitted on the public form per client address per IntakeWindow.
	IntakeLimit  int
	IntakeWindow time.Duration
	// PublicURL is the site's address as its users reach it ("https://ketnoi.example/", ending in "/"), for
	// the links in feeds and API answers and the OAI-PMH base URL and records; empty: the address each
	// request came to.
	PublicURL string
	// FeedEntries is how many of the newest alerts a feed shows.
	FeedEntries int
	// OAI configures the OAI-PMH data provider (oai.go).
	OAI oai.Config
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{RequestTimeout: 10 * time.Second, BodyLimit: "1M", ShutdownTimeout: 15 * time.Second,
		IntakeLimit: defaultIntakeLimit, IntakeWindow: defaultIntakeWindow, FeedEntries: 50}
}

// Server serves the API and the web UI over one index and its store.
type Server struct {
	cfg     Config
	e       *echo.Echo
	idx     indexer.Index
	store   *corpus.Store
	matcher *matcher.Matcher
	log     *slog.Logger
	up      *uploads      // nil: no upload queue (see WithUploads)
	staff   *staffState   // web sign-in sessions (session.go), made by staffRoutes
	audit   *auditLog     // nil: no audit log (no data directory)
	batch   chan struct{} // one batch matching at a time (batch.go)
	writeMu sync.Mutex    // see WriteLock
	// intakeRate counts the public form's submissions per client (intake.go).
	intakeRate *rateLimiter
	oai        *oai.Provider // nil without a store
}

// New builds a server; routes are set up in routes.go.
func New(cfg Config, idx indexer.Index, store *corpus.Store, m *matcher.Matcher, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if cfg.IntakeLimit <= 0 || cfg.IntakeWindow <= 0 {
		cfg.IntakeLimit, cfg.IntakeWindow = defaultIntakeLimit, defaultIntakeWindow
	}
	s := &Server{cfg: cfg, e: echo.New(), idx: idx, store: store, matcher: m, log: log,
		intakeRate: newRateLimiter(cfg.IntakeLimit, cfg.IntakeWindow), batch: make(chan struct{}, 1)}
	if store != nil {
		s.oai = oai.NewProvider(store, cfg.OAI)
	}
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.HTTPErrorHandler = s.errorHandler
	s.e.IPExtractor = echo.ExtractIPDirect() // no proxy is trusted unless configured
	s.e.Use(middleware.RequestID())
	if store != nil {
		if a, err := openAudit(store.Dir()); err == nil {
			s.audit = a
		} else {
			log.Error("audit log", "error", err.Error())
		}
	}
	s.e.Use(s.auditWrites)
	s.e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("error", err.Error()), slog.String("stack", string(stack)))
			return err
		}}))
	s.e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			s.log.Info("request", slog.String("method", v.Method), slog.String("path", redactPath(v.URIPath)),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		}}))
	s.e.Use(s.bodyLimit(cfg.BodyLimit)) // defers a too-long Content-Length until after requireRole (auth.go)
	// The backup is a tar.gz already, and large: not compressed a second time.
	s.e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Skipper: func(c echo.Context) bool {
		return c.Path() == "/api/v1/admin/backup"
	}}))
	// Batch matching runs for minutes on a large corpus: it has its own, longer, deadline (batch.go).
	s.e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: cfg.RequestTimeout,
		Skipper: func(c echo.Context) bool { return c.Path() == "/api/v1"+batchRoute }}))
	s.routes()
	return s
}

// Handler is the server's http.Handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.e }

// Run serves on addr until ctx is cancelled, then stops accepting, drains in-flight requests and returns;
// the caller closes the index and the store after Run returns. ready, if not nil, receives the URL once
// the server listens.
func (s *Server) Run(ctx context.Context, addr string, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("không mở được cổng %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/")
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("dừng máy chủ: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 5 && p[:5] == "/api/" || p == "/healthz"
}

func pathEscape(s string) string { return url.PathEscape(s) }

// publicConfidentiality is what an anonymous caller may see of needs.
var publicConfidentiality = []string{corpus.ConfPublic, corpus.ConfAnonymised}
