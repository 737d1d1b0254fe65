package manipulation

import (
	"cmp"
	"math"
	"slices"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// SortData orders rows by one or more columns.
type SortData struct{}

// Spec implements modules.Module.
func (SortData) Spec() modules.Spec {
	return modules.Spec{
		ID: "sort_data", Version: 1, Name: "Sort Data", Category: modules.CategoryManipulation,
		Summary: "Orders rows by one or more columns.",
		Help: "Rows are ordered by the first column chosen, rows equal there by the second, and so on. " +
			"Descending reverses the order of every sort column. Missing values come first in ascending " +
			"order and last in descending order. The sort is stable: rows with equal sort values keep their " +
			"input order, in either direction. Numbers sort numerically (NaN before every other number), " +
			"strings by their bytes (upper case before lower case), false before true, timestamps by time.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: resultsPort,
		Params: []modules.Param{
			{Name: "columns", Label: "Sort columns", Type: modules.ParamColumns, Input: "dataset", Required: true,
				Help: "The columns to sort by, most important first.", Example: `["country", "age"]`},
			{Name: "descending", Label: "Descending", Type: modules.ParamBool, Default: false,
				Help: "Sort from largest to smallest, for every sort column."},
		},
	}
}

func (SortData) keys(p modules.Params, s table.Schema) ([]int, error) {
	return p.ColumnIndices("columns", s)
}

// Infer implements modules.Module.
func (m SortData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	if _, err := m.keys(ic.Params, s); err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(s)}, nil
}

// Run implements modules.Runner.
func (m SortData) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	idx, err := m.keys(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	if err := checkRows(t.NumRows()); err != nil {
		return err
	}
	perm := sortedRows(t.Select(idx).Columns(), t.NumRows(), rc.Params.Bool("descending"))
	if err := rc.Err(); err != nil {
		return err
	}
	rc.SetOutput("results", t.Take(perm))
	return nil
}

// sortedRows returns the row order that sorts the columns, stably.
func sortedRows(cols []table.Column, n int, desc bool) []int {
	if radixable(cols) {
		// Stable sorts by each column from the least important to the most
		// leave rows ordered by all of them.
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		for k := len(cols) - 1; k >= 0; k-- {
			perm = radixPass(cols[k], perm, desc)
		}
		out := make([]int, n)
		for i, r := range perm {
			out[i] = int(r)
		}
		return out
	}
	if len(cols) == 1 {
		if c, ok := cols[0].(*table.Strings); ok {
			return sortOne(c.Data(), c.Validity(), desc)
		}
	}
	cmps := make([]func(i, j int) int, len(cols))
	for k, c := range cols {
		cmps[k] = comparer(c)
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	// Breaking ties by row number makes the faster unstable sort stable.
	slices.SortFunc(perm, func(i, j int) int {
		for _, f := range cmps {
			if c := f(i, j); c != 0 {
				if desc {
					return -c
				}
				return c
			}
		}
		return cmp.Compare(i, j)
	})
	return perm
}

// sortPair carries a value with its row so that sorting one column reads
// memory in order instead of jumping through a permutation.
type sortPair[T any] struct {
	v   T
	row int
}

func sortOne[T cmp.Ordered](data []T, valid table.Bitmap, desc bool) []int {
	pairs := make([]sortPair[T], 0, len(data))
	var nulls []int
	for i, v := range data {
		if valid.Valid(i) {
			pairs = append(pairs, sortPair[T]{v, i})
		} else {
			nulls = append(nulls, i)
		}
	}
	if desc {
		slices.SortFunc(pairs, func(a, b sortPair[T]) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.row, b.row)) })
	} else {
		slices.SortFunc(pairs, func(a, b sortPair[T]) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.row, b.row)) })
	}
	perm := make([]int, 0, len(data))
	if !desc {
		perm = append(perm, nulls...)
	}
	for _, p := range pairs {
		perm = append(perm, p.row)
	}
	if desc {
		perm = append(perm, nulls...)
	}
	return perm
}

// radixable reports whether every column's values map to ordered 64-bit keys.
func radixable(cols []table.Column) bool {
	for _, c := range cols {
		switch c.(type) {
		case *table.Floats, *table.Ints, *table.Times, *table.Bools:
		default:
			return false
		}
	}
	return true
}

// radixPass stably sorts perm by column c.
func radixPass(c table.Column, perm []int32, desc bool) []int32 {
	keys := make([]uint64, len(perm))
	valid := validity(c)
	switch c := c.(type) {
	case *table.Floats:
		orderKeys(keys, perm, c.Data(), valid, floatOrder)
	case *table.Ints:
		orderKeys(keys, perm, c.Data(), valid, intOrder)
	case *table.Times:
		orderKeys(keys, perm, c.Data(), valid, intOrder)
	case *table.Bools:
		orderKeys(keys, perm, c.Data(), valid, func(b bool) uint64 { return uint64(b2i(b)) })
	}
	if desc {
		for i := range keys {
			keys[i] = ^keys[i]
		}
	}
	perm = radixSort(keys, perm)
	if valid == nil {
		return perm
	}
	// Move the nulls to the front (or the back, descending), keeping order.
	out := make([]int32, 0, len(perm))
	for pass := range 2 {
		wantNull := (pass == 0) != desc
		for _, r := range perm {
			if valid.Valid(int(r)) != wantNull {
				out = append(out, r)
			}
		}
	}
	return out
}

// orderKeys fills keys with the order keys of the rows in perm. Null rows
// get one key whatever value the column holds beneath the null, so that
// they keep their order.
func orderKeys[T any](keys []uint64, perm []int32, data []T, valid table.Bitmap, order func(T) uint64) {
	for i, r := range perm {
		if valid.Valid(int(r)) {
			keys[i] = order(data[r])
		}
	}
}

// intOrder maps ints to unsigned keys in the same order.
func intOrder(v int64) uint64 { return uint64(v) ^ 1<<63 }

// floatOrder maps floats to unsigned keys in cmp.Compare's order: NaN first,
// and -0 equal to 0 so that they keep their input order.
func floatOrder(f float64) uint64 {
	switch {
	case f != f:
		return 0
	case f == 0:
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSort sorts rows by keys with a least-significant-digit radix sort,
// which is stable by construction and several times faster than a
// comparison sort on a million rows. It reuses both slices.
func radixSort(keys []uint64, rows []int32) []int32 {
	var count [8][256]int
	for _, k := range keys {
		for d := range count {
			count[d][byte(k>>(8*d))]++
		}
	}
	keys2, rows2 := make([]uint64, len(keys)), make([]int32, len(rows))
	for d := range count {
		if len(keys) == 0 || count[d][byte(keys[0]>>(8*d))] == len(keys) {
			continue // every key has the same digit here
		}
		pos, sum := &count[d], 0
		for b, c := range pos {
			pos[b], sum = sum, sum+c
		}
		for i, k := range keys {
			b := byte(k >> (8 * d))
			keys2[pos[b]], rows2[pos[b]] = k, rows[i]
			pos[b]++
		}
		keys, keys2, rows, rows2 = keys2, keys, rows2, rows
	}
	return rows
}

// comparer returns a comparison of two rows of c that, for the common
// types, reads the values directly rather than through the interface.
func comparer(c table.Column) func(i, j int) int {
	switch c := c.(type) {
	case *table.Floats:
		return compareOf(c.Data(), c.Validity())
	case *table.Ints:
		return compareOf(c.Data(), c.Validity())
	case *table.Times:
		return compareOf(c.Data(), c.Validity())
	case *table.Strings:
		return compareOf(c.Data(), c.Validity())
	}
	return c.Compare
}

func compareOf[T cmp.Ordered](data []T, valid table.Bitmap) func(i, j int) int {
	if valid == nil {
		return func(i, j int) int { return cmp.Compare(data[i], data[j]) }
	}
	return func(i, j int) int {
		vi, vj := valid.Valid(i), valid.Valid(j)
		if vi && vj {
			return cmp.Compare(data[i], data[j])
		}
		return cmp.Compare(b2i(vi), b2i(vj)) // nulls first
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
