package ml

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// filterBins is how many equal-frequency bins a numeric column with more
// distinct values is cut into for mutual information and chi-squared.
const filterBins = 10

// FilterBasedFeatureSelection is the Filter Based Feature Selection module.
type FilterBasedFeatureSelection struct{}

// Spec implements modules.Module.
func (FilterBasedFeatureSelection) Spec() modules.Spec {
	return modules.Spec{
		ID: "filter_based_feature_selection", Version: 1, Name: "Filter Based Feature Selection", Category: modules.CategoryFeatureSelection,
		Summary: "Scores each column's association with the target and keeps the top ones.",
		Help: "Every candidate column is scored against the target column, each using only the rows where both " +
			"have a value:\n\n" +
			"- Pearson correlation: |r| of the values.\n" +
			"- Spearman correlation: |r| of their ranks (ties share the average rank).\n" +
			"- Mutual information: I(X;Y) in nats of the two columns as discrete variables.\n" +
			"- Chi-squared: the statistic Σ (observed − expected)²/expected of their contingency table (no continuity correction).\n\n" +
			"For the correlations, string and categorical columns count as the index of their value in sorted order, " +
			"bool as 0/1 and timestamps as seconds. For mutual information and chi-squared, a numeric column with " +
			"more than " + strconv.Itoa(filterBins) + " distinct values is cut into " + strconv.Itoa(filterBins) +
			" bins at its deciles (the bin of x is the number of deciles below x); others are taken value by value. " +
			"A score that cannot be computed (a constant column) is missing and ranks last.\n\n" +
			"Outputs: the dataset keeping the target, the top-scoring candidates and every column that was not a " +
			"candidate, in their original order; and the scores, best first.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "filtered_dataset", Label: "Filtered dataset", Kind: modules.KindTable},
			{Name: "feature_scores", Label: "Features", Kind: modules.KindTable, Help: "Feature and Score, best first."},
		},
		Params: []modules.Param{
			{Name: "method", Label: "Feature scoring method", Type: modules.ParamChoice, Default: "pearson",
				Choices: []modules.Choice{
					{Value: "pearson", Label: "Pearson correlation"},
					{Value: "spearman", Label: "Spearman correlation"},
					{Value: "mutual_information", Label: "Mutual information"},
					{Value: "chi_squared", Label: "Chi-squared"},
				},
				Help: "How a column's association with the target is measured."},
			{Name: "target", Label: "Target column", Type: modules.ParamColumn, Input: "dataset", Required: true,
				Help: "The column the features should predict.", Example: "income"},
			{Name: "num_features", Label: "Number of desired features", Type: modules.ParamInt, Default: int64(1),
				Min: modules.Bound(1), Max: modules.Bound(1e6), Help: "How many of the best-scoring columns to keep."},
			{Name: "feature_columns_only", Label: "Operate on feature columns only", Type: modules.ParamBool, Default: true,
				Help: "Score only columns whose role is feature; otherwise every column but the target."},
		},
	}
}

// Infer implements modules.Module. Which columns survive depends on the data.
func (FilterBasedFeatureSelection) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	if s, ok := ic.Schema("dataset"); ok && s.Index(ic.Params.String("target")) < 0 {
		return nil, modules.ParamErr("target", s.MissingColumnError(ic.Params.String("target")))
	}
	return []*modules.Shape{nil, modules.TableShape(importanceSchema)}, nil
}

// Run implements modules.Runner.
func (FilterBasedFeatureSelection) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	target := rc.Params.String("target")
	ti := t.Schema().Index(target)
	if ti < 0 {
		return modules.ParamErr("target", t.Schema().MissingColumnError(target))
	}
	var cand []int
	for i := range t.NumCols() {
		if i == ti {
			continue
		}
		if f := t.Field(i); !rc.Params.Bool("feature_columns_only") || (f.Role == table.Feature) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return fmt.Errorf("there are no columns to score besides the target %q", target)
	}
	method := rc.Params.String("method")
	y := t.Column(ti)
	yv := columnValues(y, t.Field(ti), method)
	names := make([]string, len(cand))
	scores := make([]float64, len(cand))
	for k, i := range cand {
		if err := rc.Err(); err != nil {
			return err
		}
		names[k] = t.Field(i).Name
		scores[k] = filterScore(method, columnValues(t.Column(i), t.Field(i), method), yv)
		rc.Progress(float64(k+1) / float64(len(cand)))
	}
	keep := map[int]bool{}
	order := seq0(len(cand))
	slices.SortStableFunc(order, func(a, b int) int { return compareMetric(scores[a], scores[b], true) })
	for _, k := range order[:min(len(order), rc.Params.Int("num_features"))] {
		keep[cand[k]] = true
	}
	var cols []int
	for i := range t.NumCols() {
		if keep[i] || !slices.Contains(cand, i) {
			cols = append(cols, i)
		}
	}
	rc.SetOutput("filtered_dataset", t.Select(cols))
	rc.SetOutput("feature_scores", rankedTable(names, scores))
	return nil
}

// filterValues is a column prepared for scoring: numbers (NaN where missing)
// for the correlations, or discrete codes (-1 where missing) for the
// contingency-based scores.
type filterValues struct {
	num   []float64
	codes []int
	k     int // number of codes
}

func discreteMethod(method string) bool {
	return method == "mutual_information" || method == "chi_squared"
}

func columnValues(c table.Column, f table.Field, method string) filterValues {
	n := c.Len()
	categorical := c.Type() == table.String || f.Categorical
	if categorical {
		cats := categories(c)
		idx := make(map[string]int, len(cats))
		for k, v := range cats {
			idx[v] = k
		}
		fv := filterValues{num: make([]float64, n), codes: make([]int, n), k: len(cats)}
		for i := range n {
			k, ok := -1, !c.Null(i)
			if ok {
				if fl, isF := c.(*table.Floats); isF && math.IsNaN(fl.Data()[i]) {
					ok = false
				}
			}
			if ok {
				k = idx[c.Format(i)]
			}
			fv.codes[i] = k
			fv.num[i] = float64(k)
			if k < 0 {
				fv.num[i] = math.NaN()
			}
		}
		return fv
	}
	fv := filterValues{num: make([]float64, n)}
	for i := range n {
		v, ok := numberAt(c, i)
		if !ok {
			v = math.NaN()
		}
		fv.num[i] = v
	}
	if discreteMethod(method) {
		fv.codes, fv.k = discretize(fv.num)
	}
	return fv
}

// discretize codes numbers by distinct value, or by decile bin when there
// are more than filterBins distinct values. Missing values get -1.
func discretize(v []float64) ([]int, int) {
	var present []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			present = append(present, x)
		}
	}
	slices.Sort(present)
	distinct := slices.Compact(slices.Clone(present))
	var edges []float64
	if len(distinct) <= filterBins {
		edges = distinct // code = index of the value
	} else {
		// Deciles by linear interpolation between order statistics (numpy's
		// default quantile); the bin of x is the number of deciles below x.
		m := len(present)
		for q := 1; q < filterBins; q++ {
			pos := float64(q) / filterBins * float64(m-1)
			lo := int(math.Floor(pos))
			hi := min(lo+1, m-1)
			edges = append(edges, present[lo]+(pos-float64(lo))*(present[hi]-present[lo]))
		}
		edges = slices.Compact(edges)
	}
	codes := make([]int, len(v))
	for i, x := range v {
		if math.IsNaN(x) {
			codes[i] = -1
			continue
		}
		k, _ := slices.BinarySearch(edges, x) // edges below x, or x's index among distinct values
		codes[i] = k
	}
	k := len(edges)
	if len(distinct) > filterBins {
		k++
	}
	return codes, k
}

func filterScore(method string, x, y filterValues) float64 {
	switch method {
	case "pearson", "spearman":
		var a, b []float64
		for i, xv := range x.num {
			if yv := y.num[i]; !math.IsNaN(xv) && !math.IsNaN(yv) {
				a = append(a, xv)
				b = append(b, yv)
			}
		}
		if method == "spearman" {
			a, b = ranks(a), ranks(b)
		}
		return math.Abs(pearson(a, b))
	}
	// Contingency table of the rows where both are present.
	table := make([]float64, x.k*y.k)
	rowSum := make([]float64, x.k)
	colSum := make([]float64, y.k)
	n := 0.0
	for i, xc := range x.codes {
		yc := y.codes[i]
		if xc < 0 || yc < 0 {
			continue
		}
		table[xc*y.k+yc]++
		rowSum[xc]++
		colSum[yc]++
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	var s float64
	for a := range x.k {
		for b := range y.k {
			o := table[a*y.k+b]
			e := rowSum[a] * colSum[b] / n
			if method == "chi_squared" {
				if e > 0 {
					s += (o - e) * (o - e) / e
				}
			} else if o > 0 {
				s += o / n * math.Log(o*n/(rowSum[a]*colSum[b]))
			}
		}
	}
	return s
}

// pearson returns the correlation of a and b, NaN when either is constant.
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	if n < 2 {
		return math.NaN()
	}
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// ranks returns 1-based ranks, ties sharing their average rank.
func ranks(v []float64) []float64 {
	order := seq0(len(v))
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	out := make([]float64, len(v))
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && v[order[j]] == v[order[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // average of ranks i+1..j
		for _, k := range order[i:j] {
			out[k] = r
		}
		i = j
	}
	return out
}
