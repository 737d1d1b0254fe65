package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

const loansCSV = "id,amount,grade\n1,1000.5,A\n2,250,B\n3,,A\n"

// upload sends a raw upload to the datasets route and returns the answer.
func (c *client) upload(query string, body any, headers map[string]string) *httptest.ResponseRecorder {
	c.ts.t.Helper()
	return c.doHeaders(http.MethodPost, "/api/v1/datasets"+query, body, headers)
}

// mustUpload uploads a CSV under a name and returns the created dataset.
func (c *client) mustUpload(name, csv string) datasetJSON {
	c.ts.t.Helper()
	rec := c.upload("?name="+name, csv, nil)
	if rec.Code != http.StatusCreated {
		c.ts.t.Fatalf("upload %s: %d %s", name, rec.Code, rec.Body)
	}
	return decode[datasetJSON](c.ts.t, rec)
}

// multipartBody builds a form with the fields in order, the file last.
func multipartBody(t *testing.T, fields map[string]string, filename, fileType, content string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, filename)}
	if fileType != "" {
		h["Content-Type"] = []string{fileType}
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// blobFiles counts the files in the blob store, temporary ones included.
func blobFiles(t *testing.T, ts *testServer) int {
	t.Helper()
	return countBlobFiles(t, ts.store)
}

// wantError checks a failure's status, code and that its message mentions want.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code, want string) Error {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	e := decode[apiError](t, rec).Error
	if e.Code != code || !strings.Contains(e.Message, want) {
		t.Fatalf("error %s %q, want code %s and a message mentioning %q", e.Code, e.Message, code, want)
	}
	return e
}

func TestDatasetUploadFormats(t *testing.T) {
	jsonArray := `[{"id": 1, "ok": true}, {"id": 2, "ok": false}]`
	jsonLines := "{\"id\": 1, \"ok\": true}\n{\"id\": 2, \"ok\": null}\n"
	tsv := "id\tname\n1\tAda\n2\tBob\n3\tCy\n"
	tests := []struct {
		name       string
		query      string
		body       string
		headers    map[string]string
		wantName   string
		wantFormat string
		wantRows   int
		wantSchema string
	}{
		{"raw csv named in the query", "?name=loans", loansCSV, nil, "loans", "csv", 3, `[{"name":"id","type":"int"},{"name":"amount","type":"float"},{"name":"grade","type":"string"}]`},
		{"raw csv named by Content-Disposition", "", loansCSV, map[string]string{"Content-Disposition": `attachment; filename="loans.csv"`}, "loans.csv", "csv", 3, `[{"name":"id","type":"int"},{"name":"amount","type":"float"},{"name":"grade","type":"string"}]`},
		{"file name with spaces around", "", loansCSV, map[string]string{"Content-Disposition": `attachment; filename=" loans.csv "`}, "loans.csv", "csv", 3, `[{"name":"id","type":"int"},{"name":"amount","type":"float"},{"name":"grade","type":"string"}]`},
		{"raw tsv by format parameter", "?name=people&format=tsv", tsv, nil, "people", "tsv", 3, `[{"name":"id","type":"int"},{"name":"name","type":"string"}]`},
		{"raw tsv sniffed", "?name=people", tsv, nil, "people", "tsv", 3, `[{"name":"id","type":"int"},{"name":"name","type":"string"}]`},
		{"raw json by Content-Type", "?name=flags", jsonArray, map[string]string{"Content-Type": "application/json"}, "flags", "json", 2, `[{"name":"id","type":"int"},{"name":"ok","type":"bool"}]`},
		{"raw json lines sniffed", "?name=flags", jsonLines, nil, "flags", "json", 2, `[{"name":"id","type":"int"},{"name":"ok","type":"bool"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			rec := ts.login(storage.RoleAuthor).upload(tt.query, tt.body, tt.headers)
			if rec.Code != http.StatusCreated {
				t.Fatalf("upload: %d %s", rec.Code, rec.Body)
			}
			d := decode[datasetJSON](t, rec)
			schema, _ := json.Marshal(d.Latest.Schema)
			if d.Name != tt.wantName || d.Latest.Format != tt.wantFormat || d.Latest.Rows != tt.wantRows || string(schema) != tt.wantSchema {
				t.Errorf("got %s %s %d rows %s; want %s %s %d rows %s", d.Name, d.Latest.Format, d.Latest.Rows, schema, tt.wantName, tt.wantFormat, tt.wantRows, tt.wantSchema)
			}
			if d.Latest.Number != 1 || d.Latest.Size != int64(len(tt.body)) || d.Latest.Author != "author1" || d.CreatedBy != "author1" {
				t.Errorf("version %+v: want number 1, size %d, by author1", d.Latest, len(tt.body))
			}
		})
	}
}

func TestDatasetUploadMultipart(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		fields     map[string]string
		filename   string
		fileType   string
		content    string
		wantName   string
		wantFormat string
		wantCols   int
	}{
		{"name from the file name", "", nil, "loans.csv", "text/csv", loansCSV, "loans.csv", "csv", 3},
		{"name and format fields", "", map[string]string{"name": "flags", "format": "json"}, "blob.bin", "application/octet-stream", `[{"a": 1}]`, "flags", "json", 1},
		{"query wins over fields", "?name=q", map[string]string{"name": "field"}, "x.csv", "", loansCSV, "q", "csv", 3},
		{"format from a Windows path", "", nil, `C:\data\table.tsv`, "", "a\tb\n1\t2\n", "table.tsv", "tsv", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			body, ct := multipartBody(t, tt.fields, tt.filename, tt.fileType, tt.content)
			rec := ts.login(storage.RoleAuthor).upload(tt.query, body, map[string]string{"Content-Type": ct})
			if rec.Code != http.StatusCreated {
				t.Fatalf("upload: %d %s", rec.Code, rec.Body)
			}
			d := decode[datasetJSON](t, rec)
			if d.Name != tt.wantName || d.Latest.Format != tt.wantFormat || d.Latest.Columns != tt.wantCols || d.Latest.Size != int64(len(tt.content)) {
				t.Errorf("got %s %s %d columns %d bytes; want %s %s %d columns %d bytes", d.Name, d.Latest.Format, d.Latest.Columns, d.Latest.Size, tt.wantName, tt.wantFormat, tt.wantCols, len(tt.content))
			}
		})
	}
}

func TestDatasetUploadWithToken(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.withToken(storage.RoleAuthor).upload("?name=loans", loansCSV, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload with a token: %d %s", rec.Code, rec.Body)
	}
}

func TestDatasetUploadRefused(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		body      any
		headers   map[string]string
		wantCode  int
		wantErr   string
		wantField string
		wantText  string
	}{
		{"wrong field count", "?name=bad", "a,b\n1,2\n3,4,5\n", nil, 400, CodeInvalidData, "", "line 3"},
		{"bare quote", "?name=bad", "a,b\n1,x\"y\n", nil, 400, CodeInvalidData, "b", `line 2, column "b"`},
		{"unclosed quote", "?name=bad", "a,b\n1,\"open\n", nil, 400, CodeInvalidData, "b", "never closed"},
		{"duplicate header", "?name=bad", "a,a\n1,2\n", nil, 400, CodeInvalidData, "", "a"},
		{"json with a nested value", "?name=bad&format=json", `[{"a": {"b": 1}}]`, nil, 400, CodeInvalidData, "", "record 1"},
		{"malformed json", "?name=bad&format=json", `[{"a": 1},`, nil, 400, CodeInvalidData, "", "record 2"},
		{"empty body", "?name=bad", "", nil, 400, CodeInvalidData, "", "empty"},
		{"unknown format", "?name=bad&format=xlsx", loansCSV, nil, 400, CodeInvalidField, "format", "xlsx"},
		{"no name", "", loansCSV, nil, 400, CodeInvalidField, "name", "name the dataset"},
		{"name with @", "?name=a@2", loansCSV, nil, 400, CodeInvalidField, "name", "@"},
		{"name with a slash", "?name=a/b", loansCSV, nil, 400, CodeInvalidField, "name", "/"},
		{"name like a parameter", "?name=$p", loansCSV, nil, 400, CodeInvalidField, "name", "$"},
		{"multipart without boundary", "?name=x", "--x\r\n", map[string]string{"Content-Type": "multipart/form-data"}, 400, CodeBadRequest, "", "boundary"},
		{"malformed multipart", "?name=x", "not a form at all", map[string]string{"Content-Type": "multipart/form-data; boundary=zzz"}, 400, CodeInvalidField, "file", "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			rec := ts.login(storage.RoleAuthor).upload(tt.query, tt.body, tt.headers)
			e := wantError(t, rec, tt.wantCode, tt.wantErr, tt.wantText)
			if e.Field != tt.wantField {
				t.Errorf("field %q, want %q", e.Field, tt.wantField)
			}
			if ds, _ := ts.store.Datasets(); len(ds) != 0 || blobFiles(t, ts) != 0 {
				t.Errorf("a refused upload left %d datasets and %d blob files", len(ds), blobFiles(t, ts))
			}
		})
	}
}

func TestDatasetUploadFormWithoutFilePart(t *testing.T) {
	ts := newTestServer(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("name", "x")
	mw.Close()
	rec := ts.login(storage.RoleAuthor).upload("", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
	e := wantError(t, rec, 400, CodeInvalidField, `part named "file"`)
	if e.Field != "file" {
		t.Errorf("field %q, want file", e.Field)
	}
}

func TestDatasetUploadDuplicateName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	c.mustUpload("loans", loansCSV)
	// Names are compared without regard to case.
	rec := c.upload("?name=LOANS", "a\n1\n", nil)
	wantError(t, rec, http.StatusConflict, CodeExists, "LOANS")
	if n := blobFiles(t, ts); n != 1 {
		t.Errorf("%d blob files, want the first upload's only", n)
	}
}

func TestDatasetUploadTooLarge(t *testing.T) {
	ts := newTestServer(t)
	limit := ts.srv.cfg.MaxUploadBytes
	big := "a\n" + strings.Repeat("1\n", int(limit/2)+1)

	t.Run("declared length", func(t *testing.T) {
		body := bytes.NewBufferString(big) // httptest sets Content-Length from a Buffer
		rec := ts.login(storage.RoleAuthor).upload("?name=big", body, nil)
		wantError(t, rec, http.StatusRequestEntityTooLarge, CodeTooLarge, "limit")
		if body.Len() != len(big) {
			t.Errorf("%d bytes of the body were read before refusing it", len(big)-body.Len())
		}
	})
	t.Run("streamed", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(big)) // hides the length
		rec := ts.login(storage.RoleAuthor).upload("?name=big", body, nil)
		wantError(t, rec, http.StatusRequestEntityTooLarge, CodeTooLarge, "limit")
	})
	t.Run("streamed multipart", func(t *testing.T) {
		form, ct := multipartBody(t, nil, "big.csv", "text/csv", big)
		rec := ts.login(storage.RoleAuthor).upload("?name=big", io.MultiReader(form), map[string]string{"Content-Type": ct})
		wantError(t, rec, http.StatusRequestEntityTooLarge, CodeTooLarge, "limit")
	})
	if ds, _ := ts.store.Datasets(); len(ds) != 0 || blobFiles(t, ts) != 0 {
		t.Errorf("oversized uploads left %d datasets and %d blob files", len(ds), blobFiles(t, ts))
	}
}

func TestDatasetAccess(t *testing.T) {
	ts := newTestServer(t)
	author, viewer, anonymous := ts.login(storage.RoleAuthor), ts.login(storage.RoleViewer), ts.anonymous()
	d := author.mustUpload("loans", loansCSV)
	crossSite := ts.login(storage.RoleAuthor)
	crossSite.fetchSite = "cross-site"
	tests := []struct {
		name   string
		caller *client
		method string
		path   string
		body   any
		want   int
	}{
		{"viewer lists", viewer, http.MethodGet, "/api/v1/datasets", nil, 200},
		{"viewer previews", viewer, http.MethodGet, "/api/v1/datasets/" + d.ID + "/preview", nil, 200},
		{"viewer downloads", viewer, http.MethodGet, "/api/v1/datasets/" + d.ID + "/download", nil, 200},
		{"viewer cannot upload", viewer, http.MethodPost, "/api/v1/datasets?name=v", loansCSV, 403},
		{"viewer cannot add a version", viewer, http.MethodPost, "/api/v1/datasets/" + d.ID + "/versions", loansCSV, 403},
		{"viewer cannot delete", viewer, http.MethodDelete, "/api/v1/datasets/" + d.ID, nil, 403},
		{"anonymous cannot list", anonymous, http.MethodGet, "/api/v1/datasets", nil, 401},
		{"anonymous cannot upload", anonymous, http.MethodPost, "/api/v1/datasets?name=a", loansCSV, 401},
		{"anonymous cannot download", anonymous, http.MethodGet, "/api/v1/datasets/" + d.ID + "/download", nil, 401},
		{"cross-site upload with a session", crossSite, http.MethodPost, "/api/v1/datasets?name=x", loansCSV, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := tt.caller.do(tt.method, tt.path, tt.body); rec.Code != tt.want {
				t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, rec.Code, tt.want, rec.Body)
			}
		})
	}
	if ds, _ := ts.store.Datasets(); len(ds) != 1 {
		t.Errorf("%d datasets, want only the author's", len(ds))
	}
}

func TestDatasetListAndGet(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	b := c.mustUpload("beta", loansCSV)
	c.mustUpload("Alpha", "x\n1\n")
	list := decode[[]datasetJSON](t, c.do(http.MethodGet, "/api/v1/datasets", nil))
	if len(list) != 2 || list[0].Name != "Alpha" || list[1].Name != "beta" {
		t.Fatalf("list = %+v, want Alpha then beta", list)
	}
	for _, ref := range []string{b.ID, "beta"} {
		rec := c.do(http.MethodGet, "/api/v1/datasets/"+ref, nil)
		if rec.Code != 200 || decode[datasetJSON](t, rec).ID != b.ID {
			t.Errorf("get %s: %d %s", ref, rec.Code, rec.Body)
		}
	}
	wantError(t, c.do(http.MethodGet, "/api/v1/datasets/nope", nil), 404, CodeNotFound, "nope")
}

func TestDatasetPreviewPages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	var csv strings.Builder
	csv.WriteString("n,sq\n")
	for i := range 250 {
		fmt.Fprintf(&csv, "%d,%d\n", i, i*i)
	}
	d := ts.login(storage.RoleAuthor).mustUpload("squares", csv.String())

	type page struct {
		Dataset   string
		Version   int
		Rows      int
		Offset    int
		Data      [][]float64
		Truncated bool
		Columns   []ColumnPreview
	}
	tests := []struct {
		query         string
		wantOffset    int
		wantLen       int
		wantFirst     float64
		wantTruncated bool
	}{
		{"", 0, 100, 0, true},
		{"?offset=100&limit=100", 100, 100, 100, true},
		{"?offset=200&limit=100", 200, 50, 200, false},
		{"?offset=240&limit=5", 240, 5, 240, true},
		{"?limit=1000", 0, 250, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview"+tt.query, nil)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			p := decode[page](t, rec)
			if p.Rows != 250 || p.Offset != tt.wantOffset || len(p.Data) != tt.wantLen || p.Data[0][0] != tt.wantFirst || p.Truncated != tt.wantTruncated {
				t.Errorf("rows %d offset %d len %d first %v truncated %v; want 250 %d %d %v %v",
					p.Rows, p.Offset, len(p.Data), p.Data[0][0], p.Truncated, tt.wantOffset, tt.wantLen, tt.wantFirst, tt.wantTruncated)
			}
			if p.Dataset != d.ID || p.Version != 1 || len(p.Columns) != 2 || p.Columns[1].Stats.Count != 250 {
				t.Errorf("dataset %s version %d columns %+v", p.Dataset, p.Version, p.Columns)
			}
		})
	}

	bad := []struct{ query, field string }{
		{"?limit=1001", "limit"},
		{"?limit=0", "limit"},
		{"?offset=-1", "offset"},
		{"?offset=x", "offset"},
		{"?version=0", "version"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			rec := c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview"+tt.query, nil)
			if e := wantError(t, rec, 400, CodeInvalidField, tt.field); e.Field != tt.field {
				t.Errorf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
	wantError(t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview?version=7", nil), 404, CodeNotFound, "version 7")
}

func TestDatasetStatistics(t *testing.T) {
	ts := newTestServer(t)
	d := ts.login(storage.RoleAuthor).mustUpload("small", "x,s,b\n1,a,true\n2,b,false\n3,a,true\n4,,\n")
	rec := ts.login(storage.RoleViewer).do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/statistics", nil)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := decode[struct {
		Rows    int
		Columns []ColumnPreview
	}](t, rec)
	if got.Rows != 4 || len(got.Columns) != 3 {
		t.Fatalf("rows %d columns %d, want 4 and 3", got.Rows, len(got.Columns))
	}
	x, s, b := got.Columns[0].Stats, got.Columns[1].Stats, got.Columns[2].Stats
	checks := []struct {
		name      string
		got, want any
	}{
		{"x type", got.Columns[0].Type, "int"},
		{"x count", x.Count, 4},
		{"x mean", *x.Mean, 2.5},
		{"x min", *x.Min, 1.0},
		{"x median", *x.Median, 2.5},
		{"x max", *x.Max, 4.0},
		{"x q1", *x.Q1, 1.75},
		{"x q3", *x.Q3, 3.25},
		{"x std", fmt.Sprintf("%.6f", *x.Std), "1.290994"},
		{"x unique", x.Unique, 4},
		{"s missing", s.Missing, 1},
		{"s unique", s.Unique, 2},
		{"s mode", s.Mode, "a"},
		{"s histogram", fmt.Sprint(s.Histogram), fmt.Sprint([]Bin{{Label: "a", Count: 2}, {Label: "b", Count: 1}})},
		{"s mean", s.Mean, (*float64)(nil)},
		{"b type", got.Columns[2].Type, "bool"},
		{"b mode", b.Mode, "true"},
		{"b missing", b.Missing, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if strings.Contains(rec.Body.String(), `"data"`) {
		t.Error("statistics must not carry rows")
	}
}

func TestDatasetDownloadRoundTrip(t *testing.T) {
	ts := newTestServer(t)
	author := ts.login(storage.RoleAuthor)
	// Bytes a parser would normalize: a BOM, CRLF, quoting, trailing spaces.
	v1 := "\ufeffid,\"note\"\r\n1,\"a, \"\"quoted\"\" note\"\r\n2,plain  \r\n"
	d := author.mustUpload("notes.csv", v1)
	v2 := `[{"id": 1}]`
	rec := author.doHeaders(http.MethodPost, "/api/v1/datasets/"+d.ID+"/versions", v2, map[string]string{"Content-Type": "application/json"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("new version: %d %s", rec.Code, rec.Body)
	}
	tests := []struct {
		query, wantBody, wantType, wantFile string
	}{
		{"?version=1", v1, "text/csv; charset=utf-8", `attachment; filename=notes.csv`},
		{"", v2, "application/json", `attachment; filename=notes.csv.json`},
	}
	viewer := ts.login(storage.RoleViewer)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := viewer.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/download"+tt.query, nil)
			if rec.Code != 200 || rec.Body.String() != tt.wantBody {
				t.Fatalf("%d %q, want the uploaded bytes %q", rec.Code, rec.Body, tt.wantBody)
			}
			if ct, cd := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"); ct != tt.wantType || cd != tt.wantFile {
				t.Errorf("Content-Type %q Content-Disposition %q, want %q and %q", ct, cd, tt.wantType, tt.wantFile)
			}
		})
	}
	// A resumed download asks for a range.
	rec = viewer.doHeaders(http.MethodGet, "/api/v1/datasets/"+d.ID+"/download?version=1", nil, map[string]string{"Range": "bytes=3-4"})
	if rec.Code != http.StatusPartialContent || rec.Body.String() != v1[3:5] {
		t.Errorf("range: %d %q, want 206 %q", rec.Code, rec.Body, v1[3:5])
	}
}

func TestDatasetVersions(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("loans", loansCSV)
	// The new version keeps the dataset's format when nothing says otherwise.
	rec := c.do(http.MethodPost, "/api/v1/datasets/loans/versions", "id,amount,grade\n9,1,C\n")
	if rec.Code != http.StatusCreated {
		t.Fatalf("new version: %d %s", rec.Code, rec.Body)
	}
	if got := decode[datasetJSON](t, rec); got.ID != d.ID || got.Latest.Number != 2 || got.Latest.Rows != 1 {
		t.Errorf("after a new version: %+v", got)
	}
	vs := decode[[]versionJSON](t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/versions", nil))
	if len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 || vs[1].Rows != 3 {
		t.Errorf("versions = %+v, want 2 then 1", vs)
	}
	type page struct {
		Version int
		Data    [][]any
	}
	p := decode[page](t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview?version=1", nil))
	if p.Version != 1 || len(p.Data) != 3 {
		t.Errorf("preview of version 1: %+v", p)
	}
	p = decode[page](t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview", nil))
	if p.Version != 2 || len(p.Data) != 1 || p.Data[0][2] != "C" {
		t.Errorf("preview of the latest: %+v", p)
	}
	wantError(t, c.do(http.MethodPost, "/api/v1/datasets/"+d.ID+"/versions", "a,b\n1\n"), 400, CodeInvalidData, "line 2")
	wantError(t, c.do(http.MethodPost, "/api/v1/datasets/nope/versions", loansCSV), 404, CodeNotFound, "nope")
	if vs, _ := ts.store.DatasetVersions(d.ID); len(vs) != 2 {
		t.Errorf("%d versions after refused uploads, want 2", len(vs))
	}
}

func TestDatasetDelete(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("loans", loansCSV)
	if rec := c.do(http.MethodDelete, "/api/v1/datasets/"+d.ID, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	wantError(t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID, nil), 404, CodeNotFound, d.ID)
	wantError(t, c.do(http.MethodDelete, "/api/v1/datasets/"+d.ID, nil), 404, CodeNotFound, d.ID)
	if n := blobFiles(t, ts); n != 0 {
		t.Errorf("%d blob files left after delete", n)
	}
	entries, err := ts.store.Audit("", 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "dataset.") {
			actions = append(actions, e.Action+" "+e.Target+" by "+e.Actor)
		}
	}
	want := []string{"dataset.upload loans by author1", "dataset.delete loans by author1"}
	if !sameSet(actions, want) {
		t.Errorf("audit = %q, want %q", actions, want)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestDatasetDeleteInUse(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("loans", loansCSV)
	doc := &workflow.Workflow{
		Format: 1,
		Name:   "Loan model",
		Nodes: []workflow.Node{{ID: "in", Module: "import_data", Version: 1,
			Params: map[string]json.RawMessage{"source": json.RawMessage(`"loans"`)}}},
		Edges: []workflow.Edge{},
	}
	if _, err := ts.store.CreateWorkflow(doc, "author1"); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.do(http.MethodDelete, "/api/v1/datasets/"+d.ID, nil), http.StatusConflict, CodeInUse, `"Loan model"`)
	got := decode[datasetJSON](t, c.do(http.MethodGet, "/api/v1/datasets/"+d.ID, nil))
	if len(got.UsedBy) != 1 || got.UsedBy[0].WorkflowName != "Loan model" {
		t.Errorf("used_by = %+v, want the workflow", got.UsedBy)
	}
}

// TestDatasetUploadLegacyCSRFForm covers a browser without Fetch Metadata
// that sends its CSRF token as a form field: the CSRF check has parsed the
// form by the time the handler runs.
func TestDatasetUploadLegacyCSRFForm(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	c.fetchSite = ""
	c.do(http.MethodGet, "/api/v1/me", nil) // sets the CSRF cookie
	var token string
	for name, ck := range c.cookies {
		if strings.Contains(name, "csrf") {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no CSRF cookie was set")
	}
	body, ct := multipartBody(t, map[string]string{"_csrf": token, "name": "legacy"}, "legacy.csv", "text/csv", loansCSV)
	rec := c.upload("", body, map[string]string{"Content-Type": ct, "X-CSRF-Token": ""})
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	if d := decode[datasetJSON](t, rec); d.Name != "legacy" || d.Latest.Rows != 3 {
		t.Errorf("got %s with %d rows, want legacy with 3", d.Name, d.Latest.Rows)
	}
}

func TestDatasetAddressedByName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("my%20loans", loansCSV)
	if d.Name != "my loans" {
		t.Fatalf("name %q, want the query unescaped", d.Name)
	}
	for _, path := range []string{"/api/v1/datasets/my%20loans", "/api/v1/datasets/MY%20LOANS/statistics"} {
		if rec := c.do(http.MethodGet, path, nil); rec.Code != 200 {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func TestDatasetTableCache(t *testing.T) {
	tc := newTableCache(100, 2)
	loads := map[string]int{}
	load := func(key string, err error) func() (*table.Table, error) {
		return func() (*table.Table, error) {
			loads[key]++
			return table.Empty(table.Schema{{Name: key, Type: table.Int}}), err
		}
	}
	get := func(key string, size int64) {
		t.Helper()
		ct, err := tc.get(key, size, load(key, nil))
		if err != nil || ct.table.Field(0).Name != key {
			t.Fatalf("get %s: %v", key, err)
		}
	}
	get("a", 10)
	get("a", 10)
	get("b", 10)
	get("c", 10) // a is the least recently used and goes: at most 2 entries
	get("b", 10)
	get("a", 10)
	get("huge", 40) // costs twice its size: b, the least recent, goes to make room
	get("huge", 40)
	get("b", 10)
	get("too big", 1000) // never kept
	get("too big", 1000)
	want := map[string]int{"a": 2, "b": 2, "c": 1, "huge": 1, "too big": 2}
	if fmt.Sprint(loads) != fmt.Sprint(want) {
		t.Errorf("loads = %v, want %v", loads, want)
	}

	failure := errors.New("disk on fire")
	if _, err := tc.get("bad", 1, load("bad", failure)); !errors.Is(err, failure) {
		t.Fatalf("failed load: %v", err)
	}
	get("bad", 1) // a failure is not kept
	if loads["bad"] != 2 {
		t.Errorf("bad loaded %d times, want 2", loads["bad"])
	}
}

func TestDatasetTableCacheLoadsOnce(t *testing.T) {
	tc := newTableCache(1<<20, 4)
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tc.get("k", 1, func() (*table.Table, error) {
				loads.Add(1)
				<-release
				return table.Empty(nil), nil
			})
		})
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("loaded %d times by concurrent callers, want once", n)
	}
}

// TestDatasetPreviewColdCache previews a version whose table is not cached,
// as after a restart: it is parsed from the stored blob.
func TestDatasetPreviewColdCache(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("loans", loansCSV)
	ts.srv.tables.forget(tableKey(d.Latest.Format, d.Latest.Hash))
	rec := c.do(http.MethodGet, "/api/v1/datasets/"+d.ID+"/preview?limit=1", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"data":[[1,1000.5,"A"]]`) {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}
