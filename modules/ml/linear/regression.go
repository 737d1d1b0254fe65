// Package linear fits linear models on column-major float64 matrices:
// least squares (QR, optional ridge), least squares by online gradient
// descent, and L1/L2-regularized binary and multinomial logistic regression.
package linear

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// OLS fits y ≈ X·w + b by minimizing ‖y − Xw − b‖² + l2‖w‖² (the intercept
// is not penalized, and is fixed at 0 when intercept is false): the objective
// of scikit-learn's LinearRegression (l2 = 0) and Ridge(alpha=l2).
//
// It centres the columns (which removes the intercept from the problem),
// appends √l2·I rows for the penalty and solves by Householder QR. When the
// design is rank-deficient — one-hot columns with an intercept always are —
// it returns the minimum-norm solution from the SVD instead, as LAPACK's
// gelsd (behind scikit-learn) does.
func OLS(cols [][]float64, y []float64, l2 float64, intercept bool) (w []float64, b float64, err error) {
	n, p := len(y), len(cols)
	if n == 0 {
		return nil, 0, errors.New("no rows")
	}
	if l2 < 0 {
		return nil, 0, errors.New("the L2 weight must not be negative")
	}
	mean := make([]float64, p)
	ym := 0.0
	if intercept {
		for j, col := range cols {
			mean[j] = meanOf(col)
		}
		ym = meanOf(y)
	}
	rows := n
	if l2 > 0 {
		rows += p
	}
	a := mat.NewDense(rows, max(p, 1), nil)
	raw := a.RawMatrix()
	for j, col := range cols {
		for i, v := range col {
			raw.Data[i*raw.Stride+j] = v - mean[j]
		}
	}
	rhs := mat.NewVecDense(rows, nil)
	for i, v := range y {
		rhs.SetVec(i, v-ym)
	}
	if l2 > 0 {
		for j := range p {
			a.Set(n+j, j, math.Sqrt(l2))
		}
	}
	if p == 0 {
		return nil, ym, nil
	}
	var sol mat.VecDense
	if rows >= p && fullRank(a) {
		var qr mat.QR
		qr.Factorize(a)
		if err := qr.SolveVecTo(&sol, false, rhs); err != nil {
			return nil, 0, fmt.Errorf("QR: %v", err)
		}
	} else if err := minNorm(a, rhs, &sol); err != nil {
		return nil, 0, err
	}
	w = make([]float64, p)
	b = ym
	for j := range p {
		w[j] = sol.AtVec(j)
		b -= w[j] * mean[j]
	}
	return w, b, nil
}

// fullRank tells from a QR factorization whether R's diagonal is safely away
// from zero, relative to its largest entry.
func fullRank(a *mat.Dense) bool {
	var qr mat.QR
	qr.Factorize(a)
	var r mat.Dense
	qr.RTo(&r)
	_, p := a.Dims()
	big := 0.0
	for j := range p {
		big = max(big, math.Abs(r.At(j, j)))
	}
	rows, _ := a.Dims()
	tol := big * float64(max(rows, p)) * 2.220446049250313e-16
	for j := range p {
		if math.Abs(r.At(j, j)) <= tol {
			return false
		}
	}
	return big > 0
}

// minNorm solves min ‖a·x − rhs‖ with the smallest ‖x‖, discarding singular
// values below the largest times eps·max(rows, cols).
func minNorm(a *mat.Dense, rhs *mat.VecDense, dst *mat.VecDense) error {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return errors.New("SVD did not converge")
	}
	rows, p := a.Dims()
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	s := svd.Values(nil)
	tol := 0.0
	if len(s) > 0 {
		tol = s[0] * float64(max(rows, p)) * 2.220446049250313e-16
	}
	var utb mat.VecDense
	utb.MulVec(u.T(), rhs)
	for k := range s {
		if s[k] > tol {
			utb.SetVec(k, utb.AtVec(k)/s[k])
		} else {
			utb.SetVec(k, 0)
		}
	}
	dst.MulVec(&v, &utb)
	return nil
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

// SGDOptions are the hyper-parameters of online gradient descent.
type SGDOptions struct {
	Rate   float64 // initial learning rate
	Epochs int     // passes over the data
	// L2 weighs the penalty (L2/2)‖w‖² added to the mean squared loss.
	L2 float64
	// Decay divides the rate by √(1+epoch), which settles the weights.
	Decay bool
	// Normalize standardizes the columns while learning (the penalty then
	// applies to standardized weights); the result is in original units.
	Normalize bool
	Seed      uint64
}

// SGD fits y ≈ X·w + b by online gradient descent on
// (1/n)Σ ½(y_i − x_i·w − b)² + (L2/2)‖w‖², visiting rows in a random order
// (seeded, so deterministic) each epoch. It is for tables too big for OLS's
// dense copy; prefer OLS otherwise.
func SGD(cols [][]float64, y []float64, o SGDOptions) (w []float64, b float64, err error) {
	n, p := len(y), len(cols)
	if n == 0 {
		return nil, 0, errors.New("no rows")
	}
	if o.Rate <= 0 || o.Epochs < 1 {
		return nil, 0, errors.New("the learning rate must be positive and epochs at least 1")
	}
	mean := make([]float64, p)
	scale := make([]float64, p)
	for j, col := range cols {
		scale[j] = 1
		if !o.Normalize {
			continue
		}
		m := meanOf(col)
		ss := 0.0
		for _, v := range col {
			ss += (v - m) * (v - m)
		}
		mean[j] = m
		if s := math.Sqrt(ss / float64(n)); s > 0 {
			scale[j] = s
		}
	}
	v := make([]float64, p)
	bb := 0.0
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	x := make([]float64, p)
	for epoch := range o.Epochs {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		rate := o.Rate
		if o.Decay {
			rate /= math.Sqrt(float64(1 + epoch))
		}
		for _, i := range order {
			pred := bb
			for j, col := range cols {
				x[j] = (col[i] - mean[j]) / scale[j]
				pred += v[j] * x[j]
			}
			e := pred - y[i]
			for j := range v {
				v[j] -= rate * (e*x[j] + o.L2*v[j])
			}
			bb -= rate * e
		}
		for _, vj := range v {
			if math.IsNaN(vj) || math.IsInf(vj, 0) {
				return nil, 0, fmt.Errorf("gradient descent diverged in epoch %d: lower the learning rate or normalize the features", epoch+1)
			}
		}
	}
	w = make([]float64, p)
	b = bb
	for j := range p {
		w[j] = v[j] / scale[j]
		b -= w[j] * mean[j]
	}
	return w, b, nil
}
