package table

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
)

// Table is an immutable set of equally long columns described by a schema.
type Table struct {
	schema Schema
	cols   []Column
	rows   int
}

// New builds a table. Columns must match the schema's types and all have the same length.
func New(schema Schema, cols []Column) (*Table, error) {
	if len(schema) != len(cols) {
		return nil, fmt.Errorf("schema has %d fields but %d columns were given", len(schema), len(cols))
	}
	if err := schema.Validate(); err != nil {
		return nil, err
	}
	rows := 0
	for i, c := range cols {
		if c.Type() != schema[i].Type {
			return nil, fmt.Errorf("column %q: schema says %s but the column holds %s", schema[i].Name, schema[i].Type, c.Type())
		}
		if i == 0 {
			rows = c.Len()
		} else if c.Len() != rows {
			return nil, fmt.Errorf("column %q has %d rows, column %q has %d", schema[i].Name, c.Len(), schema[0].Name, rows)
		}
	}
	return &Table{schema: schema.Clone(), cols: slices.Clone(cols), rows: rows}, nil
}

// MustNew is New for tests and literals known to be valid; it panics on error.
func MustNew(schema Schema, cols ...Column) *Table {
	t, err := New(schema, cols)
	if err != nil {
		panic(err)
	}
	return t
}

// Empty returns a table with the schema and no rows.
func Empty(schema Schema) *Table {
	cols := make([]Column, len(schema))
	for i, f := range schema {
		cols[i] = NewColumnBuilder(f.Type, 0).Build()
	}
	return &Table{schema: schema.Clone(), cols: cols}
}

// Schema returns a copy of the table's schema.
func (t *Table) Schema() Schema { return t.schema.Clone() }

// Field returns the metadata of column i.
func (t *Table) Field(i int) Field { return t.schema[i] }

// NumRows returns the number of rows.
func (t *Table) NumRows() int { return t.rows }

// NumCols returns the number of columns.
func (t *Table) NumCols() int { return len(t.cols) }

// Column returns column i.
func (t *Table) Column(i int) Column { return t.cols[i] }

// Columns returns the columns in order (the slice is a copy).
func (t *Table) Columns() []Column { return slices.Clone(t.cols) }

// Lookup returns the named column and its index, or an error naming the
// missing column and the columns the table has.
func (t *Table) Lookup(name string) (Column, int, error) {
	i := t.schema.Index(name)
	if i < 0 {
		return nil, -1, t.schema.MissingColumnError(name)
	}
	return t.cols[i], i, nil
}

// Select returns the columns at the given indices, in that order. An index
// given twice is a programming error (column names must stay unique): it
// panics, as an index out of range does.
func (t *Table) Select(idx []int) *Table {
	out := &Table{schema: make(Schema, len(idx)), cols: make([]Column, len(idx)), rows: t.rows}
	seen := make([]bool, len(t.cols))
	for k, i := range idx {
		if seen[i] {
			panic(fmt.Sprintf("table: Select: column %d (%q) selected twice", i, t.schema[i].Name))
		}
		seen[i] = true
		out.schema[k] = t.schema[i]
		out.cols[k] = t.cols[i]
	}
	return out
}

// Take returns the rows at the given positions; a negative position gives a null row.
func (t *Table) Take(rows []int) *Table {
	out := &Table{schema: t.schema.Clone(), cols: make([]Column, len(t.cols)), rows: len(rows)}
	for i, c := range t.cols {
		out.cols[i] = c.Take(rows)
	}
	return out
}

// Filter returns the rows whose mask entry is true. The mask must have one entry a row.
func (t *Table) Filter(mask []bool) *Table {
	if len(mask) != t.rows {
		panic(fmt.Sprintf("table: filter mask has %d entries for %d rows", len(mask), t.rows))
	}
	rows := make([]int, 0, len(mask))
	for i, keep := range mask {
		if keep {
			rows = append(rows, i)
		}
	}
	if len(rows) == t.rows {
		return t
	}
	return t.Take(rows)
}

// Slice returns rows [from, to).
func (t *Table) Slice(from, to int) *Table {
	if from < 0 || to > t.rows || from > to {
		panic(fmt.Sprintf("table: slice [%d:%d] out of range for %d rows", from, to, t.rows))
	}
	out := &Table{schema: t.schema.Clone(), cols: make([]Column, len(t.cols)), rows: to - from}
	for i, c := range t.cols {
		out.cols[i] = c.Slice(from, to)
	}
	return out
}

// WithColumn returns a table with the column added at the end, or replacing the
// column of the same name in place.
func (t *Table) WithColumn(f Field, c Column) (*Table, error) {
	if f.Name == "" {
		return nil, fmt.Errorf("column %d has an empty name", len(t.cols)+1)
	}
	if c.Len() != t.rows && len(t.cols) > 0 {
		return nil, fmt.Errorf("column %q has %d rows, the table has %d", f.Name, c.Len(), t.rows)
	}
	if c.Type() != f.Type {
		return nil, fmt.Errorf("column %q: field says %s but the column holds %s", f.Name, f.Type, c.Type())
	}
	out := &Table{schema: t.schema.Clone(), cols: slices.Clone(t.cols), rows: c.Len()}
	if i := t.schema.Index(f.Name); i >= 0 {
		out.schema[i], out.cols[i] = f, c
	} else {
		out.schema = append(out.schema, f)
		out.cols = append(out.cols, c)
	}
	return out, nil
}

// WithSchema returns the same columns under new metadata (names, roles,
// categorical flags). Types must not change: convert columns for that.
func (t *Table) WithSchema(s Schema) (*Table, error) {
	return New(s, t.cols)
}

// Concat appends the rows of the tables. Columns are matched by name; every
// table must have the same set of names with the same types. The first
// table's column order and metadata win.
func Concat(tables ...*Table) (*Table, error) {
	if len(tables) == 0 {
		return nil, fmt.Errorf("concat: no tables")
	}
	first := tables[0]
	total := 0
	for k, t := range tables {
		if len(t.schema) != len(first.schema) {
			return nil, fmt.Errorf("table %d has %d columns, table 1 has %d", k+1, len(t.schema), len(first.schema))
		}
		for _, f := range first.schema {
			g, ok := t.schema.Field(f.Name)
			if !ok {
				return nil, fmt.Errorf("table %d lacks column %q", k+1, f.Name)
			}
			if g.Type != f.Type {
				return nil, fmt.Errorf("column %q is %s in table 1 but %s in table %d", f.Name, f.Type, g.Type, k+1)
			}
		}
		total += t.rows
	}
	cols := make([]Column, len(first.schema))
	for ci, f := range first.schema {
		parts := make([]Column, len(tables))
		for k, t := range tables {
			parts[k] = t.cols[t.schema.Index(f.Name)]
		}
		cols[ci] = concatColumns(f.Type, parts, total)
	}
	return &Table{schema: first.schema.Clone(), cols: cols, rows: total}, nil
}

func concatColumns(t Type, parts []Column, total int) Column {
	switch t {
	case Float:
		d, v := concatVec(parts, total, func(c Column) *vec[float64] { return &c.(*Floats).vec })
		return NewFloats(d, v)
	case Int:
		d, v := concatVec(parts, total, func(c Column) *vec[int64] { return &c.(*Ints).vec })
		return NewInts(d, v)
	case String:
		d, v := concatVec(parts, total, func(c Column) *vec[string] { return &c.(*Strings).vec })
		return NewStrings(d, v)
	case Bool:
		d, v := concatVec(parts, total, func(c Column) *vec[bool] { return &c.(*Bools).vec })
		return NewBools(d, v)
	case Time:
		d, v := concatVec(parts, total, func(c Column) *vec[int64] { return &c.(*Times).vec })
		return NewTimes(d, v)
	}
	panic("table: concat of invalid type")
}

func concatVec[T any](parts []Column, total int, get func(Column) *vec[T]) ([]T, Bitmap) {
	data := make([]T, 0, total)
	var valid Bitmap
	for _, p := range parts {
		v := get(p)
		if v.nulls > 0 {
			if valid == nil {
				valid = NewBitmap(total)
			}
			for i := range v.data {
				if !v.valid.Valid(i) {
					valid.Set(len(data)+i, false)
				}
			}
		}
		data = append(data, v.data...)
	}
	return data, valid
}

// Row returns row i as Go values (nil for nulls), in column order.
func (t *Table) Row(i int) []any {
	out := make([]any, len(t.cols))
	for k, c := range t.cols {
		out[k] = c.Value(i)
	}
	return out
}

// Hash returns a SHA-256 digest of the schema and every value. Equal tables
// have equal hashes; it is what caches and dataset versions key on.
func (t *Table) Hash() [32]byte {
	h := sha256.New()
	var buf []byte
	for _, f := range t.schema {
		buf = binary.AppendUvarint(buf[:0], uint64(len(f.Name)))
		buf = append(buf, f.Name...)
		buf = append(buf, byte(f.Type), byte(f.Role), byte(b2i(f.Categorical)))
		h.Write(buf)
	}
	buf = binary.AppendUvarint(buf[:0], uint64(t.rows))
	h.Write(buf)
	for _, c := range t.cols {
		buf = buf[:0]
		for i := 0; i < t.rows; i++ {
			buf = c.AppendKey(buf, i)
			if len(buf) > 1<<16 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Equal reports whether two tables have the same schema and values.
func Equal(a, b *Table) bool {
	if a.rows != b.rows || !slices.Equal(a.schema, b.schema) {
		return false
	}
	var ka, kb []byte
	for c := range a.cols {
		for i := 0; i < a.rows; i++ {
			ka = a.cols[c].AppendKey(ka[:0], i)
			kb = b.cols[c].AppendKey(kb[:0], i)
			if string(ka) != string(kb) {
				return false
			}
		}
	}
	return true
}
