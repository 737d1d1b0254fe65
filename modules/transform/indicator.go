package transform

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// ConvertToIndicatorValues turns categorical columns into one 0/1 column per
// category (one-hot encoding). The categories are learnt when fitting, so
// new data gets exactly the training columns.
type ConvertToIndicatorValues struct{}

const indStateVersion = 1

// indMaxCategories bounds the columns one source column may produce: past
// it, the column is almost surely an identifier, and a million float columns
// would exhaust memory before anyone noticed the mistake.
const indMaxCategories = 1000

// Spec implements modules.Module.
func (ConvertToIndicatorValues) Spec() modules.Spec {
	return modules.Spec{
		ID: "convert_to_indicator_values", Version: 1, Name: "Convert to Indicator Values", Category: modules.CategoryTransform,
		Summary: "Replaces categorical columns with one 0/1 indicator column per category (one-hot encoding).",
		Help: "Each distinct value of a selected column becomes a float column named <column>-<value> that is 1 " +
			"where the row has that value and 0 elsewhere. The indicator columns follow their source column, in " +
			"sorted order of the values (numerically for numbers, by bytes for text). String and bool columns can " +
			"always be converted; other types must be marked categorical (with Edit Metadata). A missing value " +
			"gives 0 in every indicator column; use Clean Missing Data first to make it a category of its own. " +
			"The categories are learnt when fitting and kept in the transform output; a value not seen then " +
			"gives 0 in every indicator column, or an error, as chosen. At most 1000 categories per column are " +
			"accepted. Dropping the first category leaves it as the all-zero case, which linear models need to " +
			"avoid perfectly collinear columns.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "results", Label: "Results dataset", Kind: modules.KindTable},
			{Name: "transform", Label: "Indicator transformation", Kind: modules.KindTransform,
				Help: "The learnt categories, to encode other data the same way with Apply Transformation."},
		},
		Params: []modules.Param{
			{Name: "columns", Label: "Categorical columns to convert", Type: modules.ParamColumns, Input: "dataset", Required: true,
				Help: "The categorical columns to turn into indicator columns.", Example: `["color"]`},
			{Name: "overwrite", Label: "Overwrite categorical columns", Type: modules.ParamBool, Default: true,
				Help: "Remove the source columns, keeping only their indicator columns."},
			{Name: "unseen", Label: "Unseen categories", Type: modules.ParamChoice, Default: "all_zero",
				Help: "What a value not seen when fitting becomes.",
				Choices: []modules.Choice{
					{Value: "all_zero", Label: "All indicators 0"},
					{Value: "error", Label: "Fail with an error"},
				}},
			{Name: "drop_first", Label: "Drop first category", Type: modules.ParamBool, Default: false,
				Help: "Leave out the indicator of the first (smallest) category."},
		},
	}
}

func (ConvertToIndicatorValues) selected(p modules.Params, s table.Schema) ([]int, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if f := s[i]; f.Type != table.String && f.Type != table.Bool && !f.Categorical {
			return nil, modules.ParamErrf("columns", "column %q is a non-categorical %s column: mark it categorical with Edit Metadata to convert it", f.Name, f.Type)
		}
	}
	return idx, nil
}

// Infer implements modules.Module. The output columns depend on the values
// found when fitting, so only the parameters can be checked.
func (m ConvertToIndicatorValues) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	if s, ok := ic.Schema("dataset"); ok {
		if _, err := m.selected(ic.Params, s); err != nil {
			return nil, err
		}
	}
	return []*modules.Shape{nil, {Kind: modules.KindTransform}}, nil
}

// indState is the fitted state of Convert to Indicator Values.
type indState struct {
	Version   int         `json:"version"`
	Overwrite bool        `json:"overwrite"`
	Unseen    string      `json:"unseen"`
	DropFirst bool        `json:"drop_first,omitempty"`
	Columns   []indColumn `json:"columns"`
}

// indColumn is one converted column and its categories in output order,
// written as table.Column.Format writes values.
type indColumn struct {
	Name       string     `json:"name"`
	Type       table.Type `json:"type"`
	Categories []string   `json:"categories"`

	codes *valueCodes
}

// Fit implements modules.Fitter.
func (m ConvertToIndicatorValues) Fit(rc *modules.Context) (modules.State, error) {
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	idx, err := m.selected(rc.Params, t.Schema())
	if err != nil {
		return nil, err
	}
	st := indState{Version: indStateVersion, Overwrite: rc.Params.Bool("overwrite"),
		Unseen: rc.Params.String("unseen"), DropFirst: rc.Params.Bool("drop_first")}
	n := t.NumRows()
	p := newFitProgress(rc.Progress, 0, 0.5)
	p.expect(len(idx) * n)
	codes := make([]int32, n)
	for _, i := range idx {
		c, f := t.Column(i), t.Field(i)
		vc := newValueCodes(f.Type)
		err := fitChunks(rc.Ctx, n, p, func(lo, hi int) error {
			vc.encode(c, true, codes, lo, hi)
			if vc.n > indMaxCategories {
				return fmt.Errorf("column %q has more than %d distinct values: is it really categorical?", f.Name, indMaxCategories)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		labels := vc.sortedLabels(c)
		st.Columns = append(st.Columns, indColumn{Name: f.Name, Type: f.Type, Categories: labels})
	}
	return encodeFitted(st)
}

// Apply implements modules.Fitter.
func (ConvertToIndicatorValues) Apply(rc *modules.Context, s modules.State) error {
	var st indState
	if err := decodeFitted(s, indStateVersion, &st); err != nil {
		return err
	}
	if st.Unseen != "all_zero" && st.Unseen != "error" {
		return fmt.Errorf("fitted state: unknown unseen %q", st.Unseen)
	}
	for k := range st.Columns {
		c := &st.Columns[k]
		c.codes = newValueCodes(c.Type)
		for _, label := range c.Categories {
			if err := c.codes.add(label); err != nil {
				return fmt.Errorf("fitted state: column %q: %w", c.Name, err)
			}
		}
	}
	return runFitted(rc, &st)
}

func (st *indState) describe() string {
	parts := make([]string, len(st.Columns))
	for k, c := range st.Columns {
		parts[k] = fmt.Sprintf("%s (%d categories)", c.Name, len(c.Categories))
	}
	return "Convert to Indicator Values: " + strings.Join(parts, ", ")
}

// first is the index of the first category that gets a column.
func (st *indState) first() int {
	if st.DropFirst {
		return 1
	}
	return 0
}

func (st *indState) apply(ctx context.Context, t *table.Table, p *fitProgress) (*table.Table, error) {
	in := make([]table.Column, len(st.Columns))
	for k, c := range st.Columns {
		col, _, err := fittedColumn(t, c.Name)
		if err != nil {
			return nil, err
		}
		if col.Type() != c.Type {
			return nil, fmt.Errorf("column %q is %s, but it was %s when the indicators were fitted", c.Name, col.Type(), c.Type)
		}
		in[k] = col
	}
	n := t.NumRows()
	p.expect(len(st.Columns) * n)
	codes := make([]int32, n)
	// indicators[name] holds the new columns that follow (or replace) column name.
	indicators := make(map[string][]table.Column, len(st.Columns))
	for k := range st.Columns {
		c := &st.Columns[k]
		first := int32(st.first())
		data := make([][]float64, max(0, len(c.Categories)-int(first)))
		for j := range data {
			data[j] = make([]float64, n)
		}
		err := fitChunks(ctx, n, p, func(lo, hi int) error {
			c.codes.encode(in[k], false, codes, lo, hi)
			for i := lo; i < hi; i++ {
				code := codes[i]
				if code >= first {
					data[code-first][i] = 1
				} else if code == valueCodeUnseen && st.Unseen == "error" {
					v := in[k].Format(i)
					if c.Type == table.String {
						v = strconv.Quote(v)
					}
					return fmt.Errorf("column %q, row %d: value %s was not seen when the indicators were fitted", c.Name, i+1, v)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		cols := make([]table.Column, len(data))
		for j, d := range data {
			cols[j] = table.NewFloats(d, nil)
		}
		indicators[c.Name] = cols
	}
	var (
		schema table.Schema
		cols   []table.Column
	)
	for i, f := range t.Schema() {
		k := st.index(f.Name)
		if k < 0 || !st.Overwrite {
			schema, cols = append(schema, f), append(cols, t.Column(i))
		}
		if k < 0 {
			continue
		}
		for j, col := range indicators[f.Name] {
			name := f.Name + "-" + st.Columns[k].Categories[j+st.first()]
			schema, cols = append(schema, table.Field{Name: name, Type: table.Float}), append(cols, col)
		}
	}
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("the indicator columns clash with other columns: %w", err)
	}
	return table.New(schema, cols)
}

func (st *indState) index(name string) int {
	for k, c := range st.Columns {
		if c.Name == name {
			return k
		}
	}
	return -1
}
