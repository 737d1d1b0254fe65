// Command mlbenchdata writes the learners' benchmark tables as CSV
// (train.csv: 100k rows, test.csv: 1M rows, 20 features and a label y) so
// scikit-learn can be timed on exactly the rows the Go benchmarks use.
//
//	go run ./scripts/mlbenchdata DIR
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trellis-studio/trellis/modules/ml/mltest"
	"github.com/trellis-studio/trellis/modules/table"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mlbenchdata DIR")
		os.Exit(2)
	}
	for name, t := range map[string]*table.Table{"train.csv": mltest.Synthetic(100_000, 1), "test.csv": mltest.Synthetic(1_000_000, 2)} {
		if err := write(filepath.Join(os.Args[1], name), t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func write(path string, t *table.Table) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := table.WriteCSV(w, t, table.CSVOptions{}); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
