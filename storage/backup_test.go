package storage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/workflow"
)

func TestBackupFile(t *testing.T) {
	s := openStore(t)
	w := mustWorkflow(t, s, doc("backed up"))
	dir := t.TempDir()

	if err := s.BackupFile(filepath.Join(dir, dbName)); err != nil {
		t.Fatal(err)
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("backup left %v", entries)
	}
	restored := openDir(t, dir)
	if got, err := restored.Workflow(w.ID); err != nil || got.Doc.Name != "backed up" {
		t.Fatalf("restored workflow = %v, %v", got, err)
	}
	mustCheck(t, restored)
}

// populate puts one of everything in the store and returns the secrets it
// was handed.
func populate(t *testing.T, s *Store) (session, token string) {
	t.Helper()
	u := mustUser(t, s, "alice", RoleAdmin)
	session, _, err := s.CreateSession(u.ID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err = s.CreateToken(u.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	d := mustDataset(t, s, "iris", "a,b\n1,2\n")
	hash, _, _ := s.PutBlob(strings.NewReader("a,b\n1,2\n3,4\n"))
	if _, err := s.AddDatasetVersion(d.ID, "alice", DatasetVersion{Hash: hash, Rows: 2, Cols: 2}); err != nil {
		t.Fatal(err)
	}
	w := mustWorkflow(t, s, doc("w", "iris"))
	if _, err := s.SaveWorkflow(w.ID, 1, doc("w2", "iris"), "alice"); err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateRun(Run{WorkflowID: w.ID, Revision: 2, Run: workflow.Run{Status: workflow.StatusSucceeded,
		Nodes: map[string]*workflow.NodeRun{"ina": {Node: "ina", Status: workflow.StatusSucceeded, Rows: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutRunPreview(r.ID, workflow.PortRef{Node: "ina", Port: "data"}, []byte(`{"rows":[]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(AuditEntry{Actor: "alice", Action: "login"}); err != nil {
		t.Fatal(err)
	}
	return session, token
}

// snapshot reads everything the store holds through its public methods, so
// two stores can be compared.
func snapshot(t *testing.T, s *Store, session, token string) string {
	t.Helper()
	var b strings.Builder
	add := func(v any, err error) {
		if err != nil {
			t.Fatalf("reading the store: %v", err)
		}
		fmt.Fprintf(&b, "%s\n", mustJSON(v))
	}
	add(s.Users())
	add(s.Session(session))
	add(s.TokenBySecret(token))
	ws, err := s.Workflows("")
	add(ws, err)
	for _, w := range ws {
		add(s.Workflow(w.ID))
		add(s.WorkflowRevisions(w.ID))
		add(s.WorkflowRevision(w.ID, 1))
		runs, err := s.Runs(w.ID, 0)
		add(runs, err)
		for _, r := range runs {
			add(s.Run(r.ID))
			p, err := s.RunPreview(r.ID, workflow.PortRef{Node: "ina", Port: "data"})
			add(string(p), err)
		}
	}
	ds, err := s.Datasets()
	add(ds, err)
	for _, d := range ds {
		vs, err := s.DatasetVersions(d.ID)
		add(vs, err)
		for _, v := range vs {
			f, err := s.OpenBlob(v.Hash)
			if err != nil {
				t.Fatal(err)
			}
			content, _ := io.ReadAll(f)
			_ = f.Close()
			add(string(content), nil)
		}
	}
	add(s.DatasetUsers("iris"))
	add(s.Audit("", 0))
	return b.String()
}

func mustJSON(v any) string {
	var b bytes.Buffer
	enc := jsonEncoder(&b)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSpace(b.String())
}

func TestRestoreArchiveRoundTrip(t *testing.T) {
	s := openStore(t)
	session, token := populate(t, s)
	want := snapshot(t, s, session, token)
	archive := filepath.Join(t.TempDir(), "backup.tar")
	if err := s.BackupArchiveFile(archive); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := filepath.Join(t.TempDir(), "restored")

	if err := RestoreArchive(f, dir); err != nil {
		t.Fatal(err)
	}

	restored := openDir(t, dir)
	mustCheck(t, restored)
	if got := snapshot(t, restored, session, token); got != want {
		t.Errorf("restored store differs\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// archiveOf returns a backup archive of a populated store.
func archiveOf(t *testing.T) []byte {
	t.Helper()
	s := openStore(t)
	populate(t, s)
	var b bytes.Buffer
	if err := s.BackupArchive(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rewrite copies an archive through edit, which may change an entry's name
// or body, or drop it by returning a nil header.
func rewrite(t *testing.T, archive []byte, edit func(h *tar.Header, body []byte) (*tar.Header, []byte)) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		h, body = edit(h, body)
		if h == nil {
			continue
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(body)
	}
	_ = tw.Close()
	return out.Bytes()
}

func TestRestoreArchiveRefusesBadArchives(t *testing.T) {
	archive := archiveOf(t)
	isBlob := func(h *tar.Header) bool { return strings.HasPrefix(h.Name, blobsDir+"/") }
	tests := []struct {
		name string
		edit func(h *tar.Header, body []byte) (*tar.Header, []byte)
		want string
	}{
		{"blob content changed", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if isBlob(h) {
				body = append(body, '!')
			}
			return h, body
		}, "does not match its hash"},
		{"blob missing", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if isBlob(h) {
				return nil, nil
			}
			return h, body
		}, "no such file"},
		{"no store file", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if h.Name == dbName {
				return nil, nil
			}
			return h, body
		}, "has no trellis.db"},
		{"store file damaged", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if h.Name == dbName {
				clear(body[:8192])
			}
			return h, body
		}, "corrupted"},
		{"path outside the store", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if isBlob(h) {
				h.Name = "../../etc/" + filepath.Base(h.Name)
			}
			return h, body
		}, "not part of a Trellis store backup"},
		{"blob under the wrong directory", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if isBlob(h) {
				h.Name = blobsDir + "/zz/" + filepath.Base(h.Name)
			}
			return h, body
		}, "not part of a Trellis store backup"},
		{"symlink", func(h *tar.Header, body []byte) (*tar.Header, []byte) {
			if isBlob(h) {
				h.Typeflag, h.Linkname, body = tar.TypeSymlink, "/etc/passwd", nil
			}
			return h, body
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()

			err := RestoreArchive(bytes.NewReader(rewrite(t, archive, tt.edit)), dir)

			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RestoreArchive = %v, want an error containing %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a failed restore left %v", entries)
			}
		})
	}
}

func TestRestoreArchiveNeedsAnEmptyDir(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "keep.txt")
	_ = os.WriteFile(mine, []byte("mine"), 0o600)

	err := RestoreArchive(bytes.NewReader(archiveOf(t)), dir)

	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("RestoreArchive = %v", err)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Error("restore touched a file already there")
	}
}

// TestBackupUnderLoad takes backups while writers change the store, and
// checks that every backup restores to a store that passes Check.
func TestBackupUnderLoad(t *testing.T) {
	s := openStore(t)
	populate(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	writer := func(name string, op func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := op(i); err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	w := mustWorkflow(t, s, doc("busy"))
	writer("save workflow", func(i int) error {
		_, err := s.SaveWorkflow(w.ID, i+1, doc(fmt.Sprintf("busy %d", i), "iris"), "alice")
		return err
	})
	writer("datasets", func(i int) error {
		hash, _, err := s.PutBlob(strings.NewReader(fmt.Sprintf("n\n%d\n", i)))
		if err != nil {
			return err
		}
		d, err := s.CreateDataset(fmt.Sprintf("d%d", i), "alice", DatasetVersion{Hash: hash, Rows: 1, Cols: 1})
		if err != nil || i%2 == 0 {
			return err
		}
		return s.DeleteDataset(d.ID) // exercises blob removal during the archive copies
	})
	writer("runs", func(i int) error {
		r, err := s.CreateRun(Run{WorkflowID: w.ID, Revision: 1})
		if err != nil {
			return err
		}
		_, err = s.UpdateRun(r.ID, func(r *Run) error {
			r.Status = workflow.StatusSucceeded
			r.Nodes = map[string]*workflow.NodeRun{"n": {Node: "n", Status: workflow.StatusSucceeded, Logs: []workflow.LogLine{{Message: strings.Repeat("log ", 200)}}}}
			return nil
		})
		return err
	})

	// Back up until plenty of writes overlapped the backups, within bounds.
	for i := 0; i < 40 && (i < 4 || writes.Load() < 200); i++ {
		var archive bytes.Buffer
		if err := s.BackupArchive(&archive); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "restored")
		if err := RestoreArchive(&archive, dir); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		restored := openDir(t, dir)
		mustCheck(t, restored)
		_ = restored.Close()

		var plain bytes.Buffer
		if _, err := s.Backup(&plain); err != nil {
			t.Fatal(err)
		}
		plainDir := t.TempDir()
		_ = os.WriteFile(filepath.Join(plainDir, dbName), plain.Bytes(), 0o600)
		if err := verify(filepath.Join(plainDir, dbName), time.Second); err != nil {
			t.Fatalf("plain backup %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d writes during the backups", writes.Load())
	if writes.Load() < 50 {
		t.Errorf("only %d writes ran during the backups", writes.Load())
	}
	mustCheck(t, s)
}
