package ml

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/cluster"
	"github.com/trellis-studio/trellis/modules/table"
)

// AlgoKMeans names k-means models.
const AlgoKMeans = "kmeans"

// KMeansInit is the K-Means Clustering module.
type KMeansInit struct{}

// Spec implements modules.Module.
func (KMeansInit) Spec() modules.Spec {
	return modules.Spec{
		ID: "kmeans_clustering", Version: 1, Name: "K-Means Clustering", Category: modules.CategoryInitModel,
		Summary: "Creates a k-means clustering model: k-means++ starts, Lloyd iterations, best of several restarts.",
		Help: "Groups rows into k clusters minimizing the sum of squared Euclidean distances of rows to their " +
			"cluster's centre (the inertia). Each restart picks starting centres (greedy k-means++ by default, " +
			"as scikit-learn) and runs Lloyd iterations — assign each row to its nearest centre, move each centre " +
			"to its rows' mean — until no row changes cluster, the centres stop moving (tolerance) or the iteration " +
			"limit; the restart with the lowest inertia is kept. The same seed gives the same clustering.\n\n" +
			"Features: numeric and bool columns as numbers, string and categorical columns one-hot encoded; a " +
			"missing number is replaced by the column's training mean, a missing category encodes as all zeros. " +
			"Distances use the raw scales: normalize the columns first when their units differ.",
		Outputs: untrainedOut,
		Params: []modules.Param{
			{Name: "clusters", Label: "Number of centroids", Type: modules.ParamInt, Default: int64(2), Min: modules.Bound(1), Max: modules.Bound(10000),
				Help: "k, the number of clusters."},
			{Name: "initialization", Label: "Initialization", Type: modules.ParamChoice, Default: cluster.InitKMeansPP,
				Help: "How each restart picks its starting centres.", Choices: []modules.Choice{
					{Value: cluster.InitKMeansPP, Label: "K-Means++", Help: "Spread-out rows, drawn proportionally to squared distance."},
					{Value: cluster.InitRandom, Label: "Random", Help: "k rows drawn at random."},
					{Value: cluster.InitFirst, Label: "First N", Help: "The first k rows (a single run)."}}},
			{Name: "restarts", Label: "Number of restarts", Type: modules.ParamInt, Default: int64(10), Min: modules.Bound(1), Max: modules.Bound(1000),
				Help: "How many initializations to run; the best clustering is kept."},
			{Name: "iterations", Label: "Iterations", Type: modules.ParamInt, Default: int64(300), Min: modules.Bound(1), Max: modules.Bound(100000),
				Help: "The limit on Lloyd iterations per restart."},
			{Name: "tolerance", Label: "Tolerance", Type: modules.ParamFloat, Default: 1e-4, Min: modules.Bound(0), Max: modules.Bound(1),
				Help: "Stop when the centres move, in total squared distance, by less than this times the mean column variance."},
			{Name: "random_seed", Label: "Random number seed", Type: modules.ParamInt, Default: int64(0), Min: modules.Bound(0),
				Help: "Seeds the initializations; the same seed gives the same clustering."},
		},
	}
}

func (KMeansInit) build(p modules.Params) (modules.Learner, error) {
	return &KMeans{K: p.Int("clusters"), Init: p.String("initialization"), Restarts: p.Int("restarts"),
		MaxIter: p.Int("iterations"), Tol: p.Float("tolerance"), Seed: uint64(p.Int("random_seed"))}, nil
}

// Infer implements modules.Module.
func (m KMeansInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m KMeansInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// KMeans is the untrained k-means learner.
type KMeans struct {
	K        int
	Init     string
	Restarts int
	MaxIter  int
	Tol      float64
	Seed     uint64
}

// Task implements modules.Learner.
func (*KMeans) Task() modules.Task { return modules.TaskClustering }

// Algorithm implements modules.Learner.
func (*KMeans) Algorithm() string { return AlgoKMeans }

func (l *KMeans) clusters() int { return l.K }

// Train implements modules.Learner; label is ignored (clustering has none),
// but a column named by it is left out of the features.
func (l *KMeans) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, err := PrepareTraining(ctx, t, label, modules.TaskClustering, FeatureOptions{Encoding: OneHot, Missing: Impute})
	if err != nil {
		return nil, err
	}
	r, err := cluster.KMeans(ctx, ts.X.Cols, ts.X.Rows, cluster.Options{K: l.K, Restarts: l.Restarts, Init: l.Init,
		MaxIter: l.MaxIter, Tol: l.Tol, Seed: l.Seed})
	if err != nil {
		return nil, fmt.Errorf("k-means: %v", err)
	}
	return ts.Model(AlgoKMeans, modules.TaskClustering, &kmeansPredictor{Centers: r.Centers, Inertia: r.Inertia, Iterations: r.Iterations}), nil
}

// HyperParams implements Tunable.
func (l *KMeans) HyperParams() []HyperParam {
	return []HyperParam{{Name: "clusters", Int: true, Min: 1, Max: 10000, Low: 2, High: 10, Grid: []float64{2, 3, 4, 5, 8}}}
}

// With implements Tunable.
func (l *KMeans) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	if x, ok := v["clusters"]; ok {
		c.K = int(x)
	}
	return &c, nil
}

// kmeansPredictor measures rows against the centres.
type kmeansPredictor struct {
	Centers    [][]float64 `json:"centers"`
	Inertia    float64     `json:"inertia"`
	Iterations int         `json:"iterations"`
}

// Clusters implements Clusterer.
func (p *kmeansPredictor) Clusters() int { return len(p.Centers) }

func (*kmeansPredictor) propagatesNaN() {}

// Predict implements Predictor.
func (p *kmeansPredictor) Predict(x *Matrix, out []float64) {
	cluster.Distances(x.Cols, x.Rows, p.Centers, out)
}

func decodeKMeans(params json.RawMessage, head *Model) (Predictor, error) {
	var p kmeansPredictor
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, err
	}
	if head.Kind != modules.TaskClustering {
		return nil, fmt.Errorf("a k-means model is for clustering, not %s", head.Kind)
	}
	if len(p.Centers) == 0 {
		return nil, fmt.Errorf("no centres")
	}
	for _, c := range p.Centers {
		if len(c) != head.Features.Width() {
			return nil, fmt.Errorf("a centre has %d coordinates for %d features", len(c), head.Features.Width())
		}
	}
	return &p, nil
}
