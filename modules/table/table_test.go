package table

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// nullAt returns a bitmap of n rows with the given rows null.
func nullAt(n int, rows ...int) Bitmap {
	b := NewBitmap(n)
	for _, r := range rows {
		b.Set(r, false)
	}
	return b
}

// sample has one column of every type, with a null in row 1.
func sample() *Table {
	v := nullAt(3, 1)
	return MustNew(Schema{
		{Name: "f", Type: Float}, {Name: "i", Type: Int}, {Name: "s", Type: String},
		{Name: "b", Type: Bool}, {Name: "t", Type: Time, Role: Label},
	},
		NewFloats([]float64{1.5, 0, -2}, v),
		NewInts([]int64{1, 0, 3}, v),
		NewStrings([]string{"a", "", "c"}, v),
		NewBools([]bool{true, false, false}, v),
		NewTimes([]int64{0, 0, 86400e9}, v),
	)
}

func TestTake(t *testing.T) {
	tests := []struct {
		name string
		rows []int
		want string
	}{
		{"reorder", []int{2, 0}, "-2|3|c|false|1970-01-02T00:00:00Z\n1.5|1|a|true|1970-01-01T00:00:00Z"},
		{"negative is null", []int{0, -1}, "1.5|1|a|true|1970-01-01T00:00:00Z\n∅|∅|∅|∅|∅"},
		{"null stays null", []int{1, 1}, "∅|∅|∅|∅|∅\n∅|∅|∅|∅|∅"},
		{"empty", []int{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sample().Take(tt.rows)
			body, _ := strings.CutPrefix(dump(got), got.Schema().String())
			if body = strings.TrimPrefix(body, "\n"); body != tt.want {
				t.Errorf("got\n%s\nwant\n%s", body, tt.want)
			}
			if got.NumRows() != len(tt.rows) {
				t.Errorf("rows = %d", got.NumRows())
			}
		})
	}
	// A column without nulls gains a bitmap only for negative positions.
	c := NewInts([]int64{1, 2}, nil).Take([]int{1, -1, 0})
	if c.NullCount() != 1 || !c.Null(1) || c.Value(0) != int64(2) {
		t.Errorf("take with -1: nulls %d, values %v %v", c.NullCount(), c.Value(0), c.Value(1))
	}
}

func TestSlice(t *testing.T) {
	n := 200
	data := make([]int64, n)
	for i := range data {
		data[i] = int64(i)
	}
	col := NewInts(data, nullAt(n, 3, 63, 64, 130, 199))
	tests := []struct {
		from, to  int
		wantNulls int
	}{{0, n, 5}, {0, 3, 0}, {3, 4, 1}, {60, 70, 2}, {64, 65, 1}, {65, 130, 0}, {100, 200, 2}, {50, 50, 0}}
	for _, tt := range tests {
		s := col.Slice(tt.from, tt.to)
		if s.Len() != tt.to-tt.from || s.NullCount() != tt.wantNulls {
			t.Errorf("Slice(%d,%d): len %d nulls %d, want %d nulls", tt.from, tt.to, s.Len(), s.NullCount(), tt.wantNulls)
		}
		for i := range s.Len() {
			if s.Null(i) != col.Null(tt.from+i) || !s.Null(i) && s.Value(i) != col.Value(tt.from+i) {
				t.Fatalf("Slice(%d,%d) row %d differs", tt.from, tt.to, i)
			}
		}
	}
	tb := sample().Slice(1, 3)
	if tb.NumRows() != 2 || !tb.Column(2).Null(0) || tb.Column(2).Value(1) != "c" {
		t.Errorf("table slice:\n%s", dump(tb))
	}
	defer func() {
		if recover() == nil {
			t.Error("out-of-range slice did not panic")
		}
	}()
	sample().Slice(2, 4)
}

func TestSelect(t *testing.T) {
	a := sample()
	if got := a.Select([]int{2, 0}).Schema().String(); got != "s:string, f:float" {
		t.Errorf("Select(2, 0): %s", got)
	}
	if got := a.Select(nil); got.NumCols() != 0 || got.NumRows() != a.NumRows() {
		t.Errorf("Select(nil): %d columns, %d rows", got.NumCols(), got.NumRows())
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `column 1 ("i") selected twice`) {
			t.Errorf("a repeated index: recovered %v", r)
		}
	}()
	a.Select([]int{1, 0, 1})
}

func TestConcat(t *testing.T) {
	a := sample()
	// b has the columns in another order and no nulls.
	b := MustNew(Schema{{Name: "s", Type: String}, {Name: "f", Type: Float}, {Name: "i", Type: Int},
		{Name: "b", Type: Bool}, {Name: "t", Type: Time}},
		NewStrings(make([]string, 70), nil), NewFloats(make([]float64, 70), nil), NewInts(make([]int64, 70), nil),
		NewBools(make([]bool, 70), nil), NewTimes(make([]int64, 70), nil))
	got, err := Concat(b, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.NumRows() != 143 || got.Schema().Names()[0] != "s" {
		t.Fatalf("rows %d, names %v", got.NumRows(), got.Schema().Names())
	}
	for i := range got.NumCols() {
		c := got.Column(i)
		if c.NullCount() != 1 || !c.Null(71) || c.Null(70) || c.Null(72) {
			t.Errorf("column %s: nulls %d, want only row 71", got.Field(i).Name, c.NullCount())
		}
	}
	if v, _, _ := got.Lookup("s"); v.Value(72) != "c" {
		t.Errorf("value after the null = %v", v.Value(72))
	}
	if _, err := Concat(); err == nil {
		t.Error("Concat() of nothing succeeded")
	}
	bad := []*Table{
		MustNew(Schema{{Name: "f", Type: Float}}, NewFloats(nil, nil)),
		MustNew(Schema{{Name: "f", Type: Int}, {Name: "i", Type: Int}, {Name: "s", Type: String}, {Name: "b", Type: Bool}, {Name: "t", Type: Time}},
			NewInts(nil, nil), NewInts(nil, nil), NewStrings(nil, nil), NewBools(nil, nil), NewTimes(nil, nil)),
		MustNew(Schema{{Name: "x", Type: Float}, {Name: "i", Type: Int}, {Name: "s", Type: String}, {Name: "b", Type: Bool}, {Name: "t", Type: Time}},
			NewFloats(nil, nil), NewInts(nil, nil), NewStrings(nil, nil), NewBools(nil, nil), NewTimes(nil, nil)),
	}
	for i, other := range bad {
		if _, err := Concat(a, other); err == nil {
			t.Errorf("mismatched table %d was concatenated", i)
		}
	}
}

func TestFilter(t *testing.T) {
	a := sample()
	if got := a.Filter([]bool{true, true, true}); got != a {
		t.Error("keeping every row should return the table itself")
	}
	got := a.Filter([]bool{false, true, true})
	if got.NumRows() != 2 || !got.Column(0).Null(0) || got.Column(0).Value(1) != -2.0 {
		t.Errorf("filter:\n%s", dump(got))
	}
	if got := a.Filter([]bool{false, false, false}); got.NumRows() != 0 || got.NumCols() != 5 {
		t.Errorf("filter of nothing: %d rows %d cols", got.NumRows(), got.NumCols())
	}
	defer func() {
		if recover() == nil {
			t.Error("a short mask did not panic")
		}
	}()
	a.Filter([]bool{true})
}

func TestWithColumn(t *testing.T) {
	a := sample()
	tests := []struct {
		name    string
		f       Field
		c       Column
		want    string // schema, or error text
		wantErr bool
	}{
		{"append", Field{Name: "n", Type: Int}, NewInts([]int64{1, 2, 3}, nil), "f:float, i:int, s:string, b:bool, t:timestamp[label], n:int", false},
		{"replace in place with a new type", Field{Name: "i", Type: String, Categorical: true}, NewStrings([]string{"x", "y", "z"}, nil),
			"f:float, i:string(cat), s:string, b:bool, t:timestamp[label]", false},
		{"wrong length", Field{Name: "n", Type: Int}, NewInts([]int64{1}, nil), `column "n" has 1 rows, the table has 3`, true},
		{"wrong type", Field{Name: "n", Type: Float}, NewInts([]int64{1, 2, 3}, nil), "field says float but the column holds int", true},
		{"empty name", Field{Type: Int}, NewInts([]int64{1, 2, 3}, nil), "column 6 has an empty name", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.WithColumn(tt.f, tt.c)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Schema().String() != tt.want {
				t.Errorf("schema %s, want %s", got.Schema(), tt.want)
			}
		})
	}
	if a.Schema().String() != "f:float, i:int, s:string, b:bool, t:timestamp[label]" {
		t.Errorf("WithColumn changed its input: %s", a.Schema())
	}
	// A table without columns takes the new column's length.
	empty := MustNew(Schema{})
	got, err := empty.WithColumn(Field{Name: "x", Type: Int}, NewInts([]int64{1, 2}, nil))
	if err != nil || got.NumRows() != 2 {
		t.Errorf("empty.WithColumn: %v, %d rows", err, got.NumRows())
	}
}

func TestHashEqual(t *testing.T) {
	base := sample()
	same := sample()
	if !Equal(base, same) || base.Hash() != same.Hash() {
		t.Fatal("equal tables differ")
	}
	changed := func(mod func(*Table) *Table) *Table { return mod(sample()) }
	others := map[string]*Table{
		"value": changed(func(t *Table) *Table {
			r, _ := t.WithColumn(Field{Name: "i", Type: Int}, NewInts([]int64{1, 0, 4}, nullAt(3, 1)))
			return r
		}),
		"null": changed(func(t *Table) *Table {
			r, _ := t.WithColumn(Field{Name: "i", Type: Int}, NewInts([]int64{1, 0, 3}, nullAt(3, 1, 2)))
			return r
		}),
		"role": changed(func(t *Table) *Table {
			s := t.Schema()
			s[0].Role = Label
			r, _ := t.WithSchema(s)
			return r
		}),
		"categorical": changed(func(t *Table) *Table {
			s := t.Schema()
			s[2].Categorical = true
			r, _ := t.WithSchema(s)
			return r
		}),
		"name": changed(func(t *Table) *Table {
			s := t.Schema()
			s[2].Name = "S"
			r, _ := t.WithSchema(s)
			return r
		}),
		"rows":  changed(func(t *Table) *Table { return t.Slice(0, 2) }),
		"order": changed(func(t *Table) *Table { return t.Select([]int{1, 0, 2, 3, 4}) }),
	}
	for name, o := range others {
		if Equal(base, o) || base.Hash() == o.Hash() {
			t.Errorf("a table with a different %s is equal", name)
		}
	}
	// The value under a null does not matter; -0 equals 0; NaN equals NaN.
	a := MustNew(Schema{{Name: "x", Type: Float}}, NewFloats([]float64{0, 7, math.NaN()}, nullAt(3, 1)))
	b := MustNew(Schema{{Name: "x", Type: Float}}, NewFloats([]float64{math.Copysign(0, -1), 9, math.NaN()}, nullAt(3, 1)))
	if !Equal(a, b) || a.Hash() != b.Hash() {
		t.Error("tables equal up to -0, NaN and values under nulls differ")
	}
	// Strings of different splits must not collide.
	s1 := MustNew(Schema{{Name: "x", Type: String}}, NewStrings([]string{"ab", "c"}, nil))
	s2 := MustNew(Schema{{Name: "x", Type: String}}, NewStrings([]string{"a", "bc"}, nil))
	if Equal(s1, s2) || s1.Hash() == s2.Hash() {
		t.Error("string boundaries are not part of the key")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		schema Schema
		cols   []Column
		want   string
	}{
		{"count", Schema{{Name: "a", Type: Int}}, nil, "schema has 1 fields but 0 columns"},
		{"type", Schema{{Name: "a", Type: Int}}, []Column{NewFloats(nil, nil)}, `column "a": schema says int but the column holds float`},
		{"length", Schema{{Name: "a", Type: Int}, {Name: "b", Type: Int}}, []Column{NewInts([]int64{1}, nil), NewInts(nil, nil)}, `column "b" has 0 rows, column "a" has 1`},
		{"duplicate", Schema{{Name: "a", Type: Int}, {Name: "a", Type: Int}}, []Column{NewInts(nil, nil), NewInts(nil, nil)}, `duplicate column name "a"`},
		{"empty name", Schema{{Name: "", Type: Int}}, []Column{NewInts(nil, nil)}, "column 1 has an empty name"},
		{"invalid type", Schema{{Name: "a"}}, []Column{NewInts(nil, nil)}, `column "a" has an invalid type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.schema, tt.cols)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTableAccessors(t *testing.T) {
	a := sample()
	if _, _, err := a.Lookup("nope"); !errors.Is(err, ErrColumnNotFound) || !strings.Contains(err.Error(), "available: f, i, s, b, t") {
		t.Errorf("Lookup: %v", err)
	}
	if c, i, err := a.Lookup("s"); err != nil || i != 2 || c.Value(0) != "a" {
		t.Errorf("Lookup(s) = %v, %d, %v", c, i, err)
	}
	if got := a.Row(1); !slices.Equal(got, []any{nil, nil, nil, nil, nil}) {
		t.Errorf("Row(1) = %v", got)
	}
	if got := a.Row(2); got[0] != -2.0 || got[4] != time.Unix(86400, 0).UTC() {
		t.Errorf("Row(2) = %v", got)
	}
	s := a.Schema()
	s[0].Name = "changed"
	if a.Field(0).Name != "f" {
		t.Error("Schema() shares the table's schema")
	}
	cols := a.Columns()
	cols[0] = nil
	if a.Column(0) == nil {
		t.Error("Columns() shares the table's slice")
	}
	e := Empty(a.Schema())
	if e.NumRows() != 0 || e.NumCols() != 5 || e.Column(4).Type() != Time {
		t.Errorf("Empty: %s", dump(e))
	}
	if _, err := a.WithSchema(Schema{{Name: "x", Type: Int}}); err == nil {
		t.Error("WithSchema accepted a schema of another width")
	}
}

func TestColumnCompareAndConvert(t *testing.T) {
	a := sample()
	for i := range a.NumCols() {
		c := a.Column(i)
		if c.Compare(1, 0) != -1 || c.Compare(0, 1) != 1 || c.Compare(1, 1) != 0 {
			t.Errorf("%s: nulls do not sort first", c.Type())
		}
	}
	if a.Column(0).Compare(0, 2) != 1 || a.Column(2).Compare(0, 2) != -1 || a.Column(3).Compare(0, 2) != 1 || a.Column(4).Compare(0, 2) != -1 {
		t.Error("value order is wrong")
	}
	for i, want := range []struct {
		v  float64
		ok bool
	}{{-2, true}, {3, true}, {0, false}, {0, true}, {0, false}} {
		v, ok := Float64At(a.Column(i), 2)
		if v != want.v || ok != want.ok {
			t.Errorf("Float64At(%s) = %v, %v", a.Column(i).Type(), v, ok)
		}
	}
	for i, wantErr := range []bool{false, false, true, false, true} {
		f, err := ToFloats(a.Column(i))
		if (err != nil) != wantErr {
			t.Errorf("ToFloats(%s) err = %v", a.Column(i).Type(), err)
			continue
		}
		if err == nil && (f.NullCount() != 1 || f.Len() != 3) {
			t.Errorf("ToFloats(%s): nulls %d", a.Column(i).Type(), f.NullCount())
		}
	}
	if got := a.Column(1).Format(1); got != "" {
		t.Errorf("Format of a null = %q", got)
	}
}

func TestBuilders(t *testing.T) {
	b := NewBuilder[int64](0)
	b.AppendNull()
	for i := range 100 {
		b.Append(int64(i))
	}
	b.AppendNull()
	c := NewInts(b.Data(), b.Validity())
	if c.Len() != 102 || c.NullCount() != 2 || !c.Null(0) || !c.Null(101) || c.Null(50) {
		t.Errorf("builder: len %d nulls %d", c.Len(), c.NullCount())
	}
	if NewBuilder[bool](4).Validity() != nil {
		t.Error("a builder without nulls has a bitmap")
	}

	tests := []struct {
		typ     Type
		in      []any
		want    string
		wantErr string
	}{
		{Float, []any{1.5, float32(2), 3, int64(4), true, nil}, "1.5|2|3|4|1|∅", ""},
		{Float, []any{"x"}, "", "cannot store string x in a float column"},
		{Int, []any{int64(1), 2, 3.0, false, nil}, "1|2|3|0|∅", ""},
		{Int, []any{2.5}, "", "cannot store 2.5"},
		{Int, []any{math.NaN()}, "", "cannot store NaN"},
		{Int, []any{1e300}, "", "cannot store 1e+300"},
		{String, []any{"a", 1, time.Unix(0, 0).UTC(), nil}, "a|1|1970-01-01 00:00:00 +0000 UTC|∅", ""},
		{Bool, []any{true, nil}, "true|∅", ""},
		{Bool, []any{1}, "", "cannot store int 1 in a bool column"},
		{Time, []any{"2024-01-31", time.Date(2024, 1, 31, 1, 0, 0, 0, time.FixedZone("x", 3600)), nil}, "2024-01-31T00:00:00Z|2024-01-31T00:00:00Z|∅", ""},
		{Time, []any{"soon"}, "", `cannot parse "soon" as a timestamp`},
		{Time, []any{"0001-01-01"}, "", "outside the years 1678 to 2261"},
		{Time, []any{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, "", "outside the years 1678 to 2261"},
		{Time, []any{42}, "", "cannot store int 42 in a timestamp column"},
	}
	for _, tt := range tests {
		cb := NewColumnBuilder(tt.typ, 0)
		var err error
		for _, v := range tt.in {
			if err = cb.AppendValue(v); err != nil {
				break
			}
		}
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %v: err = %v, want %q", tt.typ, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: %v", tt.typ, tt.in, err)
			continue
		}
		col := cb.Build()
		tb := MustNew(Schema{{Name: "x", Type: tt.typ}}, col)
		got := strings.ReplaceAll(strings.TrimPrefix(dump(tb), tb.Schema().String()+"\n"), "\n", "|")
		if got != tt.want || cb.Len() != len(tt.in) {
			t.Errorf("%s %v: got %s, want %s", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestBitmap(t *testing.T) {
	var nilMap Bitmap
	if !nilMap.Valid(12345) || nilMap.nulls(100) != 0 {
		t.Error("a nil bitmap is not all valid")
	}
	b := NewBitmap(130)
	for _, i := range []int{0, 63, 64, 129} {
		b.Set(i, false)
	}
	if b.nulls(130) != 4 || b.nulls(64) != 2 || b.nulls(1) != 1 || b.nulls(0) != 0 {
		t.Errorf("nulls: %d %d %d", b.nulls(130), b.nulls(64), b.nulls(1))
	}
	b.Set(63, true)
	if !b.Valid(63) || b.Valid(64) {
		t.Error("Set does not toggle")
	}
	g := b.grow(300)
	if len(g) != 5 || !g.Valid(299) || g.Valid(129) {
		t.Errorf("grow: %d words", len(g))
	}
}

func TestTypesAndSchema(t *testing.T) {
	for s, want := range map[string]Type{"float": Float, " Double ": Float, "numeric": Float, "INT": Int, "long": Int,
		"text": String, "boolean": Bool, "datetime": Time, "date": Time} {
		if got, err := ParseType(s); err != nil || got != want {
			t.Errorf("ParseType(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseType("decimal"); err == nil {
		t.Error("ParseType accepted decimal")
	}
	b, err := json.Marshal(Schema{{Name: "a", Type: Time, Role: Score, Categorical: true}})
	if err != nil || string(b) != `[{"name":"a","type":"timestamp","categorical":true,"role":"score"}]` {
		t.Errorf("marshal: %s, %v", b, err)
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil || back[0].Type != Time || back[0].Role != Score {
		t.Errorf("unmarshal: %v, %v", back, err)
	}
	if _, err := json.Marshal(Field{Name: "a"}); err == nil {
		t.Error("an invalid type marshalled")
	}
	if err := json.Unmarshal([]byte(`{"name":"a","type":"blob"}`), &Field{}); err == nil {
		t.Error("an unknown type unmarshalled")
	}
	if err := json.Unmarshal([]byte(`{"name":"a","type":"int","role":"boss"}`), &Field{}); err == nil {
		t.Error("an unknown role unmarshalled")
	}
	if Type(42).String() != "type(42)" || Role(9).String() != "role(9)" || !Int.Numeric() || Bool.Numeric() {
		t.Error("type names")
	}
	var names Schema
	for _, n := range strings.Split("a b c d e f g h i j k l m n", " ") {
		names = append(names, Field{Name: n, Type: Int})
	}
	if err := names.MissingColumnError("z"); !strings.Contains(err.Error(), "… (2 more)") {
		t.Errorf("MissingColumnError: %v", err)
	}
	if f, ok := names.Field("c"); !ok || f.Name != "c" {
		t.Error("Field lookup")
	}
	if _, ok := names.Field("z"); ok {
		t.Error("Field found a missing column")
	}
}

func TestParseTimeForms(t *testing.T) {
	for s, want := range map[string]string{
		"2024-01-31":                     "2024-01-31T00:00:00Z",
		"2024-01-31T10:11:12":            "2024-01-31T10:11:12Z",
		"2024-01-31 10:11:12":            "2024-01-31T10:11:12Z",
		"2024-01-31 10:11:12.5":          "2024-01-31T10:11:12.5Z",
		"2024-01-31T10:11:12+01:00":      "2024-01-31T09:11:12Z",
		"2024-01-31 10:11:12.25-02:00":   "2024-01-31T12:11:12.25Z",
		"2024-01-31T10:11:12.123456789Z": "2024-01-31T10:11:12.123456789Z",
	} {
		got, err := ParseTime(s)
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2024", "31/01/2024", "2024-01-31T25:00:00", "2024-1-31"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) succeeded", s)
		}
	}
}
