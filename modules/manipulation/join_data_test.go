package manipulation

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func joinLeft() *table.Table {
	return table.MustNew(table.Schema{{Name: "id", Type: table.Int}, {Name: "name", Type: table.String}},
		table.NewInts([]int64{1, 2, 2, 3, 0}, nulls(5, 4)),
		table.NewStrings([]string{"a", "b", "c", "d", "e"}, nil))
}

func joinRight() *table.Table {
	return table.MustNew(table.Schema{{Name: "id", Type: table.Float}, {Name: "city", Type: table.String}, {Name: "name", Type: table.String}},
		table.NewFloats([]float64{2, 3, 3, 4, 0}, nulls(5, 4)),
		table.NewStrings([]string{"X", "Y", "Z", "W", "V"}, nil),
		table.NewStrings([]string{"r1", "r2", "r3", "r4", "r5"}, nil))
}

func TestJoinData(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		cols   []string
		rows   []string
	}{
		{"inner", map[string]any{}, []string{"id", "name", "city", "name (2)"},
			[]string{"2|b|X|r1", "2|c|X|r1", "3|d|Y|r2", "3|d|Z|r3"}},
		{"left outer", map[string]any{"type": "left_outer"}, []string{"id", "name", "city", "name (2)"},
			[]string{"1|a|null|null", "2|b|X|r1", "2|c|X|r1", "3|d|Y|r2", "3|d|Z|r3", "null|e|null|null"}},
		{"full outer coalesces keys", map[string]any{"type": "full_outer"}, []string{"id", "name", "city", "name (2)"},
			[]string{"1|a|null|null", "2|b|X|r1", "2|c|X|r1", "3|d|Y|r2", "3|d|Z|r3", "null|e|null|null", "4|null|W|r4", "null|null|V|r5"}},
		{"full outer keeping right keys", map[string]any{"type": "full_outer", "keep_right_keys": true},
			[]string{"id", "name", "id (2)", "city", "name (2)"},
			[]string{"1|a|null|null|null", "2|b|2|X|r1", "2|c|2|X|r1", "3|d|3|Y|r2", "3|d|3|Z|r3", "null|e|null|null|null",
				"null|null|4|W|r4", "null|null|null|V|r5"}},
		{"left semi", map[string]any{"type": "left_semi", "keep_right_keys": true}, []string{"id", "name"},
			[]string{"2|b", "2|c", "3|d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.params["left_keys"] = []string{"id"}
			tt.params["right_keys"] = []string{"id"}
			got := runTable(t, JoinData{}, tt.params, joinLeft(), joinRight())
			wantNames(t, got, tt.cols...)
			wantRows(t, got, tt.rows)
		})
	}
	// The left int key becomes float only where it must take right float keys.
	full := runTable(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id", "type": "full_outer"}, joinLeft(), joinRight())
	if typ := full.Field(0).Type; typ != table.Float {
		t.Errorf("full outer int/float key type = %s, want float", typ)
	}
	left := runTable(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id", "type": "left_outer"}, joinLeft(), joinRight())
	if typ := left.Field(0).Type; typ != table.Int {
		t.Errorf("left outer key type = %s, want int", typ)
	}
}

func TestJoinDataKeys(t *testing.T) {
	people := table.MustNew(table.Schema{{Name: "first", Type: table.String}, {Name: "city", Type: table.String}, {Name: "n", Type: table.Int}},
		table.NewStrings([]string{"Ann", "ann", "Bob", "Straße"}, nil),
		table.NewStrings([]string{"Oslo", "OSLO", "oslo", "Köln"}, nil),
		table.NewInts([]int64{1, 2, 3, 4}, nil))
	places := table.MustNew(table.Schema{{Name: "who", Type: table.String}, {Name: "town", Type: table.String}, {Name: "n", Type: table.Int}},
		table.NewStrings([]string{"ANN", "bob", "STRASSE", "straSSe"}, nil),
		table.NewStrings([]string{"oslo", "Oslo", "KÖLN", "köln"}, nil),
		table.NewInts([]int64{10, 20, 30, 40}, nil))
	params := map[string]any{"left_keys": []string{"first", "city"}, "right_keys": []string{"who", "town"}}

	got := runTable(t, JoinData{}, params, people, places)
	wantNames(t, got, "first", "city", "n", "n (2)")
	wantRows(t, got, nil)

	params["case_sensitive"] = false
	got = runTable(t, JoinData{}, params, people, places)
	// Simple case folding does not turn ß into ss, as strings.EqualFold does not.
	wantRows(t, got, []string{"Ann|Oslo|1|10", "ann|OSLO|2|10", "Bob|oslo|3|20"})

	// Bool and timestamp keys hash through AppendKey.
	flags := table.MustNew(table.Schema{{Name: "f", Type: table.Bool}, {Name: "at", Type: table.Time}},
		table.NewBools([]bool{true, false, true}, nil), table.NewTimes([]int64{5, 5, 6}, nil))
	got = runTable(t, JoinData{}, map[string]any{"left_keys": "f", "right_keys": "f"}, flags, flags)
	wantNames(t, got, "f", "at", "at (2)")
	if got.NumRows() != 5 {
		t.Errorf("bool self-join has %d rows, want 5", got.NumRows())
	}
}

func TestJoinDataEmpty(t *testing.T) {
	empty := table.Empty(joinRight().Schema())
	got := runTable(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id", "type": "left_outer"}, joinLeft(), empty)
	wantRows(t, got, []string{"1|a|null|null", "2|b|null|null", "2|c|null|null", "3|d|null|null", "null|e|null|null"})
	got = runTable(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id", "type": "full_outer"}, table.Empty(joinLeft().Schema()), joinRight())
	wantRows(t, got, []string{"2|null|X|r1", "3|null|Y|r2", "3|null|Z|r3", "4|null|W|r4", "null|null|V|r5"})
	got = runTable(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id"}, table.Empty(joinLeft().Schema()), empty)
	wantNames(t, got, "id", "name", "city", "name (2)")
	wantRows(t, got, nil)
}

func TestJoinDataErrors(t *testing.T) {
	tests := []struct {
		name      string
		params    map[string]any
		param     string
		fragments []string
	}{
		{"missing left key", map[string]any{"left_keys": "ident", "right_keys": "id"}, "left_keys", []string{`"ident"`, "available: id, name"}},
		{"missing right key", map[string]any{"left_keys": "id", "right_keys": "ident"}, "right_keys", []string{`"ident"`}},
		{"type mismatch", map[string]any{"left_keys": "name", "right_keys": "id"}, "right_keys", []string{`"name" is string`, `"id" is float`}},
		{"count mismatch", map[string]any{"left_keys": "id", "right_keys": []string{"id", "city"}}, "right_keys", []string{"2 columns", "left keys are 1"}},
		{"no keys", map[string]any{"left_keys": map[string]any{"rules": []any{map[string]any{"types": []string{"bool"}}}}, "right_keys": "id"}, "left_keys", []string{"no columns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, JoinData{}, tt.params, joinLeft(), joinRight())
			wantParamErr(t, err, tt.param, tt.fragments...)
			_, ierr := moduletest.Infer(t, JoinData{}, tt.params, joinLeft().Schema(), joinRight().Schema())
			wantParamErr(t, ierr, tt.param, tt.fragments...)
		})
	}
	_, err := moduletest.Run(t, JoinData{}, map[string]any{"left_keys": "ident", "right_keys": "id"}, joinLeft(), joinRight())
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing key error %v does not wrap ErrColumnNotFound", err)
	}
	if _, err := moduletest.Run(t, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id"}, joinLeft()); err == nil {
		t.Error("join without a right input succeeded")
	}
}

// TestJoinDataMatchesNestedLoops checks every join type against the obvious
// quadratic join, with either side the larger (so either side is built).
func TestJoinDataMatchesNestedLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(n int) *table.Table {
		k1, k2, v := make([]int64, n), make([]string, n), make([]int64, n)
		valid := table.NewBitmap(n)
		for i := range n {
			k1[i], k2[i], v[i] = rng.Int64N(6), fmt.Sprint(rng.IntN(3)), int64(i)
			if rng.IntN(10) == 0 {
				valid.Set(i, false)
			}
		}
		return table.MustNew(table.Schema{{Name: "k1", Type: table.Int}, {Name: "k2", Type: table.String}, {Name: "v", Type: table.Int}},
			table.NewInts(k1, valid), table.NewStrings(k2, nil), table.NewInts(v, nil))
	}
	for _, sizes := range [][2]int{{40, 15}, {15, 40}, {30, 30}} {
		l, r := gen(sizes[0]), gen(sizes[1])
		for _, how := range []string{joinInner, joinLeftOuter, joinFullOuter, joinLeftSemi} {
			for _, keys := range [][]string{{"k1"}, {"k1", "k2"}} {
				got := runTable(t, JoinData{}, map[string]any{"left_keys": keys, "right_keys": keys, "type": how, "keep_right_keys": true}, l, r)
				want := nestedLoopJoin(l, r, keys, how)
				if g := render(got); !slices.Equal(g, want) {
					t.Errorf("%v %s join of %v rows:\n got  %q\n want %q", keys, how, sizes, g, want)
				}
			}
		}
	}
}

func nestedLoopJoin(l, r *table.Table, keys []string, how string) []string {
	match := func(i, j int) bool {
		for _, k := range keys {
			a, _, _ := l.Lookup(k)
			b, _, _ := r.Lookup(k)
			if a.Null(i) || b.Null(j) || a.Value(i) != b.Value(j) {
				return false
			}
		}
		return true
	}
	var lrows, rrows []int
	rightMatched := make([]bool, r.NumRows())
	for i := range l.NumRows() {
		found := false
		for j := range r.NumRows() {
			if match(i, j) {
				found, rightMatched[j] = true, true
				if how != joinLeftSemi {
					lrows, rrows = append(lrows, i), append(rrows, j)
				}
			}
		}
		if (found && how == joinLeftSemi) || (!found && (how == joinLeftOuter || how == joinFullOuter)) {
			lrows, rrows = append(lrows, i), append(rrows, -1)
		}
	}
	if how == joinFullOuter {
		for j, m := range rightMatched {
			if !m {
				lrows, rrows = append(lrows, -1), append(rrows, j)
			}
		}
	}
	if how == joinLeftSemi {
		return render(l.Take(lrows))
	}
	cols := append(l.Take(lrows).Columns(), r.Take(rrows).Columns()...)
	return render(table.MustNew(sideBySide(l.Schema(), r.Schema()), cols...))
}

func BenchmarkJoinData1M(b *testing.B) {
	const n = 1 << 20
	ids, vals := make([]int64, n), make([]float64, n)
	for i := range ids {
		ids[i], vals[i] = int64(n-i), float64(i)
	}
	big := table.MustNew(table.Schema{{Name: "id", Type: table.Int}, {Name: "x", Type: table.Float}},
		table.NewInts(ids, nil), table.NewFloats(vals, nil))
	small := big.Slice(0, n/4)
	for b.Loop() {
		moduletest.MustRun(b, JoinData{}, map[string]any{"left_keys": "id", "right_keys": "id", "type": "left_outer"}, big, small)
	}
}
