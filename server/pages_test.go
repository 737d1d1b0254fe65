package server

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/trellis-studio/trellis/storage"
)

// form posts form values as a browser does.
func (c *client) form(path string, values url.Values, headers map[string]string) *httptest.ResponseRecorder {
	c.ts.t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	maps.Copy(h, headers)
	return c.doHeaders(http.MethodPost, path, values.Encode(), h)
}

// htmx sends a request as htmx does.
var htmx = map[string]string{"HX-Request": "true"}

// parseHTML parses a response body, failing the test unless it is HTML.
func parseHTML(t *testing.T, rec *httptest.ResponseRecorder) *html.Node {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q, want HTML: %s", ct, rec.Body)
	}
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func elements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func testID(n *html.Node, id string) []*html.Node {
	return elements(n, func(d *html.Node) bool { return htmlAttr(d, "data-testid") == id })
}

func htmlAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func htmlText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data + " ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// onlyTestID returns the one element with the test id.
func onlyTestID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := testID(n, id)
	if len(found) != 1 {
		t.Fatalf("%d elements with data-testid=%q", len(found), id)
	}
	return found[0]
}

// isFullPage reports whether a body is a whole document, not a fragment.
func isFullPage(rec *httptest.ResponseRecorder) bool {
	return strings.HasPrefix(strings.ToLower(rec.Body.String()), "<!doctype html>")
}

func TestPagesRedirectAnonymousToLogin(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		give string
		want string
	}{
		{"/workflows", "/login?next=%2Fworkflows"},
		{"/datasets/abc?offset=50", "/login?next=%2Fdatasets%2Fabc%3Foffset%3D50"},
		{"/account", "/login?next=%2Faccount"},
		{"/workflows/w1/runs", "/login?next=%2Fworkflows%2Fw1%2Fruns"},
		{"/", "/login"},
	}
	for _, tt := range tests {
		res := ts.anonymous().do(http.MethodGet, tt.give, nil)
		if res.Code != http.StatusSeeOther || res.Header().Get("Location") != tt.want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", tt.give, res.Code, res.Header().Get("Location"), tt.want)
		}
	}
	// An htmx request is told to load the login page instead of swapping it in.
	res := ts.anonymous().doHeaders(http.MethodGet, "/workflows?q=x", nil, htmx)
	if res.Code != http.StatusUnauthorized || res.Header().Get("HX-Redirect") != "/login?next=%2Fworkflows%3Fq%3Dx" {
		t.Errorf("htmx: %d, HX-Redirect %q", res.Code, res.Header().Get("HX-Redirect"))
	}
	// The API still answers JSON.
	res = ts.anonymous().do(http.MethodGet, "/api/v1/workflows", nil)
	if res.Code != http.StatusUnauthorized || !strings.HasPrefix(res.Header().Get("Content-Type"), "application/json") {
		t.Errorf("API: %d %s", res.Code, res.Header().Get("Content-Type"))
	}
}

func TestLoginFormStartsSessionAndRedirects(t *testing.T) {
	ts := newTestServer(t)
	c := ts.anonymous()
	page := c.do(http.MethodGet, "/login?next=/datasets", nil)
	doc := parseHTML(t, page)
	if page.Code != http.StatusOK {
		t.Fatalf("login page: %d", page.Code)
	}
	next := elements(onlyTestID(t, doc, "login-form"), func(n *html.Node) bool { return htmlAttr(n, "name") == "next" })
	if len(next) != 1 || htmlAttr(next[0], "value") != "/datasets" {
		t.Errorf("next field %v", next)
	}

	res := c.form("/login", url.Values{"username": {"author1"}, "password": {testPassword}, "next": {"/datasets"}}, nil)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/datasets" {
		t.Fatalf("login: %d to %q: %s", res.Code, res.Header().Get("Location"), res.Body)
	}
	if c.cookies["__Host-trellis_session"] == nil {
		t.Fatalf("no session cookie: %v", res.Result().Cookies())
	}
	res = c.do(http.MethodGet, "/datasets", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("datasets after login: %d", res.Code)
	}
	doc = parseHTML(t, res)
	if got := htmlText(onlyTestID(t, doc, "nav-user")); got != "author1" {
		t.Errorf("nav shows %q", got)
	}
	if got := htmlText(onlyTestID(t, doc, "nav-role")); got != "author" {
		t.Errorf("role %q", got)
	}
	// Logged in, the login page sends the user on.
	if res := c.do(http.MethodGet, "/login", nil); res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/workflows" {
		t.Errorf("login page when logged in: %d to %q", res.Code, res.Header().Get("Location"))
	}
	// Logging out ends the session.
	res = c.form("/logout", nil, nil)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/login?reason=logout" {
		t.Errorf("logout: %d to %q", res.Code, res.Header().Get("Location"))
	}
	if res := c.do(http.MethodGet, "/datasets", nil); res.Code != http.StatusSeeOther {
		t.Errorf("after logout: %d", res.Code)
	}
}

func TestLoginFormWrongPasswordRerendersWith422(t *testing.T) {
	ts := newTestServer(t)
	c := ts.anonymous()
	res := c.form("/login", url.Values{"username": {"author1"}, "password": {"not the password"}, "next": {"/account"}}, nil)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Code)
	}
	doc := parseHTML(t, res)
	if got := htmlText(onlyTestID(t, doc, "login-error")); got != "Unknown username or wrong password." {
		t.Errorf("message %q", got)
	}
	if got := htmlAttr(onlyTestID(t, doc, "login-username"), "value"); got != "author1" {
		t.Errorf("username not kept: %q", got)
	}
	if c.cookies["__Host-trellis_session"] != nil {
		t.Error("a failed login set a session cookie")
	}
	// An unknown user reads the same.
	other := ts.anonymous().form("/login", url.Values{"username": {"nobody"}, "password": {"not the password"}, "next": {"/account"}}, nil)
	if other.Code != res.Code || other.Body.String() != strings.ReplaceAll(res.Body.String(), `value="author1"`, `value="nobody"`) {
		t.Error("an unknown user and a wrong password read differently")
	}
}

func TestLoginNextStaysOnThisSite(t *testing.T) {
	ts := newTestServer(t)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "datasets"} {
		res := ts.anonymous().form("/login", url.Values{"username": {"viewer1"}, "password": {testPassword}, "next": {next}}, nil)
		if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/workflows" {
			t.Errorf("next %q: %d to %q", next, res.Code, res.Header().Get("Location"))
		}
	}
}

func TestLoginFormNeedsCSRFTokenWithoutFetchMetadata(t *testing.T) {
	ts := newTestServer(t)
	// An old browser (no Sec-Fetch-Site) without the page's token is refused.
	bare := &client{ts: ts, cookies: map[string]*http.Cookie{}}
	if res := bare.form("/login", url.Values{"username": {"viewer1"}, "password": {testPassword}}, nil); res.Code != http.StatusForbidden {
		t.Errorf("login without a CSRF token: %d", res.Code)
	}
	legacy := &client{ts: ts, cookies: map[string]*http.Cookie{}}
	doc := parseHTML(t, legacy.do(http.MethodGet, "/login", nil))
	fields := elements(doc, func(n *html.Node) bool { return htmlAttr(n, "name") == "_csrf" })
	if len(fields) != 1 || htmlAttr(fields[0], "value") == "" {
		t.Fatalf("the login form has no CSRF field")
	}
	ck := legacy.cookies["__Host-trellis_csrf"]
	if ck == nil {
		t.Fatalf("no CSRF cookie")
	}
	// The form field carries the token (the test client would send the
	// header, so the request is made by hand).
	form := url.Values{"username": {"viewer1"}, "password": {testPassword}, "_csrf": {htmlAttr(fields[0], "value")}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Host = "127.0.0.1:8080"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Errorf("login with the form's token: %d %s", rec.Code, rec.Body)
	}
}

// TestEveryPageHasCSPAndNoInlineScript renders every page and checks that
// the policy is sent and that nothing needs it relaxed.
func TestEveryPageHasCSPAndNoInlineScript(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	ds := c.mustUpload("loans", loansCSV)
	created := c.do(http.MethodPost, "/api/v1/workflows", map[string]string{"name": "Prepare"})
	if created.Code != http.StatusCreated {
		t.Fatal(created.Body)
	}
	wf := decode[workflowJSON](t, created)
	pages := []string{"/login?next=/x", "/workflows", "/workflows?q=prep", "/datasets", "/datasets/" + ds.ID, "/workflows/" + wf.ID + "/runs", "/account", "/datasets/missing"}
	for _, path := range pages {
		caller := c
		if strings.HasPrefix(path, "/login") {
			caller = ts.anonymous()
		}
		res := caller.do(http.MethodGet, path, nil)
		if res.Code != http.StatusOK && path != "/datasets/missing" {
			t.Errorf("GET %s: %d", path, res.Code)
			continue
		}
		csp := res.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		doc := parseHTML(t, res)
		for _, s := range elements(doc, func(n *html.Node) bool { return n.Data == "script" }) {
			if htmlAttr(s, "src") == "" || s.FirstChild != nil {
				t.Errorf("GET %s: inline script %q", path, htmlText(s))
			}
		}
		for _, n := range elements(doc, func(*html.Node) bool { return true }) {
			if n.Data == "style" {
				t.Errorf("GET %s: <style> element", path)
			}
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("GET %s: <%s %s>", path, n.Data, a.Key)
				}
			}
		}
	}
}

func TestHashedStaticURLIsServedImmutable(t *testing.T) {
	ts := newTestServer(t)
	res := ts.anonymous().do(http.MethodGet, "/login", nil)
	m := regexp.MustCompile(`src="(/static/dist/app\.[0-9a-f]{12}\.js)"`).FindStringSubmatch(res.Body.String())
	if m == nil {
		t.Fatalf("no hashed app.js in the login page: %s", res.Body)
	}
	asset := ts.anonymous().do(http.MethodGet, m[1], nil)
	if asset.Code != http.StatusOK || asset.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: %d, Cache-Control %q", m[1], asset.Code, asset.Header().Get("Cache-Control"))
	}
	if asset.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("assets miss the security headers")
	}
	stale := ts.anonymous().do(http.MethodGet, "/static/dist/app.0123456789ab.js", nil)
	if stale.Code != http.StatusNotFound {
		t.Errorf("unknown hash: %d", stale.Code)
	}
}

func TestHTMXGetsFragments(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	for _, name := range []string{"Prepare loans", "Train"} {
		c.do(http.MethodPost, "/api/v1/workflows", map[string]string{"name": name})
	}
	full := c.do(http.MethodGet, "/workflows?q=prep", nil)
	if !isFullPage(full) {
		t.Errorf("a plain request got a fragment: %.80s", full.Body)
	}
	frag := c.doHeaders(http.MethodGet, "/workflows?q=prep", nil, htmx)
	if frag.Code != http.StatusOK || isFullPage(frag) || strings.Contains(frag.Body.String(), "<nav") {
		t.Fatalf("htmx request: %d %.120s", frag.Code, frag.Body)
	}
	if !strings.Contains(frag.Header().Get("Vary"), "HX-Request") {
		t.Errorf("Vary %q", frag.Header().Get("Vary"))
	}
	doc := parseHTML(t, frag)
	rows := testID(doc, "workflow-row")
	if len(rows) != 1 || htmlAttr(rows[0], "data-name") != "Prepare loans" {
		t.Errorf("search fragment rows %d", len(rows))
	}
	// A history restore wants the whole page.
	restore := c.doHeaders(http.MethodGet, "/workflows", nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
	if !isFullPage(restore) {
		t.Error("history restore got a fragment")
	}
}

func TestWorkflowForms(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	res := c.form("/workflows", url.Values{"name": {"  Score applicants "}}, nil)
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header().Get("Location"), "/workflows/") {
		t.Fatalf("create: %d to %q: %s", res.Code, res.Header().Get("Location"), res.Body)
	}
	id := strings.TrimPrefix(res.Header().Get("Location"), "/workflows/")
	w, err := ts.store.Workflow(id)
	if err != nil || w.Name != "Score applicants" || w.CreatedBy != "author1" {
		t.Fatalf("created %+v, %v", w, err)
	}

	res = c.form("/workflows", url.Values{"name": {"   "}}, nil)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", res.Code)
	}
	if got := htmlText(onlyTestID(t, parseHTML(t, res), "create-workflow-error")); !strings.Contains(got, "name") {
		t.Errorf("error %q", got)
	}

	// Duplicate with htmx: the list comes back with a message out of band.
	res = c.form("/workflows/"+id+"/duplicate", url.Values{"q": {"score"}}, htmx)
	if res.Code != http.StatusOK || isFullPage(res) {
		t.Fatalf("duplicate: %d", res.Code)
	}
	doc := parseHTML(t, res)
	if rows := testID(doc, "workflow-row"); len(rows) != 2 {
		t.Errorf("%d rows after duplicating", len(rows))
	}
	flash := onlyTestID(t, doc, "flash-area")
	if htmlAttr(flash, "hx-swap-oob") != "true" || !strings.Contains(htmlText(flash), "Duplicated") {
		t.Errorf("flash %q", htmlText(flash))
	}

	// Delete without JavaScript: back to the list.
	res = c.form("/workflows/"+id+"/delete", nil, nil)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/workflows" {
		t.Fatalf("delete: %d %q", res.Code, res.Header().Get("Location"))
	}
	if _, err := ts.store.Workflow(id); err == nil {
		t.Error("the workflow is still there")
	}
	// The page it lands on says what happened, once.
	if got := flashText(t, c.do(http.MethodGet, "/workflows", nil)); !strings.Contains(got, "Deleted “Score applicants”.") {
		t.Errorf("flash after the redirect %q", got)
	}
	if got := flashText(t, c.do(http.MethodGet, "/workflows", nil)); got != "" {
		t.Errorf("flash shown twice: %q", got)
	}

	// A viewer may not: an error page, not JSON.
	res = ts.login(storage.RoleViewer).form("/workflows", url.Values{"name": {"x"}}, nil)
	if res.Code != http.StatusForbidden {
		t.Fatalf("viewer create: %d", res.Code)
	}
	if got := htmlAttr(onlyTestID(t, parseHTML(t, res), "error-page"), "data-status"); got != "403" {
		t.Errorf("error page status %q", got)
	}
}

func TestRunsPage(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	wf := decode[workflowJSON](t, ts.login(storage.RoleAuthor).do(http.MethodPost, "/api/v1/workflows", map[string]string{"name": "Prepare"}))
	res := c.do(http.MethodGet, "/workflows/"+wf.ID+"/runs", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("runs page: %d", res.Code)
	}
	onlyTestID(t, parseHTML(t, res), "runs-empty")
	if res := c.do(http.MethodGet, "/workflows/nope/runs", nil); res.Code != http.StatusNotFound {
		t.Errorf("runs of a missing workflow: %d", res.Code)
	}
}

func TestDatasetPages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	var csv strings.Builder
	csv.WriteString("id,amount,grade\n")
	for i := range 120 {
		csv.WriteString(strings.Join([]string{strconv.Itoa(i), strconv.Itoa(i * 10), string(rune('A' + i%3))}, ",") + "\n")
	}
	ds := c.mustUpload("applicants", csv.String())

	list := parseHTML(t, c.do(http.MethodGet, "/datasets", nil))
	row := onlyTestID(t, list, "dataset-row")
	if htmlText(onlyTestID(t, row, "dataset-rows")) != "120" || htmlText(onlyTestID(t, row, "dataset-columns")) != "3" {
		t.Errorf("row %q", htmlText(row))
	}
	onlyTestID(t, list, "upload-form")
	// The list fragment an upload refreshes.
	frag := c.doHeaders(http.MethodGet, "/datasets", nil, htmx)
	if isFullPage(frag) || len(testID(parseHTML(t, frag), "dataset-row")) != 1 {
		t.Errorf("list fragment: %.100s", frag.Body)
	}

	res := c.do(http.MethodGet, "/datasets/"+ds.ID, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("dataset page: %d %s", res.Code, res.Body)
	}
	doc := parseHTML(t, res)
	cards := testID(doc, "column-stats")
	if len(cards) != 3 {
		t.Fatalf("%d column cards", len(cards))
	}
	amount := cards[1]
	if htmlAttr(amount, "data-column") != "amount" || htmlText(onlyTestID(t, amount, "stat-mean")) != "Mean 595" {
		t.Errorf("amount card %q", htmlText(amount))
	}
	bars := testID(onlyTestID(t, amount, "histogram"), "histogram-bar")
	total := 0
	for _, b := range bars {
		total += atoi(t, htmlAttr(b, "data-count"))
	}
	if len(bars) == 0 || total != 120 {
		t.Errorf("%d bars holding %d values", len(bars), total)
	}
	if kind := htmlAttr(onlyTestID(t, cards[2], "histogram"), "data-kind"); kind != "categories" {
		t.Errorf("grade chart %q", kind)
	}
	preview := onlyTestID(t, doc, "preview")
	if n := len(testID(preview, "preview-row")); n != previewPageRows {
		t.Errorf("%d preview rows", n)
	}
	next := htmlAttr(onlyTestID(t, preview, "preview-next"), "hx-get")
	if next != "/datasets/"+ds.ID+"?offset=50&version=1" {
		t.Fatalf("next page %q", next)
	}
	page := c.doHeaders(http.MethodGet, next, nil, htmx)
	if isFullPage(page) {
		t.Fatal("paging got a whole page")
	}
	pdoc := parseHTML(t, page)
	if got := htmlText(onlyTestID(t, pdoc, "preview-range")); got != "Rows 51–100 of 120" {
		t.Errorf("second page %q", got)
	}
	if res := c.do(http.MethodGet, "/datasets/"+ds.ID+"?offset=-1", nil); res.Code != http.StatusBadRequest || !isFullPage(res) {
		t.Errorf("bad offset: %d", res.Code)
	}
}

func TestDatasetUploadFormWithoutJavaScript(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	body, ct := multipartBody(t, map[string]string{"name": "loans"}, "loans.csv", "text/csv", loansCSV)
	res := c.doHeaders(http.MethodPost, "/datasets", body, map[string]string{"Content-Type": ct})
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header().Get("Location"), "/datasets/") {
		t.Fatalf("upload: %d %q %s", res.Code, res.Header().Get("Location"), res.Body)
	}
	// The same name again: the page comes back with the reason.
	body, ct = multipartBody(t, map[string]string{"name": "loans"}, "loans.csv", "text/csv", loansCSV)
	res = c.doHeaders(http.MethodPost, "/datasets", body, map[string]string{"Content-Type": ct})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate name: %d", res.Code)
	}
	if got := htmlText(onlyTestID(t, parseHTML(t, res), "upload-error")); !strings.Contains(got, "already exists") {
		t.Errorf("message %q", got)
	}

	// A new version from the dataset page.
	d, err := ts.store.DatasetByName("loans")
	if err != nil {
		t.Fatal(err)
	}
	body, ct = multipartBody(t, nil, "loans-2.csv", "text/csv", loansCSV+"4,10,C\n")
	res = c.doHeaders(http.MethodPost, "/datasets/"+d.ID+"/versions", body, map[string]string{"Content-Type": ct})
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/datasets/"+d.ID {
		t.Fatalf("new version: %d %q %s", res.Code, res.Header().Get("Location"), res.Body)
	}
	if d, _ = ts.store.Dataset(d.ID); d.Latest.Number != 2 || d.Latest.Rows != 4 {
		t.Errorf("latest version %d with %d rows", d.Latest.Number, d.Latest.Rows)
	}
	body, ct = multipartBody(t, nil, "empty.csv", "text/csv", "")
	res = c.doHeaders(http.MethodPost, "/datasets/"+d.ID+"/versions", body, map[string]string{"Content-Type": ct})
	if res.Code != http.StatusUnprocessableEntity || !isFullPage(res) {
		t.Errorf("empty version: %d", res.Code)
	}
	doc := parseHTML(t, c.do(http.MethodGet, "/datasets/"+d.ID, nil))
	if got := htmlAttr(onlyTestID(t, doc, "version-upload-form"), "data-endpoint"); got != "/api/v1/datasets/"+d.ID+"/versions" {
		t.Errorf("version form endpoint %q", got)
	}
	if n := len(testID(doc, "dataset-versions")); n != 1 {
		t.Errorf("no version picker for two versions")
	}
}

func TestDatasetDeleteForm(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	ds := c.mustUpload("loans", loansCSV)
	res := c.form("/datasets/"+ds.ID+"/delete", nil, nil)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/datasets" {
		t.Fatalf("delete: %d %q", res.Code, res.Header().Get("Location"))
	}
	if res := c.do(http.MethodGet, "/datasets/"+ds.ID, nil); res.Code != http.StatusNotFound || !isFullPage(res) {
		t.Errorf("deleted dataset page: %d", res.Code)
	}
	// The 404 page above took the message; deleting another shows it on the list.
	ds = c.mustUpload("loans", loansCSV)
	c.form("/datasets/"+ds.ID+"/delete", nil, nil)
	if got := flashText(t, c.do(http.MethodGet, "/datasets", nil)); !strings.Contains(got, "Deleted “loans”.") {
		t.Errorf("flash after the redirect %q", got)
	}
}

// flashText is the text of a full page's flash area.
func flashText(t *testing.T, res *httptest.ResponseRecorder) string {
	t.Helper()
	if res.Code != http.StatusOK {
		t.Fatalf("%d: %s", res.Code, res.Body)
	}
	return strings.TrimSpace(strings.ReplaceAll(htmlText(onlyTestID(t, parseHTML(t, res), "flash-area")), "×", ""))
}

func TestFlashCookieIsCheckedAndShownOnce(t *testing.T) {
	ts := newTestServer(t)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, value, want string
	}{
		{"a message", enc(`{"Kind":"success","Message":"Saved."}`), "Saved."},
		{"markup stays text", enc(`{"Kind":"info","Message":"<b>hi</b>"}`), "<b>hi</b>"},
		{"unknown kind", enc(`{"Kind":"x\" onclick=\"y","Message":"m"}`), ""},
		{"empty message", enc(`{"Kind":"info","Message":""}`), ""},
		{"too long", enc(`{"Kind":"info","Message":"` + strings.Repeat("a", maxFlashMessage+1) + `"}`), ""},
		{"not base64", "%%%", ""},
		{"not JSON", enc("nope"), ""},
	}
	c := ts.login(storage.RoleViewer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.cookies[flashCookie] = &http.Cookie{Name: flashCookie, Value: tt.value}
			if got := flashText(t, c.do(http.MethodGet, "/workflows", nil)); got != tt.want {
				t.Errorf("flash %q, want %q", got, tt.want)
			}
			if _, ok := c.cookies[flashCookie]; ok {
				t.Error("the cookie was not cleared")
			}
		})
	}
}

func TestAccountTokens(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	res := c.form("/account/tokens", url.Values{"name": {"nightly"}}, htmx)
	if res.Code != http.StatusOK || isFullPage(res) {
		t.Fatalf("create token: %d", res.Code)
	}
	doc := parseHTML(t, res)
	secret := htmlText(onlyTestID(t, doc, "new-token-secret"))
	if secret == "" {
		t.Fatal("no secret shown")
	}
	api := &client{ts: ts, cookies: map[string]*http.Cookie{}, token: secret}
	if res := api.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusOK {
		t.Errorf("the new token does not work: %d", res.Code)
	}
	// Shown once: the account page lists the token without its secret.
	page := c.do(http.MethodGet, "/account", nil)
	if strings.Contains(page.Body.String(), secret) {
		t.Error("the secret is shown again")
	}
	row := onlyTestID(t, parseHTML(t, page), "token-row")
	id := htmlAttr(row, "data-id")

	if res := c.form("/account/tokens", url.Values{"name": {""}}, htmx); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("nameless token: %d", res.Code)
	} else if got := htmlText(onlyTestID(t, parseHTML(t, res), "token-error")); !strings.Contains(got, "name") {
		t.Errorf("error %q", got)
	}

	res = c.form("/account/tokens/"+id+"/revoke", nil, nil)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.Code)
	}
	if res := api.do(http.MethodGet, "/api/v1/me", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", res.Code)
	}
	// Someone else's token is not found.
	other := ts.login(storage.RoleAuthor).form("/account/tokens/"+id+"/revoke", nil, htmx)
	if other.Code != http.StatusNotFound || other.Header().Get("HX-Retarget") != "#flash" {
		t.Errorf("revoking another's token: %d, retarget %q", other.Code, other.Header().Get("HX-Retarget"))
	}
}

func TestAccountPassword(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	res := c.form("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"a new password!"}, "confirm_password": {"another one!!"}}, nil)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("mismatch: %d", res.Code)
	}
	if got := htmlAttr(onlyTestID(t, parseHTML(t, res), "confirm_password"), "aria-invalid"); got != "true" {
		t.Error("the mismatch is not marked at its field")
	}
	res = c.form("/account/password", url.Values{"current_password": {"wrong password!"}, "new_password": {"a new password!"}, "confirm_password": {"a new password!"}}, nil)
	if res.Code != http.StatusUnprocessableEntity || htmlAttr(onlyTestID(t, parseHTML(t, res), "current_password"), "aria-invalid") != "true" {
		t.Fatalf("wrong current password: %d", res.Code)
	}
	res = c.form("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"a new password!"}, "confirm_password": {"a new password!"}}, nil)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/login?reason=password" {
		t.Fatalf("change: %d %q", res.Code, res.Header().Get("Location"))
	}
	if res := c.do(http.MethodGet, "/account", nil); res.Code != http.StatusSeeOther {
		t.Errorf("the old session survived: %d", res.Code)
	}
	login := ts.anonymous().form("/login", url.Values{"username": {"viewer1"}, "password": {"a new password!"}}, nil)
	if login.Code != http.StatusSeeOther {
		t.Errorf("login with the new password: %d", login.Code)
	}
}

func TestPageErrors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleViewer)
	res := c.do(http.MethodGet, "/datasets/no-such-dataset", nil)
	if res.Code != http.StatusNotFound {
		t.Fatalf("status %d", res.Code)
	}
	page := onlyTestID(t, parseHTML(t, res), "error-page")
	if htmlAttr(page, "data-status") != "404" {
		t.Errorf("error page %q", htmlText(page))
	}
	// An unknown URL a browser asks for is a page too; the API's stay JSON.
	res = c.doHeaders(http.MethodGet, "/no/such/page", nil, map[string]string{"Accept": "text/html,application/xhtml+xml"})
	if res.Code != http.StatusNotFound || !isFullPage(res) {
		t.Errorf("unknown page: %d %.60s", res.Code, res.Body)
	}
	res = c.doHeaders(http.MethodGet, "/api/v1/nothing", nil, map[string]string{"Accept": "text/html"})
	if res.Code != http.StatusNotFound || !strings.HasPrefix(res.Header().Get("Content-Type"), "application/json") {
		t.Errorf("unknown API route: %d %s", res.Code, res.Header().Get("Content-Type"))
	}
	// An htmx request gets the message in the flash area.
	res = c.doHeaders(http.MethodGet, "/datasets/no-such-dataset?offset=50", nil, htmx)
	if res.Code != http.StatusNotFound || res.Header().Get("HX-Retarget") != "#flash" || isFullPage(res) {
		t.Errorf("htmx error: %d retarget %q", res.Code, res.Header().Get("HX-Retarget"))
	}
	onlyTestID(t, parseHTML(t, res), "flash")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
