package stats

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// ComputeLinearCorrelation computes the Pearson correlation of every pair of
// numeric columns.
type ComputeLinearCorrelation struct{}

// Spec implements modules.Module.
func (ComputeLinearCorrelation) Spec() modules.Spec {
	return modules.Spec{
		ID: "compute_linear_correlation", Version: 1, Name: "Compute Linear Correlation", Category: modules.CategoryStats,
		Summary: "Computes the Pearson correlation matrix of numeric columns.",
		Help: "The result is a square matrix: a Feature column naming each chosen column, then one float " +
			"column per chosen column holding its Pearson correlation with the row's column, from -1 to 1.\n\n" +
			"Missing values (and NaN) are handled pairwise: each pair of columns uses the rows where both " +
			"have a value, so different cells may rest on different rows. A pair with fewer than two such " +
			"rows, or where either column is constant on them, has no defined correlation and gets NaN; a " +
			"column constant throughout gets NaN in its whole row and column, its diagonal cell included. " +
			"Bool columns count as 0 and 1.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: resultsPort,
		Params: []modules.Param{{
			Name: "columns", Label: "Columns", Type: modules.ParamColumns, Input: "dataset",
			Default: modules.ColumnSelector{Rules: []modules.SelectRule{{Types: []string{"numeric"}}}},
			Help:    "The numeric (int, float or bool) columns to correlate; by default every int and float column.",
			Example: `["age", "income"]`,
		}},
	}
}

func (ComputeLinearCorrelation) plan(p modules.Params, s table.Schema) ([]int, table.Schema, error) {
	idx, err := p.Columns("columns").Resolve(s)
	if err != nil {
		return nil, nil, modules.ParamErr("columns", err)
	}
	if len(idx) == 0 {
		return nil, nil, modules.ParamErrf("columns", "selects no columns, and correlation needs numeric ones (the dataset has: %s)", s)
	}
	out := table.Schema{{Name: "Feature", Type: table.String}}
	taken := map[string]bool{"Feature": true}
	for _, i := range idx {
		f := s[i]
		if !f.Type.Numeric() && f.Type != table.Bool {
			return nil, nil, modules.ParamErrf("columns", "column %q is %s; correlation needs int, float or bool columns", f.Name, f.Type)
		}
		name := f.Name
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s (%d)", f.Name, n)
		}
		taken[name] = true
		out = append(out, table.Field{Name: name, Type: table.Float})
	}
	return idx, out, nil
}

// Infer implements modules.Module.
func (m ComputeLinearCorrelation) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	_, out, err := m.plan(ic.Params, s)
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(out)}, nil
}

// Run implements modules.Runner.
func (m ComputeLinearCorrelation) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	idx, schema, err := m.plan(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	k := len(idx)
	cols := make([]*corrColumn, k)
	for c, i := range idx {
		if cols[c], err = newCorrColumn(t.Column(i)); err != nil {
			return fmt.Errorf("column %q: %w", t.Field(i).Name, err)
		}
	}
	r := make([][]float64, k) // r[j][i]: column j of the output
	for j := range r {
		r[j] = make([]float64, k)
	}
	type pair struct{ i, j int }
	var pairs []pair
	for i := range k {
		r[i][i] = math.NaN()
		if cols[i].spread() {
			r[i][i] = 1
		}
		for j := i + 1; j < k; j++ {
			pairs = append(pairs, pair{i, j})
		}
	}
	// Pairs are independent, so they are shared out among the workers.
	workers := max(1, min(rc.Workers, len(pairs)))
	var wg parallel.Group
	var done sync.Mutex
	finished := 0
	for w := range workers {
		wg.Go(func() {
			var buf pairBuffer
			for p := w; p < len(pairs); p += workers {
				if rc.Err() != nil {
					return
				}
				i, j := pairs[p].i, pairs[p].j
				r[i][j] = buf.pearson(cols[i], cols[j])
				r[j][i] = r[i][j]
				done.Lock()
				finished++
				rc.Progress(float64(finished) / float64(len(pairs)))
				done.Unlock()
			}
		})
	}
	wg.Wait()
	if err := rc.Err(); err != nil {
		return err
	}
	names := make([]string, k)
	out := make([]table.Column, 0, k+1)
	for c, i := range idx {
		names[c] = t.Field(i).Name
	}
	out = append(out, table.NewStrings(names, nil))
	for j := range k {
		out = append(out, table.NewFloats(r[j], nil))
	}
	res, err := table.New(schema, out)
	if err != nil {
		return err
	}
	rc.SetOutput("results", res)
	return nil
}

// corrColumn is a column's values as floats, NaN where missing, with the
// statistics used whenever a pair needs no row dropped.
type corrColumn struct {
	x        []float64
	complete bool    // no missing values
	mean, ss float64 // of the whole column, when complete
	constant bool    // all values present are equal
	n        int     // values present
}

func newCorrColumn(c table.Column) (*corrColumn, error) {
	f, err := table.ToFloats(c)
	if err != nil {
		return nil, err
	}
	x := f.Data()
	if valid := f.Validity(); valid != nil {
		x = make([]float64, len(x))
		for i, v := range f.Data() {
			if !valid.Valid(i) {
				v = math.NaN()
			}
			x[i] = v
		}
	}
	cc := &corrColumn{x: x, complete: true, constant: true}
	first := math.NaN()
	for _, v := range x {
		if math.IsNaN(v) {
			cc.complete = false
			continue
		}
		if cc.n == 0 {
			first = v
		}
		cc.n++
		cc.constant = cc.constant && v == first
	}
	if cc.complete && cc.n >= 2 {
		var variance float64
		cc.mean, variance = stat.MeanVariance(x, nil)
		cc.ss = variance * float64(cc.n-1)
	}
	return cc, nil
}

// spread reports whether the column's correlation with itself is defined.
// Constancy is checked exactly because the deviations of a constant column
// from its computed mean need not be exactly 0, which would give a
// meaningless correlation instead of NaN.
func (c *corrColumn) spread() bool { return c.n >= 2 && !c.constant }

// pairBuffer holds one worker's copies of the rows a pair has in common.
type pairBuffer struct{ x, y []float64 }

// pearson returns the correlation of a and b over the rows where both have values.
func (buf *pairBuffer) pearson(a, b *corrColumn) float64 {
	if !a.spread() || !b.spread() {
		return math.NaN()
	}
	if a.complete && b.complete {
		// stat.Correlation would recompute both means for every pair; with
		// them known, one pass over the data does.
		var sxy float64
		for i, x := range a.x {
			sxy += (x - a.mean) * (b.x[i] - b.mean)
		}
		return clamp(sxy / math.Sqrt(a.ss*b.ss))
	}
	buf.x, buf.y = buf.x[:0], buf.y[:0]
	constX, constY := true, true
	for i, x := range a.x {
		y := b.x[i]
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		if len(buf.x) > 0 {
			constX, constY = constX && x == buf.x[0], constY && y == buf.y[0]
		}
		buf.x, buf.y = append(buf.x, x), append(buf.y, y)
	}
	if len(buf.x) < 2 || constX || constY {
		return math.NaN()
	}
	return clamp(stat.Correlation(buf.x, buf.y, nil))
}

// clamp keeps rounding from taking a correlation past ±1.
func clamp(r float64) float64 { return max(-1, min(1, r)) }
