package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/workflow"
)

func TestPutBlob(t *testing.T) {
	s := openStore(t)
	content := strings.Repeat("a,b\n1,2\n", 10000)
	sum := sha256.Sum256([]byte(content))

	hash, size, err := s.PutBlob(strings.NewReader(content))

	if err != nil || hash != hex.EncodeToString(sum[:]) || size != int64(len(content)) {
		t.Fatalf("PutBlob = %s, %d, %v", hash, size, err)
	}
	f, err := s.OpenBlob(hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if string(got) != content {
		t.Error("blob content differs")
	}
	fi, _ := os.Stat(s.blobPath(hash))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob mode %v", fi.Mode())
	}
	if again, _, err := s.PutBlob(strings.NewReader(content)); err != nil || again != hash {
		t.Errorf("storing the same content again = %s, %v", again, err)
	}
}

func TestOpenBlobNotFound(t *testing.T) {
	s := openStore(t)
	for _, give := range []string{strings.Repeat("ab", 32), "../../trellis.db", "", strings.Repeat("AB", 32)} {
		_, err := s.OpenBlob(give)
		wantErr(t, err, ErrNotFound)
	}
}

func TestDatasets(t *testing.T) {
	s := openStore(t)
	schema := table.Schema{{Name: "a", Type: table.Int}, {Name: "b", Type: table.String, Categorical: true}}
	hash, _, _ := s.PutBlob(strings.NewReader("a,b\n1,x\n"))

	d, err := s.CreateDataset("Iris", "alice", DatasetVersion{Hash: hash, Format: "csv", Rows: 1, Cols: 2, Schema: schema, Size: 999})

	if err != nil {
		t.Fatal(err)
	}
	if d.Latest.Number != 1 || d.Latest.Size != 8 || d.Latest.DatasetID != d.ID || d.Latest.Author != "alice" {
		t.Fatalf("created %+v", d)
	}
	_, err = s.CreateDataset("IRIS", "bob", DatasetVersion{Hash: hash})
	wantErr(t, err, ErrExists)

	hash2, _, _ := s.PutBlob(strings.NewReader("a,b\n1,x\n2,y\n"))
	d2, err := s.AddDatasetVersion(d.ID, "bob", DatasetVersion{Hash: hash2, Rows: 2, Cols: 2, Schema: schema})
	if err != nil || d2.Latest.Number != 2 || d2.Latest.Rows != 2 {
		t.Fatalf("AddDatasetVersion = %+v, %v", d2, err)
	}

	byName, err := s.DatasetByName("iris")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, byName, d2)
	v1, err := s.DatasetVersion(d.ID, 1)
	if err != nil || v1.Hash != hash {
		t.Fatalf("version 1 = %+v, %v", v1, err)
	}
	jsonEqual(t, v1.Schema, schema)
	vs, err := s.DatasetVersions(d.ID)
	if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 {
		t.Fatalf("DatasetVersions = %v, %v; want newest first", vs, err)
	}
	mustDataset(t, s, "adult", "x,y\n")
	list, _ := s.Datasets()
	if len(list) != 2 || list[0].Name != "adult" || list[1].Name != "Iris" {
		t.Errorf("Datasets = %v", list)
	}
	_, err = s.DatasetVersion(d.ID, 3)
	wantErr(t, err, ErrNotFound)
	mustCheck(t, s)
}

func TestCreateDatasetNeedsTheBlob(t *testing.T) {
	s := openStore(t)
	for _, give := range []string{strings.Repeat("0", 64), "not-a-hash"} {
		_, err := s.CreateDataset("x", "alice", DatasetVersion{Hash: give})
		wantErr(t, err, ErrNotFound)
	}
	_, err := s.AddDatasetVersion("nope", "alice", DatasetVersion{Hash: strings.Repeat("0", 64)})
	wantErr(t, err, ErrNotFound)
	mustCheck(t, s)
}

func TestDatasetUsers(t *testing.T) {
	s := openStore(t)
	direct := mustWorkflow(t, s, doc("direct", "Iris", "iris", "wine"))
	bound := doc("bound")
	bound.Parameters = []workflow.Parameter{{Name: "data", Type: "string", Default: json.RawMessage(`"IRIS"`)}}
	n := workflow.Node{ID: "load", Module: importModule}
	_ = n.SetParam(sourceParam, "$data")
	bound.Nodes = append(bound.Nodes, n, workflow.Node{ID: "other", Module: "select_columns"})
	viaParam := mustWorkflow(t, s, bound)

	uses, err := s.DatasetUsers("iris")

	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, uses, []DatasetUse{
		{WorkflowID: direct.ID, WorkflowName: "direct", Revision: 1, Nodes: []string{"ina", "inb"}},
		{WorkflowID: viaParam.ID, WorkflowName: "bound", Revision: 1, Nodes: []string{"load"}},
	})
	if _, err := s.SaveWorkflow(direct.ID, 1, doc("direct", "wine"), "alice"); err != nil {
		t.Fatal(err)
	}
	uses, _ = s.DatasetUsers("Iris")
	if len(uses) != 1 || uses[0].WorkflowID != viaParam.ID {
		t.Errorf("after the save dropped iris: %+v", uses)
	}
}

func TestDeleteDataset(t *testing.T) {
	s := openStore(t)
	d := mustDataset(t, s, "iris", "a,b\n1,2\n")
	w := mustWorkflow(t, s, doc("reads iris", "iris"))

	err := s.DeleteDataset(d.ID)

	wantErr(t, err, ErrInUse)
	if !strings.Contains(err.Error(), `"reads iris"`) {
		t.Errorf("message %q does not name the workflow", err)
	}
	if _, err := s.SaveWorkflow(w.ID, 1, doc("reads nothing"), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(d.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Dataset(d.ID)
	wantErr(t, err, ErrNotFound)
	_, err = s.DatasetByName("iris")
	wantErr(t, err, ErrNotFound)
	_, err = s.OpenBlob(d.Latest.Hash)
	wantErr(t, err, ErrNotFound)
	wantErr(t, s.DeleteDataset(d.ID), ErrNotFound)
	mustCheck(t, s)
}

func TestDeleteDatasetKeepsSharedBlobs(t *testing.T) {
	s := openStore(t)
	a := mustDataset(t, s, "a", "same bytes")
	mustDataset(t, s, "b", "same bytes")

	if err := s.DeleteDataset(a.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat(s.blobPath(a.Latest.Hash)); err != nil {
		t.Errorf("blob still used by b was removed: %v", err)
	}
	mustCheck(t, s)
}

func TestDeleteDatasetKeepsBlobsBeingUploaded(t *testing.T) {
	s := openStore(t)
	a := mustDataset(t, s, "a", "same bytes")
	hash, _, err := s.PutBlob(strings.NewReader("same bytes")) // an upload not yet recorded
	if err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteDataset(a.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := s.CreateDataset("b", "alice", DatasetVersion{Hash: hash}); err != nil {
		t.Fatalf("recording the upload after the delete: %v", err)
	}
	mustCheck(t, s)
}

func TestDiscardBlob(t *testing.T) {
	s := openStore(t)
	kept := mustDataset(t, s, "kept", "kept bytes")
	hash, _, _ := s.PutBlob(strings.NewReader("failed upload"))
	again, _, _ := s.PutBlob(strings.NewReader("kept bytes"))

	for _, h := range []string{hash, again} {
		if err := s.DiscardBlob(h); err != nil {
			t.Fatal(err)
		}
	}

	_, err := s.OpenBlob(hash)
	wantErr(t, err, ErrNotFound)
	if _, err := s.OpenBlob(kept.Latest.Hash); err != nil {
		t.Errorf("discarding a copy of a recorded blob removed it: %v", err)
	}
}
