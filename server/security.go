package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trellis-studio/trellis/storage"
)

// contentSecurityPolicy allows scripts and styles only from our own origin:
// no inline script, so an injected <script> cannot run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.cfg.TLS() {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// checkHost refuses Host headers outside the allow-list when bound to
// loopback, so a DNS-rebinding page cannot talk to a local Trellis.
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.allowedHosts != nil && !s.allowedHosts[hostname(c.Request().Host)] {
			return errf(http.StatusMisdirectedRequest, CodeHostNotAllowed, "host %q is not served here; use localhost or set the public base URL", c.Request().Host)
		}
		return next(c)
	}
}

// hostname returns the lower-cased host of a Host header, without port or brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.Trim(hostport, "[]"))
}

// drain answers 503 once shutdown has begun.
func (s *Server) drain(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.draining.Load() {
			c.Response().Header().Set("Connection", "close")
			c.Response().Header().Set("Retry-After", "5")
			return errf(http.StatusServiceUnavailable, CodeUnavailable, "the server is shutting down")
		}
		return next(c)
	}
}

// csrf protects state changes made with the session cookie: a cross-site
// request is refused by Fetch Metadata, and otherwise the X-CSRF-Token header
// must match the csrf cookie. Requests with an API token carry no ambient
// authority and skip the check.
func (s *Server) csrf() echo.MiddlewareFunc {
	name := "trellis_csrf"
	if s.secureCookies {
		name = "__Host-trellis_csrf"
	}
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper: func(c echo.Context) bool {
			// Only a session cookie carries ambient authority worth forging,
			// plus the login itself (login CSRF), by the API or the login
			// page's form. Anonymous requests to other routes are answered
			// 401 by require instead.
			switch c.Get(ctxAuthKind) {
			case "token":
				return true
			case "session":
				return false
			}
			return c.Path() != "/api/v1/login" && c.Path() != "/login"
		},
		// The form field serves pages without JavaScript; routes apply the
		// body limit before this middleware, so parsing a form is bounded.
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     name,
		CookiePath:     "/",
		CookieSecure:   s.secureCookies,
		CookieSameSite: http.SameSiteStrictMode,
		ContextKey:     "csrf",
		ErrorHandler: func(err error, c echo.Context) error {
			return errf(http.StatusForbidden, CodeCSRF, "cross-site request refused: send the X-CSRF-Token header with the value of the %s cookie", name)
		},
	})
}

// decodeJSON reads a JSON request body strictly (unknown fields are errors,
// one document only) within the body limit.
func decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send the body as application/json, not %q", ct)
		}
	}
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return errf(http.StatusBadRequest, CodeInvalidJSON, "request body is empty; send a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			e := errf(http.StatusBadRequest, CodeInvalidJSON, "unknown field %q", field)
			e.Field = field
			return e
		}
		if ae := classify(err); ae.Status != http.StatusInternalServerError {
			return ae
		}
		return errf(http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: %v", err)
	}
	if dec.More() {
		return errf(http.StatusBadRequest, CodeInvalidJSON, "unexpected data after the JSON object")
	}
	return nil
}

// bodyLimit caps a request body before it is read: an oversized
// Content-Length is refused at once, a streamed body when it passes the limit.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return errf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body of %d bytes is larger than the limit of %d bytes", req.ContentLength, limit)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

func (s *Server) audit(c echo.Context, action, target, detail string) {
	actor := ""
	if u := currentUser(c); u != nil {
		actor = u.Username
	}
	s.auditAs(c, actor, action, target, detail)
}

func (s *Server) auditAs(c echo.Context, actor, action, target, detail string) {
	if detail == "" {
		detail = fmt.Sprintf("from %s", c.RealIP())
	}
	if _, err := s.store.AppendAudit(storage.AuditEntry{Actor: actor, Action: action, Target: target, Detail: detail}); err != nil {
		s.log.Error("audit log write failed", "action", action, "error", err)
	}
}
