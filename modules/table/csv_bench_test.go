package table

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// writeLoanCSV writes n rows of a synthetic loan dataset shaped like
// shared/bench/peers/gen_data.py's (8 numeric columns, 2 categorical, an int
// label) plus one float with full precision: 12 columns, about 66 bytes a
// row. It is deterministic for a seed.
func writeLoanCSV(w io.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	home := []string{"RENT", "OWN", "MORTGAGE", "OTHER"}
	purpose := []string{"debt_consolidation", "credit_card", "home_improvement", "small_business", "car", "other"}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("loan_amount,annual_income,interest_rate,term_months,credit_score,dti,emp_length_years,num_open_accounts,home_ownership,purpose,default,risk_score\n")
	var b []byte
	round2 := func(f float64) float64 { return math.Round(f*100) / 100 }
	for range n {
		b = b[:0]
		income := round2(min(max(math.Exp(11+0.5*rng.NormFloat64()), 8000), 600000))
		loan := round2(min(max(math.Exp(9.4+0.6*rng.NormFloat64()), 500), 40000))
		score := int64(min(max(math.Round(690+55*rng.NormFloat64()), 300), 850))
		rate := round2(min(max(32-0.03*float64(score-300)+2.5*rng.NormFloat64(), 3), 36))
		term := int64(36)
		if rng.Float64() < 0.3 {
			term = 60
		}
		dti := round2(min(rng.ExpFloat64()*18, 60))
		b = strconv.AppendFloat(b, loan, 'f', 2, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, income, 'f', 2, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, rate, 'f', 2, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, term, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, score, 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, dti, 'f', 2, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, rng.Int64N(11), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, rng.Int64N(20), 10)
		b = append(b, ',')
		b = append(b, home[rng.IntN(len(home))]...)
		b = append(b, ',')
		b = append(b, purpose[rng.IntN(len(purpose))]...)
		b = append(b, ',')
		b = strconv.AppendInt(b, rng.Int64N(2), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, rng.Float64(), 'g', 8, 64)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func loanFile(b *testing.B, rows int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "loans.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeLoanCSV(f, rows, 42); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchReadFile(b *testing.B, path string, opts CSVOptions) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		t, err := ReadCSV(f, opts)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		rows = t.NumRows()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadCSV reads a generated 1M-row × 12-column file (~66 MB).
func BenchmarkReadCSV(b *testing.B) {
	path := loanFile(b, 1_000_000)
	b.Run("workers=1", func(b *testing.B) { benchReadFile(b, path, CSVOptions{Workers: 1}) })
	b.Run("workers=2", func(b *testing.B) { benchReadFile(b, path, CSVOptions{Workers: 2}) })
}

// BenchmarkReadCSVFile reads the file TRELLIS_BENCH_CSV names, e.g. the
// peers' /tmp/bench-peers/data/batch_1m.csv (shared/bench/peers/run.sh data).
func BenchmarkReadCSVFile(b *testing.B) {
	path := os.Getenv("TRELLIS_BENCH_CSV")
	if path == "" {
		b.Skip("set TRELLIS_BENCH_CSV to a CSV file to read")
	}
	benchReadFile(b, path, CSVOptions{})
}

// BenchmarkWriteCSV writes the 1M-row table BenchmarkReadCSV reads.
func BenchmarkWriteCSV(b *testing.B) {
	var src bytes.Buffer
	if err := writeLoanCSV(&src, 1_000_000, 42); err != nil {
		b.Fatal(err)
	}
	t, err := ReadCSV(bytes.NewReader(src.Bytes()), CSVOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(src.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, t, CSVOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(t.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
