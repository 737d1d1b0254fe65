package table

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// csvFuzzOptions derives reading options from the fuzzer's mode byte.
func csvFuzzOptions(mode uint8) CSVOptions {
	opts := CSVOptions{Delimiter: []rune{',', '\t', ';', ' '}[mode&3], NoHeader: mode&4 != 0, Workers: 1}
	if mode&8 != 0 {
		opts.SampleRows = 1 // later rows promote columns
	}
	if mode&16 != 0 {
		opts.Workers = 2
	}
	return opts
}

// FuzzReadCSV checks that reading never panics, that a table read is
// written and read back (with its schema) unchanged, and that reading with
// one or two workers agrees.
func FuzzReadCSV(f *testing.F) {
	seeds := []string{
		"a,b,c\n1,2.5,x\n2,,\"y,\"\"z\"\"\"\n",
		"a\r\n1\r\n\r\n2.5\r\nx\r\n",
		"\ufeffa,b\n\"\",NA\n\"NA\",\n",
		"t,b\n2024-01-31,true\n2024-01-31T10:00:00.5Z,FALSE\nsoon,maybe\n",
		"a\tb\n1\t\"multi\nline\"\n",
		"a,b\n1,NAN\n2,inf\n9223372036854775807,-0\n",
		" a , b \n 1 , \"x\" \n",
		"x\n\"\"\nNA\n",
		"a,a\n1,2\n",
		"a,b\n\"unterminated\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := csvFuzzOptions(mode)
		t1, err := ReadCSV(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		other := opts
		other.Workers = 3 - opts.Workers
		if t3, err := ReadCSV(bytes.NewReader(data), other); err != nil || !Equal(t1, t3) {
			t.Fatalf("workers %d and %d disagree: %v", opts.Workers, other.Workers, err)
		}
		var out bytes.Buffer
		if err := WriteCSV(&out, t1, opts); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		back := opts
		back.Schema = t1.Schema()
		t2, err := ReadCSV(bytes.NewReader(out.Bytes()), back)
		if err != nil {
			t.Fatalf("reading back %q: %v", out.String(), err)
		}
		if !Equal(t1, t2) {
			t.Fatalf("round trip changed the table:\nread\n%s\nwritten\n%q\nread back\n%s", dump(t1), out.String(), dump(t2))
		}
	})
}

// FuzzReadJSON checks that reading never panics and that a table read is
// written and read back (with its schema) unchanged.
func FuzzReadJSON(f *testing.F) {
	seeds := []string{
		`[{"a":1,"b":"x"},{"a":2.5,"c":true}]`,
		"{\"a\":1}\n{\"b\":null}\n",
		`[]`,
		`{"a":{"b":1}}`,
		`[{"a":1},{"a":"x"},{"a":false}]`,
		`[{"a":1e400}]`,
		`[{"a":"\u00e9\ud83d\ude00\n"}]`,
		`{"a":1,"a":2}`,
		`[{"a":-0.0,"b":12345678901234567890}]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		t1, err := ReadJSON(bytes.NewReader(data), JSONOptions{})
		if err != nil {
			return
		}
		// What was read must be JSON by encoding/json's reckoning too.
		dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("read %q, which encoding/json rejects: %v", data, err)
			}
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, t1); err != nil {
			t.Fatalf("WriteJSON: %v", err)
		}
		t2, err := ReadJSON(bytes.NewReader(out.Bytes()), JSONOptions{Schema: t1.Schema()})
		if err != nil {
			t.Fatalf("reading back %q: %v", out.String(), err)
		}
		if !Equal(t1, t2) {
			t.Fatalf("round trip changed the table:\nread\n%s\nwritten\n%s\nread back\n%s", dump(t1), out.String(), dump(t2))
		}
	})
}
