package tree

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// noisy returns a classification or regression problem with signal in the
// first features, a categorical feature and some missing values.
func noisy(n int, seed uint64, classes int) (Data, []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	cols := make([][]float64, 6)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	y := make([]float64, n)
	for i := range n {
		for j := range 5 {
			cols[j][i] = rng.NormFloat64()
		}
		cols[5][i] = float64(rng.IntN(4))
		s := cols[0][i] + 0.5*cols[1][i]*cols[2][i] + 0.3*cols[5][i] + 0.5*rng.NormFloat64()
		if rng.IntN(20) == 0 {
			cols[3][i] = math.NaN()
		}
		switch classes {
		case 0:
			y[i] = s
		case 2:
			y[i] = b2f(s > 0.4)
		default:
			y[i] = float64(min(classes-1, max(0, int(s+1.5))))
		}
	}
	return Data{Cols: cols, NumCats: []int{0, 0, 0, 0, 0, 4}}, y
}

func TestForestOfOneTreeEqualsTree(t *testing.T) {
	ctx := context.Background()
	for _, classes := range []int{0, 2, 3} {
		d, y := noisy(600, 11, classes)
		tp := TreeParams{MaxDepth: 8, MinSamplesLeaf: 3}
		tr, err := FitTree(ctx, d, y, classes, nil, tp, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := FitForest(ctx, d, y, classes, nil, ForestParams{Tree: tp, NumTrees: 1, MaxFeatures: AllFeatures, Seed: 99})
		if err != nil {
			t.Fatal(err)
		}
		single := &Forest{Trees: []*Tree{tr}, outputs: f.outputs, features: f.features}
		if a, b := predictAll(t, single, d), predictAll(t, f, d); !slices.Equal(a, b) {
			t.Errorf("classes=%d: forest of one unsampled tree predicts differently from the tree", classes)
		}
		if tr.NumNodes() != f.Trees[0].NumNodes() {
			t.Errorf("classes=%d: %d nodes vs %d", classes, tr.NumNodes(), f.Trees[0].NumNodes())
		}
	}
}

func TestForestDeterministicAcrossWorkers(t *testing.T) {
	d, y := noisy(800, 3, 2)
	var first []float64
	for _, w := range []int{1, 2, 5} {
		f, err := FitForest(context.Background(), d, y, 2, nil, ForestParams{NumTrees: 12, Bootstrap: true, Seed: 42, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		got := predictAll(t, f, d)
		if first == nil {
			first = got
		} else if !slices.Equal(first, got) {
			t.Fatalf("workers=%d: predictions differ", w)
		}
	}
	f2, _ := FitForest(context.Background(), d, y, 2, nil, ForestParams{NumTrees: 12, Bootstrap: true, Seed: 43})
	if slices.Equal(first, predictAll(t, f2, d)) {
		t.Error("a different seed gave the same forest")
	}
}

func TestForestGeneralises(t *testing.T) {
	d, y := noisy(3000, 5, 2)
	dt, yt := noisy(2000, 6, 2)
	ctx := context.Background()
	f, err := FitForest(ctx, d, y, 2, nil, ForestParams{NumTrees: 50, Bootstrap: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := FitTree(ctx, d, y, 2, nil, TreeParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	single := &Forest{Trees: []*Tree{tr}, outputs: 2, features: 6}
	accF, accT := accuracy(predictAll(t, f, dt), yt), accuracy(predictAll(t, single, dt), yt)
	t.Logf("test accuracy: forest %.3f, unpruned tree %.3f", accF, accT)
	if accF < 0.8 || accF <= accT {
		t.Errorf("forest accuracy %.3f (tree %.3f)", accF, accT)
	}
	// Row and batch predictions agree.
	row := make([]float64, 0, 6)
	out := make([]float64, 2)
	batch := predictAll(t, f, dt)
	for i := range 50 {
		f.PredictRow(dt.Row(i, row), out)
		if math.Abs(out[1]-batch[2*i+1]) > 1e-12 {
			t.Fatalf("row %d: PredictRow %v, Predict %v", i, out, batch[2*i:2*i+2])
		}
	}
}

func accuracy(prob []float64, y []float64) float64 {
	k := len(prob) / len(y)
	ok := 0
	for i, c := range y {
		row := prob[i*k : i*k+k]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if k == 1 {
			best = int(b2f(row[0] > 0.5))
		}
		if float64(best) == c {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func TestForestRegressionAndCancel(t *testing.T) {
	d, y := noisy(1500, 8, 0)
	f, err := FitForest(context.Background(), d, y, 0, nil, ForestParams{NumTrees: 20, Bootstrap: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	pred := predictAll(t, f, d)
	var sse, sst, mean float64
	for _, v := range y {
		mean += v / float64(len(y))
	}
	for i, v := range y {
		sse += (pred[i] - v) * (pred[i] - v)
		sst += (mean - v) * (mean - v)
	}
	if r2 := 1 - sse/sst; r2 < 0.7 {
		t.Errorf("training R² = %.3f", r2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FitForest(ctx, d, y, 0, nil, ForestParams{NumTrees: 20}); err == nil {
		t.Error("cancelled context: no error")
	}
	if _, err := FitForest(context.Background(), d, y, 0, nil, ForestParams{NumTrees: 0}); err == nil {
		t.Error("zero trees: no error")
	}
}
