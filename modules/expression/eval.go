package expression

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// chunkRows is how many rows a goroutine takes at a time. It is a multiple
// of 64 so that no two goroutines ever write the same word of a validity
// bitmap.
const chunkRows = 64 * 64

// binding is a referenced column of the table being evaluated.
type binding struct {
	ref
	col     table.Column
	valid   table.Bitmap // nil when the column has no nulls
	load    func(i int) any
	nullKey string
	ifKey   string
	zero    any
}

func (p *Program) bind(t *table.Table) ([]binding, error) {
	if p.unknownVars {
		return nil, errors.New("expression: compiled without workflow parameter values, so it cannot be evaluated")
	}
	bs := make([]binding, len(p.refs))
	for k, r := range p.refs {
		c, _, err := t.Lookup(r.name)
		if err != nil {
			return nil, err
		}
		if c.Type() != r.typ {
			return nil, fmt.Errorf("column %q is %s, but the expression was compiled for %s", r.name, c.Type(), r.typ)
		}
		b := binding{ref: r, col: c, nullKey: prefixIsNull + r.name, ifKey: prefixIfNull + r.name, zero: zeroOf(r.typ)}
		switch c := c.(type) {
		case *table.Floats:
			d := c.Data()
			b.load, b.valid = func(i int) any { return boxFloat(&d[i]) }, c.Validity()
		case *table.Ints:
			d := c.Data()
			b.load, b.valid = func(i int) any { return int(d[i]) }, c.Validity()
			if intIs64 {
				b.load = func(i int) any { return boxInt(&d[i]) }
			}
		case *table.Strings:
			d := c.Data()
			b.load, b.valid = func(i int) any { return boxString(&d[i]) }, c.Validity()
		case *table.Bools:
			d := c.Data()
			b.load, b.valid = func(i int) any { return d[i] }, c.Validity()
		case *table.Times:
			d := c.Data()
			b.load, b.valid = func(i int) any { return time.Unix(0, d[i]).UTC() }, c.Validity()
		default:
			return nil, fmt.Errorf("column %q has an unsupported column type %T", r.name, c)
		}
		bs[k] = b
	}
	return bs, nil
}

// worker evaluates rows on one goroutine with its own VM and env map, which
// it overwrites in place row after row.
type worker struct {
	p   *Program
	bs  []binding
	vm  vm.VM
	env map[string]any
}

func (p *Program) newWorker(bs []binding) *worker {
	env := make(map[string]any, len(p.vars)+2*len(bs))
	for k, v := range p.vars {
		env[k] = v
	}
	return &worker{p: p, bs: bs, env: env}
}

// eval evaluates row i; null reports a row skipped for a missing value or an
// expression that gave nil.
func (w *worker) eval(i int) (v any, null bool, err error) {
	for k := range w.bs {
		b := &w.bs[k]
		if b.use == useValue && !b.valid.Valid(i) {
			return nil, true, nil
		}
	}
	for k := range w.bs {
		b := &w.bs[k]
		if b.use == useValue {
			w.env[b.key] = b.load(i)
			continue
		}
		ok := b.valid.Valid(i)
		if b.use&useIsNull != 0 {
			w.env[b.nullKey] = !ok
		}
		if b.use&useIfNull != 0 {
			if ok {
				w.env[b.ifKey] = b.load(i)
			} else {
				w.env[b.ifKey] = b.zero
			}
		}
	}
	v, err = w.vm.Run(w.p.prog, w.env)
	if err != nil {
		return nil, false, w.rowError(i, err)
	}
	return v, v == nil, nil
}

// rowError names the row, the position and the values the row gave the
// expression, which is what a user needs to find the culprit.
func (w *worker) rowError(i int, err error) *Error {
	e := &Error{Row: i + 1, Source: w.p.src, Message: err.Error()}
	var fe *file.Error
	if errors.As(err, &fe) {
		e.Message = fe.Message
		if fe.Snippet != "" {
			e.Line, e.Column = fe.Line, fe.Column+1
		}
	}
	e.Message = strings.TrimPrefix(e.Message, "runtime error: ")
	if vals := w.rowValues(i); vals != "" {
		e.Message += " (" + vals + ")"
	}
	return e
}

func (w *worker) rowValues(i int) string {
	var parts []string
	for _, b := range w.bs {
		v := b.col.Format(i)
		if b.col.Null(i) {
			v = "null"
		} else if b.typ == table.String {
			if len(v) > 40 {
				v = v[:40] + "…"
			}
			v = strconv.Quote(v)
		}
		parts = append(parts, writeColumn(b.name)+"="+v)
		if len(parts) == 8 {
			parts = append(parts, "…")
			break
		}
	}
	return strings.Join(parts, ", ")
}

// each evaluates every row of t on up to workers goroutines and hands each
// result to emit, which must only write state owned by row i. The error
// returned is the one of the first failing row, whatever the scheduling.
func (p *Program) each(ctx context.Context, t *table.Table, workers int, emit func(i int, v any, null bool) error) error {
	bs, err := p.bind(t)
	if err != nil {
		return err
	}
	n := t.NumRows()
	chunks := (n + chunkRows - 1) / chunkRows
	workers = max(1, min(workers, chunks))

	var (
		next     atomic.Int64
		limit    atomic.Int64 // rows from here on need no evaluation: an earlier row failed
		mu       sync.Mutex
		firstErr *Error
		ctxErr   error
		wg       parallel.Group
	)
	limit.Store(int64(n))
	fail := func(e *Error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil || e.Row < firstErr.Row {
			firstErr = e
		}
		for {
			l := limit.Load()
			if int64(e.Row-1) >= l || limit.CompareAndSwap(l, int64(e.Row-1)) {
				return
			}
		}
	}
	for range workers {
		wg.Go(func() {
			w := p.newWorker(bs)
			row := -1
			// expr's VM recovers its own panics; this catches ours, which
			// would otherwise take the whole server down from a goroutine.
			defer func() {
				if r := recover(); r != nil {
					fail(&Error{Row: row + 1, Source: p.src, Message: fmt.Sprintf("internal error: %v", r)})
				}
			}()
			for {
				from := int(next.Add(1)-1) * chunkRows
				if from >= n || int64(from) >= limit.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					mu.Lock()
					ctxErr = err
					mu.Unlock()
					return
				}
				to := min(from+chunkRows, n)
				for i := from; i < to; i++ {
					row = i
					v, null, err := w.eval(i)
					if err == nil {
						if err = emit(i, v, null); err != nil {
							e := &Error{Row: i + 1, Source: p.src, Message: err.Error()}
							if vals := w.rowValues(i); vals != "" {
								e.Message += " (" + vals + ")"
							}
							err = e
						}
					}
					if err != nil {
						fail(err.(*Error))
						break
					}
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctxErr
}

// Filter evaluates a true-or-false expression on every row of t, using up to
// workers goroutines. A row where a column the expression uses is null, or
// where the expression gives nil, is false.
func (p *Program) Filter(ctx context.Context, t *table.Table, workers int) ([]bool, error) {
	if rt := p.ResultType(); rt != table.Bool && rt != table.Invalid {
		return nil, &Error{Message: fmt.Sprintf("the expression gives %s, but a condition must give true or false", rt)}
	}
	out := make([]bool, t.NumRows())
	err := p.each(ctx, t, workers, func(i int, v any, null bool) error {
		if null {
			return nil
		}
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("the condition gave %s, not true or false", describeValue(v))
		}
		out[i] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Column evaluates the expression on every row of t into a column of
// ResultType, using up to workers goroutines. A row where a column the
// expression uses is null, or where the expression gives nil, is null.
func (p *Program) Column(ctx context.Context, t *table.Table, workers int) (table.Column, error) {
	switch rt := p.ResultType(); rt {
	case table.Float:
		return collect(ctx, p, t, workers, toFloatValue, table.NewFloats)
	case table.Int:
		return collect(ctx, p, t, workers, toIntValue, table.NewInts)
	case table.String:
		return collect(ctx, p, t, workers, toStringValue, table.NewStrings)
	case table.Bool:
		return collect(ctx, p, t, workers, toBoolValue, table.NewBools)
	case table.Time:
		return collect(ctx, p, t, workers, toTimeValue, table.NewTimes)
	}
	if _, err := p.bind(t); err != nil {
		return nil, err
	}
	return nil, &Error{Message: "the expression's type is only known when it runs; choose the column type"}
}

func collect[T any, C table.Column](ctx context.Context, p *Program, t *table.Table, workers int, conv func(any) (T, error), build func([]T, table.Bitmap) C) (table.Column, error) {
	n := t.NumRows()
	data := make([]T, n)
	valid := table.NewBitmap(n)
	err := p.each(ctx, t, workers, func(i int, v any, null bool) error {
		if null {
			valid.Set(i, false)
			return nil
		}
		x, err := conv(v)
		if err != nil {
			return err
		}
		data[i] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return build(data, valid), nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func toFloatValue(v any) (float64, error) {
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	return 0, fmt.Errorf("the expression gave %s, not a number", describeValue(v))
}

func toIntValue(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), nil
		}
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case float64, float32:
		f, _ := toFloat(x)
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), nil
		}
	}
	return 0, fmt.Errorf("the expression gave %s, which is not a whole number an int column can hold", describeValue(v))
}

func toStringValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case time.Duration:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	}
	if i, err := toIntValue(v); err == nil {
		return strconv.FormatInt(i, 10), nil
	}
	if x, ok := v.(uint64); ok {
		return strconv.FormatUint(x, 10), nil
	}
	if x, ok := v.(uint); ok {
		return strconv.FormatUint(uint64(x), 10), nil
	}
	return "", fmt.Errorf("the expression gave %s, not a single value", describeValue(v))
}

func toBoolValue(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("the expression gave %s, not true or false", describeValue(v))
}

func toTimeValue(v any) (int64, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UnixNano(), nil
	case string:
		t, err := table.ParseTime(x)
		if err != nil {
			return 0, err
		}
		return t.UnixNano(), nil
	}
	return 0, fmt.Errorf("the expression gave %s, not a timestamp", describeValue(v))
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("the string %q", x)
	case bool, int, int64, float64:
		return fmt.Sprintf("%T %v", x, x)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("a %T", v)
}
