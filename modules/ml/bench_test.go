package ml

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/table"
)

// synthetic returns n rows of 20 standard normal features x0..x19 and a
// label y drawn from one logistic model (the same weights for every seed);
// the rows are deterministic for a seed.
func synthetic(n int, seed uint64) *table.Table {
	const p = 20
	wr := rand.New(rand.NewPCG(7, 7))
	w := make([]float64, p)
	for j := range w {
		w[j] = wr.NormFloat64() / 2
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	y := make([]int64, n)
	for i := range n {
		z := 0.3
		for j := range p {
			v := rng.NormFloat64()
			cols[j][i] = v
			z += w[j] * v
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	schema := make(table.Schema, 0, p+1)
	tc := make([]table.Column, 0, p+1)
	for j := range p {
		schema = append(schema, table.Field{Name: "x" + strconv.Itoa(j), Type: table.Float})
		tc = append(tc, table.NewFloats(cols[j], nil))
	}
	schema = append(schema, table.Field{Name: "y", Type: table.Int})
	tc = append(tc, table.NewInts(y, nil))
	return table.MustNew(schema, tc...)
}

var (
	benchOnce             sync.Once
	benchTrain, benchTest *table.Table
)

func benchData() (train, test *table.Table) {
	benchOnce.Do(func() {
		benchTrain = synthetic(100_000, 1)
		benchTest = synthetic(1_000_000, 2)
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

// TestWriteBenchData writes the benchmark tables as CSV for timing
// scikit-learn on the same data: TRELLIS_BENCH_CSV=/tmp/bench go test -run WriteBenchData.
func TestWriteBenchData(t *testing.T) {
	dir := os.Getenv("TRELLIS_BENCH_CSV")
	if dir == "" {
		t.Skip("TRELLIS_BENCH_CSV not set")
	}
	train, test := benchData()
	for name, tb := range map[string]*table.Table{"train.csv": train, "test.csv": test} {
		f, err := os.Create(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i, n := range tb.Schema().Names() {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(n)
		}
		w.WriteByte('\n')
		for r := range tb.NumRows() {
			for c := range tb.NumCols() {
				if c > 0 {
					w.WriteByte(',')
				}
				w.WriteString(tb.Column(c).Format(r))
			}
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	fmt.Println("wrote", dir)
}
