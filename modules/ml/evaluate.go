package ml

import (
	"fmt"
	"math"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/metrics"
	"github.com/trellis-studio/trellis/modules/table"
)

// EvaluateModel is the Evaluate Model module.
type EvaluateModel struct{}

// Spec implements modules.Module.
func (EvaluateModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "evaluate_model", Version: 1, Name: "Evaluate Model", Category: modules.CategoryEvaluate,
		Summary: "Measures how well scored predictions match the labels, for one model or two side by side.",
		Help: "Connect the output of Score Model (or Assign Data to Clusters); connect a second one to compare. " +
			"The kind of model is read from the score columns.\n\n" +
			"Two-class: accuracy, precision, recall and F1 of the positive class (the second class in sorted order) " +
			"at the threshold (a row is predicted positive when its probability is above it), AUC (area under the " +
			"ROC curve, trapezoids over distinct scores, so tied scores count half), average precision, log loss " +
			"(probabilities clipped to [1e-15, 1 − 1e-15]), the confusion matrix, a threshold table, and ROC and " +
			"precision-recall curves.\n" +
			"Multiclass: accuracy, macro-averaged precision, recall and F1, log loss, per-class figures and the " +
			"confusion matrix.\n" +
			"Regression: mean absolute error, root mean squared error, coefficient of determination R² " +
			"(1 − SSres/SStot), relative absolute error Σ|y − ŷ|/Σ|y − ȳ|, relative squared error SSres/SStot, " +
			"and a histogram of residuals y − ŷ.\n" +
			"Clustering: the size of each cluster and the mean and largest distance of its rows to its centre.\n\n" +
			"Rows missing the label or a score are left out. Figures that are undefined (AUC with a single class " +
			"present, R² of a constant label) are not shown.",
		Inputs: []modules.Port{
			{Name: "scored", Label: "Scored dataset", Kind: modules.KindTable},
			{Name: "scored_2", Label: "Scored dataset to compare", Kind: modules.KindTable, Optional: true},
		},
		Outputs: []modules.Port{{Name: "report", Label: "Evaluation results", Kind: modules.KindReport}},
		Params: []modules.Param{{Name: "threshold", Label: "Threshold", Type: modules.ParamFloat, Default: 0.5,
			Min: modules.Bound(0), Max: modules.Bound(1),
			Help: "Two-class models: a row is predicted positive when its probability is above this."}},
	}
}

// Infer implements modules.Module.
func (EvaluateModel) Infer(*modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{{Kind: modules.KindReport}}, nil
}

// Run implements modules.Runner.
func (EvaluateModel) Run(rc *modules.Context) error {
	var scored []*Scored
	var names []string
	for _, port := range []string{"scored", "scored_2"} {
		t, err := rc.OptionalTable(port)
		if err != nil {
			return err
		}
		if t == nil {
			if port == "scored" {
				return fmt.Errorf("input %q is not connected", port)
			}
			continue
		}
		s, err := ReadScored(t)
		if err != nil {
			return fmt.Errorf("%s: %v", port, err)
		}
		if len(s.Rows) == 0 {
			return fmt.Errorf("%s: no row has both a label and scores", port)
		}
		scored = append(scored, s)
	}
	if len(scored) == 2 {
		if scored[0].Task != scored[1].Task {
			return fmt.Errorf("cannot compare a %s model with a %s model", scored[0].Task, scored[1].Task)
		}
		names = []string{"Scored dataset", "Scored dataset to compare"}
	} else {
		names = []string{""}
	}
	rep, err := Evaluate(scored, names, rc.Params.Float("threshold"))
	if err != nil {
		return err
	}
	rc.SetOutput("report", rep)
	return nil
}

// Evaluate builds the report for one or more scored tables of the same task;
// names label each in section titles ("" for a lone one).
func Evaluate(scored []*Scored, names []string, threshold float64) (*modules.Report, error) {
	rep := &modules.Report{Title: "Evaluation results"}
	title := func(i int, s string) string {
		if names[i] == "" {
			return s
		}
		return names[i] + ": " + s
	}
	var roc, pr []metrics.Series
	for i, s := range scored {
		var secs []modules.ReportSection
		var err error
		switch s.Task {
		case modules.TaskBinary:
			secs, err = binarySections(s, threshold)
			truth := s.Positive()
			rc, pc := metrics.ROC(truth, s.Prob), metrics.PR(truth, s.Prob)
			name := names[i]
			if name == "" {
				name = "model"
			}
			roc = append(roc, metrics.Series{Name: name, X: rc.X, Y: rc.Y})
			pr = append(pr, metrics.Series{Name: name, X: pc.X, Y: pc.Y})
		case modules.TaskMulticlass:
			secs, err = multiclassSections(s)
		case modules.TaskRegression:
			secs = regressionSections(s)
		case modules.TaskClustering:
			secs, err = clusterSections(s)
		}
		if err != nil {
			return nil, err
		}
		for _, sec := range secs {
			sec.Title = title(i, sec.Title)
			rep.Sections = append(rep.Sections, sec)
		}
	}
	if len(roc) > 0 {
		rep.Sections = append(rep.Sections,
			modules.ReportSection{Title: "ROC curve", SVG: metrics.LineChart(metrics.Chart{Title: "ROC curve",
				XLabel: "False positive rate", YLabel: "True positive rate", Series: roc, XMax: 1, YMax: 1, Diagonal: true})},
			modules.ReportSection{Title: "Precision-recall curve", SVG: metrics.LineChart(metrics.Chart{Title: "Precision-recall curve",
				XLabel: "Recall", YLabel: "Precision", Series: pr, XMax: 1, YMax: 1})})
	}
	return rep, nil
}

// metricList drops undefined figures, which JSON cannot carry and a reader
// cannot use.
func metricList(ms ...modules.Metric) []modules.Metric {
	out := ms[:0]
	for _, m := range ms {
		if !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) {
			out = append(out, m)
		}
	}
	return out
}

func binarySections(s *Scored, threshold float64) ([]modules.ReportSection, error) {
	truth := s.Positive()
	r := metrics.Binary(truth, s.Prob, threshold)
	pos, neg := 0, 0
	for _, t := range truth {
		if t {
			pos++
		} else {
			neg++
		}
	}
	summary := modules.ReportSection{Title: "Metrics", Metrics: metricList(
		modules.Metric{Name: "Accuracy", Value: r.Accuracy, Help: "Fraction of rows predicted right."},
		modules.Metric{Name: "Precision", Value: r.Precision, Help: "Of the rows predicted positive, the fraction that are."},
		modules.Metric{Name: "Recall", Value: r.Recall, Help: "Of the positive rows, the fraction predicted positive."},
		modules.Metric{Name: "F1 Score", Value: r.F1, Help: "Harmonic mean of precision and recall."},
		modules.Metric{Name: "AUC", Value: r.AUC, Help: "Area under the ROC curve: the chance a positive row scores above a negative one."},
		modules.Metric{Name: "Average Precision", Value: r.AveragePrecision, Help: "Area under the precision-recall curve (step-wise)."},
		modules.Metric{Name: "Log Loss", Value: r.LogLoss, Help: "Mean negative log probability of the true class."},
		modules.Metric{Name: "Threshold", Value: threshold},
		modules.Metric{Name: "Positive Label Rows", Value: float64(pos), Help: "Rows of class " + strconv.Quote(s.Classes[1]) + "."},
		modules.Metric{Name: "Negative Label Rows", Value: float64(neg), Help: "Rows of class " + strconv.Quote(s.Classes[0]) + "."},
	)}
	cm, err := table.New(table.Schema{
		{Name: "Actual", Type: table.String},
		{Name: "Predicted " + s.Classes[1], Type: table.Int},
		{Name: "Predicted " + s.Classes[0], Type: table.Int},
	}, []table.Column{
		table.NewStrings([]string{s.Classes[1], s.Classes[0]}, nil),
		table.NewInts([]int64{int64(r.TP), int64(r.FP)}, nil),
		table.NewInts([]int64{int64(r.FN), int64(r.TN)}, nil),
	})
	if err != nil {
		return nil, fmt.Errorf("confusion matrix: %v", err)
	}
	var ths []float64
	for k := 0; k <= 20; k++ {
		ths = append(ths, float64(k)/20)
	}
	rows := metrics.ThresholdTable(truth, s.Prob, ths)
	cols := make([][]float64, 5)
	counts := make([][]int64, 4)
	for _, r := range rows {
		for k, v := range []float64{r.Threshold, r.Accuracy, r.Precision, r.Recall, r.F1} {
			cols[k] = append(cols[k], v)
		}
		for k, v := range []int{r.TP, r.FP, r.TN, r.FN} {
			counts[k] = append(counts[k], int64(v))
		}
	}
	tt, err := table.New(table.Schema{
		{Name: "Threshold", Type: table.Float}, {Name: "True Positives", Type: table.Int}, {Name: "False Positives", Type: table.Int},
		{Name: "True Negatives", Type: table.Int}, {Name: "False Negatives", Type: table.Int}, {Name: "Accuracy", Type: table.Float},
		{Name: "Precision", Type: table.Float}, {Name: "Recall", Type: table.Float}, {Name: "F1 Score", Type: table.Float},
	}, []table.Column{table.NewFloats(cols[0], nil), table.NewInts(counts[0], nil), table.NewInts(counts[1], nil),
		table.NewInts(counts[2], nil), table.NewInts(counts[3], nil), table.NewFloats(cols[1], nil),
		table.NewFloats(cols[2], nil), table.NewFloats(cols[3], nil), table.NewFloats(cols[4], nil)})
	if err != nil {
		return nil, fmt.Errorf("threshold table: %v", err)
	}
	return []modules.ReportSection{summary, {Title: "Confusion matrix", Table: cm}, {Title: "Threshold table", Table: tt}}, nil
}

func multiclassSections(s *Scored) ([]modules.ReportSection, error) {
	k := len(s.Classes)
	r := metrics.Multiclass(s.Truth, s.Pred, s.Prob, k)
	summary := modules.ReportSection{Title: "Metrics", Metrics: metricList(
		modules.Metric{Name: "Overall Accuracy", Value: r.Accuracy, Help: "Fraction of rows predicted right."},
		modules.Metric{Name: "Macro Precision", Value: r.MacroPrecision, Help: "Precision averaged over classes."},
		modules.Metric{Name: "Macro Recall", Value: r.MacroRecall, Help: "Recall averaged over classes."},
		modules.Metric{Name: "Macro F1 Score", Value: r.MacroF1, Help: "F1 averaged over classes."},
		modules.Metric{Name: "Log Loss", Value: r.LogLoss, Help: "Mean negative log probability of the true class."},
	)}
	schema := table.Schema{{Name: "Actual", Type: table.String}}
	cols := []table.Column{table.NewStrings(append([]string(nil), s.Classes...), nil)}
	for p, c := range s.Classes {
		schema = append(schema, table.Field{Name: "Predicted " + c, Type: table.Int})
		v := make([]int64, k)
		for t := range k {
			v[t] = int64(r.Confusion[t][p])
		}
		cols = append(cols, table.NewInts(v, nil))
	}
	cm, err := table.New(schema, cols)
	if err != nil {
		return nil, fmt.Errorf("confusion matrix: %v (class names must make distinct column names)", err)
	}
	support := make([]int64, k)
	for _, t := range s.Truth {
		support[t]++
	}
	per, err := table.New(table.Schema{{Name: "Class", Type: table.String}, {Name: "Rows", Type: table.Int},
		{Name: "Precision", Type: table.Float}, {Name: "Recall", Type: table.Float}, {Name: "F1 Score", Type: table.Float}},
		[]table.Column{table.NewStrings(append([]string(nil), s.Classes...), nil), table.NewInts(support, nil),
			table.NewFloats(r.Precision, nil), table.NewFloats(r.Recall, nil), table.NewFloats(r.F1, nil)})
	if err != nil {
		return nil, err
	}
	return []modules.ReportSection{summary, {Title: "Per-class metrics", Table: per}, {Title: "Confusion matrix", Table: cm}}, nil
}

func regressionSections(s *Scored) []modules.ReportSection {
	r := metrics.Regression(s.Y, s.YHat)
	res := make([]float64, len(s.Y))
	for i := range s.Y {
		res[i] = s.Y[i] - s.YHat[i]
	}
	return []modules.ReportSection{
		{Title: "Metrics", Metrics: metricList(
			modules.Metric{Name: "Mean Absolute Error", Value: r.MAE},
			modules.Metric{Name: "Root Mean Squared Error", Value: r.RMSE},
			modules.Metric{Name: "Relative Absolute Error", Value: r.RAE, Help: "Σ|y − ŷ| / Σ|y − ȳ|."},
			modules.Metric{Name: "Relative Squared Error", Value: r.RSE, Help: "Σ(y − ŷ)² / Σ(y − ȳ)²."},
			modules.Metric{Name: "Coefficient of Determination", Value: r.R2, Help: "R² = 1 − relative squared error."},
		)},
		{Title: "Residuals", SVG: metrics.Histogram("Residuals (label − prediction)", "residual", res, 20)},
	}
}

func clusterSections(s *Scored) ([]modules.ReportSection, error) {
	r := metrics.Clustering(s.Assign, s.Dist, s.Clusters)
	names := make([]string, s.Clusters)
	sizes := make([]int64, s.Clusters)
	fsizes := make([]float64, s.Clusters)
	for k := range s.Clusters {
		names[k] = strconv.Itoa(k)
		sizes[k] = int64(r.Sizes[k])
		fsizes[k] = float64(r.Sizes[k])
	}
	avg, mx := nullNaN(r.AvgDistance), nullNaN(r.MaxDistance)
	t, err := table.New(table.Schema{{Name: "Cluster", Type: table.Int}, {Name: "Rows", Type: table.Int},
		{Name: "Average Distance to Centre", Type: table.Float}, {Name: "Maximal Distance to Centre", Type: table.Float}},
		[]table.Column{table.NewInts(seq(s.Clusters), nil), table.NewInts(sizes, nil), avg, mx})
	if err != nil {
		return nil, err
	}
	return []modules.ReportSection{
		{Title: "Metrics", Metrics: metricList(
			modules.Metric{Name: "Average Distance to Centre", Value: r.Overall, Help: "Over all rows."},
			modules.Metric{Name: "Clusters", Value: float64(s.Clusters)},
			modules.Metric{Name: "Rows", Value: float64(len(s.Assign))},
		)},
		{Title: "Clusters", Table: t},
		{Title: "Cluster sizes", SVG: metrics.BarChart("Rows per cluster", names, fsizes)},
	}, nil
}

// nullNaN makes a float column whose NaN entries (empty clusters) are nulls.
func nullNaN(v []float64) table.Column {
	var valid table.Bitmap
	for i, x := range v {
		if math.IsNaN(x) {
			if valid == nil {
				valid = table.NewBitmap(len(v))
			}
			valid.Set(i, false)
		}
	}
	return table.NewFloats(v, valid)
}

func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}
