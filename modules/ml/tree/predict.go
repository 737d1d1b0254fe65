package tree

import (
	"fmt"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// checkPredict validates a matrix against an ensemble before prediction.
func checkPredict(d Data, features, k int, out []float64) error {
	if d.NumFeatures() != features {
		return fmt.Errorf("model was trained on %d features, data has %d", features, d.NumFeatures())
	}
	n := d.NumRows()
	for j, c := range d.Cols {
		if len(c) != n {
			return fmt.Errorf("feature %d has %d rows, feature 0 has %d", j, len(c), n)
		}
	}
	if len(out) != n*k {
		return fmt.Errorf("output has room for %d values, need %d", len(out), n*k)
	}
	return nil
}

// accumulate adds the leaf outputs of every tree for every row of d to out
// (row-major, k a row). Rows are cut into chunks, one per worker, and each
// chunk into blocks small enough that a block's rows stay in L1 cache while
// every tree is walked over them.
func accumulate(trees []*Tree, k int, d Data, out []float64, workerCount int) {
	n := d.NumRows()
	p := d.NumFeatures()
	if n == 0 {
		return
	}
	const minChunk = 2048
	w := max(1, min(workers(workerCount), (n+minChunk-1)/minChunk))
	if w == 1 {
		accumulateRange(trees, k, d, out, 0, n, p)
		return
	}
	chunk := (n + w - 1) / w
	var wg parallel.Group
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		wg.Go(func() { accumulateRange(trees, k, d, out, lo, hi, p) })
	}
	wg.Wait()
}

func accumulateRange(trees []*Tree, k int, d Data, out []float64, lo, hi, p int) {
	block := make([]float64, blockRows*p)
	var pos [blockRows]int32
	for b0 := lo; b0 < hi; b0 += blockRows {
		m := min(hi-b0, blockRows)
		hasNaN := false
		for j, c := range d.Cols {
			dst := block[j*blockRows : j*blockRows+blockRows]
			copy(dst, c[b0:b0+m])
			for _, v := range dst[:m] {
				hasNaN = hasNaN || v != v
			}
		}
		dst := out[b0*k : (b0+m)*k]
		for _, t := range trees {
			// A short last block walks stale rows too; their leaves are ignored.
			t.leaves(block, &pos, hasNaN)
			if k == 1 {
				for r, l := range pos[:m] {
					dst[r] += t.vals[l]
				}
				continue
			}
			for r, l := range pos[:m] {
				v := t.vals[int(l)*k : int(l)*k+k]
				o := dst[r*k : r*k+k]
				for c := range o {
					o[c] += v[c]
				}
			}
		}
	}
}
