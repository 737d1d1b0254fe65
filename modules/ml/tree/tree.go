package tree

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// node is one tree node, 16 bytes so four share a cache line. The children of
// a split are adjacent (left, left+1), so the child index is arithmetic and
// prediction need not branch on the direction. A leaf points to itself with
// threshold +Inf, which makes stepping from a leaf a no-op: batch prediction
// steps every row the tree's depth times without testing for leaves.
type node struct {
	// thr is the numeric threshold (x <= thr goes left); for a categorical
	// split, the offset of its bitset in Tree.cats; +Inf for a leaf.
	thr  float64
	left int32
	feat uint32 // feature index | flags
}

const (
	flagMissRight uint32 = 1 << 31
	flagCat       uint32 = 1 << 30
	featMask      uint32 = flagCat - 1
	// MaxFeatures is the most features a tree can index.
	MaxFeatures = int(featMask)
)

func (n *node) feature() int      { return int(n.feat & featMask) }
func (n *node) missRight() bool   { return n.feat&flagMissRight != 0 }
func (n *node) categorical() bool { return n.feat&flagCat != 0 }

// Tree is a fitted decision tree in flat arrays.
type Tree struct {
	nodes []node
	// vals holds k outputs per node (class probabilities, a mean, or a
	// boosting step); internal nodes keep theirs for inspection.
	vals []float64
	// weight is the training weight (row count) that reached each node.
	weight []float64
	k      int
	// cats holds categorical splits' left sets: at offset o, cats[o] is the
	// number of training categories k, then (k+63)/64 words of bits indexed
	// by category code.
	cats  []uint64
	depth int
}

// NumNodes returns the number of nodes.
func (t *Tree) NumNodes() int { return len(t.nodes) }

// NumLeaves returns the number of leaves.
func (t *Tree) NumLeaves() int {
	n := 0
	for i := range t.nodes {
		if t.isLeaf(i) {
			n++
		}
	}
	return n
}

// AddFeatureUse adds to use[j] the training weight (rows) that reached the
// splits on feature j: a cheap measure of how much the tree relies on each
// feature. use needs an entry per feature.
func (t *Tree) AddFeatureUse(use []float64) {
	for i, n := range t.nodes {
		if !t.isLeaf(i) {
			use[n.feat&featMask] += t.weight[i]
		}
	}
}

// Depth returns the length of the longest root-to-leaf path.
func (t *Tree) Depth() int { return t.depth }

// Outputs returns the number of values a leaf holds.
func (t *Tree) Outputs() int { return t.k }

func (t *Tree) isLeaf(i int) bool { return int(t.nodes[i].left) == i }

// step returns 0 to go left, 1 to go right.
func (t *Tree) step(n *node, v float64) int32 {
	if n.feat&flagCat != 0 {
		return t.catStep(n, v)
	}
	if v <= n.thr {
		return 0
	}
	if v > n.thr {
		return 1
	}
	return int32(n.feat >> 31)
}

func (t *Tree) catStep(n *node, v float64) int32 {
	o := int(n.thr)
	if v >= 0 && v < float64(t.cats[o]) && v == math.Trunc(v) {
		c := uint64(v)
		if t.cats[o+1+int(c>>6)]&(1<<(c&63)) != 0 {
			return 0
		}
		return 1
	}
	// Missing, unseen or malformed codes take the default direction.
	return int32(n.feat >> 31)
}

// Leaf returns the index of the leaf that row x reaches.
func (t *Tree) Leaf(x []float64) int {
	i := int32(0)
	for {
		n := &t.nodes[i]
		if n.left == i {
			return int(i)
		}
		i = n.left + t.step(n, x[n.feat&featMask])
	}
}

// Predict returns the leaf outputs for row x (not a copy: do not modify).
func (t *Tree) Predict(x []float64) []float64 {
	l := t.Leaf(x)
	return t.vals[l*t.k : l*t.k+t.k]
}

// blockRows is how many rows batch prediction walks through a tree at once.
const blockRows = 128

// leaves finds the leaf of each row of a block by stepping all of them one
// level at a time. block is column-major, blockRows values a feature. The
// rows are independent, so the processor overlaps their loads, and the step
// is arithmetic, so there is no direction branch to mispredict; leaves loop
// to themselves, so stepping t.depth times is enough for every row. Blocks
// without missing values take a shorter step.
func (t *Tree) leaves(block []float64, pos *[blockRows]int32, hasNaN bool) {
	*pos = [blockRows]int32{}
	nodes := t.nodes
	switch {
	case len(t.cats) > 0:
		for range t.depth {
			for r, i := range pos {
				n := &nodes[i]
				pos[r] = n.left + t.step(n, block[int(n.feat&featMask)*blockRows+r])
			}
		}
	case hasNaN:
		for range t.depth {
			for r, i := range pos {
				n := &nodes[i]
				v := block[int(n.feat&featMask)*blockRows+r]
				pos[r] = n.left + (b2i(v > n.thr) | (b2i(v != v) & int32(n.feat>>31)))
			}
		}
	default:
		for range t.depth {
			for r := 0; r < blockRows; r += 4 {
				n0, n1, n2, n3 := &nodes[pos[r]], &nodes[pos[r+1]], &nodes[pos[r+2]], &nodes[pos[r+3]]
				v0 := block[int(n0.feat&featMask)*blockRows+r]
				v1 := block[int(n1.feat&featMask)*blockRows+r+1]
				v2 := block[int(n2.feat&featMask)*blockRows+r+2]
				v3 := block[int(n3.feat&featMask)*blockRows+r+3]
				pos[r] = n0.left + b2i(v0 > n0.thr)
				pos[r+1] = n1.left + b2i(v1 > n1.thr)
				pos[r+2] = n2.left + b2i(v2 > n2.thr)
				pos[r+3] = n3.left + b2i(v3 > n3.thr)
			}
		}
	}
}

func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// finish computes the depth and closes leaves into self-loops.
func (t *Tree) finish() {
	depth := make([]int, len(t.nodes))
	t.depth = 0
	for i := range t.nodes {
		n := &t.nodes[i]
		if int(n.left) == i {
			n.thr = math.Inf(1)
			n.feat = 0
			continue
		}
		d := depth[i] + 1
		depth[n.left], depth[n.left+1] = d, d
		t.depth = max(t.depth, d)
	}
}

// treeJSON is the serialised form: parallel arrays over nodes. A leaf has
// feature -1. Categorical splits list the codes that go left.
type treeJSON struct {
	Outputs      int                `json:"outputs"`
	Feature      []int              `json:"feature"`
	Threshold    []float64          `json:"threshold"`
	Left         []int32            `json:"left"`
	MissingRight []int              `json:"missing_right"`
	Categorical  map[string]catJSON `json:"categorical,omitempty"`
	Weight       []float64          `json:"weight"`
	Value        []float64          `json:"value"`
}

// catJSON is a categorical split: of the codes 0..Count-1, Left go left.
type catJSON struct {
	Count int   `json:"count"`
	Left  []int `json:"left"`
}

// MarshalJSON implements json.Marshaler.
func (t *Tree) MarshalJSON() ([]byte, error) {
	n := len(t.nodes)
	j := treeJSON{Outputs: t.k, Feature: make([]int, n), Threshold: make([]float64, n), Left: make([]int32, n),
		MissingRight: make([]int, n), Weight: t.weight, Value: t.vals}
	for i := range t.nodes {
		nd := &t.nodes[i]
		if t.isLeaf(i) {
			j.Feature[i] = -1
			continue
		}
		j.Feature[i] = nd.feature()
		j.Left[i] = nd.left
		if nd.missRight() {
			j.MissingRight[i] = 1
		}
		if nd.categorical() {
			if j.Categorical == nil {
				j.Categorical = map[string]catJSON{}
			}
			j.Categorical[strconv.Itoa(i)] = catJSON{Count: int(t.cats[int(nd.thr)]), Left: t.leftCats(nd)}
		} else {
			j.Threshold[i] = nd.thr
		}
	}
	return json.Marshal(j)
}

func (t *Tree) leftCats(n *node) []int {
	o := int(n.thr)
	out := []int{}
	for c := range int(t.cats[o]) {
		if t.cats[o+1+c/64]&(1<<(c%64)) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// UnmarshalJSON implements json.Unmarshaler. It checks the structure so a
// hand-edited or corrupt model fails to load instead of looping or panicking
// at prediction; feature indices are checked by the ensemble, which knows
// how many features there are.
func (t *Tree) UnmarshalJSON(b []byte) error {
	var j treeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	n := len(j.Feature)
	if n == 0 {
		return errors.New("tree: no nodes")
	}
	if j.Outputs < 1 {
		return errors.New("tree: outputs must be at least 1")
	}
	if len(j.Threshold) != n || len(j.Left) != n || len(j.MissingRight) != n || len(j.Weight) != n || len(j.Value) != n*j.Outputs {
		return errors.New("tree: node arrays differ in length")
	}
	out := Tree{nodes: make([]node, n), vals: j.Value, weight: j.Weight, k: j.Outputs}
	parents := make([]int, n)
	for i := range n {
		nd := &out.nodes[i]
		if j.Feature[i] < 0 {
			nd.left = int32(i)
			continue
		}
		if j.Feature[i] > MaxFeatures {
			return fmt.Errorf("tree: node %d: feature %d out of range", i, j.Feature[i])
		}
		l := int(j.Left[i])
		if l <= i || l+1 >= n {
			return fmt.Errorf("tree: node %d: children %d,%d out of order or range", i, l, l+1)
		}
		parents[l]++
		parents[l+1]++
		nd.left = int32(l)
		nd.feat = uint32(j.Feature[i])
		if j.MissingRight[i] != 0 {
			nd.feat |= flagMissRight
		}
		if cs, ok := j.Categorical[strconv.Itoa(i)]; ok {
			nd.feat |= flagCat
			o := out.addCats(cs.Left, cs.Count)
			if o < 0 {
				return fmt.Errorf("tree: node %d: bad category set", i)
			}
			nd.thr = float64(o)
		} else {
			nd.thr = j.Threshold[i]
			if math.IsNaN(nd.thr) {
				return fmt.Errorf("tree: node %d: threshold is NaN", i)
			}
		}
	}
	for i := 1; i < n; i++ {
		if parents[i] != 1 {
			return fmt.Errorf("tree: node %d has %d parents", i, parents[i])
		}
	}
	out.finish()
	*t = out
	return nil
}

// addCats stores the set of codes (of 0..k-1) that go left and returns its
// offset, or -1 for a code out of range.
func (t *Tree) addCats(codes []int, k int) int {
	if k < 1 || k > 1<<24 {
		return -1
	}
	o := len(t.cats)
	t.cats = append(t.cats, uint64(k))
	t.cats = append(t.cats, make([]uint64, (k+63)/64)...)
	for _, c := range codes {
		if c < 0 || c >= k {
			t.cats = t.cats[:o]
			return -1
		}
		t.cats[o+1+c/64] |= 1 << (c % 64)
	}
	return o
}

// maxFeature returns the largest feature index a split uses, or -1.
func (t *Tree) maxFeature() int {
	m := -1
	for i := range t.nodes {
		if !t.isLeaf(i) {
			m = max(m, t.nodes[i].feature())
		}
	}
	return m
}
