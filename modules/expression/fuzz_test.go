package expression

import (
	"context"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/table"
)

// FuzzCompile checks that no source, however mangled, makes Compile or an
// evaluation panic, and that a compiled program keeps its promises: the
// column it gives has ResultType, and it reads only schema columns.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`income >= 20000 && name != "other"`,
		`income / age`,
		`count % (age - 22)`,
		`$env["Scored Labels"] == "yes" || $env["loan-to-income"] > 1`,
		`isNull(income) ? 0 : 1`,
		`ifNull(income, 0) + ifNull(age, 1)`,
		`ifNull(name, nil)`,
		`applied > date("2024-01-01") && applied.Year() == 2024`,
		`let x = age * 2; x > $limit`,
		`upper(name) matches "^A" ? "a" : trim(name)`,
		`map(1..age, # * 2)[0]`,
		`filter(["a", "b"], # == name) | len()`,
		`log(income) + pow(age, 2) - sqrt(count) * sign(-1)`,
		`count * 2 + count([true, false])`,
		`$env?.income ?? 3`,
		`int(name) + float("1.5")`,
		`toJSON({a: age})`,
		`fromJSON("[1,2]")`,
		`-age ** 2 ^ 0.5`,
		`"x" + string(applied)`,
		`isNull($env["Scored Labels"]) && ifNull($env["count"], 2) > 1`,
		`ifNull(applied, date("2020-01-01")) < now()`,
		`$env["\x02income"] ?? $env["$limit"]`,
		`let y = $env; y.income`,
		`reduce(1..count, #acc + #, 0) > 3 and name startsWith "a"`,
		`{"a": age}.a + len($env["Scored Labels"])`,
		"income > 1 &&\n  `raw` contains name",
		`date(string(applied), "2006-01-02T15:04:05Z07:00") == applied`,
		`count > 1 ? count : nil`,
		`sortBy([name, "z"], #)[0] + trim(name, "a")`,
	} {
		f.Add(s)
	}
	vars := map[string]any{"limit": 40000, "who": "bob"}
	tb := loans()
	f.Fuzz(func(t *testing.T, src string) {
		for _, opts := range [][]Option{nil, {Bool()}, {As(table.String)}, {UnknownVars()}} {
			p, err := Compile(src, loanSchema, vars, opts...)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("Compile(%q) error is %T, not *Error: %v", src, err, err)
				}
				continue
			}
			for _, c := range p.Columns() {
				if loanSchema.Index(c) < 0 {
					t.Fatalf("Compile(%q): Columns has %q, not in the schema", src, c)
				}
			}
			if !slices.IsSortedFunc(p.Columns(), func(a, b string) int { return loanSchema.Index(a) - loanSchema.Index(b) }) {
				t.Fatalf("Compile(%q): Columns %q not in schema order", src, p.Columns())
			}
			col, err := p.Column(context.Background(), tb, 2)
			if err == nil && col.Type() != p.ResultType() {
				t.Fatalf("Compile(%q): column type %v, ResultType %v", src, col.Type(), p.ResultType())
			}
			if err == nil && col.Len() != tb.NumRows() {
				t.Fatalf("Compile(%q): column has %d rows", src, col.Len())
			}
			if p.ResultType() == table.Bool {
				mask, err := p.Filter(context.Background(), tb, 2)
				if err == nil && len(mask) != tb.NumRows() {
					t.Fatalf("Compile(%q): mask has %d rows", src, len(mask))
				}
			}
		}
	})
}
