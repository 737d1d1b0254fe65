package ml

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Scored is a scored table read back for evaluation. Rows missing the label
// or a score are left out; Rows lists the rows kept.
type Scored struct {
	Task modules.Task
	// Label is the label column's name ("" for clustering without one).
	Label string
	Rows  []int
	// Classes are the class texts: for binary [negative, positive] (the
	// negative one "" when the table never shows it), for multiclass in the
	// order of the probability columns.
	Classes []string
	// Truth and Pred are class indices; for binary 1 means positive.
	Truth, Pred []int
	// Prob is, for binary, P(positive) per row; for multiclass row-major
	// rows×len(Classes).
	Prob []float64
	// Y and YHat are the regression truth and prediction.
	Y, YHat []float64
	// Assign and Dist are each row's cluster and its distance to that
	// cluster's centre; Clusters is k.
	Assign   []int
	Dist     []float64
	Clusters int
}

// Positive reports for each row whether its true class is the positive one (binary).
func (s *Scored) Positive() []bool {
	out := make([]bool, len(s.Truth))
	for i, t := range s.Truth {
		out[i] = t == 1
	}
	return out
}

// ReadScored finds the score columns of a table made by Score Model or
// Assign Data to Clusters (see ScoreFields) and its label column (the column
// with the label role, which Score Model sets), and reads them.
func ReadScored(t *table.Table) (*Scored, error) {
	s := t.Schema()
	var probCols []int
	for i, f := range s {
		if strings.HasPrefix(f.Name, ScoredProbabilities+"_") {
			probCols = append(probCols, i)
		}
	}
	sc := &Scored{}
	switch {
	case s.Index(Assignments) >= 0:
		sc.Task = modules.TaskClustering
	case s.Index(ScoredProbabilities) >= 0:
		sc.Task = modules.TaskBinary
	case len(probCols) > 0:
		sc.Task = modules.TaskMulticlass
	case s.Index(ScoredLabels) >= 0:
		sc.Task = modules.TaskRegression
	default:
		return nil, fmt.Errorf("the table has no score columns (%q, %q or %q): connect the output of Score Model or Assign Data to Clusters",
			ScoredLabels, ScoredProbabilities, Assignments)
	}
	var labels []string
	for _, f := range s {
		if f.Role == table.Label {
			labels = append(labels, f.Name)
		}
	}
	switch {
	case len(labels) > 1:
		return nil, fmt.Errorf("the scored table has several label columns (%s): keep one with Edit Metadata", strings.Join(labels, ", "))
	case len(labels) == 1:
		sc.Label = labels[0]
	case sc.Task != modules.TaskClustering:
		return nil, fmt.Errorf("the scored table has no label column: score a table that still holds the label the model was trained on")
	}
	var err error
	switch sc.Task {
	case modules.TaskClustering:
		err = sc.readClusters(t)
	case modules.TaskBinary:
		err = sc.readBinary(t)
	case modules.TaskMulticlass:
		err = sc.readMulticlass(t, probCols)
	case modules.TaskRegression:
		err = sc.readRegression(t)
	}
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func (sc *Scored) readClusters(t *table.Table) error {
	ac, _, _ := t.Lookup(Assignments)
	var dist []table.Column
	for k := 0; ; k++ {
		c, _, err := t.Lookup(DistancePrefix + strconv.Itoa(k))
		if err != nil {
			break
		}
		dist = append(dist, c)
	}
	if len(dist) == 0 {
		return fmt.Errorf("the scored table has %q but no %q columns", Assignments, DistancePrefix+"0")
	}
	sc.Clusters = len(dist)
	for i := range t.NumRows() {
		a, ok := table.Float64At(ac, i)
		if !ok {
			continue
		}
		k := int(a)
		if k < 0 || k >= len(dist) || float64(k) != a {
			return fmt.Errorf("%q is %v in row %d, not a cluster in 0..%d", Assignments, a, i+1, len(dist)-1)
		}
		d, ok := table.Float64At(dist[k], i)
		if !ok {
			continue
		}
		sc.Rows = append(sc.Rows, i)
		sc.Assign = append(sc.Assign, k)
		sc.Dist = append(sc.Dist, d)
	}
	return nil
}

func (sc *Scored) readRegression(t *table.Table) error {
	y, _, _ := t.Lookup(sc.Label)
	yh, _, _ := t.Lookup(ScoredLabels)
	if !y.Type().Numeric() || !yh.Type().Numeric() {
		return fmt.Errorf("regression evaluation needs a numeric label and %q; %q is %s", ScoredLabels, sc.Label, y.Type())
	}
	for i := range t.NumRows() {
		a, ok1 := table.Float64At(y, i)
		b, ok2 := table.Float64At(yh, i)
		if !ok1 || !ok2 || math.IsNaN(a) {
			continue
		}
		sc.Rows = append(sc.Rows, i)
		sc.Y = append(sc.Y, a)
		sc.YHat = append(sc.YHat, b)
	}
	return nil
}

func (sc *Scored) readBinary(t *table.Table) error {
	y, _, _ := t.Lookup(sc.Label)
	pl, _, _ := t.Lookup(ScoredLabels)
	pc, _, _ := t.Lookup(ScoredProbabilities)
	if pl == nil {
		return fmt.Errorf("the scored table has %q but no %q", ScoredProbabilities, ScoredLabels)
	}
	seen := map[string]bool{}
	var rows []int
	for i := range t.NumRows() {
		_, ok := table.Float64At(pc, i)
		if y.Null(i) || pl.Null(i) || !ok {
			continue
		}
		rows = append(rows, i)
		seen[y.Format(i)] = true
		seen[pl.Format(i)] = true
	}
	vals := sortValues(seen, y.Type().Numeric() && pl.Type().Numeric())
	var neg, pos string
	switch len(vals) {
	case 2:
		neg, pos = vals[0], vals[1]
	case 1:
		// The table shows one class; the probabilities tell which side it is on.
		pos = vals[0]
		for _, i := range rows {
			if p, _ := table.Float64At(pc, i); p <= 0.5 && pl.Format(i) == vals[0] {
				neg, pos = vals[0], ""
				break
			}
		}
	case 0:
	default:
		return fmt.Errorf("label %q and %q hold %d values (%s): a two-class evaluation needs two", sc.Label, ScoredLabels, len(vals), listSome(vals, 6))
	}
	sc.Classes = []string{neg, pos}
	for _, i := range rows {
		p, _ := table.Float64At(pc, i)
		sc.Rows = append(sc.Rows, i)
		sc.Truth = append(sc.Truth, b2i(y.Format(i) == pos))
		sc.Pred = append(sc.Pred, b2i(pl.Format(i) == pos))
		sc.Prob = append(sc.Prob, p)
	}
	return nil
}

func (sc *Scored) readMulticlass(t *table.Table, probCols []int) error {
	y, _, _ := t.Lookup(sc.Label)
	pl, _, err := t.Lookup(ScoredLabels)
	if err != nil {
		return fmt.Errorf("the scored table has probability columns but no %q", ScoredLabels)
	}
	idx := map[string]int{}
	for k, ci := range probCols {
		c := strings.TrimPrefix(t.Field(ci).Name, ScoredProbabilities+"_")
		sc.Classes = append(sc.Classes, c)
		idx[c] = k
	}
	K := len(probCols)
	row := make([]float64, K)
rows:
	for i := range t.NumRows() {
		if y.Null(i) || pl.Null(i) {
			continue
		}
		for k, ci := range probCols {
			v, ok := table.Float64At(t.Column(ci), i)
			if !ok {
				continue rows
			}
			row[k] = v
		}
		tr, ok := idx[y.Format(i)]
		if !ok {
			return fmt.Errorf("label %q is %q in row %d, which is not one of the model's classes (%s)", sc.Label, y.Format(i), i+1, listSome(sc.Classes, 6))
		}
		pr, ok := idx[pl.Format(i)]
		if !ok {
			return fmt.Errorf("%q is %q in row %d, which has no probability column", ScoredLabels, pl.Format(i), i+1)
		}
		sc.Rows = append(sc.Rows, i)
		sc.Truth = append(sc.Truth, tr)
		sc.Pred = append(sc.Pred, pr)
		sc.Prob = append(sc.Prob, row...)
	}
	return nil
}

// sortValues orders class texts as training orders classes: numerically
// when both columns are numbers, bytewise otherwise (false < true).
func sortValues(set map[string]bool, numeric bool) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int {
		if numeric {
			x, e1 := strconv.ParseFloat(a, 64)
			y, e2 := strconv.ParseFloat(b, 64)
			if e1 == nil && e2 == nil {
				return cmp.Compare(x, y)
			}
		}
		return strings.Compare(a, b)
	})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
