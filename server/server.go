// Package server is ketnoi's HTTP face: the JSON API and the server-rendered web UI, on Echo. It sees the
// search backend only through indexer.Index, and it is the only package that imports Echo.
package server

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/market"
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
	OAI   oai.Config
	Users *corpus.Users // names and passwords for the sign-in page (session.go); nil: keys only
	// TrustedProxies are the proxies whose forwarding headers are believed (see limits.go); empty: none.
	TrustedProxies []netip.Prefix
	Rates          RateLimits
	Metrics        MetricsAccess
	// TLSCertFile and TLSKeyFile, both set, make Run serve HTTPS itself.
	TLSCertFile, TLSKeyFile string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{RequestTimeout: 10 * time.Second, BodyLimit: "1M", ShutdownTimeout: 15 * time.Second,
		IntakeLimit: defaultIntakeLimit, IntakeWindow: defaultIntakeWindow, FeedEntries: 50, Rates: DefaultRateLimits()}
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
	lim        *limits       // client-IP rule and rate limits (limits.go)
	metrics    *serverMetrics
	compact    *compaction // online index merge (compact.go)
	// The statistics over the whole store, kept while the store does not change (figures.go).
	statsFigures  figures[*indexer.Stats]
	marketFigures figures[*market.Report]
	// The needs public searches leave out (needs_open.go).
	closedNeeds closedNeedSet
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
		intakeRate: newRateLimiter(cfg.IntakeLimit, cfg.IntakeWindow), batch: make(chan struct{}, 1), lim: newLimits(cfg),
		compact: newCompaction()}
	if store != nil {
		s.oai = oai.NewProvider(store, cfg.OAI)
	}
	s.metrics = newServerMetrics(s)
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.HTTPErrorHandler = s.errorHandler
	// One client-IP rule for everything that asks (rate limits, sign-in limiter, audit log, logs), and
	// forwarded TLS believed only from trusted proxies (Secure cookies).
	s.e.IPExtractor = func(r *http.Request) string { return s.lim.ips.Client(r).String() }
	s.e.SchemeExtractor = func(r *http.Request) string {
		if s.lim.ips.TLS(r) {
			return "https"
		}
		return "http"
	}
	s.e.Pre(dropForeignRequestID)
	s.e.Use(middleware.RequestID())
	if store != nil {
		if a, err := openAudit(store.Dir()); err == nil {
			s.audit = a
		} else {
			log.Error("audit log", "error", err.Error())
		}
	}
	s.e.Use(s.metrics.observe(s.routeSet()))
	s.e.Use(s.requestLogger())
	s.e.Use(s.auditWrites)
	s.e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.reqLog(c).Error("panic", slog.String("error", err.Error()), slog.String("stack", string(stack)))
			return err
		}}))
	s.e.Use(s.limitReads)
	s.e.Use(s.bodyLimit(cfg.BodyLimit)) // defers a too-long Content-Length until after requireRole (auth.go)
	// The backup is a tar.gz already, and large: not compressed a second time.
	// Fastest level: a search answer with its facets is some 18 KB of JSON, which level 1 shrinks 4.4 times
	// (the default level 5.3 times) for a fraction of the CPU; the default took 4% of a loaded server's. An
	// answer that fits in one packet is sent as it is.
	s.e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: gzip.BestSpeed, MinLength: 1400,
		Skipper: func(c echo.Context) bool { return c.Path() == backupRoute }}))
	// Batch matching runs for minutes on a large corpus: it has its own, longer, deadline (batch.go).
	if cfg.RequestTimeout > 0 {
		s.e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: cfg.RequestTimeout,
			Skipper: func(c echo.Context) bool { return c.Path() == "/api/v1"+batchRoute }}))
	}
	s.routes()
	return s
}

// routeSet is filled with "METHOD /pattern" once the routes exist; the metrics read it to tell a route
// from a path that matched none.
func (s *Server) routeSet() map[string]bool {
	set := map[string]bool{}
	s.e.OnAddRouteHandler = func(_ string, r echo.Route, _ echo.HandlerFunc, _ []echo.MiddlewareFunc) {
		set[r.Method+" "+r.Path] = true
	}
	return set
}

// dropForeignRequestID keeps a client's X-Request-Id only when it looks like an id (it is echoed into
// logs and answers); anything else is replaced by one of ours.
func dropForeignRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !validRequestID(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func validRequestID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Handler is the server's http.Handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// serveHTTP answers a HEAD request as the GET of the same address (HTTP requires it of every resource
// that answers GET; uptime monitors and link checkers send it). Echo routes the request it is given, so it
// gets a GET; net/http still holds the HEAD it read, so it sends the headers and drops the body.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	s.e.ServeHTTP(w, r)
}

// Run serves on addr until ctx is cancelled, then stops accepting, drains in-flight requests and returns;
// the caller closes the index and the store after Run returns. ready, if not nil, receives the URL once
// the server listens.
func (s *Server) Run(ctx context.Context, addr string, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("không mở được cổng %s: %w", addr, err)
	}
	// However Run ends, a running merge is cancelled and waited for: the index closes after Run returns.
	defer s.compact.stop()
	// Requests are counted, and their contexts derive from base, so that shutdown can stop the ones that
	// outlast its grace period and wait for them (see stopLate).
	base, stopRequests := context.WithCancel(context.Background())
	defer stopRequests()
	draining, drained := context.WithCancel(context.Background()) // when shutdown begins (drainingOf)
	defer drained()
	var inFlight atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		s.serveHTTP(w, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.WithValue(base, serverLife{}, base), serverDraining{}, draining)
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(drained)
	scheme := "http"
	serve := func() error { return srv.Serve(ln) }
	if s.cfg.TLSCertFile != "" || s.cfg.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("đọc chứng chỉ TLS (--tls-cert, --tls-key): %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
		serve = func() error { return srv.ServeTLS(ln, "", "") }
	}
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	if ready != nil {
		ready(scheme + "://" + ln.Addr().String() + "/")
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutdown: answering the requests in flight, then closing", slog.Int64("requests", inFlight.Load()),
		slog.Duration("grace", s.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		if err := s.stopLate(srv, stopRequests, &inFlight); err != nil {
			return err
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stopLate ends the requests still running when the shutdown grace period is over (an upload, a backup, a
// batch match): their contexts are cancelled and their connections closed, and Run waits for them to
// return, since the caller closes the index and the store as soon as Run does.
func (s *Server) stopLate(srv *http.Server, stopRequests context.CancelFunc, inFlight *atomic.Int64) error {
	s.log.Warn("shutdown: stopping the requests still running after the grace period", slog.Int64("requests", inFlight.Load()),
		slog.Duration("grace", s.cfg.ShutdownTimeout))
	stopRequests()
	_ = srv.Close()
	wait := max(s.cfg.ShutdownTimeout, 5*time.Second)
	deadline := time.Now().Add(wait)
	for inFlight.Load() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("dừng máy chủ: %d yêu cầu vẫn chạy %s sau khi được lệnh dừng", inFlight.Load(), wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 5 && p[:5] == "/api/" || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

func pathEscape(s string) string { return url.PathEscape(s) }

// publicConfidentiality is what an anonymous caller may see of needs.
var publicConfidentiality = []string{corpus.ConfPublic, corpus.ConfAnonymised}
