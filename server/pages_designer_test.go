package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/storage"
)

func TestDesignerPageListsTheModuleLibrary(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("Designer", "age > 25"))
	res := c.do(http.MethodGet, "/workflows/"+w.ID, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("designer page: %d %s", res.Code, res.Body)
	}
	doc := parseHTML(t, res)
	root := onlyTestID(t, doc, "designer")
	if htmlAttr(root, "data-workflow") != w.ID || htmlAttr(root, "data-editable") != "true" {
		t.Errorf("designer root %v", root.Attr)
	}
	// Every module of the registry is in the palette.
	for _, sp := range ts.srv.registry.Specs() {
		if len(testID(doc, "palette-"+sp.ID)) != 1 {
			t.Errorf("palette lacks %s", sp.ID)
		}
	}
	if !strings.Contains(res.Body.String(), "/static/dist/designer.") {
		t.Error("the page does not load the designer script")
	}

	// A viewer gets the designer read-only.
	v := ts.login(storage.RoleViewer)
	doc = parseHTML(t, v.do(http.MethodGet, "/workflows/"+w.ID, nil))
	if got := htmlAttr(onlyTestID(t, doc, "designer"), "data-editable"); got != "false" {
		t.Errorf("viewer: data-editable = %q", got)
	}

	if res := c.do(http.MethodGet, "/workflows/no-such-workflow", nil); res.Code != http.StatusNotFound {
		t.Errorf("unknown workflow: %d", res.Code)
	}
}

func TestOutputStatisticsFragment(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("Stats", "age > 25"))
	run := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)

	res := c.do(http.MethodGet, "/runs/"+run.ID+"/nodes/filter/outputs/results/statistics", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("statistics: %d %s", res.Code, res.Body)
	}
	doc := parseHTML(t, res)
	cards := testID(doc, "column-stats")
	if len(cards) != 3 {
		t.Fatalf("%d column cards, want 3 (name, age, city)", len(cards))
	}
	var age string
	for _, card := range cards {
		if htmlAttr(card, "data-column") == "age" {
			age = htmlText(onlyTestID(t, card, "stat-mean"))
			if len(testID(card, "histogram")) != 1 {
				t.Error("the age card has no histogram")
			}
		}
	}
	// ann 31 and bob 45 are over 25.
	if age != "Mean 38" {
		t.Errorf("age mean %q, want Mean 38", age)
	}

	// Not a table, not a node, not a run.
	for path, want := range map[string]int{
		"/runs/" + run.ID + "/nodes/nope/outputs/results/statistics":    http.StatusNotFound,
		"/runs/" + run.ID + "/nodes/filter/outputs/nope/statistics":     http.StatusNotFound,
		"/runs/no-such-run/nodes/filter/outputs/results/statistics":     http.StatusNotFound,
		"/runs/" + run.ID + "/nodes/summary/outputs/results/statistics": http.StatusOK,
	} {
		if res := c.do(http.MethodGet, path, nil); res.Code != want {
			t.Errorf("%s: %d, want %d", path, res.Code, want)
		}
	}
}
