package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/storage"
)

const (
	// maxKeptEvents is how many of a run's latest events are kept for
	// clients that reconnect with Last-Event-ID; one further behind gets
	// the run's whole state again instead.
	maxKeptEvents = 1024
	// subscriberBuffer is how far a client may fall behind before it is
	// sent the whole state again, so a slow client never holds up the run.
	subscriberBuffer = 256
)

// sseEvent is one server-sent event: "node" (a node's state, nodeJSON) or
// "run" (the run's state, runJSON; the last one, with every node, ends the
// stream).
type sseEvent struct {
	id   int64
	name string
	data []byte
}

// eventLog numbers a run's events and keeps the latest ones.
type eventLog struct {
	seq  int64
	kept []sseEvent
}

func (l *eventLog) add(name string, data []byte) sseEvent {
	l.seq++
	ev := sseEvent{id: l.seq, name: name, data: data}
	if len(l.kept) >= 2*maxKeptEvents {
		// Drop the older half at once: amortized O(1) per event.
		l.kept = append(l.kept[:0], l.kept[len(l.kept)-maxKeptEvents:]...)
	}
	l.kept = append(l.kept, ev)
	return ev
}

// since returns the events after id, or false when they are not all kept
// (or id is not one of this run's).
func (l *eventLog) since(id int64) ([]sseEvent, bool) {
	switch {
	case id <= 0 || id > l.seq:
		return nil, false
	case id == l.seq:
		return nil, true
	case len(l.kept) == 0 || l.kept[0].id > id+1:
		return nil, false
	}
	return slices.Clone(l.kept[id+1-l.kept[0].id:]), true
}

// subscriber receives a live run's events. When it falls behind, its channel
// is closed with lagged set, and it subscribes again.
type subscriber struct {
	ch     chan sseEvent
	lagged bool
}

// publish numbers an event and hands it to every subscriber; lr.mu is held,
// so subscribing and publishing are ordered.
func (lr *liveRun) publish(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // the views are plain structs: unreachable
	}
	ev := lr.events.add(name, data)
	for sub := range lr.subs {
		select {
		case sub.ch <- ev:
		default:
			sub.lagged = true
			close(sub.ch)
			delete(lr.subs, sub)
		}
	}
}

// closeLocked sends the final run event and ends every subscription.
func (lr *liveRun) closeLocked() {
	if lr.closed {
		return
	}
	lr.publish("run", lr.viewLocked(true))
	lr.closed = true
	for sub := range lr.subs {
		close(sub.ch)
		delete(lr.subs, sub)
	}
}

// subscribe returns what a client must be sent first — the events after
// lastID when they are all kept, else the current state of the run and of
// every node — and, unless the run is over, a subscription to what follows.
func (lr *liveRun) subscribe(lastID int64) ([]sseEvent, *subscriber) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	replay, ok := lr.events.since(lastID)
	if !ok {
		replay = lr.stateEventsLocked()
	}
	if lr.closed {
		// Every stream ends with the final run event, even for a client
		// that reconnects having seen it (state events share its id).
		if len(replay) == 0 {
			state := lr.stateEventsLocked()
			replay = state[len(state)-1:]
		}
		return replay, nil
	}
	sub := &subscriber{ch: make(chan sseEvent, subscriberBuffer)}
	lr.subs[sub] = struct{}{}
	return replay, sub
}

func (lr *liveRun) unsubscribe(sub *subscriber) {
	if sub == nil {
		return
	}
	lr.mu.Lock()
	delete(lr.subs, sub)
	lr.mu.Unlock()
}

// stateEventsLocked describes the run as it is now, numbered with the last
// event's id: a client that reconnects with it gets only what follows.
func (lr *liveRun) stateEventsLocked() []sseEvent {
	id := lr.events.seq
	var evs []sseEvent
	add := func(name string, v any) {
		data, _ := json.Marshal(v)
		evs = append(evs, sseEvent{id: id, name: name, data: data})
	}
	if !lr.closed {
		add("run", lr.viewLocked(false))
	}
	for _, n := range orderedNodes(lr.order, lr.nodes, lr.progress) {
		add("node", n)
	}
	if lr.closed {
		add("run", lr.viewLocked(true))
	}
	return evs
}

// storedEvents describes a run that is no longer in memory, from the store.
func storedEvents(r *storage.Run) []sseEvent {
	var evs []sseEvent
	add := func(name string, v any) {
		data, _ := json.Marshal(v)
		evs = append(evs, sseEvent{name: name, data: data})
	}
	v := runView(r, true)
	for _, n := range v.Nodes {
		add("node", n)
	}
	add("run", v)
	return evs
}

// handleRunEvents streams a run's progress as server-sent events: the state
// of the run and of every node first (or, with Last-Event-ID, the events
// missed, when they are still kept), then live events, then a final "run"
// event, after which the stream ends. A finished run gets its final state
// at once. Comments keep idle connections alive through proxies.
func (s *Server) handleRunEvents(c echo.Context) error {
	id := c.Param("id")
	lastID, _ := strconv.ParseInt(strings.TrimSpace(c.Request().Header.Get("Last-Event-ID")), 10, 64)
	m := s.runs
	lr := m.get(id)
	var stored []sseEvent
	if lr == nil {
		r, err := s.store.Run(id)
		if err != nil {
			return err
		}
		stored = storedEvents(r)
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)
	if lr == nil {
		_ = writeEvents(w, stored)
		return nil
	}
	ctx := c.Request().Context()
	heartbeat := time.NewTicker(m.heartbeat)
	defer heartbeat.Stop()
	for {
		replay, sub := lr.subscribe(lastID)
		if err := writeEvents(w, replay); err != nil || sub == nil {
			lr.unsubscribe(sub)
			return nil
		}
		if n := len(replay); n > 0 {
			lastID = replay[n-1].id
		}
		lagged, err := streamEvents(ctx.Done(), heartbeat.C, w, sub, &lastID)
		if !lagged || err != nil {
			lr.unsubscribe(sub)
			return nil
		}
	}
}

// streamEvents writes a subscription's events until it ends (lagged tells
// whether to subscribe again), the client leaves or a write fails.
func streamEvents(gone <-chan struct{}, beat <-chan time.Time, w http.ResponseWriter, sub *subscriber, lastID *int64) (lagged bool, err error) {
	for {
		select {
		case <-gone:
			return false, nil
		case <-beat:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return false, err
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				return false, err
			}
		case ev, ok := <-sub.ch:
			if !ok {
				return sub.lagged, nil
			}
			if err := writeEvents(w, []sseEvent{ev}); err != nil {
				return false, err
			}
			*lastID = ev.id
		}
	}
}

// writeEvents writes events in the text/event-stream format and flushes.
func writeEvents(w http.ResponseWriter, evs []sseEvent) error {
	var b bytes.Buffer
	for _, ev := range evs {
		if ev.id > 0 {
			b.WriteString("id: ")
			b.WriteString(strconv.FormatInt(ev.id, 10))
			b.WriteByte('\n')
		}
		b.WriteString("event: ")
		b.WriteString(ev.name)
		b.WriteString("\ndata: ")
		b.Write(ev.data) // compact JSON: never a newline
		b.WriteString("\n\n")
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}
