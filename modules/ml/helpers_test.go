package ml

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// loadCSV reads a testdata CSV: a column whose values all parse as integers
// is an int column, as floats a float column, otherwise a string column.
func loadCSV(t testing.TB, name string) *table.Table {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := recs[0], recs[1:]
	var schema table.Schema
	var cols []table.Column
	for j, name := range header {
		typ := table.Int
		for _, r := range rows {
			if _, err := strconv.ParseInt(r[j], 10, 64); err == nil {
				continue
			}
			if _, err := strconv.ParseFloat(r[j], 64); err == nil {
				if typ == table.Int {
					typ = table.Float
				}
				continue
			}
			typ = table.String
			break
		}
		b := table.NewColumnBuilder(typ, len(rows))
		for _, r := range rows {
			var v any = r[j]
			switch typ {
			case table.Int:
				v, _ = strconv.ParseInt(r[j], 10, 64)
			case table.Float:
				v, _ = strconv.ParseFloat(r[j], 64)
			}
			if err := b.AppendValue(v); err != nil {
				t.Fatal(err)
			}
		}
		schema = append(schema, table.Field{Name: name, Type: typ})
		cols = append(cols, b.Build())
	}
	tb, err := table.New(schema, cols)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// standardized returns t with every float column except label standardized
// as scikit-learn's StandardScaler does (population standard deviation).
func standardized(t testing.TB, tb *table.Table, label string) *table.Table {
	t.Helper()
	for i := range tb.NumCols() {
		f := tb.Field(i)
		if f.Name == label || !f.Type.Numeric() {
			continue
		}
		c, err := table.ToFloats(tb.Column(i))
		if err != nil {
			t.Fatal(err)
		}
		v := c.Data()
		m := 0.0
		for _, x := range v {
			m += x
		}
		m /= float64(len(v))
		ss := 0.0
		for _, x := range v {
			ss += (x - m) * (x - m)
		}
		s := math.Sqrt(ss / float64(len(v)))
		out := make([]float64, len(v))
		for k, x := range v {
			out[k] = (x - m) / s
		}
		f.Type = table.Float
		if tb, err = tb.WithColumn(f, table.NewFloats(out, nil)); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// learner runs an Initialize Model module.
func learner(t testing.TB, m modules.Module, params map[string]any) modules.Learner {
	t.Helper()
	res := moduletest.MustRun(t, m, params)
	l, ok := res.Outputs[0].(modules.Learner)
	if !ok {
		t.Fatalf("%s output %T", m.Spec().ID, res.Outputs[0])
	}
	return l
}

// train runs Train Model and returns the model and its recorded state.
func train(t testing.TB, l modules.Learner, data *table.Table, label string) (*Model, modules.State) {
	t.Helper()
	res := moduletest.MustRun(t, TrainModel{}, map[string]any{"label": label}, l, data)
	m, ok := res.Outputs[0].(*Model)
	if !ok {
		t.Fatalf("Train Model output %T", res.Outputs[0])
	}
	return m, res.State
}

func score(t testing.TB, m modules.Model, data *table.Table) *table.Table {
	t.Helper()
	res := moduletest.MustRun(t, ScoreModel{}, nil, m, data)
	return res.Table(t, ScoreModel{}, "scored")
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300) }

func floats(t testing.TB, tb *table.Table, name string) []float64 {
	t.Helper()
	c, _, err := tb.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := table.ToFloats(c)
	if err != nil {
		t.Fatal(err)
	}
	return f.Data()
}

var bg = context.Background()
