package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
)

// ErrorBody is the one shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code, a message for people,
// field problems for invalid input, and for server errors an id that is
// also in the log.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	ErrorID string            `json:"error_id,omitempty"`
}

// StatusOf maps an error kind to its HTTP status and code. It is the only
// place that does.
func StatusOf(err error) (int, string) {
	switch core.Kind(err) {
	case core.ErrNotFound:
		return http.StatusNotFound, "not_found"
	case core.ErrInvalid:
		return http.StatusUnprocessableEntity, "invalid"
	case core.ErrConflict:
		return http.StatusConflict, "conflict"
	case core.ErrForbidden:
		return http.StatusForbidden, "forbidden"
	case core.ErrPrecondition:
		return http.StatusPreconditionFailed, "precondition_failed"
	}
	return http.StatusInternalServerError, "internal"
}

func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if wantsHTML(c) {
		s.errorPage(err, c)
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		c.JSON(he.Code, ErrorBody{ErrorDetail{Code: codeForStatus(he.Code), Message: msg}})
		return
	}
	status, code := StatusOf(err)
	body := ErrorDetail{Code: code, Message: err.Error()}
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		body.Message, body.Fields = "invalid input", ve.Fields
	}
	if status == http.StatusInternalServerError {
		body.ErrorID = newErrorID()
		body.Message = "internal error; quote error id " + body.ErrorID + " to support"
		s.Deps.Log.Error("request failed", "error_id", body.ErrorID, "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	c.JSON(status, ErrorBody{body})
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusTooManyRequests:
		return "rate_limited"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}

func newErrorID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// wantsHTML reports whether the request is a page request, answered with
// an HTML error page rather than the JSON error body.
func wantsHTML(c echo.Context) bool {
	p := c.Request().URL.Path
	for _, prefix := range []string{"/api/", "/webhooks/", "/healthz", "/readyz", "/metrics", "/static/"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return true
}

// errorPage renders an error for a page request in the visitor's language.
// Objects outside the caller's tenant are "not found" like missing ones.
func (s *Server) errorPage(err error, c echo.Context) {
	status, code := StatusOf(err)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status, code = he.Code, codeForStatus(he.Code)
	}
	p := s.NewPage(c, "error."+code)
	p.Data = p.T("error." + code + ".text")
	if status == http.StatusInternalServerError {
		id := newErrorID()
		s.Deps.Log.Error("request failed", "error_id", id, "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		p.Data = p.T("error.internal.text", "ID", id)
	} else if status == http.StatusForbidden && he == nil {
		p.Data = p.problem(err.Error())
	}
	if rerr := s.Render(c, status, "error", p); rerr != nil {
		s.Deps.Log.Error("render error page", "err", rerr)
	}
}
