package server

import (
	"bytes"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// peopleCSV is the data of the test workflows' Enter Data node.
const peopleCSV = "name,age,city\nann,31,Oslo\nbob,45,Rome\ncid,22,Oslo\n"

// testDoc returns a three-node document: enter data → filter rows (the
// expression) → summarize data, with a workflow parameter min_age.
func testDoc(name, expression string) *workflow.Workflow {
	raw := func(v any) json.RawMessage {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // keep "age > 25" readable in comparisons
		enc.Encode(v)
		return bytes.TrimSpace(b.Bytes())
	}
	return &workflow.Workflow{
		Format: workflow.FormatVersion, Name: name,
		Parameters: []workflow.Parameter{{Name: "min_age", Type: "int", Default: raw(0)}},
		Nodes: []workflow.Node{
			{ID: "enter", Module: "enter_data_manually", Version: 1, Title: "People",
				Params: map[string]json.RawMessage{"data": raw(peopleCSV)}},
			{ID: "filter", Module: "filter_rows", Version: 1, Position: workflow.Position{Y: 100},
				Params: map[string]json.RawMessage{"expression": raw(expression)}},
			{ID: "summary", Module: "summarize_data", Version: 1, Position: workflow.Position{Y: 200}},
		},
		Edges: []workflow.Edge{
			{From: workflow.PortRef{Node: "enter", Port: "dataset"}, To: workflow.PortRef{Node: "filter", Port: "dataset"}},
			{From: workflow.PortRef{Node: "filter", Port: "results"}, To: workflow.PortRef{Node: "summary", Port: "dataset"}},
		},
	}
}

// createWorkflow stores doc through the API and returns the created workflow.
func createWorkflow(t *testing.T, c *client, doc *workflow.Workflow) workflowJSON {
	t.Helper()
	res := c.do(http.MethodPost, "/api/v1/workflows", doc)
	if res.Code != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", res.Code, res.Body)
	}
	return decode[workflowJSON](t, res)
}

func TestWorkflowCreateGetSave(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	if w.Revision != 1 || w.Name != "People" || w.CreatedBy != "author1" || len(w.Document.Nodes) != 3 {
		t.Fatalf("created %+v", w)
	}

	res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID, nil)
	if res.Code != http.StatusOK || res.Header().Get("ETag") != `"1"` {
		t.Fatalf("get: %d ETag %q %s", res.Code, res.Header().Get("ETag"), res.Body)
	}
	got := decode[workflowJSON](t, res)
	if got.Document.Nodes[1].ID != "filter" {
		t.Errorf("document nodes = %+v", got.Document.Nodes)
	}

	doc := testDoc("People v2", "age > 30")
	res = c.doHeaders(http.MethodPut, "/api/v1/workflows/"+w.ID, doc, map[string]string{"If-Match": `"1"`})
	if res.Code != http.StatusOK || res.Header().Get("ETag") != `"2"` {
		t.Fatalf("save: %d ETag %q %s", res.Code, res.Header().Get("ETag"), res.Body)
	}
	if saved := decode[workflowJSON](t, res); saved.Revision != 2 || saved.Name != "People v2" {
		t.Errorf("saved %+v", saved)
	}
}

func TestWorkflowSaveStale(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	path := "/api/v1/workflows/" + w.ID
	if res := c.doHeaders(http.MethodPut, path, testDoc("Tab A", "age > 1"), map[string]string{"If-Match": `"1"`}); res.Code != http.StatusOK {
		t.Fatalf("first save: %d %s", res.Code, res.Body)
	}

	// A second tab still on revision 1 must not overwrite revision 2.
	res := c.doHeaders(http.MethodPut, path, testDoc("Tab B", "age > 2"), map[string]string{"If-Match": `"1"`})
	if res.Code != http.StatusConflict || res.Header().Get("ETag") != `"2"` {
		t.Fatalf("stale save: %d ETag %q %s", res.Code, res.Header().Get("ETag"), res.Body)
	}
	e := decode[apiError](t, res).Error
	if e.Code != CodeConflict || !strings.Contains(e.Message, "revision 2") {
		t.Errorf("stale save error = %+v, want a conflict naming revision 2", e)
	}
	stored, err := ts.store.Workflow(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Revision != 2 || stored.Name != "Tab A" {
		t.Errorf("after a refused save the store has revision %d %q, want 2 \"Tab A\"", stored.Revision, stored.Name)
	}

	res = c.do(http.MethodPut, path, testDoc("No precondition", "age > 3"))
	if res.Code != http.StatusPreconditionRequired || decode[apiError](t, res).Error.Code != CodePreconditionReq {
		t.Errorf("save without If-Match: %d %s, want 428", res.Code, res.Body)
	}
	res = c.doHeaders(http.MethodPut, path, testDoc("Bad precondition", "age > 3"), map[string]string{"If-Match": "*"})
	if res.Code != http.StatusBadRequest {
		t.Errorf("save with If-Match *: %d %s, want 400", res.Code, res.Body)
	}
	if stored, _ := ts.store.Workflow(w.ID); stored.Revision != 2 {
		t.Errorf("revision = %d after refused saves, want 2", stored.Revision)
	}
}

func TestWorkflowCreateEmpty(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	res := c.do(http.MethodPost, "/api/v1/workflows", map[string]string{"name": " Fresh "})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	w := decode[workflowJSON](t, res)
	if w.Name != "Fresh" || w.Document == nil || len(w.Document.Nodes) != 0 || w.Document.Format != workflow.FormatVersion {
		t.Errorf("created %+v with document %+v", w, w.Document)
	}
	if loc := res.Header().Get("Location"); loc != "/api/v1/workflows/"+w.ID {
		t.Errorf("Location = %q", loc)
	}
}

func TestWorkflowCreateMalformed(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantCode  string
		wantField string
		wantMsg   string
	}{
		{
			name:     "syntax error",
			give:     "{\n  \"format\": 1,\n  \"name\": \"x\",,\n  \"nodes\": []\n}",
			wantCode: CodeInvalidJSON, wantMsg: "line 3",
		},
		{
			name:     "unknown node field",
			give:     `{"format": 1, "name": "x", "nodes": [{"id": "a", "module": "m", "version": 1, "colour": "red", "position": {"x": 0, "y": 0}}], "edges": []}`,
			wantCode: CodeInvalidField, wantField: "colour", wantMsg: "colour",
		},
		{
			name:     "wrong type",
			give:     "{\"format\": 1, \"name\": \"x\",\n \"nodes\": [{\"id\": \"a\", \"module\": \"m\", \"version\": 1,\n \"position\": {\"x\": \"left\", \"y\": 0}}], \"edges\": []}",
			wantCode: CodeInvalidField, wantField: "nodes.position.x", wantMsg: "line 3",
		},
		{
			name:     "empty workflow with an unknown field",
			give:     `{"name": "x", "colour": "red"}`,
			wantCode: CodeInvalidJSON, wantField: "colour", wantMsg: "colour",
		},
		{
			name:     "empty workflow without a name",
			give:     `{"description": "x"}`,
			wantCode: CodeInvalidField, wantField: "name", wantMsg: "name",
		},
		{
			name:     "no format",
			give:     `{"name": "x", "nodes": [], "edges": []}`,
			wantCode: CodeInvalidField, wantField: "format", wantMsg: "format",
		},
		{
			name:     "newer format",
			give:     `{"format": 99, "name": "x", "nodes": [], "edges": []}`,
			wantCode: CodeInvalidField, wantField: "format", wantMsg: "upgrade",
		},
		{
			name:     "no name",
			give:     `{"format": 1, "nodes": [], "edges": []}`,
			wantCode: CodeInvalidField, wantField: "name", wantMsg: "name",
		},
		{
			name:     "empty body",
			give:     "",
			wantCode: CodeInvalidJSON, wantMsg: "empty",
		},
		{
			name:     "trailing data",
			give:     `{"format": 1, "name": "x", "nodes": [], "edges": []} {}`,
			wantCode: CodeInvalidJSON, wantMsg: "after the document",
		},
	}
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.doHeaders(http.MethodPost, "/api/v1/workflows", tt.give, map[string]string{"Content-Type": "application/json"})
			if res.Code != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", res.Code, res.Body)
			}
			e := decode[apiError](t, res).Error
			if e.Code != tt.wantCode || e.Field != tt.wantField || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("error = %+v, want code %s, field %q, message containing %q", e, tt.wantCode, tt.wantField, tt.wantMsg)
			}
		})
	}
	if ws, _ := ts.store.Workflows(""); len(ws) != 0 {
		t.Errorf("malformed documents stored %d workflows", len(ws))
	}
}

func TestWorkflowListDuplicateDelete(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("Loans", "age > 25"))
	createWorkflow(t, c, testDoc("Churn", "age > 25"))

	res := c.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/duplicate", nil)
	if res.Code != http.StatusCreated {
		t.Fatalf("duplicate: %d %s", res.Code, res.Body)
	}
	dup := decode[workflowJSON](t, res)
	if dup.ID == w.ID || dup.Name != "Copy of Loans" || dup.Revision != 1 || len(dup.Document.Nodes) != 3 {
		t.Errorf("duplicate = %+v", dup)
	}
	res = c.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/duplicate", map[string]string{"name": "Loans (mine)"})
	if res.Code != http.StatusCreated || decode[workflowJSON](t, res).Name != "Loans (mine)" {
		t.Errorf("named duplicate: %d %s", res.Code, res.Body)
	}

	list := decode[[]workflowJSON](t, c.do(http.MethodGet, "/api/v1/workflows?q=loans", nil))
	var names []string
	for _, l := range list {
		names = append(names, l.Name)
		if l.Document != nil {
			t.Errorf("listing carries the document of %s", l.Name)
		}
	}
	if want := []string{"Loans (mine)", "Copy of Loans", "Loans"}; !reflect.DeepEqual(names, want) {
		t.Errorf("search loans = %q, want %q (newest first)", names, want)
	}

	if res := c.do(http.MethodDelete, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.Body)
	}
	if res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusNotFound {
		t.Errorf("get after delete: %d, want 404", res.Code)
	}
	if res := c.do(http.MethodDelete, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusNotFound {
		t.Errorf("second delete: %d, want 404", res.Code)
	}
}

func TestWorkflowExportImport(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("Loan Applications: 2024", "age > 25"))

	res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/export", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("export: %d %s", res.Code, res.Body)
	}
	_, params, err := mime.ParseMediaType(res.Header().Get("Content-Disposition"))
	if err != nil || params["filename"] != "loan-applications-2024.workflow.json" {
		t.Errorf("Content-Disposition = %q", res.Header().Get("Content-Disposition"))
	}
	exported := res.Body.Bytes()

	res = c.doHeaders(http.MethodPost, "/api/v1/workflows/import", exported, map[string]string{"Content-Type": "application/json"})
	if res.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", res.Code, res.Body)
	}
	imported := decode[workflowJSON](t, res)
	if imported.ID == w.ID {
		t.Error("import reused the workflow id")
	}
	back := c.do(http.MethodGet, "/api/v1/workflows/"+imported.ID+"/export", nil)
	if !bytes.Equal(back.Body.Bytes(), exported) {
		t.Errorf("export after import differs:\n%s\nwant\n%s", back.Body, exported)
	}

	// A browser's file input sends the document as a multipart form.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "loans.workflow.json")
	fw.Write(exported)
	mw.Close()
	res = c.doHeaders(http.MethodPost, "/api/v1/workflows/import", body.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	if res.Code != http.StatusCreated {
		t.Fatalf("multipart import: %d %s", res.Code, res.Body)
	}
}

func TestRevisionListGetDiff(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	doc := testDoc("People", "age > 40")
	doc.Nodes[2].Position.X = 300
	doc.Nodes = append(doc.Nodes, workflow.Node{ID: "sort", Module: "sort_data", Version: 1})
	res := c.doHeaders(http.MethodPut, "/api/v1/workflows/"+w.ID, doc, map[string]string{"If-Match": `"1"`})
	if res.Code != http.StatusOK {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}

	revs := decode[[]revisionJSON](t, c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/revisions", nil))
	if len(revs) != 2 || revs[0].Number != 2 || revs[1].Number != 1 || revs[0].Author != "author1" || revs[0].Document != nil {
		t.Errorf("revisions = %+v, want 2 then 1 without documents", revs)
	}
	rev := decode[revisionJSON](t, c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/revisions/1", nil))
	if rev.Number != 1 || jsonString(t, rev.Document.Nodes[1].Params["expression"]) != "age > 25" {
		t.Errorf("revision 1 = %+v", rev)
	}
	if res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/revisions/9", nil); res.Code != http.StatusNotFound {
		t.Errorf("revision 9: %d, want 404", res.Code)
	}
	if res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/revisions/x", nil); res.Code != http.StatusBadRequest {
		t.Errorf("revision x: %d, want 400", res.Code)
	}

	res = c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/diff", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("diff: %d %s", res.Code, res.Body)
	}
	d := decode[diffJSON](t, res)
	if d.From != 1 || d.To != 2 || len(d.NodesAdded) != 1 || d.NodesAdded[0].ID != "sort" || len(d.NodesChanged) != 2 {
		t.Fatalf("diff = %s", res.Body)
	}
	filter, summary := d.NodesChanged[0], d.NodesChanged[1]
	if filter.Node != "filter" || len(filter.Params) != 1 || filter.Params[0].Name != "expression" || jsonString(t, filter.Params[0].To) != "age > 40" {
		t.Errorf("filter change = %+v", filter)
	}
	if summary.Node != "summary" || summary.Position == nil || summary.Position.To.X != 300 || summary.Params != nil {
		t.Errorf("summary change = %+v", summary)
	}

	same := decode[diffJSON](t, c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/diff?from=2&to=2", nil))
	if !same.Empty() {
		t.Errorf("diff of a revision with itself = %+v", same)
	}
	if res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/diff?from=0", nil); res.Code != http.StatusBadRequest || decode[apiError](t, res).Error.Field != "from" {
		t.Errorf("diff from=0: %d %s, want 400 naming from", res.Code, res.Body)
	}
}

func TestWorkflowValidate(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "salary > 25"))

	res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/validate", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("validate: %d %s", res.Code, res.Body)
	}
	v := decode[validationJSON](t, res)
	if v.Valid || v.Revision != 1 || len(v.Problems) != 1 {
		t.Fatalf("validation = %s, want one problem", res.Body)
	}
	if p := v.Problems[0]; p.Node != "filter" || p.Param != "expression" || p.Code != workflow.CodeMissingColumn || !strings.Contains(p.Message, "salary") {
		t.Errorf("problem = %+v, want a missing column salary on filter.expression", p)
	}
	in := v.Nodes["filter"].Inputs["dataset"]
	if in == nil || in.Kind != "table" || !reflect.DeepEqual(in.Columns.Names(), []string{"name", "age", "city"}) {
		t.Errorf("filter input shape = %+v, want the columns of the entered data", in)
	}
	if out := v.Nodes["summary"].Outputs["results"]; out == nil || out.Columns.Index("Mean") < 0 {
		t.Errorf("summary output shape = %+v", out)
	}

	// The designer checks unsaved edits; a fixed document has no problems.
	viewer := ts.login(storage.RoleViewer)
	if res := viewer.do(http.MethodPost, "/api/v1/validate", testDoc("People", "age > 25")); res.Code != http.StatusForbidden {
		t.Errorf("viewer validate document: %d, want 403", res.Code)
	}
	res = c.do(http.MethodPost, "/api/v1/validate", testDoc("People", "age > 25"))
	if v := decode[validationJSON](t, res); res.Code != http.StatusOK || !v.Valid || len(v.Problems) != 0 {
		t.Errorf("validate fixed document: %d %s", res.Code, res.Body)
	}
}

// jsonString decodes a JSON string; stored documents escape < and >.
func jsonString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return s
}
