package linear

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// loadCSV reads a testdata CSV into column-major features and the last column.
func loadCSV(t testing.TB, name string) (cols [][]float64, y []float64) {
	t.Helper()
	f, err := os.Open("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	p := len(recs[0]) - 1
	cols = make([][]float64, p)
	for _, r := range recs[1:] {
		for j := range p {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			cols[j] = append(cols[j], v)
		}
		v, err := strconv.ParseFloat(r[p], 64)
		if err != nil {
			t.Fatal(err)
		}
		y = append(y, v)
	}
	return cols, y
}

// standardize is scikit-learn's StandardScaler (population standard deviation).
func standardize(cols [][]float64) [][]float64 {
	out := make([][]float64, len(cols))
	for j, c := range cols {
		m := meanOf(c)
		ss := 0.0
		for _, v := range c {
			ss += (v - m) * (v - m)
		}
		s := math.Sqrt(ss / float64(len(c)))
		out[j] = make([]float64, len(c))
		for i, v := range c {
			out[j][i] = (v - m) / s
		}
	}
	return out
}

func classes(y []float64) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i] = int(v)
	}
	return out
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300) }

// Reference values: testdata/reference.py, scikit-learn 1.2.1.
func TestOLSDiabetes(t *testing.T) {
	cols, y := loadCSV(t, "diabetes.csv")
	tests := []struct {
		name      string
		l2        float64
		coef      []float64
		intercept float64
		tol       float64
	}{
		// LinearRegression().fit(X, y)
		{"ols", 0, []float64{-10.00986629981017, -239.8156436724233, 519.8459200544609, 324.3846455023238, -792.1756385522339,
			476.73902100526067, 101.0432679380352, 177.06323767134714, 751.2736995571057, 67.6266921837051}, 152.13348416289597, 1e-8},
		// Ridge(alpha=0.5).fit(X, y)
		{"ridge", 0.5, []float64{20.138007091745557, -131.24149466806972, 383.48370375875515, 244.8350696366197, -15.186741386232958,
			-58.344136486435104, -174.84237091382502, 121.98495030379097, 328.4987566991809, 110.88643330092609}, 152.133484162896, 1e-8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, b, err := OLS(cols, y, tt.l2, true)
			if err != nil {
				t.Fatal(err)
			}
			for j, want := range tt.coef {
				if e := relErr(w[j], want); e > tt.tol {
					t.Errorf("coef %d = %v, want %v (rel err %.2g)", j, w[j], want, e)
				}
			}
			if e := relErr(b, tt.intercept); e > tt.tol {
				t.Errorf("intercept = %v, want %v (rel err %.2g)", b, tt.intercept, e)
			}
		})
	}
}

func TestOLSRankDeficient(t *testing.T) {
	// Two one-hot columns that sum to one, with an intercept: the minimum-norm
	// solution splits the effect evenly, as numpy.linalg.lstsq does.
	a := []float64{1, 1, 0, 0}
	b := []float64{0, 0, 1, 1}
	y := []float64{1, 1, 3, 3}
	w, c, err := OLS([][]float64{a, b}, y, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w[0]+1) > 1e-12 || math.Abs(w[1]-1) > 1e-12 || math.Abs(c-2) > 1e-12 {
		t.Errorf("w = %v, b = %v; want [-1 1], 2", w, c)
	}
}

// Reference values: testdata/reference.py, scikit-learn 1.2.1, on the
// standardized data. scikit-learn minimizes C·Σloss + penalty; Logistic
// minimizes Σloss + λ·penalty, the same problem scaled by λ = 1/C.
func TestLogisticObjective(t *testing.T) {
	bc, yb := loadCSV(t, "breast_cancer.csv")
	bc = standardize(bc)
	wine, yw := loadCSV(t, "wine.csv")
	wine = standardize(wine)
	tests := []struct {
		name    string
		cols    [][]float64
		y       []float64
		k       int
		l1, l2  float64
		sklearn float64 // scikit-learn's objective at its solution
		scale   float64 // our objective / scikit-learn's
	}{
		// LogisticRegression(C=1.0, tol=1e-12, max_iter=100000)
		{"binary C=1", bc, yb, 2, 0, 1, 37.758946050084674, 1},
		// LogisticRegression(C=0.1, tol=1e-12, max_iter=100000)
		{"binary C=0.1", bc, yb, 2, 0, 10, 6.627161275511757, 10},
		// LogisticRegression(penalty='l1', C=1.0, solver='saga', tol=1e-12, max_iter=1000000)
		{"binary L1 C=1", bc, yb, 2, 1, 0, 46.08168566007876, 1},
		// LogisticRegression(C=1.0, tol=1e-12, max_iter=100000), multinomial
		{"multinomial wine C=1", wine, yw, 3, 0, 1, 12.090335793448073, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Logistic(tt.cols, classes(tt.y), tt.k, LogisticOptions{L1: tt.l1, L2: tt.l2, Tol: 1e-10, MaxIter: 10000})
			if err != nil {
				t.Fatal(err)
			}
			if direct := LogisticObjective(tt.cols, classes(tt.y), tt.k, r.W, r.B, tt.l1, tt.l2); relErr(r.Objective, direct) > 1e-12 {
				t.Errorf("reported objective %v, evaluated directly %v", r.Objective, direct)
			}
			got := r.Objective / tt.scale
			if e := relErr(got, tt.sklearn); e > 1e-6 {
				t.Errorf("objective = %.15g, scikit-learn %.15g (rel err %.2g, %d iterations, converged %v)", got, tt.sklearn, e, r.Iterations, r.Converged)
			}
			t.Logf("objective %.15g vs %.15g (rel %.2g) in %d iterations", got, tt.sklearn, relErr(got, tt.sklearn), r.Iterations)
		})
	}
}

func TestLogisticDeterministic(t *testing.T) {
	cols, y := loadCSV(t, "breast_cancer.csv")
	var first *LogisticResult
	for _, workers := range []int{1, 2, 7} {
		for _, l1 := range []float64{0, 0.5} {
			r, err := Logistic(cols, classes(y), 2, LogisticOptions{L1: l1, L2: 1, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if l1 != 0 {
				continue
			}
			if first == nil {
				first = r
			} else if r.Objective != first.Objective || r.B[0] != first.B[0] || r.W[0][3] != first.W[0][3] {
				t.Errorf("workers %d: another result", workers)
			}
		}
	}
}
