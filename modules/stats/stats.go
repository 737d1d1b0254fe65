// Package stats holds the statistical function modules: per-column
// summaries and correlation matrices.
//
// Throughout the package NaN counts as missing, like a null: a statistic of
// numbers that includes NaN says nothing, and data read from files and
// models often uses NaN for "no value".
package stats

import (
	"cmp"
	"math"
	"slices"

	"github.com/trellis-studio/trellis/modules"
)

var resultsPort = []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}}

// quantile returns the p-quantile of sorted values by linear interpolation
// between the closest order statistics — R's type 7, numpy's and pandas'
// default: the value at position (n-1)p, counting from 0. gonum's
// stat.Quantile offers only R's types 1 and 4, which users would not expect.
func quantile(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(h)
	q := sorted[lo]
	if lo+1 < len(sorted) {
		q += (h - float64(lo)) * (sorted[lo+1] - sorted[lo])
	}
	return q
}

// runs returns the number of distinct values in sorted and the index of the
// start of the longest run of equal values, the first such run on a tie:
// the mode, and on a tie the smallest mode.
func runs[T cmp.Ordered](sorted []T) (distinct, mode int) {
	best := 0
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		distinct++
		if j-i > best {
			best, mode = j-i, i
		}
		i = j
	}
	return distinct, mode
}

// sortFloats sorts x, which must hold no NaN. A radix sort on keys that
// order like the floats is several times faster than comparison sorting on
// the million-row columns Summarize Data meets; -0 sorts just before 0.
func sortFloats(x []float64) {
	keys := make([]uint64, len(x))
	for i, v := range x {
		b := math.Float64bits(v)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	radixSort(keys)
	for i, k := range keys {
		if k>>63 == 1 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		x[i] = math.Float64frombits(k)
	}
}

// sortInts sorts x by radix, as sortFloats does.
func sortInts(x []int64) {
	keys := make([]uint64, len(x))
	for i, v := range x {
		keys[i] = uint64(v) ^ 1<<63
	}
	radixSort(keys)
	for i, k := range keys {
		x[i] = int64(k ^ 1<<63)
	}
}

// radixSort sorts keys a byte at a time from the least significant,
// skipping the bytes every key shares.
func radixSort(keys []uint64) {
	if len(keys) < 256 {
		slices.Sort(keys)
		return
	}
	var count [8][256]int
	for _, k := range keys {
		for d := range count {
			count[d][byte(k>>(8*d))]++
		}
	}
	src, dst := keys, make([]uint64, len(keys))
	for d := range count {
		if count[d][byte(src[0]>>(8*d))] == len(src) {
			continue
		}
		pos, sum := &count[d], 0
		for b, c := range pos {
			pos[b], sum = sum, sum+c
		}
		for _, k := range src {
			b := byte(k >> (8 * d))
			dst[pos[b]] = k
			pos[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
