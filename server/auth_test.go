package server

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/storage"
)

// TestRouteInventory fails when a route is registered outside the route
// table, i.e. without an explicit access decision.
func TestRouteInventory(t *testing.T) {
	ts := newTestServer(t)
	declared := map[string]bool{}
	for _, r := range ts.srv.routeTable() {
		key := r.method + " " + r.path
		if declared[key] {
			t.Errorf("route %s is declared twice", key)
		}
		declared[key] = true
	}
	for _, r := range ts.srv.echo.Routes() {
		if !declared[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is registered without an entry (and access decision) in routeTable", r.Method, r.Path)
		}
	}
}

// TestAuthorizationMatrix calls every route as each role and as nobody:
// below the route's access level the answer is 401 (nobody; a redirect to
// the login page for pages) or 403; at or above it, never.
func TestAuthorizationMatrix(t *testing.T) {
	ts := newTestServer(t)
	callers := map[string]*client{
		"anonymous":    ts.anonymous(),
		"viewer":       ts.login(storage.RoleViewer),
		"author":       ts.login(storage.RoleAuthor),
		"admin":        ts.login(storage.RoleAdmin),
		"viewer-token": ts.withToken(storage.RoleViewer),
		"admin-token":  ts.withToken(storage.RoleAdmin),
	}
	level := map[string]access{"anonymous": public, "viewer": viewer, "author": author, "admin": admin, "viewer-token": viewer, "admin-token": admin}
	for _, r := range ts.srv.routeTable() {
		if r.path == "/api/v1/logout" || r.path == "/api/v1/me/password" || r.path == "/logout" {
			continue // they end the caller's session; covered by their own tests
		}
		path := strings.NewReplacer(":id", "no-such-id", ":rev", "1", ":node", "n", ":port", "p").Replace(r.path)
		for name, c := range callers {
			t.Run(fmt.Sprintf("%s %s as %s", r.method, r.path, name), func(t *testing.T) {
				var body any
				if r.method != http.MethodGet && r.method != http.MethodDelete {
					body = map[string]any{}
				}
				res := c.do(r.method, path, body)
				allowed := level[name] >= r.access
				anonymous := http.StatusUnauthorized
				if r.kind.page() {
					anonymous = http.StatusSeeOther
				}
				switch {
				case allowed && (res.Code == http.StatusUnauthorized || res.Code == http.StatusForbidden):
					t.Errorf("allowed caller got %d: %s", res.Code, res.Body)
				case !allowed && name == "anonymous" && (res.Code != anonymous || r.kind.page() && !strings.HasPrefix(res.Header().Get("Location"), "/login")):
					t.Errorf("anonymous caller got %d %s, want %d: %s", res.Code, res.Header().Get("Location"), anonymous, res.Body)
				case !allowed && name != "anonymous" && res.Code != http.StatusForbidden:
					t.Errorf("%s got %d, want 403: %s", name, res.Code, res.Body)
				case res.Code >= 500:
					t.Errorf("server error %d: %s", res.Code, res.Body)
				}
			})
		}
	}
}

func TestLoginAnswersAlikeForUnknownUserAndWrongPassword(t *testing.T) {
	ts := newTestServer(t)
	unknown := ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "nobody", "password": "whatever-it-is"})
	wrong := ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "author1", "password": "wrong password!"})
	if unknown.Code != http.StatusUnauthorized || wrong.Code != unknown.Code || wrong.Body.String() != unknown.Body.String() {
		t.Errorf("unknown user: %d %s; wrong password: %d %s", unknown.Code, unknown.Body, wrong.Code, wrong.Body)
	}
}

func TestLoginIsRateLimitedPerAccount(t *testing.T) {
	ts := newTestServer(t)
	var last int
	for i := 0; i < 8; i++ {
		res := ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "author1", "password": "wrong password!"})
		last = res.Code
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("8th failed login got %d, want 429", last)
	}
	// The right password is refused too while the account is throttled.
	res := ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "author1", "password": testPassword})
	if res.Code != http.StatusTooManyRequests {
		t.Errorf("throttled login got %d", res.Code)
	}
	if e := decode[apiError](t, res); e.Error.Code != CodeRateLimited {
		t.Errorf("code %q", e.Error.Code)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	ts := newTestServer(t)
	res := ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "viewer1", "password": testPassword})
	var found bool
	for _, ck := range res.Result().Cookies() {
		if ck.Name != "__Host-trellis_session" {
			continue
		}
		found = true
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/, no Domain", ck)
		}
	}
	if !found {
		t.Errorf("no __Host- session cookie on localhost: %v", res.Result().Cookies())
	}
}

func TestLoginIssuesNewSessionAndLogoutEndsIt(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	first := c.cookies["__Host-trellis_session"].Value
	res := c.do(http.MethodPost, "/api/v1/login", map[string]string{"username": "author1", "password": testPassword})
	if res.Code != http.StatusOK {
		t.Fatal(res.Body)
	}
	second := c.cookies["__Host-trellis_session"].Value
	if first == second {
		t.Fatal("login kept the old session id")
	}
	old := ts.anonymous()
	old.cookies["__Host-trellis_session"] = &http.Cookie{Name: "__Host-trellis_session", Value: first}
	if res := old.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("the session replaced at login still works: %d", res.Code)
	}
	if res := c.do(http.MethodPost, "/api/v1/logout", nil); res.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Code, res.Body)
	}
	stale := ts.anonymous()
	stale.cookies["__Host-trellis_session"] = &http.Cookie{Name: "__Host-trellis_session", Value: second}
	if res := stale.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("session still valid after logout: %d", res.Code)
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	ts := newTestServer(t)
	a, b := ts.login(storage.RoleAuthor), ts.login(storage.RoleAuthor)
	res := a.do(http.MethodPost, "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "a much newer password"})
	if res.Code != http.StatusNoContent {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	if res := b.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("other session survived a password change: %d", res.Code)
	}
	res = ts.anonymous().do(http.MethodPost, "/api/v1/login", map[string]string{"username": "author1", "password": "a much newer password"})
	if res.Code != http.StatusOK {
		t.Errorf("login with the new password: %d", res.Code)
	}
	res = ts.login(storage.RoleViewer).do(http.MethodPost, "/api/v1/me/password", map[string]string{"current_password": "nope", "new_password": "a much newer password"})
	if e := decode[apiError](t, res); res.Code != http.StatusBadRequest || e.Error.Field != "current_password" {
		t.Errorf("wrong current password: %d %+v", res.Code, e)
	}
}

func TestCSRF(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)

	c.fetchSite = "cross-site"
	res := c.do(http.MethodPost, "/api/v1/me/tokens", map[string]string{"name": "evil"})
	if res.Code != http.StatusForbidden || decode[apiError](t, res).Error.Code != CodeCSRF {
		t.Errorf("cross-site POST with a valid session cookie: %d %s, want 403 csrf_failed", res.Code, res.Body)
	}

	// A client without Fetch Metadata must echo the token of the csrf cookie.
	c.fetchSite = ""
	delete(c.cookies, "__Host-trellis_csrf")
	res = c.doHeaders(http.MethodPost, "/api/v1/me/tokens", map[string]string{"name": "x"}, nil)
	if res.Code != http.StatusForbidden {
		t.Errorf("POST without a CSRF token: %d, want 403", res.Code)
	}
	c.do(http.MethodGet, "/api/v1/me", nil) // sets the csrf cookie
	if _, ok := c.cookies["__Host-trellis_csrf"]; !ok {
		t.Fatalf("no csrf cookie after a GET: %v", c.cookies)
	}
	res = c.do(http.MethodPost, "/api/v1/me/tokens", map[string]string{"name": "ok"}) // do() echoes the cookie
	if res.Code != http.StatusCreated {
		t.Errorf("POST with the CSRF token: %d %s", res.Code, res.Body)
	}

	// An API token carries no ambient authority: no CSRF token needed.
	tok := ts.withToken(storage.RoleAuthor)
	if res := tok.do(http.MethodPost, "/api/v1/me/tokens", map[string]string{"name": "script"}); res.Code != http.StatusCreated {
		t.Errorf("token POST: %d %s", res.Code, res.Body)
	}
}

func TestTokensAreShownOnceAndRevocable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	res := c.do(http.MethodPost, "/api/v1/me/tokens", map[string]string{"name": "laptop"})
	tok := decode[tokenJSON](t, res)
	if res.Code != http.StatusCreated || tok.Secret == "" {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	list := decode[[]tokenJSON](t, c.do(http.MethodGet, "/api/v1/me/tokens", nil))
	if len(list) != 1 || list[0].Secret != "" {
		t.Errorf("token list shows secrets or misses the token: %+v", list)
	}
	api := &client{ts: ts, cookies: map[string]*http.Cookie{}, token: tok.Secret}
	if res := api.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusOK {
		t.Fatalf("token works: %d", res.Code)
	}
	if res := c.do(http.MethodDelete, "/api/v1/me/tokens/"+tok.ID, nil); res.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", res.Code, res.Body)
	}
	if res := api.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", res.Code)
	}
	other := ts.login(storage.RoleAuthor)
	if res := other.do(http.MethodDelete, "/api/v1/me/tokens/"+tok.ID, nil); res.Code != http.StatusNotFound {
		t.Errorf("revoking someone else's token: %d, want 404", res.Code)
	}
	entries, err := ts.store.Audit("", 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if joined := strings.Join(actions, ","); !strings.Contains(joined, "token.create") || !strings.Contains(joined, "token.revoke") || !strings.Contains(joined, "login") {
		t.Errorf("audit log lacks token and login entries: %v", actions)
	}
}

func TestAdminManagesUsers(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.login(storage.RoleAdmin)
	res := adm.do(http.MethodPost, "/api/v1/users", map[string]any{"username": "carol", "password": "carol's long password", "role": "viewer"})
	if res.Code != http.StatusCreated {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	u := decode[userJSON](t, res)
	if strings.Contains(res.Body.String(), "argon2") {
		t.Error("the password hash leaks in the API")
	}
	res = adm.do(http.MethodPatch, "/api/v1/users/"+u.ID, map[string]any{"role": "author"})
	if res.Code != http.StatusOK || decode[userJSON](t, res).Role != storage.RoleAuthor {
		t.Errorf("role change: %d %s", res.Code, res.Body)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"username": "dave", "password": "short", "role": "viewer"}, "password"},
		{map[string]any{"username": "dave", "password": "long enough password", "role": "boss"}, "role"},
		{map[string]any{"username": "", "password": "long enough password", "role": "viewer"}, "username"},
	} {
		res := adm.do(http.MethodPost, "/api/v1/users", tc.body)
		if e := decode[apiError](t, res); res.Code != http.StatusBadRequest || e.Error.Field != tc.field {
			t.Errorf("%v: %d %+v, want 400 on %s", tc.body, res.Code, e, tc.field)
		}
	}
	if res := adm.do(http.MethodPost, "/api/v1/users", map[string]any{"username": "CAROL", "password": "carol's long password", "role": "viewer"}); res.Code != http.StatusConflict {
		t.Errorf("duplicate username: %d", res.Code)
	}
}

func TestSecurityHeadersAndHostAllowList(t *testing.T) {
	ts := newTestServer(t)
	res := ts.anonymous().do(http.MethodGet, "/healthz", nil)
	h := res.Header()
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if h.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS without TLS")
	}
	res = ts.anonymous().doHeaders(http.MethodGet, "/healthz", nil, map[string]string{"Host": "evil.example:8080"})
	if res.Code != http.StatusMisdirectedRequest {
		t.Errorf("rebinding host accepted: %d", res.Code)
	}
}

func TestRequestErrors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAdmin)
	tests := []struct {
		name    string
		body    any
		headers map[string]string
		status  int
		code    string
	}{
		{"malformed JSON", `{"username": "x",`, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, CodeInvalidJSON},
		{"wrong type names the field", `{"username": 5}`, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, CodeInvalidJSON},
		{"unknown field", `{"usernme": "x"}`, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, CodeInvalidJSON},
		{"empty body", ``, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, CodeInvalidJSON},
		{"not JSON", `username=x`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, CodeUnsupportedMedia},
		{"oversized", `{"username":"` + strings.Repeat("x", 2<<20) + `"}`, map[string]string{"Content-Type": "application/json"}, http.StatusRequestEntityTooLarge, CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.doHeaders(http.MethodPost, "/api/v1/users", tt.body, tt.headers)
			e := decode[apiError](t, res)
			if res.Code != tt.status || e.Error.Code != tt.code {
				t.Errorf("%d %+v, want %d %s", res.Code, e.Error, tt.status, tt.code)
			}
		})
	}
	res := c.doHeaders(http.MethodPost, "/api/v1/users", `{"username": 5}`, map[string]string{"Content-Type": "application/json"})
	if e := decode[apiError](t, res); e.Error.Field != "username" {
		t.Errorf("type error field %q", e.Error.Field)
	}
	if res := c.do(http.MethodGet, "/api/v1/nothing-here", nil); res.Code != http.StatusNotFound || decode[apiError](t, res).Error.Code != CodeNotFound {
		t.Errorf("unknown route: %d %s", res.Code, res.Body)
	}
}

func TestBootstrapCreatesAdminAndSample(t *testing.T) {
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Setenv("TRELLIS_ADMIN_PASSWORD", "")
	csv := []byte("a,b\n1,x\n2,y\n")
	doc := []byte(`{"format":1,"name":"Sample","nodes":[{"id":"i","module":"import_data","version":1,"position":{"x":0,"y":0},"params":{"source":"s.csv"}}],"edges":[]}`)
	first, err := Bootstrap(st, Sample{DatasetName: "s.csv", CSV: csv, Workflows: [][]byte{doc}})
	if err != nil {
		t.Fatal(err)
	}
	if first == nil || len(first.Password) < 20 {
		t.Fatalf("first run %+v: want a generated password", first)
	}
	fi, err := os.Stat(first.PasswordFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file %s: %v, mode %v; want 0600", first.PasswordFile, err, fi.Mode())
	}
	u, err := st.UserByName("admin")
	if err != nil || u.Role != storage.RoleAdmin || !verifyPassword(u.PasswordHash, first.Password) {
		t.Fatalf("admin %+v %v", u, err)
	}
	if d, err := st.DatasetByName("s.csv"); err != nil || d.Latest.Rows != 2 {
		t.Errorf("sample dataset %+v %v", d, err)
	}
	if ws, err := st.Workflows(""); err != nil || len(ws) != 1 {
		t.Errorf("sample workflows %d %v", len(ws), err)
	}
	again, err := Bootstrap(st, Sample{DatasetName: "s.csv", CSV: csv})
	if err != nil || again != nil {
		t.Errorf("second bootstrap did something: %+v %v", again, err)
	}
}
