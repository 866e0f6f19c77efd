package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// APIError is the one error shape of the API: a stable English code, a Vietnamese message, the request id.
type APIError struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	// Details lists per-item problems (record validation), when there are any.
	Details any `json:"details,omitempty"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// redirectError answers a request with a redirect rather than an error: a handler returns it like one.
type redirectError struct {
	status int
	to     string
}

func (r *redirectError) Error() string { return "chuyển tới " + r.to }

// replacedBy redirects a request for a replaced result to the same route of the result that replaced
// it, query kept: 308 for the API (a client keeps its method), 301 for pages (what browsers and search
// engines know as moved for good).
func replacedBy(c echo.Context, id string) error {
	to := strings.Replace(c.Path(), ":id", url.PathEscape(id), 1)
	if q := c.Request().URL.RawQuery; q != "" {
		to += "?" + q
	}
	status := http.StatusMovedPermanently
	if isAPI(c) {
		status = http.StatusPermanentRedirect
	}
	return &redirectError{status: status, to: to}
}

// errorHandler is Echo's single error handler: every error leaves as an APIError (JSON for the API, an
// HTML page for the web UI); internal error text is logged, never sent.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if re := (*redirectError)(nil); errors.As(err, &re) {
		_ = c.Redirect(re.status, re.to)
		return
	}
	var ae *APIError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		ae = apiErr(he.Code, httpCode(he.Code), httpMessage(he.Code))
	default:
		ae = apiErr(http.StatusInternalServerError, "internal", "Lỗi máy chủ; vui lòng thử lại sau.")
	}
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	out := *ae
	out.RequestID = rid
	if out.Status >= 500 {
		s.reqLog(c).Error("request failed", slog.String("route", c.Path()), slog.String("error", err.Error()))
	}
	if isAPI(c) {
		if c.Request().Method == http.MethodHead {
			c.NoContent(out.Status)
			return
		}
		c.JSON(out.Status, &out)
		return
	}
	s.renderError(c, &out)
}

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}

func httpMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Không tìm thấy trang hoặc tài nguyên yêu cầu."
	case http.StatusMethodNotAllowed:
		return "Phương thức HTTP không được hỗ trợ ở địa chỉ này."
	case http.StatusRequestEntityTooLarge:
		return "Dữ liệu gửi lên quá lớn."
	case http.StatusUnauthorized:
		return "Cần khóa API hợp lệ."
	case http.StatusForbidden:
		return "Không có quyền thực hiện thao tác này."
	case http.StatusTooManyRequests:
		return "Quá nhiều yêu cầu; vui lòng thử lại sau."
	case http.StatusServiceUnavailable:
		return "Máy chủ đang bận; vui lòng thử lại sau."
	}
	if status >= 500 {
		return "Lỗi máy chủ; vui lòng thử lại sau."
	}
	return "Yêu cầu không hợp lệ."
}
