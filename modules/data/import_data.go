package data

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trellis-studio/trellis/modules"
)

// inferSampleRows is how many rows Infer reads to predict the schema.
const inferSampleRows = 1000

// ImportData reads a dataset or file through the run's Resources.
type ImportData struct{}

var (
	_ modules.Runner        = ImportData{}
	_ modules.Fingerprinter = ImportData{}
)

var textFormats = &modules.Condition{Param: "format", Values: []string{"auto", "csv", "tsv"}}

// Spec implements modules.Module.
func (ImportData) Spec() modules.Spec {
	return modules.Spec{
		ID: "import_data", Version: 1, Name: "Import Data", Category: modules.CategoryDataIO,
		Summary: "Reads a dataset or a CSV, TSV or JSON file.",
		Help: "Reads an uploaded dataset by name, or a file by path (relative paths are resolved against " +
			"the data folder when a workflow runs headless). CSV and TSV follow RFC 4180: quoted fields may " +
			"hold delimiters, quotes (doubled) and line breaks. JSON is an array of records or one record " +
			"per line. Column types are inferred from the first 1000 rows — bool, int, float, timestamp " +
			"or string — and a later value that does not fit widens the column (int to float, anything " +
			"to string); the schema parameter fixes types instead. For an uploaded dataset read with the " +
			"default options the designer shows the columns of the whole file, found when it was uploaded; " +
			"otherwise it predicts them from the first 1000 rows, so a file whose later rows widen a column " +
			"shows the wider type only after a run. The file is read again whenever it changes.",
		Outputs: []modules.Port{{Name: "dataset", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "source", Label: "Data source", Type: modules.ParamString, Required: true,
				Help: "The dataset's name, or the file's path.", Example: "loans.csv"},
			{Name: "format", Label: "Format", Type: modules.ParamChoice, Default: "auto", Choices: formatChoices(true),
				Help: "How the data is written. Automatic uses the dataset's type or the file extension " +
					"(.csv, .tsv, .tab, .json, .jsonl), else looks at the first bytes."},
			{Name: "has_header", Label: "First row is the header", Type: modules.ParamBool, Default: true, ShowIf: textFormats,
				Help: "Whether the first row names the columns. Without a header columns are named Col1, Col2, …"},
			{Name: "delimiter", Label: "Delimiter", Type: modules.ParamString, ShowIf: textFormats,
				Help: "The character between fields, overriding the format's (comma for CSV, tab for TSV). " +
					`Write \t for a tab.`, Example: ";"},
			{Name: "missing_values", Label: "Missing values", Type: modules.ParamString, ShowIf: textFormats,
				Help: "Comma-separated texts that mean a missing value, replacing the defaults " +
					"(NA, N/A, #N/A, NaN, nan, null, NULL). An empty field is always missing.", Example: "NA, -999, ?"},
			{Name: "schema", Label: "Column types", Type: modules.ParamString,
				Help: "Fixes the types of some columns instead of inferring them, as name:type pairs " +
					"(types: int, float, string, bool, timestamp). A value that does not fit is an error. " +
					"Without a header row the pairs name the columns in order.",
				Example: "age:int, joined:timestamp, city:string"},
		},
	}
}

// importOptions reads the parameters; its errors are their faults.
func importOptions(p modules.Params) (textOptions, error) {
	o := textOptions{format: p.String("format")}
	o.csv.NoHeader = !p.Bool("has_header")
	d, err := parseDelimiter(p.String("delimiter"))
	if err != nil {
		return o, modules.ParamErr("delimiter", err)
	}
	o.csv.Delimiter = d
	if p.Has("missing_values") && strings.TrimSpace(p.String("missing_values")) != "" {
		o.csv.MissingTokens = parseMissing(p.String("missing_values"))
	}
	if s := p.String("schema"); strings.TrimSpace(s) != "" {
		sch, err := ParseSchema(s)
		if err != nil {
			return o, modules.ParamErr("schema", err)
		}
		o.csv.Schema, o.json.Schema = sch, sch
	}
	return o, nil
}

// Infer implements modules.Module: it reads the first rows through the
// Resources to predict the columns; without Resources the shape is unknown.
func (ImportData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	o, err := importOptions(ic.Params)
	if err != nil {
		return nil, err
	}
	if ic.Resources == nil {
		return []*modules.Shape{nil}, nil
	}
	ctx := ic.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ref := ic.Params.String("source")
	if defaultOptions(ic.Params) {
		// The whole data's columns, when the source knows them, are what a
		// run will read: no sample can widen differently.
		if src, err := ic.Resources.Stat(ctx, ref); err == nil && src.Schema != nil &&
			(ic.Params.String("format") == "auto" || ic.Params.String("format") == src.Format) {
			return []*modules.Shape{modules.TableShape(src.Schema.Clone())}, nil
		}
	}
	rc, src, err := ic.Resources.Open(ctx, ref)
	if err != nil {
		return nil, modules.ParamErr("source", err)
	}
	defer rc.Close()
	o.csv.MaxRows, o.json.MaxRecords = inferSampleRows, inferSampleRows
	o.csv.Workers = 1
	t, err := readText(ctxReader{ctx, rc}, o, formatHint(src, ref))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sourceName(src, ref), err)
	}
	return []*modules.Shape{modules.TableShape(t.Schema())}, nil
}

// defaultOptions reports whether the parameters read the data as an upload
// is checked: a header row, the format's delimiter, the default missing-value
// texts and inferred types.
func defaultOptions(p modules.Params) bool {
	return p.Bool("has_header") && p.String("delimiter") == "" &&
		strings.TrimSpace(p.String("missing_values")) == "" && strings.TrimSpace(p.String("schema")) == ""
}

// Run implements modules.Runner.
func (ImportData) Run(rc *modules.Context) error {
	o, err := importOptions(rc.Params)
	if err != nil {
		return err
	}
	if rc.Resources == nil {
		return errors.New("this run has no data sources to import from")
	}
	ref := rc.Params.String("source")
	r, src, err := rc.Resources.Open(rc.Ctx, ref)
	if err != nil {
		return modules.ParamErr("source", err)
	}
	defer r.Close()
	if src.Size > 0 {
		size := float64(src.Size)
		progress := func(n int64) { rc.Progress(min(float64(n)/size, 1)) }
		o.csv.Progress, o.json.Progress = progress, progress
	}
	o.csv.SizeHint = src.Size
	o.csv.Workers = rc.Workers
	t, err := readText(ctxReader{rc.Ctx, r}, o, formatHint(src, ref))
	if err != nil {
		if ctxErr := rc.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("%s: %w", sourceName(src, ref), err)
	}
	rc.Progress(1)
	rc.Log().Info("imported", "source", sourceName(src, ref), "rows", t.NumRows(), "columns", t.NumCols())
	rc.SetOutput("dataset", t)
	return nil
}

// Fingerprint implements modules.Fingerprinter: the source's own
// fingerprint, so a changed file or a new dataset version is read again.
func (ImportData) Fingerprint(ctx context.Context, p modules.Params, res modules.Resources) (string, error) {
	if res == nil {
		return "", errors.New("no data sources to fingerprint")
	}
	src, err := res.Stat(ctx, p.String("source"))
	if err != nil {
		return "", modules.ParamErr("source", err)
	}
	if src.Fingerprint == "" {
		return "", fmt.Errorf("data source %s has no fingerprint", sourceName(src, p.String("source")))
	}
	return src.Fingerprint, nil
}

func formatHint(src modules.Source, ref string) string {
	switch src.Format {
	case "csv", "tsv", "json":
		return src.Format
	}
	if f := FormatOfName(src.Name); f != "" {
		return f
	}
	return FormatOfName(ref)
}

func sourceName(src modules.Source, ref string) string {
	if src.Name != "" {
		return src.Name
	}
	return ref
}
