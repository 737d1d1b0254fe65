#!/usr/bin/env bash
# Times Trellis's learners against scikit-learn on the same data, in one
# session: logistic regression and boosted trees, training on 100k rows x 20
# features and scoring 1M rows. Prints the best of REPS wall times on each
# side (one call per run, as the Python side times them) and their ratios.
#
#   scripts/bench-ml.sh          (REPS=3; needs Debian's python3-sklearn)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
DIR=${DIR:-/tmp/trellis-ml-bench}
mkdir -p "$DIR"
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import sklearn, pandas' 2>/dev/null ||
  { apt-get update && apt-get install -y python3-sklearn python3-pandas; }
[ -f "$DIR/test.csv" ] || go run ./scripts/mlbenchdata "$DIR"

go test -c -o "$DIR/ml.test" ./modules/ml
(cd modules/ml && "$DIR/ml.test" -test.run '^$' -test.benchtime 1x -test.count "$REPS" \
  -test.bench '^(BenchmarkTrainLogistic100k|BenchmarkScore1M|BenchmarkTrainBoosted100kModule|BenchmarkScoreBoosted1MModule)$') |
  tee "$DIR/go.txt" | grep '^Benchmark'
/usr/bin/python3 scripts/bench_ml.py "$DIR" "$REPS" | tee "$DIR/sk.txt"

go_s() { awk -v b="$1" '$1 ~ "^"b"-" { t = $3 / 1e9; if (best == "" || t < best) best = t } END { print best }' "$DIR/go.txt"; }
sk_s() { awk -v n="$1" -v k="$2" '$2 == n && $3 == k { print $4 }' "$DIR/sk.txt"; }
echo
printf '%-40s %12s %12s %8s\n' task trellis sklearn ratio
row() { awk -v t="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-40s %9.1f ms %9.1f ms %7.2fx\n", t, a * 1e3, b * 1e3, b / a }'; }
row "logistic: train 100k x 20" "$(go_s BenchmarkTrainLogistic100k)" "$(sk_s logistic train)"
row "logistic: score 1M (sklearn numpy)" "$(go_s BenchmarkScore1M)" "$(sk_s logistic score-numpy)"
row "logistic: score 1M (sklearn DataFrame)" "$(go_s BenchmarkScore1M)" "$(sk_s logistic score-dataframe)"
row "boosted: train 100k x 20" "$(go_s BenchmarkTrainBoosted100kModule)" "$(sk_s boosted train)"
row "boosted: score 1M (sklearn numpy)" "$(go_s BenchmarkScoreBoosted1MModule)" "$(sk_s boosted score-numpy)"
row "boosted: score 1M (sklearn DataFrame)" "$(go_s BenchmarkScoreBoosted1MModule)" "$(sk_s boosted score-dataframe)"
echo "accuracy on test.csv: trellis logistic $(grep -m1 BenchmarkScore1M- "$DIR/go.txt" | grep -o '[0-9.]* accuracy' | cut -d' ' -f1)," \
  "boosted $(grep -m1 BenchmarkScoreBoosted1MModule "$DIR/go.txt" | grep -o '[0-9.]* accuracy' | cut -d' ' -f1);" \
  "sklearn logistic $(sk_s logistic train | head -1 >/dev/null; awk '$2=="logistic" && $3=="train" {print $5}' "$DIR/sk.txt"), boosted $(awk '$2=="boosted" && $3=="train" {print $5}' "$DIR/sk.txt")"
