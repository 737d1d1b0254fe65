package e2e

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trellis-studio/trellis/modules"
)

// The designer features below (cancel, restore a revision, save as a copy,
// bind a parameter, box selection) are driven through the page and then
// checked twice: on the page, and in the store through the JSON API.

// gate is a module for the cancel test: it passes its input through only
// once released, so a run that reaches it goes on until it is canceled —
// no timing decides whether the Cancel button finds the run still going.
type gate struct {
	release chan struct{} // closed by the test (or its cleanup)
	stopped chan struct{} // closed when a run's context ended the wait
}

func newGate() *gate {
	return &gate{release: make(chan struct{}), stopped: make(chan struct{}, 1)}
}

func (*gate) Spec() modules.Spec {
	return modules.Spec{
		ID: "test_gate", Version: 1, Name: "Test Gate", Category: modules.CategoryManipulation,
		Summary: "Holds its input until the test releases it.", Help: "For browser tests of live runs.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results", Kind: modules.KindTable}},
	}
}

func (*gate) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{ic.Input("dataset")}, nil
}

func (g *gate) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	rc.Progress(0.5)
	select {
	case <-g.release:
	case <-rc.Ctx.Done():
		select {
		case g.stopped <- struct{}{}:
		default:
		}
		return rc.Ctx.Err()
	}
	rc.SetOutput("results", t)
	return nil
}

// docNode, docEdge and wfDoc decode a workflow document from the API.
type docNode struct {
	ID       string             `json:"id"`
	Module   string             `json:"module"`
	Version  int                `json:"version"`
	Title    string             `json:"title,omitempty"`
	Comment  string             `json:"comment,omitempty"`
	Position struct{ X, Y int } `json:"position"`
	Params   map[string]any     `json:"params,omitempty"`
}

type docEdge struct {
	From struct {
		Node string `json:"node"`
		Port string `json:"port"`
	} `json:"from"`
	To struct {
		Node string `json:"node"`
		Port string `json:"port"`
	} `json:"to"`
}

type wfParam struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default any    `json:"default"`
}

type wfDoc struct {
	Name       string    `json:"name"`
	Parameters []wfParam `json:"parameters"`
	Nodes      []docNode `json:"nodes"`
	Edges      []docEdge `json:"edges"`
}

type workflowInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Revision int    `json:"revision"`
	Document wfDoc  `json:"document"`
}

type runInfo struct {
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	Nodes    []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
		Rows   int    `json:"rows"`
	} `json:"nodes"`
}

// graph is a document's nodes by id and its edges as sorted strings: what
// two documents must share to be the same workflow graph.
type graph struct {
	Nodes map[string]docNode
	Edges []string
}

func graphOf(d wfDoc) graph {
	g := graph{Nodes: map[string]docNode{}}
	for _, n := range d.Nodes {
		if len(n.Params) == 0 {
			n.Params = nil
		}
		g.Nodes[n.ID] = n
	}
	for _, e := range d.Edges {
		g.Edges = append(g.Edges, fmt.Sprintf("%s.%s->%s.%s", e.From.Node, e.From.Port, e.To.Node, e.To.Port))
	}
	sort.Strings(g.Edges)
	return g
}

func nodeByID(d wfDoc, id string) (docNode, bool) {
	for _, n := range d.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return docNode{}, false
}

// createWorkflow stores a document through the API (the page must be one
// of the app's, for the session and CSRF token).
func createWorkflow(p *page, doc map[string]any) workflowInfo {
	p.t.Helper()
	w := apiCall[workflowInfo](p, "POST", "/api/v1/workflows", doc)
	if w.ID == "" || w.Revision != 1 {
		p.t.Fatalf("created workflow = %+v", w)
	}
	return w
}

func getWorkflow(p *page, id string) workflowInfo {
	p.t.Helper()
	return apiCall[workflowInfo](p, "GET", "/api/v1/workflows/"+id, nil)
}

// waitStored waits until the stored workflow satisfies a JavaScript
// condition on w (the API's workflow, with its document), then returns it.
func waitStored(p *page, id, what, cond string) workflowInfo {
	p.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const r = await fetch(%q, {headers: {Accept: "application/json"}});
		const w = await r.json();
		return !!(%s);
	})()`, "/api/v1/workflows/"+id, cond)
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return getWorkflow(p, id)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("waiting for the stored workflow: %s: timed out (last error: %v)\nstored: %+v\n%s", what, last, getWorkflow(p, id), p.diagnose())
	return workflowInfo{}
}

// openDesigner opens a workflow in the designer and waits until it is drawn.
func (p *page) openDesigner(id string) {
	p.t.Helper()
	p.navigate("/workflows/" + id)
	p.designerReady()
}

// choose picks an option of a <select>, as choosing it in the list does
// (the value changes, then input and change events).
func (p *page) choose(sel, value string) {
	p.t.Helper()
	p.waitJS(sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	ok := eval[bool](p, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (![...el.options].some((o) => o.value === %q)) return false;
		el.focus();
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, value, value))
	if !ok {
		p.t.Fatalf("%s has no option %q\n%s", sel, value, p.diagnose())
	}
}

// clickXPath clicks the visible element an XPath expression finds.
func (p *page) clickXPath(xpath string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.Search(xpath), chromedp.NodeVisible))
}

// nodeViewsJS lists the ids of the node views in the canvas, sorted.
const nodeViewsJS = `[...document.querySelectorAll(".x6-node[data-cell-id]")].map((e) => e.getAttribute("data-cell-id")).sort()`

func nodeSel(id string) string { return fmt.Sprintf(`[data-cell-id="%s"] .tn-body`, id) }

func statusSel(id string) string { return fmt.Sprintf(`[data-cell-id="%s"] .tn-status`, id) }

// TestDesignerCancel starts a run whose middle node waits until canceled,
// presses Cancel while it runs, and checks that the run ends canceled on
// the canvas, in the status bar and in the stored run.
func TestDesignerCancel(t *testing.T) {
	g := newGate()
	a := startServerWith(t, g)
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	})
	ctx := browser(t)
	watchErrors(t, ctx)
	p := newPage(t, ctx, a)
	p.login(authorName)

	w := createWorkflow(p, map[string]any{
		"format": 1, "name": "Held run",
		"nodes": []map[string]any{
			{"id": "enter", "module": "enter_data_manually", "version": 1, "position": map[string]int{"x": 0, "y": 0},
				"params": map[string]any{"data": "a,b\n1,x\n2,y\n3,z\n"}},
			{"id": "wait", "module": "test_gate", "version": 1, "position": map[string]int{"x": 0, "y": 140}},
			{"id": "summary", "module": "summarize_data", "version": 1, "position": map[string]int{"x": 0, "y": 280}},
		},
		"edges": []map[string]any{
			{"from": map[string]string{"node": "enter", "port": "dataset"}, "to": map[string]string{"node": "wait", "port": "dataset"}},
			{"from": map[string]string{"node": "wait", "port": "results"}, "to": map[string]string{"node": "summary", "port": "dataset"}},
		},
	})
	p.openDesigner(w.ID)
	p.waitText(`[data-testid=problem-status]`, "No problems")
	if !eval[bool](p, `document.querySelector("[data-testid=cancel]").disabled`) {
		t.Errorf("Cancel is enabled with no run going")
	}

	// Run: the first node finishes, the gate holds the run.
	p.click(`[data-testid=run]`)
	p.waitJS("the gate node running", fmt.Sprintf(`document.querySelector('%s').getAttribute("data-status") === "running"`, nodeSel("wait")))
	p.waitText(statusSel("enter"), "Done · 3 rows")
	p.waitText(`[data-testid=run-status]`, "Running…")
	p.waitJS("Cancel enabled while the run goes on", `!document.querySelector("[data-testid=cancel]").disabled`)
	if !eval[bool](p, `document.querySelector("[data-testid=run]").disabled`) {
		t.Errorf("Run is enabled while a run goes on")
	}
	runs := apiCall[[]runInfo](p, "GET", "/api/v1/workflows/"+w.ID+"/runs", nil)
	if len(runs) != 1 || runs[0].Status != "running" {
		t.Fatalf("runs while the gate holds = %+v, want one running", runs)
	}
	runID := runs[0].ID

	// Cancel it.
	p.click(`[data-testid=cancel]`)
	p.waitText(`[data-testid=run-status]`, "Run canceled")
	p.waitText(statusSel("wait"), "Canceled")
	p.waitText(statusSel("summary"), "Canceled")
	if st := p.text(statusSel("enter")); !strings.HasPrefix(st, "Done · 3 rows") {
		t.Errorf("the node that finished before the cancel shows %q", st)
	}
	for id, want := range map[string]string{"enter": "succeeded", "wait": "canceled", "summary": "canceled"} {
		if got := eval[string](p, fmt.Sprintf(`document.querySelector('%s').getAttribute("data-status")`, nodeSel(id))); got != want {
			t.Errorf("node %s is drawn %q, want %q", id, got, want)
		}
	}
	p.waitJS("Cancel disabled and Run enabled after the run", `document.querySelector("[data-testid=cancel]").disabled && !document.querySelector("[data-testid=run]").disabled`)

	// The gate saw its context end: the run was stopped, not released.
	select {
	case <-g.stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the gate module was never canceled")
	}

	// The stored run says the same.
	run := apiCall[runInfo](p, "GET", "/api/v1/runs/"+runID, nil)
	if run.Status != "canceled" {
		t.Errorf("stored run status = %q, want canceled (%+v)", run.Status, run)
	}
	got := map[string]string{}
	for _, n := range run.Nodes {
		got[n.Node] = n.Status
	}
	if want := map[string]string{"enter": "succeeded", "wait": "canceled", "summary": "canceled"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stored node statuses = %v, want %v", got, want)
	}
	if runs := apiCall[[]runInfo](p, "GET", "/api/v1/workflows/"+w.ID+"/runs", nil); len(runs) != 1 || runs[0].Status != "canceled" {
		t.Errorf("run list after the cancel = %+v, want one canceled run", runs)
	}

	// Opened again, the designer shows the canceled run.
	p.openDesigner(w.ID)
	p.waitText(`[data-testid=run-status]`, "Run canceled")
	p.waitText(statusSel("wait"), "Canceled")
}

// twoNodeDoc is Enter Data → Filter Rows.
func twoNodeDoc(name string) map[string]any {
	return map[string]any{
		"format": 1, "name": name,
		"nodes": []map[string]any{
			{"id": "source", "module": "enter_data_manually", "version": 1, "title": "Numbers", "position": map[string]int{"x": 0, "y": 0},
				"params": map[string]any{"data": "a,b\n1,x\n2,y\n3,z\n4,w\n"}},
			{"id": "filter", "module": "filter_rows", "version": 1, "title": "Big ones", "position": map[string]int{"x": 40, "y": 160},
				"params": map[string]any{"expression": "a > 1"}},
		},
		"edges": []map[string]any{
			{"from": map[string]string{"node": "source", "port": "dataset"}, "to": map[string]string{"node": "filter", "port": "dataset"}},
		},
	}
}

// TestDesignerRestore edits a workflow twice in the designer, restores the
// first revision from the revision history, and checks the canvas and the
// stored workflow are the first revision's again, saved as a new revision.
func TestDesignerRestore(t *testing.T) {
	a := startServer(t)
	ctx := browser(t)
	watchErrors(t, ctx)
	p := newPage(t, ctx, a)
	p.login(authorName)

	w := createWorkflow(p, twoNodeDoc("Restore me"))
	rev1 := apiCall[struct {
		Number   int   `json:"number"`
		Document wfDoc `json:"document"`
	}](p, "GET", "/api/v1/workflows/"+w.ID+"/revisions/1", nil)
	want := graphOf(rev1.Document)
	if len(want.Nodes) != 2 || len(want.Edges) != 1 {
		t.Fatalf("revision 1 = %+v", rev1)
	}

	p.openDesigner(w.ID)
	p.waitText(`[data-testid=counts]`, "2 nodes · 1 connection")

	// Revision 2: Filter Rows deleted.
	p.click(nodeSel("filter"))
	p.key(kb.Delete)
	p.waitText(`[data-testid=counts]`, "1 node · 0 connections")
	waitStored(p, w.ID, "revision 2 without Filter Rows", `w.revision === 2 && w.document.nodes.length === 1`)

	// Revision 3: the source renamed.
	p.click(nodeSel("source"))
	p.fill(`[data-testid=node-title]`, "Renamed")
	p.waitText(`[data-cell-id="source"] .tn-title`, "Renamed")
	waitStored(p, w.ID, "revision 3 with the new title", `w.revision === 3 && w.document.nodes[0].title === "Renamed"`)
	p.waitText(`[data-testid=save-status]`, "Saved · revision 3")

	// Restore revision 1 from the history.
	p.click(`[data-testid=history]`)
	p.waitJS("the revision list", `document.querySelectorAll("[data-testid=revisions] li[data-revision]").length === 3`)
	if cur := p.text(`[data-testid=revisions] li[data-revision="3"]`); !strings.Contains(cur, "current") {
		t.Errorf("revision 3 in the list = %q, want it marked current", cur)
	}
	if eval[bool](p, `!!document.querySelector("[data-testid=restore-3]")`) {
		t.Errorf("the current revision offers a restore")
	}
	p.click(`[data-testid=restore-1]`)
	status := p.waitText(`[data-testid=save-status]`, "Restored revision 1 as revision")
	p.waitJS("the history to close", `document.querySelector("[data-testid=revisions]").hidden`)

	// The canvas shows revision 1.
	p.waitText(`[data-testid=counts]`, "2 nodes · 1 connection")
	p.waitJS("Filter Rows back on the canvas", fmt.Sprintf(`!!document.querySelector('%s')`, nodeSel("filter")))
	// Each node is drawn once: the views of the nodes the restore replaced
	// are gone, not left behind the new ones.
	if drawn := eval[[]string](p, nodeViewsJS); !slices.Equal(drawn, []string{"filter", "source"}) {
		t.Errorf("node views after the restore: %q, want filter and source once each", drawn)
	}
	if got := p.text(`[data-cell-id="source"] .tn-title`); got != "Numbers" {
		t.Errorf("the source's title after the restore = %q, want Numbers", got)
	}
	if got := p.text(`[data-cell-id="filter"] .tn-title`); got != "Big ones" {
		t.Errorf("Filter Rows' title after the restore = %q, want Big ones", got)
	}
	p.click(nodeSel("filter"))
	p.waitJS("Filter Rows' condition in the pane", `!!document.querySelector("[data-testid=param-expression]")`)
	if expr := eval[string](p, `document.querySelector("[data-testid=param-expression]").value`); expr != "a > 1" {
		t.Errorf("Filter Rows' condition after the restore = %q, want a > 1", expr)
	}

	// The stored workflow is revision 1's document, saved as revision 4.
	stored := getWorkflow(p, w.ID)
	if stored.Revision != 4 || status != "Restored revision 1 as revision 4" {
		t.Errorf("after the restore: stored revision %d, status %q; want revision 4", stored.Revision, status)
	}
	if got := graphOf(stored.Document); !reflect.DeepEqual(got, want) {
		t.Errorf("stored graph after the restore =\n%+v\nwant revision 1's\n%+v", got, want)
	}
	revs := apiCall[[]struct {
		Number int `json:"number"`
	}](p, "GET", "/api/v1/workflows/"+w.ID+"/revisions", nil)
	if len(revs) != 4 {
		t.Errorf("revisions after the restore = %+v, want 4 (the restore adds one, it removes none)", revs)
	}

	// A reload shows the restored workflow too.
	p.openDesigner(w.ID)
	p.waitText(`[data-testid=counts]`, "2 nodes · 1 connection")
	p.waitText(`[data-testid=save-status]`, "Saved · revision 4")
	if got := p.text(`[data-cell-id="source"] .tn-title`); got != "Numbers" {
		t.Errorf("after a reload the source's title = %q", got)
	}

	// Undo right after a restore takes the whole restore back, the node
	// it kept and changed included: restoring revision 3 (Filter Rows gone,
	// the source renamed) and undoing gives revision 1's graph again.
	p.click(`[data-testid=history]`)
	p.waitJS("the revision list", `document.querySelectorAll("[data-testid=revisions] li[data-revision]").length === 4`)
	p.click(`[data-testid=restore-3]`)
	p.waitText(`[data-testid=save-status]`, "Restored revision 3 as revision 5")
	p.waitText(`[data-testid=counts]`, "1 node · 0 connections")
	p.waitText(`[data-cell-id="source"] .tn-title`, "Renamed")
	p.click(`[data-testid=undo]`)
	p.waitText(`[data-testid=counts]`, "2 nodes · 1 connection")
	p.waitText(`[data-cell-id="source"] .tn-title`, "Numbers")
	if drawn := eval[[]string](p, nodeViewsJS); !slices.Equal(drawn, []string{"filter", "source"}) {
		t.Errorf("node views after undoing the restore: %q, want filter and source once each", drawn)
	}
	waitStored(p, w.ID, "revision 6 after the undo", `w.revision === 6`)
	if got := graphOf(getWorkflow(p, w.ID).Document); !reflect.DeepEqual(got, want) {
		t.Errorf("stored graph after undoing the restore =\n%+v\nwant revision 1's\n%+v", got, want)
	}
}

// TestDesignerSaveAsCopy has a second tab's save refused as a conflict,
// saves that tab's version as a copy, and checks the copy is a new
// workflow with the tab's graph, open in the designer, while the original
// keeps the first tab's edit.
func TestDesignerSaveAsCopy(t *testing.T) {
	a := startServer(t)
	ctx := browser(t)
	// The refused save is answered 409, which the browser logs.
	watchErrors(t, ctx, "status of 409")
	p := newPage(t, ctx, a)
	p.login(authorName)
	w := createWorkflow(p, twoNodeDoc("Forked"))

	p.openDesigner(w.ID)
	q := newPage(t, newTab(t, ctx), a)
	q.openDesigner(w.ID)

	// The first tab saves revision 2.
	p.click(nodeSel("source"))
	p.fill(`[data-testid=node-title]`, "First tab")
	waitStored(p, w.ID, "the first tab's edit", `w.revision === 2 && w.document.nodes.some((n) => n.title === "First tab")`)

	// The second tab, still on revision 1, edits something else: refused.
	q.click(nodeSel("filter"))
	q.fill(`[data-testid=node-title]`, "Second tab")
	q.waitText(`[data-testid=conflict-message]`, "save a copy")
	q.waitText(`[data-testid=save-status]`, "Not saved")
	version := eval[string](q, `JSON.stringify((() => {
		const cells = [...document.querySelectorAll("[data-cell-id] .tn-title")];
		return cells.map((c) => c.closest("[data-cell-id]").getAttribute("data-cell-id") + "=" + c.textContent).sort();
	})())`)

	// Save it as a copy: the designer opens the new workflow.
	q.click(`[data-testid=conflict-fork]`)
	q.waitJS("the copy's page", fmt.Sprintf(`location.pathname.startsWith("/workflows/") && location.pathname !== %q`, "/workflows/"+w.ID))
	q.designerReady()
	copyID := eval[string](q, `document.getElementById("designer").dataset.workflow`)
	if copyID == "" || copyID == w.ID || eval[string](q, `location.pathname`) != "/workflows/"+copyID {
		t.Fatalf("after the fork the designer shows workflow %q at %s", copyID, eval[string](q, `location.pathname`))
	}
	if name := q.waitText(`[data-testid=workflow-name]`, "Forked (copy)"); name != "Forked (copy)" {
		t.Errorf("the copy is named %q", name)
	}
	q.waitText(`[data-testid=counts]`, "2 nodes · 1 connection")
	q.waitText(`[data-cell-id="filter"] .tn-title`, "Second tab")
	if got := q.text(`[data-cell-id="source"] .tn-title`); got != "Numbers" {
		t.Errorf("the copy's source is titled %q, want the second tab's Numbers", got)
	}
	if eval[bool](q, `!!document.querySelector("[data-testid=conflict-dialog]")`) {
		t.Errorf("the conflict dialog is still open on the copy")
	}
	q.waitText(`[data-testid=save-status]`, "Saved · revision 1")
	if after := eval[string](q, `JSON.stringify((() => {
		const cells = [...document.querySelectorAll("[data-cell-id] .tn-title")];
		return cells.map((c) => c.closest("[data-cell-id]").getAttribute("data-cell-id") + "=" + c.textContent).sort();
	})())`); after != version {
		t.Errorf("the copy shows %s, the tab had %s", after, version)
	}

	// Stored: a new workflow with the original's graph and the second
	// tab's edit; the original keeps the first tab's.
	list := apiCall[[]workflowInfo](p, "GET", "/api/v1/workflows", nil)
	if len(list) != 2 {
		t.Fatalf("workflows after the fork = %+v, want 2", list)
	}
	orig := getWorkflow(p, w.ID)
	cp := getWorkflow(p, copyID)
	if cp.Name != "Forked (copy)" || cp.Revision != 1 || cp.Document.Name != "Forked (copy)" {
		t.Errorf("the copy = %s revision %d (document %q)", cp.Name, cp.Revision, cp.Document.Name)
	}
	want := graphOf(w.Document)
	n := want.Nodes["filter"]
	n.Title = "Second tab"
	want.Nodes["filter"] = n
	if got := graphOf(cp.Document); !reflect.DeepEqual(got, want) {
		t.Errorf("the copy's graph =\n%+v\nwant the original's with the second tab's edit\n%+v", got, want)
	}
	if orig.Revision != 2 || orig.Name != "Forked" {
		t.Errorf("the original = %s revision %d, want Forked at revision 2", orig.Name, orig.Revision)
	}
	if src, _ := nodeByID(orig.Document, "source"); src.Title != "First tab" {
		t.Errorf("the original's source title = %q, want the first tab's edit", src.Title)
	}
	if f, _ := nodeByID(orig.Document, "filter"); f.Title != "Big ones" {
		t.Errorf("the original's filter title = %q: the second tab's refused edit reached it", f.Title)
	}

	// The copy is edited and saved on its own.
	q.click(nodeSel("source"))
	q.fill(`[data-testid=node-title]`, "Copy source")
	waitStored(q, copyID, "an edit of the copy", `w.revision === 2 && w.document.nodes.some((n) => n.title === "Copy source")`)
	if orig := getWorkflow(p, w.ID); orig.Revision != 2 {
		t.Errorf("editing the copy changed the original (revision %d)", orig.Revision)
	}
}

// TestDesignerParamBinding adds a workflow parameter in the workflow's
// pane, binds a node parameter to it with the $ control, and checks the
// stored document has the parameter and the binding, and a run uses it.
func TestDesignerParamBinding(t *testing.T) {
	a := startServer(t)
	ctx := browser(t)
	watchErrors(t, ctx)
	p := newPage(t, ctx, a)
	p.login(authorName)

	w := createWorkflow(p, map[string]any{
		"format": 1, "name": "Bound split",
		"nodes": []map[string]any{
			{"id": "source", "module": "enter_data_manually", "version": 1, "position": map[string]int{"x": 0, "y": 0},
				"params": map[string]any{"data": "a\n1\n2\n3\n4\n5\n6\n7\n8\n"}},
			{"id": "split", "module": "split_data", "version": 1, "position": map[string]int{"x": 0, "y": 160},
				"params": map[string]any{"randomize": false}},
		},
		"edges": []map[string]any{
			{"from": map[string]string{"node": "source", "port": "dataset"}, "to": map[string]string{"node": "split", "port": "dataset"}},
		},
	})
	p.openDesigner(w.ID)

	// With nothing selected the pane shows the workflow: add a float
	// parameter "share" with default 0.25.
	p.waitText(`[data-testid=properties]`, "No parameters.")
	p.clickXPath(`//aside[@data-testid="properties"]//button[contains(., "Add parameter")]`)
	p.waitJS("the new parameter's row", `!!document.getElementById("wp-name-0")`)
	p.fill(`#wp-name-0`, "share")
	p.key(kb.Tab)
	p.waitJS("the parameter renamed", `document.getElementById("wp-name-0").value === "share"`)
	p.choose(`.dz-wparams select[aria-label=type]`, "float")
	p.waitJS("the parameter typed float", `document.querySelector(".dz-wparams select[aria-label=type]").value === "float"`)
	p.fill(`#wp-default-0`, "0.25")
	p.key(kb.Tab)
	waitStored(p, w.ID, "the workflow parameter", `JSON.stringify(w.document.parameters) === JSON.stringify([{name: "share", type: "float", default: 0.25}])`)

	// Bind Split Data's fraction to it.
	p.click(nodeSel("split"))
	p.waitJS("Split Data's pane", `!!document.querySelector("[data-param=fraction] select.dz-bind")`)
	label := eval[string](p, `document.querySelector("[data-param=fraction] select.dz-bind").getAttribute("aria-label")`)
	if !strings.Contains(label, "Fraction of rows") {
		t.Errorf("the bind control is labelled %q", label)
	}
	// Only the parameters of a matching type are offered.
	if opts := eval[[]string](p, `[...document.querySelector("[data-param=fraction] select.dz-bind").options].map((o) => o.value)`); !slices.Equal(opts, []string{"", "share"}) {
		t.Errorf("the bind control offers %q", opts)
	}
	if eval[bool](p, `!!document.querySelector("[data-param=seed] select.dz-bind")`) {
		t.Errorf("an int parameter offers to bind to a float workflow parameter")
	}
	p.choose(`[data-param=fraction] select.dz-bind`, "share")
	bound := p.waitText(`[data-testid=param-fraction]`, "Bound to workflow parameter")
	if !strings.Contains(bound, "$share") {
		t.Errorf("the bound field says %q", bound)
	}
	if eval[bool](p, `!!document.querySelector("[data-param=fraction] select.dz-bind")`) {
		t.Errorf("a bound parameter still offers to bind")
	}
	stored := waitStored(p, w.ID, "the binding", `w.document.nodes.some((n) => n.id === "split" && n.params && n.params.fraction === "$share")`)
	p.waitText(`[data-testid=save-status]`, "Saved · revision")
	p.waitText(`[data-testid=problem-status]`, "No problems")
	split, _ := nodeByID(stored.Document, "split")
	if want := map[string]any{"fraction": "$share", "randomize": false}; !reflect.DeepEqual(split.Params, want) {
		t.Errorf("stored Split Data params = %v, want %v", split.Params, want)
	}
	if want := []wfParam{{Name: "share", Type: "float", Default: 0.25}}; !reflect.DeepEqual(stored.Document.Parameters, want) {
		t.Errorf("stored parameters = %+v, want %+v", stored.Document.Parameters, want)
	}

	// A run takes the fraction from the parameter's default: a quarter of
	// 8 rows (the module's own default would give 4).
	p.click(`[data-testid=run]`)
	p.waitText(`[data-testid=run-status]`, "Run finished")
	p.waitText(statusSel("split"), "Done · 2 rows")

	// Reopened, the field is still bound; Unbind takes the binding away.
	p.openDesigner(w.ID)
	p.click(nodeSel("split"))
	p.waitText(`[data-testid=param-fraction]`, "Bound to workflow parameter $share")
	p.clickXPath(`//*[@data-testid="param-fraction"]//button[contains(., "Unbind")]`)
	p.waitJS("the fraction field back", `document.querySelector("[data-testid=param-fraction]").tagName === "INPUT"`)
	waitStored(p, w.ID, "the binding removed", `w.document.nodes.some((n) => n.id === "split" && n.params && !("fraction" in n.params))`)
}

// TestDesignerRubberband selects three of four nodes by dragging a box
// over the background, moves them together by dragging one, then deletes
// them from the pane, checking the canvas and the stored workflow.
func TestDesignerRubberband(t *testing.T) {
	a := startServer(t)
	ctx := browser(t)
	watchErrors(t, ctx)
	p := newPage(t, ctx, a)
	p.login(authorName)

	// "far" sits top left, away from the three to select.
	w := createWorkflow(p, map[string]any{
		"format": 1, "name": "Boxed",
		"nodes": []map[string]any{
			{"id": "far", "module": "enter_data_manually", "version": 1, "position": map[string]int{"x": 0, "y": 0},
				"params": map[string]any{"data": "a\n1\n"}},
			{"id": "one", "module": "enter_data_manually", "version": 1, "position": map[string]int{"x": 400, "y": 300},
				"params": map[string]any{"data": "a\n1\n2\n"}},
			{"id": "two", "module": "filter_rows", "version": 1, "position": map[string]int{"x": 400, "y": 450},
				"params": map[string]any{"expression": "a > 1"}},
			{"id": "three", "module": "summarize_data", "version": 1, "position": map[string]int{"x": 700, "y": 300}},
		},
		"edges": []map[string]any{
			{"from": map[string]string{"node": "one", "port": "dataset"}, "to": map[string]string{"node": "two", "port": "dataset"}},
			{"from": map[string]string{"node": "far", "port": "dataset"}, "to": map[string]string{"node": "three", "port": "dataset"}},
		},
	})
	before := graphOf(w.Document)
	p.openDesigner(w.ID)
	p.waitText(`[data-testid=counts]`, "4 nodes · 2 connections")

	// The box: from the background above and left of "one" to below and
	// right of "two" and "three", clear of "far".
	box := eval[[]float64](p, `(() => {
		const r = (id) => document.querySelector('[data-cell-id="' + id + '"] .tn-body').getBoundingClientRect();
		const sel = ["one", "two", "three"].map(r);
		const far = r("far");
		const area = document.querySelector(".dz-graph").getBoundingClientRect();
		const x0 = Math.min(...sel.map((b) => b.left)) - 25, y0 = Math.min(...sel.map((b) => b.top)) - 25;
		const x1 = Math.min(Math.max(...sel.map((b) => b.right)) + 25, area.right - 2);
		const y1 = Math.min(Math.max(...sel.map((b) => b.bottom)) + 25, area.bottom - 2);
		const clear = far.right < x0 || far.bottom < y0;
		const blank = !document.elementFromPoint(x0, y0).closest(".x6-node");
		return [x0, y0, x1, y1, clear && blank && x0 > area.left && y0 > area.top ? 1 : 0];
	})()`)
	if box[4] != 1 {
		t.Fatalf("no blank start for the box at (%v, %v) clear of the far node\n%s", box[0], box[1], p.diagnose())
	}
	p.drag(box[0], box[1], box[2], box[3])

	// Three nodes selected, the far one not.
	p.waitText(`[data-testid=properties] h2`, "3 nodes selected")
	selected := eval[[]string](p, `[...document.querySelectorAll(".x6-widget-selection-box[data-cell-id]")].map((b) => b.getAttribute("data-cell-id")).sort()`)
	if want := []string{"one", "three", "two"}; !slices.Equal(selected, want) {
		t.Errorf("selection boxes on %q, want %q", selected, want)
	}
	if !eval[bool](p, `document.querySelector("[data-testid=run-selected]").disabled`) {
		t.Errorf("Run to selected is enabled with three nodes selected")
	}

	// Drag one of them: all three move by the same amount, "far" stays.
	x0, y0 := p.center(nodeSel("one"))
	p.drag(x0, y0, x0+80, y0+60)
	moved := waitStored(p, w.ID, "the moved nodes", `w.document.nodes.some((n) => n.id === "one" && (n.position.x !== 400 || n.position.y !== 300))`)
	after := graphOf(moved.Document)
	one := after.Nodes["one"]
	dx, dy := one.Position.X-400, one.Position.Y-300
	if dx <= 0 || dy <= 0 {
		t.Errorf("the dragged node moved by (%d, %d), want right and down", dx, dy)
	}
	for _, id := range []string{"two", "three"} {
		b, a := before.Nodes[id], after.Nodes[id]
		if a.Position.X-b.Position.X != dx || a.Position.Y-b.Position.Y != dy {
			t.Errorf("%s moved from %v to %v, want by (%d, %d) with the dragged node", id, b.Position, a.Position, dx, dy)
		}
	}
	if f := after.Nodes["far"]; f.Position != before.Nodes["far"].Position {
		t.Errorf("the unselected node moved from %v to %v", before.Nodes["far"].Position, f.Position)
	}
	p.waitText(`[data-testid=properties] h2`, "3 nodes selected")

	// Delete the selection from the pane: "far" alone remains.
	p.clickXPath(`//aside[@data-testid="properties"]//button[normalize-space(.)="Delete"]`)
	p.waitText(`[data-testid=counts]`, "1 node · 0 connections")
	p.waitJS("only the far node drawn", `document.querySelectorAll("[data-cell-id] .tn-body").length === 1 && !!document.querySelector('[data-cell-id="far"] .tn-body')`)
	stored := waitStored(p, w.ID, "the selection deleted", `w.document.nodes.length === 1`)
	if len(stored.Document.Nodes) != 1 || stored.Document.Nodes[0].ID != "far" || len(stored.Document.Edges) != 0 {
		t.Errorf("stored after the delete: %+v", stored.Document)
	}
	if f := graphOf(stored.Document).Nodes["far"]; !reflect.DeepEqual(f, before.Nodes["far"]) {
		t.Errorf("the far node changed: %+v, was %+v", f, before.Nodes["far"])
	}
	// One undo brings the three back, with their edge.
	p.click(`[data-testid=undo]`)
	p.waitText(`[data-testid=counts]`, "4 nodes · 2 connections")
	waitStored(p, w.ID, "the undone delete", `w.document.nodes.length === 4 && w.document.edges.length === 2`)
}
