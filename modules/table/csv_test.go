package table

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dump renders a table compactly for comparisons: the schema, then one line
// a row with nulls as ∅.
func dump(t *Table) string {
	var b strings.Builder
	b.WriteString(t.Schema().String())
	for r := range t.NumRows() {
		b.WriteString("\n")
		for i := range t.NumCols() {
			if i > 0 {
				b.WriteString("|")
			}
			if t.Column(i).Null(r) {
				b.WriteString("∅")
			} else {
				b.WriteString(t.Column(i).Format(r))
			}
		}
	}
	return b.String()
}

func mustReadCSV(t *testing.T, in string, opts CSVOptions) *Table {
	t.Helper()
	tb, err := ReadCSV(strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("ReadCSV(%q): %v", in, err)
	}
	return tb
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"types", "b,i,f,t,s\ntrue,1,1.5,2024-01-31,x\nFALSE,-2,3,2024-02-01T10:00:00Z,y\n",
			CSVOptions{}, "b:bool, i:int, f:float, t:timestamp, s:string\n" +
				"true|1|1.5|2024-01-31T00:00:00Z|x\nfalse|-2|3|2024-02-01T10:00:00Z|y"},
		{"no trailing newline", "a,b\n1,2", CSVOptions{}, "a:int, b:int\n1|2"},
		{"CRLF and blank lines", "a,b\r\n\r\n1,x\r\n\r\n2,y\r\n\r\n", CSVOptions{}, "a:int, b:string\n1|x\n2|y"},
		{"lone CR at the end", "a\n1\r", CSVOptions{}, "a:int\n1"},
		{"lone CR inside is data", "a,b\n1,x\ry\n", CSVOptions{}, "a:int, b:string\n1|x\ry"},
		{"BOM", "\ufeffa,b\n1,2\n", CSVOptions{}, "a:int, b:int\n1|2"},
		{"quoting", "a,b\n\"x, \"\"y\"\"\",\"line1\nline2\"\n\"\",z\n", CSVOptions{},
			"a:string, b:string\nx, \"y\"|line1\nline2\n|z"},
		{"quoted numbers are numbers", "a,b\n\"1\",\"2.5\"\n", CSVOptions{}, "a:int, b:float\n1|2.5"},
		{"space before a quote", "a,b\n1, \"x,y\"\n", CSVOptions{}, "a:int, b:string\n1|x,y"},
		{"spaces around values", "a , b ,c\n 1 , 2.5 , x \n", CSVOptions{}, "a:int, b:float, c:string\n1|2.5| x "},
		{"missing values", "a,b,c\n1,NA,x\n,2,null\nN/A,3,\nNaN,#N/A,y\n", CSVOptions{},
			"a:int, b:int, c:string\n1|∅|x\n∅|2|∅\n∅|3|∅\n∅|∅|y"},
		{"quoted missing is literal text", "a,b\n\"NA\",\"\"\nx,\"\"\n", CSVOptions{},
			"a:string, b:string\nNA|\nx|"},
		{"quoted empty in a number column", "a\n1\n\"\"\n2\n", CSVOptions{}, "a:int\n1\n∅\n2"},
		{"custom missing", "a,b\n-999,NA\n1,?\n", CSVOptions{MissingTokens: []string{"-999", "?"}},
			"a:int, b:string\n∅|NA\n1|∅"},
		{"no missing tokens", "a\nNA\n\n", CSVOptions{MissingTokens: []string{}}, "a:string\nNA"},
		{"all null column", "a,b\n1,\n2,NA\n", CSVOptions{}, "a:int, b:string\n1|∅\n2|∅"},
		{"NaN spelled otherwise is a float", "a\n1.5\nNAN\n", CSVOptions{}, "a:float\n1.5\nNaN"},
		{"infinities", "a\ninf\n-Infinity\n1\n", CSVOptions{}, "a:float\n+Inf\n-Inf\n1"},
		{"hex is not a number", "a\n0x1p3\n", CSVOptions{}, "a:string\n0x1p3"},
		{"big ints are floats", "a\n1\n99999999999999999999\n", CSVOptions{}, "a:float\n1\n1e+20"},
		{"leading zeros", "a\n007\n-0\n", CSVOptions{}, "a:int\n7\n0"},
		{"no header", "1,x\n2,y\n", CSVOptions{NoHeader: true}, "Col1:int, Col2:string\n1|x\n2|y"},
		{"tsv", "a\tb\n1\tx y\n", CSVOptions{Delimiter: '\t'}, "a:int, b:string\n1|x y"},
		{"semicolons", "a;b\n1,5;x\n", CSVOptions{Delimiter: ';'}, "a:string, b:string\n1,5|x"},
		{"header only", "a,b\n", CSVOptions{}, "a:string, b:string"},
		{"blank header names", "a,,\"\"\n1,2,3\n", CSVOptions{}, "a:int, Col2:int, Col3:int\n1|2|3"},
		{"blank name clashing", "Col2,\n1,2\n", CSVOptions{}, "Col2:int, Col2_2:int\n1|2"},
		{"trimmed header, quoted kept", " a ,\" b \"\n1,2\n", CSVOptions{}, "a:int,  b :int\n1|2"},
		{"max rows", "a\n1\n2\n3\n", CSVOptions{MaxRows: 2}, "a:int\n1\n2"},
		{"timestamps with fractions and spaces", "t\n2024-01-31 12:30:00.5\n2024-01-31T12:30:00.123456789Z\n2024-01-31T12:30:00+02:00\n",
			CSVOptions{}, "t:timestamp\n2024-01-31T12:30:00.5Z\n2024-01-31T12:30:00.123456789Z\n2024-01-31T10:30:00Z"},
		{"bad dates are strings", "t\n2024-02-30\n", CSVOptions{}, "t:string\n2024-02-30"},
		{"dates out of range are strings", "t\n0001-01-01\n", CSVOptions{}, "t:string\n0001-01-01"},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/w%d", tt.name, workers), func(t *testing.T) {
				opts := tt.opts
				opts.Workers = workers
				if got := dump(mustReadCSV(t, tt.in, opts)); got != tt.want {
					t.Errorf("got\n%s\nwant\n%s", got, tt.want)
				}
			})
		}
	}
}

func TestReadCSVPromotion(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"int to float", "a\n1\n2\n3.5\n4\n", "a:float\n1\n2\n3.5\n4"},
		{"int to string", "a\n1\n2\nx\n4\n", "a:string\n1\n2\nx\n4"},
		{"float to string", "a\n1.5\n2\nx\n", "a:string\n1.5\n2\nx"},
		{"bool to string", "a\ntrue\nFALSE\nmaybe\n", "a:string\ntrue\nfalse\nmaybe"},
		{"time to string", "a\n2024-01-01\n2024-01-02\nsoon\n", "a:string\n2024-01-01T00:00:00Z\n2024-01-02T00:00:00Z\nsoon"},
		{"huge int to string, not a rounded float", "a\n9007199254740993\n1\n1.5\n", "a:string\n9007199254740993\n1\n1.5"},
		{"nulls survive", "a\n1\nNA\n2.5\n", "a:float\n1\n∅\n2.5"},
		{"undecided then int", "a,b\n1,\n2,\n3,7\n4,\n", "a:int, b:int\n1|∅\n2|∅\n3|7\n4|∅"},
		{"undecided then string", "a,b\n1,\n2,\n3,x\n", "a:int, b:string\n1|∅\n2|∅\n3|x"},
		{"int then float then string", "a\n1\n2\n2.5\nx\n", "a:string\n1\n2\n2.5\nx"},
		{"promoted mid-batch keeps later rows", "a,b\n1,1\n2,2\nx,3\n5,4\n", "a:string, b:int\n1|1\n2|2\nx|3\n5|4"},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/w%d", tt.name, workers), func(t *testing.T) {
				// A sample of two rows puts the odd values after the sample.
				got := dump(mustReadCSV(t, tt.in, CSVOptions{SampleRows: 2, Workers: workers}))
				if got != tt.want {
					t.Errorf("got\n%s\nwant\n%s", got, tt.want)
				}
			})
		}
	}
}

func TestReadCSVSchema(t *testing.T) {
	in := "id,age,joined,ok\n1,31,2024-01-01,yes\n2,NA,2024-02-01 10:00:00,0\n"
	sch := Schema{{Name: "age", Type: Float, Role: Label}, {Name: "ok", Type: Bool}, {Name: "id", Type: String, Categorical: true}}
	got := dump(mustReadCSV(t, in, CSVOptions{Schema: sch}))
	want := "id:string(cat), age:float[label], joined:timestamp, ok:bool\n1|31|2024-01-01T00:00:00Z|true\n2|∅|2024-02-01T10:00:00Z|false"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Without a header the schema names and types columns by position.
	got = dump(mustReadCSV(t, "1,x\n2,y\n", CSVOptions{NoHeader: true, Schema: Schema{{Name: "n", Type: Float}}}))
	if want := "n:float, Col2:string\n1|x\n2|y"; got != want {
		t.Errorf("headerless: got\n%s\nwant\n%s", got, want)
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"empty", "", CSVOptions{}, "empty"},
		{"only blank lines", "\n\r\n\n", CSVOptions{}, "empty"},
		{"too few fields", "a,b,c\n1,2,3\n1,2\n", CSVOptions{}, "line 3: expected 3 fields, found 2"},
		{"too many fields", "a,b\n1,2\n\n1,2,3\n", CSVOptions{}, "line 4: expected 2 fields, found 3"},
		{"line count includes quoted newlines", "a,b\n\"x\ny\",1\n1\n", CSVOptions{}, "line 4: expected 2 fields, found 1"},
		{"unterminated quote", "a,b\n1,2\n3,\"abc\n4,5\n", CSVOptions{}, `line 3, column "b": quoted field never closed`},
		{"bare quote", "a,income\n1,12\"3\n", CSVOptions{}, `line 2, column "income": bare quote`},
		{"text after closing quote", "a,b\n\"x\"y,1\n", CSVOptions{}, `line 2, column "a": unexpected 'y' after the closing quote`},
		{"bad quote in header", "a,b\"\n", CSVOptions{}, `line 1, column 2: bare quote`},
		{"duplicate header", "a,b,a\n1,2,3\n", CSVOptions{}, `header: columns 1 and 3 are both named "a"`},
		{"schema type mismatch", "a,age\n1,31\n2,old\n", CSVOptions{Schema: Schema{{Name: "age", Type: Int}}},
			`line 3, column "age": cannot read "old" as int`},
		{"schema mismatch after the sample", "a\n1\n2\n3\n1.5\n", CSVOptions{SampleRows: 1, Schema: Schema{{Name: "a", Type: Int}}},
			`line 5, column "a": cannot read "1.5" as int`},
		{"first error wins across columns", "a,b\n1,1\nx,1\n1,y\n", CSVOptions{Workers: 2, Schema: Schema{{Name: "a", Type: Int}, {Name: "b", Type: Int}}},
			`line 3, column "a"`},
		{"schema column missing", "a,b\n1,2\n", CSVOptions{Schema: Schema{{Name: "c", Type: Int}}}, `names column "c", which the header lacks`},
		{"schema too wide", "1,2\n", CSVOptions{NoHeader: true, Schema: Schema{{Name: "a", Type: Int}, {Name: "b", Type: Int}, {Name: "c", Type: Int}}},
			"schema override has 3 columns but the rows have 2 fields"},
		{"schema duplicate after renaming", "1,2\n", CSVOptions{NoHeader: true, Schema: Schema{{Name: "Col2", Type: Int}}}, "duplicate column name"},
		{"bad timestamp in schema", "t\n2024-13-01\n", CSVOptions{Schema: Schema{{Name: "t", Type: Time}}}, `cannot read "2024-13-01" as timestamp`},
		{"bad delimiter", "a\n", CSVOptions{Delimiter: 'x'}, "delimiter 'x' is not usable"},
		{"quote delimiter", "a\n", CSVOptions{Delimiter: '"'}, "is not usable"},
		{"error after many rows", strings.Repeat("1,2\n", 300000) + "1\n", CSVOptions{NoHeader: true}, "line 300001: expected 2 fields, found 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	var ce *CSVError
	_, err := ReadCSV(strings.NewReader("a,b\n1\n"), CSVOptions{})
	if !errors.As(err, &ce) || ce.Line != 2 {
		t.Errorf("err = %#v, want a *CSVError at line 2", err)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadCSVReadError(t *testing.T) {
	boom := errors.New("boom")
	data := []byte(strings.Repeat("1,2\n", 500000))
	_, err := ReadCSV(&failingReader{data: data, err: boom}, CSVOptions{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

// smallReader returns a few bytes a call, so rows straddle reads.
type smallReader struct {
	r   io.Reader
	rng *rand.Rand
}

func (s smallReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return s.r.Read(p[:min(len(p), 1+s.rng.IntN(300))])
}

// TestReadCSVAgainstEncodingCSV checks quoting, line breaks and block
// boundaries against the standard library's reader on generated input,
// including fields longer than a block.
func TestReadCSVAgainstEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "b c", ",", "\"", "\n", "\r\n", "xyz", "1", "2.5", " ", "é"}
	field := func() string {
		if rng.IntN(2000) == 0 {
			return strings.Repeat("long ", 300_000) // 1.5 MB, more than a block
		}
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	const ncols, nrows = 5, 20000
	var src bytes.Buffer
	w := csv.NewWriter(&src)
	w.UseCRLF = true
	want := make([][]string, 0, nrows)
	header := []string{"c1", "c2", "c3", "c4", "c5"}
	w.Write(header)
	for range nrows {
		rec := make([]string, ncols)
		for i := range rec {
			rec[i] = "q" + field() // never empty, never a missing token
		}
		w.Write(rec)
		want = append(want, rec)
	}
	w.Flush()
	for _, tc := range []struct {
		name string
		r    func() io.Reader
		w    int
	}{
		{"whole", func() io.Reader { return bytes.NewReader(src.Bytes()) }, 1},
		{"whole parallel", func() io.Reader { return bytes.NewReader(src.Bytes()) }, 2},
		{"small reads", func() io.Reader { return smallReader{bytes.NewReader(src.Bytes()), rand.New(rand.NewPCG(9, 9))} }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch := Schema{}
			for _, h := range header {
				sch = append(sch, Field{Name: h, Type: String})
			}
			tb, err := ReadCSV(tc.r(), CSVOptions{Schema: sch, Workers: tc.w})
			if err != nil {
				t.Fatal(err)
			}
			if tb.NumRows() != nrows {
				t.Fatalf("rows = %d, want %d", tb.NumRows(), nrows)
			}
			for r := range tb.NumRows() {
				for c := range ncols {
					// encoding/csv turns \r\n inside quotes into \n; this
					// reader keeps the text as written.
					got := strings.ReplaceAll(tb.Column(c).Format(r), "\r\n", "\n")
					exp := strings.ReplaceAll(want[r][c], "\r\n", "\n")
					if got != exp {
						t.Fatalf("row %d col %d: got %q, want %q", r+1, c+1, truncStr(got), truncStr(exp))
					}
				}
			}
		})
	}
}

func truncStr(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func TestReadCSVProgress(t *testing.T) {
	var src bytes.Buffer
	writeLoanCSV(&src, 50_000, 1)
	var calls []int64
	_, err := ReadCSV(bytes.NewReader(src.Bytes()), CSVOptions{Progress: func(n int64) { calls = append(calls, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 || calls[len(calls)-1] != int64(src.Len()) {
		t.Fatalf("progress calls %v, want several ending at %d", calls, src.Len())
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Fatalf("progress went backwards: %v", calls)
		}
	}
}

// TestReadCSVLarge checks a generated file against its known shape, with
// the size known (columns allocated once) and unknown (columns grow).
func TestReadCSVLarge(t *testing.T) {
	var src bytes.Buffer
	writeLoanCSV(&src, 200_000, 7)
	want := "loan_amount:float, annual_income:float, interest_rate:float, term_months:int, credit_score:int, dti:float, " +
		"emp_length_years:int, num_open_accounts:int, home_ownership:string, purpose:string, default:int, risk_score:float"
	var tables []*Table
	for _, r := range []io.Reader{bytes.NewReader(src.Bytes()), io.MultiReader(bytes.NewReader(src.Bytes()))} {
		tb, err := ReadCSV(r, CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tb.NumRows() != 200_000 || tb.Schema().String() != want {
			t.Fatalf("got %d rows of %s", tb.NumRows(), tb.Schema())
		}
		tables = append(tables, tb)
	}
	if !Equal(tables[0], tables[1]) {
		t.Error("the same input read two ways differs")
	}
	var out bytes.Buffer
	if err := WriteCSV(&out, tables[0], CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(&out, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(back, tables[0]) {
		t.Error("written and read back, the table differs")
	}
}

func TestWriteCSV(t *testing.T) {
	nulls := NewBitmap(3)
	nulls.Set(1, false)
	tb := MustNew(Schema{
		{Name: "f", Type: Float}, {Name: "i", Type: Int}, {Name: "s", Type: String},
		{Name: "b", Type: Bool}, {Name: "t", Type: Time}, {Name: "needs, quoting", Type: String},
	},
		NewFloats([]float64{1.5, 0, math.NaN()}, nulls),
		NewInts([]int64{-7, 0, 1 << 62}, nulls),
		NewStrings([]string{"", "x", "NA"}, nulls),
		NewBools([]bool{true, false, false}, nulls),
		NewTimes([]int64{0, 0, 1_700_000_000_123_000_000}, nulls),
		NewStrings([]string{`say "hi"`, "a\nb", " padded "}, nil),
	)
	var out bytes.Buffer
	if err := WriteCSV(&out, tb, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "f,i,s,b,t,\"needs, quoting\"\n" +
		"1.5,-7,\"\",true,1970-01-01T00:00:00Z,\"say \"\"hi\"\"\"\n" +
		",,,,,\"a\nb\"\n" +
		"NAN,4611686018427387904,\"NA\",false,2023-11-14T22:13:20.123Z,\" padded \"\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	back, err := ReadCSV(&out, CSVOptions{Schema: tb.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(back, tb) {
		t.Errorf("read back\n%s\nwant\n%s", dump(back), dump(tb))
	}

	// One column: a null must not be a blank line, which reading skips.
	one := MustNew(Schema{{Name: "s", Type: String}}, NewStrings([]string{"a", "", ""}, nulls))
	out.Reset()
	WriteCSV(&out, one, CSVOptions{Delimiter: '\t', NoHeader: true})
	if want := "a\nNA\n\"\"\n"; out.String() != want {
		t.Errorf("one column: got %q, want %q", out.String(), want)
	}
	back, err = ReadCSV(&out, CSVOptions{Delimiter: '\t', NoHeader: true, Schema: Schema{{Name: "s", Type: String}}})
	if err != nil || !Equal(back, one) {
		t.Errorf("one column read back: %v\n%s", err, dump(back))
	}
	if err := WriteCSV(&out, one, CSVOptions{Delimiter: '7'}); err == nil {
		t.Error("a digit delimiter was accepted")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteCSVError(t *testing.T) {
	tb := MustNew(Schema{{Name: "a", Type: Int}}, NewInts(make([]int64, 100_000), nil))
	if err := WriteCSV(errWriter{}, tb, CSVOptions{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's", err)
	}
}

// TestAppendFloat checks the fast path against strconv on values with few
// decimals, the common case, and on arbitrary ones.
func TestAppendFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []float64{0, math.Copysign(0, -1), 0.01, 0.009999, 0.1 + 0.2, 1e6, 999999.99, -999999.99, 123456.7,
		1e21, 5e-324, math.MaxFloat64, math.Inf(1), math.Inf(-1), 0.5, -0.05, 100, 1234.5}
	for range 200_000 {
		d := math.Pow10(rng.IntN(4))
		vals = append(vals, math.Round((rng.Float64()-0.5)*2e6*d)/d/100, rng.NormFloat64()*math.Pow10(rng.IntN(20)-10))
	}
	for _, f := range vals {
		got := string(appendFloat(nil, f, "NaN"))
		if want := strconv.FormatFloat(f, 'g', -1, 64); got != want {
			t.Fatalf("appendFloat(%v) = %q, want %q", f, got, want)
		}
	}
	if got := string(appendFloat(nil, math.NaN(), "nan")); got != "nan" {
		t.Errorf("NaN = %q", got)
	}
}

// TestParseNumbers checks the number parsers against strconv.
func TestParseNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	digits := "0123456789"
	var cases []string
	for _, s := range []string{"0", "-0", "+1", "1.", ".5", "-.5", ".", "-", "+", "", "1e5", "1E-5", "1e", "1e+", "2.5e-3",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"00000000000000000000001", "12345678901234567890", "1.7976931348623157e308", "1e309", "4.9e-324", "1e-400",
		"0.1", "123456789012345678", "9007199254740993", "1_000", "0x10", "1e1000", "1.2.3", "1e5.5", "--1"} {
		cases = append(cases, s)
	}
	for range 100_000 {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteByte('-')
		}
		for range rng.IntN(12) {
			b.WriteByte(digits[rng.IntN(10)])
		}
		if rng.IntN(2) == 0 {
			b.WriteByte('.')
			for range rng.IntN(12) {
				b.WriteByte(digits[rng.IntN(10)])
			}
		}
		if rng.IntN(5) == 0 {
			b.WriteString("e" + strconv.Itoa(rng.IntN(60)-30))
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		f, ok := parseFloat([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil || errors.Is(err, strconv.ErrRange)
		if strings.ContainsAny(s, "xX_") {
			wantOK = false
		}
		if ok != wantOK || ok && math.Float64bits(f) != math.Float64bits(want) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv: %v, %v", s, f, ok, want, err)
		}
		i, ok := parseInt([]byte(s))
		wi, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || ok && i != wi {
			t.Fatalf("parseInt(%q) = %v, %v; strconv: %v, %v", s, i, ok, wi, err)
		}
	}
}

// TestParseTime checks the fast timestamp path against ParseTime.
func TestParseTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := "0123456789-:T Z.+"
	base := []string{"2024-01-31", "2024-02-29", "2023-02-29", "2024-12-31T23:59:59Z", "2024-12-31 23:59:59.123456789",
		"2024-12-31T23:59:60", "2024-12-31T24:00:00", "2024-00-10", "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224191Z",
		"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775808Z", "2024-01-31T10:00:00.1234567891Z", "2024-01-31Z",
		"2024-01-31T10:00:00+05:30", "2024-01-31 10:00:00-01:00", "2024-01-31T1:00:00", "0000-01-01", "9999-12-31"}
	cases := append([]string(nil), base...)
	for range 200_000 {
		b := []byte(base[rng.IntN(len(base))])
		for range rng.IntN(3) + 1 {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, ok := parseTime([]byte(s))
		tm, err := ParseTime(s)
		want, wantOK := int64(0), err == nil
		if wantOK {
			want, wantOK = unixNano(tm)
		}
		if ok != wantOK || got != want {
			t.Fatalf("parseTime(%q) = %v, %v; ParseTime: %v, %v", s, got, ok, tm, err)
		}
	}
}

func TestMissingTokens(t *testing.T) {
	d := DefaultMissingTokens()
	d[0] = "changed"
	if DefaultMissingTokens()[0] != "NA" {
		t.Error("DefaultMissingTokens shares its slice")
	}
	long := strings.Repeat("x", 70)
	m := newMissingSet([]string{" ?? ", long, ""})
	for s, want := range map[string]bool{"": true, "??": true, long: true, "?": false, long + "x": false, "NA": false} {
		if m.has([]byte(s)) != want {
			t.Errorf("has(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestCSVErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    CSVError
		want string
	}{
		{CSVError{Line: 3, Msg: "m"}, "line 3: m"},
		{CSVError{Line: 3, ColumnNum: 2, Msg: "m"}, "line 3, column 2: m"},
		{CSVError{Line: 3, ColumnNum: 2, Column: "age", Msg: "m"}, `line 3, column "age": m`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestReadCSVTimesRoundTrip(t *testing.T) {
	ts := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64, time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC).UnixNano()}
	tb := MustNew(Schema{{Name: "t", Type: Time}}, NewTimes(ts, nil))
	var out bytes.Buffer
	if err := WriteCSV(&out, tb, CSVOptions{Delimiter: ':'}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(&out, CSVOptions{Delimiter: ':'})
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(back, tb) {
		t.Errorf("read back\n%s\nwant\n%s", dump(back), dump(tb))
	}
}
