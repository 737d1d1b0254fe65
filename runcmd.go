package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/modules/data"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/workflow"
)

// pairs collects repeated NAME=VALUE flags.
type pairs struct {
	flag  string
	order []string
	m     map[string]string
}

func (p *pairs) String() string { return strings.Join(p.order, ",") }
func (p *pairs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	if _, dup := p.m[k]; dup {
		return fmt.Errorf("%s given twice", k)
	}
	p.order = append(p.order, k)
	p.m[k] = v
	return nil
}

type runFlags struct {
	inputs, sets, outs pairs
	workers            int
	timeout            time.Duration
	quiet              bool
	upTo               string
}

func parseRunFlags(name string, args []string, stderr io.Writer) (string, *runFlags, error) {
	f := &runFlags{inputs: pairs{flag: "input"}, sets: pairs{flag: "set"}, outs: pairs{flag: "out"}}
	fs := flag.NewFlagSet("trellis "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&f.inputs, "input", "`NODE=FILE`: read this file in the Import Data or Load Trained Model node with that id or title (repeatable)")
	fs.Var(&f.sets, "set", "`PARAM=VALUE`: set a workflow parameter (repeatable)")
	if name == "run" {
		fs.Var(&f.outs, "out", "`NODE.PORT=FILE`: write an output (.csv, .tsv, .json) (repeatable)")
		fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "nodes run at once")
		fs.DurationVar(&f.timeout, "timeout", 0, "per-node time limit (0: none)")
		fs.BoolVar(&f.quiet, "quiet", false, "print only errors")
		fs.StringVar(&f.upTo, "up-to", "", "run only this `NODE` and what it depends on")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: trellis %s FLOW.json [flags]\n", name)
		fs.PrintDefaults()
	}
	// The workflow file may come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, err
		}
		return "", nil, usageError{err}
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", nil, usageError{err}
		}
	}
	if file == "" {
		fs.Usage()
		return "", nil, usagef("no workflow file given")
	}
	if fs.NArg() > 0 {
		return "", nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	return file, f, nil
}

// loadWorkflow reads the workflow and applies --input and --set.
func loadWorkflow(file string, f *runFlags) (*workflow.Workflow, map[string]any, modules.Resources, error) {
	r, err := os.Open(file)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	wf, err := workflow.Parse(r)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, name := range f.inputs.order {
		n, err := wf.FindNode(name)
		if err != nil {
			return nil, nil, nil, usagef("--input %s: %v", name, err)
		}
		switch n.Module {
		case "import_data":
			path, err := filepath.Abs(f.inputs.m[name])
			if err != nil {
				return nil, nil, nil, err
			}
			if _, err := os.Stat(path); err != nil {
				return nil, nil, nil, usagef("--input %s: %v", name, err)
			}
			if err := n.SetParam("source", path); err != nil {
				return nil, nil, nil, err
			}
		case "load_trained_model":
			// The model is the node's parameter; the node checks it.
			b, err := os.ReadFile(f.inputs.m[name])
			if err != nil {
				return nil, nil, nil, usagef("--input %s: %v", name, err)
			}
			if err := n.SetParam("model", string(b)); err != nil {
				return nil, nil, nil, err
			}
		default:
			return nil, nil, nil, usagef("--input %s: node %s is %s; --input feeds Import Data and Load Trained Model nodes", name, n.ID, n.Module)
		}
	}
	vars, err := wf.Vars(f.sets.m)
	if err != nil {
		return nil, nil, nil, usagef("--set: %v", err)
	}
	// Relative paths in a workflow are relative to the workflow file, so a
	// workflow and its data can be moved together.
	res := data.FileResources{Dir: filepath.Dir(file)}
	return wf, vars, res, nil
}

func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	file, f, err := parseRunFlags("validate", args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	wf, vars, res, err := loadWorkflow(file, f)
	if err != nil {
		return err
	}
	reg, err := builtin.Registry()
	if err != nil {
		return err
	}
	plan := workflow.Compile(ctx, wf, reg, vars, res)
	if len(plan.Problems) > 0 {
		for _, p := range plan.Problems {
			fmt.Fprintf(stdout, "%s: %s\n", p.Code, p)
		}
		return fmt.Errorf("%s has %d problem(s)", file, len(plan.Problems))
	}
	for _, id := range plan.Order {
		pn := plan.Nodes[id]
		for i, s := range pn.Shapes {
			if s != nil && s.Kind == modules.KindTable {
				fmt.Fprintf(stdout, "%s.%s: %s\n", id, pn.Spec.Outputs[i].Name, s.Schema)
			}
		}
	}
	fmt.Fprintf(stdout, "%s: ok (%d nodes)\n", file, len(plan.Order))
	return nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// A batch run's heap is mostly live tables: Go's default 100% headroom
	// would double its peak memory, 50% costs little CPU and saves a third.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	file, f, err := parseRunFlags("run", args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	wf, vars, res, err := loadWorkflow(file, f)
	if err != nil {
		return err
	}
	outs := make([]workflow.PortRef, len(f.outs.order))
	for i, k := range f.outs.order {
		ref, err := workflow.ParsePortRef(k)
		if err != nil {
			return usagef("--out %s: %v", k, err)
		}
		if _, ok := wf.Node(ref.Node); !ok {
			n, err := wf.FindNode(ref.Node)
			if err != nil {
				return usagef("--out %s: %v", k, err)
			}
			ref.Node = n.ID
		}
		outs[i] = ref
	}
	reg, err := builtin.Registry()
	if err != nil {
		return err
	}
	eng := &workflow.Engine{Registry: reg, Resources: res, Workers: f.workers, NodeTimeout: f.timeout}
	var p *progressPrinter
	// Only what --out asks for (and the final outputs) must outlive the run:
	// releasing the rest keeps a big run's memory to a few stages.
	opts := workflow.RunOptions{Vars: vars, Release: true}
	for _, ref := range outs {
		opts.Keep = append(opts.Keep, ref.Node)
	}
	if f.upTo != "" {
		opts.Targets = []string{f.upTo}
	}
	if !f.quiet {
		p = newProgressPrinter(stderr, wf, reg)
		opts.OnEvent = p.event
	}
	run, plan, err := eng.Run(ctx, wf, opts)
	if err != nil {
		var ve *workflow.ValidationError
		if errors.As(err, &ve) {
			for _, pr := range ve.Problems {
				fmt.Fprintf(stderr, "  %s: %s\n", pr.Code, pr)
			}
			return fmt.Errorf("%s cannot run: %d problem(s)", file, len(ve.Problems))
		}
		return err
	}
	if p != nil {
		p.finish(run)
	}
	if err := run.Err(); err != nil {
		if nr := run.Nodes[err.(*workflow.NodeError).Node]; nr != nil && !f.quiet {
			for _, l := range nr.Logs {
				fmt.Fprintf(stderr, "  %s %s\n", l.Level, l.Message)
			}
		}
		return err
	}
	for i, ref := range outs {
		v, err := run.Output(ref.Node, ref.Port, plan)
		if err != nil {
			return fmt.Errorf("--out %s: %w", f.outs.order[i], err)
		}
		path := f.outs.m[f.outs.order[i]]
		if err := writeOutput(path, v); err != nil {
			return fmt.Errorf("--out %s: %w", f.outs.order[i], err)
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "wrote %s\n", path)
		}
	}
	if !f.quiet {
		printReports(stdout, run, plan)
	}
	return nil
}

// writeOutput writes a port's value to a file, by extension for tables.
// It writes beside the target and renames, so a failed run leaves no half file.
func writeOutput(path string, v any) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	switch v := v.(type) {
	case *table.Table:
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			err = table.WriteJSON(tmp, v)
		case ".tsv", ".tab":
			err = table.WriteCSV(tmp, v, table.CSVOptions{Delimiter: '\t'})
		default:
			err = table.WriteCSV(tmp, v, table.CSVOptions{})
		}
	default:
		enc := json.NewEncoder(tmp)
		enc.SetIndent("", "  ")
		err = enc.Encode(v)
	}
	if err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// printReports prints the metrics of every report produced by the run.
func printReports(w io.Writer, run *workflow.Run, plan *workflow.Plan) {
	for _, id := range run.Order {
		for _, o := range run.Nodes[id].Outputs {
			rep, ok := o.(*modules.Report)
			if !ok {
				continue
			}
			title := rep.Title
			if n := plan.Nodes[id].Node; n.Title != "" {
				title = n.Title + ": " + title
			}
			fmt.Fprintf(w, "%s (node %s)\n", title, id)
			for _, s := range rep.Sections {
				if len(s.Metrics) == 0 {
					continue
				}
				if s.Title != "" {
					fmt.Fprintf(w, "  %s\n", s.Title)
				}
				for _, m := range s.Metrics {
					fmt.Fprintf(w, "    %-24s %.6g\n", m.Name, m.Value)
				}
			}
		}
	}
}

func cmdModules(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("trellis modules", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the specs as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	reg, err := builtin.Registry()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reg.Specs())
	}
	for _, g := range reg.ByCategory() {
		fmt.Fprintf(stdout, "%s\n", g.Category)
		for _, s := range g.Specs {
			fmt.Fprintf(stdout, "  %-34s %-30s %s\n", s.Name, s.Ref(), s.Summary)
		}
	}
	return nil
}
