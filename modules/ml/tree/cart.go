package tree

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Criterion is the impurity a CART tree minimises.
type Criterion string

// The criteria: Gini and Entropy for classification, Variance for regression.
const (
	Gini     Criterion = "gini"
	Entropy  Criterion = "entropy"
	Variance Criterion = "variance"
)

// TreeParams are a CART tree's hyper-parameters. Sample counts are sums of
// row weights, so a row a bootstrap drew twice counts twice.
type TreeParams struct {
	Criterion Criterion
	// MaxDepth bounds the depth (the root is depth 0); 0 means unlimited.
	MaxDepth int
	// MinSamplesSplit is the least weight a node needs to be split (at least 2).
	MinSamplesSplit float64
	// MinSamplesLeaf is the least weight each child of a split must keep (at least 1).
	MinSamplesLeaf float64
	// MaxFeatures is how many features, drawn at random, each split tries;
	// 0 or at least the number of features means all, in order.
	MaxFeatures int
	// MinImpurityDecrease is the least decrease of weighted impurity, as a
	// fraction of the total training weight, a split must bring.
	MinImpurityDecrease float64
}

func (p TreeParams) normalized(nClasses int) (TreeParams, error) {
	switch p.Criterion {
	case "":
		p.Criterion = Gini
		if nClasses == 0 {
			p.Criterion = Variance
		}
	case Gini, Entropy:
		if nClasses == 0 {
			return p, fmt.Errorf("criterion %s needs classes; use variance for regression", p.Criterion)
		}
	case Variance:
		if nClasses > 0 {
			return p, fmt.Errorf("criterion variance is for regression; use gini or entropy for classes")
		}
	default:
		return p, fmt.Errorf("unknown criterion %q", p.Criterion)
	}
	if p.MaxDepth < 0 {
		return p, fmt.Errorf("max depth %d is negative", p.MaxDepth)
	}
	p.MinSamplesSplit = max(p.MinSamplesSplit, 2)
	p.MinSamplesLeaf = max(p.MinSamplesLeaf, 1)
	if p.MinImpurityDecrease < 0 || math.IsNaN(p.MinImpurityDecrease) {
		return p, fmt.Errorf("min impurity decrease %v is negative", p.MinImpurityDecrease)
	}
	return p, nil
}

// FitTree grows a CART tree. For classification y holds class codes
// 0..nClasses-1 and leaves hold class probabilities; for regression
// (nClasses 0) leaves hold the weighted mean. w are row weights (nil: all 1);
// rng draws the features of each split when MaxFeatures asks for fewer than
// all (nil is allowed otherwise).
func FitTree(ctx context.Context, d Data, y []float64, nClasses int, w []float64, p TreeParams, rng *rand.Rand) (*Tree, error) {
	if nClasses == 1 || nClasses < 0 {
		return nil, fmt.Errorf("need at least two classes, got %d", nClasses)
	}
	if err := d.check(y, nClasses, w); err != nil {
		return nil, err
	}
	if d.NumFeatures() > MaxFeatures {
		return nil, fmt.Errorf("%d features is more than the %d a tree supports", d.NumFeatures(), MaxFeatures)
	}
	p, err := p.normalized(nClasses)
	if err != nil {
		return nil, err
	}
	if p.MaxFeatures > 0 && p.MaxFeatures < d.NumFeatures() && rng == nil {
		return nil, fmt.Errorf("feature sampling needs a random generator")
	}
	return fitTree(ctx, d, y, nClasses, w, p, rng)
}

// fitTree is FitTree on checked inputs.
func fitTree(ctx context.Context, d Data, y []float64, nClasses int, w []float64, p TreeParams, rng *rand.Rand) (*Tree, error) {
	b := newCartBuilder(d, y, nClasses, w, p, rng)
	if len(b.idx) == 0 {
		return nil, fmt.Errorf("every row has weight 0")
	}
	return b.build(ctx)
}

// pair is a feature value and its row, for sorting a node's rows.
type pair struct {
	v float64
	r int32
}

type cartBuilder struct {
	d     Data
	y     []float64
	w     []float64
	k     int // classes, 0 for regression
	width int // length of a stats vector
	shift float64
	p     TreeParams
	rng   *rand.Rand
	t     *Tree

	idx     []int32 // rows with positive weight, grouped by node
	scratch []int32
	pairs   []pair
	sortBuf []pair
	feats   []int
	chosen  []int
	totalW  float64

	// stats scratch vectors
	left, right, miss, nonMiss, tl, tr []float64
	catStats                           []float64
	catOrder, bestOrder                []int
	catKey                             []float64
}

func newCartBuilder(d Data, y []float64, nClasses int, w []float64, p TreeParams, rng *rand.Rand) *cartBuilder {
	b := &cartBuilder{d: d, y: y, w: w, k: nClasses, p: p, rng: rng}
	b.width = nClasses
	if nClasses == 0 {
		b.width = 3 // weight, weighted sum, weighted sum of squares
	}
	n := d.NumRows()
	b.idx = make([]int32, 0, n)
	var sw, swy float64
	for i := range n {
		wi := b.weight(i)
		if wi > 0 {
			b.idx = append(b.idx, int32(i))
			sw += wi
			swy += wi * y[i]
		}
	}
	b.totalW = sw
	if nClasses == 0 && sw > 0 {
		// Centring the target keeps sum-of-squares variance from cancelling.
		b.shift = swy / sw
	}
	b.scratch = make([]int32, 0, len(b.idx))
	b.pairs = make([]pair, 0, len(b.idx))
	b.feats = make([]int, d.NumFeatures())
	for j := range b.feats {
		b.feats[j] = j
	}
	vec := func() []float64 { return make([]float64, b.width) }
	b.left, b.right, b.miss, b.nonMiss, b.tl, b.tr = vec(), vec(), vec(), vec(), vec(), vec()
	b.t = &Tree{k: max(nClasses, 1)}
	return b
}

func (b *cartBuilder) weight(i int) float64 {
	if b.w == nil {
		return 1
	}
	return b.w[i]
}

// add accumulates row r into stats s.
func (b *cartBuilder) add(s []float64, r int32) {
	w := b.weight(int(r))
	if b.k > 0 {
		s[int(b.y[r])] += w
		return
	}
	v := b.y[r] - b.shift
	s[0] += w
	s[1] += w * v
	s[2] += w * v * v
}

func clear0(s []float64) {
	for i := range s {
		s[i] = 0
	}
}

func weightOf(s []float64, k int) float64 {
	if k == 0 {
		return s[0]
	}
	var w float64
	for _, v := range s {
		w += v
	}
	return w
}

// cost is the node's weighted impurity: weight × impurity.
func (b *cartBuilder) cost(s []float64) float64 {
	switch b.p.Criterion {
	case Gini:
		var w, sq float64
		for _, v := range s {
			w += v
			sq += v * v
		}
		if w <= 0 {
			return 0
		}
		return w - sq/w
	case Entropy:
		var w, e float64
		for _, v := range s {
			if v > 0 {
				w += v
				e -= v * math.Log(v)
			}
		}
		if w <= 0 {
			return 0
		}
		return e + w*math.Log(w)
	default:
		if s[0] <= 0 {
			return 0
		}
		return max(s[2]-s[1]*s[1]/s[0], 0)
	}
}

// split is a candidate split of a node.
type split struct {
	gain      float64
	feat      int
	thr       float64
	cat       bool
	catLeft   []int // codes going left, for a categorical split
	missRight bool
}

type task struct {
	node       int32
	start, end int
	depth      int
}

func (b *cartBuilder) build(ctx context.Context) (*Tree, error) {
	t := b.t
	t.nodes = append(t.nodes, node{})
	t.vals = append(t.vals, make([]float64, t.k)...)
	t.weight = append(t.weight, 0)
	stack := []task{{node: 0, start: 0, end: len(b.idx)}}
	total := make([]float64, b.width)
	var sp split
	for done := 0; len(stack) > 0; done++ {
		if done&255 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tk := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		clear0(total)
		for _, r := range b.idx[tk.start:tk.end] {
			b.add(total, r)
		}
		b.setValue(tk.node, total)
		t.nodes[tk.node].left = tk.node // a leaf until split
		if !b.findSplit(tk, total, &sp) {
			continue
		}
		l := int32(len(t.nodes))
		n := &t.nodes[tk.node]
		n.left = l
		n.feat = uint32(sp.feat)
		if sp.missRight {
			n.feat |= flagMissRight
		}
		if sp.cat {
			n.feat |= flagCat
			n.thr = float64(t.addCats(sp.catLeft, b.d.cats(sp.feat)))
		} else {
			n.thr = sp.thr
		}
		mid := b.partition(tk.start, tk.end, n)
		t.nodes = append(t.nodes, node{}, node{})
		t.vals = append(t.vals, make([]float64, 2*t.k)...)
		t.weight = append(t.weight, 0, 0)
		// Right first so the left subtree is grown (and numbered) first.
		stack = append(stack, task{node: l + 1, start: mid, end: tk.end, depth: tk.depth + 1},
			task{node: l, start: tk.start, end: mid, depth: tk.depth + 1})
	}
	t.finish()
	return t, nil
}

func (b *cartBuilder) setValue(i int32, s []float64) {
	t := b.t
	w := weightOf(s, b.k)
	t.weight[i] = w
	v := t.vals[int(i)*t.k : int(i)*t.k+t.k]
	if b.k == 0 {
		v[0] = s[1]/s[0] + b.shift
		return
	}
	for c := range v {
		v[c] = s[c] / w
	}
}

// partition groups the node's rows left then right, keeping order within
// each side, and returns where the right side starts. It decides with the
// node exactly as prediction will.
func (b *cartBuilder) partition(start, end int, n *node) int {
	col := b.d.Cols[n.feature()]
	l := start
	rs := b.scratch[:0]
	for _, r := range b.idx[start:end] {
		if b.t.step(n, col[r]) == 0 {
			b.idx[l] = r
			l++
		} else {
			rs = append(rs, r)
		}
	}
	copy(b.idx[l:end], rs)
	return l
}

func (b *cartBuilder) pure(s []float64) bool {
	if b.k > 0 {
		nz := 0
		for _, v := range s {
			if v > 0 {
				nz++
			}
		}
		return nz <= 1
	}
	return b.cost(s) <= 1e-12*s[2]
}

// findSplit looks for the best split of a node; false makes it a leaf.
func (b *cartBuilder) findSplit(tk task, total []float64, best *split) bool {
	w := weightOf(total, b.k)
	if (b.p.MaxDepth > 0 && tk.depth >= b.p.MaxDepth) || w < b.p.MinSamplesSplit || w < 2*b.p.MinSamplesLeaf || b.pure(total) {
		return false
	}
	*best = split{gain: math.Inf(-1), catLeft: best.catLeft[:0]}
	parent := b.cost(total)
	feats := b.feats
	if m := b.p.MaxFeatures; m > 0 && m < len(feats) {
		// A partial Fisher–Yates shuffle draws m distinct features; trying
		// them in index order makes ties favour the lower index.
		for i := range m {
			j := i + b.rng.IntN(len(feats)-i)
			feats[i], feats[j] = feats[j], feats[i]
		}
		b.chosen = append(b.chosen[:0], feats[:m]...)
		slices.Sort(b.chosen)
		feats = b.chosen
	}
	for _, j := range feats {
		if b.d.cats(j) > 0 {
			b.categoricalSplit(j, tk, total, parent, best)
		} else {
			b.numericSplit(j, tk, total, parent, best)
		}
	}
	if math.IsInf(best.gain, -1) {
		return false
	}
	// Rounding can make an exact tie look slightly negative.
	return best.gain >= -1e-9*parent && best.gain/b.totalW >= b.p.MinImpurityDecrease
}

// evaluate scores left/right (non-missing) plus the missing rows on either
// side and records the better in best when it beats it. It reports whether
// best changed.
func (b *cartBuilder) evaluate(left, right []float64, parent float64, best *split) (better bool, missRight bool) {
	minLeaf := b.p.MinSamplesLeaf
	wm := weightOf(b.miss, b.k)
	wl, wr := weightOf(left, b.k), weightOf(right, b.k)
	if wm == 0 {
		if wl < minLeaf || wr < minLeaf {
			return false, false
		}
		g := parent - b.cost(left) - b.cost(right)
		if g > best.gain {
			best.gain = g
			return true, wr > wl
		}
		return false, false
	}
	found := false
	// Missing rows left.
	if wl+wm >= minLeaf && wr >= minLeaf && wr > 0 {
		for c := range b.tl {
			b.tl[c] = left[c] + b.miss[c]
		}
		g := parent - b.cost(b.tl) - b.cost(right)
		if g > best.gain {
			best.gain, found, missRight = g, true, false
		}
	}
	// Missing rows right.
	if wl >= minLeaf && wr+wm >= minLeaf && wl > 0 {
		for c := range b.tr {
			b.tr[c] = right[c] + b.miss[c]
		}
		g := parent - b.cost(left) - b.cost(b.tr)
		if g > best.gain {
			best.gain, found, missRight = g, true, true
		}
	}
	return found, missRight
}

func (b *cartBuilder) numericSplit(j int, tk task, total []float64, parent float64, best *split) {
	col := b.d.Cols[j]
	pairs := b.pairs[:0]
	clear0(b.miss)
	for _, r := range b.idx[tk.start:tk.end] {
		v := col[r]
		if v != v {
			b.add(b.miss, r)
			continue
		}
		pairs = append(pairs, pair{v, r})
	}
	b.pairs = pairs
	if len(pairs) == 0 {
		return
	}
	sortPairs(pairs, &b.sortBuf)
	for c := range total {
		b.nonMiss[c] = total[c] - b.miss[c]
	}
	if b.k == 0 {
		// Recompute rather than subtract so a node without missing values
		// gets bit-identical stats whatever the order.
		clear0(b.nonMiss)
		for _, p := range pairs {
			b.add(b.nonMiss, p.r)
		}
	}
	clear0(b.left)
	for i := 0; i < len(pairs)-1; i++ {
		b.add(b.left, pairs[i].r)
		a, c := pairs[i].v, pairs[i+1].v
		if a == c {
			continue
		}
		for q := range b.right {
			b.right[q] = b.nonMiss[q] - b.left[q]
		}
		if ok, mr := b.evaluate(b.left, b.right, parent, best); ok {
			thr := a + (c-a)/2
			if thr >= c || math.IsNaN(thr) || math.IsInf(thr, 0) {
				thr = a
			}
			best.feat, best.thr, best.cat, best.missRight = j, clampFinite(thr), false, mr
		}
	}
	// All present values one way, the missing ones the other.
	if weightOf(b.miss, b.k) > 0 {
		clear0(b.right)
		if ok, _ := b.evaluate(b.nonMiss, b.right, parent, best); ok {
			best.feat, best.thr, best.cat, best.missRight = j, math.MaxFloat64, false, true
		}
	}
}

func clampFinite(x float64) float64 {
	return max(-math.MaxFloat64, min(math.MaxFloat64, x))
}

// sortPairs sorts by value, then row, so equal values keep a fixed order.
// Big nodes use a radix sort, which is stable: pairs arrive in row order
// (partitioning keeps it), so equal values stay ordered by row.
func sortPairs(p []pair, scratch *[]pair) {
	if len(p) >= 1024 && slices.IsSortedFunc(p, func(a, b pair) int { return cmp.Compare(a.r, b.r) }) {
		radixSortPairs(p, scratch)
		return
	}
	slices.SortFunc(p, func(a, b pair) int {
		if a.v < b.v {
			return -1
		}
		if a.v > b.v {
			return 1
		}
		return cmp.Compare(a.r, b.r)
	})
}

// sortKey maps a float to an unsigned integer with the same order.
func sortKey(f float64) uint64 {
	u := math.Float64bits(f)
	if u>>63 != 0 {
		return ^u
	}
	return u | 1<<63
}

// radixSortPairs is an LSD radix sort of pairs by value, stable, skipping
// the digit positions where every key agrees.
func radixSortPairs(p []pair, scratch *[]pair) {
	const bits, passes = 11, 6
	if cap(*scratch) < len(p) {
		*scratch = make([]pair, len(p))
	}
	src, dst := p, (*scratch)[:len(p)]
	var counts [passes][1 << bits]int32
	for _, e := range p {
		k := sortKey(e.v)
		for q := range passes {
			counts[q][(k>>(q*bits))&(1<<bits-1)]++
		}
	}
	for q := range passes {
		c := &counts[q]
		if int(c[(sortKey(src[0].v)>>(q*bits))&(1<<bits-1)]) == len(src) {
			continue
		}
		var sum int32
		for d, n := range c {
			c[d] = sum
			sum += n
		}
		for _, e := range src {
			d := (sortKey(e.v) >> (q * bits)) & (1<<bits - 1)
			dst[c[d]] = e
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &p[0] {
		copy(p, src)
	}
}

func (b *cartBuilder) categoricalSplit(j int, tk task, total []float64, parent float64, best *split) {
	k := b.d.cats(j)
	col := b.d.Cols[j]
	wd := b.width
	if cap(b.catStats) < k*wd {
		b.catStats = make([]float64, k*wd)
	}
	cs := b.catStats[:k*wd]
	clear0(cs)
	clear0(b.miss)
	for _, r := range b.idx[tk.start:tk.end] {
		v := col[r]
		if v != v {
			b.add(b.miss, r)
			continue
		}
		c := int(v)
		b.add(cs[c*wd:c*wd+wd], r)
	}
	present := b.catOrder[:0]
	for c := range k {
		if weightOf(cs[c*wd:c*wd+wd], b.k) > 0 {
			present = append(present, c)
		}
	}
	b.catOrder = present
	for q := range total {
		b.nonMiss[q] = total[q] - b.miss[q]
	}
	if len(present) == 0 {
		return
	}
	if cap(b.catKey) < k {
		b.catKey = make([]float64, k)
	}
	key := b.catKey[:k]
	// One ordering for regression and two classes; one per class otherwise.
	orderings := 1
	if b.k > 2 {
		orderings = b.k
	}
	for o := range orderings {
		for _, c := range present {
			s := cs[c*wd : c*wd+wd]
			switch {
			case b.k == 0:
				key[c] = s[1] / s[0]
			case b.k == 2:
				key[c] = s[1] / (s[0] + s[1])
			default:
				key[c] = s[o] / weightOf(s, b.k)
			}
		}
		slices.SortFunc(present, func(a, c int) int { return cmp.Or(cmp.Compare(key[a], key[c]), cmp.Compare(a, c)) })
		clear0(b.left)
		for i, c := range present {
			s := cs[c*wd : c*wd+wd]
			for q := range b.left {
				b.left[q] += s[q]
			}
			last := i == len(present)-1
			if last && weightOf(b.miss, b.k) == 0 {
				break
			}
			for q := range b.right {
				b.right[q] = b.nonMiss[q] - b.left[q]
			}
			if last {
				clear0(b.right)
			}
			// With the right side empty only "missing right" can pass evaluate.
			if ok, mr := b.evaluate(b.left, b.right, parent, best); ok {
				best.feat, best.cat, best.missRight = j, true, mr
				best.catLeft = append(best.catLeft[:0], present[:i+1]...)
				if !mr {
					// Categories this node never saw go the default way.
					for c := range k {
						if weightOf(cs[c*wd:c*wd+wd], b.k) == 0 {
							best.catLeft = append(best.catLeft, c)
						}
					}
				}
			}
		}
	}
}
