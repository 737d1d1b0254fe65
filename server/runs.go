package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// Tunables of the run manager.
const (
	// flushInterval batches node status changes into one store write:
	// fsynced writes are too slow to make one per event.
	flushInterval = 500 * time.Millisecond
	// recentRunCount and recentRunBytes bound the finished runs whose output
	// values stay in memory for paging and downloads. Most values are shared
	// with the engine's cache, so this mostly bounds what the cache may not
	// keep alive on its own.
	recentRunCount = 16
	recentRunBytes = 512 << 20
	// previewRows is how many first rows of a table output are stored with
	// the run, so that a preview outlives the process.
	previewRows = 100
	// maxPageRows bounds one page of an output preview.
	maxPageRows = 1000
	// maxInlineState bounds the fitted parameters shown in a model or
	// transform preview; a larger state is only downloadable.
	maxInlineState = 64 << 10
)

// shutdownMessage is recorded on runs that shutdown canceled.
const shutdownMessage = "canceled because the server shut down"

// runManager starts runs in the background, keeps the state of live runs for
// status queries and event streams, persists their progress, and keeps the
// output values of recent runs in memory.
type runManager struct {
	s         *Server
	heartbeat time.Duration // between SSE keep-alive comments
	// slots bounds the runs executing at once; others wait queued, so a
	// burst of runs shares the machine instead of thrashing it.
	slots chan struct{}

	mu     sync.Mutex
	live   map[string]*liveRun
	recent []*liveRun // finished runs with outputs, most recent last
	closed bool       // shutting down: no new runs
	wg     sync.WaitGroup
}

func newRunManager(s *Server) *runManager {
	m := &runManager{s: s, heartbeat: 15 * time.Second, live: map[string]*liveRun{}, slots: make(chan struct{}, 4)}
	if s != nil {
		m.slots = make(chan struct{}, s.cfg.MaxRuns)
	}
	return m
}

// get returns a run that is in memory: running, or finished recently. A
// finished run looked at becomes the most recent, so the outputs someone is
// paging through are the last to leave memory.
func (m *runManager) get(id string) *liveRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	if lr := m.live[id]; lr != nil {
		return lr
	}
	for i, lr := range m.recent {
		if lr.id == id {
			m.recent = append(slices.Delete(m.recent, i, i+1), lr)
			return lr
		}
	}
	return nil
}

// forgetWorkflow drops the finished runs of a deleted workflow from memory,
// as the store has dropped them.
func (m *runManager) forgetWorkflow(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recent = slices.DeleteFunc(m.recent, func(lr *liveRun) bool { return lr.workflowID == id })
}

// liveRun is a run this process started. Fields above mu never change once
// the run is started.
type liveRun struct {
	id         string
	workflowID string
	revision   int
	created    time.Time
	startedBy  string
	targets    []string
	plan       *workflow.Plan
	cancel     context.CancelFunc
	// done is closed once the final state is persisted and announced.
	done chan struct{}

	mu       sync.Mutex
	status   workflow.Status
	started  time.Time
	finished time.Time
	errMsg   string
	order    []string
	// nodes follows the events while the run is going; at the end it is the
	// engine's results, with logs, fitted state and output values.
	nodes    map[string]*workflow.NodeRun
	progress map[string]float64
	dirty    bool // node statuses changed since the last store write
	events   eventLog
	subs     map[*subscriber]struct{}
	// columns caches the statistics of table outputs by "node.port", so
	// paging through an output does not compute them again.
	columns map[string][]ColumnPreview
	size    int64 // estimated bytes of output values
	closed  bool  // the final event is sent and subscribers are closed

	// persistMu orders store writes: no progress write lands after the
	// final one, whoever (the run or shutdown) writes that.
	persistMu sync.Mutex
	finalized bool
}

// runStartRequest is the body of a run start; every field is optional.
type runStartRequest struct {
	// Revision defaults to the latest.
	Revision int `json:"revision"`
	// UpTo runs only this node (id or unique title) and what it depends on.
	UpTo string `json:"up_to"`
	// Params set workflow parameters; strings are converted to the
	// parameter's type as on the command line.
	Params map[string]json.RawMessage `json:"params"`
}

// handleRunStart checks the workflow, records a run and starts it in the
// background: 202 with the run, whose progress the events route streams.
func (s *Server) handleRunStart(c echo.Context) error {
	var req runStartRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	doc, rev, err := s.runDocument(c.Param("id"), req.Revision)
	if err != nil {
		return err
	}
	set, err := paramStrings(req.Params)
	if err != nil {
		return err
	}
	vars, err := doc.Vars(set)
	if err != nil {
		return fieldErr("params", "%v", err)
	}
	var targets []string
	if req.UpTo != "" {
		n, err := doc.FindNode(req.UpTo)
		if err != nil {
			return fieldErr("up_to", "%v", err)
		}
		targets = []string{n.ID}
	}
	plan := workflow.Compile(c.Request().Context(), doc, s.registry, vars, s.Resources())
	if len(plan.Problems) > 0 {
		return &workflow.ValidationError{Problems: plan.Problems}
	}
	lr, err := s.runs.start(c.Param("id"), rev, currentUser(c).Username, plan, targets)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/runs/"+lr.id)
	return c.JSON(http.StatusAccepted, lr.view(true))
}

// runDocument loads the revision to run: the latest when rev is 0.
func (s *Server) runDocument(id string, rev int) (*workflow.Workflow, int, error) {
	w, err := s.store.Workflow(id)
	if err != nil {
		return nil, 0, err
	}
	if rev == 0 || rev == w.Revision {
		return w.Doc, w.Revision, nil
	}
	if rev < 0 || rev > w.Revision {
		return nil, 0, fieldErr("revision", "workflow %q has revisions 1 to %d, not %d", w.Name, w.Revision, rev)
	}
	r, err := s.store.WorkflowRevision(id, rev)
	if err != nil {
		return nil, 0, err
	}
	return r.Doc, r.Number, nil
}

// paramStrings turns JSON parameter values into the text Workflow.Vars
// converts: strings as they are, numbers and booleans as written.
func paramStrings(params map[string]json.RawMessage) (map[string]string, error) {
	set := make(map[string]string, len(params))
	for name, raw := range params {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fieldErr("params."+name, "parameter %s: %v", name, err)
		}
		switch x := v.(type) {
		case string:
			set[name] = x
		case float64, bool:
			set[name] = string(raw)
		default:
			return nil, fieldErr("params."+name, "parameter %s must be a string, number or boolean", name)
		}
	}
	return set, nil
}

// start records the run and runs it in the background with a context only
// the manager cancels: the run outlives the request that started it.
func (m *runManager) start(workflowID string, rev int, user string, plan *workflow.Plan, targets []string) (*liveRun, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errf(http.StatusServiceUnavailable, CodeUnavailable, "the server is shutting down; start the run again after it restarts")
	}
	order := selection(plan, targets)
	nodes := make(map[string]*workflow.NodeRun, len(order))
	for _, id := range order {
		nodes[id] = &workflow.NodeRun{Node: id, Status: workflow.StatusQueued}
	}
	rec, err := m.s.store.CreateRun(storage.Run{
		WorkflowID: workflowID, Revision: rev, StartedBy: user, Targets: targets,
		Run: workflow.Run{Status: workflow.StatusQueued, Order: order, Nodes: nodes},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	lr := &liveRun{
		id: rec.ID, workflowID: workflowID, revision: rev, created: rec.Created, startedBy: user,
		targets: targets, plan: plan, cancel: cancel, done: make(chan struct{}),
		status: workflow.StatusQueued, order: order, nodes: nodes,
		progress: map[string]float64{}, subs: map[*subscriber]struct{}{}, columns: map[string][]ColumnPreview{},
	}
	m.mu.Lock()
	if m.closed {
		// Shutdown began while the record was written: record it canceled
		// rather than leave it for the next start to recover.
		m.mu.Unlock()
		cancel()
		m.abandon(lr)
		return nil, errf(http.StatusServiceUnavailable, CodeUnavailable, "the server is shutting down; start the run again after it restarts")
	}
	m.live[lr.id] = lr
	m.wg.Add(1)
	m.mu.Unlock()
	go m.execute(ctx, lr)
	return lr, nil
}

// selection returns the nodes a run executes in topological order: all, or
// the targets and their ancestors (as the engine selects them).
func selection(plan *workflow.Plan, targets []string) []string {
	if len(targets) == 0 {
		return slices.Clone(plan.Order)
	}
	sel := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if sel[id] {
			return
		}
		sel[id] = true
		for _, in := range plan.Nodes[id].Inputs {
			if in != nil {
				visit(in.Node)
			}
		}
	}
	for _, t := range targets {
		visit(t)
	}
	var order []string
	for _, id := range plan.Order {
		if sel[id] {
			order = append(order, id)
		}
	}
	return order
}

func (m *runManager) execute(ctx context.Context, lr *liveRun) {
	defer m.wg.Done()
	defer lr.cancel()
	select {
	case m.slots <- struct{}{}:
		defer func() { <-m.slots }()
	case <-ctx.Done():
		// Canceled while queued: Execute below records every node canceled.
	}
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		t := time.NewTicker(flushInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.persistProgress(lr)
			}
		}
	}()
	run, err := m.s.engine.Execute(ctx, lr.plan, workflow.RunOptions{
		Vars: lr.plan.Vars, Targets: lr.targets, OnEvent: lr.onEvent, OnNodeResult: lr.onNodeResult,
	})
	close(stop)
	<-flushed
	m.finish(lr, run, err)
}

// onNodeResult keeps a finished node's outputs and logs, so they can be
// looked at while the rest of the run goes on.
func (lr *liveRun) onNodeResult(res *workflow.NodeRun) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	nr := lr.nodes[res.Node]
	if nr == nil {
		nr = &workflow.NodeRun{Node: res.Node}
		lr.nodes[res.Node] = nr
	}
	nr.Outputs, nr.Logs, nr.Param, nr.State = res.Outputs, res.Logs, res.Param, res.State
	nr.Executed, nr.CacheKey = res.Executed, res.CacheKey
}

// onEvent follows the engine's events: node statuses for queries and the
// store, and every event for subscribers. Progress ticks only go to
// subscribers; they are not worth a store write.
func (lr *liveRun) onEvent(ev workflow.Event) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if ev.Node == "" {
		// The engine's final run event comes before the results are stored;
		// finish announces the end once they are.
		if ev.Status == workflow.StatusRunning {
			lr.status, lr.started, lr.dirty = ev.Status, ev.Time, true
			lr.publish("run", lr.viewLocked(false))
		}
		return
	}
	nr := lr.nodes[ev.Node]
	if nr == nil {
		nr = &workflow.NodeRun{Node: ev.Node}
		lr.nodes[ev.Node] = nr
	}
	tick := ev.Status == workflow.StatusRunning && nr.Status == workflow.StatusRunning
	switch {
	case tick:
		lr.progress[ev.Node] = ev.Progress
	case ev.Status == workflow.StatusRunning:
		nr.Status, nr.Started = ev.Status, ev.Time
		lr.progress[ev.Node] = 0
	default:
		nr.Status, nr.Rows, nr.Duration, nr.Error = ev.Status, ev.Rows, ev.Duration, ev.Error
		if ev.Status.Done() && nr.Started.IsZero() {
			nr.Started = ev.Time.Add(-ev.Duration)
		}
		delete(lr.progress, ev.Node)
	}
	if !tick {
		lr.dirty = true
	}
	lr.publish("node", lr.nodeViewLocked(ev.Node))
}

// persistProgress writes the node statuses that changed since the last write.
func (m *runManager) persistProgress(lr *liveRun) {
	lr.persistMu.Lock()
	defer lr.persistMu.Unlock()
	if lr.finalized {
		return
	}
	lr.mu.Lock()
	if !lr.dirty {
		lr.mu.Unlock()
		return
	}
	snap := lr.snapshotLocked()
	lr.dirty = false
	lr.mu.Unlock()
	if _, err := m.s.store.UpdateRun(lr.id, func(r *storage.Run) error { r.Run = snap; return nil }); err != nil {
		m.s.log.Error("record run progress", "run", lr.id, "error", err)
		lr.mu.Lock()
		lr.dirty = true
		lr.mu.Unlock()
	}
}

// snapshotLocked copies the run's state for the store.
func (lr *liveRun) snapshotLocked() workflow.Run {
	r := workflow.Run{Status: lr.status, Started: lr.started, Finished: lr.finished, Order: lr.order,
		Nodes: make(map[string]*workflow.NodeRun, len(lr.nodes))}
	for id, nr := range lr.nodes {
		c := *nr
		c.Outputs = nil
		r.Nodes[id] = &c
	}
	return r
}

// finish records the engine's results: output previews first, then the
// final state, so a stored run that says it finished has its previews.
// Only then does the run say so in memory, are subscribers told, and are
// its outputs kept for paging. A run that shutdown already recorded as
// canceled keeps that state; the late results are dropped.
func (m *runManager) finish(lr *liveRun, run *workflow.Run, err error) {
	final, msg := lr.finalState(run, err)
	lr.persistMu.Lock()
	if !lr.finalized {
		m.storePreviews(lr, final)
		stored := final
		stored.Nodes = withoutOutputs(final.Nodes)
		if _, err := m.s.store.UpdateRun(lr.id, func(r *storage.Run) error {
			r.Run, r.Error = stored, msg
			return nil
		}); err != nil {
			m.s.log.Error("record finished run", "run", lr.id, "error", err)
		}
		lr.finalized = true
		m.s.metrics.runDone(final.Status)
		lr.mu.Lock()
		lr.status, lr.started, lr.finished, lr.errMsg = final.Status, final.Started, final.Finished, msg
		lr.order, lr.nodes = final.Order, final.Nodes
		lr.size = outputsSize(final.Nodes)
		clear(lr.progress)
		lr.closeLocked()
		lr.mu.Unlock()
	}
	lr.persistMu.Unlock()
	close(lr.done)

	m.mu.Lock()
	delete(m.live, lr.id)
	m.recent = append(m.recent, lr)
	m.evictLocked()
	m.mu.Unlock()
}

// finalState is the run's end as the engine reports it, or, should the
// engine refuse the plan (unreachable while start compiles it first), the
// last known state marked failed.
func (lr *liveRun) finalState(run *workflow.Run, err error) (workflow.Run, string) {
	if err == nil && run != nil {
		msg := ""
		if run.Status == workflow.StatusCanceled {
			msg = "canceled"
		}
		return *run, msg
	}
	msg := "the engine refused the run"
	if err != nil {
		msg = err.Error()
	}
	lr.mu.Lock()
	final := lr.snapshotLocked()
	lr.mu.Unlock()
	final.Status, final.Finished = workflow.StatusFailed, time.Now()
	for _, nr := range final.Nodes {
		if !nr.Status.Done() {
			nr.Status = workflow.StatusCanceled
		}
	}
	return final, msg
}

// withoutOutputs copies node results for the store, which has no use for
// the output values (they are not encoded anyway) and must not share them.
func withoutOutputs(nodes map[string]*workflow.NodeRun) map[string]*workflow.NodeRun {
	out := make(map[string]*workflow.NodeRun, len(nodes))
	for id, nr := range nodes {
		c := *nr
		c.Outputs = nil
		out[id] = &c
	}
	return out
}

// evictLocked drops the output values of the least recent runs beyond the
// count and size bounds; their stored previews remain.
func (m *runManager) evictLocked() {
	var total int64
	for _, lr := range m.recent {
		total += lr.size
	}
	for len(m.recent) > 0 && (len(m.recent) > recentRunCount || total > recentRunBytes) {
		total -= m.recent[0].size
		m.recent = m.recent[1:]
	}
}

func outputsSize(nodes map[string]*workflow.NodeRun) int64 {
	var n int64
	for _, nr := range nodes {
		for _, o := range nr.Outputs {
			n += valueSize(o)
		}
	}
	return n
}

func valueSize(v any) int64 {
	switch x := v.(type) {
	case *table.Table:
		return workflow.TableSize(x)
	case *modules.Report:
		n := int64(1024)
		for _, sec := range x.Sections {
			n += int64(len(sec.SVG))
			if sec.Table != nil {
				n += workflow.TableSize(sec.Table)
			}
		}
		return n
	}
	return 1024
}

// storePreviews keeps the first rows and statistics of every output with
// the run, so they can be shown after the values have left memory.
func (m *runManager) storePreviews(lr *liveRun, run workflow.Run) {
	for _, id := range run.Order {
		nr := run.Nodes[id]
		if nr == nil || nr.Outputs == nil {
			continue
		}
		for i, port := range lr.plan.Nodes[id].Spec.Outputs {
			ref := workflow.PortRef{Node: id, Port: port.Name}
			data, err := lr.storedPreview(ref, port.Kind, nr.Outputs[i])
			if err == nil {
				err = m.s.store.PutRunPreview(lr.id, ref, data)
			}
			if err != nil {
				m.s.log.Warn("store output preview", "run", lr.id, "output", ref.String(), "error", err)
			}
		}
	}
}

// storedPreview encodes an output's preview within storage.MaxPreviewSize,
// with fewer rows when a wide table would not fit.
func (lr *liveRun) storedPreview(ref workflow.PortRef, kind modules.PortKind, v any) ([]byte, error) {
	for _, rows := range []int{previewRows, 20, 0} {
		out := lr.outputView(ref, kind, v, 0, rows)
		out.Source = ""
		data, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		if len(data) <= storage.MaxPreviewSize {
			return data, nil
		}
	}
	return nil, fmt.Errorf("preview of %s is larger than %d bytes even without rows", ref, storage.MaxPreviewSize)
}

// abandon records a run that did not end in time (at shutdown, or started
// as shutdown began) as canceled, so that the next start has nothing to
// recover. The engine may still be running it; its results are then dropped.
func (m *runManager) abandon(lr *liveRun) {
	lr.persistMu.Lock()
	defer lr.persistMu.Unlock()
	if lr.finalized {
		return
	}
	lr.mu.Lock()
	final := lr.snapshotLocked()
	lr.mu.Unlock()
	final.Status, final.Finished = workflow.StatusCanceled, time.Now()
	for _, nr := range final.Nodes {
		if !nr.Status.Done() {
			nr.Status, nr.Error = workflow.StatusCanceled, shutdownMessage
		}
	}
	if _, err := m.s.store.UpdateRun(lr.id, func(r *storage.Run) error {
		r.Run, r.Error = final, shutdownMessage
		return nil
	}); err != nil {
		m.s.log.Error("record canceled run", "run", lr.id, "error", err)
	}
	lr.finalized = true
	m.s.metrics.runDone(workflow.StatusCanceled)
	lr.mu.Lock()
	lr.status, lr.finished, lr.errMsg, lr.nodes = final.Status, final.Finished, shutdownMessage, final.Nodes
	clear(lr.progress)
	lr.closeLocked()
	lr.mu.Unlock()
}

// shutdownRuns cancels every run in progress and waits, until ctx ends, for
// each to record its final state; a run that does not stop in time is
// recorded as canceled anyway. No run is left "running" in the store.
func (s *Server) shutdownRuns(ctx context.Context) {
	m := s.runs
	m.mu.Lock()
	m.closed = true
	var live []*liveRun
	for _, lr := range m.live {
		live = append(live, lr)
	}
	m.mu.Unlock()
	for _, lr := range live {
		lr.cancel()
	}
	for _, lr := range live {
		select {
		case <-lr.done:
		case <-ctx.Done():
			m.abandon(lr)
		}
	}
	if len(live) > 0 {
		s.log.Info("runs canceled for shutdown", "runs", len(live))
	}
}

// runJSON is a run as the API shows it. Nodes are in topological order and
// left out of listings.
type runJSON struct {
	ID         string          `json:"id"`
	WorkflowID string          `json:"workflow_id"`
	Revision   int             `json:"revision"`
	Created    time.Time       `json:"created"`
	StartedBy  string          `json:"started_by,omitempty"`
	Targets    []string        `json:"targets,omitempty"`
	Status     workflow.Status `json:"status"`
	Started    time.Time       `json:"started,omitzero"`
	Finished   time.Time       `json:"finished,omitzero"`
	DurationMS int64           `json:"duration_ms"`
	Error      string          `json:"error,omitempty"`
	// OutputsInMemory says whether outputs can be paged to the end and
	// downloaded; otherwise only the stored previews (first rows and
	// statistics) remain, and a re-run brings them back from the cache.
	OutputsInMemory bool       `json:"outputs_in_memory"`
	Nodes           []nodeJSON `json:"nodes,omitempty"`
}

// nodeJSON is one node's state in a run; SSE node events carry it too.
type nodeJSON struct {
	Node       string          `json:"node"`
	Status     workflow.Status `json:"status"`
	Progress   float64         `json:"progress,omitempty"`
	Started    time.Time       `json:"started,omitzero"`
	DurationMS int64           `json:"duration_ms"`
	Rows       int             `json:"rows"`
	Cached     bool            `json:"cached"`
	Error      string          `json:"error,omitempty"`
	// Param is the parameter at fault when the node failed on one.
	Param string `json:"param,omitempty"`
}

func nodeView(nr *workflow.NodeRun, progress float64) nodeJSON {
	return nodeJSON{
		Node: nr.Node, Status: nr.Status, Progress: progress, Started: nr.Started,
		DurationMS: nr.Duration.Milliseconds(), Rows: nr.Rows, Cached: nr.Status == workflow.StatusCached,
		Error: nr.Error, Param: nr.Param,
	}
}

func runView(r *storage.Run, withNodes bool) runJSON {
	out := runJSON{
		ID: r.ID, WorkflowID: r.WorkflowID, Revision: r.Revision, Created: r.Created, StartedBy: r.StartedBy,
		Targets: r.Targets, Status: r.Status, Started: r.Started, Finished: r.Finished, Error: r.Error,
	}
	if !r.Finished.IsZero() && !r.Started.IsZero() {
		out.DurationMS = r.Finished.Sub(r.Started).Milliseconds()
	}
	if withNodes {
		out.Nodes = orderedNodes(r.Order, r.Nodes, nil)
	}
	return out
}

// orderedNodes lists node results in run order, then any the order lacks.
func orderedNodes(order []string, nodes map[string]*workflow.NodeRun, progress map[string]float64) []nodeJSON {
	out := make([]nodeJSON, 0, len(nodes))
	for _, id := range order {
		if nr := nodes[id]; nr != nil {
			out = append(out, nodeView(nr, progress[id]))
		}
	}
	if len(out) < len(nodes) {
		var rest []string
		for id := range nodes {
			if !slices.Contains(order, id) {
				rest = append(rest, id)
			}
		}
		slices.Sort(rest)
		for _, id := range rest {
			out = append(out, nodeView(nodes[id], progress[id]))
		}
	}
	return out
}

func (lr *liveRun) view(withNodes bool) runJSON {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.viewLocked(withNodes)
}

func (lr *liveRun) viewLocked(withNodes bool) runJSON {
	out := runJSON{
		ID: lr.id, WorkflowID: lr.workflowID, Revision: lr.revision, Created: lr.created, StartedBy: lr.startedBy,
		Targets: lr.targets, Status: lr.status, Started: lr.started, Finished: lr.finished, Error: lr.errMsg,
		OutputsInMemory: lr.status.Done() && lr.errMsg != shutdownMessage,
	}
	switch {
	case !lr.finished.IsZero() && !lr.started.IsZero():
		out.DurationMS = lr.finished.Sub(lr.started).Milliseconds()
	case !lr.started.IsZero():
		out.DurationMS = time.Since(lr.started).Milliseconds()
	}
	if withNodes {
		out.Nodes = orderedNodes(lr.order, lr.nodes, lr.progress)
	}
	return out
}

func (lr *liveRun) nodeViewLocked(id string) nodeJSON {
	return nodeView(lr.nodes[id], lr.progress[id])
}

// lastRun returns the newest run of a workflow, or nil when it never ran.
func (s *Server) lastRun(workflowID string) (*runJSON, error) {
	rs, err := s.store.Runs(workflowID, 1)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	v := s.runSummary(rs[0])
	return &v, nil
}

// runSummary shows a listed run, with the live status when it is running:
// the store lags behind by up to flushInterval.
func (s *Server) runSummary(r *storage.Run) runJSON {
	if lr := s.runs.get(r.ID); lr != nil {
		return lr.view(false)
	}
	return runView(r, false)
}

func (s *Server) handleRunList(c echo.Context) error {
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return fieldErr("limit", "limit must be a number from 1 to 500")
		}
		limit = n
	}
	rs, err := s.store.Runs(c.Param("id"), limit)
	if err != nil {
		return err
	}
	out := make([]runJSON, len(rs))
	for i, r := range rs {
		out[i] = s.runSummary(r)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleRunGet(c echo.Context) error {
	if lr := s.runs.get(c.Param("id")); lr != nil {
		return c.JSON(http.StatusOK, lr.view(true))
	}
	r, err := s.store.Run(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, runView(r, true))
}

// handleRunCancel asks a run to stop: 202 while it stops (nodes that are
// running see their context canceled), 200 with the final state when it
// had already finished, which is not an error for a cancel racing the end.
func (s *Server) handleRunCancel(c echo.Context) error {
	id := c.Param("id")
	if lr := s.runs.get(id); lr != nil {
		v := lr.view(true)
		if v.Status.Done() {
			return c.JSON(http.StatusOK, v)
		}
		lr.cancel()
		s.audit(c, "run.cancel", id, "")
		return c.JSON(http.StatusAccepted, v)
	}
	r, err := s.store.Run(id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, runView(r, true))
}

// nodeLogsJSON is a node's log. Lines arrive when the node's run ends.
type nodeLogsJSON struct {
	Node   string             `json:"node"`
	Status workflow.Status    `json:"status"`
	Lines  []workflow.LogLine `json:"lines"`
}

func (s *Server) handleRunNodeLogs(c echo.Context) error {
	id, node := c.Param("id"), c.Param("node")
	var nr *workflow.NodeRun
	if lr := s.runs.get(id); lr != nil {
		lr.mu.Lock()
		if n := lr.nodes[node]; n != nil {
			cp := *n
			nr = &cp
		}
		lr.mu.Unlock()
	} else {
		r, err := s.store.Run(id)
		if err != nil {
			return err
		}
		nr = r.Nodes[node]
	}
	if nr == nil {
		return errf(http.StatusNotFound, CodeNotFound, "node %q was not part of run %s", node, id)
	}
	lines := nr.Logs
	if lines == nil {
		lines = []workflow.LogLine{}
	}
	return c.JSON(http.StatusOK, nodeLogsJSON{Node: node, Status: nr.Status, Lines: lines})
}

// outputJSON is the preview of one output port. Exactly one of Table,
// Report and Model is set, by Kind. The same shape is stored with the run.
type outputJSON struct {
	Node string           `json:"node"`
	Port string           `json:"port"`
	Kind modules.PortKind `json:"kind"`
	// Source is "memory" when the full value is at hand (every page, and
	// downloads) and "stored" when only the stored first rows are.
	Source string        `json:"source,omitempty"`
	Table  *TablePreview `json:"table,omitempty"`
	Report *reportJSON   `json:"report,omitempty"`
	Model  *modelJSON    `json:"model,omitempty"`
}

// reportJSON is a modules.Report with its tables as previews.
type reportJSON struct {
	Title    string              `json:"title"`
	Sections []reportSectionJSON `json:"sections"`
}

type reportSectionJSON struct {
	Title   string           `json:"title"`
	Metrics []modules.Metric `json:"metrics,omitempty"`
	Table   *TablePreview    `json:"table,omitempty"`
	SVG     string           `json:"svg,omitempty"`
}

// modelJSON describes a model or a fitted transform. State, the fitted
// parameters, is inlined up to maxInlineState bytes; the download has it all.
type modelJSON struct {
	Algorithm   string          `json:"algorithm,omitempty"`
	Task        modules.Task    `json:"task,omitempty"`
	Trained     bool            `json:"trained"`
	Description string          `json:"description,omitempty"`
	StateBytes  int             `json:"state_bytes,omitempty"`
	State       json.RawMessage `json:"state,omitempty"`
	// Summary is what the model learnt, as a report (weights, trees).
	Summary *reportJSON `json:"summary,omitempty"`
}

// outputView previews a value: a page of a table (statistics computed once
// per output), a report with its tables' first rows, or a model's description.
func (lr *liveRun) outputView(ref workflow.PortRef, kind modules.PortKind, v any, offset, limit int) outputJSON {
	out := outputJSON{Node: ref.Node, Port: ref.Port, Kind: kind, Source: "memory"}
	switch x := v.(type) {
	case *table.Table:
		p := pageTable(x, lr.tableColumns(ref, x), limit, offset)
		out.Table = &p
	case *modules.Report:
		out.Report = reportView(x, limit)
	case modules.Model:
		out.Model = &modelJSON{Algorithm: x.Algorithm(), Task: x.Task(), Trained: true}
		out.Model.setState(x)
		out.Model.setSummary(x, limit)
	case modules.Learner:
		out.Model = &modelJSON{Algorithm: x.Algorithm(), Task: x.Task()}
	case modules.Transform:
		out.Model = &modelJSON{Description: x.Describe(), Trained: true}
		out.Model.setState(x)
		out.Model.setSummary(x, limit)
	}
	return out
}

// reportView previews a report: its tables' first rows.
func reportView(x *modules.Report, limit int) *reportJSON {
	r := &reportJSON{Title: x.Title, Sections: make([]reportSectionJSON, len(x.Sections))}
	for i, sec := range x.Sections {
		r.Sections[i] = reportSectionJSON{Title: sec.Title, Metrics: sec.Metrics, SVG: sec.SVG}
		if sec.Table != nil {
			p := previewTable(sec.Table, max(limit, previewRows), 0)
			r.Sections[i].Table = &p
		}
	}
	return r
}

// setSummary adds what a model or transform says it learnt, when it can.
func (mj *modelJSON) setSummary(v any, limit int) {
	if s, ok := v.(modules.Summarizer); ok {
		if r := s.Summary(); r != nil {
			mj.Summary = reportView(r, limit)
		}
	}
}

func (mj *modelJSON) setState(m json.Marshaler) {
	data, err := m.MarshalJSON()
	if err != nil {
		return
	}
	mj.StateBytes = len(data)
	if len(data) <= maxInlineState {
		mj.State = data
	}
}

// tableColumns returns the statistics of a table output, computing them once.
func (lr *liveRun) tableColumns(ref workflow.PortRef, t *table.Table) []ColumnPreview {
	key := ref.String()
	lr.mu.Lock()
	cols, ok := lr.columns[key]
	lr.mu.Unlock()
	if ok {
		return cols
	}
	cols = tableColumns(t)
	lr.mu.Lock()
	lr.columns[key] = cols
	lr.mu.Unlock()
	return cols
}

// errOutputGone says that an output's full value has left memory.
func errOutputGone(runID string, ref workflow.PortRef) error {
	return errf(http.StatusGone, CodeGone,
		"the full output %s of run %s is no longer in memory (the server restarted or newer runs took its place) and only its first %d rows were kept; run the workflow again — unchanged nodes come from the cache",
		ref, runID, previewRows)
}

// output returns a finished run's value on a port with its kind, or an
// error saying why there is none.
func (lr *liveRun) output(ref workflow.PortRef) (any, modules.PortKind, error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	pn := lr.plan.Nodes[ref.Node]
	nr := lr.nodes[ref.Node]
	if pn == nil || nr == nil {
		return nil, "", errf(http.StatusNotFound, CodeNotFound, "node %q was not part of run %s", ref.Node, lr.id)
	}
	i := pn.Spec.Output(ref.Port)
	if i < 0 {
		return nil, "", errf(http.StatusNotFound, CodeNotFound, "node %q (%s) has no output %q", ref.Node, pn.Spec.Name, ref.Port)
	}
	kind := pn.Spec.Outputs[i].Kind
	switch {
	case !lr.status.Done() && nr.Outputs == nil:
		return nil, kind, errf(http.StatusConflict, CodeConflict, "node %q of run %s is %s; its outputs can be seen when it is done", ref.Node, lr.id, nr.Status)
	case nr.Outputs == nil && lr.errMsg == shutdownMessage:
		return nil, kind, errOutputGone(lr.id, ref)
	case nr.Outputs == nil:
		return nil, kind, errf(http.StatusNotFound, CodeNotFound, "node %q produced no outputs: it %s", ref.Node, nr.Status)
	}
	return nr.Outputs[i], kind, nil
}

// handleRunOutputPreview pages through an output (?offset=&limit=): from
// memory for recent runs, else from the preview stored with the run.
func (s *Server) handleRunOutputPreview(c echo.Context) error {
	id := c.Param("id")
	ref := workflow.PortRef{Node: c.Param("node"), Port: c.Param("port")}
	offset, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	if lr := s.runs.get(id); lr != nil {
		v, kind, err := lr.output(ref)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, lr.outputView(ref, kind, v, offset, limit))
	}
	out, err := s.storedOutput(id, ref)
	if err != nil {
		return err
	}
	if t := out.Table; t != nil {
		offset = min(offset, t.Rows) // past the end: an empty page, as from memory
		end := min(offset+limit, t.Rows)
		if offset < t.Rows && (offset < t.Offset || end > t.Offset+len(t.Data)) {
			return errOutputGone(id, ref)
		}
		t.Data = t.Data[min(offset-t.Offset, len(t.Data)):min(end-t.Offset, len(t.Data))]
		t.Offset, t.Truncated = offset, end < t.Rows
	}
	return c.JSON(http.StatusOK, out)
}

// storedOutput reads the preview stored with a run, or says why there is none.
func (s *Server) storedOutput(id string, ref workflow.PortRef) (*outputJSON, error) {
	data, err := s.store.RunPreview(id, ref)
	if errors.Is(err, storage.ErrNotFound) {
		r, rerr := s.store.Run(id)
		if rerr != nil {
			return nil, rerr
		}
		nr := r.Nodes[ref.Node]
		switch {
		case nr == nil:
			return nil, errf(http.StatusNotFound, CodeNotFound, "node %q was not part of run %s", ref.Node, id)
		case nr.Status != workflow.StatusSucceeded && nr.Status != workflow.StatusCached:
			return nil, errf(http.StatusNotFound, CodeNotFound, "node %q produced no outputs: it %s", ref.Node, nr.Status)
		}
		return nil, errf(http.StatusNotFound, CodeNotFound, "run %s has no output %s", id, ref)
	}
	if err != nil {
		return nil, err
	}
	var out outputJSON
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("run %s preview %s: %w", id, ref, err)
	}
	out.Source = "stored"
	return &out, nil
}

func pageParams(c echo.Context) (offset, limit int, err error) {
	offset, limit = 0, previewRows
	if v := c.QueryParam("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, fieldErr("offset", "offset must be a row number, 0 or more")
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 || limit > maxPageRows {
			return 0, 0, fieldErr("limit", "limit must be a number from 0 to %d", maxPageRows)
		}
	}
	return offset, limit, nil
}

// handleRunOutputDownload answers an output whole: a table as CSV, anything
// else as JSON. It needs the value in memory.
func (s *Server) handleRunOutputDownload(c echo.Context) error {
	id := c.Param("id")
	ref := workflow.PortRef{Node: c.Param("node"), Port: c.Param("port")}
	lr := s.runs.get(id)
	if lr == nil {
		if _, err := s.storedOutput(id, ref); err != nil {
			return err
		}
		return errOutputGone(id, ref)
	}
	v, kind, err := lr.output(ref)
	if err != nil {
		return err
	}
	name := exportBase(ref.Node + "-" + ref.Port)
	if t, ok := v.(*table.Table); ok {
		c.Response().Header().Set(echo.HeaderContentDisposition, attachment(name+".csv"))
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().WriteHeader(http.StatusOK)
		// Once streaming has begun an error can only cut the file short.
		if err := table.WriteCSV(c.Response(), t, table.CSVOptions{}); err != nil {
			s.log.Warn("output download cut short", "run", id, "output", ref.String(), "error", err)
		}
		return nil
	}
	var body any = v
	switch x := v.(type) {
	case *modules.Report:
		out := lr.outputView(ref, kind, x, 0, maxPageRows)
		body = out.Report
	case modules.Learner:
		body = lr.outputView(ref, kind, x, 0, 0).Model
	}
	data, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, attachment(name+".json"))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, data)
}
