package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// gate is a test module that passes its input through once released. A
// canceled run stops it, unless it is stubborn, like a module deep in a
// computation that does not look at its context.
type gate struct {
	release  chan struct{}
	stubborn bool
}

func (gate) Spec() modules.Spec {
	return modules.Spec{
		ID: "test_gate", Version: 1, Name: "Test Gate", Category: modules.CategoryManipulation,
		Summary: "Holds its input until the test releases it.", Help: "For tests of live runs.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results", Kind: modules.KindTable}},
	}
}

func (gate) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{ic.Input("dataset")}, nil
}

func (g gate) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	rc.Log().Info("waiting at the gate")
	rc.Progress(0.5)
	if g.stubborn {
		<-g.release
	} else {
		select {
		case <-g.release:
		case <-rc.Ctx.Done():
			return rc.Ctx.Err()
		}
	}
	rc.SetOutput("results", t)
	return nil
}

// withGate adds a gate module to the server's registry and returns it; the
// gate is released when the test ends, and the test waits for its runs.
func withGate(ts *testServer, stubborn bool) gate {
	ts.t.Helper()
	g := gate{release: make(chan struct{}), stubborn: stubborn}
	reg, err := modules.NewRegistry(append(builtin.Modules(), g)...)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.srv.registry, ts.srv.engine.Registry = reg, reg
	ts.t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
		ts.srv.runs.wg.Wait() // before the store closes
	})
	return g
}

// gateDoc is enter data → gate ("wait") → summarize data.
func gateDoc(name string) *workflow.Workflow {
	doc := testDoc(name, "age > 0")
	doc.Nodes[1] = workflow.Node{ID: "wait", Module: "test_gate", Version: 1}
	doc.Edges[0].To.Node, doc.Edges[1].From.Node = "wait", "wait"
	return doc
}

func startRun(t *testing.T, c *client, workflowID string, body any) runJSON {
	t.Helper()
	res := c.do(http.MethodPost, "/api/v1/workflows/"+workflowID+"/runs", body)
	if res.Code != http.StatusAccepted {
		t.Fatalf("start run: %d %s", res.Code, res.Body)
	}
	return decode[runJSON](t, res)
}

// waitRun polls a run until cond holds.
func waitRun(t *testing.T, c *client, id string, cond func(runJSON) bool) runJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := c.do(http.MethodGet, "/api/v1/runs/"+id, nil)
		if res.Code != http.StatusOK {
			t.Fatalf("get run: %d %s", res.Code, res.Body)
		}
		r := decode[runJSON](t, res)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not get there: %+v", id, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runDone(r runJSON) bool { return r.Status.Done() }

func nodeRunning(node string) func(runJSON) bool {
	return func(r runJSON) bool {
		n, ok := findNode(r, node)
		return ok && n.Status == workflow.StatusRunning
	}
}

func findNode(r runJSON, id string) (nodeJSON, bool) {
	for _, n := range r.Nodes {
		if n.Node == id {
			return n, true
		}
	}
	return nodeJSON{}, false
}

func nodeStatuses(r runJSON) map[string]workflow.Status {
	out := map[string]workflow.Status{}
	for _, n := range r.Nodes {
		out[n.Node] = n.Status
	}
	return out
}

// sseMessage is one parsed server-sent event.
type sseMessage struct {
	id, event string
	data      string
}

// readSSE parses an event stream until it ends or stop says so; comments
// (keep-alives) are counted.
func readSSE(r io.Reader, stop func(sseMessage) bool) (msgs []sseMessage, comments int) {
	sc := bufio.NewScanner(r)
	var cur sseMessage
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" && cur.event == "" && cur.data == "":
			// The end of a comment (keep-alive): no event.
		case line == "":
			msgs = append(msgs, cur)
			if stop != nil && stop(cur) {
				return msgs, comments
			}
			cur = sseMessage{}
		case strings.HasPrefix(line, ":"):
			comments++
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	return msgs, comments
}

func finalRun(t *testing.T, msgs []sseMessage) runJSON {
	t.Helper()
	if len(msgs) == 0 || msgs[len(msgs)-1].event != "run" {
		t.Fatalf("stream does not end with a run event: %+v", msgs)
	}
	var r runJSON
	if err := json.Unmarshal([]byte(msgs[len(msgs)-1].data), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// nodeEvents decodes the node events of a stream.
func nodeEvents(t *testing.T, msgs []sseMessage) []nodeJSON {
	t.Helper()
	var out []nodeJSON
	for _, m := range msgs {
		if m.event == "node" {
			var n nodeJSON
			if err := json.Unmarshal([]byte(m.data), &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
	}
	return out
}

// openEvents opens a run's event stream on a real HTTP server.
func openEvents(t *testing.T, ctx context.Context, url, token string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "127.0.0.1:8080" // the host allow-list of a loopback server
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res
}

func TestRunEventsLive(t *testing.T) {
	ts := newTestServer(t)
	g := withGate(ts, false)
	ts.srv.runs.heartbeat = 20 * time.Millisecond
	hs := httptest.NewServer(ts.srv.Handler())
	defer hs.Close()
	c := ts.login(storage.RoleAuthor)
	token := ts.withToken(storage.RoleViewer).token // viewers may watch
	w := createWorkflow(t, c, gateDoc("Gated"))
	run := startRun(t, c, w.ID, nil)
	if run.Status != workflow.StatusQueued || len(run.Nodes) != 3 {
		t.Fatalf("started run = %+v", run)
	}
	waitRun(t, c, run.ID, nodeRunning("wait"))

	res := openEvents(t, context.Background(), hs.URL+"/api/v1/runs/"+run.ID+"/events", token, nil)
	defer res.Body.Close()
	body := bufio.NewReader(res.Body)
	// The replay gives the state of the run and of every node.
	replay, _ := readSSE(body, func(m sseMessage) bool { return strings.Contains(m.data, `"node":"summary"`) })
	if replay[0].event != "run" || len(replay) != 4 {
		t.Fatalf("replay = %+v, want the run then its three nodes", replay)
	}
	states := map[string]workflow.Status{}
	for _, n := range nodeEvents(t, replay) {
		states[n.Node] = n.Status
	}
	if want := map[string]workflow.Status{"enter": "succeeded", "wait": "running", "summary": "queued"}; !reflect.DeepEqual(states, want) {
		t.Errorf("replayed states = %v, want %v", states, want)
	}

	close(g.release)
	live, comments := readSSE(body, nil) // to the end of the stream
	var seen []string
	for _, n := range nodeEvents(t, live) {
		// Progress ticks repeat the running status; count each status once.
		if s := n.Node + ":" + string(n.Status); len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
	}
	want := []string{"wait:succeeded", "summary:running", "summary:succeeded"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("live node events = %q, want %q", seen, want)
	}
	final := finalRun(t, live)
	if final.Status != workflow.StatusSucceeded || len(final.Nodes) != 3 || !final.OutputsInMemory {
		t.Errorf("final run event = %+v", final)
	}
	if n, _ := findNode(final, "summary"); n.Rows != 3 {
		t.Errorf("summary rows = %d, want 3 (one per column)", n.Rows)
	}
	_ = comments // keep-alives are timing dependent here; TestRunEventsHeartbeat checks them

	stored, err := ts.store.Run(run.ID)
	if err != nil || stored.Status != workflow.StatusSucceeded || stored.Nodes["wait"].Logs == nil {
		t.Errorf("stored run = %+v, %v: want succeeded with the gate's log", stored, err)
	}
}

func TestRunEventsHeartbeatAndDisconnect(t *testing.T) {
	ts := newTestServer(t)
	withGate(ts, false)
	ts.srv.runs.heartbeat = 10 * time.Millisecond
	hs := httptest.NewServer(ts.srv.Handler())
	defer hs.Close()
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, gateDoc("Gated"))
	run := startRun(t, c, w.ID, nil)
	waitRun(t, c, run.ID, nodeRunning("wait"))

	ctx, cancel := context.WithCancel(context.Background())
	res := openEvents(t, ctx, hs.URL+"/api/v1/runs/"+run.ID+"/events", ts.withToken(storage.RoleAuthor).token, nil)
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() && sc.Text() != ": keep-alive" {
	}
	if sc.Text() != ": keep-alive" {
		t.Fatal("no keep-alive comment on an idle stream")
	}
	lr := ts.srv.runs.get(run.ID)
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lr.mu.Lock()
		n := len(lr.subs)
		lr.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream of a client that left is still subscribed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunEventsFinished(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	run := startRun(t, c, w.ID, nil)
	waitRun(t, c, run.ID, runDone)

	res := c.do(http.MethodGet, "/api/v1/runs/"+run.ID+"/events", nil)
	if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.Code, res.Body)
	}
	msgs, _ := readSSE(res.Body, nil)
	if final := finalRun(t, msgs); final.Status != workflow.StatusSucceeded {
		t.Errorf("final = %+v", final)
	}
	nodes := nodeEvents(t, msgs)
	if len(nodes) != 3 || nodes[0].Node != "enter" || nodes[2].Node != "summary" {
		t.Errorf("replayed nodes = %+v, want the three in order", nodes)
	}
	for _, n := range nodes {
		if n.Status != workflow.StatusSucceeded {
			t.Errorf("node %s replayed as %s", n.Node, n.Status)
		}
	}

	// Reconnecting with the id of the last node event gets only the end.
	last := msgs[len(msgs)-2].id
	res = c.doHeaders(http.MethodGet, "/api/v1/runs/"+run.ID+"/events", nil, map[string]string{"Last-Event-ID": last})
	rest, _ := readSSE(res.Body, nil)
	if len(rest) != 1 || rest[0].event != "run" {
		t.Errorf("events after %s = %+v, want only the final run event", last, rest)
	}

	// After a restart the run is replayed from the store.
	ts.srv.runs = newRunManager(ts.srv)
	res = c.do(http.MethodGet, "/api/v1/runs/"+run.ID+"/events", nil)
	msgs, _ = readSSE(res.Body, nil)
	if final := finalRun(t, msgs); final.Status != workflow.StatusSucceeded || len(nodeEvents(t, msgs)) != 3 || final.OutputsInMemory {
		t.Errorf("stored replay = %+v", msgs)
	}

	if res := c.do(http.MethodGet, "/api/v1/runs/nope/events", nil); res.Code != http.StatusNotFound {
		t.Errorf("events of an unknown run: %d, want 404", res.Code)
	}
}

func TestRunUpToAndParams(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > $min_age"))

	run := startRun(t, c, w.ID, map[string]any{"up_to": "filter", "params": map[string]any{"min_age": 40}})
	if !reflect.DeepEqual(run.Targets, []string{"filter"}) {
		t.Errorf("targets = %v", run.Targets)
	}
	done := waitRun(t, c, run.ID, runDone)
	want := map[string]workflow.Status{"enter": workflow.StatusSucceeded, "filter": workflow.StatusSucceeded}
	if !reflect.DeepEqual(nodeStatuses(done), want) {
		t.Errorf("run up to filter ran %v, want %v", nodeStatuses(done), want)
	}
	if n, _ := findNode(done, "filter"); n.Rows != 1 {
		t.Errorf("filter with min_age 40 kept %d rows, want 1", n.Rows)
	}

	// A node's title works too, and the same inputs come from the cache.
	again := waitRun(t, c, startRun(t, c, w.ID, map[string]any{"up_to": "People"}).ID, runDone)
	if n, _ := findNode(again, "enter"); len(again.Nodes) != 1 || !n.Cached {
		t.Errorf("run up to People = %+v, want enter alone, cached", again.Nodes)
	}

	tests := []struct {
		name      string
		give      any
		wantField string
	}{
		{"unknown node", map[string]any{"up_to": "nope"}, "up_to"},
		{"unknown parameter", map[string]any{"params": map[string]any{"max_age": 3}}, "params"},
		{"bad parameter value", map[string]any{"params": map[string]any{"min_age": "old"}}, "params"},
		{"missing revision", map[string]any{"revision": 7}, "revision"},
		{"unknown field", map[string]any{"upto": "filter"}, "upto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/runs", tt.give)
			if res.Code != http.StatusBadRequest || decode[apiError](t, res).Error.Field != tt.wantField {
				t.Errorf("start: %d %s, want 400 naming %s", res.Code, res.Body, tt.wantField)
			}
		})
	}
}

func TestRunStartInvalid(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "salary > 3"))
	res := c.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/runs", nil)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("start invalid workflow: %d %s, want 422", res.Code, res.Body)
	}
	if e := decode[apiError](t, res).Error; len(e.Problems) != 1 || e.Problems[0].Node != "filter" {
		t.Errorf("problems = %+v", e.Problems)
	}
	if runs, _ := ts.store.Runs(w.ID, 0); len(runs) != 0 {
		t.Errorf("an invalid workflow left %d runs", len(runs))
	}
	if res := c.do(http.MethodPost, "/api/v1/workflows/nope/runs", nil); res.Code != http.StatusNotFound {
		t.Errorf("start run of unknown workflow: %d, want 404", res.Code)
	}
}

func TestRunFailedNodeAndLogs(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age % 0 == 1"))
	done := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)
	if done.Status != workflow.StatusFailed {
		t.Fatalf("run = %+v, want failed", done)
	}
	filter, _ := findNode(done, "filter")
	if filter.Status != workflow.StatusFailed || filter.Error == "" {
		t.Errorf("filter = %+v, want failed with a message", filter)
	}
	if summary, _ := findNode(done, "summary"); summary.Status != workflow.StatusSkipped {
		t.Errorf("summary = %+v, want skipped", summary)
	}

	res := c.do(http.MethodGet, "/api/v1/runs/"+done.ID+"/nodes/filter/logs", nil)
	logs := decode[nodeLogsJSON](t, res)
	if res.Code != http.StatusOK || len(logs.Lines) == 0 || logs.Lines[len(logs.Lines)-1].Level != "ERROR" {
		t.Errorf("filter logs: %d %s", res.Code, res.Body)
	}
	if res := c.do(http.MethodGet, "/api/v1/runs/"+done.ID+"/nodes/nope/logs", nil); res.Code != http.StatusNotFound {
		t.Errorf("logs of an unknown node: %d, want 404", res.Code)
	}
	res = c.do(http.MethodGet, "/api/v1/runs/"+done.ID+"/nodes/summary/outputs/results", nil)
	if res.Code != http.StatusNotFound || !strings.Contains(res.Body.String(), "skipped") {
		t.Errorf("output of a skipped node: %d %s, want 404 saying it was skipped", res.Code, res.Body)
	}

	// Logs outlive the process: they are stored with the run.
	ts.srv.runs = newRunManager(ts.srv)
	res = c.do(http.MethodGet, "/api/v1/runs/"+done.ID+"/nodes/filter/logs", nil)
	if stored := decode[nodeLogsJSON](t, res); len(stored.Lines) != len(logs.Lines) {
		t.Errorf("stored logs = %+v, want %d lines", stored, len(logs.Lines))
	}
}

func TestRunCancel(t *testing.T) {
	ts := newTestServer(t)
	withGate(ts, false)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, gateDoc("Gated"))
	run := startRun(t, c, w.ID, nil)
	waitRun(t, c, run.ID, nodeRunning("wait"))

	if res := c.do(http.MethodDelete, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusConflict {
		t.Errorf("delete a workflow while it runs: %d %s, want 409", res.Code, res.Body)
	}
	// Node statuses reach the store in batches while the run goes on.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := ts.store.Run(run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == workflow.StatusRunning && r.Nodes["wait"].Status == workflow.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store still has run %s %v while it runs", r.Status, r.Nodes["wait"].Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res := ts.login(storage.RoleViewer).do(http.MethodPost, "/api/v1/runs/"+run.ID+"/cancel", nil); res.Code != http.StatusForbidden {
		t.Errorf("viewer cancel: %d, want 403", res.Code)
	}
	res := c.do(http.MethodPost, "/api/v1/runs/"+run.ID+"/cancel", nil)
	if res.Code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	done := waitRun(t, c, run.ID, runDone)
	want := map[string]workflow.Status{"enter": "succeeded", "wait": "canceled", "summary": "canceled"}
	if done.Status != workflow.StatusCanceled || !reflect.DeepEqual(nodeStatuses(done), want) {
		t.Errorf("canceled run = %s %v, want canceled %v", done.Status, nodeStatuses(done), want)
	}
	stored, err := ts.store.Run(run.ID)
	if err != nil || stored.Status != workflow.StatusCanceled || stored.Nodes["wait"].Status != workflow.StatusCanceled {
		t.Errorf("stored = %+v, %v", stored, err)
	}
	// Canceling a finished run is not an error.
	if res := c.do(http.MethodPost, "/api/v1/runs/"+run.ID+"/cancel", nil); res.Code != http.StatusOK {
		t.Errorf("cancel a finished run: %d %s, want 200", res.Code, res.Body)
	}
}

func TestRunViewerCannotStart(t *testing.T) {
	ts := newTestServer(t)
	w := createWorkflow(t, ts.login(storage.RoleAuthor), testDoc("People", "age > 25"))
	viewer := ts.login(storage.RoleViewer)
	if res := viewer.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/runs", nil); res.Code != http.StatusForbidden {
		t.Errorf("viewer start: %d %s, want 403", res.Code, res.Body)
	}
	if res := viewer.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/runs", nil); res.Code != http.StatusOK {
		t.Errorf("viewer list runs: %d, want 200", res.Code)
	}
}

func TestRunListAndLastRun(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	first := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)
	second := waitRun(t, c, startRun(t, c, w.ID, map[string]any{"up_to": "enter"}).ID, runDone)

	res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/runs", nil)
	list := decode[[]runJSON](t, res)
	if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID || list[0].Nodes != nil {
		t.Errorf("runs = %s, want the two newest first without nodes", res.Body)
	}
	if res := c.do(http.MethodGet, "/api/v1/workflows/"+w.ID+"/runs?limit=1", nil); len(decode[[]runJSON](t, res)) != 1 {
		t.Errorf("limit=1: %s", res.Body)
	}
	ws := decode[[]workflowJSON](t, c.do(http.MethodGet, "/api/v1/workflows", nil))
	if len(ws) != 1 || ws[0].LastRun == nil || ws[0].LastRun.ID != second.ID || ws[0].LastRun.Status != workflow.StatusSucceeded {
		t.Errorf("workflow list = %+v, want the last run", ws)
	}

	// Deleting the workflow deletes its runs, from memory too.
	if res := c.do(http.MethodDelete, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.Body)
	}
	if res := c.do(http.MethodGet, "/api/v1/runs/"+first.ID, nil); res.Code != http.StatusNotFound {
		t.Errorf("run of a deleted workflow: %d, want 404", res.Code)
	}
}

func TestRunMemoryBounds(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int64
		want  []string
	}{
		{"by count", make([]int64, recentRunCount+2), runIDs(2, recentRunCount+2)},
		{"by size", []int64{recentRunBytes / 2, recentRunBytes / 2, 1}, []string{"r1", "r2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newRunManager(nil)
			for i, size := range tt.sizes {
				m.recent = append(m.recent, &liveRun{id: fmt.Sprintf("r%d", i), size: size})
			}
			m.evictLocked()
			var got []string
			for _, lr := range m.recent {
				got = append(got, lr.id)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
		})
	}
}

// wideCSV has more rows than a stored preview keeps.
func wideCSV(rows int) string {
	var b strings.Builder
	b.WriteString("name,age,city\n")
	for i := range rows {
		fmt.Fprintf(&b, "p%d,%d,c%d\n", i, 20+i%50, i%7)
	}
	return b.String()
}

func TestRunOutputs(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, testDoc("People", "age > 25"))
	run := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)
	base := "/api/v1/runs/" + run.ID + "/nodes/"

	res := c.do(http.MethodGet, base+"filter/outputs/results", nil)
	out := decode[outputJSON](t, res)
	if res.Code != http.StatusOK || out.Kind != modules.KindTable || out.Source != "memory" || out.Table == nil {
		t.Fatalf("preview: %d %s", res.Code, res.Body)
	}
	wantRows := [][]any{{"ann", 31.0, "Oslo"}, {"bob", 45.0, "Rome"}}
	if out.Table.Rows != 2 || !reflect.DeepEqual(out.Table.Data, wantRows) || out.Table.Columns[1].Stats.Mean == nil {
		t.Errorf("preview table = %+v", out.Table)
	}
	page := decode[outputJSON](t, c.do(http.MethodGet, base+"filter/outputs/results?offset=1&limit=1", nil))
	if !reflect.DeepEqual(page.Table.Data, wantRows[1:]) || page.Table.Offset != 1 || page.Table.Truncated {
		t.Errorf("page 2 = %+v", page.Table)
	}

	res = c.do(http.MethodGet, base+"filter/outputs/results/download", nil)
	if res.Code != http.StatusOK || !strings.HasPrefix(res.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("download: %d %v", res.Code, res.Header())
	}
	if want := "name,age,city\nann,31,Oslo\nbob,45,Rome\n"; res.Body.String() != want {
		t.Errorf("CSV = %q, want %q", res.Body, want)
	}
	if !strings.Contains(res.Header().Get("Content-Disposition"), "filter-results.csv") {
		t.Errorf("Content-Disposition = %q", res.Header().Get("Content-Disposition"))
	}

	tests := []struct {
		name string
		path string
		want int
	}{
		{"unknown port", base + "filter/outputs/nope", http.StatusNotFound},
		{"unknown node", base + "nope/outputs/results", http.StatusNotFound},
		{"limit too large", base + "filter/outputs/results?limit=5000", http.StatusBadRequest},
		{"negative offset", base + "filter/outputs/results?offset=-1", http.StatusBadRequest},
		{"unknown run", "/api/v1/runs/nope/nodes/filter/outputs/results", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := c.do(http.MethodGet, tt.path, nil); res.Code != tt.want {
				t.Errorf("GET %s: %d %s, want %d", tt.path, res.Code, res.Body, tt.want)
			}
		})
	}
}

func TestRunOutputsAfterRestart(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(storage.RoleAuthor)
	doc := testDoc("Many", "age > 0")
	doc.Nodes[0].Params["data"], _ = json.Marshal(wideCSV(250))
	w := createWorkflow(t, c, doc)
	run := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)
	base := "/api/v1/runs/" + run.ID + "/nodes/filter/outputs/results"

	ts.srv.runs = newRunManager(ts.srv) // as after a restart: only the stored previews remain
	res := c.do(http.MethodGet, base+"?offset=90&limit=10", nil)
	out := decode[outputJSON](t, res)
	if res.Code != http.StatusOK || out.Source != "stored" || out.Table.Rows != 250 || len(out.Table.Data) != 10 || out.Table.Data[0][0] != "p90" || !out.Table.Truncated {
		t.Errorf("stored page: %d %+v", res.Code, out.Table)
	}
	for _, path := range []string{base + "?offset=150", base + "/download"} {
		res := c.do(http.MethodGet, path, nil)
		if res.Code != http.StatusGone || !strings.Contains(decode[apiError](t, res).Error.Message, "run the workflow again") {
			t.Errorf("GET %s: %d %s, want 410 telling to re-run", path, res.Code, res.Body)
		}
	}
	if res := c.do(http.MethodGet, base+"?offset=1000", nil); res.Code != http.StatusOK || len(decode[outputJSON](t, res).Table.Data) != 0 {
		t.Errorf("page past the end: %d %s, want an empty page", res.Code, res.Body)
	}
	if res := c.do(http.MethodGet, "/api/v1/runs/"+run.ID, nil); decode[runJSON](t, res).OutputsInMemory {
		t.Errorf("run after restart says its outputs are in memory")
	}
}

func TestShutdownRuns(t *testing.T) {
	tests := []struct {
		name      string
		stubborn  bool
		wantError string
	}{
		// A module that watches its context stops, and the engine records it.
		{"cooperative", false, "canceled"},
		// One that does not is recorded canceled when the grace ends.
		{"stubborn", true, shutdownMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			g := withGate(ts, tt.stubborn)
			c := ts.login(storage.RoleAuthor)
			w := createWorkflow(t, c, gateDoc("Gated"))
			run := startRun(t, c, w.ID, nil)
			waitRun(t, c, run.ID, nodeRunning("wait"))

			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			ts.srv.shutdownRuns(ctx)

			stored, err := ts.store.Run(run.ID)
			if err != nil || stored.Status != workflow.StatusCanceled || stored.Error != tt.wantError {
				t.Fatalf("stored run = %+v, %v: want canceled, %q", stored, err, tt.wantError)
			}
			for id, nr := range stored.Nodes {
				if !nr.Status.Done() {
					t.Errorf("node %s stored as %s after shutdown", id, nr.Status)
				}
			}
			if res := c.do(http.MethodPost, "/api/v1/workflows/"+w.ID+"/runs", nil); res.Code != http.StatusServiceUnavailable {
				t.Errorf("start during shutdown: %d, want 503", res.Code)
			}
			// A stubborn module finishing late changes nothing stored.
			close(g.release)
			ts.srv.runs.wg.Wait()
			if again, _ := ts.store.Run(run.ID); again.Status != workflow.StatusCanceled {
				t.Errorf("after the module returned the run is %s", again.Status)
			}
			// The workflow can be deleted: no run is left in progress.
			if res := c.do(http.MethodDelete, "/api/v1/workflows/"+w.ID, nil); res.Code != http.StatusNoContent {
				t.Errorf("delete after shutdown: %d %s", res.Code, res.Body)
			}
		})
	}
}

// runIDs returns r<from> … r<to-1>.
func runIDs(from, to int) []string {
	var ids []string
	for i := from; i < to; i++ {
		ids = append(ids, fmt.Sprintf("r%d", i))
	}
	return ids
}

// reporter is a test module whose outputs are a report, a fitted transform
// and a trained model: the kinds a table preview does not cover.
type reporter struct{}

func (reporter) Spec() modules.Spec {
	return modules.Spec{
		ID: "test_reporter", Version: 1, Name: "Test Reporter", Category: modules.CategoryEvaluate,
		Summary: "Makes a report, a transform and a model.", Help: "For tests of output previews.",
		Outputs: []modules.Port{
			{Name: "report", Label: "Report", Kind: modules.KindReport},
			{Name: "transform", Label: "Transform", Kind: modules.KindTransform},
			{Name: "model", Label: "Model", Kind: modules.KindTrainedModel},
		},
	}
}

func (reporter) Infer(*modules.InferContext) ([]*modules.Shape, error) { return nil, nil }

func (reporter) Run(rc *modules.Context) error {
	scores := table.MustNew(table.Schema{{Name: "label", Type: table.String}, {Name: "count", Type: table.Int}},
		table.NewStrings([]string{"yes", "no"}, nil), table.NewInts([]int64{7, 3}, nil))
	rc.SetOutput("report", &modules.Report{Title: "Evaluation", Sections: []modules.ReportSection{
		{Title: "Metrics", Metrics: []modules.Metric{{Name: "accuracy", Value: 0.9}}, Table: scores},
		{Title: "ROC", SVG: "<svg></svg>"},
	}})
	rc.SetOutput("transform", fakeTransform{})
	rc.SetOutput("model", fakeModel{})
	return nil
}

type fakeTransform struct{}

func (fakeTransform) Apply(_ context.Context, t *table.Table) (*table.Table, error) { return t, nil }
func (fakeTransform) Describe() string                                              { return "subtracts the means" }
func (fakeTransform) MarshalJSON() ([]byte, error)                                  { return []byte(`{"means":[1.5]}`), nil }

type fakeModel struct{}

func (fakeModel) Task() modules.Task                                            { return modules.TaskBinary }
func (fakeModel) Algorithm() string                                             { return "always_yes" }
func (fakeModel) Score(_ context.Context, t *table.Table) (*table.Table, error) { return t, nil }
func (fakeModel) MarshalJSON() ([]byte, error)                                  { return []byte(`{"bias":1}`), nil }
func (fakeModel) Summary() *modules.Report {
	return &modules.Report{Title: "Summary", Sections: []modules.ReportSection{{Title: "Bias", Metrics: []modules.Metric{{Name: "bias", Value: 1}}}}}
}

func TestRunOutputKinds(t *testing.T) {
	ts := newTestServer(t)
	reg, err := modules.NewRegistry(append(builtin.Modules(), reporter{})...)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv.registry, ts.srv.engine.Registry = reg, reg
	c := ts.login(storage.RoleAuthor)
	w := createWorkflow(t, c, &workflow.Workflow{Format: 1, Name: "Report",
		Nodes: []workflow.Node{{ID: "eval", Module: "test_reporter", Version: 1}}})
	run := waitRun(t, c, startRun(t, c, w.ID, nil).ID, runDone)
	base := "/api/v1/runs/" + run.ID + "/nodes/eval/outputs/"

	check := func(t *testing.T, out outputJSON) {
		t.Helper()
		r := out.Report
		if r == nil || r.Title != "Evaluation" || len(r.Sections) != 2 || r.Sections[0].Metrics[0].Value != 0.9 ||
			r.Sections[0].Table == nil || r.Sections[0].Table.Rows != 2 || r.Sections[1].SVG != "<svg></svg>" {
			t.Errorf("report preview = %+v", r)
		}
	}
	check(t, decode[outputJSON](t, c.do(http.MethodGet, base+"report", nil)))
	tr := decode[outputJSON](t, c.do(http.MethodGet, base+"transform", nil)).Model
	if tr == nil || tr.Description != "subtracts the means" || string(tr.State) != `{"means":[1.5]}` {
		t.Errorf("transform preview = %+v", tr)
	}
	m := decode[outputJSON](t, c.do(http.MethodGet, base+"model", nil)).Model
	if m == nil || m.Algorithm != "always_yes" || m.Task != modules.TaskBinary || !m.Trained || string(m.State) != `{"bias":1}` {
		t.Errorf("model preview = %+v", m)
	}
	checkSummary := func(t *testing.T, m *modelJSON) {
		t.Helper()
		if m == nil || m.Summary == nil || len(m.Summary.Sections) != 1 || m.Summary.Sections[0].Metrics[0].Name != "bias" {
			t.Errorf("model summary = %+v", m)
		}
	}
	checkSummary(t, m)
	if tr.Summary != nil {
		t.Errorf("a transform without a summary has one: %+v", tr.Summary)
	}
	res := c.do(http.MethodGet, base+"model/download", nil)
	if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(res.Body.String()) != `{
  "bias": 1
}` {
		t.Errorf("model download: %d %q %s", res.Code, res.Header().Get("Content-Type"), res.Body)
	}

	ts.srv.runs = newRunManager(ts.srv) // the stored previews have the same shape
	stored := decode[outputJSON](t, c.do(http.MethodGet, base+"report", nil))
	if stored.Source != "stored" {
		t.Errorf("source = %q, want stored", stored.Source)
	}
	check(t, stored)
	checkSummary(t, decode[outputJSON](t, c.do(http.MethodGet, base+"model", nil)).Model)
}
