package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// testServer is a server over a fresh store with one user per role, driven
// through ServeHTTP.
type testServer struct {
	t     *testing.T
	srv   *Server
	store *storage.Store
	users map[storage.Role]*storage.User
}

const testPassword = "correct horse battery"

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg, Cache: workflow.NewMemoryCache(64 << 20)}
	srv, err := New(Config{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, MaxUploadBytes: 4 << 20}, st, reg, eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng.Resources = srv.Resources()
	ts := &testServer{t: t, srv: srv, store: st, users: map[storage.Role]*storage.User{}}
	for _, role := range []storage.Role{storage.RoleAdmin, storage.RoleAuthor, storage.RoleViewer} {
		u, err := CreateUser(st, string(role)+"1", testPassword, role)
		if err != nil {
			t.Fatal(err)
		}
		ts.users[role] = u
	}
	return ts
}

// client is a browser-like caller: it keeps cookies and sends the CSRF
// header, or uses a bearer token.
type client struct {
	ts      *testServer
	cookies map[string]*http.Cookie
	token   string
	// fetchSite, when set, is sent as Sec-Fetch-Site.
	fetchSite string
}

// anonymous returns a client like a current browser on our own pages: it
// sends Sec-Fetch-Site: same-origin. Set fetchSite to "" for a legacy client
// that must use the CSRF token instead, or "cross-site" for an attacker's page.
func (ts *testServer) anonymous() *client {
	return &client{ts: ts, cookies: map[string]*http.Cookie{}, fetchSite: "same-origin"}
}

// login returns a client logged in as the user of the role.
func (ts *testServer) login(role storage.Role) *client {
	ts.t.Helper()
	c := ts.anonymous()
	res := c.do(http.MethodPost, "/api/v1/login", map[string]string{"username": ts.users[role].Username, "password": testPassword})
	if res.Code != http.StatusOK {
		ts.t.Fatalf("login as %s: %d %s", role, res.Code, res.Body)
	}
	return c
}

// withToken returns a client authenticating with a new API token of the role's user.
func (ts *testServer) withToken(role storage.Role) *client {
	ts.t.Helper()
	secret, _, err := ts.store.CreateToken(ts.users[role].ID, "test")
	if err != nil {
		ts.t.Fatal(err)
	}
	return &client{ts: ts, cookies: map[string]*http.Cookie{}, token: secret, fetchSite: ""}
}

// do sends a request; body may be nil, a string or []byte (sent as is), an
// io.Reader, or a value encoded as JSON.
func (c *client) do(method, path string, body any) *httptest.ResponseRecorder {
	c.ts.t.Helper()
	return c.doHeaders(method, path, body, nil)
}

func (c *client) doHeaders(method, path string, body any, headers map[string]string) *httptest.ResponseRecorder {
	c.ts.t.Helper()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.ts.t.Fatal(err)
		}
		r = bytes.NewReader(data)
		contentType = "application/json"
	}
	req := httptest.NewRequest(method, path, r)
	req.Host = "127.0.0.1:8080"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", c.fetchSite)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
		if strings.Contains(ck.Name, "csrf") && method != http.MethodGet {
			req.Header.Set("X-CSRF-Token", ck.Value)
		}
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	c.ts.srv.Handler().ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

// decode parses a JSON response body into v, failing the test on error.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// apiError is the error body every failure has.
type apiError struct {
	Error Error `json:"error"`
}
