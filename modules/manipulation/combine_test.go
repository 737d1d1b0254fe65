package manipulation

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestAddRows(t *testing.T) {
	a := table.MustNew(table.Schema{{Name: "id", Type: table.Int, Role: table.Label}, {Name: "name", Type: table.String}},
		table.NewInts([]int64{1, 2}, nil), table.NewStrings([]string{"a", ""}, nulls(2, 1)))
	b := table.MustNew(table.Schema{{Name: "name", Type: table.String}, {Name: "id", Type: table.Int}},
		table.NewStrings([]string{"c"}, nil), table.NewInts([]int64{3}, nil))
	got := runTable(t, AddRows{}, nil, a, b)
	wantNames(t, got, "id", "name")
	wantRows(t, got, []string{"1|a", "2|null", "3|c"})
	if got.Field(0).Role != table.Label {
		t.Errorf("the first dataset's metadata was not kept: %v", got.Schema())
	}
	wantRows(t, runTable(t, AddRows{}, nil, a, table.Empty(b.Schema())), []string{"1|a", "2|null"})

	tests := []struct {
		name      string
		b         *table.Table
		fragments []string
	}{
		{"missing column", table.MustNew(table.Schema{{Name: "id", Type: table.Int}}, table.NewInts([]int64{3}, nil)),
			[]string{`"name"`, "second dataset lacks"}},
		{"type differs", table.MustNew(table.Schema{{Name: "id", Type: table.Float}, {Name: "name", Type: table.String}},
			table.NewFloats([]float64{3}, nil), table.NewStrings([]string{"c"}, nil)),
			[]string{`column "id" is int in the first dataset but float in the second`}},
		{"extra column", table.MustNew(table.Schema{{Name: "id", Type: table.Int}, {Name: "name", Type: table.String}, {Name: "zip", Type: table.String}},
			table.NewInts([]int64{3}, nil), table.NewStrings([]string{"c"}, nil), table.NewStrings([]string{"z"}, nil)),
			[]string{`"zip"`, "which the first lacks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, AddRows{}, nil, a, tt.b)
			wantErrText(t, err, tt.fragments...)
			_, ierr := moduletest.Infer(t, AddRows{}, nil, a.Schema(), tt.b.Schema())
			wantErrText(t, ierr, tt.fragments...)
		})
	}
	_, err := moduletest.Run(t, AddRows{}, nil, a, table.MustNew(table.Schema{{Name: "id", Type: table.Int}}, table.NewInts([]int64{3}, nil)))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing column error %v does not wrap ErrColumnNotFound", err)
	}
}

func TestAddColumns(t *testing.T) {
	a := table.MustNew(table.Schema{{Name: "x", Type: table.Int}, {Name: "x (2)", Type: table.String}},
		table.NewInts([]int64{1, 2}, nil), table.NewStrings([]string{"a", "b"}, nil))
	b := table.MustNew(table.Schema{{Name: "y", Type: table.Float}, {Name: "x", Type: table.Bool}},
		table.NewFloats([]float64{0.5, 0}, nulls(2, 1)), table.NewBools([]bool{true, false}, nil))
	got := runTable(t, AddColumns{}, nil, a, b)
	wantNames(t, got, "x", "x (2)", "y", "x (3)")
	wantRows(t, got, []string{"1|a|0.5|true", "2|b|null|false"})

	_, err := moduletest.Run(t, AddColumns{}, nil, a, b.Slice(0, 1))
	wantErrText(t, err, "left dataset has 2 rows", "right one has 1")
}

func TestRemoveDuplicateRows(t *testing.T) {
	in := table.MustNew(table.Schema{{Name: "k", Type: table.String}, {Name: "n", Type: table.Int}, {Name: "row", Type: table.Int}},
		table.NewStrings([]string{"a", "b", "a", "", "", "a"}, nulls(6, 3, 4)),
		table.NewInts([]int64{1, 1, 1, 2, 2, 2}, nil),
		table.NewInts([]int64{1, 2, 3, 4, 5, 6}, nil))
	tests := []struct {
		name   string
		params map[string]any
		rows   []string
	}{
		{"whole rows", map[string]any{}, []string{"a|1|1", "b|1|2", "a|1|3", "null|2|4", "null|2|5", "a|2|6"}},
		{"one key keeps first", map[string]any{"columns": "k"}, []string{"a|1|1", "b|1|2", "null|2|4"}},
		{"one key keeps last", map[string]any{"columns": "k", "keep": "last"}, []string{"b|1|2", "null|2|5", "a|2|6"}},
		{"two keys", map[string]any{"columns": []string{"k", "n"}}, []string{"a|1|1", "b|1|2", "null|2|4", "a|2|6"}},
		{"int key, keep last", map[string]any{"columns": "n", "keep": "last"}, []string{"a|1|3", "a|2|6"}},
		{"empty selector means all", map[string]any{"columns": ""}, []string{"a|1|1", "b|1|2", "a|1|3", "null|2|4", "null|2|5", "a|2|6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRows(t, runTable(t, RemoveDuplicateRows{}, tt.params, in), tt.rows)
		})
	}
	wantRows(t, runTable(t, RemoveDuplicateRows{}, map[string]any{"columns": "k"}, table.Empty(in.Schema())), nil)
	_, err := moduletest.Run(t, RemoveDuplicateRows{}, map[string]any{"columns": "kk"}, in)
	wantParamErr(t, err, "columns", `"kk"`)
}

func TestSortData(t *testing.T) {
	in := table.MustNew(table.Schema{{Name: "s", Type: table.String}, {Name: "x", Type: table.Float}, {Name: "b", Type: table.Bool}, {Name: "row", Type: table.Int}},
		table.NewStrings([]string{"b", "a", "", "b", "a", "B"}, nulls(6, 2)),
		table.NewFloats([]float64{2, 1, 3, 0, 1, 5}, nulls(6, 3)),
		table.NewBools([]bool{true, false, true, false, true, false}, nil),
		table.NewInts([]int64{1, 2, 3, 4, 5, 6}, nil))
	tests := []struct {
		name   string
		params map[string]any
		rows   []int64 // the "row" column after sorting
	}{
		{"one string column", map[string]any{"columns": "s"}, []int64{3, 6, 2, 5, 1, 4}},
		{"one string column descending", map[string]any{"columns": "s", "descending": true}, []int64{1, 4, 2, 5, 6, 3}},
		{"float with null", map[string]any{"columns": "x"}, []int64{4, 2, 5, 1, 3, 6}},
		{"float descending", map[string]any{"columns": "x", "descending": true}, []int64{6, 3, 1, 2, 5, 4}},
		{"two columns", map[string]any{"columns": []string{"s", "x"}}, []int64{3, 6, 2, 5, 4, 1}},
		{"two columns descending", map[string]any{"columns": []string{"s", "x"}, "descending": true}, []int64{1, 4, 2, 5, 6, 3}},
		{"bool", map[string]any{"columns": "b"}, []int64{2, 4, 6, 1, 3, 5}},
		{"bool descending is stable", map[string]any{"columns": "b", "descending": true}, []int64{1, 3, 5, 2, 4, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runTable(t, SortData{}, tt.params, in)
			rows, _, _ := got.Lookup("row")
			for i, want := range tt.rows {
				if r := rows.(*table.Ints).At(i); r != want {
					t.Fatalf("rows = %v, want %v", rows.(*table.Ints).Data(), tt.rows)
				}
			}
		})
	}
	wantRows(t, runTable(t, SortData{}, map[string]any{"columns": "x"}, table.Empty(in.Schema())), nil)
	_, err := moduletest.Run(t, SortData{}, map[string]any{"columns": []string{"s", "nope"}}, in)
	wantParamErr(t, err, "columns", `"nope"`)
}

func BenchmarkSortData1M(b *testing.B) {
	const n = 1 << 20
	x, s := make([]float64, n), make([]int64, n)
	for i := range x {
		x[i], s[i] = float64((i*7919)%n), int64(i%1000)
	}
	in := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "k", Type: table.Int}}, table.NewFloats(x, nil), table.NewInts(s, nil))
	b.Run("one column", func(b *testing.B) {
		for b.Loop() {
			moduletest.MustRun(b, SortData{}, map[string]any{"columns": "x"}, in)
		}
	})
	b.Run("two columns", func(b *testing.B) {
		for b.Loop() {
			moduletest.MustRun(b, SortData{}, map[string]any{"columns": []string{"k", "x"}}, in)
		}
	})
}

// TestSortedRowsMatchesStableSort checks every sorting path (radix, string
// pairs, comparators) against a plain stable sort by Column.Compare.
func TestSortedRowsMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 300
	f, i, s, b := make([]float64, n), make([]int64, n), make([]string, n), make([]bool, n)
	fv, iv := table.NewBitmap(n), table.NewBitmap(n)
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, -1e300, 1e-300}
	for r := range n {
		f[r] = float64(rng.IntN(7)) - 3.5
		if rng.IntN(5) == 0 {
			f[r] = specials[rng.IntN(len(specials))]
		}
		i[r] = rng.Int64N(9) - 4
		if rng.IntN(20) == 0 {
			i[r] = math.MinInt64 + rng.Int64N(2)
		}
		s[r] = string(rune('a' + rng.IntN(4)))
		b[r] = rng.IntN(2) == 0
		fv.Set(r, rng.IntN(8) != 0)
		iv.Set(r, rng.IntN(8) != 0)
	}
	cols := map[string]table.Column{
		"f": table.NewFloats(f, fv), "i": table.NewInts(i, iv), "t": table.NewTimes(i, nil),
		"s": table.NewStrings(s, iv), "b": table.NewBools(b, fv),
	}
	for _, keys := range [][]string{{"f"}, {"i"}, {"t"}, {"s"}, {"b"}, {"b", "f"}, {"i", "b", "f"}, {"s", "f"}, {"b", "s", "i"}} {
		for _, desc := range []bool{false, true} {
			sel := make([]table.Column, len(keys))
			for k, name := range keys {
				sel[k] = cols[name]
			}
			want := make([]int, n)
			for r := range want {
				want[r] = r
			}
			slices.SortStableFunc(want, func(x, y int) int {
				for _, c := range sel {
					if d := c.Compare(x, y); d != 0 {
						if desc {
							return -d
						}
						return d
					}
				}
				return 0
			})
			if got := sortedRows(sel, n, desc); !slices.Equal(got, want) {
				t.Errorf("sort by %v (descending %v):\n got  %v\n want %v", keys, desc, got, want)
			}
		}
	}
}
