package manipulation

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// keyKind picks how rows' keys are hashed. A single int, timestamp, float or
// string key — by far the commonest — is hashed by value, which is several
// times faster than encoding it; other keys go through Column.AppendKey.
type keyKind uint8

const (
	keyBytes  keyKind = iota // any columns, encoded with AppendKey
	keyWord                  // one int, timestamp or float column, as 64 bits
	keyString                // one string column, by value
)

// rowKeys reads the composite key of each row of a set of equally long columns.
type rowKeys struct {
	kind    keyKind
	cols    []table.Column
	valid   []table.Bitmap // of the columns that have nulls
	isFloat bool
	ints    []int64
	floats  []float64
	strs    []string
	buf     []byte // reused, so looking a key up does not allocate
}

func newRowKeys(cols []table.Column) *rowKeys {
	k := &rowKeys{cols: cols}
	for _, c := range cols {
		if c.NullCount() > 0 {
			k.valid = append(k.valid, validity(c))
		}
	}
	if len(cols) == 1 {
		switch c := cols[0].(type) {
		case *table.Ints:
			k.kind, k.ints = keyWord, c.Data()
		case *table.Times:
			k.kind, k.ints = keyWord, c.Data()
		case *table.Floats:
			k.kind, k.floats, k.isFloat = keyWord, c.Data(), true
		case *table.Strings:
			k.kind, k.strs = keyString, c.Data()
		}
	}
	return k
}

// validity returns a column's null bitmap (nil when it has no nulls).
func validity(c table.Column) table.Bitmap {
	if v, ok := c.(interface{ Validity() table.Bitmap }); ok {
		return v.Validity()
	}
	if c.NullCount() == 0 {
		return nil
	}
	b := table.NewBitmap(c.Len())
	for i := range c.Len() {
		if c.Null(i) {
			b.Set(i, false)
		}
	}
	return b
}

// null reports whether any key column is null in row i.
func (k *rowKeys) null(i int) bool {
	for _, v := range k.valid {
		if !v.Valid(i) {
			return true
		}
	}
	return false
}

func (k *rowKeys) word(i int) uint64 {
	if k.isFloat {
		return floatWord(k.floats[i])
	}
	return uint64(k.ints[i])
}

// floatWord maps floats that compare equal to the same bits (-0 and 0), and
// every NaN to one NaN, as Floats.AppendKey does.
func floatWord(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return math.Float64bits(math.NaN())
	}
	return math.Float64bits(f)
}

func (k *rowKeys) bytes(i int) []byte {
	k.buf = k.buf[:0]
	for _, c := range k.cols {
		k.buf = c.AppendKey(k.buf, i)
	}
	return k.buf
}

// keyIndex numbers distinct keys densely from 0 in order of first addition.
// Readers of one index must have the same key kind (and column types).
type keyIndex struct {
	kind   keyKind
	words  map[uint64]int32
	strs   map[string]int32
	n      int32
	nullID int32 // the null key's id in single-column indexes, -1 until added
}

func newKeyIndex(kind keyKind, hint int) *keyIndex {
	x := &keyIndex{kind: kind, nullID: -1}
	if kind == keyWord {
		x.words = make(map[uint64]int32, hint)
	} else {
		x.strs = make(map[string]int32, hint)
	}
	return x
}

func (x *keyIndex) len() int { return int(x.n) }

// add returns the id of row i's key, numbering a new key. Nulls are a key
// like any other (grouping and de-duplication put them together).
func (x *keyIndex) add(k *rowKeys, i int) int32 {
	switch x.kind {
	case keyWord, keyString:
		if k.null(i) {
			if x.nullID < 0 {
				x.nullID = x.n
				x.n++
			}
			return x.nullID
		}
		if x.kind == keyWord {
			w := k.word(i)
			if id, ok := x.words[w]; ok {
				return id
			}
			x.words[w] = x.n
		} else {
			s := k.strs[i]
			if id, ok := x.strs[s]; ok {
				return id
			}
			x.strs[s] = x.n
		}
	default:
		b := k.bytes(i)
		if id, ok := x.strs[string(b)]; ok {
			return id
		}
		x.strs[string(b)] = x.n
	}
	x.n++
	return x.n - 1
}

// find returns the id of row i's key, or -1 when it was never added.
func (x *keyIndex) find(k *rowKeys, i int) int32 {
	var id int32
	var ok bool
	switch {
	case x.kind != keyBytes && k.null(i):
		return x.nullID
	case x.kind == keyWord:
		id, ok = x.words[k.word(i)]
	case x.kind == keyString:
		id, ok = x.strs[k.strs[i]]
	default:
		id, ok = x.strs[string(k.bytes(i))]
	}
	if !ok {
		return -1
	}
	return id
}

// groupRows gives each of the n rows the id of its key in cols, numbered in
// order of first appearance, and returns the number of distinct keys.
func groupRows(rc *modules.Context, cols []table.Column, n int) ([]int32, int, error) {
	if err := checkRows(n); err != nil {
		return nil, 0, err
	}
	ids := make([]int32, n)
	if len(cols) == 0 {
		return ids, min(n, 1), nil
	}
	k := newRowKeys(cols)
	x := newKeyIndex(k.kind, min(n, 1<<12))
	for i := range n {
		if i%checkEvery == 0 {
			if err := rc.Err(); err != nil {
				return nil, 0, err
			}
		}
		ids[i] = x.add(k, i)
	}
	return ids, x.len(), nil
}

// firstRows returns the first row of each of ng groups.
func firstRows(ids []int32, ng int) []int {
	first := make([]int, ng)
	for g := range first {
		first[g] = -1
	}
	for i, g := range ids {
		if first[g] < 0 {
			first[g] = i
		}
	}
	return first
}

// foldCase returns a column whose values are equal exactly where c's are
// equal ignoring case (as strings.EqualFold decides), for case-insensitive keys.
func foldCase(c *table.Strings) *table.Strings {
	data := c.Data()
	out := make([]string, len(data))
	for i, s := range data {
		out[i] = foldString(s)
	}
	return table.NewStrings(out, c.Validity())
}

// foldString maps every rune to the smallest rune of its simple case-folding
// orbit, a canonical form shared by all spellings EqualFold accepts. For ASCII
// letters that is the upper case, so upper-case ASCII needs no copy.
func foldString(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'a' || s[i] > 'z') {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i]) // keep invalid bytes apart from U+FFFD
		} else {
			b.WriteRune(foldRune(r))
		}
		i += size
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
