package table

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Column is an immutable sequence of values of one type, any of which may be null.
// The concrete types are *Floats, *Ints, *Strings, *Bools and *Times; code that
// needs the values type-switches to them.
type Column interface {
	Type() Type
	Len() int
	// Null reports whether row i is missing.
	Null(i int) bool
	// NullCount returns the number of missing rows.
	NullCount() int
	// Value returns row i as float64, int64, string, bool or time.Time, or nil when null.
	Value(i int) any
	// Format returns row i as text (as written to CSV), or "" when null.
	Format(i int) string
	// Take returns the rows at the given positions, in that order. A negative
	// position yields a null row (outer joins use this).
	Take(rows []int) Column
	// Slice returns rows [from, to).
	Slice(from, to int) Column
	// Compare orders rows i and j of this column; nulls sort first.
	Compare(i, j int) int
	// AppendKey appends an encoding of row i that is equal for equal values
	// (and distinct for null), for hashing in joins, grouping and de-duplication.
	AppendKey(dst []byte, i int) []byte
}

// vec is the storage shared by all column types.
type vec[T any] struct {
	data  []T
	valid Bitmap
	nulls int
}

func newVec[T any](data []T, valid Bitmap) vec[T] {
	v := vec[T]{data: data, valid: valid}
	v.nulls = valid.nulls(len(data))
	if v.nulls == 0 {
		v.valid = nil
	}
	return v
}

func (v *vec[T]) Len() int         { return len(v.data) }
func (v *vec[T]) Null(i int) bool  { return !v.valid.Valid(i) }
func (v *vec[T]) NullCount() int   { return v.nulls }
func (v *vec[T]) Validity() Bitmap { return v.valid }
func (v *vec[T]) At(i int) T       { return v.data[i] }
func (v *vec[T]) Data() []T        { return v.data }
func (v *vec[T]) ok(i int) bool    { return v.valid.Valid(i) }

func (v *vec[T]) take(rows []int) vec[T] {
	data := make([]T, len(rows))
	var valid Bitmap
	for k, r := range rows {
		if r < 0 || !v.valid.Valid(r) {
			if valid == nil {
				valid = NewBitmap(len(rows))
			}
			valid.Set(k, false)
			continue
		}
		data[k] = v.data[r]
	}
	return newVec(data, valid)
}

func (v *vec[T]) slice(from, to int) vec[T] {
	if v.valid == nil {
		return vec[T]{data: v.data[from:to:to]}
	}
	valid := NewBitmap(to - from)
	for i := from; i < to; i++ {
		if !v.valid.Valid(i) {
			valid.Set(i-from, false)
		}
	}
	return newVec(v.data[from:to:to], valid)
}

func compareNulls(ni, nj bool) (int, bool) {
	switch {
	case ni && nj:
		return 0, true
	case ni:
		return -1, true
	case nj:
		return 1, true
	}
	return 0, false
}

// Floats is a column of float64. NaN is a value, not a null.
type Floats struct{ vec[float64] }

// NewFloats wraps data (not copied) with a validity bitmap (nil: no nulls).
func NewFloats(data []float64, valid Bitmap) *Floats { return &Floats{newVec(data, valid)} }

func (c *Floats) Type() Type { return Float }
func (c *Floats) Value(i int) any {
	if !c.ok(i) {
		return nil
	}
	return c.data[i]
}
func (c *Floats) Format(i int) string {
	if !c.ok(i) {
		return ""
	}
	return strconv.FormatFloat(c.data[i], 'g', -1, 64)
}
func (c *Floats) Take(rows []int) Column    { return &Floats{c.take(rows)} }
func (c *Floats) Slice(from, to int) Column { return &Floats{c.slice(from, to)} }
func (c *Floats) Compare(i, j int) int {
	if r, ok := compareNulls(!c.ok(i), !c.ok(j)); ok {
		return r
	}
	return cmp.Compare(c.data[i], c.data[j])
}
func (c *Floats) AppendKey(dst []byte, i int) []byte {
	if !c.ok(i) {
		return append(dst, 0)
	}
	f := c.data[i]
	if f == 0 {
		f = 0 // fold -0 into 0
	}
	if math.IsNaN(f) {
		f = math.NaN()
	}
	return binary.LittleEndian.AppendUint64(append(dst, 1), math.Float64bits(f))
}

// Ints is a column of int64.
type Ints struct{ vec[int64] }

// NewInts wraps data (not copied) with a validity bitmap (nil: no nulls).
func NewInts(data []int64, valid Bitmap) *Ints { return &Ints{newVec(data, valid)} }

func (c *Ints) Type() Type { return Int }
func (c *Ints) Value(i int) any {
	if !c.ok(i) {
		return nil
	}
	return c.data[i]
}
func (c *Ints) Format(i int) string {
	if !c.ok(i) {
		return ""
	}
	return strconv.FormatInt(c.data[i], 10)
}
func (c *Ints) Take(rows []int) Column    { return &Ints{c.take(rows)} }
func (c *Ints) Slice(from, to int) Column { return &Ints{c.slice(from, to)} }
func (c *Ints) Compare(i, j int) int {
	if r, ok := compareNulls(!c.ok(i), !c.ok(j)); ok {
		return r
	}
	return cmp.Compare(c.data[i], c.data[j])
}
func (c *Ints) AppendKey(dst []byte, i int) []byte {
	if !c.ok(i) {
		return append(dst, 0)
	}
	return binary.LittleEndian.AppendUint64(append(dst, 2), uint64(c.data[i]))
}

// Strings is a column of strings.
type Strings struct{ vec[string] }

// NewStrings wraps data (not copied) with a validity bitmap (nil: no nulls).
func NewStrings(data []string, valid Bitmap) *Strings { return &Strings{newVec(data, valid)} }

func (c *Strings) Type() Type { return String }
func (c *Strings) Value(i int) any {
	if !c.ok(i) {
		return nil
	}
	return c.data[i]
}
func (c *Strings) Format(i int) string {
	if !c.ok(i) {
		return ""
	}
	return c.data[i]
}
func (c *Strings) Take(rows []int) Column    { return &Strings{c.take(rows)} }
func (c *Strings) Slice(from, to int) Column { return &Strings{c.slice(from, to)} }
func (c *Strings) Compare(i, j int) int {
	if r, ok := compareNulls(!c.ok(i), !c.ok(j)); ok {
		return r
	}
	return cmp.Compare(c.data[i], c.data[j])
}
func (c *Strings) AppendKey(dst []byte, i int) []byte {
	if !c.ok(i) {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(append(dst, 3), uint64(len(c.data[i])))
	return append(dst, c.data[i]...)
}

// Bools is a column of booleans.
type Bools struct{ vec[bool] }

// NewBools wraps data (not copied) with a validity bitmap (nil: no nulls).
func NewBools(data []bool, valid Bitmap) *Bools { return &Bools{newVec(data, valid)} }

func (c *Bools) Type() Type { return Bool }
func (c *Bools) Value(i int) any {
	if !c.ok(i) {
		return nil
	}
	return c.data[i]
}
func (c *Bools) Format(i int) string {
	if !c.ok(i) {
		return ""
	}
	return strconv.FormatBool(c.data[i])
}
func (c *Bools) Take(rows []int) Column    { return &Bools{c.take(rows)} }
func (c *Bools) Slice(from, to int) Column { return &Bools{c.slice(from, to)} }
func (c *Bools) Compare(i, j int) int {
	if r, ok := compareNulls(!c.ok(i), !c.ok(j)); ok {
		return r
	}
	return cmp.Compare(b2i(c.data[i]), b2i(c.data[j]))
}
func (c *Bools) AppendKey(dst []byte, i int) []byte {
	if !c.ok(i) {
		return append(dst, 0)
	}
	return append(dst, 4, byte(b2i(c.data[i])))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Times is a column of timestamps stored as Unix nanoseconds (UTC).
type Times struct{ vec[int64] }

// NewTimes wraps Unix-nanosecond data (not copied) with a validity bitmap.
func NewTimes(data []int64, valid Bitmap) *Times { return &Times{newVec(data, valid)} }

func (c *Times) Type() Type { return Time }

// Time returns row i as a time.Time in UTC.
func (c *Times) Time(i int) time.Time { return time.Unix(0, c.data[i]).UTC() }
func (c *Times) Value(i int) any {
	if !c.ok(i) {
		return nil
	}
	return c.Time(i)
}
func (c *Times) Format(i int) string {
	if !c.ok(i) {
		return ""
	}
	return c.Time(i).Format(time.RFC3339Nano)
}
func (c *Times) Take(rows []int) Column    { return &Times{c.take(rows)} }
func (c *Times) Slice(from, to int) Column { return &Times{c.slice(from, to)} }
func (c *Times) Compare(i, j int) int {
	if r, ok := compareNulls(!c.ok(i), !c.ok(j)); ok {
		return r
	}
	return cmp.Compare(c.data[i], c.data[j])
}
func (c *Times) AppendKey(dst []byte, i int) []byte {
	if !c.ok(i) {
		return append(dst, 0)
	}
	return binary.LittleEndian.AppendUint64(append(dst, 5), uint64(c.data[i]))
}

// Float64At returns row i of a numeric column as float64 and whether it is present.
// It is the one place int and float columns are read alike.
func Float64At(c Column, i int) (float64, bool) {
	switch c := c.(type) {
	case *Floats:
		return c.data[i], c.ok(i)
	case *Ints:
		return float64(c.data[i]), c.ok(i)
	case *Bools:
		return float64(b2i(c.data[i])), c.ok(i)
	}
	return 0, false
}

// ToFloats converts a numeric or bool column to a float column; other types are an error.
func ToFloats(c Column) (*Floats, error) {
	switch c := c.(type) {
	case *Floats:
		return c, nil
	case *Ints:
		out := make([]float64, len(c.data))
		for i, v := range c.data {
			out[i] = float64(v)
		}
		return &Floats{vec[float64]{data: out, valid: c.valid, nulls: c.nulls}}, nil
	case *Bools:
		out := make([]float64, len(c.data))
		for i, v := range c.data {
			out[i] = float64(b2i(v))
		}
		return &Floats{vec[float64]{data: out, valid: c.valid, nulls: c.nulls}}, nil
	}
	return nil, fmt.Errorf("cannot use a %s column as numbers", c.Type())
}
