package transform

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// summarizing is implemented by fitted states that can list what they
// learnt per column, for the designer's transform view.
type summarizing interface {
	summary() *modules.Report
}

// Summary implements modules.Summarizer when the state can say what it
// learnt, and returns nil otherwise.
func (x fittedTransform) Summary() *modules.Report {
	if s, ok := x.f.(summarizing); ok {
		return s.summary()
	}
	return nil
}

var _ modules.Summarizer = fittedTransform{}

// floatCol is a float column with nulls where a statistic was not computed.
func floatCol(vals []*stateFloat) table.Column {
	data := make([]float64, len(vals))
	valid := table.NewBitmap(len(vals))
	for i, v := range vals {
		if v == nil {
			valid.Set(i, false)
			continue
		}
		data[i] = float64(*v)
	}
	return table.NewFloats(data, valid)
}

func (st *normState) summary() *modules.Report {
	n := len(st.Columns)
	names, counts := make([]string, n), make([]int64, n)
	stats := map[string][]*stateFloat{}
	order := []string{"Mean", "Std", "Min", "Max", "Median", "IQR"}
	for _, s := range order {
		stats[s] = make([]*stateFloat, n)
	}
	for k, c := range st.Columns {
		names[k], counts[k] = c.Name, int64(c.Count)
		stats["Mean"][k], stats["Std"][k], stats["Min"][k] = c.Mean, c.Std, c.Min
		stats["Max"][k], stats["Median"][k], stats["IQR"][k] = c.Max, c.Median, c.IQR
	}
	schema := table.Schema{{Name: "Column", Type: table.String}, {Name: "Values", Type: table.Int}}
	cols := []table.Column{table.NewStrings(names, nil), table.NewInts(counts, nil)}
	for _, s := range order {
		if col := floatCol(stats[s]); col.NullCount() < n {
			schema = append(schema, table.Field{Name: s, Type: table.Float})
			cols = append(cols, col)
		}
	}
	return &modules.Report{Title: "Summary", Sections: []modules.ReportSection{
		{Title: "Statistics learnt (" + st.Method + ")", Table: table.MustNew(schema, cols...)},
	}}
}

func (st *cleanState) summary() *modules.Report {
	n := len(st.Columns)
	names, types, values := make([]string, n), make([]string, n), make([]string, n)
	valid := table.NewBitmap(n)
	for k, c := range st.Columns {
		names[k], types[k] = c.Name, c.Type.String()
		if c.Value == nil {
			valid.Set(k, false)
			continue
		}
		var v any
		if json.Unmarshal(c.Value, &v) == nil {
			if str, ok := v.(string); ok {
				values[k] = str
				continue
			}
		}
		values[k] = string(c.Value)
	}
	return &modules.Report{Title: "Summary", Sections: []modules.ReportSection{
		{Title: "Replacements (" + st.Mode + ")", Table: table.MustNew(table.Schema{
			{Name: "Column", Type: table.String}, {Name: "Type", Type: table.String}, {Name: "Replacement", Type: table.String},
		}, table.NewStrings(names, nil), table.NewStrings(types, nil), table.NewStrings(values, valid))},
	}}
}

func (st *binState) summary() *modules.Report {
	n := len(st.Columns)
	names, edges := make([]string, n), make([]string, n)
	bins := make([]int64, n)
	for k, c := range st.Columns {
		names[k], bins[k] = c.Name, int64(len(c.Edges)+1)
		parts := make([]string, len(c.Edges))
		for i, e := range c.Edges {
			parts[i] = strconv.FormatFloat(float64(e), 'g', 6, 64)
		}
		edges[k] = strings.Join(parts, ", ")
	}
	return &modules.Report{Title: "Summary", Sections: []modules.ReportSection{
		{Title: "Bins (" + st.Method + ")", Table: table.MustNew(table.Schema{
			{Name: "Column", Type: table.String}, {Name: "Bins", Type: table.Int}, {Name: "Edges", Type: table.String},
		}, table.NewStrings(names, nil), table.NewInts(bins, nil), table.NewStrings(edges, nil))},
	}}
}

func (st *indState) summary() *modules.Report {
	n := len(st.Columns)
	names, cats := make([]string, n), make([]string, n)
	counts := make([]int64, n)
	for k, c := range st.Columns {
		names[k], counts[k] = c.Name, int64(len(c.Categories))
		cats[k] = strings.Join(c.Categories, ", ")
	}
	return &modules.Report{Title: "Summary", Sections: []modules.ReportSection{
		{Title: "Categories", Table: table.MustNew(table.Schema{
			{Name: "Column", Type: table.String}, {Name: "Categories", Type: table.Int}, {Name: "Values", Type: table.String},
		}, table.NewStrings(names, nil), table.NewInts(counts, nil), table.NewStrings(cats, nil))},
	}}
}
