package expression

import (
	"strconv"
	"unsafe"
)

// Boxing a float64 or a string into an interface allocates, and the
// evaluator boxes every value it gives the expression: at a million rows
// that is most of the garbage and a fifth of the time. A column's data is
// immutable, so the interface can instead point at the value where the
// column already holds it, as the runtime itself does for boxed values.

// eface is the layout of an interface{} value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	floatTypeWord  = typeWord(0.0)
	intTypeWord    = typeWord(0)
	stringTypeWord = typeWord("")
)

// intIs64 reports whether an int64 can be read in place as an int.
const intIs64 = strconv.IntSize == 64

func boxAt(typ unsafe.Pointer, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// boxFloat returns *p as an interface that refers to *p, which must never change.
func boxFloat(p *float64) any { return boxAt(floatTypeWord, unsafe.Pointer(p)) }

// boxString returns *p as an interface that refers to *p, which must never change.
func boxString(p *string) any { return boxAt(stringTypeWord, unsafe.Pointer(p)) }

// boxInt returns *p as an int interface that refers to *p, which must never
// change; only valid where int is 64 bits.
func boxInt(p *int64) any { return boxAt(intTypeWord, unsafe.Pointer(p)) }
