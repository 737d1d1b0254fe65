package workflow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Small modules that exercise the engine without depending on the real ones.

var xSchema = table.Schema{{Name: "x", Type: table.Float}}

func xTable(vals ...float64) *table.Table {
	return table.MustNew(xSchema, table.NewFloats(vals, nil))
}

func xValues(t *table.Table) []float64 { return t.Column(0).(*table.Floats).Data() }

func port(name string, k modules.PortKind) modules.Port {
	return modules.Port{Name: name, Label: name, Kind: k}
}

func spec(id string, in, out []modules.Port, params ...modules.Param) modules.Spec {
	return modules.Spec{ID: id, Version: 1, Name: id, Category: modules.CategoryTransform,
		Summary: id, Help: id, Inputs: in, Outputs: out, Params: params}
}

// constTable outputs a table column x from a comma-separated list.
type constTable struct{}

func (constTable) Spec() modules.Spec {
	return spec("const_table", nil, []modules.Port{port("out", modules.KindTable)},
		modules.Param{Name: "values", Label: "Values", Type: modules.ParamString, Help: "numbers", Default: "1,2,3"})
}
func (constTable) Infer(*modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{modules.TableShape(xSchema)}, nil
}
func (constTable) Run(rc *modules.Context) error {
	var vals []float64
	for _, s := range strings.Split(rc.Params.String("values"), ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return modules.ParamErrf("values", "%q is not a number", s)
		}
		vals = append(vals, f)
	}
	rc.SetOutput("out", xTable(vals...))
	return nil
}

// add adds amount to x; it checks that column x exists at inference.
type add struct{}

func (add) Spec() modules.Spec {
	return spec("add", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindTable)},
		modules.Param{Name: "amount", Label: "Amount", Type: modules.ParamFloat, Help: "added", Default: 1.0},
		modules.Param{Name: "column", Label: "Column", Type: modules.ParamColumn, Help: "col", Input: "in", Default: "x"})
}
func (add) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("in")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	if s.Index(ic.Params.String("column")) < 0 {
		return nil, modules.ParamErr("column", s.MissingColumnError(ic.Params.String("column")))
	}
	return []*modules.Shape{modules.TableShape(s)}, nil
}
func (add) Run(rc *modules.Context) error {
	t, err := rc.Table("in")
	if err != nil {
		return err
	}
	rc.Log().Info("adding", "amount", rc.Params.Float("amount"))
	in := xValues(t)
	out := make([]float64, len(in))
	for i, v := range in {
		out[i] = v + rc.Params.Float("amount")
	}
	rc.SetOutput("out", xTable(out...))
	return nil
}

// center subtracts the mean learnt at fit time.
type center struct{}

func (center) Spec() modules.Spec {
	return spec("center", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindTable)})
}
func (center) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, _ := ic.Schema("in")
	return []*modules.Shape{modules.TableShape(s)}, nil
}
func (center) Fit(rc *modules.Context) (modules.State, error) {
	t, err := rc.Table("in")
	if err != nil {
		return nil, err
	}
	var sum float64
	for _, v := range xValues(t) {
		sum += v
	}
	return json.Marshal(map[string]float64{"mean": sum / float64(t.NumRows())})
}
func (center) Apply(rc *modules.Context, s modules.State) error {
	var st struct{ Mean float64 }
	if err := json.Unmarshal(s, &st); err != nil {
		return err
	}
	t, err := rc.Table("in")
	if err != nil {
		return err
	}
	out := make([]float64, t.NumRows())
	for i, v := range xValues(t) {
		out[i] = v - st.Mean
	}
	rc.SetOutput("out", xTable(out...))
	return nil
}

// join2 concatenates its inputs (b optional).
type join2 struct{}

func (join2) Spec() modules.Spec {
	b := port("b", modules.KindTable)
	b.Optional = true
	return spec("join2", []modules.Port{port("a", modules.KindTable), b}, []modules.Port{port("out", modules.KindTable)})
}
func (join2) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, _ := ic.Schema("a")
	return []*modules.Shape{modules.TableShape(s)}, nil
}
func (join2) Run(rc *modules.Context) error {
	a, err := rc.Table("a")
	if err != nil {
		return err
	}
	b, err := rc.OptionalTable("b")
	if err != nil {
		return err
	}
	if b != nil {
		if a, err = table.Concat(a, b); err != nil {
			return err
		}
	}
	rc.SetOutput("out", a)
	return nil
}

// fail always fails, blaming its parameter.
type fail struct{}

func (fail) Spec() modules.Spec {
	return spec("fail", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindTable)},
		modules.Param{Name: "why", Label: "Why", Type: modules.ParamString, Help: "message", Default: "boom"})
}
func (fail) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{nil}, nil
}
func (fail) Run(rc *modules.Context) error {
	return modules.ParamErrf("why", "%s", rc.Params.String("why"))
}

// wait blocks until its context ends or, when a rendezvous is set, until
// every waiter has arrived — proving branches run at the same time.
type wait struct {
	rv *rendezvous
}

type rendezvous struct {
	mu      sync.Mutex
	n, need int
	all     chan struct{}
}

func newRendezvous(need int) *rendezvous { return &rendezvous{need: need, all: make(chan struct{})} }

func (w wait) Spec() modules.Spec {
	return spec("wait", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindTable)})
}
func (w wait) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, _ := ic.Schema("in")
	return []*modules.Shape{modules.TableShape(s)}, nil
}
func (w wait) Run(rc *modules.Context) error {
	t, err := rc.Table("in")
	if err != nil {
		return err
	}
	if w.rv == nil {
		<-rc.Ctx.Done()
		return rc.Err()
	}
	w.rv.mu.Lock()
	w.rv.n++
	if w.rv.n == w.rv.need {
		close(w.rv.all)
	}
	w.rv.mu.Unlock()
	select {
	case <-w.rv.all:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the other branch never started: branches did not run in parallel")
	case <-rc.Ctx.Done():
		return rc.Err()
	}
	rc.SetOutput("out", t)
	return nil
}

// report turns a table into a report (a port of another kind).
type report struct{}

func (report) Spec() modules.Spec {
	return spec("report", []modules.Port{port("in", modules.KindTable)}, []modules.Port{port("out", modules.KindReport)})
}
func (report) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{nil}, nil
}
func (report) Run(rc *modules.Context) error {
	t, err := rc.Table("in")
	if err != nil {
		return err
	}
	rc.SetOutput("out", &modules.Report{Title: "rows", Sections: []modules.ReportSection{{Metrics: []modules.Metric{{Name: "rows", Value: float64(t.NumRows())}}}}})
	return nil
}

func testRegistry(extra ...modules.Module) *modules.Registry {
	r, err := modules.NewRegistry(append([]modules.Module{constTable{}, add{}, center{}, join2{}, fail{}, report{}}, extra...)...)
	if err != nil {
		panic(err)
	}
	return r
}

// build makes a workflow from "id:module" node specs, "from.port>to.port"
// edges and params set as node.param=JSON.
func build(nodes []string, edges []string, params map[string]string) *Workflow {
	wf := &Workflow{Format: FormatVersion, Name: "test"}
	for _, n := range nodes {
		id, mod, _ := strings.Cut(n, ":")
		wf.Nodes = append(wf.Nodes, Node{ID: id, Module: mod, Version: 1})
	}
	for _, e := range edges {
		from, to, _ := strings.Cut(e, ">")
		f, err := ParsePortRef(from)
		if err != nil {
			panic(err)
		}
		t, err := ParsePortRef(to)
		if err != nil {
			panic(err)
		}
		wf.Edges = append(wf.Edges, Edge{From: f, To: t})
	}
	for k, v := range params {
		node, param, _ := strings.Cut(k, ".")
		n, ok := wf.Node(node)
		if !ok {
			panic("no node " + node)
		}
		if n.Params == nil {
			n.Params = map[string]json.RawMessage{}
		}
		n.Params[param] = json.RawMessage(v)
	}
	return wf
}
