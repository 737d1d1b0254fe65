package tree

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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

// TestWriteBenchCSV writes the benchmark's training and test sets as CSV for
// timing scikit-learn on the same data (see BENCHMARKS.md):
//
//	TRELLIS_BENCH_DIR=/tmp/trellis-bench go test ./modules/ml/tree -run WriteBenchCSV
func TestWriteBenchCSV(t *testing.T) {
	dir := os.Getenv("TRELLIS_BENCH_DIR")
	if dir == "" {
		t.Skip("set TRELLIS_BENCH_DIR to write the benchmark data")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, seed := range map[string]uint64{"train.csv": 1, "test.csv": 2} {
		d, y := benchData(100_000, seed)
		if err := writeCSV(filepath.Join(dir, name), d, y); err != nil {
			t.Fatal(err)
		}
	}
}

func writeCSV(path string, d Data, y []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for j := range d.Cols {
		fmt.Fprintf(w, "x%d,", j)
	}
	fmt.Fprintln(w, "y")
	var buf []byte
	for i := range d.NumRows() {
		buf = buf[:0]
		for _, c := range d.Cols {
			buf = strconv.AppendFloat(buf, c[i], 'g', -1, 64)
			buf = append(buf, ',')
		}
		buf = strconv.AppendFloat(buf, y[i], 'g', -1, 64)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
