package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/workflow"
)

// progressPrinter shows a run's progress on a terminal: one line per node
// redrawn in place when stderr is a terminal, one line per change otherwise
// (logs, CI, schedulers).
type progressPrinter struct {
	w       io.Writer
	tty     bool
	start   time.Time
	order   []string
	labels  map[string]string
	tables  map[string]bool // nodes with a table output, whose rows are counted
	state   map[string]string
	drawn   int
	lastOut time.Time
}

func newProgressPrinter(w io.Writer, wf *workflow.Workflow, reg *modules.Registry) *progressPrinter {
	p := &progressPrinter{w: w, start: time.Now(), labels: map[string]string{}, tables: map[string]bool{}, state: map[string]string{}}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb" {
			p.tty = true
		}
	}
	for _, n := range wf.Nodes {
		name := n.Module
		p.tables[n.ID] = true
		if m, err := reg.Lookup(n.Module, n.Version); err == nil {
			spec := m.Spec()
			name = spec.Name
			p.tables[n.ID] = slices.ContainsFunc(spec.Outputs, func(o modules.Port) bool { return o.Kind == modules.KindTable })
		}
		if n.Title != "" {
			name = n.Title
		}
		p.labels[n.ID] = name
	}
	return p
}

func (p *progressPrinter) event(ev workflow.Event) {
	if ev.Node == "" {
		return
	}
	if _, seen := p.state[ev.Node]; !seen {
		p.order = append(p.order, ev.Node)
	}
	line := p.describe(ev)
	p.state[ev.Node] = line
	if p.tty {
		if ev.Status == workflow.StatusRunning && ev.Progress > 0 && time.Since(p.lastOut) < 100*time.Millisecond {
			return
		}
		p.redraw()
		return
	}
	if ev.Status == workflow.StatusQueued || (ev.Status == workflow.StatusRunning && ev.Progress > 0 && time.Since(p.lastOut) < time.Second) {
		return
	}
	p.lastOut = time.Now()
	fmt.Fprintf(p.w, "[%7.2fs] %s\n", time.Since(p.start).Seconds(), line)
}

func (p *progressPrinter) describe(ev workflow.Event) string {
	head := fmt.Sprintf("%-16s %-28s", ev.Node, truncate(p.labels[ev.Node], 28))
	switch ev.Status {
	case workflow.StatusRunning:
		if ev.Progress > 0 {
			return fmt.Sprintf("%s running %3.0f%% %s", head, ev.Progress*100, bar(ev.Progress))
		}
		return head + " running"
	case workflow.StatusSucceeded, workflow.StatusCached:
		rows := "" // a model or a report has no rows
		if p.tables[ev.Node] {
			rows = groupDigits(ev.Rows) + " rows"
		}
		return fmt.Sprintf("%s %-9s %17s %8s", head, ev.Status, rows, ev.Duration.Round(time.Millisecond))
	case workflow.StatusFailed, workflow.StatusCanceled, workflow.StatusSkipped:
		return fmt.Sprintf("%s %-9s %s", head, ev.Status, firstLine(ev.Error))
	}
	return fmt.Sprintf("%s %s", head, ev.Status)
}

func (p *progressPrinter) redraw() {
	p.lastOut = time.Now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, id := range p.order {
		b.WriteString("\x1b[2K")
		b.WriteString(p.state[id])
		b.WriteByte('\n')
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}

func (p *progressPrinter) finish(run *workflow.Run) {
	if p.tty {
		p.redraw()
	}
	fmt.Fprintf(p.w, "%s in %s\n", run.Status, run.Finished.Sub(run.Started).Round(time.Millisecond))
}

func bar(f float64) string {
	const width = 20
	n := int(f * width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
