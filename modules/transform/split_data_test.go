package transform

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// splitTable has n rows with id 0..n-1; class is "a" for every third row,
// "b" otherwise, and missing for every tenth.
func splitTable(n int) *table.Table {
	ids := make([]int64, n)
	cls := make([]string, n)
	valid := table.NewBitmap(n)
	for i := range n {
		ids[i] = int64(i)
		cls[i] = "b"
		if i%3 == 0 {
			cls[i] = "a"
		}
		if i%10 == 9 {
			valid.Set(i, false)
		}
	}
	return table.MustNew(table.Schema{{Name: "id", Type: table.Int}, {Name: "class", Type: table.String, Role: table.Label}},
		table.NewInts(ids, nil), table.NewStrings(cls, valid))
}

func splitRun(t *testing.T, params map[string]any, in *table.Table) (first, second []string) {
	t.Helper()
	res := moduletest.MustRun(t, SplitData{}, params, in)
	a, b := res.Table(t, SplitData{}, "first"), res.Table(t, SplitData{}, "second")
	if !slices.Equal(a.Schema(), in.Schema()) || !slices.Equal(b.Schema(), in.Schema()) {
		t.Errorf("schemas changed: %v / %v", a.Schema(), b.Schema())
	}
	if a.NumRows()+b.NumRows() != in.NumRows() {
		t.Fatalf("%d + %d rows from %d", a.NumRows(), b.NumRows(), in.NumRows())
	}
	return rxValues(t, a, "id"), rxValues(t, b, "id")
}

func splitIDs(ids ...int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

func TestSplitDataRows(t *testing.T) {
	tests := []struct {
		name          string
		params        map[string]any
		n             int
		first, second []string
	}{
		{"head", map[string]any{"fraction": 0.5, "randomize": false}, 6, splitIDs(0, 1, 2), splitIDs(3, 4, 5)},
		{"rounds", map[string]any{"fraction": 0.25, "randomize": false}, 6, splitIDs(0, 1), splitIDs(2, 3, 4, 5)},
		{"none", map[string]any{"fraction": 0.0}, 4, nil, splitIDs(0, 1, 2, 3)},
		{"all", map[string]any{"fraction": 1.0}, 4, splitIDs(0, 1, 2, 3), nil},
		{"empty", map[string]any{"fraction": 0.5}, 0, nil, nil},
		// Golden output: a change here means the same seed no longer gives
		// the same split, which breaks every saved experiment.
		{"seed 42", map[string]any{"fraction": 0.4, "seed": 42}, 10, splitIDs(0, 3, 5, 8), splitIDs(1, 2, 4, 6, 7, 9)},
		{"stratified head", map[string]any{"fraction": 0.5, "randomize": false, "stratify": true, "stratify_column": "class"}, 10,
			splitIDs(0, 1, 2, 3, 4, 9), splitIDs(5, 6, 7, 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, second := splitRun(t, tt.params, splitTable(tt.n))
			if !slices.Equal(first, tt.first) && len(first)+len(tt.first) > 0 {
				t.Errorf("first = %v, want %v", first, tt.first)
			}
			if !slices.Equal(second, tt.second) && len(second)+len(tt.second) > 0 {
				t.Errorf("second = %v, want %v", second, tt.second)
			}
		})
	}
}

func TestSplitDataRandomized(t *testing.T) {
	in := splitTable(1000)
	params := map[string]any{"fraction": 0.7, "seed": 7}
	first, second := splitRun(t, params, in)
	if len(first) != 700 {
		t.Errorf("first has %d rows, want 700", len(first))
	}
	again, _ := splitRun(t, params, in)
	if !slices.Equal(first, again) {
		t.Error("the same seed gave a different split")
	}
	other, _ := splitRun(t, map[string]any{"fraction": 0.7, "seed": 8}, in)
	if slices.Equal(first, other) {
		t.Error("seeds 7 and 8 gave the same split")
	}
	for _, part := range [][]string{first, second} {
		if !slices.IsSortedFunc(part, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y }) {
			t.Error("rows are not in their original order")
		}
	}
	if slices.Equal(first, splitIDs(rangeInts(700)...)) {
		t.Error("randomized split took the first rows")
	}
}

func rangeInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestSplitDataStratified(t *testing.T) {
	in := splitTable(1000)
	res := moduletest.MustRun(t, SplitData{}, map[string]any{"fraction": 0.3, "seed": 3, "stratify": true, "stratify_column": "class"}, in)
	count := func(tb *table.Table) map[string]int {
		m := map[string]int{}
		for _, v := range rxValues(t, tb, "class") {
			m[v]++
		}
		return m
	}
	all := count(in)
	first := count(res.Table(t, SplitData{}, "first"))
	for class, n := range all {
		want := int(float64(n)*0.3 + 0.5)
		if first[class] != want {
			t.Errorf("class %s: %d of %d rows in first, want %d", class, first[class], n, want)
		}
	}
	if len(all) != 3 {
		t.Errorf("classes = %v, want a, b and null", all)
	}
}

func TestSplitDataExpression(t *testing.T) {
	res := moduletest.MustRun(t, SplitData{}, map[string]any{"mode": "expression", "expression": `annual_income >= 20000 && purpose != "other"`}, rxLoans())
	if got := rxValues(t, res.Table(t, SplitData{}, "first"), "name"); !slices.Equal(got, []string{"ann", "fay"}) {
		t.Errorf("first = %v", got)
	}
	if got := rxValues(t, res.Table(t, SplitData{}, "second"), "name"); !slices.Equal(got, []string{"bob", "cy", "dee", "eve"}) {
		t.Errorf("second = %v", got)
	}
	// Stratification settings left over from the rows mode do not matter.
	moduletest.MustRun(t, SplitData{}, map[string]any{"mode": "expression", "expression": "true", "stratify": true}, rxLoans())
}

func TestSplitDataErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		param  string
		words  []string
	}{
		{"stratify without column", map[string]any{"stratify": true}, "stratify_column", []string{"choose the column"}},
		{"stratify missing column", map[string]any{"stratify": true, "stratify_column": "klass"}, "stratify_column", []string{`"klass"`}},
		{"fraction above 1", map[string]any{"fraction": 1.5}, "fraction", []string{"maximum"}},
		{"no expression", map[string]any{"mode": "expression"}, "expression", []string{"required"}},
		{"expression syntax", map[string]any{"mode": "expression", "expression": "annual_income >"}, "expression", []string{"line 1, column"}},
		{"expression missing column", map[string]any{"mode": "expression", "expression": "incme > 3"}, "expression", []string{`unknown name "incme"`}},
		{"expression type", map[string]any{"mode": "expression", "expression": "name > 3"}, "expression", []string{"mismatched types string and int"}},
		{"expression not bool", map[string]any{"mode": "expression", "expression": "name"}, "expression", []string{"must give true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, SplitData{}, tt.params, rxLoans())
			rxWantParamErr(t, err, tt.param, tt.words...)
			if _, inferErr := moduletest.Infer(t, SplitData{}, tt.params, rxLoans().Schema()); inferErr == nil {
				t.Error("Infer accepted it")
			}
		})
	}
	for _, params := range []map[string]any{
		{"stratify": true, "stratify_column": "klass"},
		{"mode": "expression", "expression": "incme > 3"},
	} {
		if _, err := moduletest.Run(t, SplitData{}, params, rxLoans()); !errors.Is(err, table.ErrColumnNotFound) {
			t.Errorf("%v: err = %v, want ErrColumnNotFound", params, err)
		}
	}
}
