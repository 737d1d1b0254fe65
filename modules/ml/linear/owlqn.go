package linear

import (
	"math"
)

// owlqn minimizes smooth(x) + Σ_i c_i|x_i| by the orthant-wise limited-memory
// quasi-Newton method of Andrew and Gao (2007): L-BFGS directions built from
// the smooth part's gradients, steered by the pseudo-gradient of the whole
// objective and kept inside the orthant the step starts in, so that weights
// land exactly on zero.
func (e *evaluator) owlqn(x []float64, opts LogisticOptions) (*LogisticResult, error) {
	n := e.dim
	c := make([]float64, n)
	for i := range c {
		c[i] = e.l1Weight(i)
	}
	full := func(x, g []float64) float64 {
		f := e.smooth(x, g)
		for i, v := range x {
			f += c[i] * math.Abs(v)
		}
		return f
	}
	g := make([]float64, n)
	f := full(x, g)
	pg := make([]float64, n)
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	m := opts.Memory
	type pair struct {
		s, y []float64
		rho  float64
	}
	var hist []pair
	alpha := make([]float64, m)
	iters, converged, small := 0, false, 0
	for iters < opts.MaxIter {
		pseudoGradient(x, g, c, pg)
		if norm(pg) <= 1e-12*float64(max(e.n, 1)) {
			converged = true
			break
		}
		// Two-loop recursion: d = −H·pg.
		for i := range d {
			d[i] = -pg[i]
		}
		for k := len(hist) - 1; k >= 0; k-- {
			h := hist[k]
			alpha[k] = h.rho * dot(h.s, d)
			axpy(-alpha[k], h.y, d)
		}
		if len(hist) > 0 {
			h := hist[len(hist)-1]
			gamma := dot(h.s, h.y) / dot(h.y, h.y)
			for i := range d {
				d[i] *= gamma
			}
		}
		for k := range hist {
			h := hist[k]
			beta := h.rho * dot(h.y, d)
			axpy(alpha[k]-beta, h.s, d)
		}
		// Keep only the components that descend along the pseudo-gradient
		// (unpenalized coordinates, the intercepts, are left free).
		for i := range d {
			if c[i] > 0 && d[i]*pg[i] >= 0 {
				d[i] = 0
			}
		}
		if dot(d, pg) >= 0 {
			// The direction is useless (a poor curvature history): restart
			// from steepest descent on the pseudo-gradient.
			hist = hist[:0]
			for i := range d {
				d[i] = -pg[i]
			}
		}
		step := 1.0
		if len(hist) == 0 {
			step = 1 / max(norm(d), 1e-300)
		}
		// Backtracking on the projected step, with the Armijo condition on
		// the pseudo-gradient.
		var fn float64
		accepted := false
		for range 60 {
			for i := range x {
				v := x[i] + step*d[i]
				if c[i] > 0 {
					// Stay in the orthant the step starts in: a weight
					// that would cross zero stops at zero.
					orth := math.Copysign(1, x[i])
					if x[i] == 0 {
						orth = math.Copysign(1, -pg[i])
					}
					if v*orth <= 0 {
						v = 0
					}
				}
				xn[i] = v
			}
			fn = full(xn, gn)
			dec := 0.0
			for i := range x {
				dec += pg[i] * (xn[i] - x[i])
			}
			if fn <= f+1e-4*dec {
				accepted = true
				break
			}
			step /= 2
		}
		iters++
		if !accepted {
			converged = true // no descent is possible at machine precision
			break
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-16*dot(y, y) {
			if len(hist) == m {
				hist = append(hist[:0], hist[1:]...)
			}
			hist = append(hist, pair{s: s, y: y, rho: 1 / sy})
		}
		rel := (f - fn) / max(math.Abs(fn), math.Abs(f), 1e-300)
		copy(x, xn)
		copy(g, gn)
		f = fn
		// One small step can be a zigzag at an orthant boundary; several in
		// a row mean the objective has settled.
		if rel <= opts.Tol {
			small++
		} else {
			small = 0
		}
		if small >= 5 {
			converged = true
			break
		}
	}
	out := e.result(x)
	out.Iterations = iters
	out.Converged = converged
	return out, nil
}

// pseudoGradient is the steepest-descent direction's negative for
// g + ∂(Σ c_i|x_i|): the one-sided derivative that can decrease the
// objective, or zero where neither side can.
func pseudoGradient(x, g, c, pg []float64) {
	for i, v := range x {
		switch {
		case v > 0:
			pg[i] = g[i] + c[i]
		case v < 0:
			pg[i] = g[i] - c[i]
		case g[i]+c[i] < 0:
			pg[i] = g[i] + c[i]
		case g[i]-c[i] > 0:
			pg[i] = g[i] - c[i]
		default:
			pg[i] = 0
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }
