package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/crypto/argon2"
	"golang.org/x/time/rate"

	"github.com/trellis-studio/trellis/storage"
)

// Password hashing: argon2id with OWASP's recommended minimum (19 MiB, 2
// passes, 1 lane), encoded in the PHC string format so parameters can rise
// later without invalidating stored hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	minPassword  = 10
)

// HashPassword returns the encoded argon2id hash of a password.
func HashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func checkPassword(p string) error {
	if len([]rune(p)) < minPassword {
		return fieldErr("password", "password must have at least %d characters", minPassword)
	}
	if len(p) > 1024 {
		return fieldErr("password", "password is longer than 1024 bytes")
	}
	return nil
}

// verifyPassword checks a password against an encoded hash in constant time.
func verifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when the username is unknown, so that an
// unknown user and a wrong password take the same time. It is made at the
// first login rather than at start-up, which every command would pay for.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not-a-real-password-at-all")
	if err != nil {
		panic(err)
	}
	return h
})

// loginLimits throttles login attempts per account and per client address,
// using echo's in-memory rate limiter store.
type loginLimits struct {
	byUser, byAddr *middleware.RateLimiterMemoryStore
}

func newLoginLimits() *loginLimits {
	cfg := func(r rate.Limit, burst int) *middleware.RateLimiterMemoryStore {
		return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{Rate: r, Burst: burst, ExpiresIn: 30 * time.Minute})
	}
	// An account gets 5 quick tries then one a minute; an address 20 then one every 6 s.
	return &loginLimits{byUser: cfg(rate.Every(time.Minute), 5), byAddr: cfg(rate.Every(6*time.Second), 20)}
}

func (l *loginLimits) allow(user, addr string) bool {
	okAddr, _ := l.byAddr.Allow(addr)
	okUser, _ := l.byUser.Allow(strings.ToLower(user))
	return okAddr && okUser
}

// Context keys.
const (
	ctxUser     = "trellis.user"
	ctxSession  = "trellis.session"
	ctxAuthKind = "trellis.auth"
)

func (s *Server) sessionCookieName() string {
	if s.secureCookies {
		return "__Host-trellis_session"
	}
	return "trellis_session"
}

func (s *Server) setSessionCookie(c echo.Context, secret string, expires time.Time) {
	c.SetCookie(&http.Cookie{
		Name: s.sessionCookieName(), Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
}

// authenticate identifies the caller from a bearer token or the session
// cookie. It never refuses: authorization is decided per route by require.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h := c.Request().Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				return errf(http.StatusUnauthorized, CodeUnauthenticated, "Authorization must be \"Bearer <token>\"")
			}
			tok, err := s.store.TokenBySecret(strings.TrimSpace(secret))
			if err != nil || !tok.Revoked.IsZero() {
				return errf(http.StatusUnauthorized, CodeUnauthenticated, "the API token is unknown or revoked")
			}
			u, err := s.store.User(tok.UserID)
			if err != nil || u.Disabled {
				return errf(http.StatusUnauthorized, CodeUnauthenticated, "the API token's user is disabled")
			}
			_ = s.store.TouchToken(tok.ID, time.Now())
			c.Set(ctxUser, u)
			c.Set(ctxAuthKind, "token")
			return next(c)
		}
		ck, err := c.Cookie(s.sessionCookieName())
		if err != nil || ck.Value == "" {
			return next(c)
		}
		sess, err := s.store.Session(ck.Value)
		now := time.Now()
		if err != nil || now.After(sess.Expires) || now.Sub(sess.LastSeen) > s.cfg.SessionIdle {
			if err == nil {
				_ = s.store.DeleteSession(sess.ID)
			}
			s.clearSessionCookie(c)
			return next(c)
		}
		u, err := s.store.User(sess.UserID)
		if err != nil || u.Disabled {
			s.clearSessionCookie(c)
			return next(c)
		}
		_ = s.store.TouchSession(sess.ID, now)
		c.Set(ctxUser, u)
		c.Set(ctxSession, sess)
		c.Set(ctxAuthKind, "session")
		return next(c)
	}
}

// access is what a route requires.
type access int

const (
	public access = iota // anyone, logged in or not
	viewer               // any logged-in user
	author               // authors and admins
	admin                // admins only
)

func (a access) String() string {
	return [...]string{"public", "viewer", "author", "admin"}[a]
}

func roleRank(r storage.Role) access {
	switch r {
	case storage.RoleAdmin:
		return admin
	case storage.RoleAuthor:
		return author
	case storage.RoleViewer:
		return viewer
	}
	return public
}

// require refuses callers below the access level: 401 without credentials,
// 403 with too little role.
func require(level access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if level == public {
				return next(c)
			}
			u := currentUser(c)
			if u == nil {
				return errf(http.StatusUnauthorized, CodeUnauthenticated, "log in or send an API token")
			}
			if roleRank(u.Role) < level {
				return errf(http.StatusForbidden, CodeForbidden, "this needs the %s role; you are %s", level, u.Role)
			}
			return next(c)
		}
	}
}

func currentUser(c echo.Context) *storage.User {
	u, _ := c.Get(ctxUser).(*storage.User)
	return u
}

// errBadLogin is the one answer for an unknown user and a wrong password.
var errBadLogin = errf(http.StatusUnauthorized, CodeInvalidLogin, "unknown username or wrong password")

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) handleLogin(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.logIn(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userView(u))
}

// logIn checks a username and password and starts a session with its
// cookie: the one login of the API and the login page. A failure is a
// field error, the same errBadLogin for an unknown user and a wrong
// password, or 429 while the account or address is throttled.
func (s *Server) logIn(c echo.Context, username, password string) (*storage.User, error) {
	if username == "" {
		return nil, fieldErr("username", "username is required")
	}
	if !s.limits.allow(username, c.RealIP()) {
		s.audit(c, "login.throttled", username, "")
		return nil, errf(http.StatusTooManyRequests, CodeRateLimited, "too many login attempts; wait a minute and try again")
	}
	u, err := s.store.UserByName(username)
	hash := dummyHash()
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	ok := verifyPassword(hash, password)
	if err != nil || !ok || u.Disabled {
		s.audit(c, "login.failed", username, "")
		return nil, errBadLogin
	}
	// A fresh session id at every login defeats session fixation.
	if old, ok := c.Get(ctxSession).(*storage.Session); ok {
		_ = s.store.DeleteSession(old.ID)
	}
	expires := time.Now().Add(s.cfg.SessionMax)
	secret, _, err := s.store.CreateSession(u.ID, expires)
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(c, secret, expires)
	s.auditAs(c, u.Username, "login", u.Username, "")
	return u, nil
}

// csrfToken returns the request's CSRF token, or "" when the request was
// admitted by Fetch Metadata and no token was issued.
func csrfToken(c echo.Context) string {
	tok, _ := c.Get("csrf").(string)
	if tok == middleware.CSRFUsingSecFetchSite {
		return ""
	}
	return tok
}

// handleLoginInfo hands a client without Fetch Metadata the CSRF token it
// must send with the login request (the csrf middleware sets the cookie).
func (s *Server) handleLoginInfo(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"csrf_token": csrfToken(c), "csrf_header": "X-CSRF-Token"})
}

func (s *Server) handleLogout(c echo.Context) error {
	if err := s.logOut(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// logOut ends the caller's session, if any, and clears its cookie.
func (s *Server) logOut(c echo.Context) error {
	if sess, ok := c.Get(ctxSession).(*storage.Session); ok {
		if err := s.store.DeleteSession(sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		s.audit(c, "logout", currentUser(c).Username, "")
	}
	s.clearSessionCookie(c)
	return nil
}
