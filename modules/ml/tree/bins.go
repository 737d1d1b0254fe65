package tree

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// missingBin is the bin of missing values; a feature's other bins are
// 0..nbins-1 with nbins <= 255, so a bin fits a byte.
const missingBin = 255

// binSubsample bounds the rows used to find bin edges, as scikit-learn does:
// quantiles of 200k rows are as good as those of all of them.
const binSubsample = 200_000

// binned is the training matrix reduced to bins, with what is needed to turn
// a bin split back into a split on raw values.
type binned struct {
	cols [][]uint8
	// rowMajor holds the same bins row by row (row i at i*p), for histograms.
	rowMajor []uint8
	nbins    []int
	// edges[j][b] is the largest value in bin b of numeric feature j
	// (the midpoint towards the next bin), for b < nbins-1.
	edges [][]float64
	// catOf[j][b] lists the codes in bin b of categorical feature j.
	catOf [][][]int
	ncats []int
}

// binData bins every feature of d into at most maxBins bins. Numeric
// features use quantiles of the present values (midpoints between distinct
// values when there are few); a categorical feature gets a bin per code, or
// when it has more than maxBins codes, a bin per each of the maxBins-1 most
// frequent and one shared by the rest.
func binData(d Data, maxBins int, seed uint64, workerCount int) *binned {
	n, p := d.NumRows(), d.NumFeatures()
	b := &binned{cols: make([][]uint8, p), nbins: make([]int, p), edges: make([][]float64, p),
		catOf: make([][][]int, p), ncats: make([]int, p)}
	var sample []int
	if n > binSubsample {
		rng := newRand(seed, 1<<62)
		sample = rng.Perm(n)[:binSubsample]
		slices.Sort(sample)
	}
	var next int
	var mu sync.Mutex
	var wg parallel.Group
	for range min(workers(workerCount), p) {
		wg.Go(func() {
			var buf []float64
			for {
				mu.Lock()
				j := next
				next++
				mu.Unlock()
				if j >= p {
					return
				}
				if k := d.cats(j); k > 0 {
					b.binCategorical(d.Cols[j], j, k, maxBins)
				} else {
					buf = b.binNumeric(d.Cols[j], j, maxBins, sample, buf)
				}
			}
		})
	}
	wg.Wait()
	b.rowMajor = make([]uint8, n*p)
	for j, c := range b.cols {
		for i, v := range c {
			b.rowMajor[i*p+j] = v
		}
	}
	return b
}

func (b *binned) binNumeric(col []float64, j, maxBins int, sample []int, buf []float64) []float64 {
	vals := buf[:0]
	if sample != nil {
		for _, i := range sample {
			if v := col[i]; v == v {
				vals = append(vals, v)
			}
		}
	} else {
		for _, v := range col {
			if v == v {
				vals = append(vals, v)
			}
		}
	}
	radixSort(vals)
	distinct := slices.Compact(slices.Clone(vals))
	var edges []float64
	if len(distinct) <= maxBins {
		for i := 1; i < len(distinct); i++ {
			edges = append(edges, midpoint(distinct[i-1], distinct[i]))
		}
	} else {
		// Quantiles at 1/maxBins … (maxBins-1)/maxBins, each the midpoint
		// of its two neighbouring order statistics (numpy's "midpoint").
		m := len(vals)
		for q := 1; q < maxBins; q++ {
			pos := float64(q) / float64(maxBins) * float64(m-1)
			lo, hi := vals[int(math.Floor(pos))], vals[int(math.Ceil(pos))]
			edges = append(edges, midpoint(lo, hi))
		}
		edges = slices.Compact(edges)
	}
	b.edges[j] = edges
	b.nbins[j] = len(edges) + 1
	// A branch-free binary search over the edges padded with +Inf to 255:
	// the bin is the number of edges below v.
	var pad [256]float64
	for k := range pad {
		pad[k] = math.Inf(1)
	}
	copy(pad[:], edges)
	out := make([]uint8, len(col))
	for i, v := range col {
		if v != v {
			out[i] = missingBin
			continue
		}
		k := 0
		for step := 128; step > 0; step >>= 1 {
			if pad[k+step-1] < v {
				k += step
			}
		}
		out[i] = uint8(k)
	}
	b.cols[j] = out
	return vals
}

// midpoint returns a value between a < c that c is above, as a split threshold.
func midpoint(a, c float64) float64 {
	m := a + (c-a)/2
	if m >= c || math.IsNaN(m) || math.IsInf(m, 0) {
		m = a
	}
	return clampFinite(m)
}

func (b *binned) binCategorical(col []float64, j, k, maxBins int) {
	b.ncats[j] = k
	binOf := make([]uint8, k)
	if k <= maxBins {
		b.catOf[j] = make([][]int, k)
		for c := range k {
			binOf[c] = uint8(c)
			b.catOf[j][c] = []int{c}
		}
		b.nbins[j] = k
	} else {
		counts := make([]int, k)
		for _, v := range col {
			if v == v {
				counts[int(v)]++
			}
		}
		order := make([]int, k)
		for c := range order {
			order[c] = c
		}
		slices.SortFunc(order, func(a, c int) int { return cmp.Or(cmp.Compare(counts[c], counts[a]), cmp.Compare(a, c)) })
		top := order[:maxBins-1]
		slices.Sort(top)
		other := uint8(maxBins - 1)
		for c := range binOf {
			binOf[c] = other
		}
		b.catOf[j] = make([][]int, maxBins)
		for bin, c := range top {
			binOf[c] = uint8(bin)
			b.catOf[j][bin] = []int{c}
		}
		for c := range k {
			if binOf[c] == other {
				b.catOf[j][other] = append(b.catOf[j][other], c)
			}
		}
		b.nbins[j] = maxBins
	}
	out := make([]uint8, len(col))
	for i, v := range col {
		if v != v {
			out[i] = missingBin
			continue
		}
		out[i] = binOf[int(v)]
	}
	b.cols[j] = out
}

// radixSort sorts floats (no NaN) by an LSD radix sort on their bits mapped
// to unsigned order: several times faster than a comparison sort on the
// hundreds of thousands of values of a feature column.
func radixSort(v []float64) {
	if len(v) < 256 {
		slices.Sort(v)
		return
	}
	const bits, passes = 11, 6 // 66 bits cover the 64
	keys := make([]uint64, len(v))
	tmp := make([]uint64, len(v))
	var counts [passes][1 << bits]int
	for i, f := range v {
		u := math.Float64bits(f)
		if u>>63 != 0 {
			u = ^u
		} else {
			u |= 1 << 63
		}
		keys[i] = u
		for p := range passes {
			counts[p][(u>>(p*bits))&(1<<bits-1)]++
		}
	}
	for p := range passes {
		c := &counts[p]
		if c[(keys[0]>>(p*bits))&(1<<bits-1)] == len(v) {
			continue // every key has the same digit here
		}
		sum := 0
		for d, n := range c {
			c[d] = sum
			sum += n
		}
		for _, u := range keys {
			d := (u >> (p * bits)) & (1<<bits - 1)
			tmp[c[d]] = u
			c[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, u := range keys {
		if u>>63 != 0 {
			u &^= 1 << 63
		} else {
			u = ^u
		}
		v[i] = math.Float64frombits(u)
	}
}
