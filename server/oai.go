package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// oaiPath is the OAI-PMH data provider's base URL (package oai does the protocol). Its answers are XML as
// the protocol wants them, protocol errors included (HTTP 200 with <error code="…">): not the JSON error
// shape of the API.
const oaiPath = "/oai"

// oaiRespond answers an OAI-PMH request, sent as a GET with a query string or as a POST form
// (application/x-www-form-urlencoded).
func (s *Server) oaiRespond(c echo.Context) error {
	if s.oai == nil {
		return echo.ErrNotFound
	}
	args := c.QueryParams()
	if c.Request().Method == http.MethodPost {
		if err := c.Request().ParseForm(); err != nil {
			if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) { // a form, only too large
				return err
			}
			return apiErr(http.StatusBadRequest, "bad_form", "Thân yêu cầu POST phải là biểu mẫu application/x-www-form-urlencoded.")
		}
		args = c.Request().PostForm
	}
	b, err := s.oai.Respond(args, s.siteBase(c))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", b)
}
