package table

import (
	"fmt"
	"math"
	"time"
)

// Builder accumulates values of one Go type and nulls for a new column.
type Builder[T any] struct {
	data  []T
	valid Bitmap // allocated at the first null
}

// NewBuilder returns a builder with room for capacity rows.
func NewBuilder[T any](capacity int) *Builder[T] {
	return &Builder[T]{data: make([]T, 0, capacity)}
}

// Append adds a value.
func (b *Builder[T]) Append(v T) { b.data = append(b.data, v) }

// AppendNull adds a missing value.
func (b *Builder[T]) AppendNull() {
	var zero T
	b.data = append(b.data, zero)
	b.valid = b.valid.grow(len(b.data))
	if b.valid == nil {
		b.valid = NewBitmap(len(b.data))
	}
	b.valid.Set(len(b.data)-1, false)
}

// Len returns the number of rows appended.
func (b *Builder[T]) Len() int { return len(b.data) }

// Data returns the values appended so far (nulls hold the zero value).
func (b *Builder[T]) Data() []T { return b.data }

// Validity returns the validity bitmap, nil when no null was appended.
func (b *Builder[T]) Validity() Bitmap {
	if b.valid != nil {
		b.valid = b.valid.grow(len(b.data))
	}
	return b.valid
}

// ColumnBuilder builds a column of a type chosen at run time from Go values.
type ColumnBuilder interface {
	// AppendValue adds v, converting between compatible Go types; nil is a null.
	AppendValue(v any) error
	AppendNull()
	Len() int
	Build() Column
}

// NewColumnBuilder returns a builder for a column of type t.
func NewColumnBuilder(t Type, capacity int) ColumnBuilder {
	switch t {
	case Float:
		return &floatCB{NewBuilder[float64](capacity)}
	case Int:
		return &intCB{NewBuilder[int64](capacity)}
	case String:
		return &stringCB{NewBuilder[string](capacity)}
	case Bool:
		return &boolCB{NewBuilder[bool](capacity)}
	case Time:
		return &timeCB{NewBuilder[int64](capacity)}
	}
	panic(fmt.Sprintf("table: no builder for %s", t))
}

type floatCB struct{ *Builder[float64] }

func (b *floatCB) Build() Column { return NewFloats(b.data, b.Validity()) }
func (b *floatCB) AppendValue(v any) error {
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case float64:
		b.Append(v)
	case float32:
		b.Append(float64(v))
	case int:
		b.Append(float64(v))
	case int64:
		b.Append(float64(v))
	case bool:
		b.Append(float64(b2i(v)))
	default:
		return fmt.Errorf("cannot store %T %v in a float column", v, v)
	}
	return nil
}

type intCB struct{ *Builder[int64] }

func (b *intCB) Build() Column { return NewInts(b.data, b.Validity()) }
func (b *intCB) AppendValue(v any) error {
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case int64:
		b.Append(v)
	case int:
		b.Append(int64(v))
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return fmt.Errorf("cannot store %v in an int column", v)
		}
		b.Append(int64(v))
	case bool:
		b.Append(int64(b2i(v)))
	default:
		return fmt.Errorf("cannot store %T %v in an int column", v, v)
	}
	return nil
}

type stringCB struct{ *Builder[string] }

func (b *stringCB) Build() Column { return NewStrings(b.data, b.Validity()) }
func (b *stringCB) AppendValue(v any) error {
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case string:
		b.Append(v)
	case fmt.Stringer:
		b.Append(v.String())
	default:
		b.Append(fmt.Sprint(v))
	}
	return nil
}

type boolCB struct{ *Builder[bool] }

func (b *boolCB) Build() Column { return NewBools(b.data, b.Validity()) }
func (b *boolCB) AppendValue(v any) error {
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case bool:
		b.Append(v)
	default:
		return fmt.Errorf("cannot store %T %v in a bool column", v, v)
	}
	return nil
}

type timeCB struct{ *Builder[int64] }

func (b *timeCB) Build() Column { return NewTimes(b.data, b.Validity()) }
func (b *timeCB) AppendValue(v any) error {
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case time.Time:
		ns, ok := unixNano(v)
		if !ok {
			return fmt.Errorf("timestamp %s is outside the years 1678 to 2261 that a column can hold", v.Format(time.RFC3339))
		}
		b.Append(ns)
	case string:
		t, err := ParseTime(v)
		if err != nil {
			return err
		}
		ns, ok := unixNano(t)
		if !ok {
			return fmt.Errorf("timestamp %q is outside the years 1678 to 2261 that a column can hold", v)
		}
		b.Append(ns)
	default:
		return fmt.Errorf("cannot store %T %v in a timestamp column", v, v)
	}
	return nil
}

// timeLayouts are the timestamp forms read from text, most specific first.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime parses a timestamp in RFC 3339 or one of the common ISO-8601 forms
// (date only, date and time with a space or T, with or without a zone). A value
// without a zone is taken as UTC.
func ParseTime(s string) (time.Time, error) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, fmt.Errorf("cannot parse %q as a timestamp (want e.g. 2024-01-31 or 2024-01-31T12:00:00Z)", s)
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a timestamp (want e.g. 2024-01-31 or 2024-01-31T12:00:00Z)", s)
}
