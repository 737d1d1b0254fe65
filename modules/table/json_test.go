package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts JSONOptions
		want string
	}{
		{"array", `[{"a":1,"b":"x","c":true},{"a":2,"b":"y","c":false}]`, JSONOptions{},
			"a:int, b:string, c:bool\n1|x|true\n2|y|false"},
		{"json lines", "{\"a\":1}\n\n{\"a\":2}\r\n", JSONOptions{}, "a:int\n1\n2"},
		{"union of keys in first-seen order", `[{"b":1},{"a":"x","b":2},{"c":null}]`, JSONOptions{},
			"b:int, a:string, c:string\n1|∅|∅\n2|x|∅\n∅|∅|∅"},
		{"int and float make float", `[{"a":1},{"a":2.5},{"a":3}]`, JSONOptions{}, "a:float\n1\n2.5\n3"},
		{"1.0 is a float", `[{"a":1.0}]`, JSONOptions{}, "a:float\n1"},
		{"exponent is a float", `[{"a":1e3}]`, JSONOptions{}, "a:float\n1000"},
		{"big integers are floats", `[{"a":12345678901234567890}]`, JSONOptions{}, "a:float\n1.2345678901234567e+19"},
		{"mixed kinds are text", `[{"a":1},{"a":"x"},{"a":true},{"a":2.5}]`, JSONOptions{}, "a:string\n1\nx\ntrue\n2.5"},
		{"string first then numbers as written", `[{"a":"x"},{"a":1.50}]`, JSONOptions{}, "a:string\nx\n1.50"},
		{"timestamps stay strings", `[{"t":"2024-01-31"}]`, JSONOptions{}, "t:string\n2024-01-31"},
		{"schema", `[{"t":"2024-01-31","n":1,"f":2,"s":3,"x":true}]`,
			JSONOptions{Schema: Schema{{Name: "t", Type: Time}, {Name: "n", Type: Float}, {Name: "s", Type: String, Role: Label}, {Name: "z", Type: Int}}},
			"t:timestamp, n:float, f:int, s:string[label], x:bool, z:int\n2024-01-31T00:00:00Z|1|2|3|true|∅"},
		{"integral floats fit a fixed int", `[{"a":2.0},{"a":1e3}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Int}}}, "a:int\n2\n1000"},
		{"escapes", `[{"s":"q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"}]`, JSONOptions{},
			"s:string\nq\"b\\s/\b\f\n\r\t\u00e9\U0001F600\ufffdx"},
		{"invalid UTF-8 is replaced", "[{\"s\":\"a\xffb\"}]", JSONOptions{}, "s:string\na\ufffdb"},
		{"BOM and spaces", "\ufeff \n [ {\"a\" : 1 } , { \"a\":2} ] \n", JSONOptions{}, "a:int\n1\n2"},
		{"empty array", `[]`, JSONOptions{}, ""},
		{"empty array with schema", `[]`, JSONOptions{Schema: Schema{{Name: "a", Type: Int}}}, "a:int"},
		{"empty records", `[{},{}]`, JSONOptions{}, ""},
		{"max records", "{\"a\":1}\n{\"a\":2}\n{\"a\":", JSONOptions{MaxRecords: 2}, "a:int\n1\n2"},
		{"max records in an array", `[{"a":1},{"a":2},{"a":`, JSONOptions{MaxRecords: 1}, "a:int\n1"},
		{"negative zero and exponents", `[{"a":-0},{"a":-0.5e-2}]`, JSONOptions{}, "a:float\n0\n-0.005"}, // -0 read as an int is 0
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ReadJSON(strings.NewReader(tt.in), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(tb); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			// Reading a byte at a time crosses every buffer boundary.
			tb2, err := ReadJSON(iotest.OneByteReader(strings.NewReader(tt.in)), tt.opts)
			if err != nil {
				t.Fatalf("one byte at a time: %v", err)
			}
			if !Equal(tb, tb2) {
				t.Errorf("one byte at a time:\n%s", dump(tb2))
			}
		})
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opts     JSONOptions
		want     string
	}{
		{"empty", " \n", JSONOptions{}, "empty"},
		{"scalar", `42`, JSONOptions{}, "starts with a number"},
		{"nested object", `[{"a":1},{"addr":{"city":"x"}}]`, JSONOptions{}, `record 2, key "addr": the value is an object`},
		{"nested array", "{\"a\":1}\n{\"tags\":[1]}", JSONOptions{}, `record 2, key "tags": the value is an array`},
		{"not an object", `[{"a":1},2]`, JSONOptions{}, "record 2 is a number, not an object"},
		{"line not an object", "{\"a\":1}\n\"x\"", JSONOptions{}, "record 2 is a string, not an object"},
		{"duplicate key", `[{"a":1,"a":2}]`, JSONOptions{}, `record 1: key "a" appears twice`},
		{"empty key", `[{"":1}]`, JSONOptions{}, "record 1: a key is empty"},
		{"trailing comma", `[{"a":1},]`, JSONOptions{}, "record 2 is ']'"},
		{"comma before brace", `[{"a":1,}]`, JSONOptions{}, "record 1: invalid JSON at byte 8: a comma before }"},
		{"missing colon", `[{"a" 1}]`, JSONOptions{}, `expected : after key "a"`},
		{"missing comma", `[{"a":1 "b":2}]`, JSONOptions{}, `a string after the value of key "a"`},
		{"truncated", `[{"a":1},{"a":`, JSONOptions{}, "record 2: invalid JSON"},
		{"truncated string", `[{"a":"xy`, JSONOptions{}, "the input ends inside a string"},
		{"unclosed array", `[{"a":1}`, JSONOptions{}, "the input ends inside the array"},
		{"trailing data", `[{"a":1}] x`, JSONOptions{}, "after the closing ]"},
		{"bad escape", `[{"a":"\x"}]`, JSONOptions{}, `invalid escape \x`},
		{"bad unicode escape", `[{"a":"\u12g4"}]`, JSONOptions{}, `invalid \u escape`},
		{"control character", "[{\"a\":\"x\ny\"}]", JSONOptions{}, "control character"},
		{"leading zero", `[{"a":01}]`, JSONOptions{}, `a number after the value of key "a"`},
		{"bad number", `[{"a":-}]`, JSONOptions{}, "invalid number"},
		{"bad fraction", `[{"a":1.}]`, JSONOptions{}, "no digits after the decimal point"},
		{"bad literal", `[{"a":tru}]`, JSONOptions{}, "invalid literal"},
		{"bare word", `[{"a":x}]`, JSONOptions{}, `'x' where the value of key "a" belongs`},
		{"number out of range", `[{"a":1e400}]`, JSONOptions{}, `record 1, key "a": number 1e400 is out of range`},
		{"schema type", `[{"a":1},{"a":"x"}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Int}}}, `record 2, key "a": cannot use the string "x" as int`},
		{"schema fraction", `[{"a":1.5}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Int}}}, "1.5 is not a whole number"},
		{"schema bool", `[{"a":1}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Bool}}}, "cannot use the number 1 as bool"},
		{"schema time", `[{"a":"soon"}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Time}}}, `cannot parse "soon" as a timestamp`},
		{"schema time range", `[{"a":"0001-01-01"}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Time}}}, "outside the years"},
		{"schema float from bool", `[{"a":true}]`, JSONOptions{Schema: Schema{{Name: "a", Type: Float}}}, "cannot use true as float"},
		{"bad schema", `[]`, JSONOptions{Schema: Schema{{Name: "a"}}}, "schema override"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	boom := errors.New("boom")
	_, err := ReadJSON(iotest.TimeoutReader(strings.NewReader(`[{"a":1},{"a":2}]`)), JSONOptions{})
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("reader error: %v", err)
	}
	_, err = ReadJSON(&failingReader{data: []byte(`{"a":1}`), err: boom}, JSONOptions{})
	if !errors.Is(err, boom) {
		t.Errorf("reader error at the end: %v", err)
	}
}

// TestReadJSONStrings compares string decoding with encoding/json's on
// random strings, including invalid UTF-8 and surrogate escapes.
func TestReadJSONStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "é", "\U0001F600", "\"", "\\", "\n", "\x01", "\xff", "\xe2\x82", `\ud83d`, `\ude00`, `\u0041`, "/"}
	for range 5000 {
		var raw strings.Builder
		for range rng.IntN(8) {
			raw.WriteString(pieces[rng.IntN(len(pieces))])
		}
		// Marshal to get valid JSON, then sometimes splice raw escapes in.
		enc, _ := json.Marshal(raw.String())
		doc := `[{"s":` + string(enc) + `}]`
		if rng.IntN(2) == 0 {
			doc = `[{"s":"` + strings.NewReplacer("\"", "", "\n", "", "\x01", "", "\\\\", "").Replace(raw.String()) + `"}]`
		}
		var want []map[string]string
		wantErr := json.Unmarshal([]byte(doc), &want)
		got, err := ReadJSON(strings.NewReader(doc), JSONOptions{})
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: err %v, encoding/json err %v", doc, err, wantErr)
		}
		if err == nil && got.Column(0).Value(0) != want[0]["s"] {
			t.Fatalf("%q: got %q, want %q", doc, got.Column(0).Value(0), want[0]["s"])
		}
	}
}

func TestReadJSONProgress(t *testing.T) {
	var buf bytes.Buffer
	tb := MustNew(Schema{{Name: "a", Type: Int}}, NewInts(make([]int64, 100_000), nil))
	if err := WriteJSON(&buf, tb); err != nil {
		t.Fatal(err)
	}
	size := int64(buf.Len())
	var last int64
	back, err := ReadJSON(&buf, JSONOptions{Progress: func(n int64) { last = n }})
	if err != nil || back.NumRows() != 100_000 || last != size {
		t.Errorf("rows %d, last progress %d of %d, err %v", back.NumRows(), last, size, err)
	}
}

func TestWriteJSON(t *testing.T) {
	v := nullAt(3, 1)
	tb := MustNew(Schema{
		{Name: "f", Type: Float}, {Name: "i", Type: Int}, {Name: "s", Type: String},
		{Name: "b", Type: Bool}, {Name: "t", Type: Time}, {Name: "odd \"name\"", Type: Float},
	},
		NewFloats([]float64{2, 0, 1.5}, v),
		NewInts([]int64{-1, 0, 1 << 62}, v),
		NewStrings([]string{"a\"\\\n\x01\u2028é\xff", "", ""}, v),
		NewBools([]bool{true, false, false}, v),
		NewTimes([]int64{0, 0, 1_700_000_000_123_000_000}, v),
		NewFloats([]float64{math.NaN(), math.Inf(1), 1e21}, nil),
	)
	var out bytes.Buffer
	if err := WriteJSON(&out, tb); err != nil {
		t.Fatal(err)
	}
	want := "[\n" +
		`{"f":2.0,"i":-1,"s":"a\"\\\n\u0001` + "\u2028é" + `\ufffd","b":true,"t":"1970-01-01T00:00:00Z","odd \"name\"":null},` + "\n" +
		`{"f":null,"i":null,"s":null,"b":null,"t":null,"odd \"name\"":null},` + "\n" +
		`{"f":1.5,"i":4611686018427387904,"s":"","b":false,"t":"2023-11-14T22:13:20.123Z","odd \"name\"":1e+21}` + "\n]\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if !json.Valid(out.Bytes()) {
		t.Error("output is not valid JSON")
	}
	back, err := ReadJSON(&out, JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Schema().String(); got != "f:float, i:int, s:string, b:bool, t:string, odd \"name\":float" {
		t.Errorf("types read back without a schema: %s", got)
	}
	if err := WriteJSON(errWriter{}, tb); err == nil {
		t.Error("a write error was lost")
	}
}
