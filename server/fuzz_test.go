package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// fuzzRequest has the kinds of field request bodies have: text, numbers of
// several widths, optional values, enumerations, lists, maps, raw JSON and
// a whole workflow document.
type fuzzRequest struct {
	Name     string                     `json:"name"`
	Count    int                        `json:"count"`
	Small    int8                       `json:"small"`
	Ratio    float64                    `json:"ratio"`
	Enabled  *bool                      `json:"enabled"`
	Role     *storage.Role              `json:"role"`
	Tags     []string                   `json:"tags"`
	Params   map[string]json.RawMessage `json:"params"`
	Nested   struct{ X uint }           `json:"nested"`
	Workflow *workflow.Workflow         `json:"workflow"`
}

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name": "a", "count": 3, "tags": ["x"], "params": {"k": [1, {"z": null}]}}`,
		`{"workflow": {"format": 1, "name": "w", "nodes": [{"id": "n", "module": "import_data", "version": 1, "params": {"source": "loans"}}], "edges": []}}`,
		`{"role": "admin", "enabled": true, "nested": {"X": 1}}`,
		`{"small": 300}`, `{"count": 1e400}`, `{"count": "3"}`, `{"unknown": 1}`,
		`{"name": "a"} {"name": "b"}`, `{"name": "a"`, `[1, 2]`, `null`, ``, "\xff\xfe", `{"name": "\ud800"}`,
	} {
		f.Add([]byte(seed), "application/json", uint16(0))
	}
	f.Add([]byte(`{"name": "a"}`), "text/plain", uint16(0))
	f.Add([]byte(`{"name": "a", "tags": ["long enough to pass the limit"]}`), "", uint16(10))
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte, contentType string, limit uint16) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		if limit > 0 {
			req.Body = http.MaxBytesReader(rec, req.Body, int64(limit))
		}
		var v fuzzRequest
		err := decodeJSON(e.NewContext(req, rec), &v)
		if err == nil {
			return
		}
		if ae := classify(err); ae.Status >= 500 || ae.Status < 400 || ae.Code == "" || ae.Message == "" {
			t.Fatalf("decodeJSON(%q) gave %v, classified as %d %s %q", body, err, ae.Status, ae.Code, ae.Message)
		}
	})
}

func FuzzDatasetUpload(f *testing.F) {
	for _, seed := range []string{
		loansCSV, "a\tb\n1\t2\n", `[{"a": 1, "b": "x"}]`, "{\"a\": 1}\n{\"a\": 2.5}\n",
		"a,b\n1,2,3\n", "a,b\n\"open\n", "a,a\n1,2\n", `[{"a": {"b": 1}}]`, `[{"a": 1},`,
		"", "\ufeff", "\ufeffx\r\n1\r\n", "\x00\x01\x02", "a\n" + string(make([]byte, 300)),
	} {
		for format := range uint8(5) {
			f.Add([]byte(seed), format, format%2 == 0)
		}
	}
	srv, st, token := newFuzzServer(f)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, format uint8, multipartForm bool) {
		n++
		datasetsBefore, blobsBefore := countDatasets(t, st), countBlobFiles(t, st)
		query := fmt.Sprintf("?name=fuzz-%d", n)
		if fm := [...]string{"", "csv", "tsv", "json", "xlsx"}[format%5]; fm != "" {
			query += "&format=" + fm
		}
		reqBody, contentType := body, ""
		if multipartForm {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			w, err := mw.CreateFormFile("file", "data")
			if err != nil {
				t.Fatal(err)
			}
			w.Write(body)
			mw.Close()
			reqBody, contentType = buf.Bytes(), mw.FormDataContentType()
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/datasets"+query, bytes.NewReader(reqBody))
		req.Host = "127.0.0.1:8080"
		req.Header.Set("Authorization", "Bearer "+token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)

		switch {
		case rec.Code == http.StatusCreated:
			d := decode[datasetJSON](t, rec)
			// Clean up, so that each input starts from the same store.
			if err := st.DeleteDataset(d.ID); err != nil {
				t.Fatal(err)
			}
		case rec.Code >= 400 && rec.Code < 500:
			if got := countDatasets(t, st); got != datasetsBefore {
				t.Errorf("a refused upload (%d %s) changed the datasets from %d to %d", rec.Code, rec.Body, datasetsBefore, got)
			}
		default:
			t.Fatalf("upload of %q (format %d, multipart %v): %d %s", body, format, multipartForm, rec.Code, rec.Body)
		}
		if got := countBlobFiles(t, st); got != blobsBefore {
			t.Errorf("blob files went from %d to %d (answer %d %s)", blobsBefore, got, rec.Code, rec.Body)
		}
	})
}

// newFuzzServer is newTestServer for a fuzz target, which lives as long as
// the *testing.F; it returns an author's API token, which needs no login
// (and no password hashing) per input.
func newFuzzServer(f *testing.F) (*Server, *storage.Store, string) {
	st, err := storage.Open(f.TempDir(), storage.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	reg, err := builtin.Registry()
	if err != nil {
		f.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg, Cache: workflow.NewMemoryCache(1 << 20)}
	srv, err := New(Config{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, MaxUploadBytes: 1 << 20}, st, reg, eng, nil)
	if err != nil {
		f.Fatal(err)
	}
	eng.Resources = srv.Resources()
	u, err := st.CreateUser(storage.User{Username: "fuzzer", PasswordHash: "unused", Role: storage.RoleAuthor})
	if err != nil {
		f.Fatal(err)
	}
	token, _, err := st.CreateToken(u.ID, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	return srv, st, token
}

func countDatasets(t *testing.T, st *storage.Store) int {
	t.Helper()
	ds, err := st.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	return len(ds)
}

// countBlobFiles counts the files in the blob store, temporary ones included.
func countBlobFiles(t *testing.T, st *storage.Store) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(st.Dir(), "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
