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
// scores every loan with it in the sample scoring workflow (Load Trained
// Model fed by --input): the rows the training workflow scored come out the
// same, byte for byte.
func TestRunCommandLoadsAnExportedModel(t *testing.T) {
	dir := t.TempDir()
	model, heldOut, all := filepath.Join(dir, "model.json"), filepath.Join(dir, "held-out.csv"), filepath.Join(dir, "all.csv")
	code, _, stderr := runCLI(t, "", "run", "examples/loans/train.workflow.json", "--quiet",
		"--out", "train.trained_model="+model, "--out", "score.scored="+heldOut)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "", "run", "examples/loans/score.workflow.json", "--input", "model="+model, "--out", "score.scored="+all)
	if code != 0 {
		t.Fatalf("score: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "AUC") {
		t.Errorf("no evaluation printed: %q", stdout)
	}
	lines := func(path string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	scored := map[string]bool{}
	for _, l := range lines(all) {
		scored[l] = true
	}
	held := lines(heldOut)
	if len(held) != 301 || len(scored) < 990 {
		t.Fatalf("%d held-out lines, %d distinct scored lines", len(held), len(scored))
	}
	for _, l := range held {
		if !scored[l] {
			t.Fatalf("held-out row %q is scored differently by the loaded model", l)
		}
	}

	// A file that is not a model is the node's error, naming its parameter;
	// one that is missing is a usage error.
	notModel := filepath.Join(dir, "not-a-model.json")
	os.WriteFile(notModel, []byte(`{"format": "pmml"}`), 0o644)
	if code, _, stderr := runCLI(t, "", "run", "examples/loans/score.workflow.json", "--quiet", "--input", "model="+notModel); code == 0 || !strings.Contains(stderr, "parameter model") {
		t.Errorf("not a model: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "run", "examples/loans/score.workflow.json", "--quiet", "--input", "model="+filepath.Join(dir, "nope.json")); code != exitUsage || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing model file: exit %d, %q", code, stderr)
	}
}

// TestBatchScoreBenchmarkWorkflowRuns keeps the pipeline benchmark's
// workflow (scripts/bench-pipeline.sh) runnable, on the sample's loans.
func TestBatchScoreBenchmarkWorkflowRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "scored.csv")
	code, _, stderr := runCLI(t, "", "run", "scripts/batch-score.workflow.json", "--quiet",
		"--input", "Train=examples/loans/loans.csv", "--input", "Batch=examples/loans/loans.csv", "--out", "score.scored="+out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(string(b), "\n"); !strings.HasSuffix(header, "loan_to_income,Scored Labels,Scored Probabilities") {
		t.Errorf("header %q", header)
	}
}
