package transform

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// GroupDataIntoBins replaces numbers by the bin they fall in (quantization).
// The bin edges are learnt when fitting, so new data is binned exactly as
// the training data was.
type GroupDataIntoBins struct{}

const binStateVersion = 1

// The binning methods and output modes.
const (
	binQuantile   = "quantile"
	binEqualWidth = "equal_width"

	binAppend  = "append"
	binInplace = "inplace"
	binLabel   = "bin_label"
)

// Spec implements modules.Module.
func (GroupDataIntoBins) Spec() modules.Spec {
	return modules.Spec{
		ID: "group_data_into_bins", Version: 1, Name: "Group Data into Bins", Category: modules.CategoryTransform,
		Summary: "Puts numbers into bins of equal width or equal counts (quantiles).",
		Help: "Equal width splits the fitted range, minimum to maximum, into bins of equal width. Quantile puts " +
			"the edges at the quantiles of the fitted values (interpolated linearly, as NumPy does by default), so " +
			"each bin holds about the same number of rows; when many values are equal, edges coincide and fewer " +
			"bins result. A bin includes its lower edge and excludes its upper one. Bins are numbered from 1. The " +
			"edges are learnt when fitting, ignoring nulls, NaN and infinite values, and kept in the transform " +
			"output; values outside the fitted range fall into the first or last bin, which is why the labels of " +
			"those bins are open-ended, e.g. (-inf, 10.5), [10.5, 20), [20, inf). A column with no spread or no " +
			"values gets a single bin. Nulls and NaN stay null. Append adds an int column <column>_quantized; " +
			"in place replaces the column by its bin number; bin label appends <column>_quantized holding the " +
			"bin's label as text. The bin columns are marked categorical. By default every numeric column except " +
			"labels and scores is binned.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "results", Label: "Quantized dataset", Kind: modules.KindTable},
			{Name: "transform", Label: "Binning transformation", Kind: modules.KindTransform,
				Help: "The learnt bin edges, to bin other data the same way with Apply Transformation."},
		},
		Params: []modules.Param{
			{Name: "columns", Label: "Columns to bin", Type: modules.ParamColumns, Input: "dataset",
				Default: defaultNumericFeatures,
				Help:    "The numeric columns to bin.", Example: `["age"]`},
			{Name: "method", Label: "Binning mode", Type: modules.ParamChoice, Default: binQuantile,
				Help: "How the bin edges are chosen.",
				Choices: []modules.Choice{
					{Value: binQuantile, Label: "Quantiles", Help: "About the same number of rows in each bin."},
					{Value: binEqualWidth, Label: "Equal width", Help: "Bins of the same width over the fitted range."},
				}},
			{Name: "bins", Label: "Number of bins", Type: modules.ParamInt, Default: int64(10),
				Min: modules.Bound(2), Max: modules.Bound(1000),
				Help: "How many bins to make."},
			{Name: "output", Label: "Output mode", Type: modules.ParamChoice, Default: binAppend,
				Help: "Where the bins go.",
				Choices: []modules.Choice{
					{Value: binAppend, Label: "Append", Help: "Append an int column <column>_quantized with the bin number."},
					{Value: binInplace, Label: "In place", Help: "Replace the column by its bin number."},
					{Value: binLabel, Label: "Bin label", Help: "Append a text column <column>_quantized with the bin's range."},
				}},
		},
	}
}

func (GroupDataIntoBins) selected(p modules.Params, s table.Schema) ([]int, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return nil, err
	}
	return idx, requireNumericColumns("columns", "Group Data into Bins", s, idx)
}

// binSchema returns the output schema when the named columns are binned.
func binSchema(s table.Schema, names []string, output string) (table.Schema, error) {
	out := s.Clone()
	for _, n := range names {
		i := out.Index(n)
		if output == binInplace {
			out[i].Type, out[i].Categorical = table.Int, true
			continue
		}
		name := n + "_quantized"
		if out.Index(name) >= 0 {
			return nil, modules.ParamErrf("output", "the bin column %q for column %q already exists", name, n)
		}
		t := table.Int
		if output == binLabel {
			t = table.String
		}
		out = append(out, table.Field{Name: name, Type: t, Categorical: true})
	}
	return out, nil
}

// Infer implements modules.Module.
func (m GroupDataIntoBins) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil, {Kind: modules.KindTransform}}, nil
	}
	idx, err := m.selected(ic.Params, s)
	if err != nil {
		return nil, err
	}
	out, err := binSchema(s, selectedNames(s, idx), ic.Params.String("output"))
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(out), {Kind: modules.KindTransform, Schema: out, Input: s}}, nil
}

// binState is the fitted state of Group Data into Bins.
type binState struct {
	Version int         `json:"version"`
	Method  string      `json:"method"`
	Output  string      `json:"output"`
	Columns []binColumn `json:"columns"`
}

// binColumn holds one column's inner bin edges, increasing: bin 1 is below
// Edges[0], bin k+1 is from Edges[k-1] (included) to Edges[k] (excluded),
// and the last bin is from the last edge up.
type binColumn struct {
	Name  string       `json:"name"`
	Edges []stateFloat `json:"edges"`

	edges  []float64
	labels []string
}

// Fit implements modules.Fitter.
func (m GroupDataIntoBins) Fit(rc *modules.Context) (modules.State, error) {
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	s := t.Schema()
	idx, err := m.selected(rc.Params, s)
	if err != nil {
		return nil, err
	}
	if _, err := binSchema(s, selectedNames(s, idx), rc.Params.String("output")); err != nil {
		return nil, err
	}
	st := binState{Version: binStateVersion, Method: rc.Params.String("method"), Output: rc.Params.String("output")}
	bins := rc.Params.Int("bins")
	p := newFitProgress(rc.Progress, 0, 0.5)
	p.expect(len(idx) * t.NumRows())
	for _, i := range idx {
		var edges []float64
		c := t.Column(i)
		switch st.Method {
		case binEqualWidth:
			var n int
			var lo, hi float64
			switch c := c.(type) {
			case *table.Floats:
				n, lo, hi, err = normRange(rc.Ctx, c.Data(), c.Validity(), p)
			case *table.Ints:
				n, lo, hi, err = normRange(rc.Ctx, c.Data(), c.Validity(), p)
			}
			if err != nil {
				return nil, err
			}
			if n > 0 {
				for k := 1; k < bins; k++ {
					edges = append(edges, lo+(hi-lo)*float64(k)/float64(bins))
				}
			}
			edges = binStrictlyAbove(edges, lo)
		default:
			if err := rc.Err(); err != nil {
				return nil, err
			}
			if vals := finiteNumbers(c); len(vals) > 0 {
				qs := make([]float64, bins)
				for k := range qs {
					qs[k] = float64(k) / float64(bins)
				}
				q := selectQuantiles(vals, qs...)
				edges = binStrictlyAbove(q[1:], q[0])
			}
			p.add(t.NumRows())
		}
		col := binColumn{Name: t.Field(i).Name, Edges: make([]stateFloat, len(edges))}
		for k, e := range edges {
			col.Edges[k] = stateFloat(e)
		}
		st.Columns = append(st.Columns, col)
	}
	return encodeFitted(st)
}

// binStrictlyAbove keeps the edges that rise above the minimum and the edge
// before them: a bin between equal edges could never hold a value.
func binStrictlyAbove(edges []float64, lowest float64) []float64 {
	out := edges[:0]
	for _, e := range edges {
		if e > lowest && (len(out) == 0 || e > out[len(out)-1]) {
			out = append(out, e)
		}
	}
	return out
}

// Apply implements modules.Fitter.
func (GroupDataIntoBins) Apply(rc *modules.Context, s modules.State) error {
	var st binState
	if err := decodeFitted(s, binStateVersion, &st); err != nil {
		return err
	}
	if err := st.prepare(); err != nil {
		return err
	}
	return runFitted(rc, &st)
}

func (st *binState) prepare() error {
	switch st.Output {
	case binAppend, binInplace, binLabel:
	default:
		return fmt.Errorf("fitted state: unknown output %q", st.Output)
	}
	for k := range st.Columns {
		c := &st.Columns[k]
		c.edges = make([]float64, len(c.Edges))
		for j, e := range c.Edges {
			c.edges[j] = float64(e)
			if math.IsNaN(c.edges[j]) || (j > 0 && c.edges[j] <= c.edges[j-1]) {
				return fmt.Errorf("fitted state: the bin edges of column %q do not increase", c.Name)
			}
		}
		c.labels = binLabels(c.edges)
	}
	return nil
}

// binLabels names each bin by its range, printing the edges with as few
// digits as keep neighbouring edges apart.
func binLabels(edges []float64) []string {
	text := make([]string, len(edges))
	for prec := 6; prec <= 17; prec++ {
		for k, e := range edges {
			text[k] = strconv.FormatFloat(e, 'g', prec, 64)
		}
		distinct := true
		for k := 1; k < len(text); k++ {
			distinct = distinct && text[k] != text[k-1]
		}
		if distinct {
			break
		}
	}
	bounds := append(append([]string{"-inf"}, text...), "inf")
	labels := make([]string, len(edges)+1)
	for k := range labels {
		open := "["
		if k == 0 {
			open = "("
		}
		labels[k] = open + bounds[k] + ", " + bounds[k+1] + ")"
	}
	return labels
}

func (st *binState) describe() string {
	parts := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		parts[k] = fmt.Sprintf("%s (%d bins)", c.Name, len(c.Edges)+1)
	}
	return fmt.Sprintf("Group Data into Bins (%s): %s", strings.ReplaceAll(st.Method, "_", " "), strings.Join(parts, ", "))
}

func (st *binState) apply(ctx context.Context, t *table.Table, p *fitProgress) (*table.Table, error) {
	pos := make([]int, len(st.Columns))
	names := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		col, i, err := fittedColumn(t, c.Name)
		if err != nil {
			return nil, err
		}
		if !col.Type().Numeric() {
			return nil, fmt.Errorf("column %q is %s; Group Data into Bins needs numeric (int or float) columns", c.Name, col.Type())
		}
		pos[k], names[k] = i, c.Name
	}
	schema, err := binSchema(t.Schema(), names, st.Output)
	if err != nil {
		return nil, err
	}
	p.expect(len(st.Columns) * t.NumRows())
	cols := t.Columns()
	for k, c := range st.Columns {
		var (
			bins  []int64
			valid table.Bitmap
		)
		switch col := t.Column(pos[k]).(type) {
		case *table.Floats:
			bins, valid, err = binCompute(ctx, col.Data(), col.Validity(), c.edges, p)
		case *table.Ints:
			bins, valid, err = binCompute(ctx, col.Data(), col.Validity(), c.edges, p)
		}
		if err != nil {
			return nil, err
		}
		var out table.Column = table.NewInts(bins, valid)
		if st.Output == binLabel {
			text := make([]string, len(bins))
			for i, b := range bins {
				if valid.Valid(i) {
					text[i] = c.labels[b-1]
				}
			}
			out = table.NewStrings(text, valid)
		}
		if st.Output == binInplace {
			cols[pos[k]] = out
		} else {
			cols = append(cols, out)
		}
	}
	return table.New(schema, cols)
}

// binCompute returns the 1-based bin of every row, null where the value is
// null or NaN.
func binCompute[T int64 | float64](ctx context.Context, data []T, valid table.Bitmap, edges []float64, p *fitProgress) ([]int64, table.Bitmap, error) {
	out := make([]int64, len(data))
	outValid := slices.Clone(valid)
	err := fitChunks(ctx, len(data), p, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			x := float64(data[i])
			if x != x {
				if outValid == nil {
					outValid = table.NewBitmap(len(data))
				}
				outValid.Set(i, false)
				continue
			}
			// Count the edges at or below x: binary search, as there may be up to 999.
			a, b := 0, len(edges)
			for a < b {
				m := int(uint(a+b) >> 1)
				if edges[m] <= x {
					a = m + 1
				} else {
					b = m
				}
			}
			out[i] = int64(a + 1)
		}
		return nil
	})
	return out, outValid, err
}
