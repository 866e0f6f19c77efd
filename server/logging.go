package server

import (
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Logs are structured (log/slog; text or JSON as `ketnoi serve --log-format` chooses). Every line written
// while answering a request carries its request_id, the same id the client gets in X-Request-Id and in
// every error body, so that one complaint leads to every line of its request. Lines never hold a key, a
// password, a cookie or a query string: only the path, the route pattern and ids.

// reqLog is the logger for lines about request c.
func (s *Server) reqLog(c echo.Context) *slog.Logger {
	return s.log.With(slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
}

// requestLogger writes one line per request once it is answered. HandleError lets the central error
// handler write the response first, so that the status logged (and the one the metrics see) is final.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogRoutePath: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogResponseSize: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", slog.String("request_id", v.RequestID),
				slog.String("method", v.Method), slog.String("route", v.RoutePath), slog.String("path", redactPath(v.URIPath)),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), slog.Int64("bytes", v.ResponseSize),
				slog.String("ip", v.RemoteIP))
			return nil
		}})
}
