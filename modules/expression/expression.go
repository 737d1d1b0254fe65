// Package expression evaluates row expressions over tables, for modules such
// as Filter Rows and Add Computed Column. Expressions are written in expr-lang
// (https://expr-lang.org), compiled once against a table schema, and then
// evaluated for every row.
//
// # Names
//
// Every column is a variable of its type: float columns are float64, int
// columns are int (64-bit), string, bool, and timestamp columns are time.Time
// in UTC, with its methods (applied.Year(); Month() and Weekday() are named
// types, so compare int(applied.Month()) == 2). A column whose name is not
// an identifier, is a keyword (in, not, nil, …) or starts with $ is written
// $env["Scored Labels"]. A column named like a function, such
// as date or count, is written bare; calls such as date("2024-01-31") still
// reach the function. Workflow parameters are variables named $name.
//
// # Missing values
//
// A null never reaches the expression. When a column the expression uses is
// null in a row, the row is not evaluated: a filter keeps no such row (it
// yields false) and a computed column is null there. Two forms let an
// expression handle missing values itself:
//
//	isNull(col)         true when col is null in the row
//	ifNull(col, value)  col, or value (converted to col's type) when col is null
//
// A column used inside isNull or ifNull may not also be used directly: the
// direct use would make the row null before isNull could see it, a silent
// trap, so Compile refuses it. An expression that gives nil (for example
// `income > 0 ? income : nil`) yields null in a computed column and false in a
// filter.
//
// # Arithmetic
//
// The operators are expr's: / always divides as floats, so dividing by zero
// gives +Inf, -Inf or NaN as in Go, which are values, not nulls; % by zero is
// an error naming the row. ** and ^ raise to a power. Int arithmetic wraps on
// overflow as in Go.
//
// # Functions
//
// All of expr's builtins that cannot observe the outside world are available
// (len, upper, lower, trim, split, replace, abs, ceil, floor, round, min, max,
// int, float, string, date, duration, …). now() and timezone() are removed,
// date() may not name a time zone and a timestamp's Local() is refused,
// because their results would depend on the clock or the machine rather than
// on the data, which would break caching.
// date() without a zone reads times as UTC. Added: log (natural), log10,
// log2, exp, sqrt, pow, sign and isNaN, which take ints or floats and give
// floats (log of a negative number is NaN, of zero -Inf, as in Go).
package expression

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/trellis-studio/trellis/modules/table"
)

// Limits applied unless an Option changes them.
const (
	DefaultMaxNodes  = 2000
	DefaultMaxLength = 10000 // bytes of source
)

// Error is a problem with an expression: a compile error at a position, or an
// evaluation error at a position in a row.
type Error struct {
	// Line and Column are 1-based; 0 when the position is not known.
	Line, Column int
	// Row is the 1-based table row an evaluation error happened in; 0 for
	// compile errors.
	Row     int
	Message string
	// Source is the expression, given for evaluation errors so a message
	// read far from the designer still says which expression failed.
	Source string

	wrapped error
}

// Unwrap returns table.ErrColumnNotFound for a name that is not a column,
// so callers can treat it like any other missing column.
func (e *Error) Unwrap() error { return e.wrapped }

func (e *Error) Error() string {
	var b strings.Builder
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	b.WriteString("expression")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d, column %d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Source != "" {
		fmt.Fprintf(&b, " (in %s)", quoteSource(e.Source))
	}
	return b.String()
}

func quoteSource(s string) string {
	const max = 200
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Option configures Compile.
type Option func(*config)

type config struct {
	want        table.Type
	wantBool    bool
	maxNodes    int
	maxLength   int
	unknownVars bool
}

// Bool requires the expression to give true or false, as a filter's does.
func Bool() Option { return func(c *config) { c.want, c.wantBool = table.Bool, true } }

// As makes the result a column of type t, converting the expression's value:
// ints to floats, anything to strings, strings to timestamps (parsed as
// table.ParseTime does). Compile refuses conversions that cannot succeed,
// such as a string to a float, or that would lose data silently, such as a
// float to an int (round or int() says how). table.Invalid means the
// default: the expression's own type, which must then be known before it runs.
func As(t table.Type) Option { return func(c *config) { c.want = t } }

// MaxNodes limits the size of the expression's syntax tree; 0 removes the limit.
func MaxNodes(n int) Option { return func(c *config) { c.maxNodes = n } }

// MaxLength limits the source length in bytes; 0 removes the limit.
func MaxLength(n int) Option { return func(c *config) { c.maxLength = n } }

// UnknownVars accepts any $name with a type that is not known, for checking
// an expression before the workflow's parameter values are (a module's
// Infer). A program compiled so cannot be evaluated, and its ResultType is
// table.Invalid when it depends on a parameter.
func UnknownVars() Option { return func(c *config) { c.unknownVars = true } }

// use is how the expression reads one column.
type use uint8

const (
	useValue  use = 1 << iota // directly: a null makes the row null
	useIsNull                 // in isNull(col)
	useIfNull                 // in ifNull(col, value)
)

type ref struct {
	name string
	typ  table.Type
	use  use
	key  string // env key of the value (direct use)
}

// Program is a compiled expression. It is immutable and safe for concurrent use.
type Program struct {
	src         string
	prog        *vm.Program
	refs        []ref // in schema order
	vars        map[string]any
	result      table.Type // the expression's own type; Invalid when unknown
	want        table.Type // the requested column type, or Invalid
	wantBool    bool
	unknownVars bool
}

// Source returns the expression as written.
func (p *Program) Source() string { return p.src }

// Columns returns the names of the columns the expression reads, in schema order.
func (p *Program) Columns() []string {
	out := make([]string, len(p.refs))
	for i, r := range p.refs {
		out[i] = r.name
	}
	return out
}

// ResultType returns the type of the column the expression produces: the
// type asked for with As or Bool, else the expression's own type.
// It is table.Invalid only for programs compiled with UnknownVars whose type
// depends on a parameter.
func (p *Program) ResultType() table.Type {
	if p.want != table.Invalid {
		return p.want
	}
	return p.result
}

// Env keys. Columns whose names are identifiers (and not function names) are
// keyed by name so they can be written bare; every other key starts with a
// control byte, which cannot be typed as an identifier, so the user reaches
// them only through the forms the patcher rewrites.
const (
	prefixHidden = "\x01" // a column reachable only as $env["name"]
	prefixIsNull = "\x02" // isNull(name)
	prefixIfNull = "\x03" // the value inside ifNull(name, …), zero when null
)

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// reserved are names that must stay functions: a column in the env under one
// of them would shadow the function in every call.
var reserved = func() map[string]bool {
	m := map[string]bool{"$env": true, "isNull": true, "ifNull": true}
	for name := range builtin.Index {
		m[name] = true
	}
	for _, f := range functions {
		m[f.name] = true
	}
	return m
}()

// removed are builtins whose results depend on the clock or the machine.
var removed = []string{"now", "timezone"}

func isIdent(s string) bool {
	for i, r := range s {
		if r == '_' || r == '$' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return s != ""
}

// keywords are identifiers the lexer reads as operators or literals.
var keywords = map[string]bool{
	"not": true, "in": true, "or": true, "and": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "let": true, "if": true, "else": true,
	"true": true, "false": true, "nil": true,
}

// bare reports whether a column can be written as a plain name.
func bare(name string) bool {
	return isIdent(name) && !keywords[name] && !strings.HasPrefix(name, "$")
}

func valueKey(name string) string {
	if bare(name) && !reserved[name] {
		return name
	}
	return prefixHidden + name
}

// writeColumn returns how a column is written in an expression.
func writeColumn(name string) string {
	if bare(name) {
		return name
	}
	return fmt.Sprintf("$env[%q]", name)
}

// colType is the Go type a column's values have in the expression.
func colType(t table.Type) types.Type {
	switch t {
	case table.Float:
		return types.Float64
	case table.Int:
		return types.Int
	case table.String:
		return types.String
	case table.Bool:
		return types.Bool
	case table.Time:
		return types.TypeOf(time.Time{})
	}
	return types.Any
}

func zeroOf(t table.Type) any {
	switch t {
	case table.Float:
		return 0.0
	case table.Int:
		return 0
	case table.String:
		return ""
	case table.Bool:
		return false
	case table.Time:
		return time.Time{}
	}
	return nil
}

// normVar gives a workflow parameter value the Go type expressions use, so
// that a parameter and a column of the same kind compare and add alike.
func normVar(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case int64:
		return int(x)
	case int32:
		return int(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// Compile compiles src against a table schema and workflow parameter values
// (vars maps a name without its "$" to its value). Errors are *Error.
func Compile(src string, schema table.Schema, vars map[string]any, opts ...Option) (p *Program, err error) {
	c := config{maxNodes: DefaultMaxNodes, maxLength: DefaultMaxLength}
	for _, o := range opts {
		o(&c)
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Message: "the expression is empty"}
	}
	if c.maxLength > 0 && len(src) > c.maxLength {
		return nil, &Error{Message: fmt.Sprintf("the expression is %d bytes long; the limit is %d", len(src), c.maxLength)}
	}
	// expr is fuzzed upstream, but a panic in it must not take a run down.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &Error{Message: fmt.Sprintf("cannot compile the expression: %v", r)}
		}
	}()

	env := types.Map{}
	byKey := map[string]int{}      // env key → schema index
	envKeys := map[string]string{} // name in $env["name"] → env key
	for i, f := range schema {
		k := valueKey(f.Name)
		env[k] = colType(f.Type)
		env[prefixIsNull+f.Name] = types.Bool
		env[prefixIfNull+f.Name] = colType(f.Type)
		byKey[k], byKey[prefixIsNull+f.Name], byKey[prefixIfNull+f.Name] = i, i, i
		envKeys[f.Name] = k
	}
	runVars := map[string]any{}
	for name, v := range vars {
		v = normVar(v)
		env["$"+name] = types.TypeOf(v)
		envKeys["$"+name] = "$" + name
		runVars["$"+name] = v
	}
	if c.unknownVars {
		if toks, err := lexer.Lex(file.NewSource(src)); err == nil {
			for _, t := range toks {
				if t.Kind == lexer.Identifier && strings.HasPrefix(t.Value, "$") && t.Value != "$env" {
					if _, ok := env[t.Value]; !ok {
						env[t.Value] = types.Any
						envKeys[t.Value] = t.Value
					}
				}
			}
		}
	}

	pt := &patcher{src: src, schema: schema, byKey: byKey, envKeys: envKeys}
	options := []expr.Option{expr.Env(env), expr.MaxNodes(uint(max(c.maxNodes, 0))), expr.Patch(pt)}
	for _, name := range removed {
		options = append(options, expr.DisableBuiltin(name))
	}
	for _, f := range functions {
		options = append(options, expr.Function(f.name, f.fn, f.types...))
	}
	prog, err := expr.Compile(src, options...)
	if pt.err != nil {
		return nil, pt.err
	}
	if err != nil {
		return nil, compileError(src, err, schema, vars)
	}

	an := analyzer{src: src, schema: schema, byKey: byKey, vars: runVars, uses: make([]use, len(schema)), direct: make([]file.Location, len(schema))}
	ast.Walk(new(prog.Node()), &an)
	if an.err != nil {
		return nil, an.err
	}
	p = &Program{src: src, prog: prog, vars: runVars, want: c.want, wantBool: c.wantBool, unknownVars: c.unknownVars}
	for i, u := range an.uses {
		if u == 0 {
			continue
		}
		if u&useValue != 0 && u != useValue {
			return nil, errorAt(src, an.direct[i], fmt.Sprintf(
				"column %q is used both directly and in isNull or ifNull; a missing value makes a direct use skip the whole row before isNull can see it, so write ifNull(%s, …) here too",
				schema[i].Name, writeColumn(schema[i].Name)))
		}
		p.refs = append(p.refs, ref{name: schema[i].Name, typ: schema[i].Type, use: u, key: valueKey(schema[i].Name)})
	}
	if err := p.checkResult(prog.Node()); err != nil {
		return nil, err
	}
	return p, nil
}

// checkResult maps the checker's type of the whole expression to a column
// type and checks it against the requested one.
func (p *Program) checkResult(root ast.Node) error {
	t := root.Type()
	bad := func(format string, args ...any) error {
		return &Error{Line: 1, Column: 1, Message: fmt.Sprintf(format, args...)}
	}
	known := true
	switch {
	case t == nil || t.Kind() == reflect.Interface:
		known = false
	case t == durationType:
		return bad("the expression gives a duration, which is not a column type; convert it, e.g. (end - start).Hours()")
	case t == timeType:
		p.result = table.Time
	default:
		switch t.Kind() {
		case reflect.Bool:
			p.result = table.Bool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			p.result = table.Int
		case reflect.Float32, reflect.Float64:
			p.result = table.Float
		case reflect.String:
			p.result = table.String
		default:
			return bad("the expression gives %s, not a single value a column can hold", describeType(t))
		}
	}
	if !known {
		if p.want == table.Invalid && !p.unknownVars {
			return bad("the expression's type is only known when it runs (its branches may give different types); choose the column type")
		}
		return nil
	}
	if p.wantBool && p.result != table.Bool {
		return bad("the expression gives %s, but a condition must give true or false", p.result)
	}
	if p.want == table.Invalid || p.want == p.result {
		return nil
	}
	ok := false
	switch p.want {
	case table.Float:
		ok = p.result == table.Int
	case table.String:
		ok = true
	case table.Time:
		ok = p.result == table.String
	}
	if !ok {
		hint := ""
		if p.want == table.Int && p.result == table.Float {
			hint = "; use int(…) to truncate or round(…) first"
		}
		return bad("the expression gives %s, which cannot become a %s column%s", p.result, p.want, hint)
	}
	return nil
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Func:
		return "a function"
	}
	return t.String()
}

// patcher rewrites the forms that reach columns by name before the checker
// types the tree: $env["name"] becomes the column's env key, isNull(col)
// reads the column's null flag, and ifNull(col, v) becomes a conditional.
type patcher struct {
	src     string
	schema  table.Schema
	byKey   map[string]int
	envKeys map[string]string
	err     *Error
}

func (pt *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		// A bare name that is also a function's (date, count) is a column
		// here; the parser has already made calls of it into calls, and
		// the CallNode case below restores their callees.
		if k, ok := pt.envKeys[n.Value]; ok && reserved[n.Value] && bare(n.Value) {
			n.Value = k
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "$env" {
			return
		}
		if s, ok := n.Property.(*ast.StringNode); ok {
			if k, ok := pt.envKeys[s.Value]; ok {
				ast.Patch(node, &ast.IdentifierNode{Value: k})
			}
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		if name, ok := strings.CutPrefix(id.Value, prefixHidden); ok && reserved[name] && bare(name) {
			id.Value = name
		}
		if id.Value != "isNull" && id.Value != "ifNull" {
			return
		}
		want := map[string]int{"isNull": 1, "ifNull": 2}[id.Value]
		col := -1
		if len(n.Arguments) == want {
			if a, ok := n.Arguments[0].(*ast.IdentifierNode); ok {
				if i, ok := pt.byKey[a.Value]; ok && a.Value == valueKey(pt.schema[i].Name) {
					col = i
				}
			}
		}
		if col < 0 {
			if pt.err == nil {
				usage := map[string]string{"isNull": "isNull(column)", "ifNull": "ifNull(column, value)"}[id.Value]
				pt.err = errorAt(pt.src, n.Location(), fmt.Sprintf("%s takes a column name: write %s", id.Value, usage))
			}
			return
		}
		name := pt.schema[col].Name
		loc := n.Location()
		ident := func(k string) ast.Node {
			id := &ast.IdentifierNode{Value: k}
			id.SetLocation(loc)
			return id
		}
		if id.Value == "isNull" {
			ast.Patch(node, ident(prefixIsNull+name))
			return
		}
		def := n.Arguments[1]
		if _, isNil := def.(*ast.NilNode); !isNil && pt.schema[col].Type == table.Float {
			// An int default (ifNull(income, 0)) must not make the branches'
			// types differ, which would leave the result's type unknown.
			f := &ast.BuiltinNode{Name: "float", Arguments: []ast.Node{def}}
			f.SetLocation(def.Location())
			def = f
		}
		ast.Patch(node, &ast.ConditionalNode{Cond: ident(prefixIsNull + name), Exp1: def, Exp2: ident(prefixIfNull + name)})
	}
}

// analyzer walks the compiled tree to find the columns it reads and to
// refuse what the evaluator cannot serve.
type analyzer struct {
	src    string
	schema table.Schema
	byKey  map[string]int
	vars   map[string]any
	uses   []use
	direct []file.Location // where each column is first used directly
	err    *Error
}

func (a *analyzer) fail(n ast.Node, format string, args ...any) {
	if a.err == nil {
		a.err = errorAt(a.src, n.Location(), fmt.Sprintf(format, args...))
	}
}

func (a *analyzer) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			a.fail(n, `$env may only be followed by a quoted column name, as in $env["Scored Labels"]`)
			return
		}
		i, ok := a.byKey[n.Value]
		if !ok {
			return
		}
		switch {
		case strings.HasPrefix(n.Value, prefixIsNull):
			a.uses[i] |= useIsNull
		case strings.HasPrefix(n.Value, prefixIfNull):
			a.uses[i] |= useIfNull
		default:
			if a.uses[i]&useValue == 0 {
				a.direct[i] = n.Location()
			}
			a.uses[i] |= useValue
		}
	case *ast.VariableDeclaratorNode:
		// A let that shadowed a column would make the columns found by
		// name differ from those the expression reads.
		if _, ok := a.byKey[valueKey(n.Name)]; ok || a.schema.Index(n.Name) >= 0 {
			a.fail(n, "let %s hides the column of that name; choose another name", n.Name)
		}
		if _, ok := a.vars[n.Name]; ok {
			a.fail(n, "let %s hides the workflow parameter of that name; choose another name", n.Name)
		}
	case *ast.ConditionalNode:
		a.checkIfNull(n)
	case *ast.MemberNode:
		// The server's time zone must not leak into results, for the same
		// reason now() is removed.
		if s, ok := n.Property.(*ast.StringNode); ok && s.Value == "Local" && n.Node.Type() == timeType {
			a.fail(n, "Local() would give a result that depends on the server's time zone; timestamps are in UTC")
		}
	case *ast.BuiltinNode:
		if n.Name == "date" && len(n.Arguments) == 3 {
			a.fail(n, "date() may not name a time zone: times are read as UTC, or give the offset in the layout")
		}
	}
}

// checkIfNull refuses an ifNull whose value cannot have the column's type,
// which would otherwise leave the result's type unknown or fail only on the
// rows where the column is missing.
func (a *analyzer) checkIfNull(n *ast.ConditionalNode) {
	c, ok1 := n.Cond.(*ast.IdentifierNode)
	v, ok2 := n.Exp2.(*ast.IdentifierNode)
	if !ok1 || !ok2 || !strings.HasPrefix(c.Value, prefixIsNull) || !strings.HasPrefix(v.Value, prefixIfNull) {
		return
	}
	f := a.schema[a.byKey[v.Value]]
	def := n.Exp1
	if b, ok := def.(*ast.BuiltinNode); ok && b.Name == "float" && f.Type == table.Float && len(b.Arguments) == 1 {
		def = b.Arguments[0]
	}
	t := def.Type()
	known := func(t reflect.Type) bool { return t != nil && t.Kind() != reflect.Interface }
	switch {
	case !known(t):
		return // known only when it runs; nil is a fine default
	case f.Type == table.Float && isNumberKind(t.Kind()):
		return
	case f.Type != table.Float && known(n.Type()):
		return
	}
	a.fail(n, "ifNull(%s, …) needs %s value like the column's, not %s", writeColumn(f.Name), article(f.Type), t)
}

func article(t table.Type) string {
	if t == table.Int {
		return "an int"
	}
	return "a " + t.String()
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// errorAt returns an Error at a node's location.
func errorAt(src string, loc file.Location, msg string) *Error {
	line, col := position(src, loc.From)
	return &Error{Line: line, Column: col, Message: msg}
}

// position converts a rune offset into a 1-based line and column, as expr counts them.
func position(src string, from int) (line, col int) {
	line, col = 1, 1
	n := 0
	for _, r := range src {
		if n == from {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		n++
	}
	return line, col
}

// compileError turns expr's error into an *Error with a friendlier message.
func compileError(src string, err error, schema table.Schema, vars map[string]any) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &Error{Message: err.Error()}
	}
	e := &Error{Message: fe.Message}
	if fe.Snippet != "" || fe.Line > 0 {
		e.Line, e.Column = fe.Line, fe.Column+1
	} else {
		e.Line, e.Column = position(src, fe.From)
	}
	msg := fe.Message
	switch {
	case strings.HasPrefix(msg, "unknown name ") && calledAt(src, fe.From):
		name := strings.TrimPrefix(msg, "unknown name ")
		if slices.Contains(removed, name) {
			e.Message = fmt.Sprintf("%s() is not available: an expression must give the same result whenever it runs", name)
			break
		}
		e.Message = fmt.Sprintf("unknown function %s", name)
		if s := closest(name, functionNames()); s != "" {
			e.Message += fmt.Sprintf("; did you mean %s?", s)
		}
	case strings.HasPrefix(msg, "unknown name "):
		name := strings.TrimPrefix(msg, "unknown name ")
		e.Message = unknownName(name, schema, vars)
		if !strings.HasPrefix(name, "$") && schema.Index(name) < 0 {
			e.wrapped = table.ErrColumnNotFound
		}
	case strings.Contains(msg, "unexpected token") || strings.Contains(msg, "unrecognized character"):
		for _, f := range schema {
			if !isIdent(f.Name) && strings.Contains(src, f.Name) && !strings.Contains(src, `"`+f.Name+`"`) {
				e.Message += fmt.Sprintf(`; to use the column %q write $env[%q]`, f.Name, f.Name)
				break
			}
		}
	}
	e.Message = strings.NewReplacer(prefixHidden, "", prefixIsNull, "isNull:", prefixIfNull, "ifNull:").Replace(e.Message)
	return e
}

// calledAt reports whether the name at rune offset from is followed by "(".
func calledAt(src string, from int) bool {
	r := []rune(src)
	i := from
	for i < len(r) && (r[i] == '_' || r[i] == '$' || unicode.IsLetter(r[i]) || unicode.IsDigit(r[i])) {
		i++
	}
	for i < len(r) && unicode.IsSpace(r[i]) {
		i++
	}
	return i > from && i < len(r) && r[i] == '('
}

func unknownName(name string, schema table.Schema, vars map[string]any) string {
	if strings.HasPrefix(name, "$") {
		names := make([]string, 0, len(vars))
		for v := range vars {
			names = append(names, "$"+v)
		}
		slices.Sort(names)
		msg := fmt.Sprintf("unknown workflow parameter %s", name)
		if s := closest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		if len(names) == 0 {
			return msg + " (the workflow defines no parameters)"
		}
		return msg + " (defined: " + strings.Join(names, ", ") + ")"
	}
	if i := schema.Index(name); i >= 0 {
		return fmt.Sprintf("column %q has the name of a function; write $env[%q]", name, name)
	}
	msg := fmt.Sprintf("unknown name %q", name)
	if s := closest(name, schema.Names()); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", writeColumn(s))
	}
	return msg + " (columns: " + columnList(schema.Names()) + ")"
}

func columnList(names []string) string {
	const maxShown = 12
	if len(names) <= maxShown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxShown], ", ") + fmt.Sprintf(", … (%d more)", len(names)-maxShown)
}

// closest returns the candidate nearest to name by edit distance (ignoring
// case), or "" when none is near enough to be a plausible typo.
func closest(name string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, len([]rune(name))/3) {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours, the usual typos.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
