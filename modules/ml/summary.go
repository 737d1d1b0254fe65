package ml

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// summarizing is implemented by predictors that can describe what they
// learnt; names are the feature matrix's column names.
type summarizing interface {
	summary(m *Model, names []string) []modules.ReportSection
}

// Summary implements modules.Summarizer: what the model learnt (weights,
// trees, centres) and the features it reads, for the designer's model view.
func (m *Model) Summary() *modules.Report {
	names := m.Features.Names()
	head := modules.ReportSection{Title: "Model", Metrics: []modules.Metric{
		{Name: "Feature columns", Value: float64(len(m.Features.Columns)), Help: "Columns of the scored table the model reads."},
		{Name: "Encoded features", Value: float64(len(names)), Help: "Numbers a row becomes (one-hot categories count one each)."},
	}}
	if m.Label != nil && len(m.Label.Classes) > 0 {
		head.Metrics = append(head.Metrics, modules.Metric{Name: "Classes", Value: float64(len(m.Label.Classes))})
	}
	r := &modules.Report{Title: "Summary", Sections: []modules.ReportSection{head}}
	if s, ok := m.Predictor.(summarizing); ok {
		r.Sections = append(r.Sections, s.summary(m, names)...)
	}
	r.Sections = append(r.Sections, modules.ReportSection{Title: "Features", Table: m.featuresTable()})
	return r
}

// featuresTable lists the feature columns as trained: type, categories and
// the training mean that imputes a missing value.
func (m *Model) featuresTable() *table.Table {
	n := len(m.Features.Columns)
	name, typ := make([]string, n), make([]string, n)
	cats := make([]int64, n)
	catValid := table.NewBitmap(n)
	mean := make([]float64, n)
	meanValid := table.NewBitmap(n)
	for k, c := range m.Features.Columns {
		name[k], typ[k] = c.Name, c.Type.String()
		if c.Categorical {
			cats[k] = int64(len(c.Categories))
			catValid.Set(k, true)
			meanValid.Set(k, false)
		} else {
			mean[k] = c.Mean
			catValid.Set(k, false)
			meanValid.Set(k, true)
		}
	}
	return table.MustNew(table.Schema{
		{Name: "Feature", Type: table.String}, {Name: "Type", Type: table.String},
		{Name: "Categories", Type: table.Int}, {Name: "Training mean", Type: table.Float},
	}, table.NewStrings(name, nil), table.NewStrings(typ, nil), table.NewInts(cats, catValid), table.NewFloats(mean, meanValid))
}

// byFeature lists vectors (one per column name) row by feature; sorted puts
// the rows in order of the first vector's absolute value, largest first.
func byFeature(names []string, cols []string, vecs [][]float64, sorted bool) *table.Table {
	order := seq0(len(names))
	if sorted {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(math.Abs(vecs[0][b]), math.Abs(vecs[0][a])) })
	}
	fs := make([]string, len(order))
	for k, j := range order {
		fs[k] = names[j]
	}
	schema := table.Schema{{Name: "Feature", Type: table.String}}
	columns := []table.Column{table.NewStrings(fs, nil)}
	for c, vs := range vecs {
		v := make([]float64, len(order))
		for k, j := range order {
			v[k] = vs[j]
		}
		schema = append(schema, table.Field{Name: cols[c], Type: table.Float})
		columns = append(columns, table.NewFloats(v, nil))
	}
	return table.MustNew(schema, columns...)
}

func (p *logisticPredictor) summary(m *Model, names []string) []modules.ReportSection {
	fit := modules.ReportSection{Title: "Training", Metrics: []modules.Metric{
		{Name: "Iterations", Value: float64(p.Iterations)},
		{Name: "Objective", Value: p.Objective, Help: "The minimized loss plus penalties (see the learner's help)."},
		{Name: "Converged", Value: float64(b2i(p.Converged)), Help: "1 when the tolerance was met within the iteration limit."},
	}}
	if len(p.W) == 1 {
		fit.Metrics = append(fit.Metrics, modules.Metric{Name: "Intercept", Value: p.B[0]})
		return []modules.ReportSection{fit, {Title: "Weights (largest effect first)", Table: byFeature(names, []string{"Weight"}, p.W, true)}}
	}
	cols := make([]string, len(p.W))
	for c := range p.W {
		cols[c] = "Weight: " + m.Label.Classes[c]
		fit.Metrics = append(fit.Metrics, modules.Metric{Name: "Intercept: " + m.Label.Classes[c], Value: p.B[c]})
	}
	return []modules.ReportSection{fit, {Title: "Weights by class", Table: byFeature(names, cols, p.W, false)}}
}

func (p *linearPredictor) summary(m *Model, names []string) []modules.ReportSection {
	return []modules.ReportSection{
		{Title: "Coefficients", Metrics: []modules.Metric{{Name: "Intercept", Value: p.B}}},
		{Title: "Weights (largest effect first)", Table: byFeature(names, []string{"Weight"}, [][]float64{p.W}, true)},
	}
}

func (p *kmeansPredictor) summary(m *Model, names []string) []modules.ReportSection {
	cols := make([]string, len(p.Centers))
	for c := range cols {
		cols[c] = "Cluster " + strconv.Itoa(c)
	}
	return []modules.ReportSection{
		{Title: "Clustering", Metrics: []modules.Metric{
			{Name: "Clusters", Value: float64(len(p.Centers))},
			{Name: "Inertia", Value: p.Inertia, Help: "Sum of squared distances of the training rows to their centres."},
			{Name: "Iterations", Value: float64(p.Iterations)},
		}},
		{Title: "Centres", Table: byFeature(names, cols, p.Centers, false)},
	}
}

func (p *forestPredictor) summary(m *Model, names []string) []modules.ReportSection {
	return treesSummary(p.Trees, names)
}

func (p *boostedPredictor) summary(m *Model, names []string) []modules.ReportSection {
	s := treesSummary(p.Trees, names)
	s[0].Metrics = append(s[0].Metrics, modules.Metric{Name: "Base score", Value: p.Base, Help: "The prediction before the first tree (log-odds for two classes)."})
	return s
}

// treesSummary sizes an ensemble and ranks the features by the share of the
// training rows its splits routed.
func treesSummary[T interface {
	NumLeaves() int
	Depth() int
	AddFeatureUse([]float64)
}](trees []T, names []string) []modules.ReportSection {
	leaves, depth := 0, 0
	use := make([]float64, len(names))
	for _, t := range trees {
		leaves += t.NumLeaves()
		depth = max(depth, t.Depth())
		t.AddFeatureUse(use)
	}
	total := 0.0
	for _, u := range use {
		total += u
	}
	if total > 0 {
		for j := range use {
			use[j] /= total
		}
	}
	return []modules.ReportSection{
		{Title: "Trees", Metrics: []modules.Metric{
			{Name: "Trees", Value: float64(len(trees))},
			{Name: "Leaves", Value: float64(leaves), Help: "Leaves of all the trees."},
			{Name: "Deepest tree", Value: float64(depth)},
		}},
		{Title: "Feature use (share of the rows the splits routed)", Table: rankedBy(names, use,
			table.Schema{{Name: "Feature", Type: table.String}, {Name: "Share", Type: table.Float}})},
	}
}
