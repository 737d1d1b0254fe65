#!/usr/bin/python3
"""Times scikit-learn on the learners' benchmark data (scripts/mlbenchdata):
LogisticRegression (defaults: L2, C=1, lbfgs) and HistGradientBoostingClassifier
with the settings of Trellis's benchmark (100 trees, 31 leaves, learning rate
0.1, 20 rows a leaf, 255 bins, no early stopping). Prints one line per
measurement: name, best wall seconds of REPS runs, and accuracy on test.csv.

Usage: bench_ml.py DIR [REPS]
"""
import sys
import time

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

d = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
train, test = pd.read_csv(f"{d}/train.csv"), pd.read_csv(f"{d}/test.csv")
X, y = train.drop(columns="y"), train["y"].values
Xt, yt = test.drop(columns="y"), test["y"].values
Xn, Xtn = X.values, Xt.values


def best(fn):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


for name, make in [
    ("logistic", lambda: LogisticRegression()),
    ("boosted", lambda: HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1,
                                                       min_samples_leaf=20, max_bins=255, l2_regularization=0.0,
                                                       early_stopping=False, random_state=0)),
]:
    fit_s, m = best(lambda: make().fit(X, y))
    acc = (m.predict(Xt) == yt).mean()
    print(f"sklearn {name} train {fit_s:.4f} {acc:.4f}")
    # Score Model gives each row's label and probability: the same here,
    # labels taken from the probabilities as the peers' batch script does.
    def score(X):
        p = m.predict_proba(X)
        return p, m.classes_[p.argmax(axis=1)]

    score_np, _ = best(lambda: score(Xtn))
    print(f"sklearn {name} score-numpy {score_np:.4f} {acc:.4f}")
    score_df, _ = best(lambda: score(Xt))
    print(f"sklearn {name} score-dataframe {score_df:.4f} {acc:.4f}")
