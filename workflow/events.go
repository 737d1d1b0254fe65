package workflow

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Status is the state of a node (or a whole run).
type Status string

// The statuses a node passes through. Queued → Running → one of Succeeded,
// Failed or Canceled; or straight to Cached, or Skipped (an upstream node
// failed or was skipped).
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusCached    Status = "cached"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
	StatusCanceled  Status = "canceled"
)

// Done reports whether the status is final.
func (s Status) Done() bool {
	switch s {
	case StatusSucceeded, StatusCached, StatusFailed, StatusSkipped, StatusCanceled:
		return true
	}
	return false
}

// Event reports a change in a node's (or, with Node empty, the run's) status
// or progress.
type Event struct {
	Time     time.Time     `json:"time"`
	Node     string        `json:"node,omitempty"`
	Status   Status        `json:"status"`
	Progress float64       `json:"progress,omitempty"` // 0..1 while running
	Rows     int           `json:"rows,omitempty"`     // rows of the first table output
	Duration time.Duration `json:"duration,omitempty"`
	Error    string        `json:"error,omitempty"`
}

// LogLine is one line a node logged while running; lines are kept with the run.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// nodeLog is an slog handler that keeps a node's log lines and forwards them
// to the engine's logger with the node id attached.
type nodeLog struct {
	mu    *sync.Mutex
	lines *[]LogLine
	next  slog.Handler
	attrs []slog.Attr
}

func newNodeLog(next slog.Handler) *nodeLog {
	return &nodeLog{mu: &sync.Mutex{}, lines: &[]LogLine{}, next: next}
}

func (h *nodeLog) Enabled(ctx context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *nodeLog) Handle(ctx context.Context, r slog.Record) error {
	msg := r.Message
	add := func(a slog.Attr) bool {
		msg += " " + a.Key + "=" + a.Value.String()
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.mu.Lock()
	*h.lines = append(*h.lines, LogLine{Time: r.Time, Level: r.Level.String(), Message: msg})
	h.mu.Unlock()
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *nodeLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	c.next = h.next.WithAttrs(as)
	return &c
}

func (h *nodeLog) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

func (h *nodeLog) Lines() []LogLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogLine(nil), *h.lines...)
}
