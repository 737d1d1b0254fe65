package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// ftCol builds a column of type typ from Go values, nil being a null.
func ftCol(t testing.TB, typ table.Type, vals ...any) table.Column {
	t.Helper()
	b := table.NewColumnBuilder(typ, len(vals))
	for _, v := range vals {
		if err := b.AppendValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// ftValues returns a column's values by name, nil for nulls.
func ftValues(t testing.TB, tb *table.Table, name string) []any {
	t.Helper()
	c, _, err := tb.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, c.Len())
	for i := range out {
		out[i] = c.Value(i)
	}
	return out
}

// ftClose compares values, floats within a relative 1e-9, NaN equal to NaN.
func ftClose(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, gok := got[i].(float64)
		w, wok := want[i].(float64)
		if gok && wok {
			if math.IsNaN(g) && math.IsNaN(w) {
				continue
			}
			if math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			return false
		}
	}
	return true
}

// ftWantParamErr fails unless err is a ParamError on param whose message
// mentions every one of words.
func ftWantParamErr(t testing.TB, err error, param string, words ...string) {
	t.Helper()
	var pe *modules.ParamError
	if !errors.As(err, &pe) || pe.Param != param {
		t.Fatalf("err = %v, want a ParamError on %s", err, param)
	}
	ftWantErr(t, err, words...)
}

// ftWantErr fails unless err mentions every one of words.
func ftWantErr(t testing.TB, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", words)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// ftFitApply fits m on a, then applies the recorded state alone to b, as a
// published endpoint does. It checks the state is versioned JSON, that the
// transform output encodes as that state, and that the transform applied to b
// gives what Apply gave. It returns the results on a and on b.
func ftFitApply(t *testing.T, m modules.Module, params map[string]any, a, b *table.Table) (onA, onB *table.Table, state modules.State) {
	t.Helper()
	res := moduletest.MustRun(t, m, params, a)
	var h struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(res.State, &h); err != nil || h.Version != 1 {
		t.Fatalf("state %s: want JSON with version 1 (err %v)", res.State, err)
	}
	applied, err := moduletest.Apply(t, m, params, res.State, b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	onA, onB = res.Table(t, m, "results"), applied.Table(t, m, "results")
	tr, ok := res.Outputs[m.Spec().Output("transform")].(modules.Transform)
	if !ok {
		t.Fatalf("transform output is %T", res.Outputs[1])
	}
	if modules.KindOf(tr) != modules.KindTransform {
		t.Errorf("transform output is of kind %q", modules.KindOf(tr))
	}
	enc, err := json.Marshal(tr)
	if err != nil {
		t.Fatalf("marshal transform: %v", err)
	}
	if !bytes.Equal(enc, res.State) {
		t.Errorf("transform JSON\n  %s\ndiffers from the state\n  %s", enc, res.State)
	}
	if tr.Describe() == "" {
		t.Error("transform has no description")
	}
	viaTransform, err := tr.Apply(context.Background(), b)
	if err != nil {
		t.Fatalf("transform apply: %v", err)
	}
	if !table.Equal(viaTransform, onB) {
		t.Errorf("the transform output gives\n  %v\nbut Apply gave\n  %v", viaTransform.Schema(), onB.Schema())
	}
	return onA, onB, res.State
}

func TestFittedModulesRegister(t *testing.T) {
	mods := []modules.Module{EditMetadata{}, CleanMissingData{}, NormalizeData{}, ConvertToIndicatorValues{},
		GroupDataIntoBins{}, PartitionAndSample{}}
	r, err := modules.NewRegistry(mods...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Specs() {
		wantStateful := s.ID != "edit_metadata" && s.ID != "partition_and_sample"
		if s.Stateful != wantStateful {
			t.Errorf("%s: stateful = %v", s.ID, s.Stateful)
		}
		for _, p := range s.Params {
			if p.Example == "" {
				continue
			}
			if _, err := moduletest.Params(modulesByID(mods, s.ID), map[string]any{p.Name: exampleValue(p)}); err != nil && !strings.Contains(err.Error(), "is required") {
				t.Errorf("%s: example of %s: %v", s.ID, p.Name, err)
			}
		}
	}
}

func modulesByID(mods []modules.Module, id string) modules.Module {
	for _, m := range mods {
		if m.Spec().ID == id {
			return m
		}
	}
	return nil
}

func exampleValue(p modules.Param) any {
	var v any
	if json.Unmarshal([]byte(p.Example), &v) == nil && p.Type == modules.ParamColumns {
		return v
	}
	return p.Example
}

// BenchmarkMillionRows runs each module as the pipeline benchmark does, on
// a million rows with a float column (with nulls), an int and a category.
func BenchmarkMillionRows(b *testing.B) {
	const n = 1_000_000
	f := table.NewBuilder[float64](n)
	ints := make([]int64, n)
	cats := make([]string, n)
	names := []string{"red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"}
	for i := range n {
		if i%97 == 0 {
			f.AppendNull()
		} else {
			f.Append(float64(i%1013) * 1.5)
		}
		ints[i] = int64(i % 7919)
		cats[i] = names[i%len(names)]
	}
	in := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "n", Type: table.Int}, {Name: "c", Type: table.String}},
		table.NewFloats(f.Data(), f.Validity()), table.NewInts(ints, nil), table.NewStrings(cats, nil))
	cases := []struct {
		name   string
		m      modules.Module
		params map[string]any
	}{
		{"edit_metadata", EditMetadata{}, map[string]any{"columns": []string{"n"}, "type": "float"}},
		{"clean_missing_mean", CleanMissingData{}, map[string]any{"columns": []string{"x"}, "mode": "mean", "add_indicator": true}},
		{"clean_missing_median", CleanMissingData{}, map[string]any{"columns": []string{"x"}, "mode": "median"}},
		{"normalize_zscore", NormalizeData{}, nil},
		{"normalize_robust", NormalizeData{}, map[string]any{"method": "robust"}},
		{"indicator", ConvertToIndicatorValues{}, map[string]any{"columns": []string{"c"}}},
		{"bins_quantile", GroupDataIntoBins{}, nil},
		{"bins_label", GroupDataIntoBins{}, map[string]any{"method": "equal_width", "output": "bin_label"}},
		{"sample_stratified", PartitionAndSample{}, map[string]any{"fraction": 0.3, "stratify_column": "c"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				moduletest.MustRun(b, c.m, c.params, in)
			}
		})
	}
}

func TestStateFloatJSON(t *testing.T) {
	for _, x := range []float64{0, -1.5, 1e300, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(stateFloat(x))
		if err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		var y stateFloat
		if err := json.Unmarshal(b, &y); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !(float64(y) == x || (math.IsNaN(x) && math.IsNaN(float64(y)))) {
			t.Errorf("%v came back as %v via %s", x, y, b)
		}
	}
}

func TestSortedQuantile(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	for q, want := range map[float64]float64{0: 1, 0.25: 1.75, 0.5: 2.5, 0.75: 3.25, 1: 4} {
		if got := sortedQuantile(v, q); got != want {
			t.Errorf("quantile %v = %v, want %v", q, got, want)
		}
	}
}

func TestQuantilesMatchSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 101, 5000} {
		for _, distinct := range []int{1, 3, 1 << 30} {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = float64(rng.IntN(distinct))
			}
			sorted := slices.Sorted(slices.Values(vals))
			if distinct == 3 {
				vals = slices.Clone(sorted) // already sorted input, a classic bad case for quickselect
			}
			for _, qs := range [][]float64{{0.5}, {0, 0.25, 0.5, 0.75, 1}, {0.1, 0.1, 0.9}, make([]float64, 20)} {
				got := selectQuantiles(slices.Clone(vals), qs...)
				for j, q := range qs {
					if want := sortedQuantile(sorted, q); got[j] != want {
						t.Errorf("n=%d distinct=%d: quantile %v = %v, want %v", n, distinct, q, got[j], want)
					}
				}
			}
		}
	}
	if got := selectQuantiles([]int64{4, 1, 3, 2}, 0.5); got[0] != 2.5 {
		t.Errorf("median of ints = %v", got[0])
	}
}

func TestDecodeFittedRefusesOtherVersions(t *testing.T) {
	var st normState
	ftWantErr(t, decodeFitted([]byte(`{"version":2}`), 1, &st), "version 2")
	ftWantErr(t, decodeFitted([]byte(`{"version":1,"extra":1}`), 1, &st), "extra")
	ftWantErr(t, decodeFitted([]byte(`nope`), 1, &st), "not valid JSON")
}
