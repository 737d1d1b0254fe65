package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// maxNameLen bounds a workflow name: it is shown in lists and file names.
const maxNameLen = 200

// workflowJSON is a workflow as the API shows it. Document is present when
// one workflow is asked for, LastRun in listings.
type workflowJSON struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Revision  int                `json:"revision"`
	Created   time.Time          `json:"created"`
	CreatedBy string             `json:"created_by"`
	Updated   time.Time          `json:"updated"`
	UpdatedBy string             `json:"updated_by"`
	Datasets  []string           `json:"datasets,omitempty"`
	LastRun   *runJSON           `json:"last_run,omitempty"`
	Document  *workflow.Workflow `json:"document,omitempty"`
}

func workflowView(w *storage.Workflow) workflowJSON {
	return workflowJSON{
		ID: w.ID, Name: w.Name, Revision: w.Revision,
		Created: w.Created, CreatedBy: w.CreatedBy, Updated: w.Updated, UpdatedBy: w.UpdatedBy,
		Datasets: w.Datasets, Document: w.Doc,
	}
}

// revisionJSON is one saved revision; Document is left out of listings.
type revisionJSON struct {
	WorkflowID string             `json:"workflow_id"`
	Number     int                `json:"number"`
	Saved      time.Time          `json:"saved"`
	Author     string             `json:"author"`
	Document   *workflow.Workflow `json:"document,omitempty"`
}

func revisionView(r *storage.Revision) revisionJSON {
	return revisionJSON{WorkflowID: r.WorkflowID, Number: r.Number, Saved: r.Saved, Author: r.Author, Document: r.Doc}
}

func (s *Server) handleWorkflowList(c echo.Context) error {
	ws, err := s.store.Workflows(c.QueryParam("q"))
	if err != nil {
		return err
	}
	out := make([]workflowJSON, len(ws))
	for i, w := range ws {
		out[i] = workflowView(w)
		// A workflow deleted since the listing read it just shows no run.
		if out[i].LastRun, err = s.lastRun(w.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

// handleWorkflowCreate stores a new workflow from a full document, or from
// {"name": "..."} for an empty one.
func (s *Server) handleWorkflowCreate(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	doc, err := newDocument(c, body)
	if err != nil {
		return err
	}
	w, err := s.store.CreateWorkflow(doc, currentUser(c).Username)
	if err != nil {
		return err
	}
	return renderCreated(c, w)
}

func (s *Server) handleWorkflowImport(c echo.Context) error {
	body, err := readUpload(c)
	if err != nil {
		return err
	}
	doc, err := parseDocument(body)
	if err != nil {
		return err
	}
	w, err := s.store.CreateWorkflow(doc, currentUser(c).Username)
	if err != nil {
		return err
	}
	return renderCreated(c, w)
}

func (s *Server) handleWorkflowGet(c echo.Context) error {
	w, err := s.store.Workflow(c.Param("id"))
	if err != nil {
		return err
	}
	setETag(c, w.Revision)
	return c.JSON(http.StatusOK, workflowView(w))
}

// handleWorkflowSave stores the body as the next revision. If-Match must
// name the revision the editor started from, so a save made from a stale
// copy is refused (409) instead of silently replacing someone's work.
func (s *Server) handleWorkflowSave(c echo.Context) error {
	base, err := ifMatchRevision(c)
	if err != nil {
		return err
	}
	doc, err := readDocument(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	w, err := s.store.SaveWorkflow(id, base, doc, currentUser(c).Username)
	if errors.Is(err, storage.ErrConflict) {
		return s.saveConflict(c, id, base)
	}
	if err != nil {
		return err
	}
	setETag(c, w.Revision)
	return c.JSON(http.StatusOK, workflowView(w))
}

// saveConflict describes a refused save: who saved which revision since the
// editor loaded its copy. The latest revision is in the ETag header as well
// as the message, so a client can reload or fork without parsing text.
func (s *Server) saveConflict(c echo.Context, id string, base int) error {
	latest, err := s.store.Workflow(id)
	if err != nil {
		return err
	}
	setETag(c, latest.Revision)
	e := errf(http.StatusConflict, CodeConflict,
		"workflow %q is at revision %d (saved by %s at %s) but this edit started from revision %d; reload the latest revision or save a copy",
		latest.Name, latest.Revision, latest.UpdatedBy, latest.Updated.Format(time.RFC3339), base)
	e.Field = "If-Match"
	e.Revision = latest.Revision
	return e
}

func (s *Server) handleWorkflowDelete(c echo.Context) error {
	if _, err := s.deleteWorkflow(c, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deleteWorkflow deletes a workflow with its revisions and runs, forgets
// its runs' outputs and audits it; the API and the page share it.
func (s *Server) deleteWorkflow(c echo.Context, id string) (*storage.Workflow, error) {
	w, err := s.store.Workflow(id)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteWorkflow(id); err != nil {
		return nil, err
	}
	s.runs.forgetWorkflow(id)
	s.audit(c, "workflow.delete", id, w.Name)
	return w, nil
}

func (s *Server) handleWorkflowDuplicate(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if req.Name != "" {
		if err := checkName(req.Name); err != nil {
			return err
		}
	}
	w, err := s.store.DuplicateWorkflow(c.Param("id"), strings.TrimSpace(req.Name), currentUser(c).Username)
	if err != nil {
		return err
	}
	return renderCreated(c, w)
}

// handleWorkflowExport answers the latest document as a file to save: the
// same JSON that import and `trellis run` read.
func (s *Server) handleWorkflowExport(c echo.Context) error {
	w, err := s.store.Workflow(c.Param("id"))
	if err != nil {
		return err
	}
	data, err := w.Doc.Marshal()
	if err != nil {
		return err
	}
	setETag(c, w.Revision)
	c.Response().Header().Set(echo.HeaderContentDisposition, attachment(exportBase(w.Name)+".workflow.json"))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, data)
}

func (s *Server) handleRevisionList(c echo.Context) error {
	revs, err := s.store.WorkflowRevisions(c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]revisionJSON, len(revs))
	for i, r := range revs {
		out[i] = revisionView(r)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleRevisionGet(c echo.Context) error {
	n, err := revisionParam(c.Param("rev"), "rev")
	if err != nil {
		return err
	}
	r, err := s.store.WorkflowRevision(c.Param("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revisionView(r))
}

// diffJSON is the answer of the diff route: the revisions compared and what
// changed from one to the other.
type diffJSON struct {
	From int `json:"from"`
	To   int `json:"to"`
	*workflow.Diff
}

// handleWorkflowDiff compares two revisions: ?to= defaults to the latest and
// ?from= to the one before it.
func (s *Server) handleWorkflowDiff(c echo.Context) error {
	id := c.Param("id")
	w, err := s.store.Workflow(id)
	if err != nil {
		return err
	}
	to := w.Revision
	if v := c.QueryParam("to"); v != "" {
		if to, err = revisionParam(v, "to"); err != nil {
			return err
		}
	}
	from := max(to-1, 1)
	if v := c.QueryParam("from"); v != "" {
		if from, err = revisionParam(v, "from"); err != nil {
			return err
		}
	}
	a, err := s.store.WorkflowRevision(id, from)
	if err != nil {
		return err
	}
	b, err := s.store.WorkflowRevision(id, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, diffJSON{From: from, To: to, Diff: workflow.Compare(a.Doc, b.Doc)})
}

// handleWorkflowValidate checks a saved revision (?revision=, default the
// latest) as a run would, without running it.
func (s *Server) handleWorkflowValidate(c echo.Context) error {
	id := c.Param("id")
	var doc *workflow.Workflow
	var rev int
	if v := c.QueryParam("revision"); v != "" {
		n, err := revisionParam(v, "revision")
		if err != nil {
			return err
		}
		r, err := s.store.WorkflowRevision(id, n)
		if err != nil {
			return err
		}
		doc, rev = r.Doc, r.Number
	} else {
		w, err := s.store.Workflow(id)
		if err != nil {
			return err
		}
		doc, rev = w.Doc, w.Revision
	}
	out := s.validate(c.Request().Context(), doc)
	out.Revision = rev
	return c.JSON(http.StatusOK, out)
}

// handleValidateDocument checks a document that is not saved: what the
// designer calls while the analyst edits.
func (s *Server) handleValidateDocument(c echo.Context) error {
	doc, err := readDocument(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.validate(c.Request().Context(), doc))
}

// validationJSON lists a document's problems and, for every node whose
// module is known, the inferred shape on each port: the designer fills
// column pickers from the shapes on a node's inputs.
type validationJSON struct {
	Revision int                       `json:"revision,omitempty"`
	Valid    bool                      `json:"valid"`
	Problems []workflow.Problem        `json:"problems"`
	Nodes    map[string]nodeShapesJSON `json:"nodes"`
}

// nodeShapesJSON holds the shapes on a node's ports by port name; a port
// whose shape cannot be known before running (or is not connected) is null.
type nodeShapesJSON struct {
	Inputs  map[string]*shapeJSON `json:"inputs"`
	Outputs map[string]*shapeJSON `json:"outputs"`
}

// shapeJSON is what inference knows about a port's value: for tables their
// columns, for models the task and label.
type shapeJSON struct {
	Kind    modules.PortKind `json:"kind"`
	Columns table.Schema     `json:"columns"`
	Task    modules.Task     `json:"task,omitempty"`
	Label   *table.Field     `json:"label,omitempty"`
}

func shapeView(sh *modules.Shape) *shapeJSON {
	if sh == nil {
		return nil
	}
	return &shapeJSON{Kind: sh.Kind, Columns: sh.Schema, Task: sh.Task, Label: sh.Label}
}

// validate compiles the document with its parameters' defaults against the
// module registry and the store's datasets.
func (s *Server) validate(ctx context.Context, doc *workflow.Workflow) validationJSON {
	var problems []workflow.Problem
	vars, err := doc.Vars(nil)
	if err != nil {
		problems = append(problems, workflow.Problem{Code: workflow.CodeInvalidWorkflow, Message: err.Error()})
	}
	plan := workflow.Compile(ctx, doc, s.registry, vars, s.Resources())
	problems = append(problems, plan.Problems...)
	out := validationJSON{Valid: len(problems) == 0, Problems: problems, Nodes: map[string]nodeShapesJSON{}}
	if out.Problems == nil {
		out.Problems = []workflow.Problem{}
	}
	for id, pn := range plan.Nodes {
		if pn.Module == nil {
			continue
		}
		ns := nodeShapesJSON{Inputs: map[string]*shapeJSON{}, Outputs: map[string]*shapeJSON{}}
		for i, p := range pn.Spec.Outputs {
			ns.Outputs[p.Name] = shapeView(pn.Shapes[i])
		}
		for i, p := range pn.Spec.Inputs {
			ns.Inputs[p.Name] = shapeView(upstreamShape(plan, pn.Inputs[i]))
		}
		out.Nodes[id] = ns
	}
	return out
}

// upstreamShape returns the shape on the output an input is connected to.
func upstreamShape(plan *workflow.Plan, ref *workflow.PortRef) *modules.Shape {
	if ref == nil {
		return nil
	}
	up := plan.Nodes[ref.Node]
	if up == nil || up.Module == nil {
		return nil
	}
	if i := up.Spec.Output(ref.Port); i >= 0 && up.Shapes != nil {
		return up.Shapes[i]
	}
	return nil
}

func renderCreated(c echo.Context, w *storage.Workflow) error {
	setETag(c, w.Revision)
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/workflows/"+w.ID)
	return c.JSON(http.StatusCreated, workflowView(w))
}

// setETag names the revision a response shows; a save sends it back in If-Match.
func setETag(c echo.Context, rev int) {
	c.Response().Header().Set("ETag", strconv.Quote(strconv.Itoa(rev)))
}

// ifMatchRevision reads the revision a save is based on from If-Match:
// "3" (the ETag as sent), W/"3" or a bare 3.
func ifMatchRevision(c echo.Context) (int, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		return 0, errf(http.StatusPreconditionRequired, CodePreconditionReq,
			`send If-Match with the ETag of the revision you edited (for example If-Match: "3"), so that a newer save is not overwritten`)
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		e := errf(http.StatusBadRequest, CodeInvalidField, "If-Match %q is not a revision ETag such as \"3\"", h)
		e.Field = "If-Match"
		return 0, e
	}
	return n, nil
}

func revisionParam(v, field string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fieldErr(field, "%s must be a revision number (1 or more), not %q", field, v)
	}
	return n, nil
}

// readBody reads a JSON request body whole (within the route's body limit):
// documents are parsed by workflow.Parse, which needs the bytes to point at
// the line of an error.
func readBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != echo.MIMEApplicationJSON {
			return nil, errf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send the body as application/json, not %q", ct)
		}
	}
	return readDocumentBytes(req.Body)
}

// readUpload reads a document sent as the body or as the "file" field of a
// multipart form, as a browser's file input sends it.
func readUpload(c echo.Context) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEMultipartForm {
		return readBody(c)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, fieldErr("file", "attach the workflow document as the form field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readDocumentBytes(f)
}

func readDocumentBytes(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errf(http.StatusBadRequest, CodeInvalidJSON, "request body is empty; send a workflow document")
	}
	return body, nil
}

// newDocument reads a create request: {"name": "..."} (optionally with a
// description) makes an empty workflow; anything with "format", "nodes" or
// "edges" must be a whole document.
func newDocument(c echo.Context, body []byte) (*workflow.Workflow, error) {
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil || keys["format"] != nil || keys["nodes"] != nil || keys["edges"] != nil {
		return parseDocument(body)
	}
	var req struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	// decodeJSON is the one strict decoder of request bodies; give it the
	// bytes already read.
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	if err := decodeJSON(c, &req); err != nil {
		return nil, err
	}
	doc := &workflow.Workflow{Format: workflow.FormatVersion, Name: strings.TrimSpace(req.Name),
		Description: req.Description, Nodes: []workflow.Node{}, Edges: []workflow.Edge{}}
	if err := checkName(doc.Name); err != nil {
		return nil, err
	}
	return doc, nil
}

// readDocument reads and strictly decodes a workflow document request body.
func readDocument(c echo.Context) (*workflow.Workflow, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	return parseDocument(body)
}

// parseDocument decodes a workflow document with workflow.Parse's strict
// rules; a malformed one is the caller's fault (400) and the error names
// the line and column, or the field, at fault.
func parseDocument(body []byte) (*workflow.Workflow, error) {
	doc, err := workflow.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, documentError(body, err)
	}
	doc.Name = strings.TrimSpace(doc.Name)
	if err := checkName(doc.Name); err != nil {
		return nil, err
	}
	return doc, nil
}

// documentError classifies a workflow.Parse error. Parse reports line and
// column in its message but not which field; decoding again (only on this
// failure path) recovers the field for the designer to highlight.
func documentError(body []byte, err error) *Error {
	e := errf(http.StatusBadRequest, CodeInvalidJSON, "%v", err)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var probe workflow.Workflow
	derr := dec.Decode(&probe)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(derr, &te):
		e.Code, e.Field = CodeInvalidField, te.Field
	case derr != nil && strings.HasPrefix(derr.Error(), "json: unknown field "):
		e.Code, e.Field = CodeInvalidField, strings.Trim(strings.TrimPrefix(derr.Error(), "json: unknown field "), `"`)
	case derr == nil && strings.Contains(err.Error(), "format"):
		// Well-formed JSON that Parse refused for its format version.
		e.Code, e.Field = CodeInvalidField, "format"
	}
	return e
}

func checkName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxNameLen {
		return fieldErr("name", "give the workflow a name of 1 to %d characters", maxNameLen)
	}
	return nil
}

// exportBase turns a name into a portable file name without extension.
func exportBase(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_'
		switch {
		case ok && b.Len() < 80:
			b.WriteRune(r)
			dash = false
		case !ok && !dash && b.Len() > 0 && b.Len() < 80:
			b.WriteByte('-')
			dash = true
		}
	}
	if base := strings.TrimRight(b.String(), "-"); base != "" {
		return base
	}
	return "workflow"
}

// attachment is a Content-Disposition that makes browsers save the response.
func attachment(filename string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": filename})
}
