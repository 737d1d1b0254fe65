// Package cluster fits k-means clusterings of column-major matrices.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// The initializations.
const (
	InitKMeansPP = "kmeans++" // greedy k-means++ (as scikit-learn)
	InitRandom   = "random"   // k distinct rows drawn at random
	InitFirst    = "first_n"  // the first k distinct rows
)

// Options are the hyper-parameters of k-means.
type Options struct {
	K int
	// Restarts is how many initializations are run; the clustering with the
	// lowest inertia is kept. InitFirst makes one run whatever it is.
	Restarts int
	Init     string
	// MaxIter bounds Lloyd iterations per run.
	MaxIter int
	// Tol stops a run early once the centres move, in total squared distance,
	// by less than Tol times the mean per-column variance of the data.
	Tol     float64
	Seed    uint64
	Workers int
}

// Result is a fitted clustering.
type Result struct {
	// Centers is k×p.
	Centers [][]float64
	// Inertia is the sum of squared distances of rows to their centre.
	Inertia float64
	Labels  []int
	// Iterations of the run kept.
	Iterations int
}

// KMeans clusters the rows of a column-major matrix by Lloyd's algorithm
// from Restarts initializations and keeps the run with the lowest inertia
// (the earliest on ties). Each run draws from its own generator seeded by
// (Seed, run), so the result is the same for a seed whatever Workers is.
func KMeans(ctx context.Context, cols [][]float64, n int, o Options) (*Result, error) {
	if o.K < 1 {
		return nil, errors.New("k must be at least 1")
	}
	if n < o.K {
		return nil, fmt.Errorf("k-means with %d clusters needs at least %d rows, the table has %d", o.K, o.K, n)
	}
	if o.Restarts < 1 || o.Init == InitFirst {
		o.Restarts = 1
	}
	if o.MaxIter < 1 {
		o.MaxIter = 300
	}
	if o.Tol < 0 {
		o.Tol = 0
	}
	if o.Workers < 1 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	p := len(cols)
	// Rows are contiguous here because every step measures a row against a centre.
	x := make([]float64, n*p)
	for j, col := range cols {
		for i, v := range col[:n] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d has a missing or infinite value", i+1)
			}
			x[i*p+j] = v
		}
	}
	tol := o.Tol * meanVariance(cols, n)
	results := make([]*Result, o.Restarts)
	errs := make([]error, o.Restarts)
	var wg parallel.Group
	var mu sync.Mutex
	next := 0
	for range min(o.Workers, o.Restarts) {
		wg.Go(func() {
			for {
				mu.Lock()
				r := next
				next++
				mu.Unlock()
				if r >= o.Restarts {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[r] = err
					return
				}
				rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
				results[r], errs[r] = lloyd(ctx, x, n, p, o, tol, rng)
			}
		})
	}
	wg.Wait()
	var best *Result
	for r, res := range results {
		if errs[r] != nil {
			return nil, errs[r]
		}
		if res != nil && (best == nil || res.Inertia < best.Inertia) {
			best = res
		}
	}
	return best, nil
}

func meanVariance(cols [][]float64, n int) float64 {
	if len(cols) == 0 {
		return 0
	}
	t := 0.0
	for _, col := range cols {
		m := 0.0
		for _, v := range col[:n] {
			m += v
		}
		m /= float64(n)
		for _, v := range col[:n] {
			t += (v - m) * (v - m)
		}
	}
	return t / float64(n) / float64(len(cols))
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for j, v := range a {
		d := v - b[j]
		s += d * d
	}
	return s
}

// lloyd runs one initialization and Lloyd iterations to a fixed point.
func lloyd(ctx context.Context, x []float64, n, p int, o Options, tol float64, rng *rand.Rand) (*Result, error) {
	k := o.K
	centers := initCenters(x, n, p, k, o.Init, rng)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = -1
	}
	dist := make([]float64, n)
	sums := make([]float64, k*p)
	counts := make([]int, k)
	iter := 0
	for ; iter < o.MaxIter; iter++ {
		if iter%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		changed := assign(x, n, p, centers, labels, dist)
		if !changed && iter > 0 {
			break
		}
		for i := range sums {
			sums[i] = 0
		}
		for c := range counts {
			counts[c] = 0
		}
		for i := range n {
			c := labels[i]
			counts[c]++
			row := x[i*p : (i+1)*p]
			s := sums[c*p : (c+1)*p]
			for j, v := range row {
				s[j] += v
			}
		}
		shift := 0.0
		for c := range k {
			if counts[c] == 0 {
				// An empty cluster takes the row farthest from its centre
				// (the lowest such row on ties), which can only lower the inertia.
				far := -1
				for i := range n {
					if counts[labels[i]] > 1 && (far < 0 || dist[i] > dist[far]) {
						far = i
					}
				}
				if far < 0 {
					continue // fewer distinct rows than clusters
				}
				old := labels[far]
				counts[old]--
				for j := range p {
					sums[old*p+j] -= x[far*p+j]
					sums[c*p+j] = x[far*p+j]
				}
				counts[c] = 1
				labels[far] = c
				dist[far] = 0
			}
		}
		for c := range k {
			if counts[c] == 0 {
				continue
			}
			cen := centers[c*p : (c+1)*p]
			for j := range p {
				v := sums[c*p+j] / float64(counts[c])
				d := v - cen[j]
				shift += d * d
				cen[j] = v
			}
		}
		if shift <= tol {
			// Centres no longer move: one more assignment makes labels and
			// inertia agree with them.
			assign(x, n, p, centers, labels, dist)
			iter++
			break
		}
	}
	res := &Result{Centers: make([][]float64, k), Labels: labels, Iterations: iter}
	for c := range k {
		res.Centers[c] = append([]float64(nil), centers[c*p:(c+1)*p]...)
	}
	for i := range n {
		res.Inertia += dist[i]
	}
	return res, nil
}

// assign labels every row with its nearest centre (the lowest index on ties)
// and reports whether any label changed.
func assign(x []float64, n, p int, centers []float64, labels []int, dist []float64) bool {
	k := len(centers) / max(p, 1)
	if p == 0 {
		k = 1
	}
	changed := false
	for i := range n {
		row := x[i*p : (i+1)*p]
		best, bd := 0, math.Inf(1)
		for c := range k {
			d := sqDist(row, centers[c*p:(c+1)*p])
			if d < bd {
				best, bd = c, d
			}
		}
		if labels[i] != best {
			labels[i] = best
			changed = true
		}
		dist[i] = bd
	}
	return changed
}

// initCenters picks k starting centres, row-major k×p.
func initCenters(x []float64, n, p, k int, init string, rng *rand.Rand) []float64 {
	centers := make([]float64, 0, k*p)
	switch init {
	case InitFirst:
		for i := 0; i < n && len(centers) < k*p; i++ {
			centers = append(centers, x[i*p:(i+1)*p]...)
		}
		return centers
	case InitRandom:
		for _, i := range rng.Perm(n)[:k] {
			centers = append(centers, x[i*p:(i+1)*p]...)
		}
		return centers
	}
	// Greedy k-means++: each new centre is the best, by resulting potential,
	// of 2 + ⌊ln k⌋ candidates drawn proportionally to squared distance.
	trials := 2 + int(math.Log(float64(k)))
	first := rng.IntN(n)
	centers = append(centers, x[first*p:(first+1)*p]...)
	closest := make([]float64, n)
	pot := 0.0
	for i := range n {
		closest[i] = sqDist(x[i*p:(i+1)*p], centers[:p])
		pot += closest[i]
	}
	cand := make([]float64, n)
	bestD := make([]float64, n)
	for len(centers) < k*p {
		bestPot, bestRow := math.Inf(1), -1
		for range trials {
			r := sampleIndex(closest, pot, rng)
			cp := 0.0
			c := x[r*p : (r+1)*p]
			for i := range n {
				cand[i] = min(closest[i], sqDist(x[i*p:(i+1)*p], c))
				cp += cand[i]
			}
			if cp < bestPot {
				bestPot, bestRow = cp, r
				copy(bestD, cand)
			}
		}
		centers = append(centers, x[bestRow*p:(bestRow+1)*p]...)
		copy(closest, bestD)
		pot = bestPot
	}
	return centers
}

// sampleIndex draws i with probability w[i]/total (uniformly when total is 0).
func sampleIndex(w []float64, total float64, rng *rand.Rand) int {
	if total <= 0 {
		return rng.IntN(len(w))
	}
	r := rng.Float64() * total
	acc := 0.0
	for i, v := range w {
		acc += v
		if r < acc {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return len(w) - 1
}

// Distances writes the Euclidean distance of each row of a column-major
// block to each centre, row-major rows×k.
func Distances(cols [][]float64, rows int, centers [][]float64, out []float64) {
	k := len(centers)
	out = out[:rows*k]
	for i := range out {
		out[i] = 0
	}
	for j, col := range cols {
		for c := range k {
			m := centers[c][j]
			for i, v := range col[:rows] {
				d := v - m
				out[i*k+c] += d * d
			}
		}
	}
	for i := range out {
		out[i] = math.Sqrt(out[i])
	}
}
