package cluster

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
)

func blobs(n int) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	cols := [][]float64{make([]float64, n), make([]float64, n)}
	for i := range n {
		c := float64(i % 4)
		cols[0][i] = c*5 + rng.NormFloat64()
		cols[1][i] = -c*3 + rng.NormFloat64()
	}
	return cols
}

func TestKMeansDeterministic(t *testing.T) {
	cols := blobs(2000)
	var first *Result
	for _, workers := range []int{1, 2, 5} {
		r, err := KMeans(context.Background(), cols, 2000, Options{K: 4, Restarts: 6, Seed: 42, Workers: workers, Tol: 1e-4})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = r
			continue
		}
		if !reflect.DeepEqual(r, first) {
			t.Errorf("workers %d gave another clustering", workers)
		}
	}
	other, _ := KMeans(context.Background(), cols, 2000, Options{K: 4, Restarts: 1, Seed: 43, Init: InitRandom})
	if other.Inertia < first.Inertia*(1-1e-12) {
		t.Errorf("one random start (%v) beat ten k-means++ starts (%v)", other.Inertia, first.Inertia)
	}
}

func TestKMeansEdgeCases(t *testing.T) {
	if _, err := KMeans(context.Background(), [][]float64{{1, 2}}, 2, Options{K: 3}); err == nil {
		t.Error("k > rows: no error")
	}
	// More clusters than distinct rows: no crash, zero inertia.
	r, err := KMeans(context.Background(), [][]float64{{1, 1, 1, 2}}, 4, Options{K: 3, Restarts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inertia != 0 {
		t.Errorf("inertia %v", r.Inertia)
	}
	// First N.
	r, _ = KMeans(context.Background(), [][]float64{{0, 10, 0.5, 9.5}}, 4, Options{K: 2, Init: InitFirst})
	if r.Centers[0][0] != 0.25 || r.Centers[1][0] != 9.75 {
		t.Errorf("centres %v", r.Centers)
	}
}
