package manipulation

import (
	"fmt"
	"slices"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// JoinData joins two datasets on key columns, as a SQL join does.
type JoinData struct{}

// The join types.
const (
	joinInner     = "inner"
	joinLeftOuter = "left_outer"
	joinFullOuter = "full_outer"
	joinLeftSemi  = "left_semi"
)

// Spec implements modules.Module.
func (JoinData) Spec() modules.Spec {
	return modules.Spec{
		ID: "join_data", Version: 1, Name: "Join Data", Category: modules.CategoryManipulation,
		Summary: "Joins two datasets on matching key columns: inner, left outer, full outer or left semi join.",
		Help: "Rows match when each left key equals the right key paired with it: keys pair up in the order " +
			"given, so both key lists name the same number of columns. Paired keys must have the same type, " +
			"except that int and float keys match as numbers. Missing key values never match, as in SQL.\n\n" +
			"Inner join keeps the matching pairs. Left outer join also keeps the left rows that match nothing, " +
			"with the right columns missing. Full outer join also keeps the right rows that match nothing. " +
			"Left semi join keeps each left row that matches at least once, once, with only the left columns.\n\n" +
			"Rows come out in the left dataset's order (a left row's matches in the right dataset's order), " +
			"followed, in a full outer join, by the unmatched right rows in their order.\n\n" +
			"The result has every left column, then the right columns without the right keys (unless " +
			"Keep right key columns is set). A right column whose name the left dataset already uses gets " +
			"\" (2)\" appended to its name (\" (3)\" if that is taken too). In a full outer join without the " +
			"right keys, the left key columns hold the right key values on rows only the right dataset has; " +
			"an int key paired with a float key is then a float column.",
		Inputs: []modules.Port{
			{Name: "left", Label: "Left dataset", Kind: modules.KindTable},
			{Name: "right", Label: "Right dataset", Kind: modules.KindTable},
		},
		Outputs: resultsPort,
		Params: []modules.Param{
			{Name: "left_keys", Label: "Left key columns", Type: modules.ParamColumns, Input: "left", Required: true,
				Help: "The key columns of the left dataset, in the order they pair with the right keys.", Example: `["customer_id"]`},
			{Name: "right_keys", Label: "Right key columns", Type: modules.ParamColumns, Input: "right", Required: true,
				Help: "The key columns of the right dataset, one for each left key, in the same order.", Example: `["id"]`},
			{Name: "type", Label: "Join type", Type: modules.ParamChoice, Default: joinInner,
				Help: "Which rows to keep.",
				Choices: []modules.Choice{
					{Value: joinInner, Label: "Inner join", Help: "Only rows that match."},
					{Value: joinLeftOuter, Label: "Left outer join", Help: "Every left row; right columns missing where nothing matches."},
					{Value: joinFullOuter, Label: "Full outer join", Help: "Every row of both datasets, matched where possible."},
					{Value: joinLeftSemi, Label: "Left semi-join", Help: "Left rows that match, once each, with left columns only."},
				}},
			{Name: "keep_right_keys", Label: "Keep right key columns", Type: modules.ParamBool, Default: false,
				Help: "Also output the right key columns (a left semi-join never outputs right columns)."},
			{Name: "case_sensitive", Label: "Match case", Type: modules.ParamBool, Default: true,
				Help: "Whether string keys that differ only in case are different; when off, \"Oslo\" matches \"OSLO\"."},
		},
	}
}

// joinPlan is what the parameters and the two schemas decide.
type joinPlan struct {
	how      string
	lk, rk   []int        // paired key columns
	rightOut []int        // right columns in the output, in order
	coalesce map[int]int  // left key column -> pair number, when it takes right-only rows' keys
	schema   table.Schema // of the output
}

func (JoinData) plan(p modules.Params, ls, rs table.Schema) (*joinPlan, error) {
	lk, err := joinKeys(p, "left_keys", ls)
	if err != nil {
		return nil, err
	}
	rk, err := joinKeys(p, "right_keys", rs)
	if err != nil {
		return nil, err
	}
	if len(lk) != len(rk) {
		return nil, modules.ParamErrf("right_keys", "names %d columns but the left keys are %d; give one right key for each left key", len(rk), len(lk))
	}
	for k := range lk {
		lf, rf := ls[lk[k]], rs[rk[k]]
		if lf.Type != rf.Type && !(lf.Type.Numeric() && rf.Type.Numeric()) {
			return nil, modules.ParamErrf("right_keys", "left key %q is %s but right key %q is %s; paired keys need the same type (int and float may pair)",
				lf.Name, lf.Type, rf.Name, rf.Type)
		}
	}
	pl := &joinPlan{how: p.String("type"), lk: lk, rk: rk, schema: ls.Clone()}
	if pl.how == joinLeftSemi {
		return pl, nil
	}
	keep := p.Bool("keep_right_keys")
	var right table.Schema
	for j, f := range rs {
		if keep || !slices.Contains(rk, j) {
			pl.rightOut = append(pl.rightOut, j)
			right = append(right, f)
		}
	}
	if pl.how == joinFullOuter && !keep {
		pl.coalesce = make(map[int]int, len(lk))
		for k, i := range lk {
			pl.coalesce[i] = k
			if ls[i].Type != rs[rk[k]].Type {
				pl.schema[i].Type = table.Float
			}
		}
	}
	pl.schema = sideBySide(pl.schema, right)
	return pl, nil
}

func joinKeys(p modules.Params, name string, s table.Schema) ([]int, error) {
	idx, err := p.Columns(name).Resolve(s)
	if err != nil {
		return nil, modules.ParamErr(name, err)
	}
	if len(idx) == 0 {
		return nil, modules.ParamErrf(name, "selects no columns; choose at least one key column")
	}
	return idx, nil
}

// Infer implements modules.Module.
func (m JoinData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	ls, lok := ic.Schema("left")
	rs, rok := ic.Schema("right")
	switch {
	case lok && rok:
		pl, err := m.plan(ic.Params, ls, rs)
		if err != nil {
			return nil, err
		}
		return []*modules.Shape{modules.TableShape(pl.schema)}, nil
	case lok:
		if _, err := joinKeys(ic.Params, "left_keys", ls); err != nil {
			return nil, err
		}
	case rok:
		if _, err := joinKeys(ic.Params, "right_keys", rs); err != nil {
			return nil, err
		}
	}
	return []*modules.Shape{nil}, nil
}

// Run implements modules.Runner.
func (m JoinData) Run(rc *modules.Context) error {
	lt, err := rc.Table("left")
	if err != nil {
		return err
	}
	rt, err := rc.Table("right")
	if err != nil {
		return err
	}
	pl, err := m.plan(rc.Params, lt.Schema(), rt.Schema())
	if err != nil {
		return err
	}
	if err := checkRows(max(lt.NumRows(), rt.NumRows())); err != nil {
		return err
	}
	lkeys, rkeys := pl.keyColumns(lt, rt, rc.Params.Bool("case_sensitive"))
	lrows, rrows, head, err := matchRows(rc, lkeys, rkeys, lt.NumRows(), rt.NumRows(), pl.how)
	if err != nil {
		return err
	}
	rc.Progress(0.7)
	cols := make([]table.Column, 0, len(pl.schema))
	for i, c := range lt.Columns() {
		if k, ok := pl.coalesce[i]; ok {
			c, err = coalesceKey(c, rt.Column(pl.rk[k]), lrows[:head], rrows[head:], pl.schema[i].Type)
			if err != nil {
				return err
			}
		} else {
			c = c.Take(lrows)
		}
		cols = append(cols, c)
	}
	for _, j := range pl.rightOut {
		cols = append(cols, rt.Column(j).Take(rrows))
	}
	out, err := table.New(pl.schema, cols)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}

// keyColumns returns the paired key columns made comparable: an int key
// paired with a float key is read as floats on both sides, and string keys
// are case-folded when case does not matter.
func (pl *joinPlan) keyColumns(lt, rt *table.Table, caseSensitive bool) (lcols, rcols []table.Column) {
	for k := range pl.lk {
		a, b := lt.Column(pl.lk[k]), rt.Column(pl.rk[k])
		if a.Type() != b.Type() {
			// plan allows only int with float here, which ToFloats accepts.
			a, _ = table.ToFloats(a)
			b, _ = table.ToFloats(b)
		}
		if !caseSensitive {
			if s, ok := a.(*table.Strings); ok {
				a, b = foldCase(s), foldCase(b.(*table.Strings))
			}
		}
		lcols, rcols = append(lcols, a), append(rcols, b)
	}
	return lcols, rcols
}

// matchRows pairs the rows of the left and right key columns. It returns the
// output's left and right row numbers (-1 where a side is missing) and how
// many pairs come before the full outer join's right-only rows.
func matchRows(rc *modules.Context, lkeys, rkeys []table.Column, nl, nr int, how string) (lrows, rrows []int, head int, err error) {
	// The hash table holds the distinct keys of the smaller side; the larger
	// side only looks its keys up. Both sides then carry key ids, and every
	// join type is decided from the ids alone, so output order does not
	// depend on which side was built.
	lk, rk := newRowKeys(lkeys), newRowKeys(rkeys)
	build, nb, probe, np := rk, nr, lk, nl
	if nl < nr {
		build, nb, probe, np = lk, nl, rk, nr
	}
	x := newKeyIndex(build.kind, nb)
	bids := make([]int32, nb)
	for i := range nb {
		if i%checkEvery == 0 {
			if err := rc.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		if build.null(i) {
			bids[i] = -1
		} else {
			bids[i] = x.add(build, i)
		}
	}
	rc.Progress(0.3)
	pids := make([]int32, np)
	for i := range np {
		if i%checkEvery == 0 {
			if err := rc.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		if probe.null(i) {
			pids[i] = -1
		} else {
			pids[i] = x.find(probe, i)
		}
	}
	rc.Progress(0.5)
	lid, rid := pids, bids
	if build == lk {
		lid, rid = bids, pids
	}

	// Right rows grouped by key id, each group in right order.
	ng := x.len()
	start := make([]int32, ng+1)
	for _, g := range rid {
		if g >= 0 {
			start[g+1]++
		}
	}
	for g := range ng {
		start[g+1] += start[g]
	}
	byKey := make([]int32, start[ng])
	next := slices.Clone(start[:ng])
	for r, g := range rid {
		if g >= 0 {
			byKey[next[g]] = int32(r)
			next[g]++
		}
	}
	matches := func(g int32) []int32 {
		if g < 0 {
			return nil
		}
		return byKey[start[g]:start[g+1]]
	}

	if how == joinLeftSemi {
		for l, g := range lid {
			if len(matches(g)) > 0 {
				lrows = append(lrows, l)
			}
		}
		return lrows, nil, len(lrows), nil
	}
	outer := how != joinInner
	total := 0
	for _, g := range lid {
		n := len(matches(g))
		if n == 0 && outer {
			n = 1
		}
		total += n
	}
	var leftHas []bool
	if how == joinFullOuter {
		leftHas = make([]bool, ng)
		for _, g := range lid {
			if g >= 0 {
				leftHas[g] = true
			}
		}
		for _, g := range rid {
			if g < 0 || !leftHas[g] {
				total++
			}
		}
	}
	lrows, rrows = make([]int, 0, total), make([]int, 0, total)
	for l, g := range lid {
		if l%checkEvery == 0 {
			if err := rc.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		ms := matches(g)
		for _, r := range ms {
			lrows, rrows = append(lrows, l), append(rrows, int(r))
		}
		if len(ms) == 0 && outer {
			lrows, rrows = append(lrows, l), append(rrows, -1)
		}
	}
	head = len(lrows)
	if how == joinFullOuter {
		for r, g := range rid {
			if g < 0 || !leftHas[g] {
				lrows, rrows = append(lrows, -1), append(rrows, r)
			}
		}
	}
	return lrows, rrows, head, nil
}

// coalesceKey builds a full outer join's left key column: the left values
// of the first len(lrows) rows, then the right values of the right-only rows.
func coalesceKey(l, r table.Column, lrows, rrows []int, t table.Type) (table.Column, error) {
	a := l.Take(lrows)
	if len(rrows) == 0 && a.Type() == t {
		return a, nil
	}
	b := r.Take(rrows)
	var err error
	if a.Type() != t {
		if a, err = table.ToFloats(a); err != nil {
			return nil, err
		}
	}
	if b.Type() != t {
		if b, err = table.ToFloats(b); err != nil {
			return nil, err
		}
	}
	single := func(c table.Column) *table.Table {
		return table.MustNew(table.Schema{{Name: "key", Type: c.Type()}}, c)
	}
	both, err := table.Concat(single(a), single(b))
	if err != nil {
		return nil, fmt.Errorf("joining key columns: %w", err)
	}
	return both.Column(0), nil
}
