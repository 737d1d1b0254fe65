package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func sampleDesigner(canEdit bool) Designer {
	return Designer{
		ID: "wf-1", Name: "Prepare <loans>", Revision: 7, CanEdit: canEdit,
		Palette: []PaletteCategory{
			{Name: "Data Input and Output", Modules: []PaletteModule{
				{ID: "import_data", Version: 1, Name: "Import Data", Summary: "Reads a dataset.", Outputs: []string{"table"}},
			}},
			{Name: "Train", Modules: []PaletteModule{
				{ID: "train_model", Version: 2, Name: "Train Model", Summary: "Fits a model to labelled rows.",
					Inputs: []string{"untrained_model", "table"}, Outputs: []string{"trained_model"}},
			}},
		},
	}
}

func TestDesignerPage(t *testing.T) {
	p := Page{Title: "Prepare", Nav: NavWorkflows, User: author, CSRFToken: "tok", Wide: true,
		Scripts: []string{"dist/designer.js"}, Styles: []string{"css/designer.css"}}
	_, doc := render(t, DesignerPage(p, sampleDesigner(true)))

	root := one(t, doc, "designer")
	for name, want := range map[string]string{"data-workflow": "wf-1", "data-revision": "7", "data-editable": "true", "data-name": "Prepare <loans>"} {
		if got := attr(root, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := text(one(t, doc, "workflow-name")); got != "Prepare <loans>" {
		t.Errorf("workflow name %q", got)
	}
	// The palette lists every module under its category, with what the
	// designer script needs to add it and the search matches.
	mod := one(t, doc, "palette-train_model")
	if attr(mod, "data-module") != "train_model" || attr(mod, "data-version") != "2" {
		t.Errorf("palette item attributes %v", mod.Attr)
	}
	if s := attr(mod, "data-search"); !strings.Contains(s, "Train Model") || !strings.Contains(s, "labelled rows") {
		t.Errorf("search text %q lacks the name or the summary", s)
	}
	var kinds []string
	for _, d := range all(mod, func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "dz-kind-dot") }) {
		kinds = append(kinds, attr(d, "data-kind"))
	}
	if got := strings.Join(kinds, " "); got != "untrained_model table trained_model" {
		t.Errorf("port kinds shown %q", got)
	}
	cats := all(doc, func(n *html.Node) bool {
		return n.Data == "summary" && n.Parent != nil && strings.Contains(attr(n.Parent, "class"), "dz-category")
	})
	if len(cats) != 2 || text(cats[1]) != "Train" {
		t.Errorf("categories %d", len(cats))
	}
	// The frame the script fills in.
	for _, id := range []string{"run", "run-selected", "cancel", "undo", "redo", "fit", "layout", "history",
		"palette-search", "canvas", "minimap", "properties", "output-panel", "status", "save-status", "problem-status", "run-status"} {
		one(t, doc, id)
	}
	if !hasAttr(one(t, doc, "output-panel"), "hidden") {
		t.Error("the output panel shows before anything is opened")
	}
	// Its script and stylesheet, by content-hashed URLs.
	var assets []string
	for _, n := range all(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "link" }) {
		assets = append(assets, attr(n, "src")+attr(n, "href"))
	}
	joined := strings.Join(assets, " ")
	if !strings.Contains(joined, "/static/dist/designer.") || !strings.Contains(joined, "/static/css/designer.") {
		t.Errorf("assets %v", assets)
	}
	// The CSP allows no inline code or style.
	for _, n := range all(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: inline code or style", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "script" && (attr(n, "src") == "" || n.FirstChild != nil) {
			t.Errorf("inline script")
		}
	}
}

func TestDesignerPageForViewer(t *testing.T) {
	_, doc := render(t, DesignerView(sampleDesigner(false)))
	if got := attr(one(t, doc, "designer"), "data-editable"); got != "false" {
		t.Errorf("data-editable = %q for a viewer", got)
	}
	// Buttons that change the workflow are marked so the script disables them.
	for _, id := range []string{"run", "run-selected", "undo", "redo", "layout"} {
		if !hasAttr(one(t, doc, id), "data-edit") {
			t.Errorf("%s is not marked as an edit", id)
		}
	}
}
