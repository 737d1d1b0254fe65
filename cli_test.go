package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/storage"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "a long enough password\n", "user", "add", "alice", "-role", "admin", "-data", dir); code != 0 {
		t.Fatalf("user add: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "short\n", "user", "add", "bob", "-data", dir); code == 0 || !strings.Contains(stderr, "at least 10") {
		t.Errorf("short password accepted: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "user", "role", "alice", "author", "-data", dir); code == 0 || !strings.Contains(stderr, "admin") {
		t.Errorf("demoting the last admin: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "another long password\n", "user", "passwd", "alice", "-data", dir); code != 0 {
		t.Fatalf("passwd: %d %s", code, stderr)
	}
	code, out, _ := runCLI(t, "", "user", "list", "-data", dir)
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "admin") {
		t.Errorf("user list: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "", "user", "fly", "-data", dir); code != exitUsage {
		t.Errorf("unknown subcommand exit %d, want %d", code, exitUsage)
	}
}

func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "a long enough password\n", "user", "add", "alice", "-role", "admin", "-data", dir); code != 0 {
		t.Fatal(stderr)
	}
	archive := filepath.Join(t.TempDir(), "backup.tar")
	if code, _, stderr := runCLI(t, "", "backup", "-data", dir, archive); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if code, _, stderr := runCLI(t, "", "restore", archive, target); code != 0 {
		t.Fatalf("restore: %s", stderr)
	}
	st, err := storage.Open(target, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UserByName("alice"); err != nil {
		t.Errorf("restored store lacks the user: %v", err)
	}
	if code, _, stderr := runCLI(t, "", "restore", archive, target); code == 0 {
		t.Error("restore into a non-empty directory succeeded")
	} else if stderr == "" {
		t.Error("restore refusal has no message")
	}
	if _, err := os.Stat(archive); err != nil {
		t.Fatal(err)
	}
}

func TestRunCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prepared.csv")
	code, stdout, stderr := runCLI(t, "", "run", "examples/loans/prepare.workflow.json", "--out", "onehot.results="+out, "--set", "min_income=30000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "succeeded") {
		t.Errorf("no progress shown: %q", stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(b), "\n")
	if !strings.Contains(header, "purpose-car") || !strings.Contains(header, "loan_to_income") {
		t.Errorf("output header %q", header)
	}
	_ = stdout

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad parameter value", []string{"--set", "min_income=lots"}, exitUsage, "min_income"},
		{"unknown parameter", []string{"--set", "nope=1"}, exitUsage, "nope"},
		{"unknown input node", []string{"--input", "Nowhere=x.csv"}, exitUsage, "Nowhere"},
		{"missing input file", []string{"--input", "Loans=/no/such/file.csv"}, exitUsage, "no such file"},
		{"bad output ref", []string{"--out", "onehot=x.csv"}, exitUsage, "node.port"},
		{"node error", []string{"--input", "Loans=testdata/no_income.csv"}, 1, "annual_income"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"run", "examples/loans/prepare.workflow.json", "--quiet"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// TestRunCommandLoadsAnExportedModel exports the sample's trained model and
// its prepared data, then scores that data in a second workflow through Load
// Trained Model fed by --input.
func TestRunCommandLoadsAnExportedModel(t *testing.T) {
	dir := t.TempDir()
	model, prepared := filepath.Join(dir, "model.json"), filepath.Join(dir, "prepared.csv")
	code, _, stderr := runCLI(t, "", "run", "examples/loans/train.workflow.json", "--quiet",
		"--out", "train.trained_model="+model, "--out", "normalize.results="+prepared)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	flow := filepath.Join(dir, "score.workflow.json")
	doc := `{"format": 1, "name": "Score with a loaded model",
  "nodes": [
    {"id": "data", "module": "import_data", "version": 1, "params": {"source": "prepared.csv"}},
    {"id": "model", "module": "load_trained_model", "version": 1},
    {"id": "score", "module": "score_model", "version": 1}
  ],
  "edges": [
    {"from": {"node": "model", "port": "trained_model"}, "to": {"node": "score", "port": "trained_model"}},
    {"from": {"node": "data", "port": "dataset"}, "to": {"node": "score", "port": "dataset"}}
  ]}`
	if err := os.WriteFile(flow, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	scored := filepath.Join(dir, "scored.csv")
	code, _, stderr = runCLI(t, "", "run", flow, "--quiet", "--input", "model="+model, "--out", "score.scored="+scored)
	if code != 0 {
		t.Fatalf("score: exit %d: %s", code, stderr)
	}
	in, _ := os.ReadFile(prepared)
	out, err := os.ReadFile(scored)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(out), "\n")
	if !strings.HasSuffix(header, "Scored Labels,Scored Probabilities") || strings.Count(string(out), "\n") != strings.Count(string(in), "\n") {
		t.Errorf("scored %d lines with header %q, from %d", strings.Count(string(out), "\n"), header, strings.Count(string(in), "\n"))
	}

	// A file that is not a model is the node's error, naming its parameter;
	// one that is missing is a usage error.
	notModel := filepath.Join(dir, "not-a-model.json")
	os.WriteFile(notModel, []byte(`{"format": "pmml"}`), 0o644)
	if code, _, stderr := runCLI(t, "", "run", flow, "--quiet", "--input", "model="+notModel); code == 0 || !strings.Contains(stderr, "parameter model") {
		t.Errorf("not a model: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "run", flow, "--quiet", "--input", "model="+filepath.Join(dir, "nope.json")); code != exitUsage || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing model file: exit %d, %q", code, stderr)
	}
}
