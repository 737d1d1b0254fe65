package tree

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// separable returns n rows of p features whose class is a checkerboard of
// the first two features: no single axis split helps at the root, so only a
// tree that keeps splitting on zero-gain splits fits it.
func checkerboard(n int, seed uint64) (Data, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]float64, n)
	y := make([]float64, n)
	for i := range rows {
		a, b, c := rng.Float64(), rng.Float64(), rng.Float64()
		rows[i] = []float64{a, b, c}
		if (a < 0.5) != (b < 0.5) {
			y[i] = 1
		}
	}
	return FromRows(rows, nil), y
}

func predictAll(t *testing.T, f *Forest, d Data) []float64 {
	t.Helper()
	out := make([]float64, d.NumRows()*f.Outputs())
	if err := f.Predict(d, out, 2); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTreeFitsSeparableExactly(t *testing.T) {
	d, y := checkerboard(500, 1)
	for _, crit := range []Criterion{Gini, Entropy} {
		tr, err := FitTree(context.Background(), d, y, 2, nil, TreeParams{Criterion: crit}, nil)
		if err != nil {
			t.Fatal(err)
		}
		row := make([]float64, 0, 3)
		for i := range d.NumRows() {
			p := tr.Predict(d.Row(i, row))
			if p[int(y[i])] != 1 {
				t.Fatalf("%s: row %d class %v predicted %v", crit, i, y[i], p)
			}
		}
		// The batch path must find the same leaves as the row path.
		f := &Forest{Trees: []*Tree{tr}, outputs: 2, features: 3}
		out := predictAll(t, f, d)
		for i := range d.NumRows() {
			if out[2*i+int(y[i])] != 1 {
				t.Fatalf("%s batch: row %d class %v predicted %v", crit, i, y[i], out[2*i:2*i+2])
			}
		}
	}
	// Regression: distinct x values fit exactly with no depth limit.
	rng := rand.New(rand.NewPCG(3, 3))
	rows := make([][]float64, 300)
	yr := make([]float64, 300)
	for i := range rows {
		rows[i] = []float64{rng.NormFloat64(), float64(rng.IntN(5))}
		yr[i] = rng.NormFloat64() * 10
	}
	dr := FromRows(rows, nil)
	tr, err := FitTree(context.Background(), dr, yr, 0, nil, TreeParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if got := tr.Predict(rows[i])[0]; math.Abs(got-yr[i]) > 1e-9 {
			t.Fatalf("regression row %d: got %v want %v", i, got, yr[i])
		}
	}
}

func TestTreeHandTree(t *testing.T) {
	// x <= 2.5 → class 0 (3 rows); else class 1 (2 rows). Gini picks 2.5.
	d := FromRows([][]float64{{1}, {2}, {2}, {3}, {4}}, nil)
	y := []float64{0, 0, 0, 1, 1}
	tr, err := FitTree(context.Background(), d, y, 2, nil, TreeParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.NumNodes() != 3 || tr.nodes[0].thr != 2.5 || tr.Depth() != 1 {
		t.Fatalf("tree = %d nodes, threshold %v, depth %d", tr.NumNodes(), tr.nodes[0].thr, tr.Depth())
	}
	// Missing values had no training rows: they follow the bigger child (left).
	if got := tr.Predict([]float64{math.NaN()}); got[0] != 1 {
		t.Errorf("NaN went to %v, want the larger (class 0) child", got)
	}
}

func TestTreeMissingDirectionLearnt(t *testing.T) {
	// Missing x always has class 1, like the large x values: the learnt
	// default must send NaN right even though the left child is bigger.
	var rows [][]float64
	var y []float64
	for i := range 40 {
		rows = append(rows, []float64{float64(i)})
		y = append(y, b2f(i >= 30))
	}
	for range 5 {
		rows = append(rows, []float64{math.NaN()})
		y = append(y, 1)
	}
	tr, err := FitTree(context.Background(), FromRows(rows, nil), y, 2, nil, TreeParams{MaxDepth: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Predict([]float64{math.NaN()}); got[1] != 1 {
		t.Errorf("NaN predicted %v, want class 1", got)
	}
	if got := tr.Predict([]float64{3}); got[0] != 1 {
		t.Errorf("x=3 predicted %v, want class 0", got)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestTreeCategorical(t *testing.T) {
	// Categories {1,3} are class 1, {0,2,4} class 0: one categorical split
	// separates them, where a numeric split on the codes would need four.
	var rows [][]float64
	var y []float64
	for i := range 100 {
		c := i % 5
		rows = append(rows, []float64{float64(c)})
		y = append(y, b2f(c == 1 || c == 3))
	}
	d := FromRows(rows, []int{5})
	for _, k := range []int{2, 3} { // binary ordering, and one-vs-rest orderings
		yy := slices.Clone(y)
		if k == 3 {
			for i := range yy {
				if rows[i][0] == 4 {
					yy[i] = 2
				}
			}
		}
		tr, err := FitTree(context.Background(), d, yy, k, nil, TreeParams{MaxDepth: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !tr.nodes[0].categorical() {
			t.Fatalf("k=%d: root split is not categorical", k)
		}
		if k == 2 {
			for c := range 5 {
				p := tr.Predict([]float64{float64(c)})
				if want := b2f(c == 1 || c == 3); p[1] != want {
					t.Errorf("category %d: P(1) = %v, want %v", c, p[1], want)
				}
			}
		}
		// Unseen and missing codes take the default direction.
		def := tr.Predict([]float64{math.NaN()})
		for _, v := range []float64{5, 99, -1, 0.5} {
			if got := tr.Predict([]float64{v}); !slices.Equal(got, def) {
				t.Errorf("k=%d code %v: %v, want the default %v", k, v, got, def)
			}
		}
	}
}

func TestTreeJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var rows [][]float64
	var y []float64
	for range 400 {
		a, c := rng.NormFloat64(), float64(rng.IntN(7))
		if rng.IntN(10) == 0 {
			a = math.NaN()
		}
		rows = append(rows, []float64{a, c})
		y = append(y, float64(rng.IntN(3)))
	}
	d := FromRows(rows, []int{0, 7})
	f, err := FitForest(context.Background(), d, y, 3, nil, ForestParams{NumTrees: 4, Bootstrap: true, Seed: 9, Tree: TreeParams{MaxDepth: 6}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g Forest
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if a, b := predictAll(t, f, d), predictAll(t, &g, d); !slices.Equal(a, b) {
		t.Fatal("predictions differ after a JSON round trip")
	}
	b2, _ := json.Marshal(&g)
	if string(b) != string(b2) {
		t.Fatal("JSON differs after a round trip")
	}
}

func TestTreeJSONRejectsBadTrees(t *testing.T) {
	bad := []string{
		`{"outputs":1,"feature":[0,-1,-1],"threshold":[0,0,0],"left":[0,0,0],"missing_right":[0,0,0],"weight":[1,1,1],"value":[0,0,0]}`, // self loop
		`{"outputs":1,"feature":[0,-1],"threshold":[0,0],"left":[1,0],"missing_right":[0,0],"weight":[1,1],"value":[0,0]}`,              // child out of range
		`{"outputs":1,"feature":[0,-1,-1],"threshold":[0,0,0],"left":[1,0,0],"missing_right":[0,0],"weight":[1,1,1],"value":[0,0,0]}`,   // ragged
		`{"outputs":1,"feature":[],"threshold":[],"left":[],"missing_right":[],"weight":[],"value":[]}`,
		`{"outputs":1,"feature":[0,-1,-1],"threshold":[0,0,0],"left":[1,0,0],"missing_right":[0,0,0],"categorical":{"0":{"count":2,"left":[-3]}},"weight":[1,1,1],"value":[0,0,0]}`,
	}
	for i, s := range bad {
		var tr Tree
		if err := json.Unmarshal([]byte(s), &tr); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
	var f Forest
	if err := json.Unmarshal([]byte(`{"features":1,"outputs":1,"trees":[{"outputs":1,"feature":[3,-1,-1],"threshold":[0,0,0],"left":[1,0,0],"missing_right":[0,0,0],"weight":[1,1,1],"value":[0,0,0]}]}`), &f); err == nil {
		t.Error("forest with an out-of-range feature accepted")
	}
}

func TestFitTreeErrors(t *testing.T) {
	d := FromRows([][]float64{{1}, {2}}, nil)
	ctx := context.Background()
	cases := map[string]func() error{
		"one class": func() error { _, err := FitTree(ctx, d, []float64{0, 0}, 1, nil, TreeParams{}, nil); return err },
		"bad class": func() error { _, err := FitTree(ctx, d, []float64{0, 2}, 2, nil, TreeParams{}, nil); return err },
		"bad target": func() error {
			_, err := FitTree(ctx, d, []float64{0, math.NaN()}, 0, nil, TreeParams{}, nil)
			return err
		},
		"short y": func() error { _, err := FitTree(ctx, d, []float64{0}, 2, nil, TreeParams{}, nil); return err },
		"criterion": func() error {
			_, err := FitTree(ctx, d, []float64{0, 1}, 0, nil, TreeParams{Criterion: Gini}, nil)
			return err
		},
		"bad cat code": func() error {
			_, err := FitTree(ctx, FromRows([][]float64{{0}, {3}}, []int{2}), []float64{0, 1}, 2, nil, TreeParams{}, nil)
			return err
		},
		"zero weights": func() error {
			_, err := FitTree(ctx, d, []float64{0, 1}, 2, []float64{0, 0}, TreeParams{}, nil)
			return err
		},
		"no rows": func() error { _, err := FitTree(ctx, Data{}, nil, 2, nil, TreeParams{}, nil); return err },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
