package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sameBits treats every NaN as equal to every other.
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func randomColumns(rng *rand.Rand, m, n, skew int) [][]float64 {
	cols := make([][]float64, m)
	for j := range cols {
		// Columns start at odd offsets of their storage, as a block of a
		// table column does.
		c := make([]float64, n+skew)
		for i := range c {
			c[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
		}
		cols[j] = c[skew:]
	}
	return cols
}

func TestAffineMatchesPortableLoop(t *testing.T) {
	t.Logf("accelerated: %v", accelerated)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{0, 1, 3, 4, 7, 20, 33} {
		for n := range 75 {
			cols := randomColumns(rng, m, n, n%3)
			w := make([]float64, m)
			for j := range w {
				w[j] = rng.NormFloat64()
			}
			b := rng.NormFloat64()
			got := make([]float64, n)
			Affine(got, cols, w, b)
			want := make([]float64, n)
			affineGo(want, 0, cols, w, b)
			for i := range n {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("m=%d n=%d row %d: %v, portable loop %v", m, n, i, got[i], want[i])
				}
			}
		}
	}
}

func TestAffineValues(t *testing.T) {
	cols := [][]float64{{1, 2, 3, 4, 5, 6}, {10, 20, 30, 40, 50, 60}}
	z := make([]float64, 6)
	Affine(z, cols, []float64{2, -1}, 0.5)
	for i, want := range []float64{-7.5, -15.5, -23.5, -31.5, -39.5, -47.5} {
		if z[i] != want {
			t.Errorf("row %d: %v, want %v", i, z[i], want)
		}
	}
	// A short prefix of z is computed; the rest is left alone.
	z = []float64{9, 9, 9}
	Affine(z[:1], cols, []float64{1, 1}, 0)
	if z[0] != 11 || z[1] != 9 {
		t.Errorf("prefix: %v", z)
	}
	// Fused: 0.1·10 + (−1) is the exact residual of rounding 0.1·10, not 0.
	Affine(z[:1], [][]float64{{0.1}}, []float64{10}, -1)
	if want := math.FMA(0.1, 10, -1); z[0] != want || want == 0 {
		t.Errorf("fused multiply-add: %v, want %v", z[0], want)
	}
}

func TestAffinePanicsOnShortInput(t *testing.T) {
	for name, f := range map[string]func(){
		"weights": func() { Affine(make([]float64, 4), [][]float64{make([]float64, 4)}, nil, 0) },
		"column":  func() { Affine(make([]float64, 8), [][]float64{make([]float64, 4)}, []float64{1}, 0) },
		"p0":      func() { Logistic(make([]float64, 8), make([]float64, 4)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// special scores: signed zeros, infinities, NaN, the clamp and subnormal
// boundaries, and values either side of them.
var special = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	745, -745, 745.2, -745.2, 746, -746, 800, -800, 708.4, -708.4, 709.8, -709.8,
	1e-300, -1e-300, 5e-324, -5e-324, 1e-17, -1e-17, 0.34657359, -0.34657359,
	math.Ln2 / 2, -math.Ln2 / 2, 36.7, -36.7, 1, -1, math.MaxFloat64, -math.MaxFloat64,
}

func scores(rng *rand.Rand, n int) []float64 {
	z := make([]float64, n)
	for i := range z {
		switch rng.IntN(4) {
		case 0:
			z[i] = special[rng.IntN(len(special))]
		case 1:
			z[i] = (rng.Float64()*2 - 1) * 800
		default:
			z[i] = rng.NormFloat64() * 4
		}
	}
	return z
}

func TestLogisticMatchesPortableLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 300 {
		z := scores(rng, n)
		got, p0 := append([]float64(nil), z...), make([]float64, n)
		Logistic(got, p0)
		for i, v := range z {
			w1, w0 := logistic(v)
			if !sameBits(got[i], w1) || !sameBits(p0[i], w0) {
				t.Fatalf("n=%d row %d, z=%v: (%v, %v), portable loop (%v, %v)", n, i, v, got[i], p0[i], w1, w0)
			}
		}
	}
	// Every special value in every lane.
	for lane := range 4 {
		for _, v := range special {
			z := []float64{0.5, 0.5, 0.5, 0.5}
			z[lane] = v
			p0 := make([]float64, 4)
			Logistic(z, p0)
			w1, w0 := logistic(v)
			if !sameBits(z[lane], w1) || !sameBits(p0[lane], w0) {
				t.Errorf("lane %d, z=%v: (%v, %v), portable loop (%v, %v)", lane, v, z[lane], p0[lane], w1, w0)
			}
		}
	}
}

// ulps is the distance between a and b in units in the last place.
func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Nextafter(math.Abs(b), math.Inf(1))-math.Abs(b), 5e-324)
}

func TestExpAgreesWithMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	for range 200_000 {
		a := -rng.Float64() * 746
		if rng.IntN(4) == 0 {
			a = -rng.ExpFloat64()
		}
		got, want := expNonPositive(a), math.Exp(a)
		if want < 0x1p-1022 {
			// Subnormal results carry fewer bits; count absolute steps.
			if d := math.Abs(got-want) / 5e-324; d > 1 {
				t.Fatalf("exp(%v) = %v, math.Exp %v (%v subnormal steps)", a, got, want, d)
			}
			continue
		}
		worst = max(worst, ulps(got, want))
	}
	if worst > 2 {
		t.Errorf("exp differs from math.Exp by up to %v ulps, want ≤ 2", worst)
	}
	for _, a := range []float64{0, math.Copysign(0, -1), floorArg, -745.2, -745.1} {
		if got, want := expNonPositive(a), math.Exp(a); !sameBits(got, want) && ulps(got, want) > 1 {
			t.Errorf("exp(%v) = %v, math.Exp %v", a, got, want)
		}
	}
}

func TestLogisticValues(t *testing.T) {
	tests := []struct {
		z, p1, p0 float64
	}{
		{0, 0.5, 0.5},
		{math.Copysign(0, -1), 0.5, 0.5},
		{math.Inf(1), 1, 0},
		{math.Inf(-1), 0, 1},
		{800, 1, 0},
		{-800, 0, 1},
		{math.Log(3), 0.75, 0.25},
		{-math.Log(3), 0.25, 0.75},
		// The small side stays exact far past where 1 − p rounds to 0.
		{-700, math.Exp(-700), 1},
		{700, 1, math.Exp(-700)},
	}
	for _, tc := range tests {
		z, p0 := []float64{tc.z}, []float64{0}
		Logistic(z, p0)
		if ulps(z[0], tc.p1) > 2 || ulps(p0[0], tc.p0) > 2 {
			t.Errorf("z=%v: (%v, %v), want (%v, %v)", tc.z, z[0], p0[0], tc.p1, tc.p0)
		}
	}
	z, p0 := []float64{math.NaN()}, []float64{0}
	Logistic(z, p0)
	if !math.IsNaN(z[0]) || !math.IsNaN(p0[0]) {
		t.Errorf("NaN score: (%v, %v), want NaN probabilities", z[0], p0[0])
	}
}

func TestLogisticAgreesWithDirectFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	z := make([]float64, 100_000)
	for i := range z {
		z[i] = rng.NormFloat64() * 10
	}
	p1, p0 := append([]float64(nil), z...), make([]float64, len(z))
	Logistic(p1, p0)
	for i, v := range z {
		e := math.Exp(-math.Abs(v))
		big, small := 1/(1+e), e/(1+e)
		if v < 0 {
			big, small = small, big
		}
		if ulps(p1[i], big) > 3 || ulps(p0[i], small) > 3 {
			t.Fatalf("z=%v: (%v, %v), direct formula (%v, %v)", v, p1[i], p0[i], big, small)
		}
		if s := p1[i] + p0[i]; math.Abs(s-1) > 3e-16 {
			t.Fatalf("z=%v: probabilities sum to %v", v, s)
		}
	}
}

func BenchmarkAffine2048x20(b *testing.B) {
	benchAffine(b, Affine)
}

func BenchmarkAffine2048x20Portable(b *testing.B) {
	benchAffine(b, func(z []float64, cols [][]float64, w []float64, c float64) { affineGo(z, 0, cols, w, c) })
}

func benchAffine(b *testing.B, f func([]float64, [][]float64, []float64, float64)) {
	rng := rand.New(rand.NewPCG(1, 1))
	cols := randomColumns(rng, 20, 2048, 0)
	w := make([]float64, 20)
	z := make([]float64, 2048)
	b.SetBytes(2048 * 20 * 8)
	for b.Loop() {
		f(z, cols, w, 1)
	}
}

func BenchmarkLogistic2048(b *testing.B) {
	benchLogistic(b, Logistic)
}

func BenchmarkLogistic2048Portable(b *testing.B) {
	benchLogistic(b, func(z, p0 []float64) {
		for i, v := range z {
			z[i], p0[i] = logistic(v)
		}
	})
}

func benchLogistic(b *testing.B, f func(z, p0 []float64)) {
	// Scores as a model gives them: no underflow to subnormals, which
	// costs a microcode assist per value on most x86 processors.
	rng := rand.New(rand.NewPCG(1, 1))
	src := make([]float64, 2048)
	for i := range src {
		src[i] = rng.NormFloat64() * 4
	}
	z, p0 := make([]float64, 2048), make([]float64, 2048)
	b.SetBytes(2048 * 8)
	for b.Loop() {
		copy(z, src)
		f(z, p0)
	}
}

// FuzzLogisticMatchesPortableLoop checks the vector kernels against the
// portable loops, bit for bit, on any score.
func FuzzLogisticMatchesPortableLoop(f *testing.F) {
	for _, v := range special {
		f.Add(v, 1.0)
	}
	f.Fuzz(func(t *testing.T, v, w float64) {
		z := []float64{v, -v, w, v * w, w - v}
		got, p0 := append([]float64(nil), z...), make([]float64, len(z))
		Logistic(got, p0)
		for i, s := range z {
			w1, w0 := logistic(s)
			if !sameBits(got[i], w1) || !sameBits(p0[i], w0) {
				t.Fatalf("z=%v: (%v, %v), portable loop (%v, %v)", s, got[i], p0[i], w1, w0)
			}
		}
		cols := [][]float64{{v, w, v, w, 1}, {w, v, -w, 0, v}}
		a, b := make([]float64, 5), make([]float64, 5)
		Affine(a, cols, []float64{w, v}, v)
		affineGo(b, 0, cols, []float64{w, v}, v)
		for i := range a {
			if !sameBits(a[i], b[i]) {
				t.Fatalf("Affine row %d: %v, portable loop %v", i, a[i], b[i])
			}
		}
	})
}
