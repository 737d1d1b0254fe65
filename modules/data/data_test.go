package data

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runImport runs Import Data the way the engine does, with Resources, and
// checks that Infer (given the same Resources) predicted the schema.
func runImport(t *testing.T, res modules.Resources, params map[string]any) (*table.Table, []float64, error) {
	t.Helper()
	m := ImportData{}
	p, err := moduletest.Params(m, params)
	if err != nil {
		return nil, nil, err
	}
	spec := modules.SpecOf(m)
	ctx := context.Background()
	shapes, inferErr := m.Infer(&modules.InferContext{Spec: spec, Params: p, Resources: res, Ctx: ctx})
	var progress []float64
	rc := modules.NewContext(ctx, spec, p, nil, func(f float64) { progress = append(progress, f) }, nil)
	rc.Resources = res
	rc.Workers = 2
	if err := m.Run(rc); err != nil {
		return nil, progress, err
	}
	tb := rc.Outputs()[0].(*table.Table)
	if inferErr != nil {
		t.Fatalf("Infer failed (%v) where the run succeeded", inferErr)
	}
	if got, want := tb.Schema(), shapes[0].Schema; !slices.Equal(got, want) {
		t.Errorf("Infer predicted %v, the run produced %v", want, got)
	}
	return tb, progress, nil
}

func TestImportData(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "people.csv", "name,age,income\nann,31,52000.5\nbob,NA,61000\n")
	writeFile(t, dir, "people.tsv", "name\tage\nann\t31\n")
	writeFile(t, dir, "people.tab", "name\tage\nann\t31\n")
	writeFile(t, dir, "people.json", `[{"name":"ann","age":31},{"name":"bob","age":null}]`)
	writeFile(t, dir, "people.jsonl", "{\"name\":\"ann\",\"age\":31}\n{\"name\":\"bob\"}\n")
	writeFile(t, dir, "tabs.txt", "name\tage\nann\t31\n")
	writeFile(t, dir, "records.txt", "\n  {\"name\":\"ann\",\"age\":31}\n")
	writeFile(t, dir, "semi.txt", "name;age\nann;31\n")
	writeFile(t, dir, "noheader", "ann,31\nbob,45\n")
	writeFile(t, dir, "codes.csv", "code,when\n-999,2024-01-31\n7,?\n")
	abs := writeFile(t, t.TempDir(), "abs.csv", "x\n1\n")
	res := FileResources{Dir: dir}
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"csv", map[string]any{"source": "people.csv"}, "name:string, age:int, income:float; 2 rows"},
		{"tsv by extension", map[string]any{"source": "people.tsv"}, "name:string, age:int; 1 rows"},
		{"tab by extension", map[string]any{"source": "people.tab"}, "name:string, age:int; 1 rows"},
		{"json", map[string]any{"source": "people.json"}, "name:string, age:int; 2 rows"},
		{"json lines", map[string]any{"source": "people.jsonl"}, "name:string, age:int; 2 rows"},
		{"sniffed tsv", map[string]any{"source": "tabs.txt"}, "name:string, age:int; 1 rows"},
		{"sniffed json", map[string]any{"source": "records.txt"}, "name:string, age:int; 1 rows"},
		{"delimiter", map[string]any{"source": "semi.txt", "delimiter": ";"}, "name:string, age:int; 1 rows"},
		{"format overrides extension", map[string]any{"source": "tabs.txt", "format": "csv"}, "name\tage:string; 1 rows"},
		{"tsv format with a tab written \\t", map[string]any{"source": "semi.txt", "format": "csv", "delimiter": `\t`}, "name;age:string; 1 rows"},
		{"no header", map[string]any{"source": "noheader", "has_header": false}, "Col1:string, Col2:int; 2 rows"},
		{"no header with names", map[string]any{"source": "noheader", "has_header": false, "schema": "name:string, age:float"}, "name:string, age:float; 2 rows"},
		{"schema", map[string]any{"source": "people.csv", "schema": "age:float, name:string"}, "name:string, age:float, income:float; 2 rows"},
		{"schema on json", map[string]any{"source": "people.json", "schema": "age:float"}, "name:string, age:float; 2 rows"},
		{"missing values", map[string]any{"source": "codes.csv", "missing_values": "-999, ?"}, "code:int, when:timestamp; 2 rows"},
		{"absolute path", map[string]any{"source": abs}, "x:int; 1 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, progress, err := runImport(t, res, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if got := tb.Schema().String() + "; " + strconv.Itoa(tb.NumRows()) + " rows"; got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if len(progress) == 0 || progress[len(progress)-1] != 1 {
				t.Errorf("progress %v does not end at 1", progress)
			}
		})
	}
	tb, _, err := runImport(t, res, map[string]any{"source": "codes.csv", "missing_values": "-999, ?"})
	if err != nil || !tb.Column(0).Null(0) || !tb.Column(1).Null(1) {
		t.Errorf("custom missing values were not read as missing: %v", err)
	}
}

func TestImportDataErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.csv", "a,b\n1,2\n3\n")
	writeFile(t, dir, "typed.csv", "a,b\n1,2\nx,3\n")
	writeFile(t, dir, "nested.json", `[{"a":{"b":1}}]`)
	os.Mkdir(filepath.Join(dir, "folder"), 0o755)
	res := FileResources{Dir: dir}
	tests := []struct {
		name      string
		params    map[string]any
		wantParam string // the ParamError's parameter, or "" for a data error
		want      string
	}{
		{"missing file", map[string]any{"source": "nope.csv"}, "source", "no such file"},
		{"folder", map[string]any{"source": "folder"}, "source", "is a folder"},
		{"malformed", map[string]any{"source": "bad.csv"}, "", "bad.csv: line 3: expected 2 fields, found 1"},
		{"schema mismatch", map[string]any{"source": "typed.csv", "schema": "a:int"}, "", `typed.csv: line 3, column "a": cannot read "x" as int`},
		{"nested json", map[string]any{"source": "nested.json"}, "", `record 1, key "a"`},
		{"bad schema", map[string]any{"source": "bad.csv", "schema": "a:decimal"}, "schema", `entry 1 "a:decimal"`},
		{"schema without type", map[string]any{"source": "bad.csv", "schema": "a"}, "schema", "want name:type"},
		{"long delimiter", map[string]any{"source": "bad.csv", "delimiter": ";;"}, "delimiter", "not one character"},
		{"quote delimiter", map[string]any{"source": "bad.csv", "delimiter": `"`}, "delimiter", "cannot separate fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runImport(t, res, tt.params)
			var pe *modules.ParamError
			if isParam := errors.As(err, &pe); err == nil || isParam != (tt.wantParam != "") || isParam && pe.Param != tt.wantParam {
				t.Fatalf("err = %v, want a fault of parameter %q", err, tt.wantParam)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := moduletest.Params(ImportData{}, map[string]any{}); err == nil {
		t.Error("source is not required")
	}
	if _, err := moduletest.Params(ImportData{}, map[string]any{"source": "x", "format": "xml"}); err == nil {
		t.Error("format xml was accepted")
	}
	// Without Resources the run fails and inference knows nothing, without error.
	if _, err := moduletest.Run(t, ImportData{}, map[string]any{"source": "bad.csv"}); err == nil {
		t.Error("a run without resources succeeded")
	}
	shapes, err := moduletest.Infer(t, ImportData{}, map[string]any{"source": "bad.csv"})
	if err != nil || len(shapes) != 1 || shapes[0] != nil {
		t.Errorf("Infer without resources = %v, %v", shapes, err)
	}
	// Parameter errors still show without resources.
	if _, err := moduletest.Infer(t, ImportData{}, map[string]any{"source": "x", "schema": "a:blob"}); err == nil {
		t.Error("Infer ignored a bad schema")
	}
}

func TestImportDataInferReadsASample(t *testing.T) {
	// Infer stops after its sample, so a bad row further on is for the run to find.
	dir := t.TempDir()
	writeFile(t, dir, "big.csv", "a\n"+strings.Repeat("1\n", inferSampleRows+10)+"1,2\n")
	m := ImportData{}
	p, _ := moduletest.Params(m, map[string]any{"source": "big.csv"})
	shapes, err := m.Infer(&modules.InferContext{Spec: m.Spec(), Params: p, Resources: FileResources{Dir: dir}, Ctx: context.Background()})
	if err != nil || shapes[0].Schema.String() != "a:int" {
		t.Errorf("Infer = %v, %v", shapes, err)
	}
}

// knownSchema is a source that knows its whole data's columns and counts
// how often it is opened.
type knownSchema struct {
	FileResources
	schema table.Schema
	opens  *int
}

func (k knownSchema) Open(ctx context.Context, ref string) (io.ReadCloser, modules.Source, error) {
	*k.opens++
	return k.FileResources.Open(ctx, ref)
}

func (k knownSchema) Stat(ctx context.Context, ref string) (modules.Source, error) {
	src, err := k.FileResources.Stat(ctx, ref)
	src.Schema = k.schema
	return src, err
}

func TestImportDataInferUsesAKnownSchema(t *testing.T) {
	// The sample says int; the whole file (as the source knows it) says
	// float: with the default options the designer shows what a run reads.
	dir := t.TempDir()
	writeFile(t, dir, "big.csv", "a\n"+strings.Repeat("1\n", inferSampleRows+10)+"1.5\n")
	whole := table.Schema{{Name: "a", Type: table.Float}}
	tests := []struct {
		name   string
		params map[string]any
		want   string
		opens  int
	}{
		{"default options", map[string]any{"source": "big.csv"}, "a:float", 0},
		{"the source's own format", map[string]any{"source": "big.csv", "format": "csv"}, "a:float", 0},
		{"another format", map[string]any{"source": "big.csv", "format": "tsv"}, "a:int", 1},
		{"no header", map[string]any{"source": "big.csv", "has_header": false}, "Col1:string", 1},
		{"missing values", map[string]any{"source": "big.csv", "missing_values": "-"}, "a:int", 1},
		{"fixed types", map[string]any{"source": "big.csv", "schema": "a:float"}, "a:float", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opens := 0
			res := knownSchema{FileResources{Dir: dir}, whole, &opens}
			m := ImportData{}
			p, err := moduletest.Params(m, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			shapes, err := m.Infer(&modules.InferContext{Spec: m.Spec(), Params: p, Resources: res, Ctx: context.Background()})
			if err != nil || shapes[0].Schema.String() != tt.want || opens != tt.opens {
				t.Errorf("Infer = %v, %v after %d opens; want %s after %d", shapes[0].Schema, err, opens, tt.want, tt.opens)
			}
		})
	}
}

func TestImportDataCancel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", "a\n1\n")
	m := ImportData{}
	p, _ := moduletest.Params(m, map[string]any{"source": "a.csv"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rc := modules.NewContext(ctx, m.Spec(), p, nil, nil, nil)
	rc.Resources = FileResources{Dir: dir}
	if err := m.Run(rc); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.csv", "a\n1\n")
	m := ImportData{}
	p, _ := moduletest.Params(m, map[string]any{"source": "a.csv"})
	res := FileResources{Dir: dir}
	ctx := context.Background()
	fp1, err := m.Fingerprint(ctx, p, res)
	if err != nil || !strings.Contains(fp1, path) {
		t.Fatalf("fingerprint %q, %v", fp1, err)
	}
	if again, _ := m.Fingerprint(ctx, p, res); again != fp1 {
		t.Error("the fingerprint of an unchanged file changed")
	}
	os.WriteFile(path, []byte("a\n2\n"), 0o644) // same size
	os.Chtimes(path, time.Now(), time.Now().Add(time.Second))
	if fp2, _ := m.Fingerprint(ctx, p, res); fp2 == fp1 {
		t.Error("the fingerprint did not change with the file")
	}
	missing, _ := moduletest.Params(m, map[string]any{"source": "gone.csv"})
	var pe *modules.ParamError
	if _, err := m.Fingerprint(ctx, missing, res); !errors.As(err, &pe) || pe.Param != "source" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := m.Fingerprint(ctx, p, nil); err == nil {
		t.Error("fingerprint without resources succeeded")
	}
}

func TestFileResources(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "x.TSV", "a\tb\n")
	res := FileResources{Dir: dir}
	ctx := context.Background()
	rc, src, err := res.Open(ctx, "x.TSV")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if src.Name != "x.TSV" || src.Format != "tsv" || src.Size != 4 || src.Fingerprint == "" {
		t.Errorf("source = %+v", src)
	}
	st, err := res.Stat(ctx, filepath.Join(dir, "x.TSV"))
	if err != nil || !reflect.DeepEqual(st, src) {
		t.Errorf("Stat = %+v, %v; want %+v", st, err, src)
	}
	for _, ref := range []string{"", "  ", "nope.csv"} {
		if _, _, err := res.Open(ctx, ref); err == nil {
			t.Errorf("Open(%q) succeeded", ref)
		}
		if _, err := res.Stat(ctx, ref); err == nil {
			t.Errorf("Stat(%q) succeeded", ref)
		}
	}
	if _, err := res.Stat(ctx, "."); err == nil {
		t.Error("Stat of a folder succeeded")
	}
	for name, want := range map[string]string{"a.csv": "csv", "a.tab": "tsv", "a.JSONL": "json", "a.ndjson": "json", "a.txt": "", "a": ""} {
		if got := FormatOfName(name); got != want {
			t.Errorf("FormatOfName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEnterData(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"csv", map[string]any{"data": "name, age\nann, 31\nbob, 45\n"}, "name:string, age:int\nann|31\nbob|45"},
		{"tsv", map[string]any{"data": "name\tscore\nann\t1.5", "format": "tsv"}, "name:string, score:float\nann|1.5"},
		{"json", map[string]any{"data": `[{"ok":true},{"ok":false}]`, "format": "json"}, "ok:bool\ntrue\nfalse"},
		{"no header", map[string]any{"data": "1,2", "has_header": false}, "Col1:int, Col2:int\n1|2"},
		{"missing values", map[string]any{"data": "a,b\nNA,x\n1,\n"}, "a:int, b:string\n∅|x\n1|∅"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, EnterData{}, tt.params)
			tb := res.Table(t, EnterData{}, "dataset")
			if got := render(tb); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEnterDataErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"empty", map[string]any{"data": "  \n"}, "is empty"},
		{"ragged", map[string]any{"data": "a,b\n1,2\n3\n"}, "line 3: expected 2 fields, found 1"},
		{"unterminated quote", map[string]any{"data": "a\n\"x\n"}, `line 2, column "a": quoted field never closed`},
		{"bad json", map[string]any{"data": `[{"a":1},]`, "format": "json"}, "record 2"},
		{"duplicate header", map[string]any{"data": "a,a\n1,2"}, `both named "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, EnterData{}, tt.params)
			var pe *modules.ParamError
			if !errors.As(err, &pe) || pe.Param != "data" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a fault of parameter data containing %q", err, tt.want)
			}
			if _, err := moduletest.Infer(t, EnterData{}, tt.params); err == nil {
				t.Error("Infer accepted what the run refused")
			}
		})
	}
}

func render(tb *table.Table) string {
	var b strings.Builder
	b.WriteString(tb.Schema().String())
	for r := range tb.NumRows() {
		b.WriteString("\n")
		for i := range tb.NumCols() {
			if i > 0 {
				b.WriteString("|")
			}
			if tb.Column(i).Null(r) {
				b.WriteString("∅")
			} else {
				b.WriteString(tb.Column(i).Format(r))
			}
		}
	}
	return b.String()
}

func TestParseSchema(t *testing.T) {
	good := map[string]string{
		"age:int, joined:timestamp, city:string": "age:int, joined:timestamp, city:string",
		" a : float ,":                           "a:float",
		"ratio:a:b:double":                       "ratio:a:b:float",
		"":                                       "",
	}
	for in, want := range good {
		s, err := ParseSchema(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseSchema(%q) = %v, %v; want %s", in, s, err, want)
		}
	}
	bad := map[string]string{
		"age":            "want name:type",
		":int":           "the column name is empty",
		"a:int, b:blob":  `entry 2 "b:blob"`,
		"a:int, a:float": `duplicate column name "a"`,
	}
	for in, want := range bad {
		if _, err := ParseSchema(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchema(%q) err = %v, want %q", in, err, want)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]rune{"": 0, `\t`: '\t', "tab": '\t', "\t": '\t', ";": ';', "|": '|'} {
		if got, err := parseDelimiter(in); err != nil || got != want {
			t.Errorf("parseDelimiter(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{";;", "é", `"`, "\n"} {
		if _, err := parseDelimiter(in); err == nil {
			t.Errorf("parseDelimiter(%q) succeeded", in)
		}
	}
	if got := parseMissing(" NA, ,?,"); !slices.Equal(got, []string{"NA", "?"}) {
		t.Errorf("parseMissing = %q", got)
	}
}

func TestSpecs(t *testing.T) {
	if _, err := modules.NewRegistry(ImportData{}, EnterData{}); err != nil {
		t.Fatal(err)
	}
	for m, required := range map[modules.Module]string{ImportData{}: "source", EnterData{}: "data"} {
		for _, p := range m.Spec().Params {
			if p.Example == "" {
				continue
			}
			if _, err := moduletest.Params(m, map[string]any{required: "x", p.Name: p.Example}); err != nil {
				t.Errorf("%s: example of %s: %v", m.Spec().ID, p.Name, err)
			}
		}
	}
	if _, err := ParseSchema(mustParam(ImportData{}, "schema").Example); err != nil {
		t.Errorf("schema example: %v", err)
	}
}

func mustParam(m modules.Module, name string) modules.Param {
	p, _ := m.Spec().Param(name)
	return p
}
