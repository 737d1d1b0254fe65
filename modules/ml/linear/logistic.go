package linear

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/trellis-studio/trellis/modules/ml/internal/vecmath"
	"github.com/trellis-studio/trellis/modules/parallel"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// LogisticOptions are the hyper-parameters of logistic regression.
type LogisticOptions struct {
	// L1 and L2 weigh the penalties λ1‖w‖₁ and (λ2/2)‖w‖² (see Logistic).
	L1, L2 float64
	// Tol stops the optimizer once an iteration lowers the objective by less
	// than Tol relative to its value.
	Tol float64
	// MaxIter bounds the optimizer's iterations.
	MaxIter int
	// Memory is the number of L-BFGS correction pairs kept.
	Memory int
	// Workers bounds the goroutines evaluating the objective; the result does
	// not depend on it.
	Workers int
}

// LogisticResult is a fitted logistic regression.
type LogisticResult struct {
	// W holds one weight vector per class for a multinomial model (k > 2),
	// or a single one (of the positive class, index 1) for a binary model;
	// B the matching intercepts.
	W [][]float64
	B []float64
	// Objective is the value of the objective at W, B.
	Objective  float64
	Iterations int
	Converged  bool
}

// Logistic fits a logistic regression of class (values in [0, k)) on the
// columns of a column-major matrix by minimizing
//
//	F(w, b) = Σ_i −log p(class_i | x_i) + λ1 Σ_j |w_j| + (λ2/2) Σ_j w_j²
//
// over all weights w (every class's, for k > 2) and intercepts b, where p is
// the logistic function of b + x·w for k = 2 and the softmax of b_c + x·w_c for
// k > 2. The loss is summed, not averaged, over rows, and the intercepts are
// not penalized. With λ1 = 0 this is scikit-learn's LogisticRegression(C=1/λ2)
// objective C·Σ loss + ½‖w‖² multiplied by λ2, so the minimizers are equal.
//
// It optimizes in preconditioned coordinates (see evaluator) that leave the
// objective unchanged but condition it far better than raw features do;
// L-BFGS (gonum) when λ1 = 0, OWL-QN otherwise. The result is deterministic:
// rows are summed in fixed blocks in a fixed order, whatever Workers is.
func Logistic(cols [][]float64, class []int, k int, opts LogisticOptions) (*LogisticResult, error) {
	if k < 2 {
		return nil, errors.New("logistic regression needs at least two classes")
	}
	if opts.L1 < 0 || opts.L2 < 0 {
		return nil, errors.New("penalty weights must not be negative")
	}
	if opts.Tol <= 0 {
		opts.Tol = 1e-7
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 1000
	}
	if opts.Memory <= 0 {
		opts.Memory = 20
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	for i, c := range class {
		if c < 0 || c >= k {
			return nil, fmt.Errorf("row %d: class %d out of range", i+1, c)
		}
	}
	e := newEvaluator(cols, class, k, opts)
	x := make([]float64, e.dim)
	var res *LogisticResult
	var err error
	if opts.L1 == 0 {
		res, err = e.lbfgs(x, opts)
	} else {
		res, err = e.owlqn(x, opts)
	}
	if err != nil {
		return nil, err
	}
	res.Objective = e.objective(x)
	return res, nil
}

// LogisticObjective evaluates F (see Logistic) at the given weights, in the
// original coordinates, for checking optimizers against each other.
func LogisticObjective(cols [][]float64, class []int, k int, w [][]float64, b []float64, l1, l2 float64) float64 {
	n := len(class)
	kk := len(w)
	z := make([]float64, kk)
	f := 0.0
	for i := range n {
		for c := range kk {
			s := b[c]
			for j, col := range cols {
				s += w[c][j] * col[i]
			}
			z[c] = s
		}
		if k == 2 {
			f += softplus(z[0])
			if class[i] == 1 {
				f -= z[0]
			}
		} else {
			f += logSumExp(z) - z[class[i]]
		}
	}
	for c := range kk {
		for _, v := range w[c] {
			f += l1*math.Abs(v) + l2/2*v*v
		}
	}
	return f
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// chunkRows is the fixed block of rows whose loss and gradient are summed
// together; fixing it (not the worker count) keeps results bit-identical.
// A block's columns (20 features: 160 KB) stay in L2 cache between the pass
// computing z and the pass computing the gradient.
const chunkRows = 1024

// covSample is how many rows (evenly spaced) estimate the covariance the
// preconditioner uses.
const covSample = 20000

// maxWhiten bounds the features for which the L2 path preconditions with a
// dense p×p matrix; beyond it the diagonal one is used.
const maxWhiten = 256

// evaluator computes the objective and its gradient in preconditioned
// coordinates. Per weight vector c the parameters are u_c (p values) then
// β_c, with w_c = M·u_c and the intercept of centred features b'_c = β_c/√(n/4),
// so that b_c = b'_c − Σ_j w_cj m_j. M makes the Hessian near the start (all
// probabilities ½), n/4·Cov + λ2·I, close to the identity: M = L⁻ᵀ for its
// Cholesky factor L when only L2 is used (which also undoes correlated
// columns), or the inverse square root of its diagonal when an L1 penalty
// needs coordinates that are the weights up to scale.
type evaluator struct {
	cols    [][]float64
	class   []int
	yf      []float64 // binary: the class as 0 or 1
	k, kk   int       // classes; weight vectors (1 for binary)
	p, n    int
	dim     int
	mean    []float64
	diag    []float64 // M when diagonal
	full    []float64 // M when dense, row-major p×p (nil otherwise)
	bscale  float64   // b' = β·bscale
	l1, l2  float64
	workers int

	chunkF []float64
	chunkG [][]float64
	w      []float64 // kk×p original-scale weights at the current point
	bc     []float64 // kk centred intercepts b'
	gw     []float64 // kk×p gradient with respect to w
}

func newEvaluator(cols [][]float64, class []int, k int, opts LogisticOptions) *evaluator {
	p, n := len(cols), len(class)
	kk := k
	if k == 2 {
		kk = 1
	}
	e := &evaluator{cols: cols, class: class, k: k, kk: kk, p: p, n: n, dim: kk * (p + 1),
		mean: make([]float64, p), diag: make([]float64, p), l1: opts.L1, l2: opts.L2, workers: opts.Workers}
	if kk == 1 {
		e.yf = make([]float64, n)
		for i, c := range class {
			e.yf[i] = float64(c)
		}
	}
	quarter := float64(max(n, 1)) / 4
	e.bscale = 1 / math.Sqrt(quarter)
	for j, col := range cols {
		e.mean[j] = meanOf(col)
	}
	// The preconditioner only has to be roughly right, so its covariance
	// comes from a sample of rows (the objective does not depend on it).
	m := min(n, covSample)
	centred := make([][]float64, p)
	for j, col := range cols {
		c := make([]float64, m)
		for i := range m {
			c[i] = col[i*n/max(m, 1)] - e.mean[j]
		}
		centred[j] = c
	}
	cov := func(a, b int) float64 { return floats.Dot(centred[a], centred[b]) / float64(max(m, 1)) }
	if opts.L1 == 0 && p > 0 && p <= maxWhiten {
		e.full = whitener(p, func(a, b int) float64 { return quarter * cov(a, b) }, opts.L2)
	}
	for j := range p {
		h := quarter*cov(j, j) + opts.L2
		if h <= 0 {
			h = 1 // a constant column without penalty: any scale will do
		}
		e.diag[j] = 1 / math.Sqrt(h)
	}
	chunks := (n + chunkRows - 1) / chunkRows
	e.chunkF = make([]float64, chunks)
	e.chunkG = make([][]float64, chunks)
	for c := range e.chunkG {
		e.chunkG[c] = make([]float64, kk*(p+1))
	}
	e.w = make([]float64, kk*p)
	e.gw = make([]float64, kk*p)
	e.bc = make([]float64, kk)
	return e
}

// whitener returns L⁻ᵀ (row-major) for the Cholesky factor L of h + l2·I, or
// nil when it is not safely positive definite (collinear columns without a
// penalty), in which case the diagonal preconditioner serves.
func whitener(p int, h func(a, b int) float64, l2 float64) []float64 {
	sym := mat.NewSymDense(p, nil)
	tr := 0.0
	for a := range p {
		for b := a; b < p; b++ {
			v := h(a, b)
			if a == b {
				v += l2
				tr += v
			}
			sym.SetSym(a, b, v)
		}
	}
	if tr <= 0 {
		return nil
	}
	var ch mat.Cholesky
	if !ch.Factorize(sym) || ch.Cond() > 1e12 {
		return nil
	}
	var l mat.TriDense
	ch.LTo(&l)
	var inv mat.TriDense
	if err := inv.InverseTri(&l); err != nil {
		return nil
	}
	out := make([]float64, p*p)
	for a := range p {
		for b := range p {
			out[a*p+b] = inv.At(b, a) // (L⁻¹)ᵀ
		}
	}
	return out
}

// weights sets e.w and e.bc from the parameters.
func (e *evaluator) weights(x []float64) {
	p := e.p
	for c := range e.kk {
		u := x[c*(p+1) : c*(p+1)+p]
		w := e.w[c*p : (c+1)*p]
		if e.full != nil {
			for a := range p {
				s := 0.0
				row := e.full[a*p : (a+1)*p]
				for b := a; b < p; b++ { // L⁻ᵀ is upper triangular
					s += row[b] * u[b]
				}
				w[a] = s
			}
		} else {
			for j := range p {
				w[j] = u[j] * e.diag[j]
			}
		}
		e.bc[c] = x[c*(p+1)+p] * e.bscale
	}
}

// smooth returns the loss plus the L2 penalty at x and writes its gradient.
func (e *evaluator) smooth(x, grad []float64) float64 {
	p := e.p
	e.weights(x)
	chunks := len(e.chunkF)
	var wg parallel.Group
	var mu sync.Mutex
	next := 0
	for range min(e.workers, chunks) {
		wg.Go(func() {
			// Scores of each class, then (binary) the negative class's
			// probabilities; and the chunk's nonzero columns and weights.
			z := make([]float64, (e.kk+1)*chunkRows)
			cols, ws := make([][]float64, 0, p), make([]float64, 0, p)
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= chunks {
					return
				}
				e.chunkF[c] = e.chunk(c, z, e.chunkG[c], cols, ws)
			}
		})
	}
	wg.Wait()
	f := 0.0
	g := grad
	for i := range g {
		g[i] = 0
	}
	for c := range chunks {
		f += e.chunkF[c]
		for i, v := range e.chunkG[c] {
			g[i] += v
		}
	}
	for c := range e.kk {
		gw := e.gw[c*p : (c+1)*p]
		w := e.w[c*p : (c+1)*p]
		for j := range p {
			gw[j] = g[c*(p+1)+j] + e.l2*w[j]
			f += e.l2 / 2 * w[j] * w[j]
		}
		gu := g[c*(p+1) : c*(p+1)+p]
		if e.full != nil {
			// ∂F/∂u = Mᵀ·∂F/∂w.
			for b := range p {
				s := 0.0
				for a := 0; a <= b; a++ {
					s += e.full[a*p+b] * gw[a]
				}
				gu[b] = s
			}
		} else {
			for j := range p {
				gu[j] = gw[j] * e.diag[j]
			}
		}
		g[c*(p+1)+p] *= e.bscale
	}
	return f
}

// chunk computes one block's loss and its gradient with respect to
// (w, b') for centred features; smooth maps it to the parameters. It works
// on the raw columns — b_c = b'_c − Σ w_cj·m_j absorbs the centring, and the
// centred gradient is Σ r·x − m·Σ r — so the inner loops are gonum's
// vectorized axpy and dot.
func (e *evaluator) chunk(c int, zbuf, g []float64, cols [][]float64, ws []float64) float64 {
	lo := c * chunkRows
	hi := min(lo+chunkRows, e.n)
	rows := hi - lo
	p := e.p
	for k := range e.kk {
		z := zbuf[k*chunkRows : k*chunkRows+rows]
		b := e.bc[k]
		for j := range p {
			b -= e.w[k*p+j] * e.mean[j]
		}
		// Columns with a zero weight (many, under L1) cost nothing.
		cols, ws = cols[:0], ws[:0]
		for j, col := range e.cols {
			if w := e.w[k*p+j]; w != 0 {
				cols, ws = append(cols, col[lo:hi]), append(ws, w)
			}
		}
		vecmath.Affine(z, cols, ws, b)
	}
	f := 0.0
	cls := e.class[lo:hi]
	if e.kk == 1 {
		z := zbuf[:rows]
		y := e.yf[lo:hi]
		// The loss of a row is log(1 + exp(z)) − y·z
		//   = max(z, 0) − y·z + log(1 + exp(−|z|)),
		// where max(z, 0) is (z + |z|)/2 exactly, and the label enters as a
		// 0/1 float, keeping the loop free of data-dependent branches (the
		// signs of z and the labels are random to the branch predictor).
		for i, zi := range z {
			f += (zi+math.Abs(zi))*0.5 - y[i]*zi
		}
		// z becomes P(y = 1) and p0 P(y = 0), both from exp(−|z|); the
		// larger of the two is 1/(1 + exp(−|z|)).
		p0 := zbuf[chunkRows : chunkRows+rows]
		vecmath.Logistic(z, p0)
		// Σ log(1 + exp(−|z|)) = −Σ log(larger), taken as the log of
		// products of up to 32 factors in [1/2, 1], one logarithm per 32
		// rows: the logarithm would otherwise be most of the training time.
		prod := 1.0
		for i, pi := range z {
			prod *= max(pi, p0[i])
			if i%32 == 31 {
				f -= math.Log(prod)
				prod = 1
			}
			z[i] = pi - y[i]
		}
		f -= math.Log(prod)
	} else {
		row := make([]float64, e.kk)
		for i := range rows {
			for k := range e.kk {
				row[k] = zbuf[k*chunkRows+i]
			}
			lse := logSumExp(row)
			f += lse - row[cls[i]]
			for k := range e.kk {
				r := math.Exp(row[k] - lse)
				if k == cls[i] {
					r -= 1
				}
				zbuf[k*chunkRows+i] = r
			}
		}
	}
	for k := range e.kk {
		r := zbuf[k*chunkRows : k*chunkRows+rows]
		sr := floats.Sum(r)
		g[k*(p+1)+p] = sr
		for j, col := range e.cols {
			g[k*(p+1)+j] = floats.Dot(r, col[lo:hi]) - e.mean[j]*sr
		}
	}
	return f
}

// objective is F at the parameters x.
func (e *evaluator) objective(x []float64) float64 {
	f := e.smooth(x, make([]float64, e.dim))
	for _, w := range e.w {
		f += e.l1 * math.Abs(w)
	}
	return f
}

// l1Weight is coordinate i's L1 penalty in the (diagonal) preconditioned
// coordinates: λ1|w_j| = λ1·M_jj·|u_j|; intercepts have none.
func (e *evaluator) l1Weight(i int) float64 {
	j := i % (e.p + 1)
	if j == e.p {
		return 0
	}
	return e.l1 * e.diag[j]
}

// result maps parameters back to weights and intercepts.
func (e *evaluator) result(x []float64) *LogisticResult {
	p := e.p
	e.weights(x)
	r := &LogisticResult{W: make([][]float64, e.kk), B: make([]float64, e.kk)}
	for c := range e.kk {
		r.W[c] = append([]float64(nil), e.w[c*p:(c+1)*p]...)
		b := e.bc[c]
		for j := range p {
			b -= r.W[c][j] * e.mean[j]
		}
		r.B[c] = b
	}
	return r
}

func (e *evaluator) lbfgs(x0 []float64, opts LogisticOptions) (*LogisticResult, error) {
	// gonum asks for the value and the gradient at the same point in two
	// calls; one pass computes both, so the second call reads the cache.
	last := make([]float64, e.dim)
	lastG := make([]float64, e.dim)
	lastF := math.NaN()
	eval := func(x []float64) {
		if !math.IsNaN(lastF) && equal(x, last) {
			return
		}
		copy(last, x)
		lastF = e.smooth(x, lastG)
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(g, x []float64) { eval(x); copy(g, lastG) },
	}
	settings := &optimize.Settings{
		MajorIterations:   opts.MaxIter,
		GradientThreshold: 1e-12 * float64(max(e.n, 1)),
		Converger:         &optimize.FunctionConverge{Relative: opts.Tol, Iterations: 2},
	}
	res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{Store: opts.Memory, Linesearcher: &optimize.MoreThuente{}})
	if err != nil && res == nil {
		return nil, fmt.Errorf("L-BFGS: %v", err)
	}
	copy(x0, res.X)
	out := e.result(res.X)
	out.Iterations = res.Stats.MajorIterations
	out.Converged = res.Status == optimize.FunctionConvergence || res.Status == optimize.GradientThreshold
	return out, nil
}

func equal(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
