package workflow_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/modules/data"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/workflow"
)

// BenchmarkPipeline1M runs the sample preparation workflow (import → filter →
// computed column → clean missing → normalize → one-hot) on the peers' 1M-row
// loan file and writes the result as CSV, the job the pandas script does.
// `make bench` generates the file and sets TRELLIS_BENCH_CSV.
func BenchmarkPipeline1M(b *testing.B) {
	src := os.Getenv("TRELLIS_BENCH_CSV")
	if src == "" {
		b.Skip("set TRELLIS_BENCH_CSV to the peers' batch_1m.csv (make bench does)")
	}
	f, err := os.Open(filepath.Join("..", "examples", "loans", "prepare.workflow.json"))
	if err != nil {
		b.Fatal(err)
	}
	wf, err := workflow.Parse(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	imp, _ := wf.Node("import")
	if err := imp.SetParam("source", src); err != nil {
		b.Fatal(err)
	}
	reg, err := builtin.Registry()
	if err != nil {
		b.Fatal(err)
	}
	vars, err := wf.Vars(nil)
	if err != nil {
		b.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg, Resources: data.FileResources{}}
	out := filepath.Join(b.TempDir(), "prepared.csv")
	var inRows, outRows int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		run, plan, err := eng.Run(context.Background(), wf, workflow.RunOptions{Vars: vars, Targets: []string{"onehot"}, Release: true, Keep: []string{"onehot"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Err(); err != nil {
			b.Fatal(err)
		}
		v, err := run.Output("onehot", "results", plan)
		if err != nil {
			b.Fatal(err)
		}
		t := v.(*table.Table)
		w, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		if err := table.WriteCSV(w, t, table.CSVOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		inRows, outRows = run.Nodes["import"].Rows, t.NumRows()
	}
	b.StopTimer()
	b.ReportMetric(float64(inRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(outRows), "rows-out")
	if hwm := peakRSSMiB(); hwm > 0 {
		b.ReportMetric(hwm, "peak-RSS-MiB")
	}
}

// peakRSSMiB reads the process's peak resident set size (Linux only).
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
