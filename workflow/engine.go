package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Engine runs workflows. It is safe for concurrent use by many runs.
type Engine struct {
	Registry  *modules.Registry
	Resources modules.Resources
	// Cache keeps node results between runs; nil disables caching.
	Cache Cache
	// Workers bounds how many nodes run at once (default: GOMAXPROCS).
	Workers int
	// NodeTimeout bounds each node's run unless RunOptions says otherwise (0: none).
	NodeTimeout time.Duration
	Logger      *slog.Logger
	// OnNodeDone, when set, hears every node's final status (for metrics).
	OnNodeDone func(module string, status Status, d time.Duration)
}

// RunOptions tune one run.
type RunOptions struct {
	// Vars are workflow parameter values (see Workflow.Vars).
	Vars map[string]any
	// Targets, when set, runs only these nodes and what they depend on
	// ("run up to the selected node").
	Targets []string
	// States holds recorded fitted state by node id. A stateful node with a
	// state here applies it instead of fitting — how a published endpoint
	// transforms requests exactly as in training.
	States map[string]modules.State
	// NodeTimeout overrides Engine.NodeTimeout.
	NodeTimeout time.Duration
	// OnEvent receives status and progress events, from several goroutines
	// one at a time, in order for each node.
	OnEvent func(Event)
	// OnNodeResult receives each node's final result — outputs, logs, state,
	// the parameter at fault — just before its final event, so a caller can
	// show a finished node's outputs while the rest of the run goes on. The
	// NodeRun must not be modified.
	OnNodeResult func(*NodeRun)
	// NoCache bypasses reading the cache (results are still stored).
	NoCache bool
	// Release drops a node's outputs as soon as every node reading them has
	// finished, unless the node is listed in Keep — so a headless run over
	// big data holds two or three stages in memory instead of all of them.
	Release bool
	Keep    []string
}

// Run is the result of running a workflow.
type Run struct {
	Status   Status              `json:"status"`
	Started  time.Time           `json:"started"`
	Finished time.Time           `json:"finished"`
	Nodes    map[string]*NodeRun `json:"nodes"`
	// Order is the topological order of the nodes that were part of the run.
	Order []string `json:"order"`
}

// NodeRun is the result of one node in a run.
type NodeRun struct {
	Node     string        `json:"node"`
	Status   Status        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Param    string        `json:"param,omitempty"` // the parameter at fault, when known
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration"`
	Rows     int           `json:"rows"`
	CacheKey string        `json:"cache_key,omitempty"`
	// State is the fitted state of a stateful node (recorded for publishing).
	State modules.State `json:"state,omitempty"`
	Logs  []LogLine     `json:"logs,omitempty"`
	// Outputs holds the values on the output ports, by port index.
	Outputs []any `json:"-"`
	// Executed is true when the module actually ran (not cached, skipped...).
	Executed bool `json:"executed"`
}

// Output returns the value on the named output port of a node.
func (r *Run) Output(node, port string, plan *Plan) (any, error) {
	nr, ok := r.Nodes[node]
	if !ok {
		return nil, fmt.Errorf("node %q was not part of the run", node)
	}
	pn := plan.Nodes[node]
	i := pn.Spec.Output(port)
	if i < 0 {
		return nil, fmt.Errorf("%s has no output port %q (outputs: %s)", pn.Spec.Name, port, portNames(pn.Spec.Outputs))
	}
	if nr.Outputs == nil {
		return nil, fmt.Errorf("node %q did not produce outputs (%s)", node, nr.Status)
	}
	return nr.Outputs[i], nil
}

// Err returns the first node failure in topological order, or nil.
func (r *Run) Err() error {
	for _, id := range r.Order {
		if nr := r.Nodes[id]; nr.Status == StatusFailed || nr.Status == StatusCanceled {
			return &NodeError{Node: id, Param: nr.Param, Message: nr.Error}
		}
	}
	return nil
}

// NodeError is a node's failure.
type NodeError struct {
	Node, Param, Message string
}

func (e *NodeError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("node %s: parameter %s: %s", e.Node, e.Param, e.Message)
	}
	return fmt.Sprintf("node %s: %s", e.Node, e.Message)
}

// Run validates the workflow and runs it. A workflow that does not validate
// returns a *ValidationError and runs nothing; node failures do not make Run
// return an error — they are in the Run (see Run.Err), and unrelated branches
// still finish.
func (e *Engine) Run(ctx context.Context, wf *Workflow, opts RunOptions) (*Run, *Plan, error) {
	plan := Compile(ctx, wf, e.Registry, opts.Vars, e.Resources)
	if len(plan.Problems) > 0 {
		return nil, plan, &ValidationError{Problems: plan.Problems}
	}
	run, err := e.Execute(ctx, plan, opts)
	return run, plan, err
}

// Execute runs a compiled, problem-free plan.
func (e *Engine) Execute(ctx context.Context, plan *Plan, opts RunOptions) (*Run, error) {
	if len(plan.Problems) > 0 {
		return nil, &ValidationError{Problems: plan.Problems}
	}
	selected, err := plan.selection(opts.Targets)
	if err != nil {
		return nil, err
	}
	x := &execution{
		engine: e, plan: plan, opts: opts,
		run:    &Run{Status: StatusRunning, Started: time.Now(), Nodes: map[string]*NodeRun{}},
		logger: e.Logger,
		keys:   map[string]string{},
	}
	if x.logger == nil {
		x.logger = slog.New(slog.DiscardHandler)
	}
	for _, id := range plan.Order {
		if selected[id] {
			x.run.Order = append(x.run.Order, id)
			x.run.Nodes[id] = &NodeRun{Node: id, Status: StatusQueued}
		}
	}
	x.emit(Event{Status: StatusRunning})
	for _, id := range x.run.Order {
		x.emit(Event{Node: id, Status: StatusQueued})
	}
	x.schedule(ctx)
	x.run.Finished = time.Now()
	x.run.Status = StatusSucceeded
	for _, id := range x.run.Order {
		switch x.run.Nodes[id].Status {
		case StatusFailed:
			x.run.Status = StatusFailed
		case StatusCanceled:
			if x.run.Status != StatusFailed {
				x.run.Status = StatusCanceled
			}
		}
	}
	x.emit(Event{Status: x.run.Status, Duration: x.run.Finished.Sub(x.run.Started)})
	return x.run, nil
}

// selection returns the nodes to run: all, or the targets and their ancestors.
func (p *Plan) selection(targets []string) (map[string]bool, error) {
	sel := map[string]bool{}
	if len(targets) == 0 {
		for _, id := range p.Order {
			sel[id] = true
		}
		return sel, nil
	}
	var visit func(id string)
	visit = func(id string) {
		if sel[id] {
			return
		}
		sel[id] = true
		for _, in := range p.Nodes[id].Inputs {
			if in != nil {
				visit(in.Node)
			}
		}
	}
	for _, t := range targets {
		if _, ok := p.Nodes[t]; !ok {
			return nil, fmt.Errorf("run up to %q: no such node", t)
		}
		visit(t)
	}
	return sel, nil
}

type execution struct {
	engine *Engine
	plan   *Plan
	opts   RunOptions
	run    *Run
	logger *slog.Logger

	mu   sync.Mutex // guards run.Nodes entries' status, keys and event order
	keys map[string]string
	emu  sync.Mutex // serializes OnEvent
}

func (x *execution) emit(ev Event) {
	if x.opts.OnEvent == nil {
		return
	}
	ev.Time = time.Now()
	x.emu.Lock()
	defer x.emu.Unlock()
	x.opts.OnEvent(ev)
}

// schedule runs ready nodes on a bounded pool until every selected node is done.
func (x *execution) schedule(ctx context.Context) {
	workers := x.engine.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pending := map[string]int{} // unfinished selected inputs per node
	for _, id := range x.run.Order {
		for _, in := range x.plan.Nodes[id].Inputs {
			if in != nil && x.run.Nodes[in.Node] != nil {
				pending[id]++
			}
		}
	}
	consumers := map[string]int{} // selected nodes still to read each node's outputs
	for _, id := range x.run.Order {
		for _, in := range x.plan.Nodes[id].Inputs {
			if in != nil && x.run.Nodes[in.Node] != nil {
				consumers[in.Node]++
			}
		}
	}
	done := make(chan string)
	sem := make(chan struct{}, workers)
	var ready []string
	for _, id := range x.run.Order {
		if pending[id] == 0 {
			ready = append(ready, id)
		}
	}
	remaining := len(x.run.Order)
	running := 0
	// complete accounts for a node that has ended, whatever its status, and
	// readies the nodes that were waiting only for it.
	complete := func(id string) {
		remaining--
		x.release(id, consumers)
		for _, d := range x.plan.Nodes[id].Downstream {
			if x.run.Nodes[d] != nil {
				if pending[d]--; pending[d] == 0 {
					ready = append(ready, d)
				}
			}
		}
	}
	for remaining > 0 {
		for len(ready) > 0 {
			id := ready[0]
			ready = ready[1:]
			nr := x.run.Nodes[id]
			if reason := x.blocked(ctx, id); reason != "" {
				status := StatusSkipped
				if ctx.Err() != nil {
					status = StatusCanceled
				}
				x.finish(nr, status, reason, "")
				complete(id)
				continue
			}
			running++
			go func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				x.execNode(ctx, id)
				done <- id
			}()
		}
		if running == 0 {
			break
		}
		running--
		complete(<-done)
	}
}

// release drops the outputs of id's inputs that no selected node will read
// any more, when the run was asked to.
func (x *execution) release(id string, consumers map[string]int) {
	if !x.opts.Release {
		return
	}
	for _, in := range x.plan.Nodes[id].Inputs {
		if in == nil || x.run.Nodes[in.Node] == nil {
			continue
		}
		if consumers[in.Node]--; consumers[in.Node] == 0 && !slices.Contains(x.opts.Keep, in.Node) {
			x.run.Nodes[in.Node].Outputs = nil
		}
	}
}

// blocked says why a ready node must not run: the run was canceled or an input failed.
func (x *execution) blocked(ctx context.Context, id string) string {
	if ctx.Err() != nil {
		return "run canceled before the node started"
	}
	for _, in := range x.plan.Nodes[id].Inputs {
		if in == nil {
			continue
		}
		if up := x.run.Nodes[in.Node]; up != nil && up.Status != StatusSucceeded && up.Status != StatusCached {
			return fmt.Sprintf("input from %s did not run (%s)", in.Node, up.Status)
		}
	}
	return ""
}

func (x *execution) finish(nr *NodeRun, status Status, msg, param string) {
	x.mu.Lock()
	nr.Status, nr.Error, nr.Param = status, msg, param
	x.mu.Unlock()
	if f := x.opts.OnNodeResult; f != nil {
		f(nr)
	}
	x.emit(Event{Node: nr.Node, Status: status, Error: msg, Rows: nr.Rows, Duration: nr.Duration})
	if f := x.engine.OnNodeDone; f != nil {
		f(x.plan.Nodes[nr.Node].Spec.ID, status, nr.Duration)
	}
}

func (x *execution) execNode(ctx context.Context, id string) {
	pn := x.plan.Nodes[id]
	nr := x.run.Nodes[id]
	nr.Started = time.Now()
	inputs := make([]any, len(pn.Inputs))
	inKeys := make([]string, len(pn.Inputs))
	for i, ref := range pn.Inputs {
		if ref == nil {
			continue
		}
		up := x.run.Nodes[ref.Node]
		inputs[i] = up.Outputs[x.plan.Nodes[ref.Node].Spec.Output(ref.Port)]
		x.mu.Lock()
		inKeys[i] = x.keys[ref.Node] + "/" + ref.Port
		x.mu.Unlock()
	}
	state, applyState := x.opts.States[id]
	key, err := x.cacheKey(ctx, pn, inKeys, state, applyState)
	if err != nil {
		nr.Duration = time.Since(nr.Started)
		x.fail(nr, StatusFailed, err)
		return
	}
	x.mu.Lock()
	x.keys[id] = key
	nr.CacheKey = key
	x.mu.Unlock()

	if c := x.engine.Cache; c != nil && !x.opts.NoCache {
		if hit, ok := c.Get(key); ok {
			nr.Outputs, nr.State, nr.Rows = hit.Outputs, hit.State, hit.Rows
			nr.Duration = time.Since(nr.Started)
			x.finish(nr, StatusCached, "", "")
			return
		}
	}

	x.emit(Event{Node: id, Status: StatusRunning})
	x.mu.Lock()
	nr.Status = StatusRunning
	x.mu.Unlock()
	timeout := x.opts.NodeTimeout
	if timeout == 0 {
		timeout = x.engine.NodeTimeout
	}
	nctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		nctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	logs := newNodeLog(x.logger.Handler().WithAttrs([]slog.Attr{slog.String("node", id)}))
	logger := slog.New(logs)
	var lastProgress atomic.Int64 // unix nanos; modules may report from several goroutines
	progress := func(f float64) {
		now, last := time.Now().UnixNano(), lastProgress.Load()
		if now-last >= int64(100*time.Millisecond) && lastProgress.CompareAndSwap(last, now) {
			x.emit(Event{Node: id, Status: StatusRunning, Progress: min(max(f, 0), 1)})
		}
	}
	rc := modules.NewContext(nctx, pn.Spec, pn.Params, inputs, progress, logger)
	rc.Resources = x.engine.Resources
	rc.Vars = x.plan.Vars
	rc.Workers = runtime.GOMAXPROCS(0)

	nr.Executed = true
	newState, err := runModule(pn.Module, rc, state, applyState)
	nr.Duration = time.Since(nr.Started)
	nr.Logs = logs.Lines()
	if err == nil {
		err = checkOutputs(pn.Spec, rc.Outputs())
	}
	if err != nil {
		status := StatusFailed
		switch {
		case ctx.Err() != nil:
			status, err = StatusCanceled, fmt.Errorf("canceled: %w", err)
		case nctx.Err() == context.DeadlineExceeded:
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		logger.Error("node failed", "error", err)
		nr.Logs = logs.Lines()
		x.fail(nr, status, err)
		return
	}
	nr.Outputs = rc.Outputs()
	nr.State = newState
	for _, o := range nr.Outputs {
		if t, ok := o.(*table.Table); ok {
			nr.Rows = t.NumRows()
			break
		}
	}
	if c := x.engine.Cache; c != nil {
		c.Put(key, &CacheEntry{Outputs: nr.Outputs, State: nr.State, Rows: nr.Rows})
	}
	x.finish(nr, StatusSucceeded, "", "")
}

// runModule runs a module, fitting or applying recorded state, and turns a
// panic into an error so one bad module cannot take the server down.
func runModule(m modules.Module, rc *modules.Context, state modules.State, applyState bool) (out modules.State, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("module %s crashed: %v\n%s", rc.Spec.Ref(), r, debug.Stack())
		}
	}()
	switch mod := m.(type) {
	case modules.Fitter:
		if !applyState {
			if state, err = mod.Fit(rc); err != nil {
				return nil, err
			}
		}
		return state, mod.Apply(rc, state)
	case modules.Runner:
		return nil, mod.Run(rc)
	}
	return nil, fmt.Errorf("module %s neither runs nor fits", rc.Spec.Ref())
}

func checkOutputs(spec modules.Spec, outs []any) error {
	for i, o := range outs {
		if o == nil {
			return fmt.Errorf("module %s produced nothing on output %q", spec.Ref(), spec.Outputs[i].Name)
		}
		if k := modules.KindOf(o); k != spec.Outputs[i].Kind {
			return fmt.Errorf("module %s put %T (%s) on output %q, which carries %s", spec.Ref(), o, k, spec.Outputs[i].Name, spec.Outputs[i].Kind)
		}
	}
	return nil
}

// fail records a node's error; a parameter's fault keeps the parameter apart
// from the message so the designer can show it on the field.
func (x *execution) fail(nr *NodeRun, status Status, err error) {
	var pe *modules.ParamError
	if errors.As(err, &pe) {
		msg := err.Error()
		if err == error(pe) {
			msg = pe.Err.Error()
		}
		x.finish(nr, status, msg, pe.Param)
		return
	}
	x.finish(nr, status, err.Error(), "")
}

// cacheKey hashes everything a node's result depends on.
func (x *execution) cacheKey(ctx context.Context, pn *PlannedNode, inKeys []string, state modules.State, applyState bool) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "trellis-node/1\n%s\n", pn.Spec.Ref())
	h.Write(pn.Params.Canonical())
	if usesVars(pn.Spec) {
		vars, _ := json.Marshal(x.plan.Vars)
		h.Write(vars)
	}
	for _, k := range inKeys {
		fmt.Fprintf(h, "\nin:%s", k)
	}
	if applyState {
		fmt.Fprintf(h, "\nstate:%x", sha256.Sum256(state))
	}
	if fp, ok := pn.Module.(modules.Fingerprinter); ok {
		s, err := fp.Fingerprint(ctx, pn.Params, x.engine.Resources)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "\nsource:%s", s)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// usesVars reports whether a module reads workflow variables at run time
// (expressions may name $vars), so their values must join the cache key.
func usesVars(s modules.Spec) bool {
	return slices.ContainsFunc(s.Params, func(p modules.Param) bool { return p.Type == modules.ParamExpression })
}
