package transform

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// NormalizeData rescales numeric columns with statistics learnt when fitting,
// so new data is scaled exactly as the training data was.
type NormalizeData struct{}

const normStateVersion = 1

// The normalization methods.
const (
	normZScore   = "zscore"
	normMinMax   = "minmax"
	normRobust   = "robust"
	normLogistic = "logistic"
	normTanh     = "tanh"
)

// Spec implements modules.Module.
func (NormalizeData) Spec() modules.Spec {
	return modules.Spec{
		ID: "normalize_data", Version: 1, Name: "Normalize Data", Category: modules.CategoryTransform,
		Summary: "Rescales numeric columns: z-score, min-max, robust (median and IQR), logistic or tanh.",
		Help: "Z-score subtracts the mean and divides by the population standard deviation (divisor n, as " +
			"scikit-learn's StandardScaler does, not n-1). Min-max maps the fitted minimum to 0 and maximum to 1; " +
			"values outside the fitted range land outside [0, 1]. Robust subtracts the median and divides by the " +
			"interquartile range (quartiles interpolated linearly, as NumPy does by default). Logistic maps x to " +
			"1/(1+e^-x) and needs no statistics. Tanh maps the z-score z to 0.5·(tanh(0.01·z)+1). The statistics " +
			"are learnt when fitting, ignoring nulls, NaN and infinite values, and kept in the transform output: " +
			"applying it to other data uses them unchanged. A column whose deviation or range is 0, or that had " +
			"no values when fitted, becomes 0 or keeps its values, as chosen. Results are float columns; nulls " +
			"stay null. By default every numeric column except labels and scores is normalized.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "results", Label: "Transformed dataset", Kind: modules.KindTable},
			{Name: "transform", Label: "Transformation function", Kind: modules.KindTransform,
				Help: "The learnt scaling, to normalize other data the same way with Apply Transformation."},
		},
		Params: []modules.Param{
			{Name: "columns", Label: "Columns to transform", Type: modules.ParamColumns, Input: "dataset",
				Default: defaultNumericFeatures,
				Help:    "The numeric columns to normalize.", Example: `["age", "income"]`},
			{Name: "method", Label: "Transformation method", Type: modules.ParamChoice, Default: normZScore,
				Help: "How values are rescaled.",
				Choices: []modules.Choice{
					{Value: normZScore, Label: "ZScore", Help: "(x - mean) / standard deviation"},
					{Value: normMinMax, Label: "MinMax", Help: "(x - min) / (max - min)"},
					{Value: normRobust, Label: "Robust", Help: "(x - median) / interquartile range"},
					{Value: normLogistic, Label: "Logistic", Help: "1 / (1 + e^-x)"},
					{Value: normTanh, Label: "Tanh", Help: "0.5 (tanh(0.01 z-score) + 1)"},
				}},
			{Name: "constant_columns", Label: "Constant columns", Type: modules.ParamChoice, Default: "zero",
				Help: "What a column with no spread (all values equal) becomes.",
				Choices: []modules.Choice{
					{Value: "zero", Label: "Set to 0"},
					{Value: "keep", Label: "Keep the values as they are"},
				}},
		},
	}
}

func (NormalizeData) selected(p modules.Params, s table.Schema) ([]int, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return nil, err
	}
	return idx, requireNumericColumns("columns", "Normalize Data", s, idx)
}

// normSchema is s with the normalized columns turned into floats.
func normSchema(s table.Schema, names []string) table.Schema {
	out := s.Clone()
	for k := range out {
		if slices.Contains(names, out[k].Name) {
			out[k].Type = table.Float
		}
	}
	return out
}

// Infer implements modules.Module.
func (m NormalizeData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil, {Kind: modules.KindTransform}}, nil
	}
	idx, err := m.selected(ic.Params, s)
	if err != nil {
		return nil, err
	}
	out := normSchema(s, selectedNames(s, idx))
	return []*modules.Shape{modules.TableShape(out), {Kind: modules.KindTransform, Schema: out, Input: s}}, nil
}

// normState is the fitted state of Normalize Data.
type normState struct {
	Version int    `json:"version"`
	Method  string `json:"method"`
	// Constant says what a column without spread becomes: "zero" or "keep".
	Constant string       `json:"constant_columns"`
	Columns  []normColumn `json:"columns"`
}

// normColumn holds one column's statistics; only those its method uses are set.
type normColumn struct {
	Name string `json:"name"`
	// Count is how many values the statistics were computed from.
	Count  int         `json:"count"`
	Mean   *stateFloat `json:"mean,omitempty"`
	Std    *stateFloat `json:"std,omitempty"`
	Min    *stateFloat `json:"min,omitempty"`
	Max    *stateFloat `json:"max,omitempty"`
	Median *stateFloat `json:"median,omitempty"`
	IQR    *stateFloat `json:"iqr,omitempty"`

	center, scale float64
}

func normPtr(x float64) *stateFloat { f := stateFloat(x); return &f }

// Fit implements modules.Fitter.
func (m NormalizeData) Fit(rc *modules.Context) (modules.State, error) {
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	idx, err := m.selected(rc.Params, t.Schema())
	if err != nil {
		return nil, err
	}
	st := normState{Version: normStateVersion, Method: rc.Params.String("method"), Constant: rc.Params.String("constant_columns")}
	p := newFitProgress(rc.Progress, 0, 0.5)
	p.expect(len(idx) * t.NumRows())
	for _, i := range idx {
		col := normColumn{Name: t.Field(i).Name}
		c := t.Column(i)
		switch st.Method {
		case normZScore, normTanh:
			var mean, std float64
			switch c := c.(type) {
			case *table.Floats:
				col.Count, mean, std, err = normMoments(rc.Ctx, c.Data(), c.Validity(), p)
			case *table.Ints:
				col.Count, mean, std, err = normMoments(rc.Ctx, c.Data(), c.Validity(), p)
			}
			col.Mean, col.Std = normPtr(mean), normPtr(std)
		case normMinMax:
			var lo, hi float64
			switch c := c.(type) {
			case *table.Floats:
				col.Count, lo, hi, err = normRange(rc.Ctx, c.Data(), c.Validity(), p)
			case *table.Ints:
				col.Count, lo, hi, err = normRange(rc.Ctx, c.Data(), c.Validity(), p)
			}
			col.Min, col.Max = normPtr(lo), normPtr(hi)
		case normRobust:
			if err = rc.Err(); err != nil {
				return nil, err
			}
			vals := finiteNumbers(c)
			col.Count = len(vals)
			var med, iqr float64
			if len(vals) > 0 {
				q := selectQuantiles(vals, 0.25, 0.5, 0.75)
				med, iqr = q[1], q[2]-q[0]
			}
			col.Median, col.IQR = normPtr(med), normPtr(iqr)
			p.add(t.NumRows())
		case normLogistic:
			col.Count = c.Len() - c.NullCount()
			p.add(t.NumRows())
		}
		if err != nil {
			return nil, err
		}
		st.Columns = append(st.Columns, col)
	}
	return encodeFitted(st)
}

// normMoments returns the count, mean and population standard deviation of
// the finite values, in two passes: steadier than a one-pass sum of squares
// when the mean is large next to the spread.
func normMoments[T int64 | float64](ctx context.Context, data []T, valid table.Bitmap, p *fitProgress) (n int, mean, std float64, err error) {
	sum := 0.0
	err = fitChunks(ctx, len(data), p, func(lo, hi int) error {
		s, c := normSum(data, valid, lo, hi, false, 0)
		sum, n = sum+s, n+c
		return nil
	})
	if err != nil || n == 0 {
		return 0, 0, 0, err
	}
	mean = sum / float64(n)
	ss := 0.0
	err = fitChunks(ctx, len(data), nil, func(lo, hi int) error {
		s, _ := normSum(data, valid, lo, hi, true, mean)
		ss += s
		return nil
	})
	return n, mean, math.Sqrt(ss / float64(n)), err
}

// normSum returns the sum of the finite values of rows [lo, hi), or of their
// squared deviations from mean when squares is set, and their count. The
// loops live in a plain function, not the closures that call it, so the
// accumulators stay in registers.
func normSum[T int64 | float64](data []T, valid table.Bitmap, lo, hi int, squares bool, mean float64) (sum float64, n int) {
	for i, v := range data[lo:hi] {
		x := float64(v)
		// x-x is 0 exactly when x is finite: NaN and ±Inf give NaN.
		if x-x != 0 || (valid != nil && !valid.Valid(lo+i)) {
			continue
		}
		if squares {
			x = (x - mean) * (x - mean)
		}
		sum += x
		n++
	}
	return sum, n
}

// normRange returns the count, minimum and maximum of the finite values.
func normRange[T int64 | float64](ctx context.Context, data []T, valid table.Bitmap, p *fitProgress) (n int, lo, hi float64, err error) {
	lo, hi = math.Inf(1), math.Inf(-1)
	err = fitChunks(ctx, len(data), p, func(from, to int) error {
		c, l, h := normRangeOf(data, valid, from, to)
		n, lo, hi = n+c, min(lo, l), max(hi, h)
		return nil
	})
	if n == 0 {
		return 0, 0, 0, err
	}
	return n, lo, hi, err
}

func normRangeOf[T int64 | float64](data []T, valid table.Bitmap, from, to int) (n int, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i, v := range data[from:to] {
		x := float64(v)
		if x-x != 0 || (valid != nil && !valid.Valid(from+i)) {
			continue
		}
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
		n++
	}
	return n, lo, hi
}

// Apply implements modules.Fitter.
func (NormalizeData) Apply(rc *modules.Context, s modules.State) error {
	var st normState
	if err := decodeFitted(s, normStateVersion, &st); err != nil {
		return err
	}
	if err := st.prepare(); err != nil {
		return err
	}
	return runFitted(rc, &st)
}

// prepare checks the decoded state and derives each column's center and scale.
func (st *normState) prepare() error {
	if st.Constant != "zero" && st.Constant != "keep" {
		return fmt.Errorf("fitted state: unknown constant_columns %q", st.Constant)
	}
	for k := range st.Columns {
		c := &st.Columns[k]
		need := func(pairs ...*stateFloat) ([]float64, error) {
			out := make([]float64, len(pairs))
			for i, f := range pairs {
				if f == nil {
					return nil, fmt.Errorf("fitted state: column %q lacks the statistics %s needs", c.Name, st.Method)
				}
				out[i] = float64(*f)
			}
			return out, nil
		}
		var v []float64
		var err error
		switch st.Method {
		case normZScore, normTanh:
			v, err = need(c.Mean, c.Std)
		case normMinMax:
			if v, err = need(c.Min, c.Max); err == nil {
				v[1] -= v[0]
			}
		case normRobust:
			v, err = need(c.Median, c.IQR)
		case normLogistic:
			v = []float64{0, 1}
		default:
			return fmt.Errorf("fitted state: unknown method %q", st.Method)
		}
		if err != nil {
			return err
		}
		c.center, c.scale = v[0], v[1]
	}
	return nil
}

func (st *normState) describe() string {
	names := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		names[k] = c.Name
	}
	return fmt.Sprintf("Normalize Data (%s): %s", st.Method, strings.Join(names, ", "))
}

// How one column is computed, decided once per column outside the row loop.
const (
	normOpLinear   = iota // (x - center) / scale
	normOpTanh            // 0.5 (tanh(0.01 (x - center) / scale) + 1)
	normOpLogistic        // 1 / (1 + e^-x)
	normOpZero            // 0
	normOpKeep            // x
)

func (st *normState) apply(ctx context.Context, t *table.Table, p *fitProgress) (*table.Table, error) {
	pos := make([]int, len(st.Columns))
	for k, c := range st.Columns {
		col, i, err := fittedColumn(t, c.Name)
		if err != nil {
			return nil, err
		}
		if !col.Type().Numeric() {
			return nil, fmt.Errorf("column %q is %s; Normalize Data needs numeric (int or float) columns", c.Name, col.Type())
		}
		pos[k] = i
	}
	p.expect(len(st.Columns) * t.NumRows())
	schema, cols := t.Schema(), t.Columns()
	for k, c := range st.Columns {
		op := normOpLinear
		switch {
		case st.Method == normLogistic:
			op = normOpLogistic
		case c.Count == 0 || c.scale == 0:
			op = normOpZero
			if st.Constant == "keep" {
				op = normOpKeep
			}
		case st.Method == normTanh:
			op = normOpTanh
		}
		var (
			res []float64
			err error
			bm  table.Bitmap
		)
		switch col := cols[pos[k]].(type) {
		case *table.Floats:
			res, err = normCompute(ctx, col.Data(), op, c.center, c.scale, p)
			bm = col.Validity()
		case *table.Ints:
			res, err = normCompute(ctx, col.Data(), op, c.center, c.scale, p)
			bm = col.Validity()
		}
		if err != nil {
			return nil, err
		}
		// Columns never change once built, so the input's validity can be shared.
		schema[pos[k]].Type = table.Float
		cols[pos[k]] = table.NewFloats(res, bm)
	}
	return table.New(schema, cols)
}

// normCompute applies op to every row. Null rows are computed from their
// placeholder zero and hidden by the validity bitmap: cheaper than a branch.
func normCompute[T int64 | float64](ctx context.Context, src []T, op int, center, scale float64, p *fitProgress) ([]float64, error) {
	out := make([]float64, len(src))
	err := fitChunks(ctx, len(src), p, func(lo, hi int) error {
		s, o := src[lo:hi], out[lo:hi]
		switch op {
		case normOpLinear:
			for i, x := range s {
				o[i] = (float64(x) - center) / scale
			}
		case normOpTanh:
			for i, x := range s {
				o[i] = 0.5 * (math.Tanh(0.01*(float64(x)-center)/scale) + 1)
			}
		case normOpLogistic:
			for i, x := range s {
				o[i] = 1 / (1 + math.Exp(-float64(x)))
			}
		case normOpKeep:
			for i, x := range s {
				o[i] = float64(x)
			}
		}
		return nil
	})
	return out, err
}
