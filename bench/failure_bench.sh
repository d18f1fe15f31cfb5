#!/usr/bin/env bash
# Failure-report ingest benchmark (issue 11: "at least 20,000 failure reports per CPU-second into
# the store from an mbox, with bounded memory"): an mbox of N synthetic ARF reports
# (bench/gen_failure_mbox.py) ingested into an empty SQLite file; prints the median CPU time
# (user+sys) of RUNS runs (default 3), reports per CPU-second, and the peak RSS of all runs.
#
#   bench/failure_bench.sh BUILD_DIR [N]      (BUILD_DIR from a Release build: -DCMAKE_BUILD_TYPE=Release -DDMARCSIGHT_BENCH=ON)
set -euo pipefail
build=${1:?usage: failure_bench.sh BUILD_DIR [N]}
n=${2:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
bin="$build/src/cli/dmarcsight"
work=${BENCH_WORK:-/tmp/dmarcsight-failure-bench}
mkdir -p "$work"
mbox="$work/failures-$n.mbox"
[ -f "$mbox" ] || python3 "$root/bench/gen_failure_mbox.py" --n "$n" --out "$mbox"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu=() rss=()
for _ in $(seq "$runs"); do
  rm -rf "$work/b.db" "$work/b.db-wal" "$work/b.db-shm" "$work/b.db.quarantine"
  /usr/bin/time -o "$work/time.out" -f '%U %S %M' "$bin" ingest --db "$work/b.db" --quiet "$mbox" >/dev/null 2>&1 || true
  t=$(tail -n 1 "$work/time.out")
  cpu+=("$(echo "$t" | awk '{print $1 + $2}')")
  rss+=("$(echo "$t" | awk '{print $3 / 1024}')")
done
stored=$("$bin" stats --db "$work/b.db" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["failure_reports"])')
c=$(printf '%s\n' "${cpu[@]}" | median)
r=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
echo "failure reports: $n in the mbox ($(du -m "$mbox" | cut -f1) MB), $stored stored"
echo "median CPU: ${c}s of ${runs} runs; $(awk -v n="$stored" -v c="$c" 'BEGIN {printf "%.0f", n / c}') failure reports per CPU-second; peak RSS ${r} MB"
[ "$stored" -eq "$n" ]
