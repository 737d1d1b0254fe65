package expression

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/table"
)

// loanTable is a pipeline-sized table: 1M rows, 1% of incomes missing.
func loanTable(n int) *table.Table {
	purposes := []string{"car", "debt_consolidation", "house", "other", "credit_card"}
	inc := make([]float64, n)
	loan := make([]float64, n)
	pur := make([]string, n)
	valid := table.NewBitmap(n)
	for i := range n {
		inc[i] = float64(10000 + (i*7919)%90000)
		loan[i] = float64(1000 + (i*104729)%30000)
		pur[i] = purposes[i%len(purposes)]
		if i%100 == 0 {
			valid.Set(i, false)
		}
	}
	return table.MustNew(table.Schema{
		{Name: "annual_income", Type: table.Float},
		{Name: "purpose", Type: table.String},
		{Name: "loan_amount", Type: table.Float},
	}, table.NewFloats(inc, valid), table.NewStrings(pur, nil), table.NewFloats(loan, nil))
}

// reportPerRow reports wall-clock and CPU nanoseconds per row; CPU time
// (all goroutines, GC included) is the figure to trust on a busy machine.
func reportPerRow(b *testing.B, rows int, cpu time.Duration) {
	per := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/row")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/row")
	}
}

func BenchmarkFilter1M(b *testing.B) {
	tb := loanTable(1_000_000)
	p, err := Compile(`annual_income >= 20000 && purpose != "other"`, tb.Schema(), nil, Bool())
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				if _, err := p.Filter(context.Background(), tb, workers); err != nil {
					b.Fatal(err)
				}
			}
			reportPerRow(b, tb.NumRows(), cpuTime()-cpu)
		})
	}
}

func BenchmarkColumn1M(b *testing.B) {
	tb := loanTable(1_000_000)
	p, err := Compile(`loan_amount / annual_income`, tb.Schema(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				if _, err := p.Column(context.Background(), tb, workers); err != nil {
					b.Fatal(err)
				}
			}
			reportPerRow(b, tb.NumRows(), cpuTime()-cpu)
		})
	}
}
