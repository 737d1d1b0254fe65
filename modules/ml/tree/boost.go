package tree

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// Loss is what gradient boosting minimises.
type Loss string

// The losses.
const (
	// LogLoss is binary cross-entropy on raw scores (log-odds); targets are 0 or 1.
	LogLoss Loss = "log_loss"
	// SquaredError is half the squared difference, for regression.
	SquaredError Loss = "squared_error"
)

// BoostParams are gradient boosting's hyper-parameters. The defaults
// (zero values) follow scikit-learn's HistGradientBoosting.
type BoostParams struct {
	Loss Loss
	// NumTrees is the number of boosting iterations (default 100).
	NumTrees int
	// LearningRate shrinks each tree's contribution (default 0.1).
	LearningRate float64
	// MaxLeaves bounds each tree's leaves (default 31).
	MaxLeaves int
	// MaxDepth bounds each tree's depth; 0 means only MaxLeaves bounds it.
	MaxDepth int
	// MinSamplesLeaf is the least number of rows a leaf keeps (default 20).
	MinSamplesLeaf int
	// L2 penalises leaf values: a leaf's value is -G/(H+L2).
	L2 float64
	// MaxBins is the number of bins per feature, at most 255 (default 255).
	MaxBins int
	// DepthWise grows each tree level by level; otherwise the leaf with the
	// best split is split next (leaf-wise, as LightGBM).
	DepthWise bool
	// Seed chooses the rows used to find bin edges when there are many.
	Seed uint64
	// Workers is how many goroutines build histograms; 0 means GOMAXPROCS.
	Workers int
	// RecordLoss keeps the training loss after every iteration in TrainLoss.
	RecordLoss bool
	// Progress, when set, is called with the fraction of trees grown.
	Progress func(float64)
}

// minHessian is the least hessian sum a child may have, so that a leaf value
// is never a division by (almost) nothing.
const minHessian = 1e-3

// catSmooth damps the ordering of rare categories (as LightGBM's cat_smooth
// and scikit-learn's MIN_CAT_SUPPORT).
const catSmooth = 10

func (p BoostParams) normalized() (BoostParams, error) {
	if p.Loss == "" {
		p.Loss = LogLoss
	}
	if p.Loss != LogLoss && p.Loss != SquaredError {
		return p, fmt.Errorf("unknown loss %q", p.Loss)
	}
	if p.NumTrees == 0 {
		p.NumTrees = 100
	}
	if p.LearningRate == 0 {
		p.LearningRate = 0.1
	}
	if p.MaxLeaves == 0 {
		p.MaxLeaves = 31
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = 20
	}
	if p.MaxBins == 0 {
		p.MaxBins = 255
	}
	switch {
	case p.NumTrees < 1:
		return p, fmt.Errorf("number of trees %d is less than 1", p.NumTrees)
	case !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0):
		return p, fmt.Errorf("learning rate %v is not positive", p.LearningRate)
	case p.MaxLeaves < 2:
		return p, fmt.Errorf("max leaves %d is less than 2", p.MaxLeaves)
	case p.MaxDepth < 0:
		return p, fmt.Errorf("max depth %d is negative", p.MaxDepth)
	case p.MinSamplesLeaf < 1:
		return p, fmt.Errorf("min samples per leaf %d is less than 1", p.MinSamplesLeaf)
	case !(p.L2 >= 0) || math.IsInf(p.L2, 0):
		return p, fmt.Errorf("L2 regularisation %v is negative", p.L2)
	case p.MaxBins < 2 || p.MaxBins > 255:
		return p, fmt.Errorf("max bins %d is not in 2..255", p.MaxBins)
	}
	return p, nil
}

// Boosted is a gradient boosted ensemble: raw score = Base + Σ tree outputs
// (the learning rate is already in the leaf values). For LogLoss the raw
// score is the log-odds of class 1.
type Boosted struct {
	Trees    []*Tree
	Base     float64
	Loss     Loss
	features int
	// TrainLoss is the mean training loss after each tree, when recorded.
	TrainLoss []float64
}

// NumFeatures returns the number of features the model was trained on.
func (m *Boosted) NumFeatures() int { return m.features }

// FitBoosted trains gradient boosted trees. For LogLoss y holds 0 or 1.
func FitBoosted(ctx context.Context, d Data, y []float64, p BoostParams) (*Boosted, error) {
	p, err := p.normalized()
	if err != nil {
		return nil, err
	}
	nClasses := 0
	if p.Loss == LogLoss {
		nClasses = 2
	}
	if err := d.check(y, nClasses, nil); err != nil {
		return nil, err
	}
	if d.NumFeatures() > MaxFeatures {
		return nil, fmt.Errorf("%d features is more than the %d a tree supports", d.NumFeatures(), MaxFeatures)
	}
	b := newBooster(d, y, p)
	return b.fit(ctx)
}

// hbin is one histogram bin: sums of gradients and hessians, and the row count.
type hbin struct {
	g, h float64
	n    int
}

type hist [][256]hbin // one array of bins per feature

// bsplit is a candidate split of a histogram node.
type bsplit struct {
	gain     float64
	feat     int
	bin      int // numeric: bins 0..bin go left
	cat      bool
	missLeft bool
	gl, hl   float64
	nl       int
	left     [256]bool // which bins go left, filled for the chosen split
}

type gnode struct {
	id         int32
	start, end int
	depth      int
	hist       hist
	g, h       float64
	n          int
	sp         bsplit
}

type booster struct {
	p      BoostParams
	bd     *binned
	y      []float64
	n, nf  int
	wk     int
	g, h   []float64
	raw    []float64
	constH bool

	idx     []int32
	scratch []int32
	pool    []hist
	catBuf  []int
	catKey  []float64
}

func newBooster(d Data, y []float64, p BoostParams) *booster {
	n, nf := d.NumRows(), d.NumFeatures()
	b := &booster{p: p, y: y, n: n, nf: nf, wk: workers(p.Workers), constH: p.Loss == SquaredError}
	b.bd = binData(d, p.MaxBins, p.Seed, b.wk)
	b.g = make([]float64, n)
	if !b.constH {
		b.h = make([]float64, n)
	}
	b.raw = make([]float64, n)
	b.idx = make([]int32, n)
	for i := range b.idx {
		b.idx[i] = int32(i)
	}
	b.scratch = make([]int32, n)
	return b
}

func (b *booster) fit(ctx context.Context) (*Boosted, error) {
	m := &Boosted{Loss: b.p.Loss, features: b.nf}
	var sum float64
	for _, v := range b.y {
		sum += v
	}
	mean := sum / float64(b.n)
	if b.p.Loss == LogLoss {
		pm := min(max(mean, 1e-15), 1-1e-15)
		m.Base = math.Log(pm / (1 - pm))
	} else {
		m.Base = mean
	}
	for i := range b.raw {
		b.raw[i] = m.Base
	}
	for it := range b.p.NumTrees {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b.gradients()
		t := b.grow()
		m.Trees = append(m.Trees, t)
		if b.p.RecordLoss {
			m.TrainLoss = append(m.TrainLoss, b.loss())
		}
		if b.p.Progress != nil {
			b.p.Progress(float64(it+1) / float64(b.p.NumTrees))
		}
	}
	return m, nil
}

// forRanges runs f over [0, n) cut into one contiguous range per worker.
func forRanges(n, w int, f func(lo, hi int)) {
	if w <= 1 || n < 4096 {
		f(0, n)
		return
	}
	chunk := (n + w - 1) / w
	var wg parallel.Group
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}

func (b *booster) gradients() {
	if b.constH {
		forRanges(b.n, b.wk, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				b.g[i] = b.raw[i] - b.y[i]
			}
		})
		return
	}
	forRanges(b.n, b.wk, func(lo, hi int) {
		g, h, raw, y := b.g[lo:hi], b.h[lo:hi], b.raw[lo:hi], b.y[lo:hi]
		for i := range g {
			p := 1 / (1 + math.Exp(-raw[i]))
			g[i] = p - y[i]
			h[i] = p * (1 - p)
		}
	})
}

// loss returns the mean training loss of the current raw scores.
func (b *booster) loss() float64 {
	var s float64
	for i, r := range b.raw {
		if b.p.Loss == LogLoss {
			// log(1+e^r) - y r, computed without overflow.
			s += max(r, 0) + math.Log1p(math.Exp(-math.Abs(r))) - b.y[i]*r
		} else {
			d := r - b.y[i]
			s += d * d / 2
		}
	}
	return s / float64(b.n)
}

func (b *booster) getHist() hist {
	if k := len(b.pool); k > 0 {
		h := b.pool[k-1]
		b.pool = b.pool[:k-1]
		clear(h)
		return h
	}
	return make(hist, b.nf)
}

func (b *booster) putHist(h hist) {
	if h != nil {
		b.pool = append(b.pool, h)
	}
}

func (b *booster) value(g, h float64) float64 {
	return -b.p.LearningRate * g / (h + b.p.L2 + 1e-15)
}

// grow builds one tree on the current gradients and adds its outputs to the
// raw scores of the training rows.
func (b *booster) grow() *Tree {
	t := &Tree{k: 1}
	addNode := func() int32 {
		t.nodes = append(t.nodes, node{left: int32(len(t.nodes))})
		t.vals = append(t.vals, 0)
		t.weight = append(t.weight, 0)
		return int32(len(t.nodes) - 1)
	}
	for i := range b.idx {
		b.idx[i] = int32(i)
	}
	root := &gnode{id: addNode(), start: 0, end: b.n, n: b.n}
	for i := range b.n {
		root.g += b.g[i]
		if !b.constH {
			root.h += b.h[i]
		}
	}
	if b.constH {
		root.h = float64(b.n)
	}
	root.hist = b.getHist()
	b.buildHist(root)
	var leaves []*gnode
	var open []*gnode
	splittable := func(nd *gnode) bool {
		t.vals[nd.id] = b.value(nd.g, nd.h)
		t.weight[nd.id] = float64(nd.n)
		return (b.p.MaxDepth == 0 || nd.depth < b.p.MaxDepth) && nd.n >= 2*b.p.MinSamplesLeaf && b.findSplit(nd)
	}
	place := func(nd *gnode, split bool) {
		if split {
			open = append(open, nd)
			return
		}
		b.putHist(nd.hist)
		nd.hist = nil
		leaves = append(leaves, nd)
	}
	place(root, splittable(root))
	nleaves := 1
	for nleaves < b.p.MaxLeaves && len(open) > 0 {
		k := b.pick(open)
		nd := open[k]
		open = slices.Delete(open, k, k+1)
		left, right := b.split(t, nd, addNode)
		nleaves++
		// The children's split searches are independent: one goroutine
		// takes the right child, which is the only fork per split.
		var okL, okR bool
		if b.wk > 1 {
			var wg parallel.Group
			wg.Go(func() { okR = splittable(right) })
			okL = splittable(left)
			wg.Wait()
		} else {
			okL, okR = splittable(left), splittable(right)
		}
		place(left, okL)
		place(right, okR)
	}
	for _, nd := range open {
		b.putHist(nd.hist)
		nd.hist = nil
		leaves = append(leaves, nd)
	}
	for _, nd := range leaves {
		v := t.vals[nd.id]
		for _, r := range b.idx[nd.start:nd.end] {
			b.raw[r] += v
		}
	}
	t.finish()
	return t
}

// pick chooses the open node to split next: the best gain (leaf-wise) or the
// shallowest (depth-wise); ties go to the earlier node.
func (b *booster) pick(open []*gnode) int {
	best := 0
	for k, nd := range open[1:] {
		o := open[best]
		if b.p.DepthWise {
			if nd.depth < o.depth || (nd.depth == o.depth && nd.id < o.id) {
				best = k + 1
			}
		} else if nd.sp.gain > o.sp.gain || (nd.sp.gain == o.sp.gain && nd.id < o.id) {
			best = k + 1
		}
	}
	return best
}

// split partitions nd's rows by its chosen split and returns the children,
// with histograms: the smaller child's built, the larger's by subtraction.
func (b *booster) split(t *Tree, nd *gnode, addNode func() int32) (*gnode, *gnode) {
	sp := &nd.sp
	l := b.partition(nd.start, nd.end, sp)
	li := addNode()
	addNode()
	tn := &t.nodes[nd.id]
	tn.left = li
	tn.feat = uint32(sp.feat)
	if !sp.missLeft {
		tn.feat |= flagMissRight
	}
	if sp.cat {
		tn.feat |= flagCat
		var codes []int
		for bin := range b.bd.nbins[sp.feat] {
			if sp.left[bin] {
				codes = append(codes, b.bd.catOf[sp.feat][bin]...)
			}
		}
		tn.thr = float64(t.addCats(codes, b.bd.ncats[sp.feat]))
	} else if sp.bin < b.bd.nbins[sp.feat]-1 {
		tn.thr = b.bd.edges[sp.feat][sp.bin]
	} else {
		tn.thr = math.MaxFloat64
	}
	left := &gnode{id: li, start: nd.start, end: nd.start + l, depth: nd.depth + 1, g: sp.gl, h: sp.hl, n: sp.nl}
	right := &gnode{id: li + 1, start: nd.start + l, end: nd.end, depth: nd.depth + 1, g: nd.g - sp.gl, h: nd.h - sp.hl, n: nd.n - sp.nl}
	if b.constH {
		left.h, right.h = float64(left.n), float64(right.n)
	}
	small, large := left, right
	if right.n < left.n {
		small, large = right, left
	}
	small.hist = b.getHist()
	b.buildHist(small)
	large.hist = nd.hist
	nd.hist = nil
	subtract(large.hist, small.hist)
	return left, right
}

// partition reorders rows [start, end) of idx into those going left, then
// those going right, both in their original (increasing) order, and returns
// how many go left. Big nodes are cut among workers whose pieces are then
// laid end to end, which keeps the order.
func (b *booster) partition(start, end int, sp *bsplit) int {
	var lut [256]int32
	for bin, left := range sp.left {
		lut[bin] = b2i(left)
	}
	col := b.bd.cols[sp.feat]
	rows := b.idx[start:end]
	scratch := b.scratch[start:end]
	// part writes every row both to the left list (in place) and to the
	// right list, advancing only the one it belongs to: no branch to
	// mispredict on a coin-flip split.
	part := func(rows, right []int32) (int, int) {
		l, r := 0, 0
		for _, row := range rows {
			c := lut[col[row]]
			rows[l] = row
			right[r] = row
			l += int(c)
			r += int(1 - c)
		}
		return l, r
	}
	w := b.wk
	if w <= 1 || len(rows) < 1<<13 {
		l, r := part(rows, scratch)
		copy(rows[l:], scratch[:r])
		return l
	}
	chunk := (len(rows) + w - 1) / w
	ls, rs := make([]int, w), make([]int, w)
	var wg parallel.Group
	for k := range w {
		lo, hi := min(len(rows), k*chunk), min(len(rows), (k+1)*chunk)
		wg.Go(func() { ls[k], rs[k] = part(rows[lo:hi], scratch[lo:hi]) })
	}
	wg.Wait()
	// Gather the left pieces to the front (each moves only towards the
	// front, so in order this is safe), then the right pieces after them.
	l := 0
	for k := range w {
		lo := min(len(rows), k*chunk)
		copy(rows[l:], rows[lo:lo+ls[k]])
		l += ls[k]
	}
	r := l
	for k := range w {
		lo := min(len(rows), k*chunk)
		copy(rows[r:], scratch[lo:lo+rs[k]])
		r += rs[k]
	}
	return l
}

// histChunk is the row count a big node's histogram is cut into pieces
// of; histMaxChunks bounds the pieces.
const (
	histChunk     = 2048
	histMaxChunks = 8
)

// buildHist fills nd.hist from its rows. It reads the row-major bins: a
// row's bins for every feature share a cache line, where a node's rows are
// scattered through each feature's column. Rows are in increasing order
// within a node (partitioning is stable from the identity), so the gradient
// reads go forward too.
//
// A big node is cut into pieces by its size alone, each summed into its own
// histogram and the pieces added in order: floating-point sums then do not
// depend on how many workers there are, so neither does the model.
func (b *booster) buildHist(nd *gnode) {
	rows := b.idx[nd.start:nd.end]
	pieces := min(histMaxChunks, len(rows)/histChunk)
	if pieces <= 1 {
		b.histRows(nd.hist, rows)
		return
	}
	parts := make([]hist, pieces)
	parts[0] = nd.hist
	for k := 1; k < pieces; k++ {
		parts[k] = b.getHist()
	}
	size := (len(rows) + pieces - 1) / pieces
	piece := func(k int) {
		lo, hi := min(len(rows), k*size), min(len(rows), (k+1)*size)
		b.histRows(parts[k], rows[lo:hi])
	}
	if w := min(b.wk, pieces); w <= 1 {
		for k := range pieces {
			piece(k)
		}
	} else {
		var wg parallel.Group
		for s := range w {
			wg.Go(func() {
				for k := s; k < pieces; k += w {
					piece(k)
				}
			})
		}
		wg.Wait()
	}
	for _, h := range parts[1:] {
		for j := range nd.hist {
			dst, src := &nd.hist[j], &h[j]
			for bin := range dst {
				dst[bin].g += src[bin].g
				dst[bin].h += src[bin].h
				dst[bin].n += src[bin].n
			}
		}
		b.pool = append(b.pool, h)
	}
}

func (b *booster) histRows(h hist, rows []int32) {
	p := b.nf
	bins := b.bd.rowMajor
	h = h[:p]
	if b.constH {
		for _, r := range rows {
			g := b.g[r]
			rb := bins[int(r)*p : int(r)*p+p]
			for j, bin := range rb {
				e := &h[j][bin]
				e.g += g
				e.n++
			}
		}
		return
	}
	for _, r := range rows {
		g, hs := b.g[r], b.h[r]
		rb := bins[int(r)*p : int(r)*p+p]
		for j, bin := range rb {
			e := &h[j][bin]
			e.g += g
			e.h += hs
			e.n++
		}
	}
}

func subtract(large, small hist) {
	for j := range large {
		dst, src := &large[j], &small[j]
		for bin := range dst {
			dst[bin].g -= src[bin].g
			dst[bin].h -= src[bin].h
			dst[bin].n -= src[bin].n
		}
	}
}

// findSplit finds nd's best split into nd.sp; false when no split has a
// positive gain. Features are tried in order and only a strictly better gain
// replaces the best, so ties go to the lower feature index.
func (b *booster) findSplit(nd *gnode) bool {
	sp := &nd.sp
	*sp = bsplit{gain: 0, feat: -1}
	for j := range b.nf {
		if b.bd.ncats[j] > 0 {
			b.catSplit(nd, j, sp)
		} else {
			b.numSplit(nd, j, sp)
		}
	}
	if sp.feat < 0 {
		return false
	}
	if !sp.cat {
		for bin := range 256 {
			sp.left[bin] = bin <= sp.bin
		}
	}
	sp.left[missingBin] = sp.missLeft
	return true
}

func (b *booster) score(g, h float64) float64 { return g * g / (h + b.p.L2) }

// consider scores a candidate with left sums (gl, hl, nl) and updates best.
func (b *booster) consider(nd *gnode, gl, hl float64, nl int, parent float64, best *bsplit, missLeft bool) bool {
	nr := nd.n - nl
	hr := nd.h - hl
	minLeaf := b.p.MinSamplesLeaf
	if nl < minLeaf || nr < minLeaf || hl < minHessian || hr < minHessian {
		return false
	}
	gain := b.score(gl, hl) + b.score(nd.g-gl, hr) - parent
	if gain > best.gain {
		best.gain, best.gl, best.hl, best.nl, best.missLeft = gain, gl, hl, nl, missLeft
		return true
	}
	return false
}

func (b *booster) numSplit(nd *gnode, j int, best *bsplit) {
	h := &nd.hist[j]
	nb := b.bd.nbins[j]
	miss := h[missingBin]
	mh := miss.h
	if b.constH {
		mh = float64(miss.n)
	}
	parent := b.score(nd.g, nd.h)
	if miss.n == 0 {
		b.numSplitDense(nd, j, best, parent)
		return
	}
	var gl, hl float64
	var nl int
	for bin := range nb {
		e := &h[bin]
		gl += e.g
		nl += e.n
		if b.constH {
			hl = float64(nl)
		} else {
			hl += e.h
		}
		if bin < nb-1 {
			noMissLeft := miss.n == 0 && nl >= nd.n-nl
			if b.consider(nd, gl, hl, nl, parent, best, noMissLeft) {
				best.feat, best.bin, best.cat = j, bin, false
			}
			if miss.n > 0 && b.consider(nd, gl+miss.g, hl+mh, nl+miss.n, parent, best, true) {
				best.feat, best.bin, best.cat = j, bin, false
			}
		} else if miss.n > 0 && b.consider(nd, gl, hl, nl, parent, best, false) {
			best.feat, best.bin, best.cat = j, bin, false
		}
	}
}

// numSplitDense is numSplit for a node without missing values of feature
// j, the common case, as one tight loop.
func (b *booster) numSplitDense(nd *gnode, j int, best *bsplit, parent float64) {
	h := &nd.hist[j]
	nb := b.bd.nbins[j]
	G, H, N := nd.g, nd.h, nd.n
	l2, minLeaf := b.p.L2, b.p.MinSamplesLeaf
	bestGain, bestBin := best.gain, -1
	var bgl, bhl float64
	var bnl int
	var gl, hl float64
	var nl int
	for bin := range nb - 1 {
		e := &h[bin]
		gl += e.g
		nl += e.n
		if b.constH {
			hl = float64(nl)
		} else {
			hl += e.h
		}
		if nl < minLeaf {
			continue
		}
		if N-nl < minLeaf {
			break
		}
		hr := H - hl
		if hl < minHessian || hr < minHessian {
			continue
		}
		gr := G - gl
		if gain := gl*gl/(hl+l2) + gr*gr/(hr+l2) - parent; gain > bestGain {
			bestGain, bestBin, bgl, bhl, bnl = gain, bin, gl, hl, nl
		}
	}
	if bestBin >= 0 {
		best.gain, best.gl, best.hl, best.nl = bestGain, bgl, bhl, bnl
		best.feat, best.bin, best.cat = j, bestBin, false
		// Missing values, none in training here, follow the bigger child.
		best.missLeft = bnl >= N-bnl
	}
}

func (b *booster) catSplit(nd *gnode, j int, best *bsplit) {
	h := &nd.hist[j]
	nb := b.bd.nbins[j]
	miss := h[missingBin]
	mh := miss.h
	hess := func(e *hbin) float64 {
		if b.constH {
			return float64(e.n)
		}
		return e.h
	}
	if b.constH {
		mh = float64(miss.n)
	}
	var present []int
	var key [256]float64
	for bin := range nb {
		if e := &h[bin]; e.n > 0 {
			present = append(present, bin)
			key[bin] = e.g / (hess(e) + catSmooth)
		}
	}
	slices.SortFunc(present, func(a, c int) int {
		if key[a] < key[c] {
			return -1
		}
		if key[a] > key[c] {
			return 1
		}
		return a - c
	})
	parent := b.score(nd.g, nd.h)
	var gl, hl float64
	var nl int
	cut := -1
	for i, bin := range present {
		e := &h[bin]
		gl += e.g
		hl += hess(e)
		nl += e.n
		if i < len(present)-1 {
			noMissLeft := miss.n == 0 && nl >= nd.n-nl
			if b.consider(nd, gl, hl, nl, parent, best, noMissLeft) {
				cut = i
			}
			if miss.n > 0 && b.consider(nd, gl+miss.g, hl+mh, nl+miss.n, parent, best, true) {
				cut = i
			}
		} else if miss.n > 0 && b.consider(nd, gl, hl, nl, parent, best, false) {
			cut = i
		}
	}
	if cut < 0 {
		return
	}
	best.feat, best.cat = j, true
	best.left = [256]bool{}
	for bin := range nb {
		// Categories the node never saw go the default way.
		best.left[bin] = h[bin].n == 0 && best.missLeft
	}
	for _, bin := range present[:cut+1] {
		best.left[bin] = true
	}
}

// PredictRaw writes each row's raw score (log-odds for LogLoss) into out.
func (m *Boosted) PredictRaw(d Data, out []float64, workers int) error {
	if err := checkPredict(d, m.features, 1, out); err != nil {
		return err
	}
	for i := range out {
		out[i] = m.Base
	}
	accumulate(m.Trees, 1, d, out, workers)
	return nil
}

// Predict writes each row's prediction into out: the probability of class 1
// for LogLoss, the value for SquaredError.
func (m *Boosted) Predict(d Data, out []float64, workers int) error {
	if err := m.PredictRaw(d, out, workers); err != nil {
		return err
	}
	if m.Loss == LogLoss {
		for i, r := range out {
			out[i] = sigmoid(r)
		}
	}
	return nil
}

// PredictRow returns one row's prediction, as Predict.
func (m *Boosted) PredictRow(x []float64) float64 {
	r := m.Base
	for _, t := range m.Trees {
		r += t.Predict(x)[0]
	}
	if m.Loss == LogLoss {
		return sigmoid(r)
	}
	return r
}

func sigmoid(r float64) float64 { return 1 / (1 + math.Exp(-r)) }

type boostedJSON struct {
	Features  int       `json:"features"`
	Loss      Loss      `json:"loss"`
	Base      float64   `json:"base"`
	Trees     []*Tree   `json:"trees"`
	TrainLoss []float64 `json:"train_loss,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (m *Boosted) MarshalJSON() ([]byte, error) {
	return json.Marshal(boostedJSON{Features: m.features, Loss: m.Loss, Base: m.Base, Trees: m.Trees, TrainLoss: m.TrainLoss})
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Boosted) UnmarshalJSON(b []byte) error {
	var j boostedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Loss != LogLoss && j.Loss != SquaredError {
		return fmt.Errorf("boosted: unknown loss %q", j.Loss)
	}
	if len(j.Trees) == 0 {
		return errors.New("boosted: no trees")
	}
	if err := checkTrees(j.Trees, j.Features, 1); err != nil {
		return fmt.Errorf("boosted: %w", err)
	}
	*m = Boosted{Trees: j.Trees, Base: j.Base, Loss: j.Loss, features: j.Features, TrainLoss: j.TrainLoss}
	return nil
}
