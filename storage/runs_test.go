package storage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/workflow"
)

func TestRuns(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w", "iris"))
	r, err := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1, StartedBy: "alice", Targets: []string{"ina"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != workflow.StatusQueued || r.ID == "" {
		t.Fatalf("created %+v", r)
	}

	started := time.Now().UTC()
	_, err = s.UpdateRun(r.ID, func(r *Run) error {
		r.Status, r.Started, r.Order = workflow.StatusRunning, started, []string{"ina"}
		r.Nodes = map[string]*workflow.NodeRun{"ina": {Node: "ina", Status: workflow.StatusRunning}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	final, err := s.UpdateRun(r.ID, func(r *Run) error {
		r.ID, r.WorkflowID = "changed", "changed" // ignored
		r.Status, r.Finished = workflow.StatusSucceeded, started.Add(time.Second)
		n := r.Nodes["ina"]
		n.Status, n.Duration, n.Rows = workflow.StatusSucceeded, 800*time.Millisecond, 150
		n.State = json.RawMessage(`{"mean":[1,2]}`)
		n.Logs = []workflow.LogLine{{Time: started, Level: "INFO", Message: "read 150 rows"}}
		return nil
	})
	if err != nil || final.ID != r.ID || final.WorkflowID != w.ID {
		t.Fatalf("UpdateRun = %+v, %v", final, err)
	}

	got, err := s.Run(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, final)
	if got.Nodes["ina"].Rows != 150 || string(got.Nodes["ina"].State) != `{"mean":[1,2]}` || got.Targets[0] != "ina" {
		t.Errorf("read back %+v", got.Nodes["ina"])
	}
	mustCheck(t, s)
}

func TestCreateRunNeedsTheRevision(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w"))
	for _, give := range []Run{{WorkflowID: "nope", Revision: 1}, {WorkflowID: w.ID, Revision: 2}} {
		_, err := s.CreateRun(give)
		wantErr(t, err, ErrNotFound)
	}
}

func TestRunsListNewestFirst(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w"))
	other := mustWorkflow(t, s, doc("other"))
	var ids []string
	for range 5 {
		r, err := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		_, _ = s.CreateRun(Run{WorkflowID: other.ID, Revision: 1})
	}

	tests := []struct {
		give int
		want []string
	}{
		{0, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{2, []string{ids[4], ids[3]}},
	}
	for _, tt := range tests {
		rs, err := s.Runs(w.ID, tt.give)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
		}
		jsonEqual(t, got, tt.want)
	}
	_, err := s.Runs("nope", 0)
	wantErr(t, err, ErrNotFound)
}

func TestRunPreviews(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w"))
	r, _ := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
	port := workflow.PortRef{Node: "ina", Port: "data"}
	preview := []byte(`{"rows":[[1,"a"]],"stats":{"a":{"mean":1}}}`)

	if err := s.PutRunPreview(r.ID, port, preview); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunPreview(r.ID, port)
	if err != nil || string(got) != string(preview) {
		t.Fatalf("RunPreview = %s, %v", got, err)
	}

	_, err = s.RunPreview(r.ID, workflow.PortRef{Node: "ina", Port: "other"})
	wantErr(t, err, ErrNotFound)
	wantErr(t, s.PutRunPreview("nope", port, preview), ErrNotFound)
	if err := s.PutRunPreview(r.ID, port, []byte(strings.Repeat("x", MaxPreviewSize+1))); err == nil {
		t.Error("an oversized preview was stored")
	}
}

func TestDeleteRun(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w"))
	r, _ := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1, Run: workflow.Run{Status: workflow.StatusRunning}})

	wantErr(t, s.DeleteRun(r.ID), ErrInUse)
	_, _ = s.UpdateRun(r.ID, func(r *Run) error { r.Status = workflow.StatusCanceled; return nil })
	if err := s.DeleteRun(r.ID); err != nil {
		t.Fatal(err)
	}

	if rs, _ := s.Runs(w.ID, 0); len(rs) != 0 {
		t.Errorf("deleted run still listed: %v", rs)
	}
	wantErr(t, s.DeleteRun(r.ID), ErrNotFound)
	mustCheck(t, s)
}

func TestOpenFailsInterruptedRuns(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("w"))
	done, _ := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
	_, _ = s.UpdateRun(done.ID, func(r *Run) error { r.Status = workflow.StatusSucceeded; return nil })
	running, _ := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
	_, err := s.UpdateRun(running.ID, func(r *Run) error {
		r.Status = workflow.StatusRunning
		r.Nodes = map[string]*workflow.NodeRun{
			"a": {Node: "a", Status: workflow.StatusSucceeded},
			"b": {Node: "b", Status: workflow.StatusRunning},
			"c": {Node: "c", Status: workflow.StatusQueued},
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	queued, _ := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})

	s = reopen(t, s) // as after a crash: the runs were never finished

	for _, id := range []string{running.ID, queued.ID} {
		r, _ := s.Run(id)
		if r.Status != workflow.StatusFailed || r.Error != Interrupted || r.Finished.IsZero() {
			t.Errorf("run %s: %s %q finished %v", id, r.Status, r.Error, r.Finished)
		}
	}
	r, _ := s.Run(running.ID)
	got := map[string]workflow.Status{}
	for id, n := range r.Nodes {
		got[id] = n.Status
	}
	jsonEqual(t, got, map[string]workflow.Status{"a": workflow.StatusSucceeded, "b": workflow.StatusFailed, "c": workflow.StatusCanceled})
	if r.Nodes["b"].Error != Interrupted {
		t.Errorf("node b error %q", r.Nodes["b"].Error)
	}
	if d, _ := s.Run(done.ID); d.Status != workflow.StatusSucceeded || d.Error != "" {
		t.Errorf("finished run changed: %+v", d)
	}
	if err := s.DeleteWorkflow(w.ID); err != nil {
		t.Errorf("no run should be in progress after the restart: %v", err)
	}
	mustCheck(t, s)
}
