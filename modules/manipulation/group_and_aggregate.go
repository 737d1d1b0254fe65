package manipulation

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// GroupAndAggregate computes aggregates (counts, sums, means, …) of the rows
// of each group of equal key values, as SQL's GROUP BY does.
type GroupAndAggregate struct{}

// Spec implements modules.Module.
func (GroupAndAggregate) Spec() modules.Spec {
	return modules.Spec{
		ID: "group_and_aggregate", Version: 1, Name: "Group and Aggregate", Category: modules.CategoryManipulation,
		Summary: "Groups rows by key columns and computes counts, sums, means and other aggregates of each group.",
		Help: "Rows with equal values in every group column form a group (missing values form a group of " +
			"their own); without group columns the whole dataset is one group, and the result has exactly one " +
			"row even when the dataset is empty. The result has the group columns, then one column per " +
			"aggregation; groups appear in the order their first row does.\n\n" +
			"Aggregations are a comma-separated list such as `count(*), sum(amount), mean(amount) as avg_amount`. " +
			"The functions are count(*) (rows), count (non-missing values), sum, mean, min, max, std and var " +
			"(sample: divided by n-1), median and distinct_count (distinct non-missing values). Missing values " +
			"are skipped; an aggregate of a group without values is missing, except counts, which are 0, " +
			"and std and var need two values. NaN is a value: it makes sum, mean, std, var, median, min and max NaN. " +
			"sum of an int or bool column is an int (an error if it overflows), of a float column a float; mean, " +
			"std, var and median are floats; min and max keep the column's type (strings by byte order). " +
			"An aggregate's column is named as written, such as sum(amount), unless it is renamed with " +
			"`as name`. Quote a column or name containing a comma or parenthesis with double quotes or backquotes.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: resultsPort,
		Params: []modules.Param{
			{Name: "group_by", Label: "Group by", Type: modules.ParamColumns, Input: "dataset",
				Help: "The columns whose values define the groups; leave empty to aggregate the whole dataset.", Example: `["city"]`},
			{Name: "aggregations", Label: "Aggregations", Type: modules.ParamString, Default: "count(*)",
				Help: "What to compute for each group, separated by commas: count(*), count, sum, mean, min, max, " +
					"std, var, median or distinct_count of a column, each optionally followed by \"as\" and a name.",
				Example: "count(*), sum(amount), mean(amount) as avg_amount, distinct_count(city)"},
		},
	}
}

func (GroupAndAggregate) plan(p modules.Params, s table.Schema) (groups []int, aggs []aggregate, out table.Schema, err error) {
	if sel := p.Columns("group_by"); !sel.IsEmpty() {
		if groups, err = sel.Resolve(s); err != nil {
			return nil, nil, nil, modules.ParamErr("group_by", err)
		}
	}
	items, err := parseAggregations(p.String("aggregations"))
	if err != nil {
		return nil, nil, nil, modules.ParamErr("aggregations", err)
	}
	if len(items) == 0 && len(groups) == 0 {
		return nil, nil, nil, modules.ParamErrf("aggregations", "is empty and there are no group columns; give an aggregation such as count(*)")
	}
	if aggs, err = bindAggregations(items, s, groups); err != nil {
		return nil, nil, nil, modules.ParamErr("aggregations", err)
	}
	for _, i := range groups {
		out = append(out, s[i])
	}
	for _, a := range aggs {
		out = append(out, a.out)
	}
	return groups, aggs, out, nil
}

// Infer implements modules.Module.
func (m GroupAndAggregate) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		if _, err := parseAggregations(ic.Params.String("aggregations")); err != nil {
			return nil, modules.ParamErr("aggregations", err)
		}
		return []*modules.Shape{nil}, nil
	}
	_, _, out, err := m.plan(ic.Params, s)
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(out)}, nil
}

// Run implements modules.Runner.
func (m GroupAndAggregate) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	groups, aggs, schema, err := m.plan(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	keys := t.Select(groups)
	ids, ng, err := groupRows(rc, keys.Columns(), t.NumRows())
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		ng = 1 // the whole table, even when empty
	}
	cols := keys.Take(firstRows(ids, ng)).Columns()
	for k, a := range aggs {
		rc.Progress(0.3 + 0.7*float64(k)/float64(len(aggs)))
		if err := rc.Err(); err != nil {
			return err
		}
		c, err := a.compute(rc, t, ids, ng)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name(), err)
		}
		cols = append(cols, c)
	}
	out, err := table.New(schema, cols)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}

// compute returns the aggregate of each of the ng groups, given each row's group.
func (a aggregate) compute(rc *modules.Context, t *table.Table, ids []int32, ng int) (table.Column, error) {
	if a.col < 0 { // count(*)
		n := make([]int64, ng)
		for _, g := range ids {
			n[g]++
		}
		return table.NewInts(n, nil), nil
	}
	c := t.Column(a.col)
	valid := validity(c)
	switch a.fn {
	case "count":
		return table.NewInts(groupCounts(ids, ng, valid), nil), nil
	case "distinct_count":
		return distinctCounts(rc, c, ids, ng)
	case "min", "max":
		return c.Take(extremeRows(c, ids, ng, a.fn == "max")), nil
	case "sum":
		switch c := c.(type) {
		case *table.Ints:
			return sumInts(c.Data(), valid, ids, ng)
		case *table.Bools:
			bools := c.Data()
			n, trues := make([]int64, ng), make([]int64, ng)
			for i, g := range ids {
				if valid.Valid(i) {
					n[g]++
					trues[g] += int64(b2i(bools[i]))
				}
			}
			return table.NewInts(trues, emptyGroups(n)), nil
		}
	}
	f, err := table.ToFloats(c)
	if err != nil {
		return nil, err // bindAggregations let only numbers and bools through
	}
	x := f.Data()
	switch a.fn {
	case "sum", "mean":
		n, sum := make([]int64, ng), make([]float64, ng)
		for i, g := range ids {
			if valid.Valid(i) {
				n[g]++
				sum[g] += x[i]
			}
		}
		if a.fn == "mean" {
			for g := range sum {
				sum[g] /= float64(n[g])
			}
		}
		return table.NewFloats(sum, emptyGroups(n)), nil
	case "std", "var":
		v, nulls := groupVariances(x, valid, ids, ng)
		if a.fn == "std" {
			for g := range v {
				v[g] = math.Sqrt(v[g])
			}
		}
		return table.NewFloats(v, nulls), nil
	case "median":
		return groupMedians(rc, x, valid, ids, ng)
	}
	return nil, fmt.Errorf("unknown aggregate %q", a.fn)
}

func groupCounts(ids []int32, ng int, valid table.Bitmap) []int64 {
	n := make([]int64, ng)
	for i, g := range ids {
		if valid.Valid(i) {
			n[g]++
		}
	}
	return n
}

// emptyGroups marks null the groups that had no values (nil when none).
func emptyGroups(n []int64) table.Bitmap {
	var b table.Bitmap
	for g, c := range n {
		if c == 0 {
			if b == nil {
				b = table.NewBitmap(len(n))
			}
			b.Set(g, false)
		}
	}
	return b
}

func sumInts(x []int64, valid table.Bitmap, ids []int32, ng int) (table.Column, error) {
	n, sum := make([]int64, ng), make([]int64, ng)
	for i, g := range ids {
		if !valid.Valid(i) {
			continue
		}
		s := sum[g] + x[i]
		if (x[i] > 0 && s < sum[g]) || (x[i] < 0 && s > sum[g]) {
			return nil, fmt.Errorf("the sum overflows a 64-bit integer at row %d; convert the column to float first", i+1)
		}
		n[g]++
		sum[g] = s
	}
	return table.NewInts(sum, emptyGroups(n)), nil
}

// groupVariances returns the sample variances (n-1) of each group by the
// corrected two-pass algorithm, which stays accurate when the mean is large
// next to the spread; groups with fewer than two values are null.
func groupVariances(x []float64, valid table.Bitmap, ids []int32, ng int) ([]float64, table.Bitmap) {
	n, mean := make([]int64, ng), make([]float64, ng)
	for i, g := range ids {
		if valid.Valid(i) {
			n[g]++
			mean[g] += x[i]
		}
	}
	for g := range mean {
		mean[g] /= float64(n[g])
	}
	ss, comp := make([]float64, ng), make([]float64, ng)
	for i, g := range ids {
		if valid.Valid(i) {
			d := x[i] - mean[g]
			ss[g] += d * d
			comp[g] += d
		}
	}
	var nulls table.Bitmap
	for g := range ss {
		if n[g] < 2 {
			if nulls == nil {
				nulls = table.NewBitmap(ng)
			}
			nulls.Set(g, false)
			ss[g] = 0
			continue
		}
		// Rounding can take the corrected sum a hair below 0; max keeps NaN.
		ss[g] = max(0, ss[g]-comp[g]*comp[g]/float64(n[g])) / float64(n[g]-1)
	}
	return ss, nulls
}

// gather returns the non-null values of x grouped together: group g's are
// vals[start[g]:start[g+1]], in row order.
func gather[T any](x []T, valid table.Bitmap, ids []int32, ng int) (vals []T, start []int) {
	start = make([]int, ng+1)
	for i, g := range ids {
		if valid.Valid(i) {
			start[g+1]++
		}
	}
	for g := range ng {
		start[g+1] += start[g]
	}
	vals = make([]T, start[ng])
	next := slices.Clone(start[:ng])
	for i, g := range ids {
		if valid.Valid(i) {
			vals[next[g]] = x[i]
			next[g]++
		}
	}
	return vals, start
}

func groupMedians(rc *modules.Context, x []float64, valid table.Bitmap, ids []int32, ng int) (*table.Floats, error) {
	vals, start := gather(x, valid, ids, ng)
	med := make([]float64, ng)
	n := make([]int64, ng)
	for g := range ng {
		if g%1024 == 0 {
			if err := rc.Err(); err != nil {
				return nil, err
			}
		}
		v := vals[start[g]:start[g+1]]
		n[g] = int64(len(v))
		if len(v) == 0 {
			continue
		}
		slices.Sort(v) // NaNs first
		if math.IsNaN(v[0]) {
			med[g] = math.NaN()
			continue
		}
		h := float64(len(v)-1) / 2
		lo := int(h)
		med[g] = v[lo]
		if lo+1 < len(v) {
			med[g] += (h - float64(lo)) * (v[lo+1] - v[lo])
		}
	}
	return table.NewFloats(med, emptyGroups(n)), nil
}

// extremeRows returns the row holding each group's minimum (or maximum),
// -1 for a group without values. NaN beats every number either way, so that
// min and max propagate it as the other numeric aggregates do.
func extremeRows(c table.Column, ids []int32, ng int, largest bool) []int {
	valid := validity(c)
	switch c := c.(type) {
	case *table.Floats:
		return extremes(c.Data(), valid, ids, ng, largest)
	case *table.Ints:
		return extremes(c.Data(), valid, ids, ng, largest)
	case *table.Times:
		return extremes(c.Data(), valid, ids, ng, largest)
	case *table.Strings:
		return extremes(c.Data(), valid, ids, ng, largest)
	}
	best := make([]int, ng)
	for g := range best {
		best[g] = -1
	}
	for i, g := range ids {
		if c.Null(i) {
			continue
		}
		if b := best[g]; b < 0 || (largest && c.Compare(i, b) > 0) || (!largest && c.Compare(i, b) < 0) {
			best[g] = i
		}
	}
	return best
}

func extremes[T cmp.Ordered](x []T, valid table.Bitmap, ids []int32, ng int, largest bool) []int {
	best := make([]int, ng)
	for g := range best {
		best[g] = -1
	}
	for i, g := range ids {
		if !valid.Valid(i) {
			continue
		}
		b := best[g]
		if b < 0 {
			best[g] = i
			continue
		}
		v, cur := x[i], x[b]
		if cur != cur { // NaN already
			continue
		}
		if v != v || (largest && v > cur) || (!largest && v < cur) {
			best[g] = i
		}
	}
	return best
}

// distinctCounts counts each group's distinct values by sorting them, which
// beats a hash set of (group, value) pairs several times over.
func distinctCounts(rc *modules.Context, c table.Column, ids []int32, ng int) (table.Column, error) {
	valid := validity(c)
	var n []int64
	var err error
	switch c := c.(type) {
	case *table.Floats:
		n, err = distinctOf(rc, c.Data(), valid, ids, ng)
	case *table.Ints:
		n, err = distinctOf(rc, c.Data(), valid, ids, ng)
	case *table.Times:
		n, err = distinctOf(rc, c.Data(), valid, ids, ng)
	case *table.Strings:
		n, err = distinctOf(rc, c.Data(), valid, ids, ng)
	case *table.Bools:
		var seen [2][]bool
		seen[0], seen[1] = make([]bool, ng), make([]bool, ng)
		for i, v := range c.Data() {
			if valid.Valid(i) {
				seen[b2i(v)][ids[i]] = true
			}
		}
		n = make([]int64, ng)
		for g := range n {
			n[g] = int64(b2i(seen[0][g]) + b2i(seen[1][g]))
		}
	default:
		return nil, fmt.Errorf("distinct_count of a %s column is not supported", c.Type())
	}
	if err != nil {
		return nil, err
	}
	return table.NewInts(n, nil), nil
}

func distinctOf[T cmp.Ordered](rc *modules.Context, x []T, valid table.Bitmap, ids []int32, ng int) ([]int64, error) {
	vals, start := gather(x, valid, ids, ng)
	n := make([]int64, ng)
	for g := range ng {
		if g%1024 == 0 {
			if err := rc.Err(); err != nil {
				return nil, err
			}
		}
		v := vals[start[g]:start[g+1]]
		slices.Sort(v)
		for i := range v {
			// NaN != NaN, yet all NaNs are one value (and -0 == 0 already).
			if i == 0 || (v[i] != v[i-1] && (v[i] == v[i] || v[i-1] == v[i-1])) {
				n[g]++
			}
		}
	}
	return n, nil
}
