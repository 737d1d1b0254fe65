package manipulation

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// render writes each row as its values joined by "|", with "null" for missing.
func render(tb *table.Table) []string {
	out := make([]string, tb.NumRows())
	for i := range out {
		vals := make([]string, tb.NumCols())
		for c := range vals {
			if col := tb.Column(c); col.Null(i) {
				vals[c] = "null"
			} else {
				vals[c] = col.Format(i)
			}
		}
		out[i] = strings.Join(vals, "|")
	}
	return out
}

// runTable runs m and returns its results table, failing the test on error.
func runTable(t *testing.T, m modules.Module, params map[string]any, inputs ...any) *table.Table {
	t.Helper()
	return moduletest.MustRun(t, m, params, inputs...).Table(t, m, "results")
}

func wantRows(t *testing.T, got *table.Table, want []string) {
	t.Helper()
	if g := render(got); !slices.EqualFunc(g, want, sameRow) {
		t.Errorf("rows:\n  got  %q\n  want %q", g, want)
	}
}

// sameRow compares rendered rows, numbers to within rounding, since the
// last bits of a float may differ by platform (fused multiply-add).
func sameRow(a, b string) bool {
	as, bs := strings.Split(a, "|"), strings.Split(b, "|")
	return slices.EqualFunc(as, bs, func(x, y string) bool {
		if x == y {
			return true
		}
		fx, err1 := strconv.ParseFloat(x, 64)
		fy, err2 := strconv.ParseFloat(y, 64)
		return err1 == nil && err2 == nil && math.Abs(fx-fy) <= 1e-12*math.Max(math.Abs(fx), math.Abs(fy))
	})
}

func wantNames(t *testing.T, got *table.Table, want ...string) {
	t.Helper()
	if g := got.Schema().Names(); !slices.Equal(g, want) {
		t.Errorf("columns = %q, want %q", g, want)
	}
}

// wantParamErr fails unless err is a ParamError on param whose message holds every fragment.
func wantParamErr(t *testing.T, err error, param string, fragments ...string) {
	t.Helper()
	var pe *modules.ParamError
	if !errors.As(err, &pe) || pe.Param != param {
		t.Fatalf("err = %v, want a ParamError on %s", err, param)
	}
	wantErrText(t, err, fragments...)
}

func wantErrText(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want an error mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func nulls(n int, rows ...int) table.Bitmap {
	b := table.NewBitmap(n)
	for _, r := range rows {
		b.Set(r, false)
	}
	return b
}

func TestSpecsValid(t *testing.T) {
	if _, err := modules.NewRegistry(JoinData{}, AddRows{}, AddColumns{}, RemoveDuplicateRows{}, SortData{}, GroupAndAggregate{}); err != nil {
		t.Fatal(err)
	}
}
