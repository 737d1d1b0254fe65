package e2e

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/examples"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// TestDesignerTrainsAndEvaluates runs the shipped training sample in the
// designer: the nodes report what they made (rows for tables, none for a
// model or a report), and Evaluate Model's output shows the metrics, with
// the AUC `trellis run` prints for the same workflow, and its charts.
func TestDesignerTrainsAndEvaluates(t *testing.T) {
	a := startServer(t)
	hash, _, err := a.Store.PutBlob(bytes.NewReader(examples.LoansCSV))
	if err != nil {
		t.Fatal(err)
	}
	loans, err := table.ReadCSV(bytes.NewReader(examples.LoansCSV), table.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.CreateDataset("loans.csv", authorName, storage.DatasetVersion{
		Hash: hash, Format: "csv", Rows: loans.NumRows(), Cols: loans.NumCols(), Schema: loans.Schema()}); err != nil {
		t.Fatal(err)
	}
	doc, err := workflow.Parse(bytes.NewReader(examples.TrainWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	w, err := a.Store.CreateWorkflow(doc, authorName)
	if err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	watchErrors(t, ctx)
	p := newPage(t, ctx, a)
	p.login(authorName)
	p.openDesigner(w.ID)
	p.waitText(`[data-testid=problem-status]`, "No problems")
	p.click(`[data-testid=run]`)
	p.waitText(`[data-testid=run-status]`, "Run finished")

	for id, want := range map[string]string{
		"import":   `^Done · 1,000 rows · \d+ ms`,
		"split":    `^Done · 700 rows · \d+ ms`,
		"learner":  `^Done · \d+ ms`,
		"train":    `^Done · \d+ ms`,
		"score":    `^Done · 300 rows · \d+ ms`,
		"evaluate": `^Done · \d+ ms`,
	} {
		p.waitText(statusSel(id), "Done")
		if got := p.text(statusSel(id)); !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("node %s shows %q, want %s", id, got, want)
		}
	}

	p.click(nodeSel("evaluate"))
	p.click(`[data-testid=visualize-report]`)
	p.waitJS("the evaluation report", `!!document.querySelector("[data-testid=report] [data-metric=AUC]")`)
	if os.Getenv("TRELLIS_SCREENSHOTS") != "" {
		eval[bool](p, `(document.querySelector("[data-testid=report] img.dz-report-chart").scrollIntoView(), true)`)
		shot(p, "evaluation.png")
	}
	if auc := p.text(`[data-testid=report] [data-metric=AUC] td`); !strings.HasPrefix(auc, "0.7137") {
		t.Errorf("AUC shown %q, want 0.7137… as trellis run prints", auc)
	}
	charts := eval[[]string](p, `[...document.querySelectorAll("[data-testid=report] img.dz-report-chart")].map((i) => i.alt)`)
	if len(charts) < 2 {
		t.Errorf("report charts %q, want the ROC and precision-recall curves at least", charts)
	}
	// Each chart is a well-formed SVG the browser could decode.
	defer func() {
		// The trained model opens on what it learnt: its weights, largest
		// effect first, and the features it reads.
		p.click(`[data-action=close-drawer]`)
		p.click(nodeSel("train"))
		p.click(`[data-testid=visualize-trained_model]`)
		p.waitJS("the model summary", `!!document.querySelector("[data-testid=model-summary]")`)
		titles := eval[[]string](p, `[...document.querySelectorAll("[data-testid=model-summary] h3")].map((e) => e.textContent)`)
		if !slices.Contains(titles, "Weights (largest effect first)") || !slices.Contains(titles, "Features") {
			t.Errorf("model summary sections %q", titles)
		}
		shot(p, "model.png")
	}()
	if broken := eval[int](p, `[...document.querySelectorAll("[data-testid=report] img.dz-report-chart")].filter((i) => !(i.complete && i.naturalWidth > 0)).length`); broken != 0 {
		t.Errorf("%d report charts did not render", broken)
	}
}
