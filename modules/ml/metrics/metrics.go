// Package metrics computes model evaluation metrics from label and score
// vectors, and renders the charts Evaluate Model shows as SVG. It knows
// nothing of tables, so cross-validation and tuning can reuse it.
//
// Definitions follow scikit-learn's where one exists (roc_auc_score,
// average_precision_score, log_loss, r2_score), so results can be checked
// against it.
package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// LogLossEps bounds probabilities away from 0 and 1 in log loss, as
// scikit-learn's log_loss did with eps=1e-15, so one confident mistake gives
// a large but finite loss.
const LogLossEps = 1e-15

// BinaryReport is the evaluation of a two-class model at one threshold.
type BinaryReport struct {
	Threshold float64 `json:"threshold"`
	// Counts at the threshold: a row is predicted positive when its score is
	// above the threshold.
	TP, FP, TN, FN int
	Accuracy       float64 `json:"accuracy"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
	// AUC is the area under the ROC curve (threshold-free).
	AUC float64 `json:"auc"`
	// AveragePrecision summarizes the precision-recall curve as scikit-learn's
	// average_precision_score does.
	AveragePrecision float64 `json:"average_precision"`
	LogLoss          float64 `json:"log_loss"`
}

// Binary evaluates scores (probabilities of the positive class) against the
// truth. A row is predicted positive when its score is above threshold.
// Precision (recall, F1) is 0 when no row is predicted (is, has either) positive.
func Binary(truth []bool, score []float64, threshold float64) BinaryReport {
	checkLen(len(truth), len(score))
	r := BinaryReport{Threshold: threshold}
	r.TP, r.FP, r.TN, r.FN = Confusion2(truth, score, threshold)
	n := len(truth)
	if n > 0 {
		r.Accuracy = float64(r.TP+r.TN) / float64(n)
	}
	r.Precision = ratio(r.TP, r.TP+r.FP)
	r.Recall = ratio(r.TP, r.TP+r.FN)
	if r.Precision+r.Recall > 0 {
		r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
	}
	r.AUC = AUC(truth, score)
	r.AveragePrecision = AveragePrecision(truth, score)
	r.LogLoss = LogLoss(truth, score)
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func checkLen(a, b int) {
	if a != b {
		panic(fmt.Sprintf("metrics: %d labels but %d scores", a, b))
	}
}

// Confusion2 counts true/false positives/negatives at a threshold (positive
// when score > threshold).
func Confusion2(truth []bool, score []float64, threshold float64) (tp, fp, tn, fn int) {
	checkLen(len(truth), len(score))
	for i, t := range truth {
		p := score[i] > threshold
		switch {
		case t && p:
			tp++
		case !t && p:
			fp++
		case !t:
			tn++
		default:
			fn++
		}
	}
	return
}

// Curve is a sequence of points swept over thresholds, from the highest
// threshold to the lowest.
type Curve struct {
	X, Y []float64
	// Thresholds[i] is the score at or above which rows are predicted positive
	// at point i (+Inf for the curve's starting point).
	Thresholds []float64
}

// rankCounts sorts by descending score and returns, for each distinct score
// (highest first), the cumulative true and false positives of predicting
// positive every row scoring at or above it. Tied scores form one point,
// which is what makes the AUC exact with ties.
func rankCounts(truth []bool, score []float64) (tps, fps []int, thr []float64) {
	checkLen(len(truth), len(score))
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	tp, fp := 0, 0
	for k, i := range idx {
		if truth[i] {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && score[idx[k+1]] == score[i] {
			continue
		}
		tps = append(tps, tp)
		fps = append(fps, fp)
		thr = append(thr, score[i])
	}
	return
}

// ROC returns the receiver operating characteristic: X the false positive
// rate, Y the true positive rate, one point per distinct score plus (0, 0).
// With no positive (or negative) row the corresponding rate is NaN.
func ROC(truth []bool, score []float64) Curve {
	tps, fps, thr := rankCounts(truth, score)
	c := Curve{X: []float64{0}, Y: []float64{0}, Thresholds: []float64{math.Inf(1)}}
	if len(tps) == 0 {
		return c
	}
	P, N := float64(tps[len(tps)-1]), float64(fps[len(fps)-1])
	for k := range tps {
		c.X = append(c.X, float64(fps[k])/N)
		c.Y = append(c.Y, float64(tps[k])/P)
		c.Thresholds = append(c.Thresholds, thr[k])
	}
	return c
}

// AUC returns the area under the ROC curve by the trapezoid rule over
// distinct thresholds, so tied scores count half, as in scikit-learn's
// roc_auc_score. It is NaN when the truth has a single class.
func AUC(truth []bool, score []float64) float64 {
	c := ROC(truth, score)
	if len(c.X) < 2 || math.IsNaN(c.X[len(c.X)-1]) || math.IsNaN(c.Y[len(c.Y)-1]) {
		return math.NaN()
	}
	return trapezoid(c.X, c.Y)
}

func trapezoid(x, y []float64) float64 {
	a := 0.0
	for i := 1; i < len(x); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// PR returns the precision-recall curve: X recall, Y precision, one point per
// distinct score (highest first), starting at recall 0 and precision 1 as
// scikit-learn's precision_recall_curve ends.
func PR(truth []bool, score []float64) Curve {
	tps, fps, thr := rankCounts(truth, score)
	c := Curve{X: []float64{0}, Y: []float64{1}, Thresholds: []float64{math.Inf(1)}}
	if len(tps) == 0 {
		return c
	}
	P := float64(tps[len(tps)-1])
	for k := range tps {
		rec := math.NaN()
		if P > 0 {
			rec = float64(tps[k]) / P
		}
		c.X = append(c.X, rec)
		c.Y = append(c.Y, float64(tps[k])/float64(tps[k]+fps[k]))
		c.Thresholds = append(c.Thresholds, thr[k])
	}
	return c
}

// AveragePrecision is Σ (R_k − R_{k−1}) P_k over distinct thresholds, as
// scikit-learn's average_precision_score (no interpolation). It is NaN
// without positive rows.
func AveragePrecision(truth []bool, score []float64) float64 {
	c := PR(truth, score)
	ap := 0.0
	for k := 1; k < len(c.X); k++ {
		ap += (c.X[k] - c.X[k-1]) * c.Y[k]
	}
	return ap
}

// LogLoss is the mean negative log-likelihood of the truth under p, the
// probability of the positive class, with p clipped to [eps, 1−eps].
func LogLoss(truth []bool, p []float64) float64 {
	checkLen(len(truth), len(p))
	if len(truth) == 0 {
		return math.NaN()
	}
	s := 0.0
	for i, t := range truth {
		q := p[i]
		if !t {
			q = 1 - q
		}
		s -= math.Log(clip(q))
	}
	return s / float64(len(truth))
}

func clip(p float64) float64 { return min(max(p, LogLossEps), 1-LogLossEps) }

// ThresholdRow is one line of a threshold table.
type ThresholdRow struct {
	Threshold                       float64
	TP, FP, TN, FN                  int
	Accuracy, Precision, Recall, F1 float64
}

// ThresholdTable evaluates the counts at each threshold.
func ThresholdTable(truth []bool, score []float64, thresholds []float64) []ThresholdRow {
	out := make([]ThresholdRow, len(thresholds))
	for k, th := range thresholds {
		tp, fp, tn, fn := Confusion2(truth, score, th)
		r := ThresholdRow{Threshold: th, TP: tp, FP: fp, TN: tn, FN: fn}
		if n := tp + fp + tn + fn; n > 0 {
			r.Accuracy = float64(tp+tn) / float64(n)
		}
		r.Precision, r.Recall = ratio(tp, tp+fp), ratio(tp, tp+fn)
		if r.Precision+r.Recall > 0 {
			r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
		}
		out[k] = r
	}
	return out
}

// MulticlassReport is the evaluation of a multiclass model.
type MulticlassReport struct {
	Accuracy float64 `json:"accuracy"`
	// Macro averages weight every class alike; a class never predicted has
	// precision 0, a class absent from the truth recall 0.
	MacroPrecision float64 `json:"macro_precision"`
	MacroRecall    float64 `json:"macro_recall"`
	MacroF1        float64 `json:"macro_f1"`
	// LogLoss is NaN when no probabilities were given.
	LogLoss float64 `json:"log_loss"`
	// Confusion[t][p] counts rows of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
	Precision []float64
	Recall    []float64
	F1        []float64
}

// Multiclass evaluates predicted classes (and, when prob is not nil, the
// row-major n×k class probabilities) against true classes in [0, k).
func Multiclass(truth, pred []int, prob []float64, k int) MulticlassReport {
	checkLen(len(truth), len(pred))
	r := MulticlassReport{Confusion: ConfusionMatrix(truth, pred, k), LogLoss: math.NaN()}
	n := len(truth)
	correct := 0
	for c := range k {
		correct += r.Confusion[c][c]
	}
	r.Accuracy = ratio(correct, n)
	r.Precision, r.Recall, r.F1 = make([]float64, k), make([]float64, k), make([]float64, k)
	for c := range k {
		predicted, actual := 0, 0
		for o := range k {
			predicted += r.Confusion[o][c]
			actual += r.Confusion[c][o]
		}
		p, rc := ratio(r.Confusion[c][c], predicted), ratio(r.Confusion[c][c], actual)
		r.Precision[c], r.Recall[c] = p, rc
		if p+rc > 0 {
			r.F1[c] = 2 * p * rc / (p + rc)
		}
		r.MacroPrecision += p / float64(k)
		r.MacroRecall += rc / float64(k)
		r.MacroF1 += r.F1[c] / float64(k)
	}
	if prob != nil {
		r.LogLoss = MultiLogLoss(truth, prob, k)
	}
	return r
}

// ConfusionMatrix counts rows of true class t predicted as p in [t][p].
func ConfusionMatrix(truth, pred []int, k int) [][]int {
	checkLen(len(truth), len(pred))
	m := make([][]int, k)
	for c := range m {
		m[c] = make([]int, k)
	}
	for i, t := range truth {
		m[t][pred[i]]++
	}
	return m
}

// MultiLogLoss is the mean negative log probability of the true class, prob
// being row-major n×k, clipped as LogLoss. Like scikit-learn, each row is
// renormalized after clipping.
func MultiLogLoss(truth []int, prob []float64, k int) float64 {
	if len(prob) != len(truth)*k {
		panic(fmt.Sprintf("metrics: %d probabilities for %d rows of %d classes", len(prob), len(truth), k))
	}
	if len(truth) == 0 {
		return math.NaN()
	}
	s := 0.0
	for i, t := range truth {
		row := prob[i*k : (i+1)*k]
		sum := 0.0
		for _, p := range row {
			sum += clip(p)
		}
		s -= math.Log(clip(row[t]) / sum)
	}
	return s / float64(len(truth))
}

// RegressionReport is the evaluation of a regression model.
type RegressionReport struct {
	MAE  float64 `json:"mae"`
	RMSE float64 `json:"rmse"`
	// R2 is the coefficient of determination, 1 − SSres/SStot.
	R2 float64 `json:"r2"`
	// RAE is Σ|y−ŷ| / Σ|y−ȳ|; RSE is SSres/SStot.
	RAE float64 `json:"rae"`
	RSE float64 `json:"rse"`
}

// Regression evaluates predictions against the truth. With a constant truth
// R², RAE and RSE are NaN (there is no variation to explain).
func Regression(y, yhat []float64) RegressionReport {
	checkLen(len(y), len(yhat))
	n := float64(len(y))
	if n == 0 {
		return RegressionReport{MAE: math.NaN(), RMSE: math.NaN(), R2: math.NaN(), RAE: math.NaN(), RSE: math.NaN()}
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= n
	var abs, sq, absTot, sqTot float64
	for i, v := range y {
		e := v - yhat[i]
		abs += math.Abs(e)
		sq += e * e
		absTot += math.Abs(v - mean)
		sqTot += (v - mean) * (v - mean)
	}
	r := RegressionReport{MAE: abs / n, RMSE: math.Sqrt(sq / n)}
	if sqTot == 0 {
		r.R2, r.RAE, r.RSE = math.NaN(), math.NaN(), math.NaN()
		return r
	}
	r.RSE = sq / sqTot
	r.R2 = 1 - r.RSE
	r.RAE = abs / absTot
	return r
}

// ClusterReport describes a clustering of rows.
type ClusterReport struct {
	Sizes []int `json:"sizes"`
	// AvgDistance[k] is the mean distance of cluster k's rows to its centre
	// (NaN for an empty cluster); MaxDistance the largest.
	AvgDistance []float64 `json:"avg_distance"`
	MaxDistance []float64 `json:"max_distance"`
	// Overall is the mean distance of every row to its centre.
	Overall float64 `json:"overall"`
}

// Clustering summarizes assignments in [0, k) and each row's distance to its centre.
func Clustering(assign []int, dist []float64, k int) ClusterReport {
	checkLen(len(assign), len(dist))
	r := ClusterReport{Sizes: make([]int, k), AvgDistance: make([]float64, k), MaxDistance: make([]float64, k)}
	total := 0.0
	for i, a := range assign {
		r.Sizes[a]++
		r.AvgDistance[a] += dist[i]
		r.MaxDistance[a] = max(r.MaxDistance[a], dist[i])
		total += dist[i]
	}
	for c := range k {
		if r.Sizes[c] == 0 {
			r.AvgDistance[c], r.MaxDistance[c] = math.NaN(), math.NaN()
			continue
		}
		r.AvgDistance[c] /= float64(r.Sizes[c])
	}
	r.Overall = math.NaN()
	if len(assign) > 0 {
		r.Overall = total / float64(len(assign))
	}
	return r
}
