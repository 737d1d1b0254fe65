package workflow_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/workflow"
)

// prepFlow is Enter Data → Normalize Data → Convert to Indicator Values over
// the given CSV text.
func prepFlow(t *testing.T, csv string) *workflow.Workflow {
	t.Helper()
	doc := `{"format": 1, "name": "fit then apply", "nodes": [
	  {"id": "data", "module": "enter_data_manually", "version": 1, "position": {"x": 0, "y": 0}, "params": {"data": ` + quote(csv) + `}},
	  {"id": "norm", "module": "normalize_data", "version": 1, "position": {"x": 0, "y": 100}, "params": {"columns": ["age", "income"], "method": "zscore"}},
	  {"id": "onehot", "module": "convert_to_indicator_values", "version": 1, "position": {"x": 0, "y": 200}, "params": {"columns": ["city"]}}],
	 "edges": [
	  {"from": {"node": "data", "port": "dataset"}, "to": {"node": "norm", "port": "dataset"}},
	  {"from": {"node": "norm", "port": "results"}, "to": {"node": "onehot", "port": "dataset"}}]}`
	wf, err := workflow.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

// TestRecordedStateAppliesTrainingStatistics fits Normalize Data and Convert
// to Indicator Values on table A, then runs a one-row table B with A's
// recorded state: B is scaled with A's mean and deviation and encoded with
// A's categories — what a published endpoint relies on.
func TestRecordedStateAppliesTrainingStatistics(t *testing.T) {
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg}
	ctx := context.Background()

	// A: age mean 30, population std 10; income mean 50, std 20; cities ann, bob, cyd.
	a := "age,income,city\n20,30,ann\n40,70,bob\n30,50,cyd\n"
	fit, _, err := eng.Run(ctx, prepFlow(t, a), workflow.RunOptions{})
	if err != nil || fit.Err() != nil {
		t.Fatalf("fit run: %v %v", err, fit.Err())
	}
	states := map[string]modules.State{"norm": fit.Nodes["norm"].State, "onehot": fit.Nodes["onehot"].State}
	for id, s := range states {
		if len(s) == 0 {
			t.Fatalf("node %s recorded no state", id)
		}
	}

	// B: one row with a city A never saw.
	b := "age,income,city\n45,10,zed\n"
	apply, plan, err := eng.Run(ctx, prepFlow(t, b), workflow.RunOptions{States: states})
	if err != nil || apply.Err() != nil {
		t.Fatalf("apply run: %v %v", err, apply.Err())
	}
	v, err := apply.Output("onehot", "results", plan)
	if err != nil {
		t.Fatal(err)
	}
	out := v.(*table.Table)
	want := map[string]float64{
		"age":      (45 - 30) / math.Sqrt(200.0/3),
		"income":   (10 - 50) / math.Sqrt(800.0/3),
		"city-ann": 0, "city-bob": 0, "city-cyd": 0, // unseen category: all zero
	}
	if out.NumRows() != 1 || out.NumCols() != len(want) {
		t.Fatalf("B result schema %v, %d rows", out.Schema(), out.NumRows())
	}
	for name, w := range want {
		c, _, err := out.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := table.Float64At(c, 0); math.Abs(got-w) > 1e-12 {
			t.Errorf("%s = %v, want %v (from A's statistics)", name, got, w)
		}
	}

	// Without the recorded state, B is fitted on itself: one row, so a constant.
	refit, plan2, err := eng.Run(ctx, prepFlow(t, b), workflow.RunOptions{})
	if err != nil || refit.Err() != nil {
		t.Fatal(err, refit.Err())
	}
	v2, _ := refit.Output("onehot", "results", plan2)
	if _, _, err := v2.(*table.Table).Lookup("city-ann"); err == nil {
		t.Error("refitting on B still produced A's categories")
	}
}

// TestCachingWithBuiltinModules edits a middle node of a real workflow: only
// it and what follows it execute again.
func TestCachingWithBuiltinModules(t *testing.T) {
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg, Cache: workflow.NewMemoryCache(1 << 24)}
	wf := prepFlow(t, "age,income,city\n20,30,ann\n40,70,bob\n30,50,cyd\n")
	if _, _, err := eng.Run(context.Background(), wf, workflow.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _ := wf.Node("norm")
	if err := n.SetParam("method", "minmax"); err != nil {
		t.Fatal(err)
	}
	run, _, err := eng.Run(context.Background(), wf, workflow.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]workflow.Status{"data": workflow.StatusCached, "norm": workflow.StatusSucceeded, "onehot": workflow.StatusSucceeded} {
		if got := run.Nodes[id].Status; got != want {
			t.Errorf("node %s: %s, want %s", id, got, want)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
