package expression

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/table"
)

var loanSchema = table.Schema{
	{Name: "name", Type: table.String},
	{Name: "age", Type: table.Int},
	{Name: "income", Type: table.Float},
	{Name: "approved", Type: table.Bool},
	{Name: "applied", Type: table.Time},
	{Name: "Scored Labels", Type: table.String},
	{Name: "loan-to-income", Type: table.Float},
	{Name: "count", Type: table.Int}, // also a builtin's name
}

func ts(s string) int64 {
	t, err := table.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func nulls(n int, rows ...int) table.Bitmap {
	b := table.NewBitmap(n)
	for _, r := range rows {
		b.Set(r, false)
	}
	return b
}

// loans has a null in row 3 (index 2) of income, and in row 4 of name.
func loans() *table.Table {
	return table.MustNew(loanSchema,
		table.NewStrings([]string{"ann", "bob", "cy", "", "eve"}, nulls(5, 3)),
		table.NewInts([]int64{31, 45, 22, 60, 0}, nil),
		table.NewFloats([]float64{52000, 18000, 0, 90000, 30000}, nulls(5, 2)),
		table.NewBools([]bool{true, false, true, false, true}, nil),
		table.NewTimes([]int64{ts("2024-01-31"), ts("2023-06-01"), ts("2024-03-01T12:00:00Z"), ts("2022-12-31"), ts("2024-02-29")}, nil),
		table.NewStrings([]string{"yes", "no", "yes", "no", "no"}, nil),
		table.NewFloats([]float64{0.5, 1.5, 2, 0.1, 0}, nil),
		table.NewInts([]int64{1, 2, 3, 4, 5}, nil),
	)
}

func mustCompile(t *testing.T, src string, opts ...Option) *Program {
	t.Helper()
	p, err := Compile(src, loanSchema, map[string]any{"limit": 40000, "who": "bob"}, opts...)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return p
}

func formatColumn(c table.Column) []string {
	out := make([]string, c.Len())
	for i := range out {
		if c.Null(i) {
			out[i] = "null"
		} else {
			out[i] = c.Format(i)
		}
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src        string
		opts       []Option
		line, col  int
		wantSubstr string
	}{
		{src: `income >= 20000 && incme < 5`, line: 1, col: 20, wantSubstr: `unknown name "incme"; did you mean income? (columns: name, age, income`},
		{src: `$env["Scored Label"] == "yes"`, line: 1, col: 5, wantSubstr: `did you mean $env["Scored Labels"]?`},
		{src: `Scored Labels == "yes"`, line: 1, col: 8, wantSubstr: `write $env["Scored Labels"]`},
		{src: `name > 3`, line: 1, col: 6, wantSubstr: "mismatched types string and int"},
		{src: "income > 1 &&\n  (age < ", line: 2, col: 9, wantSubstr: "unexpected token EOF"},
		{src: `$limt > 3`, line: 1, col: 1, wantSubstr: "unknown workflow parameter $limt; did you mean $limit? (defined: $limit, $who)"},
		{src: `lgo(income)`, line: 1, col: 1, wantSubstr: "unknown function lgo; did you mean log?"},
		{src: `now() > applied`, line: 1, col: 1, wantSubstr: "now() is not available"},
		{src: `timezone("UTC")`, wantSubstr: "timezone() is not available"},
		{src: `date("2024-01-01", "2006-01-02", "Europe/Paris") < applied`, line: 1, col: 1, wantSubstr: "may not name a time zone"},
		{src: `applied.Local().Hour() > 3`, wantSubstr: "server's time zone"},
		{src: `"income" in $env`, line: 1, col: 13, wantSubstr: "$env may only be followed by a quoted column name"},
		{src: `$env["inc" + "ome"] > 1`, wantSubstr: "$env"},
		{src: `let age = 3; age`, wantSubstr: "age"},
		{src: `let $limit = 2; $limit`, wantSubstr: "cannot redeclare $limit"},
		{src: `let count = 2; count * 2`, line: 1, col: 5, wantSubstr: "cannot redeclare builtin count"},
		{src: `isNull(income) || income > 3`, line: 1, col: 19, wantSubstr: `column "income" is used both directly and in isNull`},
		{src: `isNull(3)`, wantSubstr: "isNull takes a column name"},
		{src: `ifNull(age, 2.5)`, wantSubstr: "ifNull(age, …) needs an int value"},
		{src: `ifNull(income, "none")`, wantSubstr: "needs a float value"},
		{src: `income`, opts: []Option{Bool()}, wantSubstr: "gives float, but a condition must give true or false"},
		{src: `income / 2`, opts: []Option{As(table.Int)}, wantSubstr: "use int(…) to truncate"},
		{src: `name`, opts: []Option{As(table.Float)}, wantSubstr: "gives string, which cannot become a float column"},
		{src: `age > 30 ? 1 : "old"`, wantSubstr: "choose the column type"},
		{src: `applied - applied`, wantSubstr: "gives a duration"},
		{src: `[1, 2]`, wantSubstr: "gives a list"},
		{src: `  `, wantSubstr: "the expression is empty"},
		{src: strings.Repeat("1+", 20) + "1", opts: []Option{MaxNodes(10)}, wantSubstr: "nodes"},
		{src: strings.Repeat("1+", 20) + "1", opts: []Option{MaxLength(20)}, wantSubstr: "41 bytes long; the limit is 20"},
		{src: `round`, wantSubstr: ""}, // no column round: the function itself
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Compile(tt.src, loanSchema, map[string]any{"limit": 40000, "who": "bob"}, tt.opts...)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if !strings.Contains(e.Error(), tt.wantSubstr) {
				t.Errorf("err = %q, want it to contain %q", e.Error(), tt.wantSubstr)
			}
			if tt.line > 0 && (e.Line != tt.line || e.Column != tt.col) {
				t.Errorf("position = %d:%d, want %d:%d (%v)", e.Line, e.Column, tt.line, tt.col, e)
			}
			if e.Line > 0 && !strings.HasPrefix(e.Error(), "expression line ") {
				t.Errorf("message %q does not start with the position", e.Error())
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Compile(`annual_income > 3 && incme > 2`, table.Schema{{Name: "income", Type: table.Float}, {Name: "annual_income", Type: table.Float}}, nil)
	want := `expression line 1, column 22: unknown name "incme"; did you mean income? (columns: income, annual_income)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestResultTypeAndColumns(t *testing.T) {
	tests := []struct {
		src  string
		opts []Option
		typ  table.Type
		cols []string
	}{
		{src: `income >= 20000 && name != "other"`, typ: table.Bool, cols: []string{"name", "income"}},
		{src: `age + 1`, typ: table.Int, cols: []string{"age"}},
		{src: `age / 2`, typ: table.Float, cols: []string{"age"}},
		{src: `age * income`, typ: table.Float, cols: []string{"age", "income"}},
		{src: `age ** 2`, typ: table.Float, cols: []string{"age"}},
		{src: `-age`, typ: table.Int, cols: []string{"age"}},
		{src: `abs(age)`, typ: table.Int, cols: []string{"age"}},
		{src: `upper(name) + "!"`, typ: table.String, cols: []string{"name"}},
		{src: `applied`, typ: table.Time, cols: []string{"applied"}},
		{src: `date("2024-01-01")`, typ: table.Time},
		{src: `applied > date("2024-01-01")`, typ: table.Bool, cols: []string{"applied"}},
		{src: `applied.Year()`, typ: table.Int, cols: []string{"applied"}},
		{src: `(applied - date("2024-01-01")).Hours()`, typ: table.Float, cols: []string{"applied"}},
		{src: `$env["Scored Labels"] == "yes"`, typ: table.Bool, cols: []string{"Scored Labels"}},
		{src: `$env.income > 3`, typ: table.Bool, cols: []string{"income"}},
		{src: `$env?.income`, typ: table.Float, cols: []string{"income"}},
		{src: `$env["loan-to-income"] * 100`, typ: table.Float, cols: []string{"loan-to-income"}},
		{src: `count * 2 + count([true, false, true])`, typ: table.Int, cols: []string{"count"}},
		{src: `$env["count"] > 1`, typ: table.Bool, cols: []string{"count"}},
		{src: `income > $limit && name != $who`, typ: table.Bool, cols: []string{"name", "income"}},
		{src: `log(income) + sqrt(age) + pow(age, 2) + exp(0) + log10(1) + log2(8) + sign(-3)`, typ: table.Float, cols: []string{"age", "income"}},
		{src: `isNaN(income)`, typ: table.Bool, cols: []string{"income"}},
		{src: `isNull(income) || isNull($env["Scored Labels"])`, typ: table.Bool, cols: []string{"income", "Scored Labels"}},
		{src: `ifNull(income, 0) * 2`, typ: table.Float, cols: []string{"income"}},
		{src: `ifNull(age, 0) + 1`, typ: table.Int, cols: []string{"age"}},
		{src: `ifNull(name, "unknown")`, typ: table.String, cols: []string{"name"}},
		{src: `let x = age * 2; x + 1`, typ: table.Int, cols: []string{"age"}},
		{src: `age > 30 ? 1 : 2.5`, opts: []Option{As(table.Float)}, typ: table.Float, cols: []string{"age"}},
		{src: `age`, opts: []Option{As(table.String)}, typ: table.String, cols: []string{"age"}},
		{src: `"2024-01-01"`, opts: []Option{As(table.Time)}, typ: table.Time},
		{src: `age > 3`, opts: []Option{Bool()}, typ: table.Bool, cols: []string{"age"}},
		{src: `1 + 2`, typ: table.Int},
		{src: `1 + 2.5`, typ: table.Float},
		{src: `true ? income : nil`, typ: table.Float, cols: []string{"income"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, tt.opts...)
			if p.ResultType() != tt.typ {
				t.Errorf("ResultType = %v, want %v", p.ResultType(), tt.typ)
			}
			if got := p.Columns(); !slices.Equal(got, tt.cols) && len(got)+len(tt.cols) > 0 {
				t.Errorf("Columns = %q, want %q", got, tt.cols)
			}
			// The type is exact: evaluating gives a column of that type.
			c, err := p.Column(context.Background(), loans(), 1)
			if err != nil {
				t.Fatalf("Column: %v", err)
			}
			if c.Type() != tt.typ {
				t.Errorf("column type = %v, want %v", c.Type(), tt.typ)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		src  string
		want []bool
	}{
		{`income >= 20000 && name != "bob"`, []bool{true, false, false, false, true}}, // row 3 income null, row 4 name null
		{`income < 20000`, []bool{false, true, false, false, false}},
		{`age >= 30 || approved`, []bool{true, true, true, true, true}},
		{`isNull(income)`, []bool{false, false, true, false, false}},
		{`!isNull(name) && ifNull(income, 0) < 25000`, []bool{false, true, true, false, false}},
		{`$env["Scored Labels"] == "yes"`, []bool{true, false, true, false, false}},
		{`applied >= date("2024-01-01") && applied < date("2024-03-01")`, []bool{true, false, false, false, true}},
		{`int(applied.Month()) == 2 && applied.Day() == 29`, []bool{false, false, false, false, true}},
		{`name matches "^[a-c]"`, []bool{true, true, true, false, false}},
		{`name in ["ann", "eve"]`, []bool{true, false, false, false, true}},
		{`income > $limit`, []bool{true, false, false, true, false}},
		{`age > 30 ? true : nil`, []bool{true, true, false, true, false}},
		{`count % 2 == 0`, []bool{false, true, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, Bool())
			got, err := p.Filter(context.Background(), loans(), 2)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Filter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestColumn(t *testing.T) {
	tests := []struct {
		src  string
		opts []Option
		want []string
	}{
		{src: `income / 1000`, want: []string{"52", "18", "null", "90", "30"}},
		{src: `income / age`, want: []string{"1677.4193548387098", "400", "null", "1500", "+Inf"}},
		{src: `0 / age`, want: []string{"0", "0", "0", "0", "NaN"}},
		{src: `age * 2`, want: []string{"62", "90", "44", "120", "0"}},
		{src: `upper(name)`, want: []string{"ANN", "BOB", "CY", "null", "EVE"}},
		{src: `name + "!"`, want: []string{"ann!", "bob!", "cy!", "null", "eve!"}},
		{src: `ifNull(name, "?")`, want: []string{"ann", "bob", "cy", "?", "eve"}},
		{src: `ifNull(income, 0)`, want: []string{"52000", "18000", "0", "90000", "30000"}},
		{src: `ifNull(income, nil)`, want: []string{"52000", "18000", "null", "90000", "30000"}},
		{src: `isNull(name)`, want: []string{"false", "false", "false", "true", "false"}},
		{src: `age > 40 ? income : nil`, want: []string{"null", "18000", "null", "90000", "null"}},
		{src: `age`, opts: []Option{As(table.Float)}, want: []string{"31", "45", "22", "60", "0"}},
		{src: `income`, opts: []Option{As(table.String)}, want: []string{"52000", "18000", "null", "90000", "30000"}},
		{src: `approved`, opts: []Option{As(table.String)}, want: []string{"true", "false", "true", "false", "true"}},
		{src: `applied`, opts: []Option{As(table.String)}, want: []string{"2024-01-31T00:00:00Z", "2023-06-01T00:00:00Z", "2024-03-01T12:00:00Z", "2022-12-31T00:00:00Z", "2024-02-29T00:00:00Z"}},
		{src: `"2024-05-0" + string(count)`, opts: []Option{As(table.Time)}, want: []string{"2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z", "2024-05-04T00:00:00Z", "2024-05-05T00:00:00Z"}},
		{src: `age > 40 ? 1 : 2.5`, opts: []Option{As(table.Float)}, want: []string{"2.5", "1", "2.5", "1", "2.5"}},
		{src: `age > 40 ? 1 : 2.0`, opts: []Option{As(table.Int)}, want: []string{"2", "1", "2", "1", "2"}},
		{src: `applied.Year()`, want: []string{"2024", "2023", "2024", "2022", "2024"}},
		{src: `log(age)`, want: []string{"3.4339872044851463", "3.8066624897703196", "3.091042453358316", "4.0943445622221", "-Inf"}},
		{src: `log(-1)`, want: []string{"NaN", "NaN", "NaN", "NaN", "NaN"}},
		{src: `round(income / 7)`, want: []string{"7429", "2571", "null", "12857", "4286"}},
		{src: `$env["loan-to-income"] * 100`, want: []string{"50", "150", "200", "10", "0"}},
		{src: `$limit + count`, want: []string{"40001", "40002", "40003", "40004", "40005"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, tt.opts...)
			c, err := p.Column(context.Background(), loans(), 3)
			if err != nil {
				t.Fatal(err)
			}
			if got := formatColumn(c); !slices.Equal(got, tt.want) {
				t.Errorf("Column = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	tests := []struct {
		src    string
		opts   []Option
		substr string
	}{
		{src: `count % (age - 22)`, substr: `row 3: expression line 1, column 7: integer divide by zero (age=22, count=3) (in "count % (age - 22)")`},
		{src: `age > 40 ? 1.5 : 2`, opts: []Option{As(table.Int)}, substr: "row 2: expression: the expression gave float64 1.5, which is not a whole number"},
		{src: `age > 40 ? name : 2`, opts: []Option{As(table.Time)}, substr: `row 1: expression: the expression gave int 2, not a timestamp`},
		{src: `name`, opts: []Option{As(table.Time)}, substr: `row 1: expression: cannot parse "ann" as a timestamp`},
		{src: `int(name) > 1`, substr: `row 1: expression line 1, column 1: invalid operation: int(ann) (name="ann")`},
		{src: `repeat(name, 1000000) != ""`, substr: "memory budget exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, tt.opts...)
			_, err := p.Column(context.Background(), loans(), 2)
			var e *Error
			if !errors.As(err, &e) || e.Row == 0 {
				t.Fatalf("err = %v, want an *Error naming a row", err)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("err = %q\nwant it to contain %q", err, tt.substr)
			}
		})
	}
}

// bigTable has n rows; income is null every 7th row and age is 0 at the given rows.
func bigTable(n int, zeroAge ...int) *table.Table {
	inc := make([]float64, n)
	age := make([]int64, n)
	valid := table.NewBitmap(n)
	for i := range n {
		inc[i] = float64(i % 1000)
		age[i] = int64(i%50 + 1)
		if i%7 == 0 {
			valid.Set(i, false)
		}
	}
	for _, r := range zeroAge {
		age[r] = 0
	}
	return table.MustNew(table.Schema{{Name: "income", Type: table.Float}, {Name: "age", Type: table.Int}},
		table.NewFloats(inc, valid), table.NewInts(age, nil))
}

func TestParallelMatchesSerial(t *testing.T) {
	tb := bigTable(3*chunkRows + 17)
	schema := tb.Schema()
	for _, src := range []string{`income > 500 && age % 3 == 0`, `ifNull(income, -1) * age`, `isNull(income) ? age : 0`} {
		p, err := Compile(src, schema, nil)
		if err != nil {
			t.Fatal(err)
		}
		serial, err := p.Column(context.Background(), tb, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{2, 3, 8} {
			par, err := p.Column(context.Background(), tb, w)
			if err != nil {
				t.Fatal(err)
			}
			a := table.MustNew(table.Schema{{Name: "x", Type: serial.Type()}}, serial)
			b := table.MustNew(table.Schema{{Name: "x", Type: par.Type()}}, par)
			if !table.Equal(a, b) {
				t.Errorf("%s: %d workers differ from 1", src, w)
			}
		}
	}
}

func TestFirstErrorRowIsDeterministic(t *testing.T) {
	n := 5 * chunkRows
	tb := bigTable(n, 4*chunkRows+5, 2*chunkRows+9, n-1)
	p, err := Compile(`100 % age`, tb.Schema(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, err := p.Column(context.Background(), tb, 4)
		var e *Error
		if !errors.As(err, &e) || e.Row != 2*chunkRows+10 {
			t.Fatalf("err = %v, want row %d", err, 2*chunkRows+10)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := Compile(`income > 3`, bigTable(1).Schema(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Filter(ctx, bigTable(2*chunkRows), 2); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestEvalChecksTheTable(t *testing.T) {
	p := mustCompile(t, `income > 3`)
	other := table.MustNew(table.Schema{{Name: "income", Type: table.Int}}, table.NewInts([]int64{1}, nil))
	if _, err := p.Filter(context.Background(), other, 1); err == nil || !strings.Contains(err.Error(), `column "income" is int, but the expression was compiled for float`) {
		t.Errorf("err = %v", err)
	}
	missing := table.MustNew(table.Schema{{Name: "age", Type: table.Int}}, table.NewInts([]int64{1}, nil))
	if _, err := p.Filter(context.Background(), missing, 1); !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("err = %v, want ErrColumnNotFound", err)
	}
	notBool := mustCompile(t, `income`)
	if _, err := notBool.Filter(context.Background(), loans(), 1); err == nil || !strings.Contains(err.Error(), "must give true or false") {
		t.Errorf("Filter of a float expression: err = %v", err)
	}
	empty, err := p.Filter(context.Background(), table.Empty(loanSchema), 4)
	if err != nil || len(empty) != 0 {
		t.Errorf("empty table: %v, %v", empty, err)
	}
}

func TestUnknownVars(t *testing.T) {
	p, err := Compile(`income > $limit`, loanSchema, nil, UnknownVars(), Bool())
	if err != nil {
		t.Fatal(err)
	}
	if p.ResultType() != table.Bool {
		t.Errorf("ResultType = %v", p.ResultType())
	}
	if _, err := p.Filter(context.Background(), loans(), 1); err == nil {
		t.Error("a program compiled with UnknownVars evaluated")
	}
	q, err := Compile(`income * $factor`, loanSchema, nil, UnknownVars())
	if err != nil {
		t.Fatal(err)
	}
	if q.ResultType() != table.Invalid {
		t.Errorf("ResultType = %v, want Invalid (depends on a parameter)", q.ResultType())
	}
	if _, err := Compile(`incme > $limit`, loanSchema, nil, UnknownVars()); err == nil {
		t.Error("UnknownVars accepted an unknown column")
	}
	if _, err := Compile(`income > $limit`, loanSchema, nil); err == nil || !strings.Contains(err.Error(), "the workflow defines no parameters") {
		t.Errorf("err = %v", err)
	}
}

func TestVarTypes(t *testing.T) {
	vars := map[string]any{"i": int64(3), "f": float32(0.5), "s": "x", "b": true, "when": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p, err := Compile(`age * $i + income * $f > 0 && name != $s && $b && applied > $when`, loanSchema, vars)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Filter(context.Background(), loans(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, false, true}; !slices.Equal(got, want) {
		t.Errorf("Filter = %v, want %v", got, want)
	}
}

func TestFunctions(t *testing.T) {
	s := table.Schema{{Name: "x", Type: table.Float}, {Name: "n", Type: table.Int}}
	tb := table.MustNew(s, table.NewFloats([]float64{-2, 0, 0.5, math.NaN()}, nil), table.NewInts([]int64{-2, 0, 1, 8}, nil))
	tests := []struct {
		src  string
		want []string
	}{
		{`log(x)`, []string{"NaN", "-Inf", "-0.6931471805599453", "NaN"}},
		{`log2(n)`, []string{"NaN", "-Inf", "0", "3"}},
		{`exp(n)`, []string{"0.1353352832366127", "1", "2.718281828459045", "2980.9579870417283"}},
		{`sqrt(x)`, []string{"NaN", "0", "0.7071067811865476", "NaN"}},
		{`pow(n, 2)`, []string{"4", "0", "1", "64"}},
		{`pow(2, x)`, []string{"0.25", "1", "1.4142135623730951", "NaN"}},
		{`sign(x)`, []string{"-1", "0", "1", "NaN"}},
		{`sign(n)`, []string{"-1", "0", "1", "1"}},
		{`isNaN(x)`, []string{"false", "false", "false", "true"}},
		{`abs(n)`, []string{"2", "0", "1", "8"}},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Column(context.Background(), tb, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatColumn(c); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"incme", "income", 1}, {"kitten", "sitting", 3}, {"é", "e", 1}, {"lgo", "log", 1}} {
		if d := editDistance(tt.a, tt.b); d != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}

func TestAwkwardColumnNames(t *testing.T) {
	s := table.Schema{
		{Name: "date", Type: table.Time}, {Name: "in", Type: table.Int}, {Name: "$x", Type: table.Int},
		{Name: "true", Type: table.Bool}, {Name: "len", Type: table.String}, {Name: "ünïcode", Type: table.Float},
	}
	tb := table.MustNew(s,
		table.NewTimes([]int64{ts("2019-05-01"), ts("2021-05-01")}, nil), table.NewInts([]int64{1, 2}, nil),
		table.NewInts([]int64{10, 20}, nil), table.NewBools([]bool{true, false}, nil),
		table.NewStrings([]string{"ab", "abc"}, nil), table.NewFloats([]float64{0.5, 1.5}, nil))
	tests := []struct {
		src  string
		cols []string
		want []string
	}{
		{`date > date("2020-01-01")`, []string{"date"}, []string{"false", "true"}},
		{`$env["in"] + $env["$x"]`, []string{"in", "$x"}, []string{"11", "22"}},
		{`$env["true"] && len(len) == 2`, []string{"true", "len"}, []string{"true", "false"}},
		{`ünïcode * 2`, []string{"ünïcode"}, []string{"1", "3"}},
		{`isNull(date) ? 0 : ifNull($env["in"], 0)`, []string{"date", "in"}, []string{"1", "2"}},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, s, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if !slices.Equal(p.Columns(), tt.cols) {
			t.Errorf("%s: Columns = %q, want %q", tt.src, p.Columns(), tt.cols)
		}
		c, err := p.Column(context.Background(), tb, 1)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got := formatColumn(c); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.src, got, tt.want)
		}
	}
}
