package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/web"
	"github.com/trellis-studio/trellis/workflow"
)

// The HTML pages. Handlers read the request, call the same logic as the
// JSON API, map the result to web's view models and render: a whole page,
// or for an htmx request (HX-Request) the fragment it swaps. Forms that fail
// validation are rendered again with 422; errors of page routes become
// error pages, or a redirect to /login without a session (pageError).

// ctxPage marks a request to a page route (set by markPage).
const ctxPage = "trellis.page"

// previewPageRows is the number of rows a preview page shows.
const previewPageRows = 50

// markPage marks a request to a page route, so that its errors are shown
// as pages. It runs before the route's CSRF and access checks.
func markPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxPage, true)
		return next(c)
	}
}

// wantsPage reports whether an error is answered in HTML: on page routes,
// and on any URL outside the API that a browser navigates to (an unknown
// page, a refused host).
func wantsPage(c echo.Context) bool {
	if page, _ := c.Get(ctxPage).(bool); page {
		return true
	}
	req := c.Request()
	if strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/static/") {
		return false
	}
	return strings.Contains(req.Header.Get(echo.HeaderAccept), "text/html")
}

// isHTMX reports whether htmx sent the request and wants a fragment. A
// history restore asks for the whole page.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true"
}

// render writes a component with the status, rendered whole into a buffer
// first so that a failure never leaves half a page.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render %s: %w", c.Path(), err)
	}
	h := c.Response().Header()
	// The same URL answers a page or an htmx fragment; pages show private
	// data and must not outlive a logout in a cache.
	h.Add(echo.HeaderVary, "HX-Request")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// page is the layout's view of the request: the user and the CSRF token.
func (s *Server) page(c echo.Context, title, nav string) web.Page {
	p := web.Page{Title: title, Nav: nav, CSRFToken: csrfToken(c), Flashes: s.takeFlashes(c)}
	if u := currentUser(c); u != nil {
		p.User = &web.User{Name: u.Username, Role: string(u.Role)}
	}
	return p
}

// pageError answers an error of a page: no session → 303 to the login page
// (which comes back here), an htmx request → the message in the flash
// area, anything else → an error page.
func (s *Server) pageError(c echo.Context, ae *Error) {
	if ae.Status == http.StatusUnauthorized {
		target := loginPath(returnPath(c))
		if isHTMX(c) {
			c.Response().Header().Set("HX-Redirect", target)
			_ = c.NoContent(http.StatusUnauthorized)
			return
		}
		_ = c.Redirect(http.StatusSeeOther, target)
		return
	}
	view := web.ErrorView{Status: ae.Status, Title: errorTitle(ae.Status), Message: sentence(ae.Message)}
	var err error
	if isHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", web.FlashTarget)
		h.Set("HX-Reswap", "innerHTML")
		err = s.render(c, ae.Status, web.ErrorMessage(view))
	} else {
		err = s.render(c, ae.Status, web.ErrorPage(s.page(c, view.Title, ""), view))
	}
	if err != nil {
		s.log.Error("render error page", "error", err)
		_ = c.String(ae.Status, view.Title+": "+view.Message)
	}
}

func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusRequestEntityTooLarge:
		return "Too large"
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusServiceUnavailable:
		return "Unavailable"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// sentence makes an API message (lower case, no full stop) read as a
// sentence on a page.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// returnPath is where to come back after logging in: the page asked for,
// or for a form the page it was on.
func returnPath(c echo.Context) string {
	req := c.Request()
	if req.Method == http.MethodGet {
		return localPath(req.URL.RequestURI())
	}
	if ref, err := url.Parse(req.Referer()); err == nil && ref.Host == req.Host {
		return localPath(ref.RequestURI())
	}
	return ""
}

// localPath returns p when it is a path on this server, "" otherwise, so a
// crafted ?next= cannot send the user to another site after logging in.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsFunc(p, unicode.IsControl) {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	if p == "/login" || strings.HasPrefix(p, "/login?") {
		return ""
	}
	return p
}

func loginPath(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// formError turns a validation error into the message and field of a form
// re-rendered with 422. Other errors (server faults, 404, 403) are returned
// for the error handler.
func formError(err error) (*Error, error) {
	var ae *Error
	if !errors.As(err, &ae) {
		ae = classify(err)
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity,
		http.StatusTooManyRequests, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return ae, nil
	}
	return nil, err
}

// formStatus is the status of a re-rendered form: 422 for what the user
// entered, or the error's own status when it says more (429, 413).
func formStatus(ae *Error) int {
	switch ae.Status {
	case http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return ae.Status
	}
	return http.StatusUnprocessableEntity
}

// Home and login.

func (s *Server) handleHomePage(c echo.Context) error {
	if currentUser(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, "/workflows")
}

// loginNotices are the messages the login page shows for ?reason=, so that
// no text from the URL is reflected into the page.
var loginNotices = map[string]string{
	"logout":   "You are logged out.",
	"password": "Your password was changed. Log in with the new one.",
}

func (s *Server) handleLoginPage(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, cmpOr(next, "/workflows"))
	}
	f := web.LoginForm{Next: next, Notice: loginNotices[c.QueryParam("reason")]}
	return s.render(c, http.StatusOK, web.LoginPage(s.page(c, "Log in", ""), f))
}

// handleLoginSubmit logs in from the form as POST /api/v1/login does, then
// goes to the page the user wanted.
func (s *Server) handleLoginSubmit(c echo.Context) error {
	username := strings.TrimSpace(c.FormValue("username"))
	next := localPath(c.FormValue("next"))
	if _, err := s.logIn(c, username, c.FormValue("password")); err != nil {
		ae, err := formError(err)
		if err != nil {
			return err
		}
		f := web.LoginForm{Username: username, Next: next, Error: sentence(ae.Message)}
		return s.render(c, formStatus(ae), web.LoginPage(s.page(c, "Log in", ""), f))
	}
	return c.Redirect(http.StatusSeeOther, cmpOr(next, "/workflows"))
}

func (s *Server) handleLogoutSubmit(c echo.Context) error {
	if err := s.logOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?reason=logout")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Workflows.

func (s *Server) handleWorkflowsPage(c echo.Context) error {
	v, err := s.workflowList(c, strings.TrimSpace(c.QueryParam("q")))
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, web.WorkflowTable(csrfToken(c), v))
	}
	return s.render(c, http.StatusOK, web.WorkflowsPage(s.page(c, "Workflows", web.NavWorkflows), v))
}

// workflowList lists the workflows whose name contains q, with their last runs.
func (s *Server) workflowList(c echo.Context, q string) (web.WorkflowList, error) {
	v := web.WorkflowList{Query: q, CanEdit: canEdit(c)}
	ws, err := s.store.Workflows(q)
	if err != nil {
		return v, err
	}
	for _, w := range ws {
		item := web.WorkflowItem{ID: w.ID, Name: w.Name, Revision: w.Revision, Updated: w.Updated, UpdatedBy: w.UpdatedBy}
		last, err := s.lastRun(w.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return v, err
		}
		if last != nil {
			r := runItem(*last)
			item.LastRun = &r
		}
		v.Items = append(v.Items, item)
	}
	return v, nil
}

// handleWorkflowCreateSubmit makes an empty workflow and opens it in the designer.
func (s *Server) handleWorkflowCreateSubmit(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	err := checkName(name)
	var w *storage.Workflow
	if err == nil {
		doc := &workflow.Workflow{Format: workflow.FormatVersion, Name: name, Nodes: []workflow.Node{}, Edges: []workflow.Edge{}}
		w, err = s.store.CreateWorkflow(doc, currentUser(c).Username)
	}
	if err != nil {
		ae, err := formError(err)
		if err != nil {
			return err
		}
		v, err := s.workflowList(c, "")
		if err != nil {
			return err
		}
		v.Create = web.CreateWorkflowForm{Name: name, Error: sentence(ae.Message)}
		return s.render(c, formStatus(ae), web.WorkflowsPage(s.page(c, "Workflows", web.NavWorkflows), v))
	}
	return c.Redirect(http.StatusSeeOther, "/workflows/"+w.ID)
}

func (s *Server) handleWorkflowDuplicateSubmit(c echo.Context) error {
	w, err := s.store.DuplicateWorkflow(c.Param("id"), "", currentUser(c).Username)
	if err != nil {
		return err
	}
	return s.workflowsChanged(c, web.Flash{Kind: web.FlashSuccess, Message: "Duplicated as “" + w.Name + "”."})
}

// handleWorkflowDeleteSubmit deletes a workflow as DELETE /api/v1/workflows/:id does.
func (s *Server) handleWorkflowDeleteSubmit(c echo.Context) error {
	w, err := s.deleteWorkflow(c, c.Param("id"))
	if err != nil {
		return err
	}
	return s.workflowsChanged(c, web.Flash{Kind: web.FlashSuccess, Message: "Deleted “" + w.Name + "”."})
}

// workflowsChanged answers a change to the list: for htmx the list again
// (filtered by the search the form included) with a message; otherwise a
// redirect back to the list.
func (s *Server) workflowsChanged(c echo.Context, msg web.Flash) error {
	if !isHTMX(c) {
		return s.redirectWithFlash(c, "/workflows", msg)
	}
	v, err := s.workflowList(c, strings.TrimSpace(c.FormValue("q")))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templ.Join(web.WorkflowTable(csrfToken(c), v), web.FlashOOB([]web.Flash{msg})))
}

func (s *Server) handleRunsPage(c echo.Context) error {
	w, err := s.store.Workflow(c.Param("id"))
	if err != nil {
		return err
	}
	rs, err := s.store.Runs(w.ID, 200)
	if err != nil {
		return err
	}
	v := web.RunHistory{WorkflowID: w.ID, WorkflowName: w.Name}
	for _, r := range rs {
		v.Runs = append(v.Runs, runItem(s.runSummary(r)))
	}
	return s.render(c, http.StatusOK, web.RunsPage(s.page(c, "Runs of "+w.Name, web.NavWorkflows), v))
}

// runItem is a run as the pages show it.
func runItem(r runJSON) web.RunItem {
	return web.RunItem{
		ID: r.ID, Revision: r.Revision, Status: string(r.Status), Created: r.Created, Started: r.Started,
		Duration: time.Duration(r.DurationMS) * time.Millisecond, StartedBy: r.StartedBy, Targets: r.Targets, Error: r.Error,
	}
}

func canEdit(c echo.Context) bool {
	u := currentUser(c)
	return u != nil && roleRank(u.Role) >= author
}

// Datasets.

func (s *Server) handleDatasetsPage(c echo.Context) error {
	v, err := s.datasetList(c)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, web.DatasetTable(v))
	}
	return s.render(c, http.StatusOK, web.DatasetsPage(s.page(c, "Datasets", web.NavDatasets), v))
}

func (s *Server) datasetList(c echo.Context) (web.DatasetList, error) {
	v := web.DatasetList{CanUpload: canEdit(c), MaxUploadBytes: s.cfg.MaxUploadBytes}
	ds, err := s.store.Datasets()
	if err != nil {
		return v, err
	}
	for _, d := range ds {
		v.Items = append(v.Items, datasetItem(d, &d.Latest))
	}
	return v, nil
}

func datasetItem(d *storage.Dataset, v *storage.DatasetVersion) web.DatasetItem {
	return web.DatasetItem{ID: d.ID, Name: d.Name, Format: v.Format, Version: v.Number, Rows: v.Rows,
		Columns: v.Cols, Size: v.Size, Updated: v.Created, Author: v.Author}
}

// handleDatasetUploadSubmit takes the upload form posted without
// JavaScript (with it, the page sends the file to POST /api/v1/datasets
// and shows its progress) and opens the new dataset.
func (s *Server) handleDatasetUploadSubmit(c echo.Context) error {
	d, err := s.upload(c, nil)
	if err != nil {
		ae, err := formError(err)
		if err != nil {
			return err
		}
		v, err := s.datasetList(c)
		if err != nil {
			return err
		}
		v.UploadError = sentence(ae.Message)
		return s.render(c, formStatus(ae), web.DatasetsPage(s.page(c, "Datasets", web.NavDatasets), v))
	}
	return c.Redirect(http.StatusSeeOther, "/datasets/"+d.ID)
}

// handleDatasetVersionSubmit takes a new version from the dataset page's
// form posted without JavaScript, and shows it.
func (s *Server) handleDatasetVersionSubmit(c echo.Context) error {
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return err
	}
	if d, err = s.upload(c, d); err != nil {
		return asFormError(err)
	}
	return c.Redirect(http.StatusSeeOther, "/datasets/"+d.ID)
}

// asFormError makes a refused upload 422 (shown as an error page), keeping
// statuses that say more, such as 413.
func asFormError(err error) error {
	ae, ferr := formError(err)
	if ferr != nil {
		return ferr
	}
	out := *ae
	out.Status = formStatus(ae)
	return &out
}

// handleDatasetPage shows a dataset version (?version=, default the
// latest) with its statistics and a page of rows (?offset=). For htmx it
// answers the page of rows alone.
func (s *Server) handleDatasetPage(c echo.Context) error {
	offset, err := intQuery(c, "offset", 0, 0, maxInt)
	if err != nil {
		return err
	}
	d, ver, err := s.datasetVersion(c)
	if err != nil {
		return err
	}
	pt, err := s.parsedTable(ver)
	if err != nil {
		return err
	}
	cols := pt.columns()
	pageURL := "/datasets/" + url.PathEscape(d.ID) + "?version=" + strconv.Itoa(ver.Number)
	preview := previewView("dataset-preview", pageURL, previewPageRows, pageTable(pt.table, cols, previewPageRows, offset))
	if isHTMX(c) {
		return s.render(c, http.StatusOK, web.PreviewTable(preview))
	}
	versions, err := s.store.DatasetVersions(d.ID)
	if err != nil {
		return err
	}
	uses, err := s.store.DatasetUsers(d.Name)
	if err != nil {
		return err
	}
	v := web.DatasetDetail{
		DatasetItem: datasetItem(d, ver), Created: d.Created, CreatedBy: d.CreatedBy,
		Profile: columnViews(cols), Preview: preview, CanEdit: canEdit(c),
	}
	for _, vv := range versions {
		v.Versions = append(v.Versions, vv.Number)
	}
	slices.Sort(v.Versions)
	slices.Reverse(v.Versions)
	for _, u := range uses {
		v.UsedBy = append(v.UsedBy, web.DatasetUse{WorkflowID: u.WorkflowID, WorkflowName: u.WorkflowName})
	}
	return s.render(c, http.StatusOK, web.DatasetPage(s.page(c, d.Name, web.NavDatasets), v))
}

// handleDatasetDeleteSubmit deletes a dataset as DELETE /api/v1/datasets/:id
// does; one in use is refused (409, an error page naming the workflows).
func (s *Server) handleDatasetDeleteSubmit(c echo.Context) error {
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.deleteDataset(c, d.ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/datasets", web.Flash{Kind: web.FlashSuccess, Message: "Deleted “" + d.Name + "”."})
}

// previewView maps a page of a table (of limit rows) to the view model of
// web.PreviewTable: id is the element id its pager targets and pageURL the
// URL that answers a page of it for htmx (the pager adds offset=).
func previewView(id, pageURL string, limit int, tp TablePreview) web.Preview {
	p := web.Preview{ID: id, Offset: tp.Offset, Limit: limit, Total: tp.Rows, PageURL: pageURL}
	for _, col := range tp.Columns {
		p.Columns = append(p.Columns, web.PreviewColumn{Name: col.Name, Type: col.Type})
	}
	for _, row := range tp.Data {
		cells := make([]web.Cell, len(row))
		for i, v := range row {
			cells[i] = cellView(v)
		}
		p.Rows = append(p.Rows, cells)
	}
	return p
}

// cellView formats a value of a preview row (as jsonValue made it).
func cellView(v any) web.Cell {
	switch x := v.(type) {
	case nil:
		return web.Cell{Null: true}
	case float64:
		return web.Cell{Text: strconv.FormatFloat(x, 'g', -1, 64), Numeric: true}
	case int64:
		return web.Cell{Text: strconv.FormatInt(x, 10), Numeric: true}
	case int:
		return web.Cell{Text: strconv.Itoa(x), Numeric: true}
	case string:
		return web.Cell{Text: x}
	case bool:
		return web.Cell{Text: strconv.FormatBool(x)}
	}
	return web.Cell{Text: fmt.Sprint(v)}
}

// columnViews maps columns with statistics to the view model of
// web.ColumnCard and web.Histogram.
func columnViews(cols []ColumnPreview) []web.Column {
	out := make([]web.Column, len(cols))
	for i, c := range cols {
		st := c.Stats
		out[i] = web.Column{Name: c.Name, Type: c.Type, Categorical: c.Categorical, Role: c.Role, Stats: web.ColumnStats{
			Count: st.Count, Missing: st.Missing, Unique: st.Unique, UniqueCapped: st.UniqueCapped, NonFinite: st.NonFinite,
			Mean: st.Mean, Std: st.Std, Min: st.Min, Q1: st.Q1, Median: st.Median, Q3: st.Q3, Max: st.Max,
			Earliest: st.Earliest, Latest: st.Latest, Mode: st.Mode,
		}}
		for _, b := range st.Histogram {
			out[i].Stats.Histogram = append(out[i].Stats.Histogram, web.Bin{Lo: b.Lo, Hi: b.Hi, Label: b.Label, Other: b.Other, Count: b.Count})
		}
	}
	return out
}

// Account.

func (s *Server) handleAccountPage(c echo.Context) error {
	v, err := s.account(c)
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, v)
}

func (s *Server) account(c echo.Context) (web.Account, error) {
	u := currentUser(c)
	v := web.Account{Username: u.Username, Role: string(u.Role)}
	toks, err := s.store.Tokens(u.ID)
	if err != nil {
		return v, err
	}
	for _, t := range toks {
		v.Tokens = append(v.Tokens, web.TokenItem{ID: t.ID, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed, Revoked: t.Revoked})
	}
	return v, nil
}

// renderAccount renders the account page, or for htmx its token section.
func (s *Server) renderAccount(c echo.Context, status int, v web.Account) error {
	if isHTMX(c) {
		return s.render(c, status, web.TokenSection(csrfToken(c), v))
	}
	return s.render(c, status, web.AccountPage(s.page(c, "Account", web.NavAccount), v))
}

// handlePasswordSubmit changes the password as POST /api/v1/me/password
// does; every session ends, so the user logs in again with the new one.
func (s *Server) handlePasswordSubmit(c echo.Context) error {
	current, next := c.FormValue("current_password"), c.FormValue("new_password")
	var err error
	if next != c.FormValue("confirm_password") {
		err = fieldErr("confirm_password", "the two new passwords differ")
	} else {
		err = s.changePassword(c, current, next)
	}
	if err != nil {
		ae, err := formError(err)
		if err != nil {
			return err
		}
		v, err := s.account(c)
		if err != nil {
			return err
		}
		v.Password = web.PasswordForm{Error: sentence(ae.Message), Field: ae.Field}
		// The password form is not an htmx form: always the whole page.
		return s.render(c, formStatus(ae), web.AccountPage(s.page(c, "Account", web.NavAccount), v))
	}
	return c.Redirect(http.StatusSeeOther, "/login?reason=password")
}

// handleTokenCreateSubmit makes an API token and shows its secret this once.
func (s *Server) handleTokenCreateSubmit(c echo.Context) error {
	name := c.FormValue("name")
	secret, tok, err := s.createToken(c, name)
	status := http.StatusOK
	var form web.TokenForm
	if err != nil {
		ae, err := formError(err)
		if err != nil {
			return err
		}
		status, form = formStatus(ae), web.TokenForm{Name: name, Error: sentence(ae.Message)}
	}
	v, err := s.account(c)
	if err != nil {
		return err
	}
	v.TokenForm = form
	if tok != nil {
		v.NewToken = &web.NewToken{Name: tok.Name, Secret: secret}
	}
	return s.renderAccount(c, status, v)
}

func (s *Server) handleTokenRevokeSubmit(c echo.Context) error {
	if err := s.revokeToken(c, c.Param("id")); err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/account")
	}
	v, err := s.account(c)
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, v)
}
