package manipulation

import (
	"errors"
	"math"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func sales() *table.Table {
	return table.MustNew(table.Schema{
		{Name: "city", Type: table.String, Categorical: true},
		{Name: "amount", Type: table.Float},
		{Name: "qty", Type: table.Int},
		{Name: "paid", Type: table.Bool},
		{Name: "net amount", Type: table.Float},
	},
		table.NewStrings([]string{"oslo", "rome", "oslo", "", "rome", "oslo", ""}, nulls(7, 3, 6)),
		table.NewFloats([]float64{10, 5, 20, 7, 0, 30, 1}, nulls(7, 4)),
		table.NewInts([]int64{1, 2, 3, 4, 5, 6, 7}, nil),
		table.NewBools([]bool{true, false, true, true, false, false, false}, nil),
		table.NewFloats([]float64{1, 2, 3, 4, 5, 6, 7}, nil))
}

func TestGroupAndAggregate(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		cols   []string
		rows   []string
	}{
		{"counts by city", map[string]any{"group_by": "city", "aggregations": "count(*), count(amount), distinct_count(paid)"},
			[]string{"city", "count(*)", "count(amount)", "distinct_count(paid)"},
			[]string{"oslo|3|3|2", "rome|2|1|1", "null|2|2|2"}},
		{"sums and means", map[string]any{"group_by": "city", "aggregations": "sum(amount), SUM(qty), sum(paid), mean(amount) as avg_amount, mean(qty)"},
			[]string{"city", "sum(amount)", "sum(qty)", "sum(paid)", "avg_amount", "mean(qty)"},
			[]string{"oslo|60|10|2|20|3.3333333333333335", "rome|5|7|0|5|3.5", "null|8|11|1|4|5.5"}},
		{"spread", map[string]any{"group_by": "city", "aggregations": "std(amount), var(qty), median(qty), median(amount)"},
			[]string{"city", "std(amount)", "var(qty)", "median(qty)", "median(amount)"},
			[]string{"oslo|10|6.333333333333333|3|20", "rome|null|4.5|3.5|5", "null|4.242640687119285|4.5|5.5|4"}},
		{"min and max keep types", map[string]any{"group_by": "paid", "aggregations": "min(city), max(city), min(amount), max(qty), max(paid)"},
			[]string{"paid", "min(city)", "max(city)", "min(amount)", "max(qty)", "max(paid)"},
			[]string{"true|oslo|oslo|7|4|true", "false|oslo|rome|1|7|false"}},
		{"whole table", map[string]any{"aggregations": "count(*), sum(qty), max(city), distinct_count(city)"},
			[]string{"count(*)", "sum(qty)", "max(city)", "distinct_count(city)"},
			[]string{"7|28|rome|2"}},
		{"two group columns, no aggregates", map[string]any{"group_by": []string{"city", "paid"}, "aggregations": ""},
			[]string{"city", "paid"},
			[]string{"oslo|true", "rome|false", "null|true", "oslo|false", "null|false"}},
		{"quoted names", map[string]any{"group_by": "paid", "aggregations": "sum(\"net amount\") AS `total, net`, count( `net amount` ) as \"n \"\"net\"\"\""},
			[]string{"paid", "total, net", `n "net"`},
			[]string{"true|8|3", "false|20|4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runTable(t, GroupAndAggregate{}, tt.params, sales())
			wantNames(t, got, tt.cols...)
			wantRows(t, got, tt.rows)
		})
	}
	got := runTable(t, GroupAndAggregate{}, map[string]any{"group_by": "city"}, sales())
	if f := got.Field(0); !f.Categorical {
		t.Errorf("group column lost its metadata: %+v", f)
	}
}

func TestGroupAndAggregateEmptyAndNaN(t *testing.T) {
	empty := table.Empty(sales().Schema())
	got := runTable(t, GroupAndAggregate{}, map[string]any{"aggregations": "count(*), count(qty), sum(qty), mean(amount), min(city), std(amount)"}, empty)
	wantRows(t, got, []string{"0|0|null|null|null|null"})
	got = runTable(t, GroupAndAggregate{}, map[string]any{"group_by": "city", "aggregations": "count(*)"}, empty)
	wantRows(t, got, nil)

	nan := table.MustNew(table.Schema{{Name: "g", Type: table.Int}, {Name: "x", Type: table.Float}},
		table.NewInts([]int64{1, 1, 1, 2}, nil), table.NewFloats([]float64{1, math.NaN(), 3, -0.0}, nil))
	got = runTable(t, GroupAndAggregate{}, map[string]any{"group_by": "g",
		"aggregations": "sum(x), mean(x), std(x), median(x), min(x), max(x), distinct_count(x)"}, nan)
	wantRows(t, got, []string{"1|NaN|NaN|NaN|NaN|NaN|NaN|3", "2|0|0|null|0|0|0|1"})
}

func TestGroupAndAggregateOverflow(t *testing.T) {
	big := table.MustNew(table.Schema{{Name: "n", Type: table.Int}}, table.NewInts([]int64{math.MaxInt64, 1}, nil))
	_, err := moduletest.Run(t, GroupAndAggregate{}, map[string]any{"aggregations": "sum(n)"}, big)
	wantErrText(t, err, "sum(n)", "overflows", "row 2")
}

func TestGroupAndAggregateErrors(t *testing.T) {
	tests := []struct {
		name         string
		group        any
		aggregations string
		param        string
		fragments    []string
	}{
		{"unknown function", nil, "count(*), avg(amount)", "aggregations", []string{"item 2", "character 11", `unknown function "avg"`, "mean"}},
		{"unknown column", nil, "sum(amount), mean(amt)", "aggregations", []string{"item 2 (mean(amt))", "character 14", `"amt"`}},
		{"sum of strings", nil, "sum(city)", "aggregations", []string{"sum needs a numeric or bool column", `"city" is string`}},
		{"star outside count", nil, "sum(*)", "aggregations", []string{"only count takes *"}},
		{"missing paren", nil, "sum(amount", "aggregations", []string{"expected ) to close sum(", "the end"}},
		{"missing comma", nil, "sum(amount) mean(amount)", "aggregations", []string{"character 13", "expected a comma"}},
		{"trailing comma", nil, "sum(amount),", "aggregations", []string{"item 2", "after the last comma"}},
		{"empty argument", nil, "sum( )", "aggregations", []string{"sum needs a column"}},
		{"not a function", nil, "(amount)", "aggregations", []string{"expected a function"}},
		{"unclosed quote", nil, `sum("amount)`, "aggregations", []string{"character 5", "not closed"}},
		{"empty alias", nil, "sum(amount) as ", "aggregations", []string{"expected a name after as"}},
		{"repeated output", nil, "sum(amount), sum(amount)", "aggregations", []string{`named "sum(amount)"`}},
		{"alias clashes with group", "city", "count(*) as city", "aggregations", []string{`named "city"`}},
		{"nothing to do", nil, " ", "aggregations", []string{"is empty"}},
		{"missing group column", "town", "count(*)", "group_by", []string{`"town"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{"aggregations": tt.aggregations}
			if tt.group != nil {
				params["group_by"] = tt.group
			}
			_, err := moduletest.Run(t, GroupAndAggregate{}, params, sales())
			wantParamErr(t, err, tt.param, tt.fragments...)
		})
	}
	_, err := moduletest.Run(t, GroupAndAggregate{}, map[string]any{"aggregations": "max(amt)"}, sales())
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("unknown column error %v does not wrap ErrColumnNotFound", err)
	}
	// Syntax is checked even before the input's schema is known.
	_, err = moduletest.Infer(t, GroupAndAggregate{}, map[string]any{"aggregations": "avg(x)"}, nil)
	wantParamErr(t, err, "aggregations", "unknown function")
}

func BenchmarkGroupAndAggregate1M(b *testing.B) {
	const n = 1 << 20
	k, x := make([]int64, n), make([]float64, n)
	for i := range k {
		k[i], x[i] = int64(i*7919%1000), float64(i%977)
	}
	in := table.MustNew(table.Schema{{Name: "k", Type: table.Int}, {Name: "x", Type: table.Float}}, table.NewInts(k, nil), table.NewFloats(x, nil))
	for b.Loop() {
		moduletest.MustRun(b, GroupAndAggregate{}, map[string]any{"group_by": "k",
			"aggregations": "count(*), sum(x), mean(x), std(x), min(x), max(x), median(x), distinct_count(x)"}, in)
	}
}
