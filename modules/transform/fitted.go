package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Shared machinery of the stateful (Fitter) modules in this package: state
// encoding, the Transform value they output, chunked loops with cancellation
// and progress, and small statistics helpers.

// fitChunkRows is how many rows a loop handles between cancellation checks and
// progress reports: big enough that the checks cost nothing, small enough
// that a cancelled million-row run stops within milliseconds.
const fitChunkRows = 1 << 16

// fitProgress maps one phase's rows onto a span of the node's progress bar. Fit
// uses the first half and Apply the second, so a normal run moves forward once.
type fitProgress struct {
	report      func(float64)
	from, to    float64
	total, done int
}

func newFitProgress(report func(float64), from, to float64) *fitProgress {
	return &fitProgress{report: report, from: from, to: to}
}

// expect sets how many rows the phase will handle in all.
func (p *fitProgress) expect(total int) {
	if p != nil {
		p.total, p.done = total, 0
	}
}

func (p *fitProgress) add(n int) {
	if p == nil || p.report == nil || p.total <= 0 {
		return
	}
	p.done += n
	p.report(p.from + (p.to-p.from)*min(1, float64(p.done)/float64(p.total)))
}

// fitChunks calls fn on consecutive [lo, hi) spans of n rows, checking for
// cancellation before each span.
func fitChunks(ctx context.Context, n int, p *fitProgress, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += fitChunkRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+fitChunkRows, n)
		if err := fn(lo, hi); err != nil {
			return err
		}
		p.add(hi - lo)
	}
	return nil
}

// fitted is a module's decoded state: everything needed to transform a table,
// with no reference to the data it was learnt from.
type fitted interface {
	apply(ctx context.Context, t *table.Table, p *fitProgress) (*table.Table, error)
	describe() string
}

// fittedTransform is the value a stateful module puts on its transform port.
// Its JSON is exactly the recorded state, so a transform and the state it came
// from can never disagree.
type fittedTransform struct{ f fitted }

// Apply implements modules.Transform.
func (x fittedTransform) Apply(ctx context.Context, t *table.Table) (*table.Table, error) {
	return x.f.apply(ctx, t, nil)
}

// Describe implements modules.Transform.
func (x fittedTransform) Describe() string { return x.f.describe() }

// MarshalJSON implements json.Marshaler.
func (x fittedTransform) MarshalJSON() ([]byte, error) { return json.Marshal(x.f) }

var _ modules.Transform = fittedTransform{}

// runFitted is the common body of the modules' Apply: transform the dataset
// input with state f and publish both the result and f as a transform.
func runFitted(rc *modules.Context, f fitted) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	out, err := f.apply(rc.Ctx, t, newFitProgress(rc.Progress, 0.5, 1))
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	rc.SetOutput("transform", fittedTransform{f})
	rc.Progress(1)
	return nil
}

// encodeFitted marshals a state struct, which must carry a version field.
func encodeFitted(v any) (modules.State, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding fitted state: %w", err)
	}
	return b, nil
}

// decodeFitted checks the version before decoding, so a state from a newer
// or older module says so instead of failing on some field. Each module keeps
// its own version and bumps it when its state's meaning changes, so old
// recorded state is refused rather than misread. Unknown fields are refused:
// a state is only ever written by this package.
func decodeFitted(s modules.State, version int, v any) error {
	var h struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(s, &h); err != nil {
		return fmt.Errorf("fitted state is not valid JSON: %w", err)
	}
	if h.Version != version {
		return fmt.Errorf("fitted state has version %d, but this module reads version %d: fit it again", h.Version, version)
	}
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("fitted state is not valid: %w", err)
	}
	return nil
}

// fittedColumn finds a column the state was fitted on.
func fittedColumn(t *table.Table, name string) (table.Column, int, error) {
	c, i, err := t.Lookup(name)
	if err != nil {
		return nil, -1, fmt.Errorf("the input lacks a column the fitted state needs: %w", err)
	}
	return c, i, nil
}

// selectedNames returns the names of the columns at idx.
func selectedNames(s table.Schema, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = s[i].Name
	}
	return out
}

// defaultNumericFeatures selects the numeric columns that are not labels or scores:
// scaling or binning the label by default would quietly change what a model learns.
var defaultNumericFeatures = modules.ColumnSelector{Rules: []modules.SelectRule{
	{Types: []string{"numeric"}},
	{Exclude: true, Roles: []string{"label", "score"}},
}}

// requireNumeric checks that every selected column holds numbers.
func requireNumericColumns(param, module string, s table.Schema, idx []int) error {
	for _, i := range idx {
		if !s[i].Type.Numeric() {
			return modules.ParamErrf(param, "column %q is %s; %s needs numeric (int or float) columns", s[i].Name, s[i].Type, module)
		}
	}
	return nil
}

// numbers copies the finite values of a numeric column, for statistics that
// need them sorted. NaN and ±Inf are left out: one of them would make every
// quantile or mean meaningless.
func finiteNumbers(c table.Column) []float64 {
	switch c := c.(type) {
	case *table.Floats:
		return finiteValuesOf(c.Data(), c.Validity())
	case *table.Ints:
		return finiteValuesOf(c.Data(), c.Validity())
	}
	return nil
}

func finiteValuesOf[T int64 | float64](data []T, valid table.Bitmap) []float64 {
	out := make([]float64, 0, len(data))
	for i, v := range data {
		x := float64(v)
		if !valid.Valid(i) || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		out = append(out, x)
	}
	return out
}

// sortedQuantile returns the q-quantile of sorted values by linear
// interpolation between closest ranks (NumPy's and R's default, "type 7").
func sortedQuantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// selectQuantiles returns the qs-quantiles of vals as sortedQuantile defines them,
// reordering vals. It selects the ranks it needs instead of sorting: about
// n·log(len(qs)) steps, several times faster than a sort of a million values.
func selectQuantiles[T int64 | float64](vals []T, qs ...float64) []float64 {
	out := make([]float64, len(qs))
	n := len(vals)
	if n == 0 {
		for j := range out {
			out[j] = math.NaN()
		}
		return out
	}
	ranks := make([]int, 0, 2*len(qs))
	for _, q := range qs {
		k := min(int(math.Floor(q*float64(n-1))), n-1)
		ranks = append(ranks, k, min(k+1, n-1))
	}
	slices.Sort(ranks)
	ranks = slices.Compact(ranks)
	multiSelect(vals, ranks, 2*bits.Len(uint(n))+8)
	for j, q := range qs {
		h := q * float64(n-1)
		k := min(int(math.Floor(h)), n-1)
		x := float64(vals[k])
		if frac := h - float64(k); frac > 0 && k+1 < n {
			x += frac * (float64(vals[k+1]) - x)
		}
		out[j] = x
	}
	return out
}

// multiSelect reorders a so that every rank in ks (ascending, distinct)
// holds the value a sorted a would hold there: quickselect that follows
// every wanted rank, with three-way partitioning so runs of equal values
// cost one pass. Past depth rounds of bad pivots it sorts what is left.
func multiSelect[T int64 | float64](a []T, ks []int, depth int) {
	for len(ks) > 0 && len(a) > 1 {
		if depth == 0 {
			slices.Sort(a)
			return
		}
		depth--
		x, y, z := a[0], a[len(a)/2], a[len(a)-1]
		p := max(min(x, y), min(max(x, y), z)) // median of three
		lt, i, gt := 0, 0, len(a)-1
		for i <= gt {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = v, a[lt]
				lt++
				i++
			case v > p:
				a[i], a[gt] = a[gt], v
				gt--
			default:
				i++
			}
		}
		// a[:lt] < p, a[lt:gt+1] == p (in place already), a[gt+1:] > p.
		left, _ := slices.BinarySearch(ks, lt)
		right, _ := slices.BinarySearch(ks, gt+1)
		multiSelect(a[:lt], ks[:left], depth)
		a, ks = a[gt+1:], ks[right:]
		for j := range ks {
			ks[j] -= gt + 1
		}
	}
}

// stateFloat is a float64 that survives JSON even when it is NaN or infinite
// (as a string), since data can produce either and state must still encode.
type stateFloat float64

// MarshalJSON implements json.Marshaler.
func (f stateFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *stateFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number, got %s", b)
	}
	*f = stateFloat(x)
	return nil
}

// Codes returned by valueCodes.encode for rows that have no category.
const (
	valueCodeNull   int32 = -1
	valueCodeUnseen int32 = -2
)

// valueCodes gives the distinct non-null values of a column dense codes. It
// keeps a typed map per column type so the per-row work is one map probe:
// no formatting, no boxing, no interface call.
type valueCodes struct {
	typ   table.Type
	strs  map[string]int32
	ints  map[int64]int32  // int and timestamp columns
	flts  map[uint64]int32 // float bits, see floatCodeKey
	bools [2]int32         // valueCodeUnseen until seen
	n     int32
	// first holds, per code, the row where the value was first seen (when
	// growing), for labels and for sorting the categories.
	first []int
}

func newValueCodes(t table.Type) *valueCodes {
	vc := &valueCodes{typ: t, bools: [2]int32{valueCodeUnseen, valueCodeUnseen}}
	switch t {
	case table.String:
		vc.strs = map[string]int32{}
	case table.Int, table.Time:
		vc.ints = map[int64]int32{}
	case table.Float:
		vc.flts = map[uint64]int32{}
	}
	return vc
}

// floatCodeKey folds -0 into 0 and every NaN into one, so equal-looking values
// are one category.
func floatCodeKey(x float64) uint64 {
	if x == 0 {
		return 0
	}
	if x != x {
		return 0x7FF8000000000001
	}
	return math.Float64bits(x)
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode writes the code of rows [lo, hi) of c (of the codes' type) into
// out[lo:hi]: valueCodeNull for a null; for a value not seen before, a new code when
// grow is set and valueCodeUnseen otherwise.
func (vc *valueCodes) encode(c table.Column, grow bool, out []int32, lo, hi int) {
	switch c := c.(type) {
	case *table.Strings:
		encodeCodes(vc, vc.strs, c.Data(), c.Validity(), func(s string) string { return s }, grow, out, lo, hi)
	case *table.Ints:
		encodeCodes(vc, vc.ints, c.Data(), c.Validity(), func(v int64) int64 { return v }, grow, out, lo, hi)
	case *table.Times:
		encodeCodes(vc, vc.ints, c.Data(), c.Validity(), func(v int64) int64 { return v }, grow, out, lo, hi)
	case *table.Floats:
		encodeCodes(vc, vc.flts, c.Data(), c.Validity(), floatCodeKey, grow, out, lo, hi)
	case *table.Bools:
		data, valid := c.Data(), c.Validity()
		for i := lo; i < hi; i++ {
			if !valid.Valid(i) {
				out[i] = valueCodeNull
				continue
			}
			k := boolIndex(data[i])
			if vc.bools[k] == valueCodeUnseen && grow {
				vc.bools[k] = vc.n
				vc.n++
				vc.first = append(vc.first, i)
			}
			out[i] = vc.bools[k]
		}
	default:
		panic(fmt.Sprintf("transform: no value codes for %T", c))
	}
}

// encodeCodes is encode for map-keyed types; key is inlined per instantiation.
func encodeCodes[T any, K comparable](vc *valueCodes, m map[K]int32, data []T, valid table.Bitmap, key func(T) K, grow bool, out []int32, lo, hi int) {
	for i := lo; i < hi; i++ {
		if !valid.Valid(i) {
			out[i] = valueCodeNull
			continue
		}
		k := key(data[i])
		code, ok := m[k]
		if !ok {
			if !grow {
				out[i] = valueCodeUnseen
				continue
			}
			code = vc.n
			m[k] = code
			vc.n++
			vc.first = append(vc.first, i)
		}
		out[i] = code
	}
}

// add registers a value given as its label (as table.Column.Format writes
// it) under the next code, for rebuilding codes from recorded state.
func (vc *valueCodes) add(label string) error {
	var dup bool
	switch vc.typ {
	case table.String:
		_, dup = vc.strs[label]
		vc.strs[label] = vc.n
	case table.Int:
		v, err := strconv.ParseInt(label, 10, 64)
		if err != nil {
			return fmt.Errorf("category %q is not an int", label)
		}
		_, dup = vc.ints[v]
		vc.ints[v] = vc.n
	case table.Time:
		t, err := table.ParseTime(label)
		if err != nil {
			return err
		}
		_, dup = vc.ints[t.UnixNano()]
		vc.ints[t.UnixNano()] = vc.n
	case table.Float:
		v, err := strconv.ParseFloat(label, 64)
		if err != nil {
			return fmt.Errorf("category %q is not a float", label)
		}
		_, dup = vc.flts[floatCodeKey(v)]
		vc.flts[floatCodeKey(v)] = vc.n
	case table.Bool:
		v, err := strconv.ParseBool(label)
		if err != nil {
			return fmt.Errorf("category %q is not a bool", label)
		}
		dup = vc.bools[boolIndex(v)] != valueCodeUnseen
		vc.bools[boolIndex(v)] = vc.n
	}
	if dup {
		return fmt.Errorf("category %q is listed twice", label)
	}
	vc.n++
	return nil
}

// sortedLabels returns the labels of c's distinct values in the column's
// sort order, after encode has grown vc over c.
func (vc *valueCodes) sortedLabels(c table.Column) []string {
	order := make([]int32, vc.n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return c.Compare(vc.first[a], vc.first[b]) })
	labels := make([]string, len(order))
	for k, code := range order {
		labels[k] = c.Format(vc.first[code])
	}
	return labels
}
