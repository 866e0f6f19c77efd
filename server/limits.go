package server

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/internal/clientip"
	"ketnoi/internal/ratelimit"
)

// Per-client rate limits. Who the client is follows one explicit rule (internal/clientip): the direct peer,
// unless it is a configured trusted proxy, and only then the forwarding headers. Two budgets per client:
//
//   - reads: every GET/HEAD of the API and the web pages, and the POSTs that only read (matching, OAI-PMH),
//     checked before the handler runs; /healthz, /readyz, /metrics and /static are not counted;
//   - writes: every other POST, PATCH or DELETE, checked right after the key (or session) was accepted,
//     so that a write without a valid key is still answered 401 before anything else. Public writes (the
//     sign-in form) have their own limits.
//
// Loopback clients are exempt unless configured otherwise, so that the command-line tools, backups and
// benchmarks on the server's own machine are never throttled. A proxy on the same machine must then be
// listed as trusted, or every client would look like 127.0.0.1 (the server warns once when it sees that).

// Rate is one budget: Burst requests at once, then PerSecond. PerSecond ≤ 0: no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// RateLimits configures the per-client limits.
type RateLimits struct {
	Read, Write Rate
	// LimitLoopback also limits clients on the loopback interface (exempt by default).
	LimitLoopback bool
	// MaxClients bounds the memory of each budget (see internal/ratelimit).
	MaxClients int
}

// DefaultRateLimits are generous for a person (a page view is one read) and for an office behind one
// address, and stop a scraper or a runaway script.
func DefaultRateLimits() RateLimits {
	return RateLimits{Read: Rate{PerSecond: 10, Burst: 60}, Write: Rate{PerSecond: 2, Burst: 30}, MaxClients: 50000}
}

// limits is the server's rate limiting state.
type limits struct {
	ips           *clientip.Resolver
	read, write   *ratelimit.Limiter
	limitLoopback bool
	warnProxy     sync.Once
}

func newLimits(cfg Config) *limits {
	r := cfg.Rates
	return &limits{ips: clientip.New(cfg.TrustedProxies), limitLoopback: r.LimitLoopback,
		read:  ratelimit.New(r.Read.PerSecond, r.Read.Burst, r.MaxClients),
		write: ratelimit.New(r.Write.PerSecond, r.Write.Burst, r.MaxClients)}
}

// clientAddr is the request's client by the rule (Echo's RealIP gives the same, as a string).
func (s *Server) clientAddr(c echo.Context) netip.Addr {
	return s.lim.ips.Client(c.Request())
}

// readPosts are the POSTs that only read.
var readPosts = map[string]bool{"/api/v1/match": true, "/api/v1/match/reverse": true, oaiPath: true}

// unlimitedPrefixes are never counted: probes, metrics and static files.
var unlimitedPrefixes = []string{"/healthz", "/readyz", "/metrics", "/static/"}

// limitReads is middleware: the read budget, before the handler.
func (s *Server) limitReads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		if safeMethod(m) || m == http.MethodPost && readPosts[c.Path()] {
			p := c.Request().URL.Path
			for _, u := range unlimitedPrefixes {
				if strings.HasPrefix(p, u) {
					return next(c)
				}
			}
			if err := s.spend(c, s.lim.read, "read"); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// limitWrite spends one token of the client's write budget; requireRole and rolePage call it once the
// caller is known to be allowed.
func (s *Server) limitWrite(c echo.Context) error {
	if safeMethod(c.Request().Method) {
		return nil
	}
	return s.spend(c, s.lim.write, "write")
}

// retryAfter tells the client, in whole seconds (at least one), when to come back, and returns them.
func retryAfter(c echo.Context, wait time.Duration) int {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}

// spend answers 429 with Retry-After when the client's bucket is empty.
func (s *Server) spend(c echo.Context, l *ratelimit.Limiter, class string) error {
	if l == nil {
		return nil
	}
	req := c.Request()
	client := s.clientAddr(c)
	if client.IsLoopback() && !s.lim.limitLoopback {
		if s.lim.ips.Forwarded(req) {
			s.lim.warnProxy.Do(func() {
				s.reqLog(c).Warn("forwarded request from an untrusted local proxy: every client behind it looks like the loopback address and is not rate limited; list the proxy with --trusted-proxies",
					slog.String("peer", clientip.Peer(req).String()))
			})
		}
		return nil
	}
	ok, wait := l.Allow(clientKey(client.String()), time.Now())
	if ok {
		return nil
	}
	secs := retryAfter(c, wait)
	s.metrics.rateLimited.WithLabelValues(class).Inc()
	what := "yêu cầu đọc (tìm kiếm, ghép nối, xem trang)"
	if class == "write" {
		what = "thao tác ghi"
	}
	return apiErr(http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("Quá nhiều %s từ địa chỉ của bạn; hãy thử lại sau %d giây.", what, secs))
}
