package modules

import (
	"context"
	"encoding/json"

	"github.com/trellis-studio/trellis/modules/table"
)

// The values that flow on ports, by kind:
//   table            *table.Table
//   untrained_model  Learner
//   trained_model    Model
//   transform        Transform
//   report           *Report

// Transform is a fitted transformation (the state of Normalize Data, say)
// that can be applied to another table with the same columns.
type Transform interface {
	Apply(ctx context.Context, t *table.Table) (*table.Table, error)
	// Describe says in one line what it does, for the designer.
	Describe() string
	json.Marshaler
}

// Learner is an untrained model: an algorithm with its hyper-parameters.
type Learner interface {
	Task() Task
	// Algorithm is a stable name such as "logistic_regression".
	Algorithm() string
	Train(ctx context.Context, t *table.Table, label string) (Model, error)
}

// Model is a trained model.
type Model interface {
	Task() Task
	Algorithm() string
	// Score appends score columns to t, exactly as trained.
	Score(ctx context.Context, t *table.Table) (*table.Table, error)
	json.Marshaler
}

// Summarizer is implemented by models and transforms that can say what they
// learnt — a linear model's weights, a forest's size — as a report, which
// the designer shows when their output is opened.
type Summarizer interface {
	Summary() *Report
}

// Report is a module's formatted result: metrics, tables and charts.
type Report struct {
	Title    string          `json:"title"`
	Sections []ReportSection `json:"sections"`
}

// ReportSection is one titled part of a report.
type ReportSection struct {
	Title   string   `json:"title"`
	Metrics []Metric `json:"metrics,omitempty"`
	// Table is shown as a grid (a confusion matrix, a threshold table).
	Table *table.Table `json:"-"`
	// SVG is a chart rendered server-side.
	SVG string `json:"svg,omitempty"`
}

// Metric is a named number.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Help  string  `json:"help,omitempty"`
}

// KindOf returns the port kind of a value, or "" for an unknown value.
func KindOf(v any) PortKind {
	switch v.(type) {
	case *table.Table:
		return KindTable
	case Learner:
		return KindUntrainedModel
	case Model:
		return KindTrainedModel
	case Transform:
		return KindTransform
	case *Report:
		return KindReport
	}
	return ""
}
