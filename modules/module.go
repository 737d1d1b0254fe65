package modules

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/trellis-studio/trellis/modules/table"
)

// Module is a building block of a workflow. Every module implements Spec and
// Infer, and exactly one of Runner (stateless) or Fitter (stateful).
type Module interface {
	Spec() Spec
	// Infer computes what each output port will carry from the input shapes
	// and parameters, without running, so a workflow can be checked before it
	// runs. An unknown input shape (nil) is not an error: return what can be
	// known, or nil shapes. Errors about a parameter are *ParamError.
	Infer(ic *InferContext) ([]*Shape, error)
}

// Runner is a stateless module: outputs are a function of inputs and parameters.
type Runner interface {
	Run(rc *Context) error
}

// Fitter is a stateful module. Fit learns state from the inputs (for example
// the means Normalize Data will subtract); Apply produces the outputs from
// inputs and a state. A normal run calls Fit then Apply and records the state;
// a run told to reuse recorded state (as a published endpoint is) only calls
// Apply, so requests are transformed exactly as in training.
type Fitter interface {
	Fit(rc *Context) (State, error)
	Apply(rc *Context, s State) error
}

// State is a fitted module's learned state, as versioned JSON.
type State = json.RawMessage

// Fingerprinter is implemented by source modules whose output depends on
// something outside the workflow (a file, a dataset version). The fingerprint
// joins the node's cache key, so a changed file is read again.
type Fingerprinter interface {
	Fingerprint(ctx context.Context, p Params, res Resources) (string, error)
}

// Shape is what inference knows about the value on a port.
type Shape struct {
	Kind PortKind
	// Schema: for a table, its columns; for a transform, the columns it
	// produces from a compatible input; for a trained model, the columns that
	// scoring appends.
	Schema table.Schema
	// Input, for a transform, is the input it was fitted on, whose columns
	// Schema describes the result of (nil when unknown).
	Input table.Schema
	// Task and Label describe models: the kind of learning problem, and for a
	// trained model the label column it learnt.
	Task  Task
	Label *table.Field
}

// TableShape returns the shape of a table port.
func TableShape(s table.Schema) *Shape { return &Shape{Kind: KindTable, Schema: s} }

// Task is the kind of problem a learner solves.
type Task string

// The tasks.
const (
	TaskBinary     Task = "binary_classification"
	TaskMulticlass Task = "multiclass_classification"
	TaskRegression Task = "regression"
	TaskClustering Task = "clustering"
)

// InferContext carries what Infer may use.
type InferContext struct {
	Spec   Spec
	Params Params
	// Inputs has one entry per input port; nil where the port is not
	// connected or its shape is unknown.
	Inputs []*Shape
	// Resources lets source modules peek at their data (a file's header).
	Resources Resources
	Ctx       context.Context
	// Vars are the workflow parameters, for expressions that use $name.
	Vars map[string]any
}

// Input returns the shape on the named input port (nil when unknown).
func (ic *InferContext) Input(port string) *Shape {
	i := ic.Spec.Input(port)
	if i < 0 {
		panic(fmt.Sprintf("modules: %s has no input %q", ic.Spec.ID, port))
	}
	return ic.Inputs[i]
}

// Schema returns the schema on a table input and whether it is known.
func (ic *InferContext) Schema(port string) (table.Schema, bool) {
	s := ic.Input(port)
	if s == nil || s.Kind != KindTable || s.Schema == nil {
		return nil, false
	}
	return s.Schema, true
}

// Resources gives modules access to data outside the workflow: uploaded
// datasets in the server, files on disk when run headless.
type Resources interface {
	// Open opens the data a source parameter names (a dataset name or a path).
	Open(ctx context.Context, ref string) (io.ReadCloser, Source, error)
	// Stat describes it without reading, for fingerprints.
	Stat(ctx context.Context, ref string) (Source, error)
}

// Source describes opened data.
type Source struct {
	Name string // display name
	// Format is a hint: "csv", "tsv", "json", or "" to sniff.
	Format string
	Size   int64
	// Fingerprint changes whenever the content may have changed.
	Fingerprint string
	// Schema, when known, is the columns of the whole data as Import Data
	// reads it with its default options (an uploaded dataset's, found when
	// it was checked at upload); nil when unknown.
	Schema table.Schema
}

// Context is what a running module sees: its inputs, parameters, outputs,
// progress and log.
type Context struct {
	Ctx       context.Context
	Spec      Spec
	Params    Params
	Resources Resources
	// Workers is how many goroutines the module may use for data parallelism.
	Workers int
	// Vars are the workflow parameters, for expressions that use $name.
	Vars map[string]any

	inputs   []any
	outputs  []any
	progress func(float64)
	logger   *slog.Logger
}

// NewContext prepares a run of one module. The engine calls it; tests may too.
func NewContext(ctx context.Context, spec Spec, params Params, inputs []any, progress func(float64), logger *slog.Logger) *Context {
	if progress == nil {
		progress = func(float64) {}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(inputs) < len(spec.Inputs) {
		inputs = append(inputs, make([]any, len(spec.Inputs)-len(inputs))...)
	}
	return &Context{Ctx: ctx, Spec: spec, Params: params, Workers: 1, inputs: inputs,
		outputs: make([]any, len(spec.Outputs)), progress: progress, logger: logger}
}

// Input returns the value on the named input port (nil when not connected).
func (rc *Context) Input(port string) any {
	i := rc.Spec.Input(port)
	if i < 0 {
		panic(fmt.Sprintf("modules: %s has no input %q", rc.Spec.ID, port))
	}
	return rc.inputs[i]
}

// Table returns the table on the named input, or an error when it is missing
// or is not a table.
func (rc *Context) Table(port string) (*table.Table, error) {
	switch v := rc.Input(port).(type) {
	case *table.Table:
		return v, nil
	case nil:
		return nil, fmt.Errorf("input %q is not connected", port)
	default:
		return nil, fmt.Errorf("input %q holds %T, not a table", port, v)
	}
}

// OptionalTable returns the table on an optional input, or nil when not connected.
func (rc *Context) OptionalTable(port string) (*table.Table, error) {
	if rc.Input(port) == nil {
		return nil, nil
	}
	return rc.Table(port)
}

// SetOutput sets the value of an output port.
func (rc *Context) SetOutput(port string, v any) {
	i := rc.Spec.Output(port)
	if i < 0 {
		panic(fmt.Sprintf("modules: %s has no output %q", rc.Spec.ID, port))
	}
	rc.outputs[i] = v
}

// Outputs returns the output values by port index.
func (rc *Context) Outputs() []any { return rc.outputs }

// Progress reports the fraction done, from 0 to 1.
func (rc *Context) Progress(frac float64) { rc.progress(frac) }

// Log returns the node's logger; its lines are kept with the run.
func (rc *Context) Log() *slog.Logger { return rc.logger }

// Err returns the context's error, for loops that check for cancellation.
func (rc *Context) Err() error { return rc.Ctx.Err() }
