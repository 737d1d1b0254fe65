// Package tree holds Trellis's tree learners as pure algorithms on a float64
// feature matrix: CART decision trees, random (decision) forests and gradient
// boosted trees with histogram-binned splits. It knows nothing of tables or
// modules; package ml adapts it.
//
// # Features
//
// Data holds one float64 slice per feature (column-major, so building it from
// table columns is a copy per column and a node's scan touches one slice).
// A feature is numeric, or categorical with integer codes 0..k-1 stored as
// float64. NaN is a missing value in either kind.
//
// # Splits
//
// A numeric split sends x <= threshold left. The threshold is the midpoint
// between the two neighbouring training values (CART) or a bin's upper edge
// (boosting), so a value between them is decided the same way either side of
// serialisation.
//
// A categorical split sends a set of codes left. CART finds the set by sorting
// the node's categories by their mean target — the positive-class fraction for
// two classes, the mean for regression — and scanning the ordered prefixes,
// which Breiman et al. (1984) show finds the best of all 2^(k-1) partitions for
// those criteria. For more than two classes no such ordering is exact; the
// learner tries, for every class c, the ordering by the fraction of class c
// (one-vs-rest) and keeps the best prefix overall. Boosting orders categories
// by G/(H+10) (the smoothed Newton step, as LightGBM and scikit-learn do).
// At prediction a code that is outside 0..k-1, not whole, or was not seen in
// training by that node is treated as missing.
//
// # Missing values
//
// Every split learns a default direction for missing values: when the node's
// training rows include missing values, both directions are scored and the
// better kept; when they do not, missing values follow the child that
// received more training rows (weighted), so an unseen gap at scoring time
// goes where most of the data went.
//
// # Determinism
//
// Training is a function of the data, the parameters and the seed. Forest
// trees draw from a generator derived from (seed, tree index), never from a
// shared one, so the result does not depend on how goroutines are scheduled.
// Ties between equally good splits go to the lower feature index, then the
// lower threshold.
package tree
