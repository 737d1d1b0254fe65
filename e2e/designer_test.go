package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trellis-studio/trellis/web"
)

// peopleCSV is the dataset the acceptance test uploads: 240 people with
// an age, an income and a city, made up by formulas.
func peopleCSV() string {
	cities := []string{"Lisbon", "Porto", "Lisbon", "Braga", "Lisbon", "Faro", "Porto", "Coimbra"}
	var b strings.Builder
	b.WriteString("name,age,income,city\n")
	for i := range 240 {
		age := 18 + (i*37)%47 + (i%7)*2
		income := 24000 + ((i*7919)%61)*1000 + age*350
		fmt.Fprintf(&b, "Person %d,%d,%d,%s\n", i+1, age, income, cities[(i*i+3*i)%len(cities)])
	}
	return b.String()
}

// ageStats returns how many people are older than min and their mean age,
// as the pages must show it.
func ageStats(csv string, min int) (n int, mean string) {
	sum := 0
	for _, line := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
		age, _ := strconv.Atoi(strings.Split(line, ",")[1])
		if age > min {
			sum += age
			n++
		}
	}
	return n, web.FormatNumber(float64(sum) / float64(n))
}

// shot saves a screenshot for the README into the directory
// TRELLIS_SCREENSHOTS names (docs/ in `make screenshots`), if set.
func shot(p *page, name string) {
	if dir := os.Getenv("TRELLIS_SCREENSHOTS"); dir != "" {
		// Passing messages would cover the picture.
		p.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("[data-testid=toast]").forEach((t) => t.remove())`))
		p.screenshot(filepath.Join(dir, name))
	}
}

// TestDesignerAcceptance is the analyst's path through Trellis: log in,
// upload a CSV and read its statistics, create a workflow, build it from
// the palette, pick a column, see a problem appear before running and go
// when fixed, run it, watch the statuses, look at an output's statistics,
// undo and redo, and have a second tab's conflicting save refused.
func TestDesignerAcceptance(t *testing.T) {
	a := startServer(t)
	ctx := browser(t)
	// A conflicting save is answered 409, which the browser logs.
	watchErrors(t, ctx, "status of 409")
	p := newPage(t, ctx, a)

	// Log in.
	p.login(authorName)

	// Upload a CSV and see its statistics.
	people := peopleCSV()
	total, meanAll := ageStats(people, 0)
	over30, meanOver30 := ageStats(people, 30)
	csv := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csv, []byte(people), 0o644); err != nil {
		t.Fatal(err)
	}
	p.navigate("/datasets")
	p.do(chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=upload-input]`), []string{csv}))
	p.waitJS("the uploaded dataset in the list", `[...document.querySelectorAll("[data-testid=dataset-row]")].some((r) => r.dataset.name === "people.csv")`)
	if rows := p.text(`[data-testid=dataset-row][data-name="people.csv"] [data-testid=dataset-rows]`); rows != strconv.Itoa(total) {
		t.Errorf("dataset rows = %q, want %d", rows, total)
	}
	p.click(`[data-testid=dataset-row][data-name="people.csv"] [data-testid=dataset-open]`)
	p.waitJS("the dataset page", `!!document.querySelector("[data-testid=column-stats][data-column=age]")`)
	mean := p.text(`[data-testid=column-stats][data-column=age] [data-testid=stat-mean] dd`)
	if mean != meanAll {
		t.Errorf("mean age on the dataset page = %q, want %s", mean, meanAll)
	}
	shot(p, "datasets.png")

	// Create a workflow: the form opens it in the designer.
	p.navigate("/workflows")
	p.do(
		chromedp.SendKeys(chromedp.CSS(`[data-testid=create-workflow-name]`), "People over thirty"),
		chromedp.Click(chromedp.CSS(`[data-testid=create-workflow-submit]`)),
	)
	p.waitJS("the designer", `location.pathname.startsWith("/workflows/") && !!document.getElementById("designer")`)
	p.designerReady()
	if name := p.text(`[data-testid=workflow-name]`); name != "People over thirty" {
		t.Errorf("designer shows workflow %q", name)
	}

	// Drag four modules from the palette onto the canvas, finding each
	// with the palette's search (names and summaries).
	mods := []string{"import_data", "select_columns", "filter_rows", "summarize_data"}
	search := map[string]string{"import_data": "import", "select_columns": "select columns", "filter_rows": "keeps rows", "summarize_data": "summarize"}
	cx, cy := p.center(`[data-testid=canvas]`)
	for i, m := range mods {
		p.fill(`[data-testid=palette-search]`, search[m])
		p.waitJS(m+" found by the search", fmt.Sprintf(`!document.querySelector("[data-testid=palette-%s]").hidden`, m))
		x, y := p.center(fmt.Sprintf(`[data-testid=palette-%s]`, m))
		p.drag(x, y, cx-150+float64(i%2)*60, cy-240+float64(i)*130)
		p.waitJS(m+" on the canvas", fmt.Sprintf(`!!document.querySelector('[data-cell-id="%s_1"] .tn-body')`, m))
	}
	if got := p.waitText(`[data-testid=counts]`, "4 nodes"); !strings.Contains(got, "0 connections") {
		t.Errorf("counts = %q", got)
	}

	// Connect them, output port to input port.
	port := func(node, id string) string { return fmt.Sprintf(`[data-cell-id="%s"] [port="%s"]`, node, id) }
	connect := func(from, out, to, in string) {
		x0, y0 := p.center(port(from, "o:"+out))
		x1, y1 := p.center(port(to, "i:"+in))
		p.drag(x0, y0, x1, y1)
	}
	connect("import_data_1", "dataset", "select_columns_1", "dataset")
	connect("select_columns_1", "results", "filter_rows_1", "dataset")
	connect("filter_rows_1", "results", "summarize_data_1", "dataset")
	p.waitText(`[data-testid=counts]`, "3 connections")

	// A second edge into a taken input is refused, and says why.
	x0, y0 := p.center(port("import_data_1", "o:dataset"))
	x1, y1 := p.center(port("filter_rows_1", "i:dataset"))
	p.drag(x0, y0, x1, y1)
	p.waitText(`[data-testid=toast]`, "already has a connection")
	if got := p.text(`[data-testid=counts]`); !strings.Contains(got, "3 connections") {
		t.Errorf("after a refused connection: %q", got)
	}

	// Auto-layout puts the chain in layers, top to bottom.
	p.click(`[data-testid=layout]`)
	ys := eval[[]float64](p, `["import_data_1", "select_columns_1", "filter_rows_1", "summarize_data_1"].map((id) =>
		parseFloat(document.querySelector('[data-cell-id="' + id + '"]').getAttribute("transform").split(",")[1]))`)
	for i := 1; i < len(ys); i++ {
		if ys[i] <= ys[i-1] {
			t.Errorf("after auto-layout the nodes are at y %v, want each below the one before", ys)
			break
		}
	}

	// Point Import Data at the uploaded dataset.
	p.click(`[data-cell-id="import_data_1"] .tn-body`)
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=param-source]`), "people.csv"))

	// Pick columns with the column picker: it lists the columns the
	// dataset will have, known before anything runs.
	p.click(`[data-cell-id="select_columns_1"] .tn-body`)
	p.waitJS("the columns of people.csv in the picker", `!!document.querySelector("[data-testid=col-age]")`)
	for _, c := range []string{"age", "income", "city"} {
		p.click(fmt.Sprintf(`[data-testid=col-%s]`, c))
	}
	p.waitText(`[data-testid=param-columns-summary]`, "Selected 3 of 4: age, income, city")

	// Filter Rows has no condition yet: the problem shows on the node
	// before anything runs.
	badge := `[data-cell-id="filter_rows_1"] .tn-problem`
	p.waitJS("a problem badge on Filter Rows", fmt.Sprintf(`document.querySelector('%s').getAttribute("visibility") === "visible"`, badge))
	if tip := p.text(badge + ` title`); !strings.Contains(tip, "expression") {
		t.Errorf("problem tooltip = %q, want it to name the expression", tip)
	}
	// A wrong condition is pointed at as it is typed, then fixed.
	p.click(`[data-cell-id="filter_rows_1"] .tn-body`)
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=param-expression]`), "age >> 30"))
	errText := p.waitText(`[data-testid=param-expression-error]`, "column")
	if !strings.Contains(errText, "line 1") {
		t.Errorf("expression error = %q, want it to point at line and column", errText)
	}
	p.fill(`[data-testid=param-expression]`, "age > 30")
	p.waitJS("the problem to go", fmt.Sprintf(`document.querySelector('%s').getAttribute("visibility") === "hidden"`, badge))
	p.waitText(`[data-testid=problem-status]`, "No problems")

	// Run up to the selected node: it and what it depends on run, the
	// rest does not.
	p.click(`[data-cell-id="select_columns_1"] .tn-body`)
	p.click(`[data-testid=run-selected]`)
	p.waitText(`[data-cell-id="select_columns_1"] .tn-status`, fmt.Sprintf("Done · %d rows", total))
	p.waitText(`[data-testid=run-status]`, "Run finished")
	if st := p.text(`[data-cell-id="filter_rows_1"] .tn-status`); st != "Not run yet" {
		t.Errorf("Filter Rows, after the selected node, shows %q", st)
	}

	// Run, and watch every node turn to done (or cached: unchanged nodes
	// that just ran come from the cache).
	p.click(`[data-testid=run]`)
	for _, m := range mods {
		p.waitJS(m+" done", fmt.Sprintf(`["succeeded", "cached"].includes(document.querySelector('[data-cell-id="%s_1"] .tn-body').getAttribute("data-status"))`, m))
	}
	if st := p.text(`[data-cell-id="import_data_1"] .tn-status`); !strings.HasPrefix(st, "Cached") {
		t.Errorf("Import Data, unchanged since the last run, shows %q", st)
	}
	if st, want := p.text(`[data-cell-id="filter_rows_1"] .tn-status`), fmt.Sprintf("Done · %d rows", over30); !strings.HasPrefix(st, want) {
		t.Errorf("Filter Rows status = %q, want %s", st, want)
	}
	p.waitText(`[data-testid=run-status]`, "Run finished")
	p.click(`[data-cell-id="filter_rows_1"] .tn-body`)
	shot(p, "designer.png")

	// Open an output's visualization and read a statistic.
	p.click(port("filter_rows_1", "o:results"))
	p.waitText(`[data-testid=output-title]`, "Filtered dataset")
	p.waitText(`[data-testid=page-info]`, fmt.Sprintf("of %d", over30))
	p.click(`[data-testid=tab-statistics]`)
	p.waitJS("the statistics cards", `!!document.querySelector("[data-testid=statistics] [data-testid=column-stats][data-column=age] svg[data-testid=histogram]")`)
	if got := p.text(`[data-testid=statistics] [data-column=age] [data-testid=stat-mean] dd`); got != meanOver30 {
		t.Errorf("mean age of the filtered output = %q, want %s", got, meanOver30)
	}
	shot(p, "visualization.png")
	p.click(`[data-action=close-drawer]`)

	// The node's log, from the properties pane.
	p.click(`[data-testid=view-log]`)
	p.waitText(`[data-testid=log]`, "Status: succeeded")
	p.click(`[data-action=close-drawer]`)

	// An edit marks the outputs it invalidates as outdated — the edited
	// node and what follows it, not what comes before — and undoing it
	// makes them current again.
	p.fill(`[data-testid=param-expression]`, "age > 40")
	p.waitText(`[data-cell-id="summarize_data_1"] .tn-status`, "Outdated")
	p.waitText(`[data-cell-id="filter_rows_1"] .tn-status`, "Outdated")
	if st := p.text(`[data-cell-id="select_columns_1"] .tn-status`); !strings.HasPrefix(st, "Cached") {
		t.Errorf("Select Columns, upstream of the edit, shows %q", st)
	}
	p.fill(`[data-testid=param-expression]`, "age > 30")
	p.waitText(`[data-cell-id="filter_rows_1"] .tn-status`, fmt.Sprintf("Done · %d rows", over30))
	p.waitText(`[data-cell-id="summarize_data_1"] .tn-status`, "Done ·")

	// Undo and redo, by keyboard and by the toolbar.
	p.click(`[data-cell-id="summarize_data_1"] .tn-body`)
	p.key(kb.Delete)
	p.waitText(`[data-testid=counts]`, "3 nodes · 2 connections")
	p.key("z", chromedp.ModifierCtrl)
	p.waitText(`[data-testid=counts]`, "4 nodes · 3 connections")
	p.key("z", chromedp.ModifierCtrl, chromedp.ModifierShift)
	p.waitText(`[data-testid=counts]`, "3 nodes · 2 connections")
	p.click(`[data-testid=undo]`)
	p.waitText(`[data-testid=counts]`, "4 nodes · 3 connections")
	p.waitJS("Summarize Data back on the canvas", `!!document.querySelector('[data-cell-id="summarize_data_1"] .tn-body')`)
	// Copy and paste a node (a copy with its parameters and a new id),
	// then take it back.
	p.click(`[data-cell-id="filter_rows_1"] .tn-body`)
	p.key("c", chromedp.ModifierCtrl)
	p.key("v", chromedp.ModifierCtrl)
	p.waitText(`[data-testid=counts]`, "5 nodes")
	p.waitJS("the pasted node selected", `!!document.querySelector('[data-cell-id="filter_rows_2"]')`)
	if expr := eval[string](p, `document.querySelector("[data-testid=param-expression]").value`); expr != "age > 30" {
		t.Errorf("the pasted node's condition is %q", expr)
	}
	p.key("z", chromedp.ModifierCtrl)
	p.waitText(`[data-testid=counts]`, "4 nodes · 3 connections")
	p.waitText(`[data-testid=save-status]`, "Saved")

	// Every save is a revision; the history lists them.
	p.click(`[data-testid=history]`)
	p.waitText(`[data-testid=revisions]`, "Revision 1")
	if txt := p.text(`[data-testid=revisions]`); !strings.Contains(txt, "current") || !strings.Contains(txt, "Restore") {
		t.Errorf("revision history = %q", txt)
	}
	p.click(`[data-testid=history]`)

	// A second tab's conflicting save is refused with a message.
	url := eval[string](p, `location.pathname`)
	q := newPage(t, newTab(t, ctx), a)
	q.navigate(url)
	q.designerReady()
	p.click(`[data-cell-id="import_data_1"] .tn-body`)
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=node-title]`), "People"))
	p.waitText(`[data-cell-id="import_data_1"] .tn-title`, "People")
	p.waitText(`[data-testid=save-status]`, "Saved")
	q.click(`[data-cell-id="summarize_data_1"] .tn-body`)
	q.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=node-title]`), "Summary"))
	msg := q.waitText(`[data-testid=conflict-message]`, "reload the latest revision or save a copy")
	if !strings.Contains(msg, "started from revision") {
		t.Errorf("conflict message = %q", msg)
	}
	if !strings.Contains(q.text(`[data-testid=conflict-dialog]`), "Save as a copy") {
		t.Errorf("the conflict dialog offers no copy")
	}
	q.waitText(`[data-testid=save-status]`, "Not saved")
	// Reloading shows the other tab's edit.
	q.click(`[data-testid=conflict-reload]`)
	q.waitText(`[data-cell-id="import_data_1"] .tn-title`, "People")
	q.waitJS("the dialog to close", `!document.querySelector("[data-testid=conflict-dialog]")`)
}
