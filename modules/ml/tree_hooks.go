package ml

import "github.com/trellis-studio/trellis/modules"

// This file belongs to the tree learners (see API.md): they list their
// modules and model decoders here, and Modules and Decoders pick them up.

// treeModules returns the tree learners' modules and their cross-validation,
// tuning and feature modules.
func treeModules() []modules.Module { return TreeModules() }

// treeDecoders returns the tree learners' predictor decoders by algorithm.
func treeDecoders() map[string]Decoder {
	return map[string]Decoder{
		AlgoDecisionTree:   decodeForest,
		AlgoDecisionForest: decodeForest,
		AlgoBoostedTrees:   decodeBoosted,
	}
}
