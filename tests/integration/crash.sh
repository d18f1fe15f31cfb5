#!/usr/bin/env bash
# Crash safety and concurrency of `ingest`, on a generated corpus (../shared/bench/gen_bench_corpus.py):
#  1. SIGKILL at random moments during ingest, several times; after each kill the database passes
#     PRAGMA integrity_check; a final complete run leaves every report and record stored exactly once.
#  2. Two ingest processes on one database at once (same inputs, and overlapping halves): nothing
#     lost, nothing duplicated, both succeed.
# Prints "N passed, N failed".
set -u
bin=${1:?usage: crash.sh DMARCSIGHT_BINARY [SHARED_DIR]}
shared=${2:-$(dirname "$0")/../../../shared}
gen="$shared/bench/gen_bench_corpus.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$gen" --out "$work/corpus" --n 400 --seed 7 >/dev/null || { echo "generator failed"; exit 1; }
want_reports=$(awk -F'\t' 'NR>1' "$work/bench_truth.tsv" | wc -l)
want_records=$(awk -F'\t' 'NR>1 {s+=$3} END {print s}' "$work/bench_truth.tsv")
want_messages=$(awk -F'\t' 'NR>1 {s+=$4} END {print s}' "$work/bench_truth.tsv")
pass=0; failn=0
check() { local name=$1; shift; if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; return 1; fi; }
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
totals() {  # reports records messages of a database
  sqlite3 "$1" "SELECT count(*), coalesce(sum(record_count),0), coalesce(sum(message_count),0) FROM reports" | tr '|' ' '
}
blocks_records() { sqlite3 "$1" "SELECT coalesce(sum(records),0) FROM record_blocks"; }

# 1. SIGKILL at random moments.
db="$work/crash.db"
full=$( { /usr/bin/time -f '%e' "$bin" ingest --quiet --db "$work/timing.db" "$work/corpus" >/dev/null; } 2>&1 | tail -n 1)
echo "a full run takes ${full}s; killing at random points within it"
RANDOM=42
for i in 1 2 3 4 5 6 7 8; do
  "$bin" ingest --quiet --db "$db" "$work/corpus" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the first 90% of a full run (at least 20 ms in).
  delay=$(awk -v f="$full" -v r=$RANDOM 'BEGIN { d = 0.02 + (r / 32768.0) * f * 0.9; printf "%.3f", d }')
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  check "integrity after kill $i (at ${delay}s)" eq "$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)" "ok"
done
"$bin" ingest --quiet --db "$db" "$work/corpus" >/dev/null; rc=$?
check "final run succeeds" eq "$rc" 0
check "after kills: every report once, every record and message" eq "$(totals "$db")" "$want_reports $want_records $want_messages"
check "after kills: record blocks hold exactly the records" eq "$(blocks_records "$db")" "$want_records"
check "after kills: integrity" eq "$(sqlite3 "$db" 'PRAGMA integrity_check')" "ok"
"$bin" ingest --quiet --db "$db" "$work/corpus" >/dev/null
check "a further run adds nothing" eq "$(totals "$db")" "$want_reports $want_records $want_messages"

# 2. Two writers at once.
db2="$work/two.db"
"$bin" ingest --quiet --db "$db2" "$work/corpus" >/dev/null 2>"$work/e1" & p1=$!
"$bin" ingest --quiet --db "$db2" "$work/corpus" >/dev/null 2>"$work/e2" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two writers, same inputs: both succeed" eq "$r1 $r2" "0 0" || cat "$work/e1" "$work/e2"
check "two writers, same inputs: each report once" eq "$(totals "$db2")" "$want_reports $want_records $want_messages"
check "two writers: record blocks" eq "$(blocks_records "$db2")" "$want_records"
db3="$work/halves.db"
mkdir -p "$work/a" "$work/b"
i=0
for f in "$work/corpus"/*; do
  i=$((i+1))
  # First 60% to a, last 60% to b: a fifth of the files are in both.
  [ $i -le $((want_reports * 6 / 10)) ] && ln -s "$f" "$work/a/"
  [ $i -gt $((want_reports * 4 / 10)) ] && ln -s "$f" "$work/b/"
done
"$bin" ingest --quiet --db "$db3" "$work/a"/* >/dev/null 2>&1 & p1=$!
"$bin" ingest --quiet --db "$db3" "$work/b"/* >/dev/null 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two writers, overlapping halves: both succeed" eq "$r1 $r2" "0 0"
check "two writers, overlapping halves: each report once" eq "$(totals "$db3")" "$want_reports $want_records $want_messages"
check "two writers: integrity" eq "$(sqlite3 "$db3" 'PRAGMA integrity_check')" "ok"

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
