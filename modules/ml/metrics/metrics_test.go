package metrics

import (
	"math"
	"strings"
	"testing"
)

// Reference values: modules/ml/testdata/reference.py, scikit-learn 1.2.1.
var (
	// yt and sc hold ties: 0.4 three times (one positive, two negatives),
	// 0.65 twice (one each), 0.1 twice (one each).
	yt = []int{0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1}
	sc = []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.65, 0.65, 0.1, 0.7}
)

func truthOf(y []int) []bool {
	out := make([]bool, len(y))
	for i, v := range y {
		out[i] = v == 1
	}
	return out
}

func close(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.17g, want %.17g", name, got, want)
	}
}

func TestBinaryMatchesSklearn(t *testing.T) {
	r := Binary(truthOf(yt), sc, 0.5)
	close(t, "roc_auc_score", r.AUC, 0.7142857142857143, 1e-15)
	close(t, "average_precision_score", r.AveragePrecision, 0.8107142857142857, 1e-15)
	close(t, "log_loss", r.LogLoss, 0.6487197762810663, 1e-15)
	// pred = sc > 0.5
	close(t, "accuracy_score", r.Accuracy, 0.6666666666666666, 1e-15)
	close(t, "precision_score", r.Precision, 0.8, 1e-15)
	close(t, "recall_score", r.Recall, 0.5714285714285714, 1e-15)
	close(t, "f1_score", r.F1, 0.6666666666666666, 1e-15)
	if r.TP != 4 || r.FP != 1 || r.TN != 4 || r.FN != 3 {
		t.Errorf("counts %d %d %d %d", r.TP, r.FP, r.TN, r.FN)
	}
}

func TestAUCTies(t *testing.T) {
	tests := []struct {
		name  string
		truth []int
		score []float64
		want  float64
	}{
		{"all tied", []int{0, 1, 0, 1}, []float64{0.5, 0.5, 0.5, 0.5}, 0.5},
		{"perfect", []int{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}, 1},
		{"reversed", []int{1, 1, 0, 0}, []float64{0.1, 0.2, 0.8, 0.9}, 0},
		// One positive tied with one negative at the top: half credit for that pair.
		{"one tie", []int{1, 0, 0}, []float64{0.9, 0.9, 0.1}, 0.75},
	}
	for _, tt := range tests {
		close(t, tt.name, AUC(truthOf(tt.truth), tt.score), tt.want, 1e-15)
	}
	if !math.IsNaN(AUC([]bool{true, true}, []float64{0.2, 0.3})) {
		t.Error("AUC with one class should be NaN")
	}
}

func TestMulticlassMatchesSklearn(t *testing.T) {
	ym := []int{0, 1, 2, 2, 1, 0, 2, 1}
	pm := []float64{.7, .2, .1, .1, .6, .3, .2, .2, .6, .3, .4, .3, .5, .4, .1, .6, .3, .1, .1, .1, .8, .3, .3, .4}
	pred := make([]int, len(ym))
	for i := range ym {
		row := pm[i*3 : i*3+3]
		for c := range row {
			if row[c] > row[pred[i]] {
				pred[i] = c
			}
		}
	}
	r := Multiclass(ym, pred, pm, 3)
	close(t, "log_loss", r.LogLoss, 0.6795664633846177, 1e-15)
	close(t, "macro precision", r.MacroPrecision, 0.611111111111111, 1e-15)
	close(t, "macro recall", r.MacroRecall, 0.6666666666666666, 1e-15)
	close(t, "macro f1", r.MacroF1, 0.6222222222222222, 1e-15)
}

func TestRegressionMatchesSklearn(t *testing.T) {
	r := Regression([]float64{3.0, -0.5, 2.0, 7.0, 4.2}, []float64{2.5, 0.0, 2.0, 8.0, 3.9})
	close(t, "r2_score", r.R2, 0.9480256276150627, 1e-15)
	close(t, "mean_absolute_error", r.MAE, 0.4600000000000001, 1e-15)
	close(t, "sqrt(mean_squared_error)", r.RMSE, 0.5639148871948674, 1e-15)
	close(t, "rse", r.RSE, 1-0.9480256276150627, 1e-14)
	if c := Regression([]float64{1, 1}, []float64{1, 2}); !math.IsNaN(c.R2) {
		t.Error("R² of a constant truth should be NaN")
	}
}

func TestClustering(t *testing.T) {
	r := Clustering([]int{0, 0, 2}, []float64{1, 3, 2}, 3)
	if r.Sizes[0] != 2 || r.Sizes[1] != 0 || r.AvgDistance[0] != 2 || r.MaxDistance[0] != 3 || !math.IsNaN(r.AvgDistance[1]) || r.Overall != 2 {
		t.Errorf("%+v", r)
	}
}

func TestSVGEscapes(t *testing.T) {
	svg := LineChart(Chart{Title: `<script>"x" & y</script>`, Series: []Series{{Name: "a<b", X: []float64{0, 1, math.NaN()}, Y: []float64{0, 1, 2}}}})
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "a&lt;b") {
		t.Errorf("unescaped SVG: %s", svg)
	}
	if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Error("not an SVG document")
	}
	for _, s := range []string{Histogram("h", "x", []float64{1, 2, 2, math.Inf(1)}, 4), Histogram("h", "x", nil, 4), BarChart("b", []string{"x&"}, []float64{2})} {
		if !strings.HasSuffix(s, "</svg>\n") || strings.Contains(s, "NaN") {
			t.Errorf("bad SVG: %s", s)
		}
	}
}
