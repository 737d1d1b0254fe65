// Package manipulation holds the modules that combine and reshape whole
// datasets: joining, appending rows or columns, removing duplicate rows,
// sorting, and grouping with aggregates.
package manipulation

import (
	"fmt"
	"math"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// checkEvery is how many rows a loop handles between cancellation checks:
// often enough to stop within milliseconds, rarely enough to cost nothing.
const checkEvery = 1 << 16

var resultsPort = []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}}

// suffixed returns name with " (2)" appended, or " (3)" and so on when that
// is taken too. Joining and adding columns use it for the second table's
// clashing names, so the first table's names never change.
func suffixed(name string, taken map[string]bool) string {
	for n := 2; ; n++ {
		s := fmt.Sprintf("%s (%d)", name, n)
		if !taken[s] {
			return s
		}
	}
}

// sideBySide returns the schema of a's fields followed by b's, renaming the
// fields of b whose names a uses (see suffixed).
func sideBySide(a, b table.Schema) table.Schema {
	taken := make(map[string]bool, len(a)+len(b))
	for _, f := range a {
		taken[f.Name] = true
	}
	for _, f := range b {
		taken[f.Name] = true
	}
	out := append(a.Clone(), b...)
	for i := len(a); i < len(out); i++ {
		if a.Index(out[i].Name) >= 0 {
			out[i].Name = suffixed(out[i].Name, taken)
			taken[out[i].Name] = true
		}
	}
	return out
}

// checkRows refuses tables too long for the int32 row numbers the hash
// tables keep, which halve their memory.
func checkRows(n int) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("%d rows is more than this module handles (%d)", n, math.MaxInt32)
	}
	return nil
}
