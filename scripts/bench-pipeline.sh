#!/usr/bin/env bash
# Times the 1M-row batch pipeline of Trellis against the pandas + scikit-learn
# script from ../shared/bench/peers, in one session, and prints the figures
# BENCHMARKS.md records (wall time, peak RSS, CPU), medians of RUNS runs.
#
#   scripts/bench-pipeline.sh            (RUNS=3 by default)
#
# Both do what the peers' batch_score.py does: read 1M loan applications,
# filter, add a computed column, score with a logistic regression (z-scored
# numbers, one-hot categories, L2, trained on train_10k.csv), write the
# scored rows. pandas loads the pipeline train.py fitted; Trellis runs
# scripts/batch-score.workflow.json headless, which trains its model on the
# same 10,000 rows in the same run (a few tens of ms) and z-scores the batch.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS_DIR:-../shared/bench/peers}
WORK=${WORK:-/tmp/bench-peers}
RUNS=${RUNS:-3}
DATA="$WORK/data/batch_1m.csv"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$DATA" ] || WORK="$WORK" bash "$PEERS/run.sh" data
[ -f "$WORK/model/pipeline.joblib" ] || WORK="$WORK" bash "$PEERS/run.sh" train
[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }
go build -o bin/trellis .

# measure NAME CMD...: one line "NAME wall_s peak_rss_mib cpu_s"
measure() {
  local name=$1; shift
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.txt" || { cat "$OUT/time.txt"; exit 1; }
  awk -v n="$name" '
    /Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /Maximum resident set size/ { rss = $NF / 1024 }
    /User time/ { u = $NF } /System time/ { s = $NF }
    END { printf "%s %.2f %.0f %.2f\n", n, wall, rss, u + s }' "$OUT/time.txt"
}

for i in $(seq "$RUNS"); do
  measure trellis bin/trellis run scripts/batch-score.workflow.json --quiet \
    --input "Train=$WORK/data/train_10k.csv" --input "Batch=$DATA" --out "score.scored=$OUT/trellis.csv"
  measure pandas /usr/bin/python3 "$PEERS/batch_score.py" "$DATA" "$WORK/model/pipeline.joblib" "$OUT/pandas.csv"
done | tee "$OUT/runs.txt"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo
printf '%-8s %10s %14s %10s\n' tool "wall s" "peak RSS MiB" "CPU s"
for tool in trellis pandas; do
  w=$(awk -v t=$tool '$1 == t { print $2 }' "$OUT/runs.txt" | median)
  r=$(awk -v t=$tool '$1 == t { print $3 }' "$OUT/runs.txt" | median)
  c=$(awk -v t=$tool '$1 == t { print $4 }' "$OUT/runs.txt" | median)
  printf '%-8s %10s %14s %10s\n' $tool "$w" "$r" "$c"
  eval "${tool}_w=$w ${tool}_r=$r"
done
awk -v tw="$trellis_w" -v pw="$pandas_w" -v tr="$trellis_r" -v pr="$pandas_r" \
  'BEGIN { printf "\npandas / trellis wall time: %.1fx; trellis peak RSS / pandas: %.2f\n", pw / tw, tr / pr }'
echo "rows out: trellis $(($(wc -l <"$OUT/trellis.csv") - 1)), pandas $(($(wc -l <"$OUT/pandas.csv") - 1))"
# Accuracy of the scored labels against the label column, on each side.
acc() { awk -F, -v l="$2" -v p="$3" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == l) a = i; if ($i == p) b = i }; next }
  { n++; ok += ($a == $b) } END { printf "%.4f", ok / n }' "$1"; }
echo "accuracy vs label: trellis $(acc "$OUT/trellis.csv" default "Scored Labels"), pandas $(acc "$OUT/pandas.csv" default scored_label)"
