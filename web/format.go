package web

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// FormatInt writes a count with thousands separators: 1234567 → "1,234,567".
func FormatInt(n int) string {
	return group(strconv.Itoa(n))
}

// group puts commas between the thousands of a decimal integer's digits.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 3 {
		return sign + s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return sign + b.String()
}

// FormatNumber writes a statistic to about four significant digits:
// whole numbers in full with separators, very large or small ones in
// exponent form.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return group(strconv.FormatInt(int64(v), 10))
	case math.Abs(v) >= 1e15 || math.Abs(v) < 1e-4:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	decimals := max(0, 3-int(math.Floor(math.Log10(math.Abs(v)))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	whole, frac, _ := strings.Cut(s, ".")
	if frac != "" {
		return group(whole) + "." + frac
	}
	return group(whole)
}

// FormatCompact writes a number in at most about five characters for axis
// ticks: 1234 → "1.2k", 2500000 → "2.5M", 0.125 → "0.125".
func FormatCompact(v float64) string {
	a := math.Abs(v)
	for _, u := range []struct {
		size   float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.size {
			return trimFloat(v/u.size, 1) + u.suffix
		}
	}
	switch {
	case a == 0 || a >= 10:
		return trimFloat(v, 0)
	case a >= 1:
		return trimFloat(v, 1)
	case a >= 0.01:
		return trimFloat(v, 3)
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func trimFloat(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// FormatBytes writes a size in binary units, as file managers and pandas
// do: 1536 → "1.5 KB", 2<<30 → "2 GB".
func FormatBytes(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	f := float64(n)
	for _, unit := range []string{"KB", "MB", "GB", "TB"} {
		f /= 1024
		if f < 1024 || unit == "TB" {
			if f < 10 {
				return trimFloat(f, 1) + " " + unit
			}
			return trimFloat(f, 0) + " " + unit
		}
	}
	return "" // unreachable
}

// FormatDuration writes a run's duration: "850 ms", "12.3 s", "4 min 3 s",
// "2 h 5 min".
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return trimFloat(d.Seconds(), 1) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// FormatTime writes a time for tables in UTC; the page's script rewrites
// it in the reader's time zone.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// isoTime is the machine-readable form of a time for <time datetime>.
func isoTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// plural writes "1 row" or "3 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return FormatInt(n) + " " + many
}

// pageURL adds offset=N to a URL that may already have a query.
func pageURL(base string, offset int) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	} else {
		q.Del("offset")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// flashID is the id of the page's message area; error responses to htmx
// requests are retargeted to it.
const flashID = "flash"

// FlashTarget is the CSS selector of the message area, for HX-Retarget.
const FlashTarget = "#" + flashID

// pageTitle is the document title of a page.
func pageTitle(title string) string {
	if title == "" {
		return "Trellis"
	}
	return title + " · Trellis"
}

// current marks the navigation link of the active section.
func current(nav, section string) templ.Attributes {
	if nav == section {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

// roleHelp says what a role may do, as the role badge's tooltip.
func roleHelp(role string) string {
	switch role {
	case "admin":
		return "Admins manage users and may do everything"
	case "author":
		return "Authors create, edit and run workflows and upload datasets"
	case "viewer":
		return "Viewers read workflows and datasets and run nothing"
	}
	return role
}

func flashRole(kind string) string {
	if kind == FlashError {
		return "alert"
	}
	return "status"
}

// statusText is the label of a status badge.
func statusText(status string) string {
	switch status {
	case "":
		return "never run"
	case "succeeded":
		return "succeeded"
	}
	return status
}

// errorText is an error as one sentence for a flash message.
func errorText(e ErrorView) string {
	if e.Message == "" {
		return e.Title
	}
	return e.Message
}

// invalid marks an input whose value was refused.
func invalid(bad bool) templ.Attributes {
	if bad {
		return templ.Attributes{"aria-invalid": "true"}
	}
	return templ.Attributes{}
}

// runTime is when a run started, or was queued when it never started.
func runTime(r RunItem) time.Time {
	if !r.Started.IsZero() {
		return r.Started
	}
	return r.Created
}

func joinTargets(targets []string) string {
	return strings.Join(targets, ", ")
}

// shortID abbreviates an id (a UUID) for display: its last 8 characters,
// which differ between ids made at the same moment.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[len(id)-8:]
}

// formatName is a dataset format's display name.
func formatName(format string) string {
	return strings.ToUpper(format)
}

// uniqueText is the number of distinct values, "≥ N" when counting stopped.
func uniqueText(s ColumnStats) string {
	if s.UniqueCapped {
		return "≥ " + FormatInt(s.Unique)
	}
	return FormatInt(s.Unique)
}

func optNumber(v *float64) string {
	if v == nil {
		return "—"
	}
	return FormatNumber(*v)
}

// modeText shows the most frequent value, marking the empty string.
func modeText(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// shortTime writes an RFC 3339 time of a statistic without seconds when
// they are zero, and without the time of day at midnight.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	t = t.UTC()
	switch {
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0:
		return t.Format("2006-01-02")
	case t.Second() == 0 && t.Nanosecond() == 0:
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("2006-01-02 15:04:05")
}

// chartKind names a chart for tests and styles.
func chartKind(c chart) string {
	if c.Categorical {
		return "categories"
	}
	return "histogram"
}

// previewRange says which rows a preview page shows.
func previewRange(p Preview) string {
	if len(p.Rows) == 0 {
		return plural(p.Total, "row", "rows")
	}
	return "Rows " + FormatInt(p.Offset+1) + "–" + FormatInt(p.Offset+len(p.Rows)) + " of " + FormatInt(p.Total)
}

// wide gives a page the whole window.
func wide(p Page) Page {
	p.Wide = true
	return p
}
