// Package ml holds the machine learning modules — learners, training,
// scoring and evaluation — and the plumbing every learner shares: the feature
// encoding learnt at training, label handling, the scored-table contract and
// the model serialization envelope. The algorithms live in sub-packages
// (linear, bayes, cluster, tree) that know matrices, not tables.
//
// See API.md for how to add a learner.
package ml

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules/table"
)

// Encoding says how categorical columns become numbers.
type Encoding string

// The encodings.
const (
	// OneHot gives each training category its own 0/1 column. A category
	// unseen at training encodes as all zeros. Linear models and k-means use it.
	OneHot Encoding = "one_hot"
	// Codes gives a categorical column one matrix column holding the index of
	// the category in the sorted training categories (0..K-1); a category
	// unseen at training gets the reserved code K. Trees and Naive Bayes use it.
	Codes Encoding = "codes"
)

// Missing says what a null (or NaN) feature value becomes.
type Missing string

// The missing-value rules.
const (
	// Impute replaces a missing numeric value by its training mean; a missing
	// category encodes like an unseen one (all-zero one-hot, or code K).
	// It suits learners that cannot skip a value: linear models, k-means.
	Impute Missing = "impute"
	// NaN leaves missing values as NaN in every matrix column of the feature,
	// for learners that handle them (trees send them a learnt default way;
	// Naive Bayes leaves the feature out of the row's likelihood).
	NaN Missing = "nan"
)

// MaxOneHot bounds the categories of a one-hot encoded column, because an
// identifier column would otherwise silently become a matrix with as many
// columns as rows.
const MaxOneHot = 1000

// FeatureOptions choose how a learner sees its input columns.
type FeatureOptions struct {
	Encoding Encoding
	Missing  Missing
	// Share lets PrepareTraining's matrix point at the table's own storage
	// for float columns without missing values, saving a copy; the learner
	// must then never write to the matrix.
	Share bool
}

// Features is the feature encoding learnt at training: which columns are
// features, the categories of the categorical ones and the means used to fill
// missing values. Scoring encodes new tables with exactly this state, so it is
// part of every serialized model.
type Features struct {
	Version  int             `json:"version"`
	Encoding Encoding        `json:"encoding"`
	Missing  Missing         `json:"missing"`
	Columns  []FeatureColumn `json:"columns"`

	width  int
	offset []int // first matrix column of each feature column
}

// FeatureColumn is one input column's encoding.
type FeatureColumn struct {
	Name string     `json:"name"`
	Type table.Type `json:"type"`
	// Categorical is set for string columns and columns flagged categorical.
	Categorical bool `json:"categorical,omitempty"`
	// Mean is the training mean of a numeric column's present values (0 when
	// none were present); Impute fills missing values with it.
	Mean float64 `json:"mean"`
	// Categories are a categorical column's training values as text (the
	// column's Format), sorted by value: numerically for numbers, bytewise for strings.
	Categories []string `json:"categories,omitempty"`
}

// Matrix is a dense float64 matrix stored by column: Cols[j][i] is matrix
// column j of row i. Column-major suits both trees (sorting and histogramming
// one feature) and linear models (Xw as a sum of scaled columns).
type Matrix struct {
	Rows int
	Cols [][]float64

	own [][]float64 // writable buffers behind Cols, when scoring reuses the matrix
}

// NewMatrix allocates a zeroed rows×cols matrix in one block.
func NewMatrix(rows, cols int) *Matrix {
	data := make([]float64, rows*cols)
	m := &Matrix{Rows: rows, Cols: make([][]float64, cols)}
	for j := range m.Cols {
		m.Cols[j] = data[j*rows : (j+1)*rows : (j+1)*rows]
	}
	return m
}

// At returns element (i, j).
func (m *Matrix) At(i, j int) float64 { return m.Cols[j][i] }

// Row copies row i into dst (grown as needed) and returns it.
func (m *Matrix) Row(i int, dst []float64) []float64 {
	dst = dst[:0]
	for _, c := range m.Cols {
		dst = append(dst, c[i])
	}
	return dst
}

// IsFeature reports whether a column of a training table is a feature: every
// column but the label, other label-role columns, score columns and ignored ones.
func IsFeature(f table.Field, label string) bool {
	return f.Name != label && f.Role != table.Label && f.Role != table.Score && f.Role != table.Ignore
}

// FitFeatures learns the encoding of t's feature columns (see IsFeature);
// label is "" when there is none (clustering).
func FitFeatures(ctx context.Context, t *table.Table, label string, opts FeatureOptions) (*Features, error) {
	if opts.Encoding == "" {
		opts.Encoding = OneHot
	}
	if opts.Missing == "" {
		opts.Missing = Impute
	}
	f := &Features{Version: 1, Encoding: opts.Encoding, Missing: opts.Missing}
	for ci := range t.NumCols() {
		fd := t.Field(ci)
		if !IsFeature(fd, label) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		col := t.Column(ci)
		fc := FeatureColumn{Name: fd.Name, Type: fd.Type, Categorical: fd.Categorical || fd.Type == table.String}
		if fc.Categorical {
			fc.Categories = categories(col)
			if f.Encoding == OneHot && len(fc.Categories) > MaxOneHot {
				return nil, fmt.Errorf("feature column %q has %d distinct values, more than the %d a one-hot encoding allows: "+
					"if it is an identifier, set its role to Ignore with Edit Metadata", fd.Name, len(fc.Categories), MaxOneHot)
			}
		} else {
			sum, n, bad := 0.0, 0, -1
			if fl, ok := col.(*table.Floats); ok && fl.NullCount() == 0 {
				for i, v := range fl.Data() {
					if v-v != 0 { // NaN or ±Inf
						if math.IsInf(v, 0) {
							bad = i
							break
						}
						continue
					}
					sum += v
					n++
				}
			} else {
				for i := range col.Len() {
					v, ok := numberAt(col, i)
					if !ok {
						continue
					}
					if math.IsInf(v, 0) {
						bad = i
						break
					}
					sum += v
					n++
				}
			}
			if bad >= 0 {
				v, _ := numberAt(col, bad)
				return nil, fmt.Errorf("feature column %q row %d is %v: learners need finite numbers", fd.Name, bad+1, v)
			}
			if n > 0 {
				fc.Mean = sum / float64(n)
			}
		}
		f.Columns = append(f.Columns, fc)
	}
	if len(f.Columns) == 0 {
		return nil, fmt.Errorf("the table has no feature columns (every column is the label, a score or ignored)")
	}
	if err := f.init(); err != nil {
		return nil, err
	}
	return f, nil
}

// numberAt reads a numeric, bool or timestamp value; null and NaN are missing.
// Timestamps become seconds since 1970 so that their scale is not absurd.
func numberAt(c table.Column, i int) (float64, bool) {
	if tc, ok := c.(*table.Times); ok {
		if tc.Null(i) {
			return 0, false
		}
		return float64(tc.Data()[i]) / 1e9, true
	}
	v, ok := table.Float64At(c, i)
	if !ok || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// categories returns a column's distinct present values as text, sorted by value.
func categories(c table.Column) []string {
	seen := map[string]int{} // text → a row holding it
	for i := range c.Len() {
		if c.Null(i) {
			continue
		}
		if fc, ok := c.(*table.Floats); ok && math.IsNaN(fc.Data()[i]) {
			continue
		}
		s := c.Format(i)
		if _, ok := seen[s]; !ok {
			seen[s] = i
		}
	}
	rows := make([]int, 0, len(seen))
	for _, r := range seen {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, c.Compare)
	out := make([]string, len(rows))
	for k, r := range rows {
		out[k] = c.Format(r)
	}
	return out
}

// categoryCodes is categories plus each row's index into them (-1 for a
// missing value). Int and string columns, the usual labels, are read without
// formatting every row.
func categoryCodes(c table.Column) ([]string, []int) {
	codes := make([]int, c.Len())
	switch c := c.(type) {
	case *table.Ints:
		return typedCodes(c, c.Data(), codes)
	case *table.Strings:
		return typedCodes(c, c.Data(), codes)
	}
	cats := categories(c)
	idx := make(map[string]int, len(cats))
	for k, v := range cats {
		idx[v] = k
	}
	for i := range codes {
		codes[i] = -1
		if !c.Null(i) {
			if k, ok := idx[c.Format(i)]; ok {
				codes[i] = k
			}
		}
	}
	return cats, codes
}

func typedCodes[T comparable](c table.Column, data []T, codes []int) ([]string, []int) {
	first := map[T]int{} // value → first row holding it
	for i, v := range data {
		if c.Null(i) {
			continue
		}
		if _, ok := first[v]; !ok {
			first[v] = i
		}
	}
	rows := make([]int, 0, len(first))
	for _, r := range first {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, c.Compare)
	cats := make([]string, len(rows))
	rank := make(map[T]int, len(rows))
	for k, r := range rows {
		cats[k] = c.Format(r)
		rank[data[r]] = k
	}
	for i, v := range data {
		codes[i] = -1
		if !c.Null(i) {
			codes[i] = rank[v]
		}
	}
	return cats, codes
}

// init computes the matrix layout and checks a decoded encoding.
func (f *Features) init() error {
	if f.Version != 1 {
		return fmt.Errorf("feature encoding version %d is not supported (want 1)", f.Version)
	}
	if f.Encoding != OneHot && f.Encoding != Codes {
		return fmt.Errorf("unknown feature encoding %q", f.Encoding)
	}
	if f.Missing != Impute && f.Missing != NaN {
		return fmt.Errorf("unknown missing-value rule %q", f.Missing)
	}
	f.offset = make([]int, len(f.Columns))
	w := 0
	seen := make(map[string]bool, len(f.Columns))
	for k, c := range f.Columns {
		switch {
		case c.Name == "":
			return fmt.Errorf("feature %d has no name", k+1)
		case seen[c.Name]:
			return fmt.Errorf("feature %q is listed twice", c.Name)
		case c.Type == table.Invalid:
			return fmt.Errorf("feature %q has no type", c.Name)
		case !c.Categorical && len(c.Categories) > 0:
			return fmt.Errorf("feature %q has categories but is not categorical", c.Name)
		}
		seen[c.Name] = true
		cats := make(map[string]bool, len(c.Categories))
		for _, cat := range c.Categories {
			if cats[cat] {
				return fmt.Errorf("feature %q lists category %q twice", c.Name, cat)
			}
			cats[cat] = true
		}
		f.offset[k] = w
		if c.Categorical && f.Encoding == OneHot {
			w += len(c.Categories)
		} else {
			w++
		}
	}
	f.width = w
	return nil
}

// Width returns the number of matrix columns.
func (f *Features) Width() int { return f.width }

// Names returns a name for each matrix column: the column name, or
// "name=category" for a one-hot column.
func (f *Features) Names() []string {
	out := make([]string, 0, f.width)
	for _, c := range f.Columns {
		if c.Categorical && f.Encoding == OneHot {
			for _, cat := range c.Categories {
				out = append(out, c.Name+"="+cat)
			}
		} else {
			out = append(out, c.Name)
		}
	}
	return out
}

// Cardinality returns, for matrix column j under Codes encoding, the number
// of training categories K (codes 0..K-1, K meaning unseen), or 0 for a
// numeric column. Under OneHot every column is numeric and it returns 0.
func (f *Features) Cardinality(j int) int {
	if f.Encoding != Codes {
		return 0
	}
	c := f.Columns[j]
	if !c.Categorical {
		return 0
	}
	return len(c.Categories)
}

// Source returns the index in Columns of the input column matrix column j encodes.
func (f *Features) Source(j int) int {
	k, found := slices.BinarySearch(f.offset, j)
	if !found {
		k--
	}
	return k
}

// Encode builds the matrix of t's rows, in storage of its own.
func (f *Features) Encode(ctx context.Context, t *table.Table) (*Matrix, error) {
	return f.encode(ctx, t, false)
}

func (f *Features) encode(ctx context.Context, t *table.Table, share bool) (*Matrix, error) {
	b, err := f.bind(t)
	if err != nil {
		return nil, err
	}
	b.share = share
	var m *Matrix
	if share {
		m = &Matrix{Rows: t.NumRows(), Cols: make([][]float64, f.width), own: make([][]float64, f.width)}
	} else {
		m = NewMatrix(t.NumRows(), f.width)
		m.own = slices.Clone(m.Cols)
	}
	for k := range f.Columns {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b.fill(k, m, 0)
	}
	return m, nil
}

// binding is an encoding resolved against one table's columns.
type binding struct {
	f     *Features
	share bool // matrix columns may point at the table's storage
	// unchecked skips looking for NaN in shared columns: the caller finds
	// NaN outputs instead (see nanPropagating) and refills those blocks.
	unchecked bool
	cols      []table.Column
	lookup    []map[string]int // per categorical column: category → index
}

// bind finds the feature columns in t and checks their types.
func (f *Features) bind(t *table.Table) (*binding, error) {
	s := t.Schema()
	b := &binding{f: f, cols: make([]table.Column, len(f.Columns)), lookup: make([]map[string]int, len(f.Columns))}
	for k, fc := range f.Columns {
		i := s.Index(fc.Name)
		if i < 0 {
			return nil, fmt.Errorf("the model needs feature column %q: %w", fc.Name, s.MissingColumnError(fc.Name))
		}
		col := t.Column(i)
		if fc.Categorical {
			lk := make(map[string]int, len(fc.Categories))
			for c, v := range fc.Categories {
				lk[v] = c
			}
			b.lookup[k] = lk
		} else if col.Type() == table.String {
			return nil, fmt.Errorf("feature column %q was %s at training but is string now", fc.Name, fc.Type)
		}
		b.cols[k] = col
	}
	return b, nil
}

// hasNaN reports whether v holds a NaN. Four running sums, one of which
// turns NaN when any value is (or on inf − inf, which the exact scan then
// clears), cost far less than a compare and branch per value.
func hasNaN(v []float64) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	if s := s0 + s1 + s2 + s3; s == s {
		return false
	}
	for _, x := range v {
		if x != x {
			return true
		}
	}
	return false
}

// scratch makes matrix column j writable: a previous block may have left it
// pointing at a table column (see fill), which must never be written to.
func scratch(m *Matrix, j int) []float64 {
	if cap(m.own[j]) < m.Rows {
		m.own[j] = make([]float64, m.Rows)
	}
	m.Cols[j] = m.own[j][:m.Rows]
	return m.Cols[j]
}

// fill encodes feature column k of the bound table's rows [from, from+m.Rows)
// into m's columns, which it may point at the table's own storage.
func (b *binding) fill(k int, m *Matrix, from int) {
	fc := b.f.Columns[k]
	col := b.cols[k]
	off := b.f.offset[k]
	n := m.Rows
	missing := math.NaN()
	if b.f.Missing == Impute {
		missing = fc.Mean
	}
	if !fc.Categorical {
		if fl, ok := col.(*table.Floats); ok && fl.NullCount() == 0 && b.share {
			// The common case: without a NaN the block is the column's own
			// storage, read in place (predictors never write to x), which
			// saves scoring a copy of every value.
			src := fl.Data()[from : from+n : from+n]
			if b.unchecked || b.f.Missing == NaN || !hasNaN(src) {
				m.Cols[off] = src
				return
			}
		}
		dst := scratch(m, off)
		if fl, ok := col.(*table.Floats); ok && fl.NullCount() == 0 {
			copy(dst, fl.Data()[from:from+n])
			for i, v := range dst {
				if v != v {
					dst[i] = missing
				}
			}
			return
		}
		for i := range n {
			v, ok := numberAt(col, from+i)
			if !ok {
				v = missing
			}
			dst[i] = v
		}
		return
	}
	if b.f.Encoding == OneHot {
		for c := range fc.Categories {
			scratch(m, off+c)
		}
	} else {
		scratch(m, off)
	}
	lk := b.lookup[k]
	cats := len(fc.Categories)
	strs, _ := col.(*table.Strings)
	for i := range n {
		r := from + i
		present := !col.Null(r)
		if fl, ok := col.(*table.Floats); ok && present && math.IsNaN(fl.Data()[r]) {
			present = false
		}
		code := cats // unseen
		if present {
			var s string
			if strs != nil {
				s = strs.Data()[r]
			} else {
				s = col.Format(r)
			}
			if c, ok := lk[s]; ok {
				code = c
			}
		}
		switch {
		case b.f.Encoding == Codes && !present && b.f.Missing == NaN:
			m.Cols[off][i] = math.NaN()
		case b.f.Encoding == Codes:
			m.Cols[off][i] = float64(code)
		case !present && b.f.Missing == NaN:
			for c := range cats {
				m.Cols[off+c][i] = math.NaN()
			}
		default:
			for c := range cats {
				m.Cols[off+c][i] = 0
			}
			if code < cats {
				m.Cols[off+code][i] = 1
			}
		}
	}
}

// Describe lists the feature columns in one line, for logs and the designer.
func (f *Features) Describe() string {
	parts := make([]string, len(f.Columns))
	for k, c := range f.Columns {
		if c.Categorical {
			parts[k] = c.Name + " (" + strconv.Itoa(len(c.Categories)) + " categories)"
		} else {
			parts[k] = c.Name
		}
	}
	return strings.Join(parts, ", ")
}
