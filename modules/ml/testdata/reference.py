# Computes the scikit-learn reference values written into the Go tests of
# modules/ml. Debian bookworm: python3-sklearn 1.2.1, numpy 1.24.2, scipy 1.10.1.
#   /usr/bin/python3 modules/ml/testdata/reference.py
import os
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, Ridge, LogisticRegression
from sklearn.cluster import KMeans
from sklearn.naive_bayes import GaussianNB, CategoricalNB
from sklearn import metrics

here = os.path.dirname(os.path.abspath(__file__))
def load(name):
    return pd.read_csv(os.path.join(here, name))

def std(X):
    # StandardScaler: population standard deviation (ddof=0).
    return (X - X.mean(axis=0)) / X.std(axis=0)

def logistic_objective(X, y, coef, intercept, C, l1=False):
    z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        z = z[:, 0]
        loss = np.sum(np.logaddexp(0, z) - y * z)
    else:
        m = z.max(axis=1, keepdims=True)
        lse = (m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
        loss = np.sum(lse - z[np.arange(len(y)), y])
    pen = np.abs(coef).sum() if l1 else 0.5 * (coef ** 2).sum()
    return C * loss + pen

print("== diabetes OLS: LinearRegression().fit(X, y)")
d = load("diabetes.csv"); X = d.drop(columns="progression").values; y = d["progression"].values
m = LinearRegression().fit(X, y)
print("coef", [repr(v) for v in m.coef_]); print("intercept", repr(m.intercept_))
print("== diabetes Ridge(alpha=0.5).fit(X, y)")
m = Ridge(alpha=0.5).fit(X, y)
print("coef", [repr(v) for v in m.coef_]); print("intercept", repr(m.intercept_))

bc = load("breast_cancer.csv"); Xb = std(bc.drop(columns="target").values); yb = bc["target"].values
for C in (1.0, 0.1):
    print(f"== breast cancer standardized: LogisticRegression(C={C}, tol=1e-12, max_iter=100000).fit (lbfgs, l2)")
    m = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(Xb, yb)
    print("objective C*sum(logloss)+0.5*||w||^2 =", repr(logistic_objective(Xb, yb, m.coef_, m.intercept_, C)))
    print("intercept", repr(m.intercept_[0]))
Xr = bc.drop(columns="target").values
for solver in ("newton-cg", "lbfgs"):
    print(f"== breast cancer UNSCALED: LogisticRegression(C=1.0, tol=1e-12, max_iter=1000000, solver={solver!r}).fit")
    m = LogisticRegression(C=1.0, tol=1e-12, max_iter=1000000, solver=solver).fit(Xr, yb)
    print("objective", repr(logistic_objective(Xr, yb, m.coef_, m.intercept_, 1.0)), "iterations", m.n_iter_[0])
print("== breast cancer standardized: LogisticRegression(penalty='l1', C=1.0, solver='saga', tol=1e-12, max_iter=1000000).fit")
m = LogisticRegression(penalty="l1", C=1.0, solver="saga", tol=1e-12, max_iter=1000000).fit(Xb, yb)
print("objective C*sum(logloss)+||w||_1 =", repr(logistic_objective(Xb, yb, m.coef_, m.intercept_, 1.0, l1=True)))
print("zero weights", int((m.coef_ == 0).sum()))

w = load("wine.csv"); Xw = std(w.drop(columns="class").values); yw = w["class"].values
print("== wine standardized: LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit (multinomial lbfgs)")
m = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(Xw, yw)
print("objective", repr(logistic_objective(Xw, yw, m.coef_, m.intercept_, 1.0)))

ir = load("iris.csv"); Xi = ir.drop(columns="species").values
print("== iris: KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)")
km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(Xi)
print("inertia", repr(km.inertia_))
print("sizes", sorted(np.bincount(km.labels_).tolist()))

print("== iris: GaussianNB().fit(X, species).predict_proba(X[[0, 50, 70, 100, 133]])")
nb = GaussianNB().fit(Xi, ir["species"].values)
print("classes", list(nb.classes_))
for r in nb.predict_proba(Xi[[0, 50, 70, 100, 133]]):
    print([repr(v) for v in r])

print("== CategoricalNB(alpha=1.0) on the toy table in TestNaiveBayesCategorical")
Xc = np.array([[0, 0], [0, 1], [1, 1], [1, 2], [2, 2], [2, 0], [0, 2], [1, 0]])
yc = np.array([0, 0, 0, 1, 1, 1, 1, 0])
cnb = CategoricalNB(alpha=1.0).fit(Xc, yc)
for r in cnb.predict_proba(np.array([[0, 0], [2, 1], [1, 2]])):
    print([repr(v) for v in r])

print("== metrics on fixed vectors (ties included)")
yt = np.array([0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1])
sc = np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.65, 0.65, 0.1, 0.7])
print("roc_auc_score", repr(metrics.roc_auc_score(yt, sc)))
print("average_precision_score", repr(metrics.average_precision_score(yt, sc)))
print("log_loss", repr(metrics.log_loss(yt, sc)))
pred = (sc > 0.5).astype(int)
print("accuracy", repr(metrics.accuracy_score(yt, pred)), "precision", repr(metrics.precision_score(yt, pred)),
      "recall", repr(metrics.recall_score(yt, pred)), "f1", repr(metrics.f1_score(yt, pred)))
ym = np.array([0, 1, 2, 2, 1, 0, 2, 1])
pm = np.array([[.7, .2, .1], [.1, .6, .3], [.2, .2, .6], [.3, .4, .3], [.5, .4, .1], [.6, .3, .1], [.1, .1, .8], [.3, .3, .4]])
print("multiclass log_loss", repr(metrics.log_loss(ym, pm)))
pp = pm.argmax(axis=1)
print("macro precision", repr(metrics.precision_score(ym, pp, average="macro")), "macro recall",
      repr(metrics.recall_score(ym, pp, average="macro")), "macro f1", repr(metrics.f1_score(ym, pp, average="macro")))
yr = np.array([3.0, -0.5, 2.0, 7.0, 4.2]); pr = np.array([2.5, 0.0, 2.0, 8.0, 3.9])
print("r2", repr(metrics.r2_score(yr, pr)), "mae", repr(metrics.mean_absolute_error(yr, pr)),
      "rmse", repr(np.sqrt(metrics.mean_squared_error(yr, pr))))
