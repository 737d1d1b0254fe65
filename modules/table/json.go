package table

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONOptions controls ReadJSON.
type JSONOptions struct {
	// Schema optionally fixes the type (and metadata) of columns by key; the
	// rest are inferred. A key the records never have becomes a column of
	// nulls. A value that does not fit the fixed type is an error.
	Schema Schema
	// MaxRecords stops reading after that many records (0: read everything).
	MaxRecords int
	// Progress, when set, is called with the number of bytes read so far.
	Progress func(bytesRead int64)
}

// ReadJSON reads records — JSON objects of scalar values — either as one
// array ([{…}, {…}]) or as JSON Lines (one object per line); the first
// non-space byte tells which. Columns are the union of the keys, in the
// order first seen. Types are inferred from every value: int when all
// numbers are written as integers that fit in 64 bits, float for other
// numbers, bool, and string; a column mixing kinds is a string column of the
// values' text. Timestamps stay strings unless the schema says timestamp.
// null and absent keys are nulls; a nested object or array is an error
// naming the record (1-based) and key.
func ReadJSON(r io.Reader, opts JSONOptions) (*Table, error) {
	if err := opts.Schema.Validate(); err != nil {
		return nil, fmt.Errorf("schema override: %w", err)
	}
	jr := &jsonReader{
		sc:    jsonScanner{r: r, buf: make([]byte, 0, 256<<10), progress: opts.Progress},
		index: map[string]int{},
		max:   opts.MaxRecords,
		fixed: opts.Schema,
	}
	if jr.max <= 0 {
		jr.max = math.MaxInt
	}
	if err := jr.read(); err != nil {
		return nil, err
	}
	return jr.build()
}

// jsonScanner reads JSON bytes through a buffer that keeps what is not yet
// consumed when it refills.
type jsonScanner struct {
	r        io.Reader
	buf      []byte
	pos      int
	off      int64 // input offset of buf[0]
	eof      bool
	err      error
	progress func(int64)
	nread    int64
	tmp      []byte
}

// ensure makes n bytes available after pos, unless the input ends first.
func (s *jsonScanner) ensure(n int) bool {
	for len(s.buf)-s.pos < n && !s.eof {
		if s.pos > 0 {
			k := copy(s.buf, s.buf[s.pos:])
			s.off += int64(s.pos)
			s.buf, s.pos = s.buf[:k], 0
		}
		if len(s.buf) == cap(s.buf) {
			s.buf = append(s.buf, make([]byte, cap(s.buf))...)[:len(s.buf)]
		}
		m, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+m]
		s.nread += int64(m)
		if m > 0 && s.progress != nil {
			s.progress(s.nread)
		}
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err, s.eof = err, true
		}
	}
	return len(s.buf)-s.pos >= n
}

// peek skips white space and returns the next byte, or false at the end.
func (s *jsonScanner) peek() (byte, bool) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.ensure(1) {
			return 0, false
		}
	}
}

func (s *jsonScanner) offset() int64 { return s.off + int64(s.pos) }

// str reads a string whose opening quote is at pos into s.tmp, unescaped,
// with invalid UTF-8 and lone surrogates replaced by U+FFFD as
// encoding/json does.
func (s *jsonScanner) str() ([]byte, error) {
	s.pos++
	out := s.tmp[:0]
	defer func() { s.tmp = out[:0] }()
	for {
		i := s.pos
		for i < len(s.buf) {
			c := s.buf[i]
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			i++
		}
		out = append(out, s.buf[s.pos:i]...)
		s.pos = i
		if !s.ensure(1) {
			return nil, s.syntax("the input ends inside a string")
		}
		switch c := s.buf[s.pos]; {
		case c == '"':
			s.pos++
			return out, nil
		case c < 0x20:
			return nil, s.syntax(fmt.Sprintf("control character %q inside a string (escape it)", c))
		case c >= utf8.RuneSelf:
			s.ensure(utf8.UTFMax)
			r, size := utf8.DecodeRune(s.buf[s.pos:])
			out = utf8.AppendRune(out, r) // RuneError for invalid bytes
			s.pos += size
		case c != '\\':
			// The buffer ended inside plain text.
		default:
			if !s.ensure(2) {
				return nil, s.syntax("the input ends inside a string")
			}
			e := s.buf[s.pos+1]
			if e != 'u' {
				switch e {
				case '"', '\\', '/':
				case 'b':
					e = '\b'
				case 'f':
					e = '\f'
				case 'n':
					e = '\n'
				case 'r':
					e = '\r'
				case 't':
					e = '\t'
				default:
					return nil, s.syntax(fmt.Sprintf("invalid escape \\%c in a string", e))
				}
				out = append(out, e)
				s.pos += 2
				continue
			}
			r, ok := s.hex4(2)
			if !ok {
				return nil, s.syntax("invalid \\u escape in a string")
			}
			s.pos += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.ensure(6) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					r2, _ = s.hex4(2)
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					s.pos += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		}
	}
}

// hex4 reads the four hex digits at pos+rel.
func (s *jsonScanner) hex4(rel int) (rune, bool) {
	if !s.ensure(rel + 4) {
		return 0, false
	}
	var r rune
	for _, c := range s.buf[s.pos+rel : s.pos+rel+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// number reads a number at pos, checking JSON's grammar, into s.tmp;
// isInt says it has no fraction or exponent.
func (s *jsonScanner) number() (text []byte, isInt bool, err error) {
	out := s.tmp[:0]
	defer func() { s.tmp = out[:0] }()
	next := func() byte {
		if !s.ensure(1) {
			return 0
		}
		return s.buf[s.pos]
	}
	take := func() { out = append(out, s.buf[s.pos]); s.pos++ }
	digits := func() int {
		n := 0
		for c := next(); '0' <= c && c <= '9'; c = next() {
			take()
			n++
		}
		return n
	}
	if next() == '-' {
		take()
	}
	if c := next(); c == '0' {
		take()
	} else if digits() == 0 {
		return nil, false, s.syntax("invalid number")
	}
	isInt = true
	if next() == '.' {
		take()
		if digits() == 0 {
			return nil, false, s.syntax("invalid number: no digits after the decimal point")
		}
		isInt = false
	}
	if c := next(); c == 'e' || c == 'E' {
		take()
		if c := next(); c == '+' || c == '-' {
			take()
		}
		if digits() == 0 {
			return nil, false, s.syntax("invalid number: no digits in the exponent")
		}
		isInt = false
	}
	return out, isInt, nil
}

// literal reads true, false or null.
func (s *jsonScanner) literal(word string) error {
	if !s.ensure(len(word)) || string(s.buf[s.pos:s.pos+len(word)]) != word {
		return s.syntax("invalid literal (want true, false or null)")
	}
	s.pos += len(word)
	return nil
}

func (s *jsonScanner) syntax(msg string) error {
	if s.err != nil {
		return s.err
	}
	return &jsonSyntaxError{offset: s.offset(), msg: msg}
}

type jsonSyntaxError struct {
	offset int64
	msg    string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.offset, e.msg)
}

type jsonReader struct {
	sc    jsonScanner
	cols  []*jsonCol
	index map[string]int
	fixed Schema
	n     int // records read
	max   int
}

func (jr *jsonReader) read() error {
	sc := &jr.sc
	if sc.ensure(3) && string(sc.buf[:3]) == "\ufeff" {
		sc.pos = 3
	}
	first, ok := sc.peek()
	if !ok {
		if sc.err != nil {
			return sc.err
		}
		return errors.New("the input is empty: no JSON records")
	}
	switch first {
	case '{': // JSON Lines
		for jr.n < jr.max {
			c, ok := sc.peek()
			if !ok {
				return sc.err
			}
			if err := jr.record(c); err != nil {
				return err
			}
		}
		return nil
	case '[':
		sc.pos++
		c, ok := sc.peek()
		if ok && c == ']' {
			sc.pos++
			return jr.end()
		}
		for jr.n < jr.max {
			if !ok {
				return jr.errorf("the input ends inside the array of records")
			}
			if err := jr.record(c); err != nil {
				return err
			}
			if c, ok = sc.peek(); ok && c == ',' {
				sc.pos++
				c, ok = sc.peek()
				continue
			}
			if ok && c == ']' {
				sc.pos++
				return jr.end()
			}
			if !ok {
				return jr.errorf("the input ends inside the array of records")
			}
			return jr.errorf("%s after record %d, where , or ] belongs", describeByte(c), jr.n)
		}
		return nil
	}
	return fmt.Errorf("JSON input must be an array of objects or one object per line, but it starts with %s", describeByte(first))
}

// end checks that nothing follows the array.
func (jr *jsonReader) end() error {
	if c, ok := jr.sc.peek(); ok {
		return jr.errorf("%s after the closing ] of the array of records", describeByte(c))
	}
	return jr.sc.err
}

func (jr *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("record %d: %w", jr.n+1, jr.sc.syntax(fmt.Sprintf(format, args...)))
}

func describeByte(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return fmt.Sprintf("%q", rune(c))
}

// record reads one object, whose first byte c is at the scanner's position.
func (jr *jsonReader) record(c byte) error {
	sc := &jr.sc
	rec := jr.n + 1
	if c != '{' {
		return fmt.Errorf("record %d is %s, not an object", rec, describeByte(c))
	}
	sc.pos++
	guess := 0
	c, ok := sc.peek()
	for ok && c != '}' {
		if c != '"' {
			return jr.errorf("%s where a key belongs", describeByte(c))
		}
		kb, err := sc.str()
		if err != nil {
			return fmt.Errorf("record %d: %w", rec, err)
		}
		// Records usually repeat their keys in order: try the next column
		// before the map.
		ci, known := guess, guess < len(jr.cols) && jr.cols[guess].name == string(kb)
		if !known {
			ci, known = jr.index[string(kb)]
		}
		if !known {
			if len(kb) == 0 {
				return fmt.Errorf("record %d: a key is empty, and a column needs a name", rec)
			}
			ci = jr.addColumn(string(kb))
		}
		guess = ci + 1
		col := jr.cols[ci]
		if col.seen == rec {
			return fmt.Errorf("record %d: key %q appears twice", rec, col.name)
		}
		col.seen = rec
		if c, ok = sc.peek(); !ok || c != ':' {
			return jr.errorf("expected : after key %q", col.name)
		}
		sc.pos++
		if c, ok = sc.peek(); !ok {
			return jr.errorf("the input ends before the value of key %q", col.name)
		}
		if err := jr.value(col, c, rec); err != nil {
			return err
		}
		if c, ok = sc.peek(); ok && c == ',' {
			sc.pos++
			if c, ok = sc.peek(); ok && c == '}' {
				return jr.errorf("a comma before }")
			}
		} else if ok && c != '}' {
			return jr.errorf("%s after the value of key %q, where , or } belongs", describeByte(c), col.name)
		}
	}
	if !ok {
		return jr.errorf("the input ends inside a record")
	}
	sc.pos++
	jr.n = rec
	for _, col := range jr.cols {
		if col.seen != rec {
			col.appendNull()
		}
	}
	return nil
}

// value reads the value of col, starting with byte c.
func (jr *jsonReader) value(col *jsonCol, c byte, rec int) error {
	sc := &jr.sc
	var err error
	switch {
	case c == '"':
		var b []byte
		if b, err = sc.str(); err == nil {
			err = col.appendString(b)
		}
	case c == '-' || '0' <= c && c <= '9':
		var b []byte
		var isInt bool
		if b, isInt, err = sc.number(); err == nil {
			err = col.appendNumber(b, isInt)
		}
	case c == 't' || c == 'f':
		word := "false"
		if c == 't' {
			word = "true"
		}
		if err = sc.literal(word); err == nil {
			err = col.appendBool(c == 't')
		}
	case c == 'n':
		if err = sc.literal("null"); err == nil {
			col.appendNull()
		}
	case c == '{' || c == '[':
		return fmt.Errorf("record %d, key %q: the value is %s; only strings, numbers, booleans and null can be columns", rec, col.name, describeByte(c))
	default:
		return jr.errorf("%s where the value of key %q belongs", describeByte(c), col.name)
	}
	if err != nil {
		var se *jsonSyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("record %d: %w", rec, err)
		}
		return fmt.Errorf("record %d, key %q: %w", rec, col.name, err)
	}
	return nil
}

func (jr *jsonReader) addColumn(name string) int {
	col := &jsonCol{name: name, colValues: colValues{pending: jr.n}}
	if f, ok := jr.fixed.Field(name); ok {
		col.field, col.fixed = f, true
		col.setType(f.Type)
	} else {
		col.field = Field{Name: name}
	}
	jr.index[name] = len(jr.cols)
	jr.cols = append(jr.cols, col)
	return len(jr.cols) - 1
}

func (jr *jsonReader) build() (*Table, error) {
	for _, f := range jr.fixed {
		if _, ok := jr.index[f.Name]; !ok {
			jr.addColumn(f.Name)
		}
	}
	schema := make(Schema, len(jr.cols))
	cols := make([]Column, len(jr.cols))
	for i, c := range jr.cols {
		if c.typ == Invalid {
			c.setType(String)
		}
		schema[i], cols[i] = c.field, c.column()
		schema[i].Type = c.typ
	}
	return New(schema, cols)
}

// jsonCol accumulates one column, widening its type as values arrive.
type jsonCol struct {
	colValues
	name  string
	field Field
	fixed bool
	seen  int // the last record that set it
}

func (c *jsonCol) appendNull() {
	n := c.n()
	switch c.typ {
	case Invalid:
		c.pending++
		return
	case Float:
		c.f = append(c.f, 0)
	case Int, Time:
		c.i = append(c.i, 0)
	case String:
		c.s = append(c.s, "")
	case Bool:
		c.b = append(c.b, false)
	}
	if c.valid == nil {
		c.valid = NewBitmap(n + 1)
	}
	c.valid = c.valid.grow(n + 1)
	c.valid.Set(n, false)
}

func (c *jsonCol) appendString(b []byte) error {
	switch {
	case c.typ == Invalid:
		c.setType(String)
	case c.typ == Time:
		t, err := ParseTime(string(b))
		if err != nil {
			return err
		}
		ns, ok := unixNano(t)
		if !ok {
			return fmt.Errorf("timestamp %q is outside the years 1678 to 2261", b)
		}
		c.i = append(c.i, ns)
		return nil
	case c.typ != String:
		if c.fixed {
			return fmt.Errorf("cannot use the string %q as %s", b, c.typ)
		}
		c.toString()
	}
	c.s = append(c.s, c.strs.make(b))
	return nil
}

func (c *jsonCol) appendBool(v bool) error {
	switch {
	case c.typ == Invalid:
		c.setType(Bool)
	case c.typ == String:
		c.s = append(c.s, strconv.FormatBool(v))
		return nil
	case c.typ != Bool:
		if c.fixed {
			return fmt.Errorf("cannot use %v as %s", v, c.typ)
		}
		c.toString()
		c.s = append(c.s, strconv.FormatBool(v))
		return nil
	}
	c.b = append(c.b, v)
	return nil
}

func (c *jsonCol) appendNumber(text []byte, isInt bool) error {
	var iv int64
	fits := false
	if isInt {
		iv, fits = parseInt(text)
	}
	if c.typ == Invalid {
		if fits {
			c.setType(Int)
		} else {
			c.setType(Float)
		}
	}
	switch c.typ {
	case Int:
		if fits {
			c.i = append(c.i, iv)
			return nil
		}
		f, err := jsonFloat(text)
		if err != nil {
			return err
		}
		if c.fixed {
			if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return fmt.Errorf("%s is not a whole number that fits in 64 bits", text)
			}
			c.i = append(c.i, int64(f))
			return nil
		}
		c.toFloat()
		c.f = append(c.f, f)
	case Float:
		f, err := jsonFloat(text)
		if err != nil {
			return err
		}
		c.f = append(c.f, f)
	case String:
		if c.fixed {
			c.s = append(c.s, c.strs.make(text)) // as written
			return nil
		}
		if _, err := jsonFloat(text); err != nil {
			return err
		}
		c.s = append(c.s, c.strs.make(text))
	default:
		if c.fixed {
			return fmt.Errorf("cannot use the number %s as %s", text, c.typ)
		}
		c.toString()
		c.s = append(c.s, c.strs.make(text))
	}
	return nil
}

func jsonFloat(text []byte) (float64, error) {
	if f, ok := parseFloatFast(text); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return 0, fmt.Errorf("number %s is out of range", text)
	}
	return f, nil
}

// WriteJSON writes the table as a JSON array of records, one object a line,
// keys in column order. Nulls are null; floats use the shortest exact form,
// with ".0" added to whole numbers so they read back as floats, and NaN and
// infinities — which JSON cannot express — are written as null; timestamps
// are RFC 3339 strings in UTC.
func WriteJSON(w io.Writer, t *Table) error {
	keys := make([][]byte, t.NumCols())
	for i := range keys {
		keys[i] = appendJSONString(nil, t.Field(i).Name)
		keys[i] = append(keys[i], ':')
	}
	buf := make([]byte, 0, 256<<10)
	buf = append(buf, '[')
	for r := range t.NumRows() {
		if r > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n{"...)
		for i, c := range t.cols {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, keys[i]...)
			buf = appendJSONValue(buf, c, r)
		}
		buf = append(buf, '}')
		if len(buf) > cap(buf)-16<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "\n]\n"...)
	_, err := w.Write(buf)
	return err
}

func appendJSONValue(buf []byte, c Column, r int) []byte {
	if c.Null(r) {
		return append(buf, "null"...)
	}
	switch c := c.(type) {
	case *Floats:
		f := c.data[r]
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(buf, "null"...)
		}
		n := len(buf)
		buf = appendFloat(buf, f, "")
		if bytes.IndexAny(buf[n:], ".e") < 0 {
			buf = append(buf, ".0"...)
		}
		return buf
	case *Ints:
		return strconv.AppendInt(buf, c.data[r], 10)
	case *Bools:
		return strconv.AppendBool(buf, c.data[r])
	case *Times:
		buf = append(buf, '"')
		buf = c.Time(r).AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"')
	case *Strings:
		return appendJSONString(buf, c.data[r])
	}
	return appendJSONString(buf, c.Format(r))
}

// appendJSONString quotes s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
