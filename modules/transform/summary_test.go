package transform

import (
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// TestTransformSummaries fits each stateful module and checks the summary
// of its transform lists what was learnt, column by column.
func TestTransformSummaries(t *testing.T) {
	tests := []struct {
		name   string
		m      modules.Module
		params map[string]any
		data   *table.Table
		want   string // the summary table's schema, then its rows
	}{
		{"normalize", NormalizeData{}, map[string]any{"columns": []string{"x"}}, normTable(t),
			"Column:string, Values:int, Mean:float, Std:float\nx,4,2.5,1.118033988749895\n"},
		{"normalize min-max", NormalizeData{}, map[string]any{"columns": []string{"x"}, "method": "minmax"}, normTable(t),
			"Column:string, Values:int, Min:float, Max:float\nx,4,1,4\n"},
		{"clean missing", CleanMissingData{}, map[string]any{"columns": []string{"age", "city"}, "mode": "mode"}, cleanTable(t),
			"Column:string, Type:string, Replacement:string\nage,int,21\ncity,string,oslo\n"},
		{"bins", GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}, "bins": 2}, binTable(t),
			"Column:string, Bins:int, Edges:string\nx,2,4.5\n"},
		{"indicators", ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color"}}, indTable(t),
			"Column:string, Categories:int, Values:string\ncolor,3,\"blue, green, red\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, tt.m, tt.params, tt.data)
			var tr modules.Transform
			for _, o := range res.Outputs {
				if x, ok := o.(modules.Transform); ok {
					tr = x
				}
			}
			s, ok := tr.(modules.Summarizer)
			if !ok {
				t.Fatalf("%T has no summary", tr)
			}
			r := s.Summary()
			if r == nil || len(r.Sections) != 1 || r.Sections[0].Table == nil {
				t.Fatalf("summary %+v", r)
			}
			tb := r.Sections[0].Table
			var buf strings.Builder
			if err := table.WriteCSV(&buf, tb, table.CSVOptions{NoHeader: true}); err != nil {
				t.Fatal(err)
			}
			if got := tb.Schema().String() + "\n" + buf.String(); got != tt.want {
				t.Errorf("summary =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
