package workflow

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Problem is one thing wrong with a workflow, tied to the node, port or
// parameter at fault so the designer can show it there.
type Problem struct {
	Node    string `json:"node,omitempty"`
	Port    string `json:"port,omitempty"`
	Param   string `json:"param,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var where []string
	if p.Node != "" {
		where = append(where, "node "+p.Node)
	}
	if p.Port != "" {
		where = append(where, "port "+p.Port)
	}
	if p.Param != "" {
		where = append(where, "parameter "+p.Param)
	}
	if len(where) == 0 {
		return p.Message
	}
	return strings.Join(where, ", ") + ": " + p.Message
}

// The problem codes. They are part of the API: clients may switch on them.
const (
	CodeInvalidNode     = "invalid_node"
	CodeDuplicateNode   = "duplicate_node"
	CodeUnknownModule   = "unknown_module"
	CodeUnknownNode     = "unknown_node"
	CodeUnknownPort     = "unknown_port"
	CodeKindMismatch    = "incompatible_ports"
	CodeDuplicateInput  = "duplicate_input"
	CodeCycle           = "cycle"
	CodeMissingInput    = "missing_input"
	CodeInvalidParam    = "invalid_param"
	CodeMissingColumn   = "missing_column"
	CodeInvalidWorkflow = "invalid_workflow"
	CodeInference       = "inference_failed"
)

// ValidationError is returned when a workflow cannot run; it lists every problem.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return fmt.Sprintf("workflow has %d problem(s): %s", len(e.Problems), strings.Join(msgs, "; "))
}

// Plan is a checked workflow: modules resolved, parameters typed, edges
// indexed, a topological order, and the inferred shape of every output port.
type Plan struct {
	Workflow *Workflow
	Vars     map[string]any
	Order    []string // topological; nodes in cycles are left out
	Nodes    map[string]*PlannedNode
	Problems []Problem
}

// PlannedNode is one node of a plan.
type PlannedNode struct {
	Node   *Node
	Module modules.Module // nil when the module is unknown
	Spec   modules.Spec
	Params modules.Params
	// Inputs holds, per input port, the upstream output feeding it (nil: unconnected).
	Inputs []*PortRef
	// Downstream lists the ids of nodes fed by this one, without repeats.
	Downstream []string
	// Shapes holds the inferred value on each output port (nil: unknown).
	Shapes []*modules.Shape
	ok     bool // module found and parameters valid
}

// Validate checks a workflow and returns every problem at once (none: it can run).
func Validate(ctx context.Context, wf *Workflow, reg *modules.Registry, vars map[string]any, res modules.Resources) []Problem {
	return Compile(ctx, wf, reg, vars, res).Problems
}

// Compile checks the workflow and propagates schemas through it without running anything.
func Compile(ctx context.Context, wf *Workflow, reg *modules.Registry, vars map[string]any, res modules.Resources) *Plan {
	p := &Plan{Workflow: wf, Vars: vars, Nodes: map[string]*PlannedNode{}}
	add := func(pr Problem) { p.Problems = append(p.Problems, pr) }

	seenParam := map[string]bool{}
	for _, wp := range wf.Parameters {
		if !nameRE.MatchString(wp.Name) || seenParam[wp.Name] {
			add(Problem{Code: CodeInvalidWorkflow, Message: fmt.Sprintf("workflow parameter name %q is not an identifier or is repeated", wp.Name)})
		}
		seenParam[wp.Name] = true
		if !slices.Contains([]string{"string", "int", "float", "bool"}, wp.Type) {
			add(Problem{Code: CodeInvalidWorkflow, Message: fmt.Sprintf("workflow parameter %s has type %q (want string, int, float or bool)", wp.Name, wp.Type)})
		}
	}

	for i := range wf.Nodes {
		n := &wf.Nodes[i]
		if !nodeIDRE.MatchString(n.ID) {
			add(Problem{Node: n.ID, Code: CodeInvalidNode, Message: fmt.Sprintf("node id %q must be 1-64 letters, digits, '_' or '-'", n.ID)})
			continue
		}
		if _, dup := p.Nodes[n.ID]; dup {
			add(Problem{Node: n.ID, Code: CodeDuplicateNode, Message: fmt.Sprintf("two nodes have the id %q", n.ID)})
			continue
		}
		pn := &PlannedNode{Node: n}
		p.Nodes[n.ID] = pn
		m, err := reg.Lookup(n.Module, n.Version)
		if err != nil {
			add(Problem{Node: n.ID, Code: CodeUnknownModule, Message: err.Error()})
			continue
		}
		pn.Module, pn.Spec = m, modules.SpecOf(m)
		pn.Inputs = make([]*PortRef, len(pn.Spec.Inputs))
		pn.Shapes = make([]*modules.Shape, len(pn.Spec.Outputs))
		params, errs := modules.NewParams(pn.Spec.Params, n.Params, vars)
		pn.Params = params
		for _, err := range errs {
			add(paramProblem(n.ID, err))
		}
		pn.ok = len(errs) == 0
	}

	for _, e := range wf.Edges {
		from, to := p.Nodes[e.From.Node], p.Nodes[e.To.Node]
		switch {
		case from == nil:
			add(Problem{Node: e.To.Node, Port: e.To.Port, Code: CodeUnknownNode, Message: fmt.Sprintf("edge comes from unknown node %q", e.From.Node)})
			continue
		case to == nil:
			add(Problem{Node: e.From.Node, Port: e.From.Port, Code: CodeUnknownNode, Message: fmt.Sprintf("edge goes to unknown node %q", e.To.Node)})
			continue
		case from.Module == nil || to.Module == nil:
			continue // already reported as an unknown module
		}
		oi, ii := from.Spec.Output(e.From.Port), to.Spec.Input(e.To.Port)
		if oi < 0 {
			add(Problem{Node: e.From.Node, Port: e.From.Port, Code: CodeUnknownPort, Message: fmt.Sprintf("%s has no output port %q (outputs: %s)", from.Spec.Name, e.From.Port, portNames(from.Spec.Outputs))})
			continue
		}
		if ii < 0 {
			add(Problem{Node: e.To.Node, Port: e.To.Port, Code: CodeUnknownPort, Message: fmt.Sprintf("%s has no input port %q (inputs: %s)", to.Spec.Name, e.To.Port, portNames(to.Spec.Inputs))})
			continue
		}
		if fk, tk := from.Spec.Outputs[oi].Kind, to.Spec.Inputs[ii].Kind; fk != tk {
			add(Problem{Node: e.To.Node, Port: e.To.Port, Code: CodeKindMismatch, Message: fmt.Sprintf("cannot connect %s (%s) to %s (%s)", e.From, fk, e.To, tk)})
			continue
		}
		if to.Inputs[ii] != nil {
			add(Problem{Node: e.To.Node, Port: e.To.Port, Code: CodeDuplicateInput, Message: fmt.Sprintf("input %s already comes from %s; an input takes one edge", e.To, to.Inputs[ii])})
			continue
		}
		ref := e.From
		to.Inputs[ii] = &ref
		if !slices.Contains(from.Downstream, e.To.Node) {
			from.Downstream = append(from.Downstream, e.To.Node)
		}
	}

	p.Order = p.topoSort(add)

	for _, id := range sortedIDs(p.Nodes) {
		pn := p.Nodes[id]
		for i, in := range pn.Inputs {
			if in == nil && !pn.Spec.Inputs[i].Optional {
				add(Problem{Node: id, Port: pn.Spec.Inputs[i].Name, Code: CodeMissingInput, Message: fmt.Sprintf("input %q (%s) is not connected", pn.Spec.Inputs[i].Label, pn.Spec.Inputs[i].Kind)})
			}
		}
	}

	for _, id := range p.Order {
		if err := ctx.Err(); err != nil {
			add(Problem{Code: CodeInference, Message: err.Error()})
			break
		}
		p.infer(ctx, p.Nodes[id], res, add)
	}
	return p
}

var nodeIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func portNames(ports []modules.Port) string {
	if len(ports) == 0 {
		return "none"
	}
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func sortedIDs(m map[string]*PlannedNode) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// topoSort orders nodes with Kahn's algorithm (ties in document order) and
// reports the nodes caught in cycles.
func (p *Plan) topoSort(add func(Problem)) []string {
	indeg := map[string]int{}
	for id, pn := range p.Nodes {
		indeg[id] += 0
		for _, d := range pn.Downstream {
			indeg[d]++
		}
	}
	var queue, order []string
	for _, n := range p.Workflow.Nodes {
		if pn := p.Nodes[n.ID]; pn != nil && pn.Node.ID == n.ID && indeg[n.ID] == 0 && !slices.Contains(queue, n.ID) {
			queue = append(queue, n.ID)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		order = append(order, id)
		for _, d := range p.Nodes[id].Downstream {
			if indeg[d]--; indeg[d] == 0 {
				queue = append(queue, d)
			}
		}
	}
	if len(order) < len(p.Nodes) {
		var stuck []string
		for _, id := range sortedIDs(p.Nodes) {
			if indeg[id] > 0 {
				stuck = append(stuck, id)
			}
		}
		for _, id := range stuck {
			add(Problem{Node: id, Code: CodeCycle, Message: fmt.Sprintf("node is part of a cycle among %s; a workflow must be acyclic", strings.Join(stuck, ", "))})
		}
	}
	return order
}

// infer propagates shapes into one node; inputs with unknown shapes stay nil.
func (p *Plan) infer(ctx context.Context, pn *PlannedNode, res modules.Resources, add func(Problem)) {
	if pn.Module == nil || !pn.ok {
		return
	}
	in := make([]*modules.Shape, len(pn.Inputs))
	for i, ref := range pn.Inputs {
		if ref == nil {
			continue
		}
		up := p.Nodes[ref.Node]
		if oi := up.Spec.Output(ref.Port); oi >= 0 && up.Shapes != nil {
			in[i] = up.Shapes[oi]
		}
	}
	shapes, err := safeInfer(pn.Module, &modules.InferContext{Spec: pn.Spec, Params: pn.Params, Inputs: in, Resources: res, Ctx: ctx, Vars: p.Vars})
	if err != nil {
		pr := paramProblem(pn.Node.ID, err)
		if pr.Param == "" {
			pr.Code = CodeInference
		}
		add(pr)
		return
	}
	for i := range pn.Shapes {
		if i < len(shapes) && shapes[i] != nil {
			if shapes[i].Kind == "" {
				shapes[i].Kind = pn.Spec.Outputs[i].Kind
			}
			pn.Shapes[i] = shapes[i]
		}
	}
}

func safeInfer(m modules.Module, ic *modules.InferContext) (shapes []*modules.Shape, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("schema inference crashed: %v", r)
		}
	}()
	return m.Infer(ic)
}

// paramProblem turns an error from parameter resolution or inference into a
// problem, keeping the parameter at fault and classifying missing columns.
func paramProblem(node string, err error) Problem {
	pr := Problem{Node: node, Code: CodeInvalidParam, Message: err.Error()}
	var pe *modules.ParamError
	if errors.As(err, &pe) {
		pr.Param = pe.Param
		pr.Message = pe.Err.Error()
	}
	if errors.Is(err, table.ErrColumnNotFound) {
		pr.Code = CodeMissingColumn
	}
	return pr
}
