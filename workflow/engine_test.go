package workflow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

func mustRun(t *testing.T, e *Engine, wf *Workflow, opts RunOptions) (*Run, *Plan) {
	t.Helper()
	run, plan, err := e.Run(context.Background(), wf, opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return run, plan
}

func outTable(t *testing.T, run *Run, plan *Plan, node string) *table.Table {
	t.Helper()
	v, err := run.Output(node, "out", plan)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*table.Table)
}

// sixNodes: src → a → b → c → d, and src → e (a branch beside the chain).
func sixNodes(amountB string) *Workflow {
	return build(
		[]string{"src:const_table", "a:add", "b:add", "c:center", "d:add", "e:add"},
		[]string{"src.out>a.in", "a.out>b.in", "b.out>c.in", "c.out>d.in", "src.out>e.in"},
		map[string]string{"b.amount": amountB, "src.values": `"1,2,3,10"`, "e.amount": "9"},
	)
}

func TestCacheRerunsOnlyWhatChanged(t *testing.T) {
	e := &Engine{Registry: testRegistry(), Cache: NewMemoryCache(1 << 20)}
	first, _ := mustRun(t, e, sixNodes("5"), RunOptions{})
	for _, id := range first.Order {
		if !first.Nodes[id].Executed || first.Nodes[id].Status != StatusSucceeded {
			t.Fatalf("first run: node %s %s (executed %v)", id, first.Nodes[id].Status, first.Nodes[id].Executed)
		}
	}

	second, plan := mustRun(t, e, sixNodes("7"), RunOptions{})
	want := map[string]Status{"src": StatusCached, "a": StatusCached, "e": StatusCached,
		"b": StatusSucceeded, "c": StatusSucceeded, "d": StatusSucceeded}
	for id, st := range want {
		nr := second.Nodes[id]
		if nr.Status != st || nr.Executed != (st == StatusSucceeded) {
			t.Errorf("after editing b: node %s is %s (executed %v), want %s", id, nr.Status, nr.Executed, st)
		}
	}

	cold, coldPlan := mustRun(t, &Engine{Registry: testRegistry()}, sixNodes("7"), RunOptions{})
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if !table.Equal(outTable(t, second, plan, id), outTable(t, cold, coldPlan, id)) {
			t.Errorf("node %s: cached run output differs from a cold run", id)
		}
	}

	third, _ := mustRun(t, e, sixNodes("7"), RunOptions{})
	for _, id := range third.Order {
		if third.Nodes[id].Status != StatusCached {
			t.Errorf("unchanged re-run: node %s is %s, want cached", id, third.Nodes[id].Status)
		}
	}
}

func TestFittedStateIsRecordedAndApplied(t *testing.T) {
	e := &Engine{Registry: testRegistry()}
	fit := build([]string{"src:const_table", "c:center"}, []string{"src.out>c.in"}, map[string]string{"src.values": `"2,4,6"`})
	run, _ := mustRun(t, e, fit, RunOptions{})
	state := run.Nodes["c"].State
	if state == nil {
		t.Fatal("stateful node recorded no state")
	}

	apply := build([]string{"src:const_table", "c:center"}, []string{"src.out>c.in"}, map[string]string{"src.values": `"10"`})
	run2, plan2 := mustRun(t, e, apply, RunOptions{States: map[string]modules.State{"c": state}})
	if got := xValues(outTable(t, run2, plan2, "c")); !slices.Equal(got, []float64{6}) {
		t.Errorf("applied state: got %v, want [6] (10 minus the fitted mean 4)", got)
	}
	run3, plan3 := mustRun(t, e, apply, RunOptions{})
	if got := xValues(outTable(t, run3, plan3, "c")); !slices.Equal(got, []float64{0}) {
		t.Errorf("refit: got %v, want [0]", got)
	}
}

func TestFailureSkipsDownstreamOnly(t *testing.T) {
	e := &Engine{Registry: testRegistry()}
	wf := build([]string{"src:const_table", "bad:fail", "after:add", "ok:add", "ok2:add"},
		[]string{"src.out>bad.in", "bad.out>after.in", "src.out>ok.in", "ok.out>ok2.in"}, nil)
	run, _ := mustRun(t, e, wf, RunOptions{})
	want := map[string]Status{"src": StatusSucceeded, "bad": StatusFailed, "after": StatusSkipped, "ok": StatusSucceeded, "ok2": StatusSucceeded}
	for id, st := range want {
		if got := run.Nodes[id].Status; got != st {
			t.Errorf("node %s: %s, want %s", id, got, st)
		}
	}
	if run.Status != StatusFailed {
		t.Errorf("run status %s, want failed", run.Status)
	}
	var ne *NodeError
	if err := run.Err(); !errors.As(err, &ne) || ne.Node != "bad" || ne.Param != "why" || ne.Message != "boom" {
		t.Errorf("run.Err() = %v, want node bad, param why, boom", err)
	}
}

func TestBranchesRunInParallel(t *testing.T) {
	rv := newRendezvous(2)
	e := &Engine{Registry: testRegistry(wait{rv: rv}), Workers: 2}
	wf := build([]string{"src:const_table", "w1:wait", "w2:wait"}, []string{"src.out>w1.in", "src.out>w2.in"}, nil)
	run, _ := mustRun(t, e, wf, RunOptions{})
	if run.Status != StatusSucceeded {
		t.Fatalf("run %s: %v", run.Status, run.Err())
	}
}

func TestCancelAndTimeout(t *testing.T) {
	e := &Engine{Registry: testRegistry(wait{})}
	wf := build([]string{"src:const_table", "w:wait", "after:add"}, []string{"src.out>w.in", "w.out>after.in"}, nil)

	run, _ := mustRun(t, e, wf, RunOptions{NodeTimeout: 50 * time.Millisecond})
	if nr := run.Nodes["w"]; nr.Status != StatusFailed || !strings.Contains(nr.Error, "timed out") {
		t.Errorf("timeout: node w %s %q, want failed with 'timed out'", nr.Status, nr.Error)
	}
	if st := run.Nodes["after"].Status; st != StatusSkipped {
		t.Errorf("after a timeout, downstream is %s, want skipped", st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	opts := RunOptions{OnEvent: func(ev Event) {
		if ev.Node == "w" && ev.Status == StatusRunning {
			once.Do(cancel)
		}
	}}
	run, _, err := e.Run(ctx, wf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != StatusCanceled || run.Nodes["w"].Status != StatusCanceled || run.Nodes["after"].Status != StatusCanceled {
		t.Errorf("cancel: run %s, w %s, after %s; want all canceled", run.Status, run.Nodes["w"].Status, run.Nodes["after"].Status)
	}
}

func TestEventsPerNode(t *testing.T) {
	e := &Engine{Registry: testRegistry(), Cache: NewMemoryCache(1 << 20)}
	wf := build([]string{"src:const_table", "a:add"}, []string{"src.out>a.in"}, nil)
	var mu sync.Mutex
	seen := map[string][]Status{}
	opts := RunOptions{OnEvent: func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Progress == 0 {
			seen[ev.Node] = append(seen[ev.Node], ev.Status)
		}
	}}
	mustRun(t, e, wf, opts)
	want := []Status{StatusQueued, StatusRunning, StatusSucceeded}
	for _, id := range []string{"src", "a"} {
		if !slices.Equal(seen[id], want) {
			t.Errorf("node %s events %v, want %v", id, seen[id], want)
		}
	}
	if runEvents := seen[""]; !slices.Equal(runEvents, []Status{StatusRunning, StatusSucceeded}) {
		t.Errorf("run events %v", runEvents)
	}
	seen = map[string][]Status{}
	mustRun(t, e, wf, opts)
	if !slices.Equal(seen["a"], []Status{StatusQueued, StatusCached}) {
		t.Errorf("cached node events %v, want queued, cached", seen["a"])
	}
}

func TestRunUpToTarget(t *testing.T) {
	e := &Engine{Registry: testRegistry()}
	run, _ := mustRun(t, e, sixNodes("1"), RunOptions{Targets: []string{"b"}})
	if got := run.Order; !slices.Equal(got, []string{"src", "a", "b"}) {
		t.Errorf("run up to b ran %v", got)
	}
	if _, _, err := e.Run(context.Background(), sixNodes("1"), RunOptions{Targets: []string{"nope"}}); err == nil {
		t.Error("unknown target accepted")
	}
}

func TestNodeLogsAreKept(t *testing.T) {
	run, _ := mustRun(t, &Engine{Registry: testRegistry()}, sixNodes("2"), RunOptions{})
	logs := run.Nodes["b"].Logs
	if len(logs) != 1 || !strings.Contains(logs[0].Message, "adding amount=2") {
		t.Errorf("node b logs %+v", logs)
	}
}

func TestWorkflowParameterBinding(t *testing.T) {
	wf := sixNodes(`"$step"`)
	wf.Parameters = []Parameter{{Name: "step", Type: "float", Default: []byte("3")}}
	e := &Engine{Registry: testRegistry(), Cache: NewMemoryCache(1 << 20)}
	for _, tc := range []struct {
		set  map[string]string
		want float64
	}{{nil, 3}, {map[string]string{"step": "10"}, 10}} {
		vars, err := wf.Vars(tc.set)
		if err != nil {
			t.Fatal(err)
		}
		run, plan := mustRun(t, e, wf, RunOptions{Vars: vars})
		// b adds step to a's output (x+1): first row 1+1+step.
		if got := xValues(outTable(t, run, plan, "b"))[0]; got != 2+tc.want {
			t.Errorf("step=%v: b[0] = %v, want %v", tc.want, got, 2+tc.want)
		}
	}
	if _, err := wf.Vars(map[string]string{"step": "abc"}); err == nil || !strings.Contains(err.Error(), "step") {
		t.Errorf("bad --set value error %v", err)
	}
	if _, err := wf.Vars(map[string]string{"nope": "1"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown --set error %v", err)
	}
}

func TestReleaseDropsIntermediateOutputs(t *testing.T) {
	e := &Engine{Registry: testRegistry()}
	run, plan := mustRun(t, e, sixNodes("1"), RunOptions{Release: true, Keep: []string{"b"}})
	for _, id := range []string{"src", "a", "c"} {
		if run.Nodes[id].Outputs != nil {
			t.Errorf("node %s outputs kept after every consumer finished", id)
		}
	}
	for _, id := range []string{"b", "d", "e"} { // kept, and the sinks
		if _, err := run.Output(id, "out", plan); err != nil {
			t.Errorf("node %s: %v", id, err)
		}
	}
}

// workerPanic panics on a goroutine of its own, as a module's parallel
// work would if it had a bug.
type workerPanic struct{}

func (workerPanic) Spec() modules.Spec {
	return spec("worker_panic", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindTable)})
}
func (workerPanic) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{ic.Input("in")}, nil
}
func (workerPanic) Run(rc *modules.Context) error {
	var g parallel.Group
	g.Go(func() {
		var rows []int
		_ = rows[3] // index out of range
	})
	g.Wait()
	return nil
}

// TestPanicOnAWorkerGoroutineFailsTheNode checks that a panic on a goroutine
// a module started fails that node, like a panic in Run itself, instead of
// ending the process.
func TestPanicOnAWorkerGoroutineFailsTheNode(t *testing.T) {
	e := &Engine{Registry: testRegistry(workerPanic{})}
	wf := build([]string{"src:const_table", "bad:worker_panic", "ok:add"}, []string{"src.out>bad.in", "src.out>ok.in"}, nil)
	run, _ := mustRun(t, e, wf, RunOptions{})
	if run.Nodes["bad"].Status != StatusFailed || run.Nodes["ok"].Status != StatusSucceeded {
		t.Fatalf("bad %s, ok %s; want failed and succeeded", run.Nodes["bad"].Status, run.Nodes["ok"].Status)
	}
	if err := run.Err(); err == nil || !strings.Contains(err.Error(), "crashed") || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("run.Err() = %v", err)
	}
}
