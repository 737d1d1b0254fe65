// Package vecmath holds the two loops that scoring a linear model spends its
// time in — b + x·w over columns, and the logistic function — written once in
// portable Go and, on amd64 with AVX2 and FMA, once in assembly that does four
// rows per instruction.
//
// Both versions perform the same correctly rounded operations in the same
// order (every multiply-add is fused), so they give the same bits for every
// row: a row's score does not depend on the machine's vector width, on where
// a block of rows starts, or on whether it fell in a vector or in the tail.
package vecmath

import "math"

// Affine sets z[i] = b + Σ_j w[j]·cols[j][i] for every i < len(z), adding
// columns in order with fused multiply-adds. It panics unless len(w) equals
// len(cols) and every column has at least len(z) values.
func Affine(z []float64, cols [][]float64, w []float64, b float64) {
	if len(w) != len(cols) {
		panic("vecmath: Affine: len(w) != len(cols)")
	}
	for _, c := range cols {
		if len(c) < len(z) {
			panic("vecmath: Affine: column shorter than z")
		}
	}
	n := 0
	if accelerated {
		n = len(z) &^ 3
		affineVec(z[:n], cols, w, b)
	}
	affineGo(z, n, cols, w, b)
}

func affineGo(z []float64, from int, cols [][]float64, w []float64, b float64) {
	for i := from; i < len(z); i++ {
		s := b
		for j, c := range cols {
			s = math.FMA(w[j], c[i], s)
		}
		z[i] = s
	}
}

// Logistic replaces each z[i] by the probability of the positive class,
// 1/(1+exp(−z[i])), and sets p0[i] to that of the negative class. Both come
// from one exponential of −|z|, so the smaller probability is exact rather
// than 1 minus a rounded one. A NaN score gives NaN probabilities. It panics
// if p0 is shorter than z.
func Logistic(z, p0 []float64) {
	if len(p0) < len(z) {
		panic("vecmath: Logistic: p0 shorter than z")
	}
	n := 0
	if accelerated {
		n = len(z) &^ 3
		logisticVec(z[:n], p0, &logisticConsts)
	}
	for i := n; i < len(z); i++ {
		z[i], p0[i] = logistic(z[i])
	}
}

// Indexes into logisticConsts; the assembly uses the same layout (each
// constant repeated for the four lanes of a vector).
const (
	cSign = iota
	cFloor
	cLog2E
	cLn2Hi
	cLn2Lo
	cHalf
	cMagic
	cOne
	cPoly     // cPoly+k holds the coefficient of r^(13−k)
	numConsts = cPoly + 14
)

// floorArg is where exp stops: exp(−746) already rounds to zero, and the
// clamp keeps the exponent arithmetic below in range.
const floorArg = -746

var logisticConsts = func() (c [numConsts][4]float64) {
	set := func(k int, v float64) { c[k] = [4]float64{v, v, v, v} }
	set(cSign, math.Copysign(0, -1))
	set(cFloor, floorArg)
	set(cLog2E, math.Log2E)
	set(cLn2Hi, ln2Hi)
	set(cLn2Lo, ln2Lo)
	set(cHalf, 0.5)
	set(cMagic, 1<<52+1023)
	set(cOne, 1)
	for k := range 14 {
		set(cPoly+k, poly[k])
	}
	return c
}()

// ln2Hi + ln2Lo = ln 2 to twice double precision (fdlibm's split).
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// poly is exp's Taylor series to degree 13, highest power first: on
// |r| ≤ ln2/2 the truncation error is below 4e-18, far under half an ulp.
var poly = [14]float64{
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800,
	1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24,
	1.0 / 6, 1.0 / 2, 1, 1,
}

// logistic is one lane of logisticVec, operation for operation.
func logistic(v float64) (p1, p0 float64) {
	a := math.Float64frombits(math.Float64bits(v) | 1<<63) // −|v|
	if a < floorArg {
		a = floorArg
	}
	e := expNonPositive(a)
	big := 1 / (1 + e)
	small := float64(e * big)
	if math.Signbit(v) {
		return small, big
	}
	return big, small
}

// expNonPositive is exp(a) for floorArg ≤ a ≤ 0 (or NaN): a = k·ln2 + r with
// |r| ≤ ln2/2, exp(r) by its series, and 2^k applied as two halves so that
// results down to the smallest subnormal round only once.
func expNonPositive(a float64) float64 {
	k := math.RoundToEven(float64(a * math.Log2E))
	r := math.FMA(-k, ln2Hi, a)
	r = math.FMA(-k, ln2Lo, r)
	p := poly[0]
	for _, c := range poly[1:] {
		p = math.FMA(p, r, c)
	}
	k1 := math.Trunc(float64(k * 0.5))
	k2 := k - k1
	return float64(float64(p*pow2(k1)) * pow2(k2))
}

// pow2 is 2^k for an integer −1022 ≤ k ≤ 1023 held in a float64, built as
// the assembly builds it: k + 2^52 + 1023 holds k + 1023 in its low bits.
func pow2(k float64) float64 {
	return math.Float64frombits(math.Float64bits(k+(1<<52+1023)) << 52)
}
