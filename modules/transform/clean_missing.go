package transform

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// CleanMissingData replaces or removes missing values. The replacement
// values (means, medians, modes) are learnt when fitting and reused as they
// are when the fitted transform is applied to other data.
type CleanMissingData struct{}

const cleanStateVersion = 1

// The cleaning modes.
const (
	cleanMean         = "mean"
	cleanMedian       = "median"
	cleanMode         = "mode"
	cleanConstant     = "constant"
	cleanRemoveRow    = "remove_row"
	cleanRemoveColumn = "remove_column"
)

// Spec implements modules.Module.
func (CleanMissingData) Spec() modules.Spec {
	return modules.Spec{
		ID: "clean_missing_data", Version: 1, Name: "Clean Missing Data", Category: modules.CategoryManipulation,
		Summary: "Replaces missing values with a constant, the mean, median or mode, or removes their rows or columns.",
		Help: "A value is missing when it is null, or NaN in a float column. Only the selected columns whose " +
			"share of missing values lies between the minimum and maximum ratio (inclusive) are cleaned; with an " +
			"empty dataset every ratio is 0. Means, medians and modes are learnt from the data when fitting and " +
			"kept in the transform output, so applying it to new data (one request, say) replaces with the " +
			"training values. The mean and median of an int column are rounded to the nearest whole number so the " +
			"column stays int; they need numeric columns (use the mode or a constant for others). The mode is the " +
			"most frequent value, the smallest one on a tie. A column with no values at all when fitting has " +
			"nothing to learn from and keeps its missing values. A constant is read as each column's type " +
			"(text is used as given). Indicator columns, named <column>_missing, are true where the value was " +
			"missing and are appended for every cleaned column, in every mode. Removing rows drops a row missing " +
			"a value in any cleaned column; removing columns drops the cleaned columns.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "results", Label: "Cleaned dataset", Kind: modules.KindTable},
			{Name: "transform", Label: "Cleaning transformation", Kind: modules.KindTransform,
				Help: "The learnt replacements, to clean other data the same way with Apply Transformation."},
		},
		Params: []modules.Param{
			{Name: "columns", Label: "Columns to be cleaned", Type: modules.ParamColumns, Input: "dataset",
				Default: modules.ColumnSelector{Rules: []modules.SelectRule{{All: true}}},
				Help:    "The columns whose missing values are cleaned.", Example: `["age", "income"]`},
			{Name: "min_missing_ratio", Label: "Minimum missing value ratio", Type: modules.ParamFloat,
				Default: 0.0, Min: modules.Bound(0), Max: modules.Bound(1),
				Help: "Clean a column only if at least this share of its values is missing."},
			{Name: "max_missing_ratio", Label: "Maximum missing value ratio", Type: modules.ParamFloat,
				Default: 1.0, Min: modules.Bound(0), Max: modules.Bound(1),
				Help: "Clean a column only if at most this share of its values is missing."},
			{Name: "mode", Label: "Cleaning mode", Type: modules.ParamChoice, Default: cleanConstant,
				Help: "What to do with missing values.",
				Choices: []modules.Choice{
					{Value: cleanConstant, Label: "Custom substitution value"},
					{Value: cleanMean, Label: "Replace with mean"},
					{Value: cleanMedian, Label: "Replace with median"},
					{Value: cleanMode, Label: "Replace with mode"},
					{Value: cleanRemoveRow, Label: "Remove entire row"},
					{Value: cleanRemoveColumn, Label: "Remove entire column"},
				}},
			{Name: "value", Label: "Replacement value", Type: modules.ParamString, Default: "0",
				ShowIf: &modules.Condition{Param: "mode", Values: []string{cleanConstant}},
				Help:   "The value that replaces missing values, read as each cleaned column's type.", Example: "0"},
			{Name: "add_indicator", Label: "Generate missing value indicator column", Type: modules.ParamBool, Default: false,
				Help: "Append a bool column <column>_missing for each cleaned column, true where the value was missing."},
		},
	}
}

// cleanValue is one replacement value; the field used depends on the column type.
type cleanValue struct {
	f float64
	i int64 // int, and timestamp as Unix nanoseconds
	s string
	b bool
}

// cleanPlan is what the parameters ask for, checked against a schema.
type cleanPlan struct {
	idx      []int
	mode     string
	min, max float64
	// filtered is set when the ratio bounds may leave selected columns out,
	// so which columns are cleaned is only known from the data.
	filtered  bool
	constants []cleanValue // per idx, in constant mode
}

func (CleanMissingData) plan(p modules.Params, s table.Schema) (cleanPlan, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return cleanPlan{}, err
	}
	pl := cleanPlan{idx: idx, mode: p.String("mode"), min: p.Float("min_missing_ratio"), max: p.Float("max_missing_ratio")}
	if pl.min > pl.max {
		return cleanPlan{}, modules.ParamErrf("max_missing_ratio", "%v is below the minimum missing value ratio %v", pl.max, pl.min)
	}
	pl.filtered = pl.min > 0 || pl.max < 1
	switch pl.mode {
	case cleanMean, cleanMedian:
		for _, i := range idx {
			if !s[i].Type.Numeric() {
				return cleanPlan{}, modules.ParamErrf("columns", "column %q is %s: replacing with the %s needs numeric columns (use the mode or a constant, or select only numeric columns)", s[i].Name, s[i].Type, pl.mode)
			}
		}
	case cleanConstant:
		text := p.String("value")
		pl.constants = make([]cleanValue, len(idx))
		for k, i := range idx {
			v, err := cleanParse(text, s[i].Type)
			if err != nil {
				return cleanPlan{}, modules.ParamErrf("value", "cannot replace missing values of %s column %q with %q: %v", s[i].Type, s[i].Name, text, err)
			}
			pl.constants[k] = v
		}
	}
	return pl, nil
}

// cleanParse reads a constant as a value of type t. Text is used as given;
// other types ignore surrounding spaces.
func cleanParse(text string, t table.Type) (cleanValue, error) {
	var v cleanValue
	trimmed := strings.TrimSpace(text)
	switch t {
	case table.Float:
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil {
			return v, fmt.Errorf("not a number")
		}
		v.f = f
	case table.Int:
		if n, err := strconv.ParseInt(trimmed, 10, 64); err == nil {
			v.i = n
			break
		}
		f, err := strconv.ParseFloat(trimmed, 64)
		n, ok := float64ToInt(f)
		if err != nil || !ok {
			return v, fmt.Errorf("not a whole number")
		}
		v.i = n
	case table.String:
		v.s = text
	case table.Bool:
		b, ok := parseBoolWord(trimmed)
		if !ok {
			return v, fmt.Errorf("want true or false")
		}
		v.b = b
	case table.Time:
		tm, err := table.ParseTime(trimmed)
		if err != nil {
			return v, err
		}
		v.i = tm.UnixNano()
	}
	return v, nil
}

// cleanSchema returns the output schema when the named columns are cleaned.
func cleanSchema(s table.Schema, cleaned []string, mode string, indicators bool) (table.Schema, error) {
	out := s.Clone()
	if mode == cleanRemoveColumn {
		out = slices.DeleteFunc(out, func(f table.Field) bool { return slices.Contains(cleaned, f.Name) })
	}
	if indicators {
		for _, n := range cleaned {
			name := n + "_missing"
			if s.Index(name) >= 0 {
				return nil, modules.ParamErrf("add_indicator", "the indicator column %q for column %q already exists", name, n)
			}
			out = append(out, table.Field{Name: name, Type: table.Bool})
		}
	}
	return out, nil
}

// Infer implements modules.Module.
func (m CleanMissingData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	unknown := []*modules.Shape{nil, {Kind: modules.KindTransform}}
	s, ok := ic.Schema("dataset")
	if !ok {
		return unknown, nil
	}
	pl, err := m.plan(ic.Params, s)
	if err != nil {
		return nil, err
	}
	indicators := ic.Params.Bool("add_indicator")
	if pl.filtered && (indicators || pl.mode == cleanRemoveColumn) {
		return unknown, nil
	}
	var cleaned []string
	if !pl.filtered {
		cleaned = selectedNames(s, pl.idx)
	}
	out, err := cleanSchema(s, cleaned, pl.mode, indicators)
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(out), {Kind: modules.KindTransform, Schema: out, Input: s}}, nil
}

// cleanState is the fitted state of Clean Missing Data.
type cleanState struct {
	Version      int           `json:"version"`
	Mode         string        `json:"mode"`
	AddIndicator bool          `json:"add_indicator,omitempty"`
	Columns      []cleanColumn `json:"columns"`
}

// cleanColumn is one cleaned column.
type cleanColumn struct {
	Name string     `json:"name"`
	Type table.Type `json:"type"`
	// Value is the replacement as JSON of the column's type (a timestamp as
	// RFC 3339 text). It is absent in the remove modes, and when fitting saw
	// no value to learn from.
	Value json.RawMessage `json:"value,omitempty"`

	value    cleanValue
	hasValue bool
}

func (c *cleanColumn) setValue(v cleanValue) error {
	var x any
	switch c.Type {
	case table.Float:
		x = stateFloat(v.f)
	case table.Int:
		x = v.i
	case table.String:
		x = v.s
	case table.Bool:
		x = v.b
	case table.Time:
		x = time.Unix(0, v.i).UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(x)
	c.Value, c.value, c.hasValue = b, v, true
	return err
}

func (c *cleanColumn) decodeValue() error {
	if len(c.Value) == 0 {
		return nil
	}
	var err error
	switch c.Type {
	case table.Float:
		var f stateFloat
		err = json.Unmarshal(c.Value, &f)
		c.value.f = float64(f)
	case table.Int:
		err = json.Unmarshal(c.Value, &c.value.i)
	case table.String:
		err = json.Unmarshal(c.Value, &c.value.s)
	case table.Bool:
		err = json.Unmarshal(c.Value, &c.value.b)
	case table.Time:
		var s string
		if err = json.Unmarshal(c.Value, &s); err == nil {
			var t time.Time
			t, err = table.ParseTime(s)
			c.value.i = t.UnixNano()
		}
	}
	if err != nil {
		return fmt.Errorf("fitted state: replacement %s for %s column %q: %v", c.Value, c.Type, c.Name, err)
	}
	c.hasValue = true
	return nil
}

// Fit implements modules.Fitter.
func (m CleanMissingData) Fit(rc *modules.Context) (modules.State, error) {
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	pl, err := m.plan(rc.Params, t.Schema())
	if err != nil {
		return nil, err
	}
	st := cleanState{Version: cleanStateVersion, Mode: pl.mode, AddIndicator: rc.Params.Bool("add_indicator"), Columns: []cleanColumn{}}
	n := t.NumRows()
	p := newFitProgress(rc.Progress, 0, 0.5)
	p.expect(len(pl.idx) * n)
	for k, i := range pl.idx {
		c, f := t.Column(i), t.Field(i)
		missing, err := cleanCountMissing(rc.Ctx, c, p)
		if err != nil {
			return nil, err
		}
		if ratio := cleanRatio(missing, n); ratio < pl.min || ratio > pl.max {
			continue
		}
		col := cleanColumn{Name: f.Name, Type: f.Type}
		var v cleanValue
		found := false
		switch pl.mode {
		case cleanConstant:
			v, found = pl.constants[k], true
		case cleanMean, cleanMedian, cleanMode:
			if v, found, err = cleanLearn(rc.Ctx, c, pl.mode); err != nil {
				return nil, err
			}
			if !found && missing > 0 {
				rc.Log().Warn("column has no values to learn a replacement from; its missing values are kept", "column", f.Name, "mode", pl.mode)
			}
		}
		if found {
			if err := col.setValue(v); err != nil {
				return nil, err
			}
		}
		st.Columns = append(st.Columns, col)
	}
	return encodeFitted(st)
}

func cleanRatio(missing, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(missing) / float64(n)
}

// Apply implements modules.Fitter.
func (CleanMissingData) Apply(rc *modules.Context, s modules.State) error {
	var st cleanState
	if err := decodeFitted(s, cleanStateVersion, &st); err != nil {
		return err
	}
	for k := range st.Columns {
		if err := st.Columns[k].decodeValue(); err != nil {
			return err
		}
	}
	return runFitted(rc, &st)
}

func (st *cleanState) describe() string {
	names := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		names[k] = c.Name
	}
	what := map[string]string{
		cleanMean: "replaces missing values with the fitted mean", cleanMedian: "replaces missing values with the fitted median",
		cleanMode: "replaces missing values with the fitted mode", cleanConstant: "replaces missing values with a constant",
		cleanRemoveRow: "removes rows with missing values", cleanRemoveColumn: "removes columns",
	}[st.Mode]
	return fmt.Sprintf("Clean Missing Data: %s in %s", what, strings.Join(names, ", "))
}

func (st *cleanState) apply(ctx context.Context, t *table.Table, p *fitProgress) (*table.Table, error) {
	in := make([]table.Column, len(st.Columns))
	pos := make([]int, len(st.Columns))
	names := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		col, i, err := fittedColumn(t, c.Name)
		if err != nil {
			return nil, err
		}
		if col.Type() != c.Type {
			return nil, fmt.Errorf("column %q is %s, but it was %s when the cleaning was fitted", c.Name, col.Type(), c.Type)
		}
		in[k], pos[k], names[k] = col, i, c.Name
	}
	schema, err := cleanSchema(t.Schema(), names, st.Mode, st.AddIndicator)
	if err != nil {
		return nil, err
	}
	n := t.NumRows()
	p.expect(len(st.Columns) * n)
	cols := t.Columns()
	var drop []bool // remove_row: rows missing a value in any cleaned column
	if st.Mode == cleanRemoveRow {
		drop = make([]bool, n)
	}
	var buf []bool
	var indicators []table.Column
	for k, c := range st.Columns {
		if st.Mode == cleanRemoveColumn && !st.AddIndicator {
			p.add(n) // dropped unread
			continue
		}
		miss := buf
		if st.AddIndicator || miss == nil {
			miss = make([]bool, n)
		}
		if !st.AddIndicator {
			buf = miss
		}
		fill := c.hasValue && st.Mode != cleanRemoveRow && st.Mode != cleanRemoveColumn
		out, err := cleanFill(ctx, in[k], c.value, fill, miss, p)
		if err != nil {
			return nil, err
		}
		cols[pos[k]] = out
		if drop != nil {
			for i, m := range miss {
				drop[i] = drop[i] || m
			}
		}
		if st.AddIndicator {
			indicators = append(indicators, table.NewBools(miss, nil))
		}
	}
	if st.Mode == cleanRemoveColumn {
		kept := make([]table.Column, 0, len(cols))
		for i, c := range cols {
			if !slices.Contains(pos, i) {
				kept = append(kept, c)
			}
		}
		cols = kept
	}
	out, err := table.New(schema, append(cols, indicators...))
	if err != nil {
		return nil, err
	}
	if drop != nil {
		for i := range drop {
			drop[i] = !drop[i]
		}
		out = out.Filter(drop)
	}
	return out, nil
}

// cleanFill marks the missing rows of c in miss and, when fill is set,
// returns c with them replaced by v (c itself when nothing is missing).
func cleanFill(ctx context.Context, c table.Column, v cleanValue, fill bool, miss []bool, p *fitProgress) (table.Column, error) {
	switch c := c.(type) {
	case *table.Floats:
		d, err := cleanFillVec(ctx, c.Data(), c.Validity(), true, v.f, fill, miss, p)
		if d == nil || err != nil {
			return c, err
		}
		return table.NewFloats(d, nil), nil
	case *table.Ints:
		d, err := cleanFillVec(ctx, c.Data(), c.Validity(), false, v.i, fill, miss, p)
		if d == nil || err != nil {
			return c, err
		}
		return table.NewInts(d, nil), nil
	case *table.Strings:
		d, err := cleanFillVec(ctx, c.Data(), c.Validity(), false, v.s, fill, miss, p)
		if d == nil || err != nil {
			return c, err
		}
		return table.NewStrings(d, nil), nil
	case *table.Bools:
		d, err := cleanFillVec(ctx, c.Data(), c.Validity(), false, v.b, fill, miss, p)
		if d == nil || err != nil {
			return c, err
		}
		return table.NewBools(d, nil), nil
	case *table.Times:
		d, err := cleanFillVec(ctx, c.Data(), c.Validity(), false, v.i, fill, miss, p)
		if d == nil || err != nil {
			return c, err
		}
		return table.NewTimes(d, nil), nil
	}
	return nil, fmt.Errorf("clean missing data: unsupported column %T", c)
}

// cleanFillVec writes the missing flags of data into miss and, when fill is
// set and something is missing, returns a copy with v in the missing rows
// (nil otherwise). NaN counts as missing when nan is set.
func cleanFillVec[T comparable](ctx context.Context, data []T, valid table.Bitmap, nan bool, v T, fill bool, miss []bool, p *fitProgress) ([]T, error) {
	var out []T
	err := fitChunks(ctx, len(data), p, func(lo, hi int) error {
		if !cleanMarkMissing(data, valid, nan, miss, lo, hi) || !fill {
			return nil
		}
		if out == nil {
			out = slices.Clone(data)
		}
		for i, m := range miss[lo:hi] {
			if m {
				out[lo+i] = v
			}
		}
		return nil
	})
	return out, err
}

// cleanMarkMissing sets miss[i] for rows [lo, hi) and reports whether any is missing.
func cleanMarkMissing[T comparable](data []T, valid table.Bitmap, nan bool, miss []bool, lo, hi int) bool {
	seen := false
	if valid == nil && !nan {
		clear(miss[lo:hi])
		return false
	}
	for i, x := range data[lo:hi] {
		m := !valid.Valid(lo+i) || (nan && x != x)
		miss[lo+i] = m
		seen = seen || m
	}
	return seen
}

// cleanCountMissing counts nulls, and NaNs in a float column.
func cleanCountMissing(ctx context.Context, c table.Column, p *fitProgress) (int, error) {
	f, ok := c.(*table.Floats)
	if !ok {
		p.add(c.Len())
		return c.NullCount(), nil
	}
	data, valid := f.Data(), f.Validity()
	missing := 0
	err := fitChunks(ctx, len(data), p, func(lo, hi int) error {
		missing += cleanMissingIn(data, valid, lo, hi)
		return nil
	})
	return missing, err
}

func cleanMissingIn(data []float64, valid table.Bitmap, lo, hi int) int {
	missing := 0
	for i, x := range data[lo:hi] {
		if x != x || !valid.Valid(lo+i) {
			missing++
		}
	}
	return missing
}

// cleanLearn learns the mean, median or mode of c's present values; found is
// false when there are none.
func cleanLearn(ctx context.Context, c table.Column, mode string) (v cleanValue, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return v, false, err
	}
	switch c := c.(type) {
	case *table.Floats:
		vals := cleanPresent(c.Data(), c.Validity(), true)
		if len(vals) == 0 {
			return v, false, nil
		}
		switch mode {
		case cleanMean:
			v.f = cleanMeanOf(vals)
		case cleanMedian:
			v.f = selectQuantiles(vals, 0.5)[0]
		default:
			v.f = cleanModeOf(vals)
		}
	case *table.Ints:
		vals := cleanPresent(c.Data(), c.Validity(), false)
		if len(vals) == 0 {
			return v, false, nil
		}
		switch mode {
		case cleanMean:
			v.i = int64(math.Round(cleanMeanOf(vals)))
		case cleanMedian:
			v.i = int64(math.Round(selectQuantiles(vals, 0.5)[0]))
		default:
			v.i = cleanModeOf(vals)
		}
	case *table.Times:
		vals := cleanPresent(c.Data(), c.Validity(), false)
		if len(vals) == 0 {
			return v, false, nil
		}
		v.i = cleanModeOf(vals)
	case *table.Strings:
		vals := cleanPresent(c.Data(), c.Validity(), false)
		if len(vals) == 0 {
			return v, false, nil
		}
		v.s = cleanModeOf(vals)
	case *table.Bools:
		data, valid := c.Data(), c.Validity()
		var counts [2]int
		for i, b := range data {
			if valid.Valid(i) {
				counts[boolIndex(b)]++
			}
		}
		if counts[0]+counts[1] == 0 {
			return v, false, nil
		}
		v.b = counts[1] > counts[0]
	}
	return v, true, nil
}

// cleanPresent copies the values that are not missing.
func cleanPresent[T comparable](data []T, valid table.Bitmap, nan bool) []T {
	out := make([]T, 0, len(data))
	for i, x := range data {
		if valid.Valid(i) && !(nan && x != x) {
			out = append(out, x)
		}
	}
	return out
}

func cleanMeanOf[T int64 | float64](vals []T) float64 {
	sum := 0.0
	for _, x := range vals {
		sum += float64(x)
	}
	return sum / float64(len(vals))
}

// cleanModeOf returns the most frequent value, the smallest on a tie so the
// choice does not depend on map order.
func cleanModeOf[T cmp.Ordered](vals []T) T {
	counts := make(map[T]int)
	for _, x := range vals {
		counts[x]++
	}
	best, bestN := vals[0], 0
	for x, n := range counts {
		if n > bestN || (n == bestN && x < best) {
			best, bestN = x, n
		}
	}
	return best
}
