package transform

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func editTable(t *testing.T) *table.Table {
	return table.MustNew(table.Schema{
		{Name: "id", Type: table.Int},
		{Name: "score", Type: table.Float},
		{Name: "code", Type: table.String},
		{Name: "flag", Type: table.Bool},
		{Name: "when", Type: table.Time},
	},
		ftCol(t, table.Int, int64(1), int64(0), nil),
		ftCol(t, table.Float, 2.0, 1.0, nil),
		ftCol(t, table.String, " 42", "", nil),
		ftCol(t, table.Bool, true, false, nil),
		ftCol(t, table.Time, "1970-01-01T00:00:01.5Z", "1969-12-31T23:59:59.5Z", nil),
	)
}

func TestEditMetadataConvert(t *testing.T) {
	tests := []struct {
		name   string
		column string
		to     string
		want   []any
	}{
		{"int to float", "id", "float", []any{1.0, 0.0, nil}},
		{"int to bool", "id", "bool", []any{true, false, nil}},
		{"int to string", "id", "string", []any{"1", "0", nil}},
		{"int to timestamp", "id", "timestamp", []any{time.Unix(1, 0).UTC(), time.Unix(0, 0).UTC(), nil}},
		{"float to int", "score", "int", []any{int64(2), int64(1), nil}},
		{"float to string", "score", "string", []any{"2", "1", nil}},
		{"string to int, spaces and empty", "code", "int", []any{int64(42), nil, nil}},
		{"string to float", "code", "float", []any{42.0, nil, nil}},
		{"bool to float", "flag", "float", []any{1.0, 0.0, nil}},
		{"bool to int", "flag", "int", []any{int64(1), int64(0), nil}},
		{"bool to string", "flag", "string", []any{"true", "false", nil}},
		{"timestamp to float", "when", "float", []any{1.5, -0.5, nil}},
		{"timestamp to int rounds down", "when", "int", []any{int64(1), int64(-1), nil}},
		{"timestamp to string", "when", "string", []any{"1970-01-01T00:00:01.5Z", "1969-12-31T23:59:59.5Z", nil}},
		{"unchanged type", "code", "string", []any{" 42", "", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{tt.column}, "type": tt.to}, editTable(t))
			out := res.Table(t, EditMetadata{}, "results")
			if got := ftValues(t, out, tt.column); !ftClose(got, tt.want) {
				t.Errorf("values = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEditMetadataTextToBoolAndTime(t *testing.T) {
	in := table.MustNew(table.Schema{{Name: "b", Type: table.String}, {Name: "t", Type: table.String}},
		ftCol(t, table.String, "Yes", "f", "TRUE"),
		ftCol(t, table.String, "2024-01-31", "2024-01-31 12:00:00", "2024-01-31T12:00:00+02:00"))
	res := moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{"b"}, "type": "bool"}, in)
	if got := ftValues(t, res.Table(t, EditMetadata{}, "results"), "b"); !ftClose(got, []any{true, false, true}) {
		t.Errorf("bools = %v", got)
	}
	res = moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{"t"}, "type": "timestamp"}, in)
	want := []any{
		time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC),
	}
	if got := ftValues(t, res.Table(t, EditMetadata{}, "results"), "t"); !ftClose(got, want) {
		t.Errorf("times = %v, want %v", got, want)
	}
}

func TestEditMetadataRenameAndFlags(t *testing.T) {
	res := moduletest.MustRun(t, EditMetadata{}, map[string]any{
		"columns": []string{"score", "id"}, "new_names": " points , key", "categorical": "categorical", "role": "label",
	}, editTable(t))
	out := res.Table(t, EditMetadata{}, "results")
	want := table.Schema{
		{Name: "key", Type: table.Int, Categorical: true, Role: table.Label},
		{Name: "points", Type: table.Float, Categorical: true, Role: table.Label},
		{Name: "code", Type: table.String},
		{Name: "flag", Type: table.Bool},
		{Name: "when", Type: table.Time},
	}
	if got := out.Schema(); !slices.Equal(got, want) {
		t.Errorf("schema = %v, want %v", got, want)
	}
	// Swapping two names is a valid rename.
	res = moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{"id", "score"}, "new_names": "score,id"}, editTable(t))
	if got := res.Table(t, EditMetadata{}, "results").Schema().Names()[:2]; !slices.Equal(got, []string{"score", "id"}) {
		t.Errorf("swapped names = %v", got)
	}
	res = moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{"key"}, "categorical": "not_categorical", "role": "ignore"}, out)
	if f, _ := res.Table(t, EditMetadata{}, "results").Schema().Field("key"); f.Categorical || f.Role != table.Ignore {
		t.Errorf("field = %+v, want non-categorical and ignored", f)
	}
}

func TestEditMetadataErrors(t *testing.T) {
	text := table.MustNew(table.Schema{{Name: "code", Type: table.String}}, ftCol(t, table.String, "1.5", "", "abc"))
	tests := []struct {
		name   string
		in     *table.Table // nil: editTable
		params map[string]any
		param  string // "" for a data error
		words  []string
	}{
		{"too few names", nil, map[string]any{"columns": []string{"id", "score"}, "new_names": "a"}, "new_names", []string{"1 names for 2", "id, score"}},
		{"name taken", nil, map[string]any{"columns": []string{"id"}, "new_names": "code"}, "new_names", []string{"code"}},
		{"empty name", nil, map[string]any{"columns": []string{"id", "score"}, "new_names": "a,"}, "new_names", []string{"empty"}},
		{"bool to timestamp", nil, map[string]any{"columns": []string{"flag"}, "type": "timestamp"}, "type", []string{`"flag"`}},
		{"no columns", nil, map[string]any{"columns": map[string]any{"rules": []any{map[string]any{"roles": []string{"score"}}}}}, "columns", []string{"no columns"}},
		{"text not a number", text, map[string]any{"columns": []string{"code"}, "type": "float"}, "", []string{`column "code", row 3`, `"abc"`, "float"}},
		{"float not whole", nil, map[string]any{"columns": []string{"score"}, "type": "bool"}, "", []string{`column "score", row 1`, "2", "bool"}},
	}
	in := editTable(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := in
			if tt.in != nil {
				src = tt.in
			}
			_, err := moduletest.Run(t, EditMetadata{}, tt.params, src)
			if tt.param != "" {
				ftWantParamErr(t, err, tt.param, tt.words...)
				return
			}
			ftWantErr(t, err, tt.words...)
		})
	}
	_, err := moduletest.Run(t, EditMetadata{}, map[string]any{"columns": []string{"height"}}, in)
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing column: err = %v", err)
	}
	big := table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, 1e300, math.NaN()))
	_, err = moduletest.Run(t, EditMetadata{}, map[string]any{"columns": []string{"x"}, "type": "int"}, big)
	ftWantErr(t, err, "row 1", "1e+300")
}

func TestEditMetadataEmptyTable(t *testing.T) {
	in := table.Empty(table.Schema{{Name: "s", Type: table.String}})
	res := moduletest.MustRun(t, EditMetadata{}, map[string]any{"columns": []string{"s"}, "type": "float", "new_names": "x"}, in)
	out := res.Table(t, EditMetadata{}, "results")
	if out.NumRows() != 0 || out.Field(0).Type != table.Float || out.Field(0).Name != "x" {
		t.Errorf("got %v with %d rows", out.Schema(), out.NumRows())
	}
}
