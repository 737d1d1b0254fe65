package tree

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
)

// Data is a feature matrix stored by column: Cols[j][i] is feature j of row i.
// NaN marks a missing value.
type Data struct {
	Cols [][]float64
	// NumCats[j] is 0 for a numeric feature and k > 0 for a categorical one
	// whose values are the codes 0..k-1. Nil means every feature is numeric.
	NumCats []int
}

// NumRows returns the number of rows.
func (d Data) NumRows() int {
	if len(d.Cols) == 0 {
		return 0
	}
	return len(d.Cols[0])
}

// NumFeatures returns the number of features.
func (d Data) NumFeatures() int { return len(d.Cols) }

func (d Data) cats(j int) int {
	if d.NumCats == nil {
		return 0
	}
	return d.NumCats[j]
}

// FromRows builds Data from row-major rows, for tests and small inputs.
func FromRows(rows [][]float64, numCats []int) Data {
	if len(rows) == 0 {
		return Data{NumCats: numCats}
	}
	p := len(rows[0])
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, len(rows))
		for i, r := range rows {
			cols[j][i] = r[j]
		}
	}
	return Data{Cols: cols, NumCats: numCats}
}

// Row copies row i into dst (grown as needed) and returns it.
func (d Data) Row(i int, dst []float64) []float64 {
	dst = dst[:0]
	for _, c := range d.Cols {
		dst = append(dst, c[i])
	}
	return dst
}

// ErrNoRows is returned when training is given no rows.
var ErrNoRows = errors.New("no training rows")

// check validates the matrix against the targets for training.
func (d Data) check(y []float64, nClasses int, w []float64) error {
	n := d.NumRows()
	if n == 0 || len(d.Cols) == 0 {
		if n == 0 {
			return ErrNoRows
		}
		return errors.New("no features")
	}
	if d.NumCats != nil && len(d.NumCats) != len(d.Cols) {
		return fmt.Errorf("NumCats has %d entries for %d features", len(d.NumCats), len(d.Cols))
	}
	for j, c := range d.Cols {
		if len(c) != n {
			return fmt.Errorf("feature %d has %d rows, feature 0 has %d", j, len(c), n)
		}
		if k := d.cats(j); k > 0 {
			for i, v := range c {
				if !math.IsNaN(v) && (v < 0 || v >= float64(k) || v != math.Trunc(v)) {
					return fmt.Errorf("feature %d row %d: categorical code %v is not in 0..%d", j, i+1, v, k-1)
				}
			}
		} else if k < 0 {
			return fmt.Errorf("feature %d: negative category count %d", j, k)
		}
	}
	if len(y) != n {
		return fmt.Errorf("%d targets for %d rows", len(y), n)
	}
	for i, v := range y {
		if nClasses > 0 {
			if v < 0 || v >= float64(nClasses) || v != math.Trunc(v) {
				return fmt.Errorf("row %d: class %v is not in 0..%d", i+1, v, nClasses-1)
			}
		} else if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d: target %v is not a finite number", i+1, v)
		}
	}
	if w != nil {
		if len(w) != n {
			return fmt.Errorf("%d weights for %d rows", len(w), n)
		}
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("row %d: weight %v is not a finite non-negative number", i+1, v)
			}
		}
	}
	return nil
}

// newRand returns the generator for stream index under seed. Mixing both
// through splitmix64 keeps neighbouring seeds and indices uncorrelated.
func newRand(seed uint64, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed^splitmix(index+0x9e3779b97f4a7c15)), splitmix(index)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}
