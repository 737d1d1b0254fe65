package server

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/trellis-studio/trellis/workflow"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/data"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
)

func readAll(t *testing.T, res modules.Resources, ref string) (string, modules.Source) {
	t.Helper()
	rc, src, err := res.Open(context.Background(), ref)
	if err != nil {
		t.Fatalf("open %s: %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), src
}

func TestResourcesOpenAndStat(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("Loans", loansCSV)
	v2 := `[{"id": 7}]`
	rec := c.doHeaders(http.MethodPost, "/api/v1/datasets/"+d.ID+"/versions", v2, map[string]string{"Content-Type": "application/json"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("new version: %d %s", rec.Code, rec.Body)
	}
	latest := decode[datasetJSON](t, rec)
	res := ts.srv.Resources()

	tests := []struct {
		ref         string
		wantContent string
		want        modules.Source
	}{
		{"Loans", v2, modules.Source{Name: "Loans@2", Format: "json", Size: int64(len(v2)), Fingerprint: "sha256:" + latest.Latest.Hash}},
		{"loans", v2, modules.Source{Name: "Loans@2", Format: "json", Size: int64(len(v2)), Fingerprint: "sha256:" + latest.Latest.Hash}},
		{"Loans@1", loansCSV, modules.Source{Name: "Loans@1", Format: "csv", Size: int64(len(loansCSV)), Fingerprint: "sha256:" + d.Latest.Hash}},
		{"Loans@2", v2, modules.Source{Name: "Loans@2", Format: "json", Size: int64(len(v2)), Fingerprint: "sha256:" + latest.Latest.Hash}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			content, src := readAll(t, res, tt.ref)
			// The whole file's columns, as checked at upload, come along.
			if len(src.Schema) == 0 || src.Schema[0].Name == "" {
				t.Errorf("open: no schema in %+v", src)
			}
			src.Schema = nil
			if content != tt.wantContent || !reflect.DeepEqual(src, tt.want) {
				t.Errorf("open: %q %+v, want %q %+v", content, src, tt.wantContent, tt.want)
			}
			st, err := res.Stat(context.Background(), tt.ref)
			st.Schema = nil
			if err != nil || !reflect.DeepEqual(st, tt.want) {
				t.Errorf("stat: %+v %v, want %+v", st, err, tt.want)
			}
		})
	}
}

func TestResourcesRefused(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	c.mustUpload("loans", loansCSV)
	c.mustUpload("people", "name\nann\n")
	res := ts.srv.Resources()
	tests := []struct {
		ref  string
		want []string // the error mentions each
	}{
		{"lons", []string{`"lons"`, `"loans"`, `"people"`}},
		{"loans@3", []string{`"loans"`, "no version 3", "latest is 1"}},
		// Files on the server's disk are never reachable, however named.
		{"/etc/passwd", []string{`"/etc/passwd"`}},
		{"../trellis.db", []string{`"../trellis.db"`}},
		{ts.store.Dir() + "/trellis.db", []string{"trellis.db"}},
		{"", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, _, openErr := res.Open(context.Background(), tt.ref)
			_, statErr := res.Stat(context.Background(), tt.ref)
			for _, err := range []error{openErr, statErr} {
				if err == nil {
					t.Fatalf("%q was found", tt.ref)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %s", err, w)
					}
				}
			}
		})
	}
	if _, err := res.Stat(context.Background(), "lons"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("an unknown dataset's error %v is not ErrNotFound", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := res.Stat(ctx, "loans"); !errors.Is(err, context.Canceled) {
		t.Errorf("stat with a canceled context: %v", err)
	}
}

func TestResourcesUnknownWithoutDatasets(t *testing.T) {
	ts := newTestServer(t)
	_, err := ts.srv.Resources().Stat(context.Background(), "loans")
	if err == nil || !strings.Contains(err.Error(), "no datasets yet") {
		t.Errorf("error %v, want one saying there are no datasets", err)
	}
}

func TestResourcesSplitRef(t *testing.T) {
	tests := []struct {
		give    string
		wantRef string
		wantN   int
	}{
		{"loans", "loans", 0},
		{"loans@2", "loans", 2},
		{"a@b@12", "a@b", 12},
		{"loans@", "loans@", 0},
		{"loans@0", "loans@0", 0},
		{"loans@-1", "loans@-1", 0},
		{"loans@+1", "loans@+1", 0},
		{"me@example.com", "me@example.com", 0},
	}
	for _, tt := range tests {
		if ref, n := splitRef(tt.give); ref != tt.wantRef || n != tt.wantN {
			t.Errorf("splitRef(%q) = %q, %d; want %q, %d", tt.give, ref, n, tt.wantRef, tt.wantN)
		}
	}
}

// TestResourcesImportData runs Import Data over the server's resources the
// way the engine does, and checks that its fingerprint follows new versions.
func TestResourcesImportData(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	d := c.mustUpload("people", "name\tage\nann\t31\nbob\t40\n")
	res := ts.srv.Resources()
	m := data.ImportData{}
	p, err := moduletest.Params(m, map[string]any{"source": "people"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc := modules.NewContext(ctx, modules.SpecOf(m), p, nil, nil, nil)
	rc.Resources = res
	if err := m.Run(rc); err != nil {
		t.Fatal(err)
	}
	tb := rc.Outputs()[0].(*table.Table)
	if got := tb.Schema().String(); got != "name:string, age:int" || tb.NumRows() != 2 {
		t.Errorf("imported %s with %d rows, want the TSV's two columns and rows", got, tb.NumRows())
	}
	fp1, err := m.Fingerprint(ctx, p, res)
	if err != nil {
		t.Fatal(err)
	}
	if rec := c.do(http.MethodPost, "/api/v1/datasets/"+d.ID+"/versions", "name\tage\ncy\t22\n"); rec.Code != http.StatusCreated {
		t.Fatalf("new version: %d %s", rec.Code, rec.Body)
	}
	fp2, err := m.Fingerprint(ctx, p, res)
	if err != nil || fp2 == fp1 {
		t.Errorf("fingerprint after a new version: %q (%v), before %q; want a change", fp2, err, fp1)
	}
}

// TestImportDataShowsTheUploadedColumns checks that the designer's schema
// for an uploaded dataset is the whole file's, checked at upload, not a
// guess from its first rows: here row 1,501 widens a column from int to
// float, as a run will read it.
func TestImportDataShowsTheUploadedColumns(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	c.mustUpload("counts", "n,label\n"+strings.Repeat("1,a\n", 1500)+"2.5,b\n")
	doc := &workflow.Workflow{Format: workflow.FormatVersion, Name: "Counts",
		Nodes: []workflow.Node{{ID: "import", Module: "import_data", Version: 1,
			Params: map[string]json.RawMessage{"source": json.RawMessage(`"counts"`)}}}}
	res := c.do(http.MethodPost, "/api/v1/validate", doc)
	if res.Code != http.StatusOK {
		t.Fatalf("validate: %d %s", res.Code, res.Body)
	}
	out := decode[validationJSON](t, res).Nodes["import"].Outputs["dataset"]
	if out == nil || out.Columns.String() != "n:float, label:string" {
		t.Errorf("import output shape = %+v, want n:float, label:string", out)
	}
}
