package tree

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestRadixSortMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 3, 300, 5000} {
		v := make([]float64, n)
		for i := range v {
			switch rng.IntN(4) {
			case 0:
				v[i] = float64(rng.IntN(5)) - 2 // ties and zeros
			case 1:
				v[i] = rng.NormFloat64() * 1e300
			default:
				v[i] = rng.NormFloat64()
			}
		}
		if n > 10 {
			v[0], v[1], v[2] = math.Inf(1), math.Inf(-1), 5e-324
		}
		w := slices.Clone(v)
		radixSort(v)
		slices.Sort(w)
		if !slices.Equal(v, w) {
			t.Fatalf("n=%d: radix sort differs from slices.Sort", n)
		}
	}
}

func TestBinningAgreesWithThresholds(t *testing.T) {
	// Few distinct values (midpoints), many (quantiles), and missing ones.
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	few, many := make([]float64, n), make([]float64, n)
	for i := range n {
		few[i] = float64(rng.IntN(30))
		many[i] = rng.ExpFloat64()
		if i%50 == 0 {
			many[i] = math.NaN()
		}
	}
	bd := binData(Data{Cols: [][]float64{few, many}}, 255, 1, 2)
	if bd.nbins[0] != 30 || bd.nbins[1] > 255 || bd.nbins[1] < 250 {
		t.Fatalf("bins = %v", bd.nbins)
	}
	for j, col := range [][]float64{few, many} {
		edges := bd.edges[j]
		if !slices.IsSorted(edges) {
			t.Fatalf("feature %d: edges not sorted", j)
		}
		for i, v := range col {
			got := bd.cols[j][i]
			if math.IsNaN(v) {
				if got != missingBin {
					t.Fatalf("NaN in bin %d", got)
				}
				continue
			}
			if want := sort.SearchFloat64s(edges, v); int(got) != want {
				t.Fatalf("feature %d value %v: bin %d, want %d", j, v, got, want)
			}
			if bd.rowMajor[i*2+j] != got {
				t.Fatal("row-major bins differ from columns")
			}
		}
	}
	// Quantile bins hold roughly equal counts.
	counts := make([]int, 256)
	for _, b := range bd.cols[1] {
		counts[b]++
	}
	for b := range bd.nbins[1] {
		if counts[b] > 3*n/255 {
			t.Errorf("bin %d holds %d rows", b, counts[b])
		}
	}
}
