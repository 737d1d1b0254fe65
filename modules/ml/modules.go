package ml

import "github.com/trellis-studio/trellis/modules"

// Modules returns every module of the package: learners, training, scoring
// and evaluation, followed by the tree learners' modules (treeModules).
func Modules() []modules.Module {
	return append([]modules.Module{
		LinearRegressionInit{},
		TwoClassLogisticInit{},
		MulticlassLogisticInit{},
		TwoClassNaiveBayesInit{},
		MulticlassNaiveBayesInit{},
		KMeansInit{},
		TrainModel{},
		TrainClusteringModel{},
		ScoreModel{},
		AssignDataToClusters{},
		EvaluateModel{},
		LoadTrainedModel{},
	}, treeModules()...)
}
