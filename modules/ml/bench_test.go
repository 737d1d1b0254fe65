package ml

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/ml/mltest"
	"github.com/trellis-studio/trellis/modules/table"
)

var (
	benchOnce             sync.Once
	benchTrain, benchTest *table.Table
)

func benchData() (train, test *table.Table) {
	benchOnce.Do(func() {
		benchTrain = mltest.Synthetic(100_000, 1)
		benchTest = mltest.Synthetic(1_000_000, 2)
	})
	return benchTrain, benchTest
}

// benchLearner matches scikit-learn's default LogisticRegression (L2, C=1).
func benchLearner() *LogisticRegression {
	return &LogisticRegression{Kind: "binary_classification", L1: 0, L2: 1, Tol: 1e-7, Memory: 20, MaxIter: 1000}
}

// cpuTime is the process's user plus system CPU time. The benchmarks report
// it per op beside wall time because on a shared machine wall time measures
// the neighbours as much as the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkTrainLogistic100k(b *testing.B) {
	train, _ := benchData()
	l := benchLearner()
	b.ResetTimer()
	c0 := cpuTime()
	var m *Model
	for b.Loop() {
		mm, err := l.Train(bg, train, "y")
		if err != nil {
			b.Fatal(err)
		}
		m = mm.(*Model)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
	p := m.Predictor.(*logisticPredictor)
	b.ReportMetric(float64(p.Iterations), "iterations")
	b.ReportMetric(p.Objective, "objective")
	y := floats(b, train, "y")
	out, err := m.Score(bg, train)
	if err != nil {
		b.Fatal(err)
	}
	pred := floats(b, out, ScoredLabels)
	ok := 0
	for i := range y {
		if y[i] == pred[i] {
			ok++
		}
	}
	b.ReportMetric(float64(ok)/float64(len(y)), "train-accuracy")
}

func BenchmarkScore1M(b *testing.B) {
	train, test := benchData()
	m, err := benchLearner().Train(bg, train, "y")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cpuTime()
	var out *table.Table
	for b.Loop() {
		if out, err = m.Score(bg, test); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
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
