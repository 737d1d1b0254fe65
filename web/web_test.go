package web

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// render renders a component and parses the result as a document.
func render(t *testing.T, c templ.Component) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), doc
}

// all returns the elements under n that match.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func byTestID(n *html.Node, id string) []*html.Node {
	return all(n, func(d *html.Node) bool { return attr(d, "data-testid") == id })
}

// one returns the single element with the test id, failing otherwise.
func one(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := byTestID(n, id)
	if len(found) != 1 {
		t.Fatalf("want one element with data-testid=%q, found %d", id, len(found))
	}
	return found[0]
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// text is the element's text with whitespace collapsed (and a space
// between elements).
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func f(v float64) *float64 { return &v }

var (
	author = &User{Name: "ada", Role: "author"}
	viewer = &User{Name: "vic", Role: "viewer"}
	day    = time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)
)

// hashed matches the content hash in an asset URL.
var hashed = regexp.MustCompile(`\.[0-9a-f]{12}\.(js|css|svg)`)

// golden compares a rendering with testdata/name, asset hashes blanked so
// that rebuilding the bundles does not change the pages' golden files.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = hashed.ReplaceAllString(got, ".HASH.$1")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./web -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendering; if the change is intended, run go test ./web -update\n--- got ---\n%s", path, got)
	}
}

func TestGoldenLoginPage(t *testing.T) {
	got, _ := render(t, LoginPage(Page{Title: "Log in", CSRFToken: "csrf-token-1"}, LoginForm{Next: "/datasets", Username: "ada", Error: "Unknown username or wrong password."}))
	golden(t, "login.html", got)
}

func TestGoldenEmptyDatasetsPage(t *testing.T) {
	p := Page{Title: "Datasets", Nav: NavDatasets, User: author, CSRFToken: "csrf-token-1"}
	got, _ := render(t, DatasetsPage(p, DatasetList{CanUpload: true, MaxUploadBytes: 2 << 30}))
	golden(t, "datasets-empty.html", got)
}

// TestLayoutHasNoInlineCode checks what the CSP requires of every page: no
// inline script or style, no event handler attributes.
func TestLayoutHasNoInlineCode(t *testing.T) {
	pages := map[string]templ.Component{
		"login":     LoginPage(Page{}, LoginForm{}),
		"workflows": WorkflowsPage(Page{User: author}, sampleWorkflows()),
		"datasets":  DatasetsPage(Page{User: author}, DatasetList{CanUpload: true, Items: []DatasetItem{{ID: "d1", Name: "loans"}}}),
		"dataset":   DatasetPage(Page{User: author}, sampleDataset()),
		"runs":      RunsPage(Page{User: author}, RunHistory{WorkflowID: "w1", WorkflowName: "prep", Runs: []RunItem{{ID: "r1", Status: "failed", Error: "boom"}}}),
		"account":   AccountPage(Page{User: author}, Account{Username: "ada", Role: "author", Tokens: []TokenItem{{ID: "t1", Name: "ci"}}}),
		"error":     ErrorPage(Page{}, ErrorView{Status: 404, Title: "Not found", Message: "No such page."}),
	}
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			_, doc := render(t, c)
			for _, s := range all(doc, func(n *html.Node) bool { return n.Data == "script" }) {
				if attr(s, "src") == "" || s.FirstChild != nil {
					t.Errorf("inline script: %s", text(s))
				}
			}
			if styles := all(doc, func(n *html.Node) bool { return n.Data == "style" }); len(styles) > 0 {
				t.Errorf("%d <style> elements", len(styles))
			}
			for _, n := range all(doc, func(*html.Node) bool { return true }) {
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
						t.Errorf("<%s %s=%q>: inline code or style", n.Data, a.Key, a.Val)
					}
				}
			}
		})
	}
}

func TestLayoutNavigationShowsUserAndRole(t *testing.T) {
	_, doc := render(t, WorkflowsPage(Page{Nav: NavWorkflows, User: viewer, CSRFToken: "tok"}, WorkflowList{}))
	if got := text(one(t, doc, "nav-user")); got != "vic" {
		t.Errorf("user %q", got)
	}
	if got := text(one(t, doc, "nav-role")); got != "viewer" {
		t.Errorf("role %q", got)
	}
	if attr(one(t, doc, "nav-workflows"), "aria-current") != "page" || hasAttr(one(t, doc, "nav-datasets"), "aria-current") {
		t.Error("the workflows link is not the only current one")
	}
	metas := all(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "csrf-token" })
	if len(metas) != 1 || attr(metas[0], "content") != "tok" {
		t.Errorf("csrf meta %v", metas)
	}
	// A viewer gets no forms that change anything.
	if n := len(byTestID(doc, "create-workflow")); n != 0 {
		t.Errorf("viewer sees the create form")
	}
}

func TestLayoutLinksHashedAssets(t *testing.T) {
	_, doc := render(t, Layout(Page{Scripts: []string{"dist/designer.js"}, Styles: []string{"css/app.css"}}))
	var urls []string
	for _, n := range all(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "link" }) {
		urls = append(urls, attr(n, "src")+attr(n, "href"))
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "/static/") || !hashed.MatchString(u) {
			t.Errorf("asset URL %q is not content-hashed under /static/", u)
		}
	}
	if len(urls) != 5 { // icon, app.css, extra css, app.js, designer.js
		t.Errorf("asset URLs %v", urls)
	}
}

func TestLoginFormKeepsUsernameAndShowsError(t *testing.T) {
	_, doc := render(t, LoginPage(Page{CSRFToken: "tok"}, LoginForm{Username: "ada", Next: "/datasets", Error: "Wrong."}))
	if got := text(one(t, doc, "login-error")); got != "Wrong." {
		t.Errorf("error %q", got)
	}
	if got := attr(one(t, doc, "login-username"), "value"); got != "ada" {
		t.Errorf("username %q", got)
	}
	form := one(t, doc, "login-form")
	hidden := map[string]string{}
	for _, in := range all(form, func(n *html.Node) bool { return attr(n, "type") == "hidden" }) {
		hidden[attr(in, "name")] = attr(in, "value")
	}
	if hidden["next"] != "/datasets" || hidden["_csrf"] != "tok" {
		t.Errorf("hidden fields %v", hidden)
	}
	if len(byTestID(doc, "nav")) != 0 {
		t.Error("the login page shows the navigation")
	}
}

func sampleWorkflows() WorkflowList {
	return WorkflowList{CanEdit: true, Items: []WorkflowItem{
		{ID: "w1", Name: "Prepare loans", Revision: 7, Updated: day, UpdatedBy: "ada",
			LastRun: &RunItem{ID: "r1", Status: "succeeded", Started: day, Duration: 1500 * time.Millisecond}},
		{ID: "w2", Name: "Train", Revision: 1, Updated: day},
	}}
}

func TestWorkflowTable(t *testing.T) {
	_, doc := render(t, WorkflowsPage(Page{User: author}, sampleWorkflows()))
	rows := byTestID(doc, "workflow-row")
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if got := attr(one(t, rows[0], "workflow-open"), "href"); got != "/workflows/w1" {
		t.Errorf("designer link %q", got)
	}
	if got := attr(one(t, rows[0], "status-badge"), "data-status"); got != "succeeded" {
		t.Errorf("last run status %q", got)
	}
	if got := text(one(t, rows[1], "status-badge")); got != "never run" {
		t.Errorf("no run shows %q", got)
	}
	dup := one(t, rows[0], "workflow-duplicate").Parent
	if attr(dup, "action") != "/workflows/w1/duplicate" || attr(dup, "hx-post") != "/workflows/w1/duplicate" || attr(dup, "method") != "post" {
		t.Errorf("duplicate form %v", dup.Attr)
	}
	del := one(t, rows[0], "workflow-delete").Parent
	if attr(del, "hx-confirm") == "" || attr(del, "action") != "/workflows/w1/delete" {
		t.Errorf("delete form %v", del.Attr)
	}
	search := one(t, doc, "workflow-search")
	if attr(search, "hx-get") != "/workflows" || attr(search, "hx-target") != "#workflow-list" {
		t.Errorf("search %v", search.Attr)
	}
}

func TestWorkflowTableEmptySearch(t *testing.T) {
	_, doc := render(t, WorkflowTable("", WorkflowList{Query: "zzz"}))
	if got := text(one(t, doc, "workflows-empty")); !strings.Contains(got, "“zzz”") {
		t.Errorf("empty search says %q", got)
	}
}

func TestDatasetTable(t *testing.T) {
	v := DatasetList{Items: []DatasetItem{{ID: "d1", Name: "loans", Format: "csv", Version: 3, Rows: 12345, Columns: 9, Size: 1572864, Updated: day, Author: "ada"}}}
	_, doc := render(t, DatasetsPage(Page{User: viewer}, v))
	row := one(t, doc, "dataset-row")
	for id, want := range map[string]string{"dataset-rows": "12,345", "dataset-columns": "9", "dataset-size": "1.5 MB", "dataset-version": "3", "dataset-open": "loans"} {
		if got := text(one(t, row, id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if len(byTestID(doc, "upload-form")) != 0 {
		t.Error("a viewer sees the upload form")
	}
	list := one(t, doc, "dataset-list")
	if attr(list, "hx-trigger") != "datasets-changed from:body" || attr(list, "hx-get") != "/datasets" {
		t.Errorf("list does not refresh itself: %v", list.Attr)
	}
}

func TestUploadForm(t *testing.T) {
	_, doc := render(t, DatasetsPage(Page{User: author}, DatasetList{CanUpload: true, MaxUploadBytes: 1 << 20, UploadError: "Bad file."}))
	form := one(t, doc, "upload-form")
	if attr(form, "action") != "/datasets" || attr(form, "enctype") != "multipart/form-data" || attr(form, "data-endpoint") != "/api/v1/datasets" {
		t.Errorf("upload form %v", form.Attr)
	}
	input := one(t, doc, "upload-input")
	if attr(input, "type") != "file" || attr(input, "name") != "file" || !hasAttr(input, "multiple") {
		t.Errorf("file input %v", input.Attr)
	}
	one(t, doc, "dropzone")
	one(t, doc, "upload-list")
	if got := text(one(t, doc, "upload-error")); got != "Bad file." {
		t.Errorf("upload error %q", got)
	}
}

func sampleDataset() DatasetDetail {
	return DatasetDetail{
		DatasetItem: DatasetItem{ID: "d1", Name: "loans", Format: "csv", Version: 2, Rows: 3, Columns: 2, Size: 2048, Updated: day},
		Versions:    []int{2, 1},
		CanEdit:     true,
		Profile: []Column{
			{Name: "amount", Type: "float", Stats: ColumnStats{Count: 3, Missing: 1, Unique: 3, Mean: f(2), Std: f(1), Min: f(1), Q1: f(1.5), Median: f(2), Q3: f(2.5), Max: f(3),
				Histogram: []Bin{{Lo: f(1), Hi: f(2), Count: 1}, {Lo: f(2), Hi: f(3), Count: 2}}}},
			{Name: "grade", Type: "string", Stats: ColumnStats{Count: 3, Unique: 2, Mode: "A", Histogram: []Bin{{Label: "A", Count: 2}, {Label: "B", Count: 1}}}},
		},
		Preview: Preview{ID: "dataset-preview", PageURL: "/datasets/d1?version=2", Limit: 2, Total: 3,
			Columns: []PreviewColumn{{Name: "amount", Type: "float"}, {Name: "grade", Type: "string"}},
			Rows:    [][]Cell{{{Text: "1", Numeric: true}, {Text: "A"}}, {{Null: true}, {Text: "B"}}}},
	}
}

func TestDatasetPage(t *testing.T) {
	_, doc := render(t, DatasetPage(Page{User: author}, sampleDataset()))
	if got := text(one(t, doc, "fact-rows")); got != "Rows 3" {
		t.Errorf("rows fact %q", got)
	}
	cards := byTestID(doc, "column-stats")
	if len(cards) != 2 || attr(cards[0], "data-column") != "amount" {
		t.Fatalf("column cards %d", len(cards))
	}
	for id, want := range map[string]string{"stat-mean": "Mean 2", "stat-missing": "Missing 1", "stat-quartiles": "Q1 – Q3 1.5 – 2.5", "column-type": "float"} {
		if got := text(one(t, cards[0], id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := text(one(t, cards[1], "stat-mode")); got != "Most frequent A" {
		t.Errorf("mode %q", got)
	}
	if got := attr(one(t, doc, "dataset-download"), "href"); got != "/api/v1/datasets/d1/download?version=2" {
		t.Errorf("download %q", got)
	}
	preview := one(t, doc, "preview")
	if rows := byTestID(preview, "preview-row"); len(rows) != 2 {
		t.Errorf("%d preview rows", len(rows))
	}
	if got := text(one(t, preview, "preview-range")); got != "Rows 1–2 of 3" {
		t.Errorf("range %q", got)
	}
	next := one(t, preview, "preview-next")
	if attr(next, "href") != "/datasets/d1?offset=2&version=2" || attr(next, "hx-target") != "#dataset-preview" {
		t.Errorf("next link %v", next.Attr)
	}
	if prev := one(t, preview, "preview-prev"); attr(prev, "aria-disabled") != "true" || hasAttr(prev, "href") {
		t.Errorf("previous link on the first page %v", prev.Attr)
	}
	if nulls := all(preview, func(n *html.Node) bool { return n.Data == "td" && attr(n, "class") == "null" }); len(nulls) != 1 {
		t.Errorf("%d null cells", len(nulls))
	}
}

func TestHistogramNumeric(t *testing.T) {
	col := Column{Name: "x", Type: "float", Stats: ColumnStats{Count: 6, Histogram: []Bin{
		{Lo: f(0), Hi: f(10), Count: 1}, {Lo: f(10), Hi: f(20), Count: 0}, {Lo: f(20), Hi: f(30), Count: 5},
	}}}
	_, doc := render(t, Histogram(col))
	svg := one(t, doc, "histogram")
	if attr(svg, "data-kind") != "histogram" || attr(svg, "data-column") != "x" || attr(svg, "role") != "img" || attr(svg, "aria-label") == "" {
		t.Errorf("svg %v", svg.Attr)
	}
	bars := byTestID(svg, "histogram-bar")
	if len(bars) != 3 {
		t.Fatalf("%d bars", len(bars))
	}
	wantCounts := []string{"1", "0", "5"}
	wantHeights := []string{"19.2", "0", "96"}
	for i, b := range bars {
		if attr(b, "data-count") != wantCounts[i] || attr(b, "height") != wantHeights[i] {
			t.Errorf("bar %d: count %s height %s, want %s %s", i, attr(b, "data-count"), attr(b, "height"), wantCounts[i], wantHeights[i])
		}
	}
	if got := attr(bars[2], "data-label"); got != "[20, 30]" {
		t.Errorf("last bin label %q (the last bin is closed)", got)
	}
	if got := text(bars[0]); got != "[0, 10): 1 value" {
		t.Errorf("tooltip %q", got)
	}
}

func TestHistogramCategoriesFoldIntoOther(t *testing.T) {
	var bins []Bin
	for i := range 14 {
		bins = append(bins, Bin{Label: string(rune('a' + i)), Count: 20 - i})
	}
	bins = append(bins, Bin{Label: "other", Other: true, Count: 3})
	_, doc := render(t, Histogram(Column{Name: "c", Type: "string", Stats: ColumnStats{Histogram: bins}}))
	svg := one(t, doc, "histogram")
	if attr(svg, "data-kind") != "categories" {
		t.Errorf("kind %q", attr(svg, "data-kind"))
	}
	bars := byTestID(svg, "histogram-bar")
	if len(bars) != maxCategoryBars+1 {
		t.Fatalf("%d bars, want %d and other", len(bars), maxCategoryBars)
	}
	last := bars[len(bars)-1]
	// k..n (10..13 → counts 10, 9, 8, 7) plus the 3 already in other.
	if attr(last, "data-label") != "(other values)" || attr(last, "data-count") != "37" {
		t.Errorf("other bar %v", last.Attr)
	}
}

func TestHistogramWithoutValues(t *testing.T) {
	_, doc := render(t, Histogram(Column{Name: "empty"}))
	one(t, doc, "histogram-empty")
	if len(byTestID(doc, "histogram")) != 0 {
		t.Error("an empty column draws a chart")
	}
}

func TestRunsPage(t *testing.T) {
	v := RunHistory{WorkflowID: "w1", WorkflowName: "prep", Runs: []RunItem{
		{ID: "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001", Status: "failed", Error: "node x failed", Started: day, Duration: 2 * time.Second, Targets: []string{"n3"}},
		{ID: "r2", Status: "running", Created: day},
	}}
	_, doc := render(t, RunsPage(Page{User: viewer}, v))
	rows := byTestID(doc, "run-row")
	if len(rows) != 2 || attr(rows[0], "data-status") != "failed" {
		t.Fatalf("run rows %d", len(rows))
	}
	if got := text(one(t, rows[0], "run-error")); got != "node x failed" {
		t.Errorf("error %q", got)
	}
	if !strings.Contains(text(rows[0]), "up to n3") || !strings.Contains(text(rows[1]), "whole workflow") {
		t.Errorf("scope: %q / %q", text(rows[0]), text(rows[1]))
	}
	if got := attr(one(t, doc, "open-designer"), "href"); got != "/workflows/w1" {
		t.Errorf("designer link %q", got)
	}
}

func TestAccountPageShowsNewTokenOnce(t *testing.T) {
	v := Account{Username: "ada", Role: "author", NewToken: &NewToken{Name: "ci", Secret: "trl_secret"},
		Tokens: []TokenItem{{ID: "t1", Name: "ci", Created: day}, {ID: "t0", Name: "old", Created: day, Revoked: day}}}
	_, doc := render(t, AccountPage(Page{User: author}, v))
	if got := text(one(t, doc, "new-token-secret")); got != "trl_secret" {
		t.Errorf("secret %q", got)
	}
	rows := byTestID(doc, "token-row")
	if len(rows) != 2 {
		t.Fatalf("%d token rows", len(rows))
	}
	if len(byTestID(rows[0], "token-revoke")) != 1 || len(byTestID(rows[1], "token-revoke")) != 0 {
		t.Error("only the active token can be revoked")
	}
	if got := text(one(t, rows[1], "token-status")); got != "revoked" {
		t.Errorf("status %q", got)
	}
	_, doc = render(t, AccountPage(Page{User: author}, Account{Password: PasswordForm{Field: "current_password", Error: "Wrong."}}))
	if attr(one(t, doc, "current_password"), "aria-invalid") != "true" || text(one(t, doc, "password-error")) != "Wrong." {
		t.Error("the password error is not at its field")
	}
}

func TestErrorPage(t *testing.T) {
	_, doc := render(t, ErrorPage(Page{User: author}, ErrorView{Status: 403, Title: "Not allowed", Message: "This needs the author role."}))
	page := one(t, doc, "error-page")
	if attr(page, "data-status") != "403" || text(one(t, page, "error-message")) != "This needs the author role." {
		t.Errorf("error page %q", text(page))
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		give float64
		want string
	}{
		{0, "0"}, {3, "3"}, {-1234567, "-1,234,567"}, {0.5, "0.5"}, {2.0 / 3, "0.6667"}, {123.456, "123.5"},
		{12345.678, "12,346"}, {1e20, "1e+20"}, {0.00001234, "1.234e-05"},
	}
	for _, tt := range tests {
		if got := FormatNumber(tt.give); got != tt.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
	compact := []struct {
		give float64
		want string
	}{{0, "0"}, {1234, "1.2k"}, {2500000, "2.5M"}, {0.125, "0.125"}, {-42, "-42"}, {7.26, "7.3"}}
	for _, tt := range compact {
		if got := FormatCompact(tt.give); got != tt.want {
			t.Errorf("FormatCompact(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
	bytes := []struct {
		give int64
		want string
	}{{1, "1 byte"}, {1023, "1023 bytes"}, {1536, "1.5 KB"}, {2 << 30, "2 GB"}, {123456789, "118 MB"}}
	for _, tt := range bytes {
		if got := FormatBytes(tt.give); got != tt.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
	durations := []struct {
		give time.Duration
		want string
	}{{0, "—"}, {850 * time.Millisecond, "850 ms"}, {12300 * time.Millisecond, "12.3 s"}, {243 * time.Second, "4 min 3 s"}, {125 * time.Minute, "2 h 5 min"}}
	for _, tt := range durations {
		if got := FormatDuration(tt.give); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
