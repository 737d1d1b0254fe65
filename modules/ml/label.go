package ml

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Label is the label column learnt at training: its name and type, and for
// classification the classes, sorted by value (numerically for numbers,
// bytewise for strings, false before true). A binary model's positive class is
// the second one, Classes[1].
type Label struct {
	Name string     `json:"name"`
	Type table.Type `json:"type"`
	// Classes hold each class as its column's text form, so that an int or
	// bool label keeps its type through JSON.
	Classes []string `json:"classes,omitempty"`
}

// Field returns the label column's field, with the label role.
func (l *Label) Field() table.Field {
	return table.Field{Name: l.Name, Type: l.Type, Role: table.Label}
}

// Target is a training table's label, encoded for a learner.
type Target struct {
	Label *Label
	// Class holds each row's class index into Label.Classes (classification).
	Class []int
	// Y holds each row's value: the regression target, or the class index as
	// a float for classification.
	Y []float64
}

// FitLabel reads the label column of a training table. Classification
// collects the sorted classes and refuses a single class, or more than two for
// a binary task; regression needs a numeric label that is not constant. A
// null label is an error naming the row.
func FitLabel(t *table.Table, name string, task modules.Task) (*Target, error) {
	if name == "" {
		return nil, fmt.Errorf("choose the label column")
	}
	col, _, err := t.Lookup(name)
	if err != nil {
		return nil, err
	}
	n := t.NumRows()
	if n == 0 {
		return nil, fmt.Errorf("the training table has no rows")
	}
	for i := range n {
		if col.Null(i) {
			return nil, fmt.Errorf("label column %q has no value in row %d: remove or fill rows with a missing label before training", name, i+1)
		}
		if fc, ok := col.(*table.Floats); ok && math.IsNaN(fc.Data()[i]) {
			return nil, fmt.Errorf("label column %q is NaN in row %d: remove such rows before training", name, i+1)
		}
	}
	lab := &Label{Name: name, Type: col.Type()}
	tg := &Target{Label: lab, Y: make([]float64, n)}
	switch task {
	case modules.TaskRegression:
		if !col.Type().Numeric() && col.Type() != table.Bool {
			return nil, fmt.Errorf("label column %q is %s: regression needs a numeric label", name, col.Type())
		}
		for i := range n {
			v, _ := table.Float64At(col, i)
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("label column %q is %v in row %d: regression needs finite labels", name, v, i+1)
			}
			tg.Y[i] = v
		}
		constant := true
		for _, v := range tg.Y {
			constant = constant && v == tg.Y[0]
		}
		if constant {
			return nil, fmt.Errorf("label column %q has the same value (%v) in every row: there is nothing to learn", name, tg.Y[0])
		}
		lab.Type = table.Float
	case modules.TaskBinary, modules.TaskMulticlass:
		if col.Type() == table.Time {
			return nil, fmt.Errorf("label column %q is a timestamp: classification needs string, int or bool classes", name)
		}
		var codes []int
		lab.Classes, codes = categoryCodes(col)
		if len(lab.Classes) < 2 {
			return nil, fmt.Errorf("label column %q has a single class (%s) in every row: classification needs at least two", name, lab.Classes[0])
		}
		if task == modules.TaskBinary && len(lab.Classes) > 2 {
			return nil, fmt.Errorf("label column %q has %d classes (%s): a two-class learner needs exactly two; use a multiclass learner",
				name, len(lab.Classes), listSome(lab.Classes, 6))
		}
		tg.Class = codes
		for i, k := range codes {
			tg.Y[i] = float64(k)
		}
	default:
		return nil, fmt.Errorf("task %q has no label", task)
	}
	return tg, nil
}

func listSome(vs []string, max int) string {
	if len(vs) <= max {
		return strings.Join(vs, ", ")
	}
	return strings.Join(vs[:max], ", ") + ", …"
}

// classColumn builds a column of the label's type holding the classes at the
// given indices.
func (l *Label) classColumn(idx []int) (table.Column, error) {
	w, err := l.newClassWriter(len(idx))
	if err != nil {
		return nil, err
	}
	buf := make([]int32, len(idx))
	for i, k := range idx {
		buf[i] = int32(k)
	}
	w.write(0, buf)
	return w.column(), nil
}

// classWriter fills a column of the label's type with classes by index.
type classWriter interface {
	write(from int, idx []int32)
	column() table.Column
}

type typedClassWriter[T any] struct {
	vals    []T
	classes []T
	build   func([]T) table.Column
}

func (c *typedClassWriter[T]) write(from int, idx []int32) {
	dst := c.vals[from : from+len(idx)]
	for i, k := range idx {
		dst[i] = c.classes[k]
	}
}

func (c *typedClassWriter[T]) column() table.Column { return c.build(c.vals) }

func newTypedWriter[T any](l *Label, n int, build func([]T) table.Column) (classWriter, error) {
	w := &typedClassWriter[T]{vals: make([]T, n), classes: make([]T, len(l.Classes)), build: build}
	for k, c := range l.Classes {
		v, err := parseValue(l.Type, c)
		if err != nil {
			return nil, fmt.Errorf("class %q of label %q: %v", c, l.Name, err)
		}
		w.classes[k] = v.(T)
	}
	return w, nil
}

// newClassWriter returns a writer for n rows of the label's type.
func (l *Label) newClassWriter(n int) (classWriter, error) {
	switch l.Type {
	case table.String:
		return newTypedWriter(l, n, func(v []string) table.Column { return table.NewStrings(v, nil) })
	case table.Int:
		return newTypedWriter(l, n, func(v []int64) table.Column { return table.NewInts(v, nil) })
	case table.Float:
		return newTypedWriter(l, n, func(v []float64) table.Column { return table.NewFloats(v, nil) })
	case table.Bool:
		return newTypedWriter(l, n, func(v []bool) table.Column { return table.NewBools(v, nil) })
	}
	return nil, fmt.Errorf("%s labels are not supported", l.Type)
}

// parseValue reads a value back from its column text form.
func parseValue(t table.Type, s string) (any, error) {
	switch t {
	case table.String:
		return s, nil
	case table.Int:
		return strconv.ParseInt(s, 10, 64)
	case table.Float:
		return strconv.ParseFloat(s, 64)
	case table.Bool:
		return strconv.ParseBool(s)
	}
	return nil, fmt.Errorf("%s labels are not supported", t)
}

func (l *Label) check(task modules.Task) error {
	if l.Name == "" {
		return fmt.Errorf("the label has no name")
	}
	if l.Type == table.Invalid {
		return fmt.Errorf("label %q has no type", l.Name)
	}
	switch task {
	case modules.TaskRegression:
		if len(l.Classes) != 0 {
			return fmt.Errorf("a regression label has no classes")
		}
		return nil
	case modules.TaskBinary:
		if len(l.Classes) != 2 {
			return fmt.Errorf("a binary label needs two classes, has %d", len(l.Classes))
		}
	case modules.TaskMulticlass:
		if len(l.Classes) < 2 {
			return fmt.Errorf("a multiclass label needs at least two classes, has %d", len(l.Classes))
		}
	}
	seen := make(map[string]bool, len(l.Classes))
	for _, c := range l.Classes {
		if _, err := parseValue(l.Type, c); err != nil {
			return fmt.Errorf("class %q: %v", c, err)
		}
		if seen[c] {
			return fmt.Errorf("class %q is listed twice", c)
		}
		seen[c] = true
	}
	return nil
}
