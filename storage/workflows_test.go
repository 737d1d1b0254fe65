package storage

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/workflow"
)

func TestCreateWorkflow(t *testing.T) {
	s := openStore(t)
	d := doc("Churn", "customers")
	d.Format = 0

	w, err := s.CreateWorkflow(d, "alice")

	if err != nil {
		t.Fatal(err)
	}
	if w.Revision != 1 || w.Name != "Churn" || w.CreatedBy != "alice" || w.Doc.Format != workflow.FormatVersion {
		t.Fatalf("created %+v", w)
	}
	d.Name = "changed after saving"
	got, err := s.Workflow(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Doc.Name != "Churn" || len(got.Doc.Nodes) != 1 || got.Revision != 1 {
		t.Fatalf("read back %+v %+v", got, got.Doc)
	}
	jsonEqual(t, got.Datasets, []string{"customers"})
}

func TestCreateWorkflowNilDoc(t *testing.T) {
	s := openStore(t)
	if _, err := s.CreateWorkflow(nil, "alice"); err == nil {
		t.Fatal("a nil document was stored")
	}
}

func TestSaveWorkflowAddsRevisions(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("v1"))
	for i, name := range []string{"v2", "v3"} {
		saved, err := s.SaveWorkflow(w.ID, i+1, doc(name), "bob")
		if err != nil {
			t.Fatal(err)
		}
		if saved.Revision != i+2 || saved.Name != name || saved.UpdatedBy != "bob" || saved.CreatedBy != "alice" {
			t.Fatalf("saved %+v", saved)
		}
	}

	latest, _ := s.Workflow(w.ID)
	if latest.Revision != 3 || latest.Doc.Name != "v3" {
		t.Errorf("latest is %d %q", latest.Revision, latest.Doc.Name)
	}
	first, err := s.WorkflowRevision(w.ID, 1)
	if err != nil || first.Doc.Name != "v1" || first.Author != "alice" {
		t.Fatalf("revision 1 = %+v, %v", first, err)
	}
	revs, err := s.WorkflowRevisions(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, r := range revs {
		numbers = append(numbers, r.Number)
		if r.Doc != nil {
			t.Errorf("revision %d listed with its document", r.Number)
		}
	}
	jsonEqual(t, numbers, []int{3, 2, 1})
	_, err = s.WorkflowRevision(w.ID, 4)
	wantErr(t, err, ErrNotFound)
}

func TestSaveWorkflowStaleRevisionWritesNothing(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("base"))
	if _, err := s.SaveWorkflow(w.ID, 1, doc("theirs", "iris"), "bob"); err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	if _, err := s.Backup(&before); err != nil {
		t.Fatal(err)
	}

	_, err := s.SaveWorkflow(w.ID, 1, doc("mine"), "alice")

	wantErr(t, err, ErrConflict)
	if !strings.Contains(err.Error(), "latest is 2") {
		t.Errorf("message %q does not name the latest revision", err)
	}
	var after bytes.Buffer
	if _, err := s.Backup(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("the refused save changed the store")
	}
	got, _ := s.Workflow(w.ID)
	if got.Revision != 2 || got.Doc.Name != "theirs" {
		t.Errorf("latest is %d %q, want 2 theirs", got.Revision, got.Doc.Name)
	}
}

func TestSaveWorkflowNotFound(t *testing.T) {
	s := openStore(t)
	_, err := s.SaveWorkflow("nope", 1, doc("x"), "alice")
	wantErr(t, err, ErrNotFound)
	_, err = s.Workflow("nope")
	wantErr(t, err, ErrNotFound)
	_, err = s.WorkflowRevisions("nope")
	wantErr(t, err, ErrNotFound)
}

func TestWorkflowsListAndSearch(t *testing.T) {
	s := openStore(t)
	churn := mustWorkflow(t, s, doc("Customer churn"))
	mustWorkflow(t, s, doc("Price model"))
	mustWorkflow(t, s, doc("customer segments"))
	if _, err := s.SaveWorkflow(churn.ID, 1, doc("Customer churn v2"), "alice"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		give string
		want []string
	}{
		{"", []string{"Customer churn v2", "customer segments", "Price model"}},
		{"CUSTOMER", []string{"Customer churn v2", "customer segments"}},
		{"price", []string{"Price model"}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		ws, err := s.Workflows(tt.give)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range ws {
			names = append(names, w.Name)
		}
		jsonEqual(t, names, tt.want)
	}
}

func TestDuplicateWorkflow(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("Original", "iris"))
	if _, err := s.SaveWorkflow(w.ID, 1, doc("Original", "iris", "wine"), "alice"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		give, want string
	}{
		{"", "Copy of Original"},
		{"Mine", "Mine"},
	}
	for _, tt := range tests {
		dup, err := s.DuplicateWorkflow(w.ID, tt.give, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if dup.ID == w.ID || dup.Revision != 1 || dup.Name != tt.want || dup.Doc.Name != tt.want || len(dup.Doc.Nodes) != 2 || dup.CreatedBy != "bob" {
			t.Errorf("duplicate %+v", dup)
		}
	}
	uses, _ := s.DatasetUsers("wine")
	if len(uses) != 3 {
		t.Errorf("wine is read by %d workflows, want 3", len(uses))
	}
	_, err := s.DuplicateWorkflow("nope", "", "bob")
	wantErr(t, err, ErrNotFound)
	mustCheck(t, s)
}

func TestDeleteWorkflow(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("gone", "iris"))
	keep := mustWorkflow(t, s, doc("kept", "iris"))
	r, err := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
	if err != nil {
		t.Fatal(err)
	}

	wantErr(t, s.DeleteWorkflow(w.ID), ErrInUse) // its run is queued
	if _, err := s.UpdateRun(r.ID, func(r *Run) error { r.Status = workflow.StatusSucceeded; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWorkflow(w.ID); err != nil {
		t.Fatal(err)
	}

	_, err = s.Workflow(w.ID)
	wantErr(t, err, ErrNotFound)
	_, err = s.Run(r.ID)
	wantErr(t, err, ErrNotFound)
	uses, _ := s.DatasetUsers("iris")
	if len(uses) != 1 || uses[0].WorkflowID != keep.ID {
		t.Errorf("iris users after delete: %+v", uses)
	}
	wantErr(t, s.DeleteWorkflow(w.ID), ErrNotFound)
	mustCheck(t, s)
}
