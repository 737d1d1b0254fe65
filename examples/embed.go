// Package examples ships the sample data and workflows, embedded so a new
// install can load them without the source tree.
package examples

import _ "embed"

// LoansCSV is 1,000 synthetic loan applications.
//
//go:embed loans/loans.csv
var LoansCSV []byte

// PrepareWorkflow is the sample workflow that prepares the loans for a learner.
//
//go:embed loans/prepare.workflow.json
var PrepareWorkflow []byte

// TrainWorkflow is the sample workflow that trains and evaluates a loan default model.
//
//go:embed loans/train.workflow.json
var TrainWorkflow []byte
