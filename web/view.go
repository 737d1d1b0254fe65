// Package web renders Trellis's HTML pages with templ. Components take view
// models — the plain structs in this file — and nothing else: no storage,
// echo or server types, so a page can be rendered and tested with literal
// values. The server maps its data to these structs and renders a whole
// page, or a fragment of one for htmx requests.
//
// Pages share Layout (head, navigation, flash area); the table preview,
// ColumnCard and Histogram components are meant for any view of a table,
// dataset or run output alike.
package web

import (
	"time"
)

// The sections of the navigation, for Page.Nav.
const (
	NavWorkflows = "workflows"
	NavDatasets  = "datasets"
	NavAccount   = "account"
)

// Page is what Layout needs to frame any page.
type Page struct {
	// Title is the page's own title; Layout adds " · Trellis".
	Title string
	// Nav is the active section of the navigation (NavWorkflows, …), or "".
	Nav string
	// User is who is logged in; nil on the login and error pages of
	// anonymous visitors, which then show no navigation.
	User *User
	// CSRFToken goes into <meta name="csrf-token"> for scripts to send as
	// X-CSRF-Token, and into forms as _csrf. It is "" when the browser's
	// Fetch Metadata headers stand in for it.
	CSRFToken string
	// Flashes are messages shown above the content.
	Flashes []Flash
	// Scripts and Styles are extra assets of the page by their path under
	// static/, such as "dist/designer.js" and "css/designer.css"; Layout
	// links them by their content-hashed URLs after the shared ones.
	Scripts []string
	Styles  []string
	// Wide lets the content fill the window (the designer) instead of a
	// centred column.
	Wide bool
}

// User is the logged-in user as the navigation shows them.
type User struct {
	Name string
	// Role is "admin", "author" or "viewer".
	Role string
}

// CanEdit reports whether the user may create, change and run things:
// authors and admins.
func (u *User) CanEdit() bool {
	return u != nil && (u.Role == "author" || u.Role == "admin")
}

// The kinds of flash message.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
)

// Flash is a message for the user above the page's content.
type Flash struct {
	Kind    string // FlashSuccess, FlashError or FlashInfo
	Message string
}

// LoginForm is the login page's form.
type LoginForm struct {
	Username string
	// Next is the local path to go to after logging in.
	Next string
	// Error says why the last attempt failed; Notice is a neutral message
	// (logged out, password changed).
	Error  string
	Notice string
}

// WorkflowList is the workflows page.
type WorkflowList struct {
	// Query is the search text the list is filtered by.
	Query   string
	Items   []WorkflowItem
	CanEdit bool
	Create  CreateWorkflowForm
}

// CreateWorkflowForm is the form that makes a new, empty workflow.
type CreateWorkflowForm struct {
	Name  string
	Error string
}

// WorkflowItem is one workflow in the list.
type WorkflowItem struct {
	ID        string
	Name      string
	Revision  int
	Updated   time.Time
	UpdatedBy string
	// LastRun is the newest run, nil when it never ran.
	LastRun *RunItem
}

// RunItem is one run of a workflow.
type RunItem struct {
	ID       string
	Revision int
	// Status is a workflow status: queued, running, succeeded, cached,
	// failed, skipped or canceled.
	Status    string
	Created   time.Time
	Started   time.Time
	Duration  time.Duration
	StartedBy string
	// Targets are the nodes a partial run ran up to; empty for a whole run.
	Targets []string
	Error   string
}

// RunHistory is the runs page of one workflow.
type RunHistory struct {
	WorkflowID   string
	WorkflowName string
	Runs         []RunItem
}

// DatasetList is the datasets page.
type DatasetList struct {
	Items     []DatasetItem
	CanUpload bool
	// MaxUploadBytes is the server's upload limit, shown as a hint.
	MaxUploadBytes int64
	// UploadError says why the last upload without JavaScript failed.
	UploadError string
}

// DatasetItem is one dataset, described by its latest version.
type DatasetItem struct {
	ID      string
	Name    string
	Format  string // csv, tsv or json
	Version int
	Rows    int
	Columns int
	Size    int64 // bytes
	Updated time.Time
	Author  string
}

// DatasetDetail is the page of one dataset version.
type DatasetDetail struct {
	DatasetItem
	Created   time.Time
	CreatedBy string
	// Versions lists the dataset's version numbers, newest first.
	Versions []int
	UsedBy   []DatasetUse
	// Profile describes every column with its statistics.
	Profile []Column
	Preview Preview
	CanEdit bool
}

// DatasetUse is a workflow that reads a dataset.
type DatasetUse struct {
	WorkflowID   string
	WorkflowName string
}

// Preview is one page of a table's rows.
type Preview struct {
	// ID is the element id of the preview, the target of its paging links.
	ID      string
	Columns []PreviewColumn
	Rows    [][]Cell
	// Offset is the index of the first row shown, Limit the page size and
	// Total the number of rows in the whole table.
	Offset int
	Limit  int
	Total  int
	// PageURL is the URL of the page, to which the pager adds
	// offset=N (it may hold a query already).
	PageURL string
}

// PreviewColumn is a column heading of a preview.
type PreviewColumn struct {
	Name string
	Type string
}

// Cell is one value of a previewed table, formatted.
type Cell struct {
	Text string
	// Null marks a missing value; Numeric one to align right.
	Null    bool
	Numeric bool
}

// Column is a column of a table with its statistics.
type Column struct {
	Name        string
	Type        string // int, float, string, bool, time…
	Categorical bool
	// Role is the column's role in learning ("feature", "label", …), "" when none.
	Role  string
	Stats ColumnStats
}

// ColumnStats summarizes a column's values; see the server's preview
// statistics, of which this is the view.
type ColumnStats struct {
	Count        int
	Missing      int
	Unique       int
	UniqueCapped bool
	NonFinite    int
	// Numeric columns only.
	Mean, Std, Min, Q1, Median, Q3, Max *float64
	// Timestamp columns only (RFC 3339).
	Earliest, Latest string
	Mode             string
	Histogram        []Bin
}

// Bin is one bar of a histogram: a numeric range [Lo, Hi), or a category
// Label. Timestamp bins have both (Label is the start time).
type Bin struct {
	Lo, Hi *float64
	Label  string
	// Other marks the bin of the categories beyond the most frequent.
	Other bool
	Count int
}

// Account is the account page.
type Account struct {
	Username string
	Role     string
	Tokens   []TokenItem
	// NewToken is the token just created, whose secret is shown this once.
	NewToken  *NewToken
	Password  PasswordForm
	TokenForm TokenForm
}

// TokenItem is one API token of the user.
type TokenItem struct {
	ID       string
	Name     string
	Created  time.Time
	LastUsed time.Time // zero when never used
	Revoked  time.Time // zero while the token works
}

// NewToken is a token's secret, shown once after it is created.
type NewToken struct {
	Name   string
	Secret string
}

// PasswordForm is the change-password form.
type PasswordForm struct {
	// Error says what is wrong and Field which input ("current_password",
	// "new_password" or "confirm_password").
	Error string
	Field string
}

// TokenForm is the form that creates an API token.
type TokenForm struct {
	Name  string
	Error string
}

// ErrorView is an error page.
type ErrorView struct {
	Status  int
	Title   string
	Message string
}
