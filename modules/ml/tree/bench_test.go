package tree

import (
	"context"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
)

// benchData returns n rows of 20 standard normal features and a binary label
// from a fixed non-linear rule plus noise (about 12% of labels are noise-
// flipped relative to the rule), generated from seed.
func benchData(n int, seed uint64) (Data, []float64) {
	const p = 20
	rng := rand.New(rand.NewPCG(seed, 2024))
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	y := make([]float64, n)
	for i := range n {
		for j := range p {
			cols[j][i] = rng.NormFloat64()
		}
		x := func(j int) float64 { return cols[j][i] }
		s := x(0) + 0.8*x(1)*x(2) - 0.6*x(3)*x(3) + math.Sin(2*x(4)) + 0.5*math.Abs(x(5)) +
			0.3*(x(6)+x(7)-x(8)+x(9)) + 0.5*rng.NormFloat64()
		y[i] = b2f(s > 0)
	}
	return Data{Cols: cols}, y
}

// repeatData stacks k copies of d, for a large scoring set both Go and the
// scikit-learn script can build from the same CSV.
func repeatData(d Data, k int) Data {
	out := Data{Cols: make([][]float64, len(d.Cols))}
	for j, c := range d.Cols {
		out.Cols[j] = make([]float64, 0, len(c)*k)
		for range k {
			out.Cols[j] = append(out.Cols[j], c...)
		}
	}
	return out
}

var benchBoost = BoostParams{Loss: LogLoss, NumTrees: 100, MaxLeaves: 31, LearningRate: 0.1, MinSamplesLeaf: 20, MaxBins: 255}

func BenchmarkTrainBoosted100k(b *testing.B) {
	d, y := benchData(100_000, 1)
	dt, yt := benchData(100_000, 2)
	var m *Boosted
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		if m, err = FitBoosted(context.Background(), d, y, benchBoost); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0)/float64(b.N), "cpu-s/op")
	p := make([]float64, dt.NumRows())
	if err := m.Predict(dt, p, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(accuracy(p, yt), "test-accuracy")
}

func BenchmarkScoreBoosted1M(b *testing.B) {
	d, y := benchData(100_000, 1)
	dt, _ := benchData(100_000, 2)
	m, err := FitBoosted(context.Background(), d, y, benchBoost)
	if err != nil {
		b.Fatal(err)
	}
	big := repeatData(dt, 10)
	out := make([]float64, big.NumRows())
	cpu0 := cpuTime()
	for b.Loop() {
		if err := m.Predict(big, out, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0)/float64(b.N), "cpu-s/op")
}

func BenchmarkTrainForest100k(b *testing.B) {
	d, y := benchData(100_000, 1)
	for b.Loop() {
		if _, err := FitForest(context.Background(), d, y, 2, nil, ForestParams{NumTrees: 10, Bootstrap: true, Tree: TreeParams{MaxDepth: 12}}); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime returns the process's user and system CPU seconds, so benchmarks
// can report CPU cost as well as wall time on a shared machine.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
