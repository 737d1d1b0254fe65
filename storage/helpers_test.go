package storage

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/workflow"
)

// openStore opens a store in a fresh directory, closed when the test ends.
func openStore(t *testing.T) *Store {
	t.Helper()
	return openDir(t, t.TempDir())
}

func openDir(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes the store and opens its directory again, as a restart does.
func reopen(t *testing.T, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openDir(t, s.Dir())
}

func mustCheck(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// doc builds a workflow document; each source makes an Import Data node
// reading that dataset.
func doc(name string, sources ...string) *workflow.Workflow {
	wf := &workflow.Workflow{Format: workflow.FormatVersion, Name: name, Nodes: []workflow.Node{}, Edges: []workflow.Edge{}}
	for i, src := range sources {
		n := workflow.Node{ID: "in" + string(rune('a'+i)), Module: importModule, Version: 1}
		if err := n.SetParam(sourceParam, src); err != nil {
			panic(err)
		}
		wf.Nodes = append(wf.Nodes, n)
	}
	return wf
}

func mustWorkflow(t *testing.T, s *Store, d *workflow.Workflow) *Workflow {
	t.Helper()
	w, err := s.CreateWorkflow(d, "alice")
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	return w
}

func mustUser(t *testing.T, s *Store, name string, role Role) *User {
	t.Helper()
	u, err := s.CreateUser(User{Username: name, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Role: role})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// mustDataset uploads content and records it as a new dataset.
func mustDataset(t *testing.T, s *Store, name, content string) *Dataset {
	t.Helper()
	hash, _, err := s.PutBlob(strings.NewReader(content))
	if err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	d, err := s.CreateDataset(name, "alice", DatasetVersion{Hash: hash, Format: "csv", Rows: strings.Count(content, "\n") - 1, Cols: 2})
	if err != nil {
		t.Fatalf("CreateDataset: %v", err)
	}
	return d
}

func jsonEqual(t *testing.T, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("got  %s\nwant %s", g, w)
	}
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
