package data

import (
	"errors"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// EnterData makes a dataset from text typed or pasted into the node.
type EnterData struct{}

var _ modules.Runner = EnterData{}

// Spec implements modules.Module.
func (EnterData) Spec() modules.Spec {
	return modules.Spec{
		ID: "enter_data_manually", Version: 1, Name: "Enter Data Manually", Category: modules.CategoryDataIO,
		Summary: "Makes a small dataset from CSV, TSV or JSON text typed into the node.",
		Help: "Type or paste a small dataset. CSV and TSV follow RFC 4180 (quote fields holding the " +
			"delimiter, quotes or line breaks); spaces around numbers are ignored. JSON is an array of " +
			"records or one record per line. Column types — bool, int, float, timestamp or string — are " +
			"inferred from the values; NA, N/A, NaN, null and empty fields are missing values.",
		Outputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "data", Label: "Data", Type: modules.ParamText, Required: true,
				Help: "The rows, one a line.", Example: "name,age\nann,31\nbob,45"},
			{Name: "format", Label: "Format", Type: modules.ParamChoice, Default: "csv", Choices: formatChoices(false),
				Help: "How the data is written."},
			{Name: "has_header", Label: "First row is the header", Type: modules.ParamBool, Default: true,
				ShowIf: &modules.Condition{Param: "format", Values: []string{"csv", "tsv"}},
				Help:   "Whether the first row names the columns. Without a header columns are named Col1, Col2, …"},
		},
	}
}

func (EnterData) parse(p modules.Params) (*table.Table, error) {
	text := p.String("data")
	if strings.TrimSpace(text) == "" {
		return nil, modules.ParamErr("data", errors.New("is empty: type or paste some rows"))
	}
	o := textOptions{format: p.String("format")}
	o.csv.NoHeader = !p.Bool("has_header")
	o.csv.Workers = 1
	t, err := readText(strings.NewReader(text), o, "")
	if err != nil {
		return nil, modules.ParamErr("data", err)
	}
	return t, nil
}

// Infer implements modules.Module: the text is small, so it is parsed.
func (m EnterData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	t, err := m.parse(ic.Params)
	if err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(t.Schema())}, nil
}

// Run implements modules.Runner.
func (m EnterData) Run(rc *modules.Context) error {
	t, err := m.parse(rc.Params)
	if err != nil {
		return err
	}
	rc.SetOutput("dataset", t)
	return nil
}
