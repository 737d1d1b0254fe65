package ml

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// Predictor is the algorithm-specific part of a trained model: it maps
// encoded feature rows to outputs. It must be deterministic (the same row
// gives the same bits, whatever block it is scored in), safe for concurrent
// use, and serialize to JSON as the envelope's "params".
type Predictor interface {
	// Predict writes x.Rows rows of outputs into out, row-major: for
	// classification the probability of each class in Label.Classes order;
	// for regression the prediction; for clustering the distance to each
	// centre. x may share storage with the scored table: never write to it.
	Predict(x *Matrix, out []float64)
}

// nanPropagating is implemented by predictors whose outputs for a row are
// NaN whenever one of its inputs is (linear scores, distances), which lets
// scoring skip checking inputs for NaN.
type nanPropagating interface{ propagatesNaN() }

// Clusterer is implemented by clustering predictors, whose width the label
// cannot tell.
type Clusterer interface {
	Clusters() int
}

// Model is every trained model of the package: the feature encoding and
// label learnt at training and an algorithm's predictor. It implements
// modules.Model; its JSON form is the envelope (see MarshalModel).
type Model struct {
	Algo      string
	Kind      modules.Task
	Features  *Features
	Label     *Label // nil for clustering
	Predictor Predictor
}

// Task implements modules.Model.
func (m *Model) Task() modules.Task { return m.Kind }

// Algorithm implements modules.Model.
func (m *Model) Algorithm() string { return m.Algo }

// Width returns the number of predictor outputs a row has.
func (m *Model) Width() int {
	switch m.Kind {
	case modules.TaskRegression:
		return 1
	case modules.TaskClustering:
		if c, ok := m.Predictor.(Clusterer); ok {
			return c.Clusters()
		}
		return 0
	}
	return len(m.Label.Classes)
}

// The scored-table contract: the columns Score appends, all with the Score role.
const (
	// ScoredLabels holds the predicted class (the label's type) or the
	// regression prediction (float).
	ScoredLabels = "Scored Labels"
	// ScoredProbabilities holds a binary model's probability of the positive
	// class, Classes[1]; a multiclass model appends one column per class named
	// ScoredProbabilities + "_" + class.
	ScoredProbabilities = "Scored Probabilities"
	// Assignments holds a clustering model's cluster index (int, from 0).
	Assignments = "Assignments"
	// DistancePrefix + k names the column of distances to cluster k's centre.
	DistancePrefix = "DistancesToClusterCenter no."
)

// ScoreFields returns the columns scoring appends. label is the label field
// (its type decides Scored Labels' type); classes may be nil for a binary
// task, and must be given for a multiclass one; clusters is the k of a
// clustering model. ok is false when they cannot be known (multiclass without
// classes, clustering without k).
func ScoreFields(task modules.Task, label *table.Field, classes []string, clusters int) (fields table.Schema, ok bool) {
	score := func(name string, t table.Type) table.Field {
		return table.Field{Name: name, Type: t, Role: table.Score}
	}
	switch task {
	case modules.TaskRegression:
		return table.Schema{score(ScoredLabels, table.Float)}, true
	case modules.TaskBinary:
		if label == nil {
			return nil, false
		}
		return table.Schema{score(ScoredLabels, label.Type), score(ScoredProbabilities, table.Float)}, true
	case modules.TaskMulticlass:
		if label == nil || len(classes) == 0 {
			return nil, false
		}
		out := table.Schema{score(ScoredLabels, label.Type)}
		for _, c := range classes {
			out = append(out, score(ScoredProbabilities+"_"+c, table.Float))
		}
		return out, true
	case modules.TaskClustering:
		if clusters < 1 {
			return nil, false
		}
		out := table.Schema{score(Assignments, table.Int)}
		for k := range clusters {
			out = append(out, score(DistancePrefix+strconv.Itoa(k), table.Float))
		}
		return out, true
	}
	return nil, false
}

// ScoredSchema returns the schema of a scored table: the input's columns,
// the label column (when present) given the label role so that Evaluate Model
// finds it, and the score fields appended — or replacing a column of the same
// name in place, as table.WithColumn does.
func ScoredSchema(in table.Schema, label string, fields table.Schema) table.Schema {
	out := in.Clone()
	if i := out.Index(label); i >= 0 && label != "" {
		out[i].Role = table.Label
	}
	for _, f := range fields {
		if i := out.Index(f.Name); i >= 0 {
			out[i] = f
		} else {
			out = append(out, f)
		}
	}
	return out
}

func (m *Model) scoreFields() table.Schema {
	var lf *table.Field
	var classes []string
	if m.Label != nil {
		f := m.Label.Field()
		lf, classes = &f, m.Label.Classes
	}
	fields, _ := ScoreFields(m.Kind, lf, classes, m.Width())
	return fields
}

// scoreBlock is the number of rows encoded and predicted at a time: small
// enough for a block's matrix to stay in cache, large enough to amortize calls.
const scoreBlock = 2048

// Predict encodes t and returns the predictor's outputs, row-major
// (t.NumRows() × Width()). Blocks run in parallel; the result does not depend
// on how rows are split.
func (m *Model) Predict(ctx context.Context, t *table.Table) ([]float64, error) {
	w := m.Width()
	out := make([]float64, t.NumRows()*w)
	err := m.predictBlocks(ctx, t, func() blockScorer {
		return func(x *Matrix, from int, check bool) bool {
			block := out[from*w : (from+x.Rows)*w]
			m.Predictor.Predict(x, block)
			return check && hasNaN(block)
		}
	}, nil)
	return out, err
}

// columnPredictor is implemented by predictors that can write each output
// straight into a column of its own — out[k][:x.Rows] — which saves scoring
// a row-major buffer and a pass to spread it into the score columns.
type columnPredictor interface {
	PredictColumns(x *Matrix, out [][]float64)
}

// A blockScorer predicts one block of rows (x holds rows from, from+1, …)
// and stores the outputs where its caller wants them. When check is set it
// reports whether any output it wrote is NaN.
type blockScorer func(x *Matrix, from int, check bool) (nan bool)

// predictBlocks encodes t in blocks of rows and scores them in parallel, each
// worker with a blockScorer of its own from newScorer.
func (m *Model) predictBlocks(ctx context.Context, t *table.Table, newScorer func() blockScorer, progress func(float64)) error {
	b, err := m.Features.bind(t)
	if err != nil {
		return err
	}
	b.share = true
	// Looking for NaN in every input value costs a pass over the table; when
	// any NaN input is sure to show as a NaN output, looking at the outputs
	// is enough.
	_, propagates := m.Predictor.(nanPropagating)
	fast := propagates && m.Features.Missing == Impute
	unchecked := *b
	unchecked.unchecked = true
	n := t.NumRows()
	blocks := (n + scoreBlock - 1) / scoreBlock
	workers := min(runtime.GOMAXPROCS(0), blocks)
	var wg parallel.Group
	var mu sync.Mutex
	var firstErr error
	var done atomic.Int64 // rows scored, for progress
	next := 0
	for range workers {
		wg.Go(func() {
			x := &Matrix{Cols: make([][]float64, m.Features.Width()), own: make([][]float64, m.Features.Width())}
			score := newScorer()
			for {
				mu.Lock()
				blk := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if blk >= blocks || stop {
					return
				}
				if err := ctx.Err(); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				from := blk * scoreBlock
				x.Rows = min(scoreBlock, n-from)
				bb := b
				if fast {
					bb = &unchecked
				}
				for k := range m.Features.Columns {
					bb.fill(k, x, from)
				}
				if score(x, from, fast) {
					// A NaN input reached the predictor instead of its
					// imputed value: encode the block properly and redo it.
					for k := range m.Features.Columns {
						b.fill(k, x, from)
					}
					score(x, from, false)
				}
				if progress != nil {
					progress(float64(done.Add(int64(x.Rows))) / float64(n))
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// Score implements modules.Model: it appends the score columns (see
// ScoreFields) to t and gives the label column, when t has it, the label role.
func (m *Model) Score(ctx context.Context, t *table.Table) (*table.Table, error) {
	return m.ScoreProgress(ctx, t, nil)
}

// ScoreProgress is Score reporting the fraction of rows scored to progress
// (from several goroutines), when progress is not nil.
func (m *Model) ScoreProgress(ctx context.Context, t *table.Table, progress func(float64)) (*table.Table, error) {
	n, w := t.NumRows(), m.Width()
	cp, direct := m.Predictor.(columnPredictor)
	// Outputs go straight from each block into the score columns' storage.
	var newScorer func() blockScorer
	var build func() ([]table.Column, error)
	switch m.Kind {
	case modules.TaskRegression:
		vals := make([]float64, n)
		newScorer = func() blockScorer {
			out := make([]float64, scoreBlock)
			cols := make([][]float64, 1)
			return func(x *Matrix, from int, check bool) bool {
				dst := vals[from : from+x.Rows]
				if direct {
					cols[0] = dst
					cp.PredictColumns(x, cols)
				} else {
					m.Predictor.Predict(x, out[:x.Rows])
					copy(dst, out)
				}
				return check && hasNaN(dst)
			}
		}
		build = func() ([]table.Column, error) { return []table.Column{table.NewFloats(vals, nil)}, nil }
	case modules.TaskClustering:
		assign := make([]int64, n)
		dist := make([][]float64, w)
		for k := range dist {
			dist[k] = make([]float64, n)
		}
		newScorer = func() blockScorer {
			out := make([]float64, scoreBlock*w)
			return func(x *Matrix, from int, check bool) bool {
				rows := x.Rows
				m.Predictor.Predict(x, out[:rows*w])
				for i := range rows {
					row := out[i*w : (i+1)*w]
					best := 0
					for k, d := range row {
						dist[k][from+i] = d
						if d < row[best] {
							best = k
						}
					}
					assign[from+i] = int64(best)
				}
				return check && hasNaN(out[:rows*w])
			}
		}
		build = func() ([]table.Column, error) {
			cols := []table.Column{table.NewInts(assign, nil)}
			for _, d := range dist {
				cols = append(cols, table.NewFloats(d, nil))
			}
			return cols, nil
		}
	default:
		probs := make([][]float64, w)
		first := 0
		if m.Kind == modules.TaskBinary {
			first = 1 // only the positive class's probability is a column
		}
		for k := first; k < w; k++ {
			probs[k] = make([]float64, n)
		}
		labels, err := m.Label.newClassWriter(n)
		if err != nil {
			return nil, err
		}
		newScorer = func() blockScorer {
			var best [scoreBlock]int32
			if w == 2 && direct {
				// The binary case, most scored of all: probabilities land
				// in their columns (the negative class's in scratch when it
				// has no column), the label is the likelier class.
				p0 := make([]float64, scoreBlock)
				cols := make([][]float64, 2)
				return func(x *Matrix, from int, check bool) bool {
					rows := x.Rows
					cols[0], cols[1] = p0[:rows], probs[1][from:from+rows]
					if first == 0 {
						cols[0] = probs[0][from : from+rows]
					}
					cp.PredictColumns(x, cols)
					q0, q1 := cols[0], cols[1]
					for i := range q1 {
						best[i] = int32(b2i(q1[i] > q0[i]))
					}
					labels.write(from, best[:rows])
					return check && hasNaN(q1)
				}
			}
			out := make([]float64, scoreBlock*w)
			return func(x *Matrix, from int, check bool) bool {
				rows := x.Rows
				m.Predictor.Predict(x, out[:rows*w])
				for i := range rows {
					row := out[i*w : (i+1)*w]
					b := 0
					for k, p := range row {
						if p > row[b] {
							b = k
						}
					}
					best[i] = int32(b)
					for k := first; k < w; k++ {
						probs[k][from+i] = row[k]
					}
				}
				labels.write(from, best[:rows])
				return check && hasNaN(out[:rows*w])
			}
		}
		build = func() ([]table.Column, error) {
			cols := []table.Column{labels.column()}
			for _, p := range probs[first:] {
				cols = append(cols, table.NewFloats(p, nil))
			}
			return cols, nil
		}
	}
	if err := m.predictBlocks(ctx, t, newScorer, progress); err != nil {
		return nil, err
	}
	cols, err := build()
	if err != nil {
		return nil, err
	}
	return AppendScores(t, m.labelName(), m.scoreFields(), cols)
}

func (m *Model) labelName() string {
	if m.Label == nil {
		return ""
	}
	return m.Label.Name
}

// AppendScores returns t with the label column (when present) given the
// label role and the score columns appended; its schema is ScoredSchema's.
func AppendScores(t *table.Table, label string, fields table.Schema, cols []table.Column) (*table.Table, error) {
	if i := t.Schema().Index(label); i >= 0 && label != "" && t.Field(i).Role != table.Label {
		s := t.Schema()
		s[i].Role = table.Label
		var err error
		if t, err = t.WithSchema(s); err != nil {
			return nil, err
		}
	}
	for k, f := range fields {
		var err error
		if t, err = t.WithColumn(f, cols[k]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ModelFormat and ModelVersion mark the serialized model envelope.
const (
	ModelFormat  = "trellis-model"
	ModelVersion = 1
)

// Envelope is the serialized form of every trained model:
//
//	{"format":"trellis-model","version":1,"algorithm":"logistic_regression",
//	 "task":"binary_classification","features":{...},"label":{...},"params":{...}}
//
// features is the Features encoding, label the Label (absent for
// clustering), params the algorithm's Predictor as JSON.
type Envelope struct {
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Algorithm string          `json:"algorithm"`
	Task      modules.Task    `json:"task"`
	Features  *Features       `json:"features"`
	Label     *Label          `json:"label,omitempty"`
	Params    json.RawMessage `json:"params"`
}

// MarshalJSON implements json.Marshaler with the envelope.
func (m *Model) MarshalJSON() ([]byte, error) {
	p, err := json.Marshal(m.Predictor)
	if err != nil {
		return nil, fmt.Errorf("model %s: %v", m.Algo, err)
	}
	return json.Marshal(Envelope{Format: ModelFormat, Version: ModelVersion, Algorithm: m.Algo, Task: m.Kind,
		Features: m.Features, Label: m.Label, Params: p})
}

// Decoder rebuilds an algorithm's predictor from the envelope's params; the
// model's head (everything but the predictor) is already decoded and checked.
type Decoder func(params json.RawMessage, head *Model) (Predictor, error)

// Decoders returns the predictor decoders by algorithm name: this package's
// learners and the tree learners' (treeDecoders).
func Decoders() map[string]Decoder {
	d := map[string]Decoder{
		AlgoLinearRegression:   decodeLinear,
		AlgoLogisticRegression: decodeLogistic,
		AlgoNaiveBayes:         decodeBayes,
		AlgoKMeans:             decodeKMeans,
	}
	maps.Copy(d, treeDecoders())
	return d
}

// MarshalModel serializes a trained model as its envelope.
func MarshalModel(m modules.Model) ([]byte, error) { return m.MarshalJSON() }

// UnmarshalModel decodes a model envelope, refusing unknown formats,
// versions and algorithms.
func UnmarshalModel(b []byte) (modules.Model, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("model: %v", err)
	}
	if env.Format != ModelFormat {
		return nil, fmt.Errorf("model: format %q is not %q", env.Format, ModelFormat)
	}
	if env.Version != ModelVersion {
		return nil, fmt.Errorf("model: envelope version %d is not supported (want %d)", env.Version, ModelVersion)
	}
	dec, ok := Decoders()[env.Algorithm]
	if !ok {
		return nil, fmt.Errorf("model: unknown algorithm %q", env.Algorithm)
	}
	switch env.Task {
	case modules.TaskBinary, modules.TaskMulticlass, modules.TaskRegression:
		if env.Label == nil {
			return nil, fmt.Errorf("model: a %s model needs a label", env.Task)
		}
		if err := env.Label.check(env.Task); err != nil {
			return nil, fmt.Errorf("model: label: %v", err)
		}
	case modules.TaskClustering:
	default:
		return nil, fmt.Errorf("model: unknown task %q", env.Task)
	}
	if env.Features == nil {
		return nil, fmt.Errorf("model: no feature encoding")
	}
	if err := env.Features.init(); err != nil {
		return nil, fmt.Errorf("model: features: %v", err)
	}
	if env.Label != nil && slices.ContainsFunc(env.Features.Columns, func(c FeatureColumn) bool { return c.Name == env.Label.Name }) {
		return nil, fmt.Errorf("model: the label %q is also a feature", env.Label.Name)
	}
	head := &Model{Algo: env.Algorithm, Kind: env.Task, Features: env.Features, Label: env.Label}
	p, err := dec(env.Params, head)
	if err != nil {
		return nil, fmt.Errorf("model %s: %v", env.Algorithm, err)
	}
	head.Predictor = p
	if env.Task == modules.TaskClustering && head.Width() < 1 {
		return nil, fmt.Errorf("model %s: a clustering predictor must report its clusters", env.Algorithm)
	}
	return head, nil
}
