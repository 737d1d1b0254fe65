package static

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, path string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

func TestPathIsContentHashed(t *testing.T) {
	p := Path("dist/app.js")
	if !regexp.MustCompile(`^/static/dist/app\.[0-9a-f]{12}\.js$`).MatchString(p) {
		t.Fatalf("Path(dist/app.js) = %q", p)
	}
	if Path("/dist/app.js") != p {
		t.Error("a leading slash changes the path")
	}
	if got := Path("dist/missing.js"); got != "/static/dist/missing.js" {
		t.Errorf("missing file: %q", got)
	}
	if Path("css/app.css") == Path("img/logo.svg") {
		t.Error("two files share a URL")
	}
}

func TestHashedURLIsImmutable(t *testing.T) {
	rec := get(t, Path("dist/app.js"), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	want, _ := files.ReadFile("dist/app.js")
	if rec.Body.String() != string(want) {
		t.Error("body is not the embedded file")
	}
	etag := rec.Header().Get("ETag")
	again := get(t, Path("dist/app.js"), map[string]string{"If-None-Match": etag})
	if again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", again.Code)
	}
}

func TestUnknownHashIsNotFound(t *testing.T) {
	for _, path := range []string{
		"/static/dist/app.000000000000.js",
		"/static/dist/nothing.js",
		"/static/../static.go",
		"/static/",
		"/elsewhere/dist/app.js",
	} {
		if rec := get(t, path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, rec.Code)
		}
	}
}

func TestUnhashedURLRevalidates(t *testing.T) {
	rec := get(t, "/static/css/app.css", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, no-cache" {
		t.Errorf("status %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if got := rec.Header().Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
}

func TestGzip(t *testing.T) {
	rec := get(t, Path("dist/app.js"), map[string]string{"Accept-Encoding": "br, gzip"})
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("headers %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := files.ReadFile("dist/app.js")
	if string(got) != string(want) {
		t.Error("gzipped body differs from the file")
	}
	if rec := get(t, Path("dist/app.js"), map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent though refused with q=0")
	}
}

func TestMethods(t *testing.T) {
	req := httptest.NewRequest(http.MethodHead, Path("css/app.css"), nil)
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
	req = httptest.NewRequest(http.MethodPost, Path("css/app.css"), nil)
	rec = httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// TestBundlesAreBuilt fails when a bundle the pages link is missing from
// dist/ (run make assets).
func TestBundlesAreBuilt(t *testing.T) {
	for _, name := range []string{"dist/app.js", "dist/designer.js", "css/app.css", "img/logo.svg"} {
		if !Exists(name) {
			t.Errorf("%s is not embedded", name)
		}
	}
}
