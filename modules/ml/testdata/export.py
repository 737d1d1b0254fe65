# Exports the public datasets bundled with scikit-learn as the CSV files in
# this directory. Run once with Debian's python3-sklearn (1.2.1):
#   /usr/bin/python3 modules/ml/testdata/export.py
# Floats are written with repr, which round-trips float64 exactly.
import csv, os
from sklearn import datasets

here = os.path.dirname(os.path.abspath(__file__))

def clean(name):
    return name.replace(" (cm)", "_cm").replace(" ", "_").replace("/", "_")

def write(path, header, rows):
    with open(os.path.join(here, path), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)

iris = datasets.load_iris()
write("iris.csv", [clean(n) for n in iris.feature_names] + ["species"],
      [[repr(float(v)) for v in x] + [iris.target_names[y]] for x, y in zip(iris.data, iris.target)])

wine = datasets.load_wine()
write("wine.csv", [clean(n) for n in wine.feature_names] + ["class"],
      [[repr(float(v)) for v in x] + [int(y)] for x, y in zip(wine.data, wine.target)])

bc = datasets.load_breast_cancer()
write("breast_cancer.csv", [clean(n) for n in bc.feature_names] + ["target"],
      [[repr(float(v)) for v in x] + [int(y)] for x, y in zip(bc.data, bc.target)])

db = datasets.load_diabetes()
write("diabetes.csv", [clean(n) for n in db.feature_names] + ["progression"],
      [[repr(float(v)) for v in x] + [repr(float(y))] for x, y in zip(db.data, db.target)])
