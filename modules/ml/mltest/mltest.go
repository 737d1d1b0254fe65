// Package mltest makes deterministic data for the learners' tests and
// benchmarks, and for timing other tools on exactly the same rows.
package mltest

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/trellis-studio/trellis/modules/table"
)

// Synthetic returns n rows of 20 standard normal features x0..x19 and a
// label y drawn from one logistic model (the same weights for every seed);
// the rows are deterministic for a seed.
func Synthetic(n int, seed uint64) *table.Table {
	const p = 20
	wr := rand.New(rand.NewPCG(7, 7))
	w := make([]float64, p)
	for j := range w {
		w[j] = wr.NormFloat64() / 2
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	y := make([]int64, n)
	for i := range n {
		z := 0.3
		for j := range p {
			v := rng.NormFloat64()
			cols[j][i] = v
			z += w[j] * v
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	schema := make(table.Schema, 0, p+1)
	tc := make([]table.Column, 0, p+1)
	for j := range p {
		schema = append(schema, table.Field{Name: "x" + strconv.Itoa(j), Type: table.Float})
		tc = append(tc, table.NewFloats(cols[j], nil))
	}
	schema = append(schema, table.Field{Name: "y", Type: table.Int})
	tc = append(tc, table.NewInts(y, nil))
	return table.MustNew(schema, tc...)
}
