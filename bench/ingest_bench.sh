#!/usr/bin/env bash
# Ingest benchmark (issue: "speed and memory are measured"): CPU time (user+sys), records per
# CPU-second and peak RSS of `dmarcsight ingest` into an empty SQLite file, page cache warm, on
#  1. the generated corpus: ../shared/bench/gen_bench_corpus.py --n 2000 --seed 42
#  2. the real samples under ../shared/corpus/reports
#  3. (with --big) the 300 MB / 400,000-record and 1,000,000-record reports of gen_hostile.py --big
# and the pugixml floor (read + unwrap + parse, no checks, no storage) on the same files, in the
# same run. Prints the median of RUNS runs (default 5).
#
# With BASE_BIN=path (another build's dmarcsight, e.g. an earlier commit's), each ingest is also
# run with it, in adjacent pairs whose order alternates, and the median of the pairs' CPU ratios is
# printed: on a shared VM the CPU per run moves by ±20% from minute to minute, and a ratio of
# neighbours moves far less than a ratio of medians.
#
#   bench/ingest_bench.sh BUILD_DIR [--big]      (BUILD_DIR from a Release build with benchmarks on)
set -euo pipefail
build=${1:?usage: ingest_bench.sh BUILD_DIR [--big]}
big=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_DIR:-$root/../shared}
runs=${RUNS:-5}
bin="$build/src/cli/dmarcsight"
floor="$build/bench/floor_pugixml"
work=${BENCH_WORK:-/tmp/dmarcsight-bench}
mkdir -p "$work"

if [ ! -d "$work/corpus" ]; then
  python3 "$shared/bench/gen_bench_corpus.py" --out "$work/corpus" --n 2000 --seed 42 >/dev/null
fi

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure NAME CMD...: runs CMD $runs times; prints median CPU seconds and max RSS in MB.
measure() {
  local name=$1; shift
  local cpu=() rss=()
  for _ in $(seq "$runs"); do
    rm -rf "$work/b.db" "$work/b.db-wal" "$work/b.db-shm" "$work/b.db.quarantine"
    local t
    /usr/bin/time -o "$work/time.out" -f '%U %S %M' "$@" >/dev/null 2>&1 || true
    t=$(tail -n 1 "$work/time.out")
    cpu+=("$(echo "$t" | awk '{print $1 + $2}')")
    rss+=("$(echo "$t" | awk '{print $3 / 1024}')")
  done
  local c r
  c=$(printf '%s\n' "${cpu[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
  echo "$c $r"
}

# cpu_of CMD...: one run's CPU milliseconds (user + system).
cpu_of() {
  rm -rf "$work/b.db" "$work/b.db-wal" "$work/b.db-shm" "$work/b.db.quarantine"
  /usr/bin/time -o "$work/time.out" -f '%U %S' "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time.out" | awk '{printf "%d", ($1 + $2) * 1000}'
}

# versus LABEL DIR: BASE_BIN against this build, in pairs.
versus() {
  local label=$1 dir=$2 ratios=() a b
  for i in $(seq "$runs"); do
    if [ $((i % 2)) = 0 ]; then
      a=$(cpu_of "$BASE_BIN" ingest --quiet --db "$work/b.db" "$dir"); b=$(cpu_of "$bin" ingest --quiet --db "$work/b.db" "$dir")
    else
      b=$(cpu_of "$bin" ingest --quiet --db "$work/b.db" "$dir"); a=$(cpu_of "$BASE_BIN" ingest --quiet --db "$work/b.db" "$dir")
    fi
    ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }')")
  done
  printf '%-28s this build / BASE_BIN: median of %d pair ratios %s  (%s)\n' "$label" "$runs" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "${ratios[*]}"
}

report() {  # report LABEL DIR RECORDS
  local label=$1 dir=$2 records=$3
  cat "$dir"/* >/dev/null 2>&1 || true  # warm the page cache
  read -r fc fr < <(measure floor "$floor" "$dir")
  read -r ic ir < <(measure ingest "$bin" ingest --quiet --db "$work/b.db" "$dir")
  awk -v l="$label" -v n="$records" -v fc="$fc" -v fr="$fr" -v ic="$ic" -v ir="$ir" 'BEGIN {
    printf "%-28s ingest %6.2f CPU-s  %9.0f records/CPU-s  peak RSS %6.1f MB | floor %5.2f CPU-s (%5.1f MB) | ratio %.2fx\n",
      l, ic, (ic > 0 ? n / ic : 0), ir, fc, fr, (fc > 0 ? ic / fc : 0) }'
  if [ -n "${BASE_BIN:-}" ]; then versus "$label" "$dir"; fi
}

records=$(awk -F'\t' 'NR>1 {s+=$3} END {print s}' "$work/bench_truth.tsv")
echo "runs: $runs (median CPU = user+sys; RSS = max over runs)"
report "generated 2000 reports" "$work/corpus" "$records"
if [ -d "$shared/corpus/reports" ]; then
  rm -rf "$work/b.db"*
  "$bin" ingest --quiet --db "$work/b.db" "$shared/corpus/reports" >/dev/null 2>&1 || true
  real=$(sqlite3 "$work/b.db" "select coalesce(sum(record_count),0) from reports")
  report "real samples" "$shared/corpus/reports" "$real"
fi
if [ "$big" = --big ]; then
  if [ ! -f "$work/big/big_300MB_400k_records.xml" ]; then
    python3 "$shared/hostile/gen_hostile.py" "$work/big-all" --big >/dev/null
    mkdir -p "$work/big" "$work/big1m"
    mv "$work/big-all/big_300MB_400k_records.xml" "$work/big/"
    mv "$work/big-all/big_1M_tiny_records.xml" "$work/big1m/"
    rm -rf "$work/big-all"
  fi
  runs=1 report "300 MB, 400,000 records" "$work/big" 400000
  runs=1 report "1,000,000 tiny records" "$work/big1m" 1000000
fi
