package ml

import (
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// benchBoosted has scikit-learn HistGradientBoostingClassifier's settings:
// 100 trees, 31 leaves, learning rate 0.1, 20 rows a leaf, 255 bins, no L2.
func benchBoosted() *BoostedTrees {
	return &BoostedTrees{Kind: modules.TaskBinary, NumTrees: 100, MaxLeaves: 31, LearningRate: 0.1, MinSamplesLeaf: 20, MaxBins: 255}
}

// BenchmarkTrainBoosted100kModule trains through the learner (feature
// encoding included) on the package's 100k-row benchmark table.
func BenchmarkTrainBoosted100kModule(b *testing.B) {
	train, _ := benchData()
	l := benchBoosted()
	c0 := cpuTime()
	for b.Loop() {
		if _, err := l.Train(bg, train, "y"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkScoreBoosted1MModule scores the 1M-row benchmark table through
// Model.Score (encoding and score columns included).
func BenchmarkScoreBoosted1MModule(b *testing.B) {
	train, test := benchData()
	m, err := benchBoosted().Train(bg, train, "y")
	if err != nil {
		b.Fatal(err)
	}
	c0 := cpuTime()
	var out *table.Table
	for b.Loop() {
		if out, err = m.Score(bg, test); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
	y := floats(b, test, "y")
	pred := floats(b, out, ScoredLabels)
	ok := 0
	for i := range y {
		if y[i] == pred[i] {
			ok++
		}
	}
	b.ReportMetric(float64(ok)/float64(len(y)), "accuracy")
}
