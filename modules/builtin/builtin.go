// Package builtin lists the modules that ship with Trellis. The list is
// explicit: nothing registers itself, so what a build contains is read here.
package builtin

import (
	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/data"
	"github.com/trellis-studio/trellis/modules/manipulation"
	"github.com/trellis-studio/trellis/modules/ml"
	"github.com/trellis-studio/trellis/modules/stats"
	"github.com/trellis-studio/trellis/modules/transform"
)

// Modules returns every built-in module, all versions.
func Modules() []modules.Module {
	return append([]modules.Module{
		data.ImportData{},
		data.EnterData{},

		transform.SelectColumns{},
		transform.EditMetadata{},
		transform.FilterRows{},
		transform.AddComputedColumn{},
		transform.ApplyMathOperation{},
		transform.SplitData{},
		transform.CleanMissingData{},
		transform.NormalizeData{},
		transform.ConvertToIndicatorValues{},
		transform.GroupDataIntoBins{},
		transform.ApplyTransformation{},
		transform.PartitionAndSample{},

		manipulation.JoinData{},
		manipulation.AddRows{},
		manipulation.AddColumns{},
		manipulation.RemoveDuplicateRows{},
		manipulation.SortData{},
		manipulation.GroupAndAggregate{},

		stats.SummarizeData{},
		stats.ComputeLinearCorrelation{},
	}, ml.Modules()...)
}

// Registry returns a registry of the built-in modules.
func Registry() (*modules.Registry, error) { return modules.NewRegistry(Modules()...) }
