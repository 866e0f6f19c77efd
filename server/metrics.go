package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// Prometheus metrics at /metrics (text format), in a registry of the server's own (so that several
// servers in one process, as in the tests, do not collide):
//
//	ketnoi_http_request_duration_seconds{route,method,status}  histogram; route is the route pattern
//	                                                            ("/api/v1/results/:id"), status the class ("2xx")
//	ketnoi_http_requests_in_flight                              gauge
//	ketnoi_http_rate_limited_total{budget}                      counter of 429 answers, "read" or "write"
//	ketnoi_upload_queue_depth                                   gauge: uploads waiting or being processed
//	ketnoi_documents{kind}                                      gauge: documents in the index by kind
//	ketnoi_index_documents, ketnoi_index_size_bytes             gauges
//	ketnoi_extraction_failures{reason}                          gauge: files whose last extraction failed
//	go_*, process_*                                             Go runtime and process (RSS, CPU, files)
//
// The corpus gauges are computed at scrape time from the index and the store: they are always true, also
// after `ketnoi index` ran while the server was stopped.

// MetricsAccess says who may read /metrics. The zero value: everyone (the default).
type MetricsAccess struct {
	// Disabled removes the route.
	Disabled bool
	// LoopbackOnly serves only clients on the server's own machine (by the client-IP rule).
	LoopbackOnly bool
	// KeyRole, when set, needs an API key (or session) with this role, e.g. corpus.RoleAdmin.
	KeyRole corpus.Role
}

type serverMetrics struct {
	reg         *prometheus.Registry
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	rateLimited *prometheus.CounterVec
}

// unmatchedRoute labels requests that matched no route, so that scanners' paths do not become series.
const unmatchedRoute = "unmatched"

func newServerMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ketnoi_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status class.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ketnoi_http_requests_in_flight", Help: "HTTP requests being answered."}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ketnoi_http_rate_limited_total", Help: "Requests refused with 429 by the per-client rate limits, by budget."},
			[]string{"budget"}),
	}
	m.reg.MustRegister(m.duration, m.inFlight, m.rateLimited, &corpusCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe is middleware, outside the request logger (whose HandleError has written the response by the
// time it returns, so the status is final).
func (m *serverMetrics) observe(routes map[string]bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			m.inFlight.Inc()
			start := time.Now()
			err := next(c)
			m.inFlight.Dec()
			route := c.Path()
			if !routes[c.Request().Method+" "+route] {
				route = unmatchedRoute
			}
			status := c.Response().Status
			m.duration.WithLabelValues(route, c.Request().Method, strconv.Itoa(status/100)+"xx").Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// metricsHandler serves the registry; access is checked by metricsGate.
func (s *Server) metricsHandler() echo.HandlerFunc {
	h := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		// The server's gzip middleware compresses every answer already.
		DisableCompression: true,
		Registry:           s.metrics.reg,
	})
	return echo.WrapHandler(h)
}

// metricsGate applies MetricsAccess.
func (s *Server) metricsGate() []echo.MiddlewareFunc {
	var mw []echo.MiddlewareFunc
	if s.cfg.Metrics.LoopbackOnly {
		mw = append(mw, func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if !s.clientAddr(c).IsLoopback() {
					return apiErr(http.StatusForbidden, "forbidden", "Số đo của máy chủ chỉ mở cho máy cục bộ.")
				}
				return next(c)
			}
		})
	}
	if r := s.cfg.Metrics.KeyRole; r != "" {
		mw = append(mw, s.requireRole(r))
	}
	return mw
}

// corpusCollector computes the corpus gauges at scrape time.
type corpusCollector struct{ s *Server }

var (
	descDocuments = prometheus.NewDesc("ketnoi_documents", "Documents in the index by kind.", []string{"kind"}, nil)
	descIndexDocs = prometheus.NewDesc("ketnoi_index_documents", "Documents in the index.", nil, nil)
	descIndexSize = prometheus.NewDesc("ketnoi_index_size_bytes", "Size on disk of the live index (not counting segment files a background merge is writing or has replaced).", nil, nil)
	descQueue     = prometheus.NewDesc("ketnoi_upload_queue_depth", "Uploads queued or being processed.", nil, nil)
	descFailures  = prometheus.NewDesc("ketnoi_extraction_failures", "Files whose last extraction failed, by reason.", []string{"reason"}, nil)
	descScrapeErr = prometheus.NewDesc("ketnoi_metrics_errors", "Corpus metrics that could not be read at this scrape.", []string{"metric"}, nil)
)

func (c *corpusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDocuments, descIndexDocs, descIndexSize, descQueue, descFailures, descScrapeErr} {
		ch <- d
	}
}

func (c *corpusCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	failed := func(metric string, err error) {
		s.log.Error("metrics", slog.String("metric", metric), slog.String("error", err.Error()))
		ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, 1, metric)
	}
	if s.up != nil {
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(s.up.jobs.Pending()))
	}
	if s.idx != nil {
		if n, err := s.idx.Count(); err == nil {
			ch <- prometheus.MustNewConstMetric(descIndexDocs, prometheus.GaugeValue, float64(n))
		} else {
			failed("index_documents", err)
		}
		if n, err := s.idx.DiskSize(); err == nil {
			ch <- prometheus.MustNewConstMetric(descIndexSize, prometheus.GaugeValue, float64(n))
		} else {
			failed("index_size_bytes", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := s.idx.Search(ctx, &indexer.SearchRequest{Kinds: []string{indexer.KindResult, indexer.KindNeed},
			Confidentiality: []string{corpus.ConfPublic, corpus.ConfAnonymised, corpus.ConfBrokerOnly},
			Size:            1, Facets: []string{indexer.FacetKind}})
		cancel()
		if err == nil {
			counts := map[string]int{indexer.KindResult: 0, indexer.KindNeed: 0}
			for _, f := range res.Facets[indexer.FacetKind] {
				counts[f.Value] = f.Count
			}
			for k, n := range counts {
				ch <- prometheus.MustNewConstMetric(descDocuments, prometheus.GaugeValue, float64(n), k)
			}
		} else {
			failed("documents", err)
		}
	}
	if s.store != nil {
		byReason := map[string]int{}
		for _, r := range failureReasons {
			byReason[string(r)] = 0 // every reason has a series, so that a rate() over it starts at 0
		}
		err := s.store.FileStates(func(f corpus.FileState) error {
			if f.Outcome == corpus.FileFailed {
				byReason[f.Reason]++
			}
			return nil
		})
		if err != nil {
			failed("extraction_failures", err)
			return
		}
		for r, n := range byReason {
			ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(n), r)
		}
	}
}
