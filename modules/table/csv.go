package table

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// CSVOptions controls ReadCSV and WriteCSV. The zero value reads and writes
// comma-separated text with a header row.
type CSVOptions struct {
	// Delimiter separates fields: 0 means ',', '\t' gives TSV. It must be an
	// ASCII character other than a letter, a digit, '"', '.', '+', '-', CR or
	// LF, since written numbers, booleans and timestamps are never quoted.
	Delimiter rune
	// NoHeader says the first row is data rather than column names; columns
	// are then named Col1, Col2, …
	NoHeader bool
	// MissingTokens are the field texts read as missing values, compared after
	// trimming surrounding spaces and tabs. Nil means DefaultMissingTokens();
	// an empty, non-nil list leaves only the empty field missing. The empty
	// field is always missing.
	MissingTokens []string
	// Schema optionally fixes the type (and metadata) of some columns; the
	// rest are inferred. With a header its fields are matched by name and
	// every one must be present; without one they name and type the columns
	// by position. A value that does not parse as the fixed type is an error.
	Schema Schema
	// SampleRows is how many leading data rows decide inferred column types
	// (default 1000). Later values that do not fit promote the column.
	SampleRows int
	// MaxRows stops reading after that many data rows (0: read everything);
	// previews and schema inference use it.
	MaxRows int
	// SizeHint is the input's size in bytes when the caller knows it; columns
	// are then allocated once at about their final size. Files, bytes.Reader
	// and strings.Reader are measured without it.
	SizeHint int64
	// Workers is how many goroutines convert text to values (0: GOMAXPROCS).
	Workers int
	// Progress, when set, is called with the number of bytes read so far
	// after each block read from the input.
	Progress func(bytesRead int64)
}

// defaultMissing are the spellings R, pandas, Excel and databases write for
// "no value". NaN is among them because CSV has one notion of missing; a
// NaN spelled otherwise ("NAN") still reads as a float NaN.
var defaultMissing = []string{"NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL"}

// DefaultMissingTokens returns the texts read as missing when
// CSVOptions.MissingTokens is nil: NA, N/A, #N/A, NaN, nan, null and NULL
// (and, always, the empty field).
func DefaultMissingTokens() []string { return append([]string(nil), defaultMissing...) }

// CSVError locates a problem in CSV input.
type CSVError struct {
	Line int // 1-based physical line, counting the header
	// Column is the column's name, or "" before the header is known, when
	// ColumnNum (1-based, 0 when the problem is the whole row) identifies it.
	Column    string
	ColumnNum int
	Msg       string
}

func (e *CSVError) Error() string {
	switch {
	case e.Column != "":
		return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Msg)
	case e.ColumnNum > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.ColumnNum, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

const (
	defaultSampleRows = 1000
	csvBlockSize      = 1 << 20
	// flagBit marks a quoted field on its start offset and a field holding
	// doubled quotes on its end offset, which is why a buffer (and so a row)
	// is limited to 2 GiB.
	flagBit     = 1 << 31
	maxBufSize  = flagBit - 1
	internLimit = 4096
)

// ReadCSV reads delimited text (RFC 4180: quoted fields may hold delimiters,
// doubled quotes and newlines; LF or CRLF line ends; an optional UTF-8 BOM)
// into a table.
//
// Column types are inferred from the first SampleRows rows: bool
// (true/false, any case), int, float, timestamp (the forms ParseTime reads),
// else string. A later value that does not fit promotes the column — int to
// float (string when an int is too large to be exact as a float), anything
// else to string — converting the values already read to their text form.
// A column with no value at all is a string column of nulls.
//
// Blank lines are skipped. Unquoted header names are trimmed of spaces; a
// blank name becomes ColN (N the column number) and a repeated name is an
// error. Missing values (see MissingTokens) become nulls. A quoted field is
// literal text in a string column, so "" is the empty string and "NA" the
// two letters; in other columns a quoted empty or missing token is null.
// Spaces around numbers, booleans and timestamps are ignored.
func ReadCSV(r io.Reader, opts CSVOptions) (*Table, error) {
	rd, err := newCSVReader(r, opts)
	if err != nil {
		return nil, err
	}
	return rd.read()
}

type scanStatus int

const (
	scanFull     scanStatus = iota // the batch holds as many rows as asked
	scanNeedMore                   // the buffer ends inside a row
	scanEOF                        // all input is consumed
)

// csvBatch is a block of input and the positions of its fields. Fields point
// into buf, so conversion allocates nothing for them.
type csvBatch struct {
	buf    []byte
	offs   []uint32 // start and end of each field, row-major
	lines  []int    // the line each row starts on
	rows   int
	stride int // offsets per row
}

func (b *csvBatch) reset() {
	b.offs, b.lines, b.rows = b.offs[:0], b.lines[:0], 0
}

// field returns the text of a field, unescaping doubled quotes into tmp.
func (b *csvBatch) field(r, col int, tmp *[]byte) (text []byte, quoted bool) {
	k := r*b.stride + 2*col
	st, en := b.offs[k], b.offs[k+1]
	text = b.buf[st&^flagBit : en&^flagBit]
	if en&flagBit != 0 {
		*tmp = unescapeQuotes((*tmp)[:0], text)
		text = *tmp
	}
	return text, st&flagBit != 0
}

func unescapeQuotes(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i+1]...)
		s = s[i+2:]
	}
}

// csvScanner splits the input into rows and fields.
type csvScanner struct {
	r        io.Reader
	delim    byte
	stop     [256]bool // bytes that end an unquoted scan
	buf      []byte
	pos, end int
	eof      bool
	line     int
	nread    int64
	progress func(int64)
	names    []string // column names once known, for messages
	// Rows read by fastRow and rows it declined in this scan: it is skipped
	// when it declines often, as in a file where every field is quoted.
	fastOK, fastMiss int
}

// fill reads until the buffer is full or the input ends.
func (s *csvScanner) fill() error {
	for s.end < len(s.buf) && !s.eof {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		s.nread += int64(n)
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			return err
		}
		if n > 0 && s.progress != nil {
			s.progress(s.nread)
		}
	}
	return nil
}

// grow enlarges the buffer in place, keeping offsets already recorded valid.
func (s *csvScanner) grow(bt *csvBatch) error {
	if len(s.buf) >= maxBufSize {
		return &CSVError{Line: s.line, Msg: "a row is longer than 2 GiB"}
	}
	nb := make([]byte, min(2*len(s.buf), maxBufSize))
	copy(nb, s.buf[:s.end])
	s.buf = nb
	bt.buf = nb
	return s.fill()
}

// moveTo continues in bt's buffer, carrying over the unconsumed tail
// (a partial row) of the current one.
func (s *csvScanner) moveTo(bt *csvBatch) error {
	tail := s.end - s.pos
	want := max(csvBlockSize, min(2*tail, maxBufSize))
	if s.eof {
		want = tail // nothing more to read: small inputs stay small
	}
	if len(bt.buf) < want {
		bt.buf = make([]byte, want)
	}
	copy(bt.buf, s.buf[s.pos:s.end])
	s.buf, s.pos, s.end = bt.buf, 0, tail
	return s.fill()
}

func (s *csvScanner) colErr(line, col int, format string, args ...any) error {
	e := &CSVError{Line: line, ColumnNum: col + 1, Msg: fmt.Sprintf(format, args...)}
	if col < len(s.names) {
		e.Column = s.names[col]
	}
	return e
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// skipPlain returns the position of the first byte at or after q that may
// end an unquoted field (delimiter, quote, CR, LF), or len(buf). It tests
// eight bytes at a time: a byte below 0x23 (which covers quote, CR, LF, tab
// and a few rare others) or equal to the delimiter.
func (s *csvScanner) skipPlain(buf []byte, q int) int {
	dm := uint64(s.delim) * ones
	for q+8 <= len(buf) {
		x := binary.LittleEndian.Uint64(buf[q:])
		y := x ^ dm
		m := ((x-0x23*ones)&^x | (y-ones)&^y) & highs
		if m == 0 {
			q += 8
			continue
		}
		// The lowest flagged byte is exact; ones above it may be borrows.
		q += bits.TrailingZeros64(m) >> 3
		if s.stop[buf[q]] {
			return q
		}
		q++
	}
	for q < len(buf) && !s.stop[buf[q]] {
		q++
	}
	return q
}

// fastRow records the fields of a row starting at p when the row is the
// common kind: ncols unquoted fields, no CR, and its LF at least eight bytes
// before the end of buf. Otherwise it reports false and the general path,
// which handles everything, reads the row.
func (s *csvScanner) fastRow(buf []byte, p int, offs []uint32, ncols int) (int, []uint32, bool) {
	dm := uint64(s.delim) * ones
	start, nf, mark := p, 0, len(offs)
	for q := p; q+8 <= len(buf); q += 8 {
		x := binary.LittleEndian.Uint64(buf[q:])
		y := x ^ dm
		for m := ((x-0x23*ones)&^x | (y-ones)&^y) & highs; m != 0; m &= m - 1 {
			k := q + bits.TrailingZeros64(m)>>3
			switch buf[k] {
			case s.delim:
				if nf++; nf == ncols {
					return 0, offs[:mark], false
				}
				offs = append(offs, uint32(start), uint32(k))
				start = k + 1
			case '\n':
				if nf++; nf != ncols {
					return 0, offs[:mark], false
				}
				return k + 1, append(offs, uint32(start), uint32(k)), true
			case '"', '\r':
				return 0, offs[:mark], false
			}
		}
	}
	return 0, offs[:mark], false
}

// scan records complete rows from the buffer into bt until it holds
// maxRows rows, the buffer ends inside a row, or the input is consumed.
// ncols < 0 accepts any number of fields (the first row).
func (s *csvScanner) scan(bt *csvBatch, ncols, maxRows int) (scanStatus, error) {
	buf := s.buf[:s.end]
	eof, delim := s.eof, s.delim
	p, line := s.pos, s.line
	offs := bt.offs
	defer func() { bt.offs = offs }()
	s.fastOK, s.fastMiss = 0, 0
	for bt.rows < maxRows {
		// Skip blank lines (LF, CRLF, and a lone CR at the very end).
		for p < len(buf) {
			if c := buf[p]; c == '\n' {
				p++
				line++
				continue
			} else if c != '\r' {
				break
			}
			if p+1 < len(buf) {
				if buf[p+1] != '\n' {
					break
				}
				p += 2
				line++
				continue
			}
			if !eof {
				s.pos, s.line = p, line
				return scanNeedMore, nil
			}
			p++
		}
		s.pos, s.line = p, line
		if p == len(buf) {
			if eof {
				return scanEOF, nil
			}
			return scanNeedMore, nil
		}
		if ncols > 0 && s.fastMiss <= 8+s.fastOK/8 {
			if next, out, ok := s.fastRow(buf, p, offs, ncols); ok {
				offs = out
				bt.lines = append(bt.lines, line)
				bt.rows++
				line++
				p = next
				s.pos, s.line = p, line
				s.fastOK++
				continue
			}
			s.fastMiss++
		}
		rowLine, mark, nf := line, len(offs), 0
	fields:
		for {
			// Each pass records one field and leaves p after its terminator.
			var st, en uint32
			endRow := false
			qs := -1
			if p < len(buf) && buf[p] == '"' {
				qs = p
			} else {
				q := p
				for {
					q = s.skipPlain(buf, q)
					if q == len(buf) {
						if !eof {
							goto needMore
						}
						st, en, p, endRow = uint32(p), uint32(q), q, true
						break
					}
					c := buf[q]
					if c == delim {
						st, en, p = uint32(p), uint32(q), q+1
						break
					}
					if c == '\n' {
						st, en, p, endRow = uint32(p), uint32(q), q+1, true
						line++
						break
					}
					if c == '\r' {
						if q+1 < len(buf) {
							if buf[q+1] == '\n' {
								st, en, p, endRow = uint32(p), uint32(q), q+2, true
								line++
								break
							}
							q++ // a lone CR is data
							continue
						}
						if !eof {
							goto needMore
						}
						st, en, p, endRow = uint32(p), uint32(q), q+1, true
						break
					}
					// A quote: leading spaces before an opening quote are
					// forgiven (hand-typed `a, "b, c"`); anywhere else it is
					// malformed.
					if len(bytes.TrimLeft(buf[p:q], " ")) != 0 {
						return scanFull, s.colErr(line, nf, "bare quote in an unquoted field %q (quote the whole field and double the quotes inside it)", truncate(buf[p:min(q+1, len(buf))]))
					}
					qs = q
					break
				}
			}
			if qs >= 0 {
				q := qs + 1
				escaped := false
				for {
					k := bytes.IndexByte(buf[q:], '"')
					if k < 0 {
						if !eof {
							goto needMore
						}
						return scanFull, s.colErr(line, nf, "quoted field never closed (the quote opens here and the input ends)")
					}
					q += k
					if q+1 == len(buf) && !eof {
						goto needMore // a doubled quote may straddle the buffer's end
					}
					if q+1 < len(buf) && buf[q+1] == '"' {
						escaped = true
						q += 2
						continue
					}
					break
				}
				st, en = uint32(qs+1)|flagBit, uint32(q)
				if escaped {
					en |= flagBit
				}
				fieldLine := line
				line += bytes.Count(buf[qs+1:q], []byte{'\n'})
				p = q + 1
				switch {
				case p == len(buf):
					if !eof {
						goto needMore
					}
					endRow = true
				case buf[p] == delim:
					p++
				case buf[p] == '\n':
					p++
					line++
					endRow = true
				case buf[p] == '\r' && p+1 < len(buf) && buf[p+1] == '\n':
					p += 2
					line++
					endRow = true
				case buf[p] == '\r' && p+1 == len(buf):
					if !eof {
						goto needMore
					}
					p++
					endRow = true
				default:
					r, _ := utf8.DecodeRune(buf[p:])
					return scanFull, s.colErr(fieldLine, nf, "unexpected %q after the closing quote of %q (double a quote inside a quoted field)", r, truncate(buf[qs:p]))
				}
			}
			if ncols < 0 || nf < ncols {
				offs = append(offs, st, en)
			}
			nf++
			if endRow {
				break fields
			}
		}
		if ncols >= 0 && nf != ncols {
			return scanFull, &CSVError{Line: rowLine, Msg: fmt.Sprintf("expected %d fields, found %d", ncols, nf)}
		}
		bt.lines = append(bt.lines, rowLine)
		bt.rows++
		s.pos, s.line = p, line
		continue
	needMore:
		offs = offs[:mark]
		return scanNeedMore, nil
	}
	return scanFull, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:37]) + "…"
	}
	return string(b)
}

// missingSet answers "is this text a missing value" without allocating.
type missingSet struct {
	toks []string
	lens uint64 // bit n set when some token has length n (< 64)
	long bool   // some token is 64 bytes or longer
}

func newMissingSet(toks []string) missingSet {
	if toks == nil {
		toks = defaultMissing
	}
	m := missingSet{}
	for _, t := range toks {
		t = strings.Trim(t, " \t")
		if t == "" {
			continue
		}
		m.toks = append(m.toks, t)
		if len(t) < 64 {
			m.lens |= 1 << len(t)
		} else {
			m.long = true
		}
	}
	return m
}

// has reports whether t (already trimmed) is missing.
func (m *missingSet) has(t []byte) bool {
	if len(t) == 0 {
		return true
	}
	if len(t) < 64 && m.lens&(1<<len(t)) == 0 || len(t) >= 64 && !m.long {
		return false
	}
	for _, tok := range m.toks {
		if string(t) == tok {
			return true
		}
	}
	return false
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// csvCol accumulates one column.
type csvCol struct {
	colValues
	name  string
	meta  Field // schema override's metadata
	idx   int
	fixed bool
	tmp   []byte

	err error
}

// colValues is a column being read (CSV or JSON): its type, once a value has
// decided it, the values, and the nulls.
type colValues struct {
	typ     Type // Invalid while no value has decided it
	pending int  // nulls read while undecided
	capHint int  // expected rows, for the first allocation

	f     []float64
	i     []int64 // Int and Time
	s     []string
	b     []bool
	valid Bitmap // nil until the first null

	strs strMaker
}

func (c *colValues) n() int {
	switch c.typ {
	case Float:
		return len(c.f)
	case Int, Time:
		return len(c.i)
	case String:
		return len(c.s)
	case Bool:
		return len(c.b)
	}
	return c.pending
}

// setType gives an undecided column its type, materializing the nulls read so far.
func (c *colValues) setType(t Type) {
	c.typ = t
	n := max(c.capHint, c.pending+64)
	switch t {
	case Float:
		c.f = make([]float64, c.pending, n)
	case Int, Time:
		c.i = make([]int64, c.pending, n)
	case String:
		c.s = make([]string, c.pending, n)
		c.strs.start()
	case Bool:
		c.b = make([]bool, c.pending, n)
	}
	if c.pending > 0 {
		c.valid = NewBitmap(max(c.pending, c.capHint))
		for i := range c.pending {
			c.valid.Set(i, false)
		}
	}
}

// toFloat widens an int column; the caller has checked the ints are exact as floats.
func (c *colValues) toFloat() {
	f := make([]float64, len(c.i), max(cap(c.i), c.capHint))
	for k, v := range c.i {
		f[k] = float64(v)
	}
	c.f, c.i, c.typ = f, nil, Float
}

// toString widens a column to the text of its values.
func (c *colValues) toString() {
	n := c.n()
	s := make([]string, n, max(n+64, c.capHint))
	c.strs.start()
	var tmp []byte
	for k := range n {
		if !c.valid.Valid(k) {
			continue
		}
		tmp = tmp[:0]
		switch c.typ {
		case Int:
			tmp = strconv.AppendInt(tmp, c.i[k], 10)
		case Float:
			tmp = appendFloat(tmp, c.f[k], "NaN")
		case Bool:
			tmp = strconv.AppendBool(tmp, c.b[k])
		case Time:
			tmp = time.Unix(0, c.i[k]).UTC().AppendFormat(tmp, time.RFC3339Nano)
		}
		s[k] = c.strs.make(tmp)
	}
	c.s, c.i, c.f, c.b, c.typ = s, nil, nil, nil, String
}

// column returns the values read as a column.
func (c *colValues) column() Column {
	n := c.n()
	if c.valid != nil {
		c.valid = c.valid.grow(n)
	}
	switch c.typ {
	case Float:
		return NewFloats(c.f, c.valid)
	case Int:
		return NewInts(c.i, c.valid)
	case Bool:
		return NewBools(c.b, c.valid)
	case Time:
		return NewTimes(c.i, c.valid)
	}
	return NewStrings(c.s, c.valid)
}

func (c *csvCol) setNull(n int) {
	if c.valid == nil {
		c.valid = NewBitmap(max(n+1, c.capHint))
	}
	c.valid = c.valid.grow(n + 1)
	c.valid.Set(n, false)
}

func (c *csvCol) appendNull() {
	n := c.n()
	switch c.typ {
	case Float:
		c.f = append(c.f, 0)
	case Int, Time:
		c.i = append(c.i, 0)
	case String:
		c.s = append(c.s, "")
	case Bool:
		c.b = append(c.b, false)
	}
	c.setNull(n)
}

func (c *csvCol) str(b []byte) string { return c.strs.make(b) }

// strMaker makes a column's strings: packed in an arena, and shared while
// the column repeats a few thousand distinct values at most.
type strMaker struct {
	arena  strArena
	intern map[string]string // nil when not interning
	recent [64]string
	hits   int
	misses int
}

// start begins interning (again).
func (m *strMaker) start() { m.intern, m.hits, m.misses = make(map[string]string, 64), 0, 0 }

func (m *strMaker) make(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if m.intern == nil {
		return m.arena.make(b)
	}
	// A direct-mapped cache in front of the map answers most lookups of a
	// low-cardinality column without hashing the whole string.
	h := (uint(len(b))*31 + uint(b[0])*7 + uint(b[len(b)-1])) & uint(len(m.recent)-1)
	if string(b) == m.recent[h] {
		return m.recent[h]
	}
	if s, ok := m.intern[string(b)]; ok {
		m.hits++
		m.recent[h] = s
		return s
	}
	m.misses++
	s := m.arena.make(b)
	if len(m.intern) < internLimit {
		m.intern[s] = s
		m.recent[h] = s
	} else if m.misses > m.hits {
		// Mostly distinct values: the map costs more than it saves.
		m.intern = nil
	}
	return s
}

// strArena packs strings into large chunks, so a string costs its bytes and
// its header rather than an allocation of its own.
type strArena struct{ chunk []byte }

func (a *strArena) make(b []byte) string {
	n := len(b)
	if n > cap(a.chunk)-len(a.chunk) {
		if n >= 1<<14 {
			return string(b)
		}
		a.chunk = make([]byte, 0, min(max(2*cap(a.chunk), 1<<12), 1<<20))
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return unsafe.String(&a.chunk[off], n)
}

// convCtx is what conversion shares, read-only, between columns.
type convCtx struct {
	missing    missingSet
	sampleRows int
	// numericTokens is set when a missing token reads as a number (-999),
	// which the fast paths would otherwise take for a value.
	numericTokens bool
}

// convert appends a batch's values for this column, promoting its type
// when a value does not fit.
func (c *csvCol) convert(bt *csvBatch, cx *convCtx) {
	r := 0
	for r < bt.rows && c.err == nil {
		switch c.typ {
		case Invalid:
			r = c.convUndecided(bt, r, cx)
		case Int:
			r = c.convInt(bt, r, cx)
		case Float:
			r = c.convFloat(bt, r, cx)
		case String:
			r = c.convString(bt, r, cx)
		default:
			r = c.convOther(bt, r, cx)
		}
	}
}

func (c *csvCol) convInt(bt *csvBatch, r int, cx *convCtx) int {
	buf, offs, stride := bt.buf, bt.offs, bt.stride
	for k := r*stride + 2*c.idx; r < bt.rows; r, k = r+1, k+stride {
		// Quoting does not matter outside string columns, doubled quotes aside.
		if st, en := offs[k], offs[k+1]; en < flagBit && !cx.numericTokens {
			if v, ok := parseInt(buf[st&^flagBit : en]); ok {
				c.i = append(c.i, v)
				continue
			}
		}
		if !c.slow(bt, r, cx) {
			return r
		}
	}
	return r
}

func (c *csvCol) convFloat(bt *csvBatch, r int, cx *convCtx) int {
	buf, offs, stride := bt.buf, bt.offs, bt.stride
	for k := r*stride + 2*c.idx; r < bt.rows; r, k = r+1, k+stride {
		// Quoting does not matter outside string columns, doubled quotes aside.
		if st, en := offs[k], offs[k+1]; en < flagBit && !cx.numericTokens {
			if v, ok := parseFloatFast(buf[st&^flagBit : en]); ok {
				c.f = append(c.f, v)
				continue
			}
		}
		if !c.slow(bt, r, cx) {
			return r
		}
	}
	return r
}

func (c *csvCol) convString(bt *csvBatch, r int, cx *convCtx) int {
	buf, offs, stride := bt.buf, bt.offs, bt.stride
	for k := r*stride + 2*c.idx; r < bt.rows; r, k = r+1, k+stride {
		st, en := offs[k], offs[k+1]
		if st&flagBit != 0 {
			// Quoted: literal text.
			b, _ := bt.field(r, c.idx, &c.tmp)
			c.s = append(c.s, c.str(b))
			continue
		}
		b := buf[st:en]
		if len(b) == 0 || cx.missing.has(trimSpace(b)) {
			c.appendNull()
			continue
		}
		c.s = append(c.s, c.str(b))
	}
	return r
}

func (c *csvCol) convOther(bt *csvBatch, r int, cx *convCtx) int {
	for ; r < bt.rows; r++ {
		if !c.slow(bt, r, cx) {
			return r
		}
	}
	return r
}

func (c *csvCol) convUndecided(bt *csvBatch, r int, cx *convCtx) int {
	for ; r < bt.rows; r++ {
		b, _ := bt.field(r, c.idx, &c.tmp)
		if cx.missing.has(trimSpace(b)) {
			c.pending++
			continue
		}
		c.setType(inferType(bt, c.idx, r, min(bt.rows, r+cx.sampleRows), cx, &c.tmp))
		return r
	}
	return r
}

// slow handles a value the fast path did not: quoted, missing, spaced, or
// not of the column's type. It returns false when it promoted the column,
// so the row must be read again; errors are left in c.err.
func (c *csvCol) slow(bt *csvBatch, r int, cx *convCtx) bool {
	b, quoted := bt.field(r, c.idx, &c.tmp)
	t := trimSpace(b)
	if c.typ == String {
		if !quoted && cx.missing.has(t) {
			c.appendNull()
		} else {
			c.s = append(c.s, c.str(b))
		}
		return true
	}
	if cx.missing.has(t) {
		c.appendNull()
		return true
	}
	switch c.typ {
	case Int:
		if v, ok := parseInt(t); ok {
			c.i = append(c.i, v)
			return true
		}
	case Float:
		if v, ok := parseFloat(t); ok {
			c.f = append(c.f, v)
			return true
		}
	case Bool:
		if v, ok := parseBool(t, c.fixed); ok {
			c.b = append(c.b, v)
			return true
		}
	case Time:
		if v, ok := parseTime(t); ok {
			c.i = append(c.i, v)
			return true
		}
	}
	if c.fixed {
		c.err = &CSVError{Line: bt.lines[r], Column: c.name, ColumnNum: c.idx + 1,
			Msg: fmt.Sprintf("cannot read %q as %s", truncate(b), c.typ)}
		return true
	}
	c.promote(t)
	return false
}

// promote widens the column to fit value t: int to float when t is a
// number and every int is exact as a float, else to string.
func (c *csvCol) promote(t []byte) {
	if c.typ == Int {
		if _, ok := parseFloat(t); ok {
			exact := true
			for _, v := range c.i {
				exact = exact && v <= 1<<53 && v >= -(1<<53)
			}
			if exact {
				c.toFloat()
				return
			}
		}
	}
	c.toString()
}

// Candidate types of a value, as a bit set.
const (
	candBool = 1 << iota
	candInt
	candFloat
	candTime
	candAll = candBool | candInt | candFloat | candTime
)

func classify(t []byte) int {
	if _, ok := parseBool(t, false); ok {
		return candBool
	}
	if _, ok := parseInt(t); ok {
		return candInt | candFloat
	}
	if _, ok := parseFloat(t); ok {
		return candFloat
	}
	if _, ok := parseTime(t); ok {
		return candTime
	}
	return 0
}

// inferType picks the narrowest type that every value in rows [from, to)
// fits, or Invalid when they are all missing.
func inferType(bt *csvBatch, col, from, to int, cx *convCtx, tmp *[]byte) Type {
	cand, seen, quotedOnly := candAll, false, false
	for r := from; r < to && cand != 0; r++ {
		b, quoted := bt.field(r, col, tmp)
		t := trimSpace(b)
		if cx.missing.has(t) {
			quotedOnly = quotedOnly || quoted
			continue
		}
		seen = true
		cand &= classify(t)
	}
	switch {
	case !seen && quotedOnly:
		// Only "" or quoted tokens: text that happens to be empty.
		return String
	case !seen:
		return Invalid
	case cand&candBool != 0:
		return Bool
	case cand&candInt != 0:
		return Int
	case cand&candFloat != 0:
		return Float
	case cand&candTime != 0:
		return Time
	}
	return String
}

// parseInt parses an optionally signed decimal integer.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return parseIntLong(b, neg)
	}
	var u int64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		u = u*10 + int64(d)
	}
	if neg {
		u = -u
	}
	return u, true
}

// parseIntLong handles the digit strings that could overflow.
func parseIntLong(b []byte, neg bool) (int64, bool) {
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloatFast parses the common decimal forms exactly: a mantissa of at
// most 19 digits that fits in 53 bits, scaled by a power of ten of at most
// 22, is one correctly rounded operation (Clinger's fast path). Anything
// else reports false for parseFloat to decide.
func parseFloatFast(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var mant uint64
	start := i
	for i < len(b) && b[i]-'0' <= 9 {
		mant = mant*10 + uint64(b[i]-'0')
		i++
	}
	nd, exp := i-start, 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i]-'0' <= 9 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
		nd += i - fs
		exp = fs - i
	}
	if nd == 0 || nd > 19 {
		return 0, false
	}
	if i < len(b) {
		if b[i]|0x20 != 'e' {
			return 0, false
		}
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) || len(b)-i > 3 {
			return 0, false
		}
		e := 0
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				return 0, false
			}
			e = e*10 + int(d)
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	var f float64
	switch {
	case mant == 0:
	case mant > 1<<53 || exp < -22 || exp > 22:
		return 0, false
	case exp < 0:
		f = float64(mant) / pow10[-exp]
	default:
		f = float64(mant) * pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// parseFloat parses a decimal float, "inf" or "infinity" (any case, signed),
// or "nan" (any case). Hexadecimal forms are not numbers in a CSV file.
func parseFloat(b []byte) (float64, bool) {
	if f, ok := parseFloatFast(b); ok {
		return f, true
	}
	if len(b) == 0 || bytes.IndexAny(b, "xX_") >= 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// parseBool reads true/false in any case; when lenient (a column the schema
// says is bool) also t/f, yes/no, y/n and 1/0.
func parseBool(b []byte, lenient bool) (bool, bool) {
	switch len(b) {
	case 4:
		if bytes.EqualFold(b, []byte("true")) {
			return true, true
		}
	case 5:
		if bytes.EqualFold(b, []byte("false")) {
			return false, true
		}
	}
	if !lenient {
		return false, false
	}
	switch strings.ToLower(string(b)) {
	case "t", "yes", "y", "1":
		return true, true
	case "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// unixNano converts t, reporting false outside the years 1677–2262 that
// Unix nanoseconds in an int64 can hold.
func unixNano(t time.Time) (int64, bool) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, false
	}
	return t.UnixNano(), true
}

// parseTime reads the forms ParseTime does, the common ones without its
// trial of layouts.
func parseTime(b []byte) (int64, bool) {
	if len(b) < 10 || b[4] != '-' {
		return 0, false
	}
	if t, ok := parseTimeFast(b); ok {
		return unixNano(t)
	}
	t, err := ParseTime(unsafe.String(&b[0], len(b)))
	if err != nil {
		return 0, false
	}
	return unixNano(t)
}

// parseTimeFast reads YYYY-MM-DD, optionally followed by T or space,
// hh:mm:ss, a fraction of 1–9 digits and Z — a subset of ParseTime's forms
// with the same meaning. Anything else reports false.
func parseTimeFast(b []byte) (time.Time, bool) {
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			if c-'0' > 9 {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	if b[7] != '-' {
		return time.Time{}, false
	}
	y, mo, d := num(b[0:4]), num(b[5:7]), num(b[8:10])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return time.Time{}, false
	}
	if len(b) == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
	}
	if len(b) < 19 || b[10] != 'T' && b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	h, mi, s := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, false
	}
	rest, ns := b[19:], 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && rest[k]-'0' <= 9 {
			k++
		}
		if k == 1 || k > 10 {
			return time.Time{}, false
		}
		ns = num(rest[1:k])
		for range 10 - k {
			ns *= 10
		}
		rest = rest[k:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		rest = rest[1:]
	}
	if len(rest) != 0 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// csvReader holds the state of one ReadCSV call.
type csvReader struct {
	opts    CSVOptions
	sc      csvScanner
	cx      convCtx
	cols    []*csvCol
	batches [2]csvBatch
	workers int
	maxRows int
	size    int64 // input size in bytes, 0 when unknown
}

func newCSVReader(r io.Reader, opts CSVOptions) (*csvReader, error) {
	delim, err := csvDelimiter(opts.Delimiter)
	if err != nil {
		return nil, err
	}
	rd := &csvReader{opts: opts, workers: opts.Workers, maxRows: opts.MaxRows, size: opts.SizeHint}
	if rd.workers <= 0 {
		rd.workers = runtime.GOMAXPROCS(0)
	}
	if rd.maxRows <= 0 {
		rd.maxRows = math.MaxInt
	}
	rd.cx.missing = newMissingSet(opts.MissingTokens)
	for _, tok := range rd.cx.missing.toks {
		_, isInt := parseInt([]byte(tok))
		_, isFloat := parseFloatFast([]byte(tok))
		rd.cx.numericTokens = rd.cx.numericTokens || isInt || isFloat
	}
	rd.cx.sampleRows = opts.SampleRows
	if rd.cx.sampleRows <= 0 {
		rd.cx.sampleRows = defaultSampleRows
	}
	if rd.size <= 0 {
		rd.size = inputSize(r)
	}
	rd.sc = csvScanner{r: r, delim: delim, line: 1, progress: opts.Progress}
	for _, c := range []byte{delim, '\n', '\r', '"'} {
		rd.sc.stop[c] = true
	}
	return rd, nil
}

func csvDelimiter(d rune) (byte, error) {
	if d == 0 {
		return ',', nil
	}
	// Letters, digits and . + - appear in written numbers, booleans and
	// timestamps, which are never quoted.
	if d >= utf8.RuneSelf || d == '"' || d == '\r' || d == '\n' || d == '.' || d == '+' || d == '-' ||
		'0' <= d && d <= '9' || 'a' <= d|0x20 && d|0x20 <= 'z' {
		return 0, fmt.Errorf("delimiter %q is not usable: it must be an ASCII character other than a letter, a digit, a quote, . + - or a line break", d)
	}
	return byte(d), nil
}

// inputSize measures what is left to read of r, when r can tell.
func inputSize(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0
		}
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0
		}
		return fi.Size() - off
	}
	return 0
}

func (rd *csvReader) read() (*Table, error) {
	sc := &rd.sc
	bt := &rd.batches[0]
	first := 64 << 10
	if rd.size > 0 && rd.size < int64(first) {
		first = int(rd.size) + 1 // +1 lets the read see the end of the input
	}
	bt.buf = make([]byte, first)
	sc.buf = bt.buf
	if err := sc.fill(); err != nil {
		return nil, err
	}
	if sc.end >= 3 && string(sc.buf[:3]) == "\ufeff" {
		sc.pos = 3
	}
	// The first row decides the number of columns.
	for {
		st, err := sc.scan(bt, -1, 1)
		if err != nil {
			return nil, err
		}
		if st == scanFull {
			break
		}
		if st == scanEOF {
			return nil, errors.New("the input is empty: no rows")
		}
		if err := sc.grow(bt); err != nil {
			return nil, err
		}
	}
	ncols := len(bt.offs) / 2
	bt.stride = 2 * ncols
	if err := rd.setupColumns(bt, ncols); err != nil {
		return nil, err
	}
	if !rd.opts.NoHeader {
		bt.reset()
	}
	// The first batch is the type-inference sample; the buffer grows until
	// it holds all of it.
	sample := min(rd.cx.sampleRows, rd.maxRows)
	var scanErr error
	for {
		st, err := sc.scan(bt, ncols, sample)
		if err != nil {
			scanErr = err
			break
		}
		// Past 16 MiB the sample is big enough, however few rows it holds.
		if st != scanNeedMore || bt.rows > 0 && len(sc.buf) >= 16<<20 {
			break
		}
		if err := sc.grow(bt); err != nil {
			return nil, err
		}
	}
	for _, c := range rd.cols {
		if !c.fixed {
			c.typ = inferType(bt, c.idx, 0, bt.rows, &rd.cx, &c.tmp)
		}
	}
	rd.estimate(bt)
	for _, c := range rd.cols {
		c.resize()
	}
	rd.convert(bt)
	if err := rd.firstErr(); err != nil {
		return nil, err
	}
	if scanErr != nil {
		return nil, scanErr
	}
	if err := rd.rest(bt.rows); err != nil {
		return nil, err
	}
	return rd.build()
}

// setupColumns names the columns from the header (or Col1…) and applies the
// schema override.
func (rd *csvReader) setupColumns(bt *csvBatch, ncols int) error {
	names := make([]string, ncols)
	var tmp []byte
	for i := range ncols {
		if rd.opts.NoHeader {
			names[i] = "Col" + strconv.Itoa(i+1)
			continue
		}
		b, quoted := bt.field(0, i, &tmp)
		if !quoted {
			b = trimSpace(b)
		}
		names[i] = string(b)
	}
	seen := make(map[string]int, ncols)
	for i, n := range names {
		if n != "" {
			if j, dup := seen[n]; dup {
				return &CSVError{Line: bt.lines[0], Msg: fmt.Sprintf("header: columns %d and %d are both named %q", j+1, i+1, n)}
			}
			seen[n] = i
		}
	}
	for i, n := range names {
		if n == "" {
			n = "Col" + strconv.Itoa(i+1)
			for k := 2; ; k++ {
				if _, taken := seen[n]; !taken {
					break
				}
				n = "Col" + strconv.Itoa(i+1) + "_" + strconv.Itoa(k)
			}
			names[i] = n
			seen[n] = i
		}
	}
	rd.cols = make([]*csvCol, ncols)
	for i, n := range names {
		rd.cols[i] = &csvCol{name: n, idx: i, meta: Field{Name: n}}
	}
	if len(rd.opts.Schema) > 0 {
		if err := rd.opts.Schema.Validate(); err != nil {
			return fmt.Errorf("schema override: %w", err)
		}
		if rd.opts.NoHeader && len(rd.opts.Schema) > ncols {
			return fmt.Errorf("schema override has %d columns but the rows have %d fields", len(rd.opts.Schema), ncols)
		}
		for k, f := range rd.opts.Schema {
			i := k
			if !rd.opts.NoHeader {
				if i = seen[f.Name]; names[i] != f.Name {
					return fmt.Errorf("schema override names column %q, which the header lacks (columns: %s)", f.Name, strings.Join(names, ", "))
				}
			}
			c := rd.cols[i]
			c.name, c.meta, c.fixed, c.typ = f.Name, f, true, f.Type
		}
		final := make(Schema, ncols)
		for i, c := range rd.cols {
			final[i] = Field{Name: c.name, Type: String}
		}
		if err := final.Validate(); err != nil {
			return fmt.Errorf("schema override: %w", err)
		}
	}
	rd.sc.names = make([]string, ncols)
	for i, c := range rd.cols {
		rd.sc.names[i] = c.name
	}
	return nil
}

// estimate sets each column's capacity from the input size and the sample's
// bytes per row, so columns are allocated once instead of growing.
func (rd *csvReader) estimate(bt *csvBatch) {
	rows := bt.rows
	hint := 2 * rows
	if rd.size > 0 && rows > 0 {
		consumed := rd.sc.nread - int64(rd.sc.end-rd.sc.pos)
		perRow := float64(consumed) / float64(rows)
		left := float64(rd.size - consumed)
		if left < 0 {
			left = 0
		}
		hint = rows + int(left/perRow*1.02) + 64
	}
	hint = min(hint, rd.maxRows)
	for _, c := range rd.cols {
		c.capHint = hint
	}
}

// resize gives a typed column its estimated capacity before the first batch.
func (c *csvCol) resize() {
	switch c.typ {
	case Float:
		c.f = make([]float64, 0, c.capHint)
	case Int, Time:
		c.i = make([]int64, 0, c.capHint)
	case String:
		c.s = make([]string, 0, c.capHint)
		if c.strs.intern == nil {
			c.strs.start()
		}
	case Bool:
		c.b = make([]bool, 0, c.capHint)
	}
}

// convert converts a batch, columns shared among the workers.
func (rd *csvReader) convert(bt *csvBatch) {
	if rd.workers <= 1 || len(rd.cols) == 1 {
		for _, c := range rd.cols {
			c.convert(bt, &rd.cx)
		}
		return
	}
	var next atomic.Int64
	var wg parallel.Group
	for range min(rd.workers, len(rd.cols)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(rd.cols) {
					return
				}
				rd.cols[i].convert(bt, &rd.cx)
			}
		})
	}
	wg.Wait()
}

// firstErr returns the conversion error earliest in the input.
func (rd *csvReader) firstErr() error {
	var first *CSVError
	for _, c := range rd.cols {
		var e *CSVError
		if errors.As(c.err, &e) && (first == nil || e.Line < first.Line) {
			first = e
		}
	}
	if first == nil {
		return nil
	}
	return first
}

// rest reads the remaining batches: while the workers convert one, the
// scanner splits the next into rows in the other buffer.
func (rd *csvReader) rest(done int) error {
	sc := &rd.sc
	ncols := len(rd.cols)
	cur := 0
	var inflight parallel.Group
	busy := false
	wait := func() error {
		if busy {
			inflight.Wait()
			busy = false
		}
		return rd.firstErr()
	}
	for done < rd.maxRows {
		cur ^= 1
		bt := &rd.batches[cur]
		bt.reset()
		bt.stride = 2 * ncols
		if err := sc.moveTo(bt); err != nil {
			wait()
			return err
		}
		var st scanStatus
		var scanErr error
		for {
			st, scanErr = sc.scan(bt, ncols, rd.maxRows-done)
			if scanErr != nil || st != scanNeedMore || bt.rows > 0 {
				break
			}
			// Not one whole row fits: the buffer must grow.
			if err := sc.grow(bt); err != nil {
				wait()
				return err
			}
		}
		if err := wait(); err != nil {
			return err
		}
		if bt.rows > 0 {
			done += bt.rows
			if rd.workers <= 1 {
				rd.convert(bt)
			} else {
				busy = true
				inflight.Go(func() { rd.convert(bt) })
			}
		}
		if scanErr != nil {
			if err := wait(); err != nil {
				return err
			}
			return scanErr
		}
		if st != scanNeedMore {
			break
		}
	}
	return wait()
}

func (rd *csvReader) build() (*Table, error) {
	schema := make(Schema, len(rd.cols))
	cols := make([]Column, len(rd.cols))
	rows := -1
	for i, c := range rd.cols {
		if c.typ == Invalid {
			c.setType(String)
		}
		n := c.n()
		if rows >= 0 && n != rows {
			return nil, fmt.Errorf("internal error: column %q has %d rows, expected %d", c.name, n, rows)
		}
		rows = n
		f := c.meta
		f.Name, f.Type = c.name, c.typ
		schema[i], cols[i] = f, c.column()
	}
	return New(schema, cols)
}

// WriteCSV writes the table as delimited text with a header row (unless
// NoHeader), LF line ends, and fields quoted only when they must be: when
// they hold the delimiter, a quote or a line break, are empty, have
// surrounding spaces, or would read back as a missing token. Nulls are empty
// fields — in a one-column table, the first non-empty missing token, since a
// blank line is skipped on reading. Floats use the shortest form that reads
// back exactly ('g'), timestamps RFC 3339 with nanoseconds in UTC; NaN is
// spelled (NaN, nan, NAN, …) so that it is not one of the missing tokens.
func WriteCSV(w io.Writer, t *Table, opts CSVOptions) error {
	delim, err := csvDelimiter(opts.Delimiter)
	if err != nil {
		return err
	}
	wr := csvWriter{delim: delim, missing: newMissingSet(opts.MissingTokens)}
	wr.nan = "NaN"
	for _, v := range nanSpellings() {
		if !wr.missing.has([]byte(v)) {
			wr.nan = v
			break
		}
	}
	wr.null = ""
	if t.NumCols() == 1 {
		wr.null = `""`
		if len(wr.missing.toks) > 0 {
			wr.null = wr.missing.toks[0]
		}
	}
	var head []byte
	if !opts.NoHeader {
		for i := range t.NumCols() {
			if i > 0 {
				head = append(head, delim)
			}
			head = wr.appendText(head, t.Field(i).Name, false)
		}
		head = append(head, '\n')
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Rows are formatted in chunks of about a megabyte, several chunks at a
	// time when there are workers, and written in order.
	const chunkRows = 1 << 14
	bufs := make([][]byte, max(1, min(workers, (t.NumRows()+chunkRows-1)/chunkRows)))
	for k := range bufs {
		bufs[k] = make([]byte, 0, 1<<20)
	}
	for from := 0; from < t.NumRows(); from += len(bufs) * chunkRows {
		if len(bufs) == 1 {
			bufs[0] = wr.appendRows(bufs[0][:0], t, from, min(from+chunkRows, t.NumRows()))
		} else {
			var wg parallel.Group
			for k := range bufs {
				lo := from + k*chunkRows
				hi := min(lo+chunkRows, t.NumRows())
				if lo >= hi {
					bufs[k] = bufs[k][:0]
					continue
				}
				wg.Go(func() { bufs[k] = wr.appendRows(bufs[k][:0], t, lo, hi) })
			}
			wg.Wait()
		}
		for _, b := range bufs {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (wr *csvWriter) appendRows(buf []byte, t *Table, from, to int) []byte {
	for r := from; r < to; r++ {
		for i, c := range t.cols {
			if i > 0 {
				buf = append(buf, wr.delim)
			}
			buf = wr.appendValue(buf, c, r)
		}
		buf = append(buf, '\n')
	}
	return buf
}

// nanSpellings are the case variants strconv reads as NaN.
func nanSpellings() []string {
	out := make([]string, 0, 8)
	for m := range 8 {
		b := []byte("nan")
		for k := range 3 {
			if m&(1<<k) != 0 {
				b[k] -= 'a' - 'A'
			}
		}
		out = append(out, string(b))
	}
	// Prefer the conventional spellings.
	return append([]string{"NaN", "nan", "NAN"}, out...)
}

type csvWriter struct {
	delim   byte
	missing missingSet
	nan     string
	null    string
}

func (wr *csvWriter) appendValue(buf []byte, c Column, r int) []byte {
	switch c := c.(type) {
	case *Floats:
		if !c.ok(r) {
			return append(buf, wr.null...)
		}
		return appendFloat(buf, c.data[r], wr.nan)
	case *Ints:
		if !c.ok(r) {
			return append(buf, wr.null...)
		}
		return strconv.AppendInt(buf, c.data[r], 10)
	case *Strings:
		if !c.ok(r) {
			return append(buf, wr.null...)
		}
		return wr.appendText(buf, c.data[r], true)
	case *Bools:
		if !c.ok(r) {
			return append(buf, wr.null...)
		}
		return strconv.AppendBool(buf, c.data[r])
	case *Times:
		if !c.ok(r) {
			return append(buf, wr.null...)
		}
		if wr.delim == ':' {
			return wr.appendText(buf, c.Format(r), true)
		}
		return c.Time(r).AppendFormat(buf, time.RFC3339Nano)
	}
	if c.Null(r) {
		return append(buf, wr.null...)
	}
	return wr.appendText(buf, c.Format(r), true)
}

// appendText writes s, quoted when reading it back would otherwise change it.
func (wr *csvWriter) appendText(buf []byte, s string, value bool) []byte {
	quote := len(s) == 0 || strings.HasPrefix(s, "\ufeff") || s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t'
	for i := 0; i < len(s) && !quote; i++ {
		c := s[i]
		quote = c == wr.delim || c == '"' || c == '\n' || c == '\r'
	}
	if !quote && value && wr.missing.has([]byte(s)) {
		quote = true
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		buf = append(buf, s[:i+1]...)
		buf = append(buf, '"')
		s = s[i+1:]
	}
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendFloat formats f as strconv's 'g' with the shortest exact digits,
// taking a fast path for values with at most two decimals, which is most
// data. nan is how NaN is written.
func appendFloat(buf []byte, f float64, nan string) []byte {
	if a := math.Abs(f); a >= 0.01 && a < 1e6 {
		m := math.Round(f * 100)
		if m/100 == f {
			// m/100 reads back as f, and no other decimal with at most two
			// places is within an ulp of it, so these are the shortest digits.
			if m < 0 {
				buf = append(buf, '-')
				m = -m
			}
			u := uint64(m)
			buf = strconv.AppendUint(buf, u/100, 10)
			if frac := u % 100; frac != 0 {
				buf = append(buf, '.', byte('0'+frac/10))
				if frac%10 != 0 {
					buf = append(buf, byte('0'+frac%10))
				}
			}
			return buf
		}
	}
	if math.IsNaN(f) {
		return append(buf, nan...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}
