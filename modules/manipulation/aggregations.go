package manipulation

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/trellis-studio/trellis/modules/table"
)

// aggFuncs are the aggregate functions, in the order error messages list them.
var aggFuncs = []string{"count", "sum", "mean", "min", "max", "std", "var", "median", "distinct_count"}

// aggItem is one parsed entry of the aggregations parameter.
type aggItem struct {
	fn    string // lower case, one of aggFuncs
	col   string // "" for count(*)
	alias string
	pos   int // 1-based character position in the parameter
	n     int // 1-based item number
}

// name is the output column's name: the alias, or the call in canonical form.
func (a aggItem) name() string {
	switch {
	case a.alias != "":
		return a.alias
	case a.col == "":
		return a.fn + "(*)"
	}
	return a.fn + "(" + a.col + ")"
}

// aggParser reads the aggregation list: items separated by commas, each
// `function(column)` or `count(*)`, optionally followed by `as alias`. A
// column or alias with a comma or parenthesis in it is written in double
// quotes ("" for a quote) or backquotes.
type aggParser struct {
	src []rune
	i   int
}

func (p *aggParser) errorf(pos int, item int, format string, args ...any) error {
	return fmt.Errorf("item %d, at character %d: %s", item, pos+1, fmt.Sprintf(format, args...))
}

func (p *aggParser) space() {
	for p.i < len(p.src) && unicode.IsSpace(p.src[p.i]) {
		p.i++
	}
}

func (p *aggParser) peek() rune {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

// rest returns the next few characters, to show where parsing stopped.
func (p *aggParser) rest() string {
	if p.i >= len(p.src) {
		return "the end"
	}
	return fmt.Sprintf("%q", string(p.src[p.i:min(p.i+12, len(p.src))]))
}

// quoted reads a quoted name starting at the opening quote.
func (p *aggParser) quoted(item int) (string, error) {
	open, q := p.i, p.src[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.src) {
		r := p.src[p.i]
		p.i++
		if r != q {
			b.WriteRune(r)
			continue
		}
		if q == '"' && p.peek() == '"' {
			b.WriteRune('"')
			p.i++
			continue
		}
		if b.Len() == 0 {
			return "", p.errorf(open, item, "empty quoted name")
		}
		return b.String(), nil
	}
	return "", p.errorf(open, item, "quote %c is not closed", q)
}

// raw reads an unquoted name up to any of the stop runes, trimming spaces.
func (p *aggParser) raw(stop string) string {
	start := p.i
	for p.i < len(p.src) && !strings.ContainsRune(stop, p.src[p.i]) {
		p.i++
	}
	return strings.TrimSpace(string(p.src[start:p.i]))
}

func parseAggregations(s string) ([]aggItem, error) {
	p := &aggParser{src: []rune(s)}
	var items []aggItem
	p.space()
	if p.i == len(p.src) {
		return nil, nil
	}
	for n := 1; ; n++ {
		p.space()
		it := aggItem{pos: p.i + 1, n: n}
		start := p.i
		for p.i < len(p.src) && (p.src[p.i] == '_' || unicode.IsLetter(p.src[p.i]) || unicode.IsDigit(p.src[p.i])) {
			p.i++
		}
		name := string(p.src[start:p.i])
		if name == "" {
			return nil, p.errorf(p.i, n, "expected a function such as sum(amount), found %s", p.rest())
		}
		it.fn = strings.ToLower(name)
		if !slices.Contains(aggFuncs, it.fn) {
			return nil, p.errorf(start, n, "unknown function %q (use %s)", name, strings.Join(aggFuncs, ", "))
		}
		p.space()
		if p.peek() != '(' {
			return nil, p.errorf(p.i, n, "expected ( after %s, found %s", name, p.rest())
		}
		p.i++
		p.space()
		switch p.peek() {
		case '*':
			p.i++
			if it.fn != "count" {
				return nil, p.errorf(p.i-1, n, "only count takes *; %s needs a column", it.fn)
			}
		case '"', '`':
			col, err := p.quoted(n)
			if err != nil {
				return nil, err
			}
			it.col = col
		default:
			at := p.i
			if it.col = p.raw("),"); it.col == "" {
				return nil, p.errorf(at, n, "%s needs a column, as in %s(amount)", it.fn, it.fn)
			}
		}
		p.space()
		if p.peek() != ')' {
			return nil, p.errorf(p.i, n, "expected ) to close %s(, found %s", it.fn, p.rest())
		}
		p.i++
		p.space()
		if p.i+2 <= len(p.src) && strings.EqualFold(string(p.src[p.i:p.i+2]), "as") &&
			(p.i+2 == len(p.src) || unicode.IsSpace(p.src[p.i+2]) || p.src[p.i+2] == '"' || p.src[p.i+2] == '`') {
			p.i += 2
			p.space()
			at := p.i
			if r := p.peek(); r == '"' || r == '`' {
				alias, err := p.quoted(n)
				if err != nil {
					return nil, err
				}
				it.alias = alias
			} else if it.alias = p.raw(","); it.alias == "" {
				return nil, p.errorf(at, n, "expected a name after as")
			}
			p.space()
		}
		items = append(items, it)
		if p.i == len(p.src) {
			return items, nil
		}
		if p.peek() != ',' {
			return nil, p.errorf(p.i, n, "expected a comma or \"as\" after %s, found %s", it.name(), p.rest())
		}
		p.i++
		p.space()
		if p.i == len(p.src) {
			return nil, p.errorf(p.i, n+1, "expected an aggregation after the last comma")
		}
	}
}

// aggregate is an aggregation bound to a schema.
type aggregate struct {
	aggItem
	col int // input column, -1 for count(*)
	out table.Field
}

// bindAggregations checks the items against the input schema and works out
// each output column; names must not clash with the group columns or each other.
func bindAggregations(items []aggItem, s table.Schema, groups []int) ([]aggregate, error) {
	taken := map[string]bool{}
	for _, i := range groups {
		taken[s[i].Name] = true
	}
	out := make([]aggregate, len(items))
	for k, it := range items {
		a := aggregate{aggItem: it, col: -1}
		where := fmt.Sprintf("item %d (%s), at character %d", it.n, it.name(), it.pos)
		var in table.Field
		if it.col != "" {
			a.col = s.Index(it.col)
			if a.col < 0 {
				return nil, fmt.Errorf("%s: %w", where, s.MissingColumnError(it.col))
			}
			in = s[a.col]
		}
		switch it.fn {
		case "count", "distinct_count":
			a.out.Type = table.Int
		case "min", "max":
			a.out.Type = in.Type
		default: // sum, mean, std, var, median
			if !in.Type.Numeric() && in.Type != table.Bool {
				return nil, fmt.Errorf("%s: %s needs a numeric or bool column, and %q is %s", where, it.fn, in.Name, in.Type)
			}
			a.out.Type = table.Float
			if it.fn == "sum" && in.Type != table.Float {
				a.out.Type = table.Int // exact, as SQL sums integers
			}
		}
		a.out.Name = it.name()
		if taken[a.out.Name] {
			return nil, fmt.Errorf("%s: the output already has a column named %q; rename one with \"as\"", where, a.out.Name)
		}
		taken[a.out.Name] = true
		out[k] = a
	}
	return out, nil
}
