package expression

import (
	"fmt"
	"math"
	"slices"

	"github.com/expr-lang/expr/builtin"
)

// function is a pure numeric function added to expr's builtins.
type function struct {
	name  string
	fn    func(args ...any) (any, error)
	types []any
}

// unary and binary overloads: columns are int or float64, and the checker
// does not convert an int argument to a float64 parameter by itself.
var (
	unaryTypes  = []any{new(func(float64) float64), new(func(int) float64)}
	binaryTypes = []any{
		new(func(float64, float64) float64), new(func(float64, int) float64),
		new(func(int, float64) float64), new(func(int, int) float64),
	}
)

func unary(name string, f func(float64) float64) function {
	return function{name: name, types: unaryTypes, fn: func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("%s takes 1 argument, got %d", name, len(args))
		}
		x, ok := toFloat(args[0])
		if !ok {
			return nil, fmt.Errorf("%s needs a number, got %T", name, args[0])
		}
		return f(x), nil
	}}
}

func binary(name string, f func(float64, float64) float64) function {
	return function{name: name, types: binaryTypes, fn: func(args ...any) (any, error) {
		if len(args) != 2 {
			return nil, fmt.Errorf("%s takes 2 arguments, got %d", name, len(args))
		}
		x, ok1 := toFloat(args[0])
		y, ok2 := toFloat(args[1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s needs numbers, got %T and %T", name, args[0], args[1])
		}
		return f(x, y), nil
	}}
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 and NaN keep themselves
}

var functions = []function{
	unary("log", math.Log),
	unary("log10", math.Log10),
	unary("log2", math.Log2),
	unary("exp", math.Exp),
	unary("sqrt", math.Sqrt),
	unary("sign", sign),
	binary("pow", math.Pow),
	{name: "isNaN", types: []any{new(func(float64) bool), new(func(int) bool)}, fn: func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("isNaN takes 1 argument, got %d", len(args))
		}
		x, ok := toFloat(args[0])
		if !ok {
			return nil, fmt.Errorf("isNaN needs a number, got %T", args[0])
		}
		return math.IsNaN(x), nil
	}},
}

// functionNames lists every function an expression may call, for suggestions.
func functionNames() []string {
	var names []string
	for _, f := range builtin.Builtins {
		if !slices.Contains(removed, f.Name) {
			names = append(names, f.Name)
		}
	}
	for _, f := range functions {
		names = append(names, f.name)
	}
	return append(names, "isNull", "ifNull")
}
