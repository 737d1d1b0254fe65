package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// Error is an API error: an HTTP status, a stable machine-readable code, a
// message for people, and the field or node at fault. Every error a client
// sees has this shape.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Node    string `json:"node,omitempty"`
	// Revision is the current revision, on a conflicting save.
	Revision int                `json:"revision,omitempty"`
	Problems []workflow.Problem `json:"problems,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The error codes. They are part of the API.
const (
	CodeBadRequest       = "bad_request"
	CodeInvalidJSON      = "invalid_json"
	CodeInvalidField     = "invalid_field"
	CodeInvalidWorkflow  = "invalid_workflow"
	CodeInvalidData      = "invalid_data"
	CodeUnauthenticated  = "unauthenticated"
	CodeForbidden        = "forbidden"
	CodeCSRF             = "csrf_failed"
	CodeNotFound         = "not_found"
	CodeGone             = "gone"
	CodeMethod           = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeExists           = "already_exists"
	CodeInUse            = "in_use"
	CodeTooLarge         = "too_large"
	CodeRateLimited      = "rate_limited"
	CodeHostNotAllowed   = "host_not_allowed"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
	CodeInvalidLogin     = "invalid_login"
	CodePreconditionReq  = "precondition_required"
	CodeUnsupportedMedia = "unsupported_media_type"
)

func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func fieldErr(field, format string, args ...any) *Error {
	e := errf(http.StatusBadRequest, CodeInvalidField, format, args...)
	e.Field = field
	return e
}

// classify maps any error to an API error. It is the one place where
// application errors become HTTP statuses.
func classify(err error) *Error {
	var (
		ae  *Error
		he  *echo.HTTPError
		ve  *workflow.ValidationError
		pe  *modules.ParamError
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return errf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body is larger than the limit of %d bytes", mbe.Limit)
	case errors.As(err, &ve):
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalidWorkflow, Message: ve.Error(), Problems: ve.Problems}
	case errors.As(err, &pe):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidField, Message: pe.Error(), Field: pe.Param}
	case errors.As(err, &se):
		return errf(http.StatusBadRequest, CodeInvalidJSON, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		e := errf(http.StatusBadRequest, CodeInvalidJSON, "field %s: want %s, got %s", te.Field, te.Type, te.Value)
		e.Field = te.Field
		return e
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errf(http.StatusBadRequest, CodeInvalidJSON, "request body ended early")
	case errors.Is(err, storage.ErrNotFound):
		return errf(http.StatusNotFound, CodeNotFound, "%s", err)
	case errors.Is(err, storage.ErrConflict):
		return errf(http.StatusConflict, CodeConflict, "%s", err)
	case errors.Is(err, storage.ErrExists):
		return errf(http.StatusConflict, CodeExists, "%s", err)
	case errors.Is(err, storage.ErrInUse):
		return errf(http.StatusConflict, CodeInUse, "%s", err)
	case errors.As(err, &he):
		return fromHTTPError(he)
	}
	return errf(http.StatusInternalServerError, CodeInternal, "internal error")
}

func fromHTTPError(he *echo.HTTPError) *Error {
	msg := fmt.Sprint(he.Message)
	if he.Internal != nil {
		if inner := classify(he.Internal); inner.Status != http.StatusInternalServerError {
			return inner
		}
	}
	code := CodeBadRequest
	switch he.Code {
	case http.StatusNotFound:
		code, msg = CodeNotFound, "no such page or resource"
	case http.StatusMethodNotAllowed:
		code = CodeMethod
	case http.StatusRequestEntityTooLarge:
		code = CodeTooLarge
	case http.StatusUnauthorized:
		code = CodeUnauthenticated
	case http.StatusTooManyRequests:
		code = CodeRateLimited
	case http.StatusForbidden:
		code = CodeForbidden
		if strings.Contains(strings.ToLower(msg), "csrf") {
			code = CodeCSRF
		}
	case http.StatusUnsupportedMediaType:
		code = CodeUnsupportedMedia
	case http.StatusServiceUnavailable:
		code = CodeUnavailable
	}
	if he.Code >= 500 {
		code = CodeInternal
	}
	return &Error{Status: he.Code, Code: code, Message: msg}
}

// handleError is echo's error handler: it classifies, logs server faults
// once, and answers JSON, or for pages an error page, a message for htmx,
// or a redirect to the login page (pageError).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := classify(err)
	if ae.Status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	if wantsPage(c) {
		s.pageError(c, ae)
		return
	}
	_ = c.JSON(ae.Status, map[string]*Error{"error": ae})
}
