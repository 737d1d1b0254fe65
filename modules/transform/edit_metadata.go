package transform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// EditMetadata renames columns, converts their type, and sets their
// categorical flag and role.
type EditMetadata struct{}

const editUnchanged = "unchanged"

// Spec implements modules.Module.
func (EditMetadata) Spec() modules.Spec {
	return modules.Spec{
		ID: "edit_metadata", Version: 1, Name: "Edit Metadata", Category: modules.CategoryManipulation,
		Summary: "Renames columns, changes their type, and marks them categorical or as label, feature, score or ignored.",
		Help: "Applies every change to each selected column. New names are matched to the selected columns in " +
			"selection order. Type conversion converts every value and fails on the first one that cannot " +
			"convert, naming the row, column and value; nulls stay null. Text converts with surrounding spaces " +
			"ignored, and empty text becomes null. Numbers become bool only from 0 and 1; text becomes bool from " +
			"true/false, t/f, yes/no, y/n or 1/0 in any case. Timestamps and numbers convert through Unix " +
			"seconds (UTC): fractional for float, rounded down to whole seconds for int. Bool and timestamp do " +
			"not convert into each other. Setting a role only changes that column: other columns keep theirs.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "columns", Label: "Columns", Type: modules.ParamColumns, Input: "dataset", Required: true,
				Help: "The columns to change.", Example: `["age", "income"]`},
			{Name: "new_names", Label: "New column names", Type: modules.ParamString,
				Help:    "Comma-separated new names, one for each selected column in selection order. Leave empty to keep the names.",
				Example: "age_years, yearly_income"},
			{Name: "type", Label: "Data type", Type: modules.ParamChoice, Default: editUnchanged,
				Help: "Convert the values to this type.",
				Choices: []modules.Choice{
					{Value: editUnchanged, Label: "Unchanged"},
					{Value: "float", Label: "Floating point"},
					{Value: "int", Label: "Integer"},
					{Value: "string", Label: "String"},
					{Value: "bool", Label: "Boolean"},
					{Value: "timestamp", Label: "Timestamp"},
				}},
			{Name: "categorical", Label: "Categorical", Type: modules.ParamChoice, Default: editUnchanged,
				Help: "Mark the columns as categorical (their values are labels, not quantities) or not.",
				Choices: []modules.Choice{
					{Value: editUnchanged, Label: "Unchanged"},
					{Value: "categorical", Label: "Make categorical"},
					{Value: "not_categorical", Label: "Make non-categorical"},
				}},
			{Name: "role", Label: "Fields", Type: modules.ParamChoice, Default: editUnchanged,
				Help: "How learners treat the columns: as features, the label to predict, scores, or ignored.",
				Choices: []modules.Choice{
					{Value: editUnchanged, Label: "Unchanged"},
					{Value: "feature", Label: "Feature"},
					{Value: "label", Label: "Label"},
					{Value: "score", Label: "Score"},
					{Value: "ignore", Label: "Clear feature (ignore)"},
				}},
		},
	}
}

// editPlan is what Edit Metadata will do to a schema.
type editPlan struct {
	idx    []int
	schema table.Schema // the output schema
	to     table.Type   // table.Invalid: types unchanged
}

func (EditMetadata) plan(p modules.Params, s table.Schema) (editPlan, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return editPlan{}, err
	}
	pl := editPlan{idx: idx, schema: s.Clone()}
	if names := strings.TrimSpace(p.String("new_names")); names != "" {
		parts := strings.Split(names, ",")
		if len(parts) != len(idx) {
			return editPlan{}, modules.ParamErrf("new_names", "gives %d names for %d selected columns (%s)",
				len(parts), len(idx), strings.Join(selectedNames(s, idx), ", "))
		}
		for k, i := range idx {
			n := strings.TrimSpace(parts[k])
			if n == "" {
				return editPlan{}, modules.ParamErrf("new_names", "name %d (for column %q) is empty", k+1, s[i].Name)
			}
			pl.schema[i].Name = n
		}
		if err := pl.schema.Validate(); err != nil {
			return editPlan{}, modules.ParamErr("new_names", err)
		}
	}
	if ts := p.String("type"); ts != editUnchanged {
		to, err := table.ParseType(ts)
		if err != nil {
			return editPlan{}, modules.ParamErr("type", err)
		}
		for _, i := range idx {
			if !editConvertible(s[i].Type, to) {
				return editPlan{}, modules.ParamErrf("type", "cannot convert %s column %q to %s", s[i].Type, s[i].Name, to)
			}
			pl.schema[i].Type = to
		}
		pl.to = to
	}
	if c := p.String("categorical"); c != editUnchanged {
		for _, i := range idx {
			pl.schema[i].Categorical = c == "categorical"
		}
	}
	if r := p.String("role"); r != editUnchanged {
		role, err := table.ParseRole(r)
		if err != nil {
			return editPlan{}, modules.ParamErr("role", err)
		}
		for _, i := range idx {
			pl.schema[i].Role = role
		}
	}
	return pl, nil
}

// editConvertible reports whether values of type from can become type to.
// Bools and timestamps have no sensible mapping onto each other.
func editConvertible(from, to table.Type) bool {
	if (from == table.Bool && to == table.Time) || (from == table.Time && to == table.Bool) {
		return false
	}
	return from != table.Invalid && to != table.Invalid
}

// Infer implements modules.Module.
func (m EditMetadata) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	pl, err := m.plan(ic.Params, s)
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(pl.schema)}, nil
}

// Run implements modules.Runner.
func (m EditMetadata) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	pl, err := m.plan(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	cols := t.Columns()
	if pl.to != table.Invalid {
		p := newFitProgress(rc.Progress, 0, 1)
		p.expect(len(pl.idx) * t.NumRows())
		for _, i := range pl.idx {
			if cols[i].Type() == pl.to {
				p.add(t.NumRows())
				continue
			}
			if cols[i], err = editConvert(rc.Ctx, cols[i], t.Field(i).Name, pl.to, p); err != nil {
				return err
			}
		}
	}
	out, err := table.New(pl.schema, cols)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	rc.Progress(1)
	return nil
}

// Outcomes of converting one value.
const (
	editOK uint8 = iota
	editNull
	editBad
)

// editMapRows converts src row by row. A null stays null; a value that
// converts to null (empty text) gets a null; a bad value is reported by its
// row (0-based, -1 for none).
func editMapRows[S, D any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (D, uint8)) ([]D, table.Bitmap, int, error) {
	out := make([]D, len(src))
	outValid := slices.Clone(valid)
	bad := -1
	err := fitChunks(ctx, len(src), p, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if !valid.Valid(i) {
				continue
			}
			v, st := conv(src[i])
			switch st {
			case editOK:
				out[i] = v
			case editNull:
				if outValid == nil {
					outValid = table.NewBitmap(len(src))
				}
				outValid.Set(i, false)
			default:
				bad = i
				return errEditBad
			}
		}
		return nil
	})
	if errors.Is(err, errEditBad) {
		err = nil
	}
	return out, outValid, bad, err
}

var errEditBad = errors.New("bad value")

// The editTo* wrappers convert rows into a new column of one type.
func editToFloats[S any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (float64, uint8)) (table.Column, int, error) {
	d, v, bad, err := editMapRows(ctx, src, valid, p, conv)
	return table.NewFloats(d, v), bad, err
}

func editToInts[S any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (int64, uint8)) (table.Column, int, error) {
	d, v, bad, err := editMapRows(ctx, src, valid, p, conv)
	return table.NewInts(d, v), bad, err
}

func editToStrings[S any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (string, uint8)) (table.Column, int, error) {
	d, v, bad, err := editMapRows(ctx, src, valid, p, conv)
	return table.NewStrings(d, v), bad, err
}

func editToBools[S any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (bool, uint8)) (table.Column, int, error) {
	d, v, bad, err := editMapRows(ctx, src, valid, p, conv)
	return table.NewBools(d, v), bad, err
}

func editToTimes[S any](ctx context.Context, src []S, valid table.Bitmap, p *fitProgress, conv func(S) (int64, uint8)) (table.Column, int, error) {
	d, v, bad, err := editMapRows(ctx, src, valid, p, conv)
	return table.NewTimes(d, v), bad, err
}

func editStatus(ok bool) uint8 {
	if ok {
		return editOK
	}
	return editBad
}

// editConvert converts column c (named name) to type to.
func editConvert(ctx context.Context, c table.Column, name string, to table.Type, p *fitProgress) (table.Column, error) {
	var (
		out table.Column
		bad = -1
		err error
	)
	switch c := c.(type) {
	case *table.Floats:
		out, bad, err = editFromFloats(ctx, c.Data(), c.Validity(), to, p)
	case *table.Ints:
		out, bad, err = editFromInts(ctx, c, to, p)
	case *table.Bools:
		data, bv := c.Data(), c.Validity()
		switch to {
		case table.Float:
			out, bad, err = editToFloats(ctx, data, bv, p, func(b bool) (float64, uint8) { return float64(boolIndex(b)), editOK })
		case table.Int:
			out, bad, err = editToInts(ctx, data, bv, p, func(b bool) (int64, uint8) { return int64(boolIndex(b)), editOK })
		case table.String:
			out, bad, err = editToStrings(ctx, data, bv, p, func(b bool) (string, uint8) { return strconv.FormatBool(b), editOK })
		}
	case *table.Times:
		data, tv := c.Data(), c.Validity()
		switch to {
		case table.Float:
			out, bad, err = editToFloats(ctx, data, tv, p, func(ns int64) (float64, uint8) { return float64(ns) / 1e9, editOK })
		case table.Int:
			out, bad, err = editToInts(ctx, data, tv, p, func(ns int64) (int64, uint8) {
				s := ns / 1e9
				if ns%1e9 < 0 {
					s-- // round down, not toward zero, for times before 1970
				}
				return s, editOK
			})
		case table.String:
			out, bad, err = editToStrings(ctx, data, tv, p, func(ns int64) (string, uint8) {
				return time.Unix(0, ns).UTC().Format(time.RFC3339Nano), editOK
			})
		}
	case *table.Strings:
		out, bad, err = editFromStrings(ctx, c.Data(), c.Validity(), to, p)
	}
	if err != nil {
		return nil, err
	}
	if bad >= 0 {
		v := c.Format(bad)
		if c.Type() == table.String {
			v = strconv.Quote(v)
		}
		return nil, fmt.Errorf("column %q, row %d: cannot convert %s to %s", name, bad+1, v, to)
	}
	if out == nil {
		return nil, fmt.Errorf("column %q: cannot convert %s to %s", name, c.Type(), to)
	}
	return out, nil
}

// float64ToInt converts a whole float in int64 range.
func float64ToInt(x float64) (int64, bool) {
	if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
		return 0, false
	}
	return int64(x), true
}

func editFromFloats(ctx context.Context, data []float64, valid table.Bitmap, to table.Type, p *fitProgress) (table.Column, int, error) {
	switch to {
	case table.Int:
		return editToInts(ctx, data, valid, p, func(x float64) (int64, uint8) {
			n, ok := float64ToInt(x)
			return n, editStatus(ok)
		})
	case table.Bool:
		return editToBools(ctx, data, valid, p, func(x float64) (bool, uint8) { return x == 1, editStatus(x == 0 || x == 1) })
	case table.String:
		return editToStrings(ctx, data, valid, p, func(x float64) (string, uint8) { return strconv.FormatFloat(x, 'g', -1, 64), editOK })
	case table.Time:
		return editToTimes(ctx, data, valid, p, func(x float64) (int64, uint8) {
			ns := math.Round(x * 1e9)
			if ns != ns || ns < -(1<<63) || ns >= 1<<63 {
				return 0, editBad
			}
			return int64(ns), editOK
		})
	}
	return nil, -1, nil
}

func editFromInts(ctx context.Context, c *table.Ints, to table.Type, p *fitProgress) (table.Column, int, error) {
	data, valid := c.Data(), c.Validity()
	switch to {
	case table.Float:
		p.add(c.Len())
		f, err := table.ToFloats(c)
		return f, -1, err
	case table.Bool:
		return editToBools(ctx, data, valid, p, func(x int64) (bool, uint8) { return x == 1, editStatus(x == 0 || x == 1) })
	case table.String:
		return editToStrings(ctx, data, valid, p, func(x int64) (string, uint8) { return strconv.FormatInt(x, 10), editOK })
	case table.Time:
		const maxSeconds = math.MaxInt64 / 1_000_000_000
		return editToTimes(ctx, data, valid, p, func(x int64) (int64, uint8) {
			return x * 1e9, editStatus(x >= -maxSeconds && x <= maxSeconds)
		})
	}
	return nil, -1, nil
}

// editFromStrings parses text. Surrounding spaces are ignored and empty text
// is a null, as a CSV cell would be.
func editFromStrings(ctx context.Context, data []string, valid table.Bitmap, to table.Type, p *fitProgress) (table.Column, int, error) {
	switch to {
	case table.Float:
		return editToFloats(ctx, data, valid, p, func(s string) (float64, uint8) {
			s = strings.TrimSpace(s)
			if s == "" {
				return 0, editNull
			}
			f, err := strconv.ParseFloat(s, 64)
			return f, editStatus(err == nil)
		})
	case table.Int:
		return editToInts(ctx, data, valid, p, func(s string) (int64, uint8) {
			s = strings.TrimSpace(s)
			if s == "" {
				return 0, editNull
			}
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, editOK
			}
			// "3.0" and "1e3" are whole numbers written as floats, common in exported data.
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, editBad
			}
			n, ok := float64ToInt(f)
			return n, editStatus(ok)
		})
	case table.Bool:
		return editToBools(ctx, data, valid, p, func(s string) (bool, uint8) {
			s = strings.TrimSpace(s)
			if s == "" {
				return false, editNull
			}
			b, ok := parseBoolWord(s)
			return b, editStatus(ok)
		})
	case table.Time:
		return editToTimes(ctx, data, valid, p, func(s string) (int64, uint8) {
			s = strings.TrimSpace(s)
			if s == "" {
				return 0, editNull
			}
			t, err := table.ParseTime(s)
			if err != nil {
				return 0, editBad
			}
			return t.UnixNano(), editOK
		})
	}
	return nil, -1, nil
}

// parseBoolWord reads the spellings of true and false that data files use.
func parseBoolWord(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}
