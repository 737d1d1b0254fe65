// Package static holds the browser assets of Trellis — stylesheets, the
// bundled scripts (built from src/ by esbuild, see package.json) and
// images — embedded in the binary and served under content-hashed URLs:
//
//	static.Path("dist/app.js") == "/static/dist/app.3f2a9c1b7e04.js"
//
// A hashed URL names one content forever, so it is served with a year-long
// immutable cache lifetime; a new build changes the hash and so the URL.
// A URL whose hash is not the current content's answers 404 rather than
// stale or wrong bytes. The unhashed path is served too, revalidated on every
// use, for references that cannot know the hash (url() in a stylesheet).
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed css dist img
var files embed.FS

// Prefix is the URL path under which Handler serves the assets.
const Prefix = "/static/"

// hashLen is the number of hex digits of the SHA-256 in a hashed name:
// 48 bits, far from colliding among a few versions of one file.
const hashLen = 12

// asset is one embedded file.
type asset struct {
	name   string // path in the embedded tree, e.g. "dist/app.js"
	hashed string // the same with the hash, e.g. "dist/app.3f2a9c1b7e04.js"
	etag   string
	ctype  string
	data   []byte

	gzipOnce sync.Once
	gzipped  []byte // nil when compressing does not pay
}

// catalog indexes the embedded files by name and by hashed name. It is
// built once: the embedded tree never changes while the process runs.
type catalog struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

var assets = sync.OnceValue(func() *catalog {
	c := &catalog{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		a := &asset{name: name, hashed: hashedName(name, h[:hashLen]), etag: `"` + h + `"`, ctype: contentType(name), data: data}
		c.byName[name] = a
		c.byHashed[a.hashed] = a
		return nil
	})
	if err != nil {
		// The tree is compiled in; reading it cannot fail.
		panic("static: read embedded assets: " + err.Error())
	}
	return c
})

// hashedName puts the hash before the last extension: "dist/app.js" →
// "dist/app.<hash>.js".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".map", ".json":
		return "application/json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Path returns the content-hashed URL of an embedded file named by its path
// under static/, such as "dist/app.js" or "css/app.css". A name that is not
// embedded gets its unhashed URL, which answers 404, so a typo shows as a
// missing asset rather than a broken page.
func Path(name string) string {
	name = strings.TrimPrefix(name, "/")
	if a := assets().byName[name]; a != nil {
		return Prefix + a.hashed
	}
	return Prefix + name
}

// Exists reports whether a file is embedded under the name.
func Exists(name string) bool {
	return assets().byName[strings.TrimPrefix(name, "/")] != nil
}

// Handler serves the embedded files at Prefix + hashed name with an
// immutable cache lifetime, and at Prefix + name revalidated by ETag.
// Anything else is 404. It answers GET and HEAD, ranges and
// If-None-Match, and sends text assets gzipped to clients that accept it.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	c := assets()
	h := w.Header()
	a := c.byHashed[name]
	switch {
	case a != nil:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	case c.byName[name] != nil:
		a = c.byName[name]
		h.Set("Cache-Control", "public, no-cache")
	default:
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	body := a.data
	if gz := a.compressed(); gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("ETag", `W/`+a.etag)
		body = gz
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// compressed returns the gzipped content of a text asset, compressed on
// first use, or nil when the asset is binary or too small to gain.
func (a *asset) compressed() []byte {
	a.gzipOnce.Do(func() {
		if len(a.data) < 1024 || !compressible(a.ctype) {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.data)
		_ = zw.Close()
		if buf.Len() < len(a.data)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "image/svg") || strings.HasPrefix(ctype, "application/json")
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}
