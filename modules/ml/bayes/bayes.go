// Package bayes fits naive Bayes classifiers on column-major matrices whose
// columns are numbers (Gaussian likelihood) or category codes (categorical
// likelihood with Laplace smoothing).
package bayes

import (
	"errors"
	"fmt"
	"math"
)

// Options are the hyper-parameters of naive Bayes.
type Options struct {
	// Alpha is the additive (Laplace) smoothing of category counts.
	Alpha float64
	// VarSmoothing is added to every Gaussian variance, as a fraction of the
	// largest variance of a numeric column over all rows (scikit-learn's
	// GaussianNB var_smoothing).
	VarSmoothing float64
}

// Model is a fitted naive Bayes classifier.
type Model struct {
	// LogPrior is the log class frequency.
	LogPrior []float64 `json:"log_prior"`
	// Features has one entry per matrix column.
	Features []Feature `json:"features"`
}

// Feature is one column's class-conditional likelihood: Gaussian (Mean and
// Var per class) when Categories is 0, categorical (LogProb[class][code])
// otherwise.
type Feature struct {
	Categories int         `json:"categories,omitempty"`
	Mean       []float64   `json:"mean,omitempty"`
	Var        []float64   `json:"var,omitempty"`
	LogProb    [][]float64 `json:"log_prob,omitempty"`
}

// Fit learns class priors and per-class likelihoods. card[j] is the number
// of categories of a code column (codes 0..card[j]-1; card[j] and above mean
// "unseen" and are ignored), 0 for a numeric one. NaN values are left out of
// the counts and, at prediction, out of the row's likelihood.
func Fit(cols [][]float64, card []int, class []int, k int, o Options) (*Model, error) {
	if k < 2 {
		return nil, errors.New("naive Bayes needs at least two classes")
	}
	if o.Alpha < 0 || o.VarSmoothing < 0 {
		return nil, errors.New("smoothing must not be negative")
	}
	n := len(class)
	counts := make([]float64, k)
	for _, c := range class {
		counts[c]++
	}
	m := &Model{LogPrior: make([]float64, k), Features: make([]Feature, len(cols))}
	for c := range k {
		m.LogPrior[c] = math.Log(counts[c] / float64(n))
	}
	maxVar := 0.0
	for j, col := range cols {
		if card[j] > 0 {
			m.Features[j] = fitCategorical(col, card[j], class, k, o.Alpha)
			continue
		}
		f := fitGaussian(col, class, k)
		m.Features[j] = f
		maxVar = max(maxVar, variance(col))
	}
	eps := o.VarSmoothing * maxVar
	if eps == 0 {
		// Constant columns only: a floor still keeps a zero variance from
		// dividing by zero.
		eps = 1e-9
	}
	for j := range m.Features {
		for c := range m.Features[j].Var {
			m.Features[j].Var[c] += eps
		}
	}
	return m, nil
}

func fitGaussian(col []float64, class []int, k int) Feature {
	f := Feature{Mean: make([]float64, k), Var: make([]float64, k)}
	cnt := make([]float64, k)
	for i, v := range col {
		if math.IsNaN(v) {
			continue
		}
		cnt[class[i]]++
		f.Mean[class[i]] += v
	}
	for c := range k {
		if cnt[c] > 0 {
			f.Mean[c] /= cnt[c]
		}
	}
	for i, v := range col {
		if math.IsNaN(v) {
			continue
		}
		d := v - f.Mean[class[i]]
		f.Var[class[i]] += d * d
	}
	for c := range k {
		if cnt[c] > 0 {
			f.Var[c] /= cnt[c]
		}
	}
	return f
}

func fitCategorical(col []float64, cats int, class []int, k int, alpha float64) Feature {
	f := Feature{Categories: cats, LogProb: make([][]float64, k)}
	cnt := make([][]float64, k)
	tot := make([]float64, k)
	for c := range k {
		cnt[c] = make([]float64, cats)
	}
	for i, v := range col {
		if math.IsNaN(v) || v < 0 || int(v) >= cats {
			continue
		}
		cnt[class[i]][int(v)]++
		tot[class[i]]++
	}
	for c := range k {
		f.LogProb[c] = make([]float64, cats)
		for t := range cats {
			num, den := cnt[c][t]+alpha, tot[c]+alpha*float64(cats)
			if num == 0 {
				// Without smoothing an unseen pairing is impossible; a large
				// finite penalty keeps the JSON encodable and the row scorable.
				f.LogProb[c][t] = -1e300
				continue
			}
			f.LogProb[c][t] = math.Log(num / den)
		}
	}
	return f
}

func variance(col []float64) float64 {
	s, n := 0.0, 0.0
	for _, v := range col {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := s / n
	ss := 0.0
	for _, v := range col {
		if !math.IsNaN(v) {
			ss += (v - m) * (v - m)
		}
	}
	return ss / n
}

// Check validates a decoded model against the feature count and classes.
func (m *Model) Check(features, k int) error {
	if len(m.LogPrior) != k {
		return fmt.Errorf("%d priors for %d classes", len(m.LogPrior), k)
	}
	if len(m.Features) != features {
		return fmt.Errorf("%d feature likelihoods for %d features", len(m.Features), features)
	}
	for j, f := range m.Features {
		if f.Categories > 0 {
			if len(f.LogProb) != k {
				return fmt.Errorf("feature %d: %d class tables for %d classes", j, len(f.LogProb), k)
			}
			for _, lp := range f.LogProb {
				if len(lp) != f.Categories {
					return fmt.Errorf("feature %d: %d probabilities for %d categories", j, len(lp), f.Categories)
				}
			}
		} else if len(f.Mean) != k || len(f.Var) != k {
			return fmt.Errorf("feature %d: Gaussian parameters for %d classes, want %d", j, len(f.Mean), k)
		}
	}
	return nil
}

// Predict writes the class probabilities of x's rows into out (row-major
// rows×classes).
func (m *Model) Predict(cols [][]float64, rows int, out []float64) {
	k := len(m.LogPrior)
	out = out[:rows*k]
	for i := range rows {
		copy(out[i*k:(i+1)*k], m.LogPrior)
	}
	for j, f := range m.Features {
		col := cols[j][:rows]
		if f.Categories > 0 {
			for i, v := range col {
				if math.IsNaN(v) || v < 0 || int(v) >= f.Categories {
					continue
				}
				t := int(v)
				for c := range k {
					out[i*k+c] += f.LogProb[c][t]
				}
			}
			continue
		}
		for c := range k {
			norm := -0.5 * math.Log(2*math.Pi*f.Var[c])
			inv := 1 / (2 * f.Var[c])
			mu := f.Mean[c]
			for i, v := range col {
				if math.IsNaN(v) {
					continue
				}
				d := v - mu
				out[i*k+c] += norm - d*d*inv
			}
		}
	}
	for i := range rows {
		row := out[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = max(mx, v)
		}
		s := 0.0
		for c, v := range row {
			row[c] = math.Exp(v - mx)
			s += row[c]
		}
		for c := range row {
			row[c] /= s
		}
	}
}
