#!/usr/bin/env bash
# PostgreSQL against SQLite at ingest: records per CPU-second of `dmarcsight ingest` on the
# generated corpus (../shared/bench/gen_bench_corpus.py --n 2000 --seed 42), page cache warm,
#   1. one worker: the whole corpus in one process
#   2. four workers at once: the corpus split into 4 disjoint shares (file i to share i mod 4)
# each into a fresh database (SQLite file / PostgreSQL database), median of RUNS runs (default 3).
# Client CPU = user+sys of the dmarcsight processes (/usr/bin/time; summed over the workers).
# For PostgreSQL the server's CPU is measured too: the postmaster's own and reaped children's
# time (utime, stime, cutime, cstime of /proc/PID/stat) plus its live children's (checkpointer,
# walwriter, autovacuum, backends), before and after the run; the records per CPU-second are given
# for the client alone and for client + server (what the machine spent). A run that does not end
# with every report stored is flagged: its numbers mean nothing.
#
# The server is a throw-away one of scripts/start-postgres.sh (fsync off, as the tests run it: this
# measures CPU, not the disk) on BENCH_PG_PORT (default 15433, beside the tests' 15432), in
# BENCH_WORK (default /tmp/dmarcsight-pgbench), stopped at the end. Without PostgreSQL installed, or
# while the driver is the placeholder, only the SQLite numbers are printed.
#
#   bench/pg_ingest_bench.sh DMARCSIGHT_BINARY      (a Release build's src/cli/dmarcsight)
set -euo pipefail
bin=${1:?usage: pg_ingest_bench.sh DMARCSIGHT_BINARY (a Release build)}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_DIR:-$root/../shared}
runs=${RUNS:-3}
work=${BENCH_WORK:-/tmp/dmarcsight-pgbench}
port=${BENCH_PG_PORT:-15433}
workers=4
mkdir -p "$work"

if [ ! -d "$work/corpus" ]; then
  python3 "$shared/bench/gen_bench_corpus.py" --out "$work/corpus" --n 2000 --seed 42 >/dev/null
fi
records=$(awk -F'\t' 'NR>1 {s+=$3} END {print s}' "$work/bench_truth.tsv")
reports=$(awk -F'\t' 'NR>1' "$work/bench_truth.tsv" | wc -l)
find "$work/corpus" -type f | sort >"$work/all.txt"
for i in $(seq 0 $((workers - 1))); do
  awk -v n="$workers" -v i="$i" '(NR - 1) % n == i' "$work/all.txt" >"$work/share$i.txt"
done
cat "$work"/corpus/* >/dev/null  # warm the page cache

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ns() { date +%s%N; }

# The server, when PostgreSQL is installed and the driver is more than the placeholder.
pg=""
pm=""
stop_server() {
  if [ -n "$pg" ]; then bash "$root/scripts/stop-postgres.sh" "$work/pg" >/dev/null 2>&1 || true; fi
}
trap stop_server EXIT
if pg=$(bash "$root/scripts/start-postgres.sh" "$work/pg" "$port" 2>"$work/pg-start.err"); then
  pm=$(head -n 1 "$work/pg/data/postmaster.pid")
  probe=$("$bin" stats --db "$pg" 2>&1 || true)
  if [[ "$probe" == *"PostgreSQL driver: not yet"* ]]; then
    echo "PostgreSQL: the driver is the placeholder (src/store/postgres/): SQLite only"
    stop_server
    pg=""
  fi
else
  echo "PostgreSQL: no server ($(tail -n 1 "$work/pg-start.err")): SQLite only"
  pg=""
fi
psql_admin() { psql "$pg" -XAtq -v ON_ERROR_STOP=1 "$@"; }
pg_db_uri() { echo "${pg%/postgres}/$1"; }

# server_ticks: CPU clock ticks the server has used so far: the postmaster's own and its reaped
# children's, plus every live child's. A child that ends between two samples moves from the
# second sum to the first (the postmaster reaps it), so differences stay exact.
server_ticks() {
  local total=0 pid stat
  read -r stat <"/proc/$pm/stat"
  stat=${stat##*) }  # fields after "(comm)": state is field 3, so utime..cstime are 12..15 here
  total=$(echo "$stat" | awk '{print $12 + $13 + $14 + $15}')
  for pid in $(ps -o pid= --ppid "$pm"); do
    read -r stat <"/proc/$pid/stat" 2>/dev/null || continue
    stat=${stat##*) }
    total=$((total + $(echo "$stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
# quiet_server: wait (at most 5 s) until only the server's own processes are left (the backends
# of the finished workers and of psql have been reaped), so their CPU is in the sample.
quiet_server() {
  local i
  for i in $(seq 50); do
    [ "$(ps -o pid= --ppid "$pm" | wc -l)" -le "$baseline_children" ] && return 0
    sleep 0.1
  done
}
clk=$(getconf CLK_TCK)

# one_run DRIVER N: one run of N workers into a fresh database; prints
# "client_cpu server_cpu wall max_rss_mb stored_reports".
run_no=0
one_run() {
  local driver=$1 n=$2 db i pids=() t0 t1 s0=0 s1=0
  run_no=$((run_no + 1))
  if [ "$driver" = sqlite ]; then
    rm -rf "$work/b.db" "$work/b.db-wal" "$work/b.db-shm" "$work/b.db.claims" "$work"/q*
    db="$work/b.db"
  else
    psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" \
      -c "CREATE DATABASE bench" >/dev/null
    db=$(pg_db_uri bench)
    rm -rf "$work"/q*
    quiet_server
    s0=$(server_ticks)
  fi
  t0=$(now_ns)
  for i in $(seq 0 $((n - 1))); do
    local list="$work/all.txt"
    [ "$n" -gt 1 ] && list="$work/share$i.txt"
    (
      mapfile -t files <"$list"
      exec /usr/bin/time -o "$work/time.$i" -f '%U %S %M' "$bin" ingest --quiet --db "$db" --quarantine "$work/q$i" "${files[@]}"
    ) >/dev/null 2>"$work/err.$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  t1=$(now_ns)
  if [ "$driver" = postgres ]; then
    quiet_server
    s1=$(server_ticks)
  fi
  local stored
  stored=$("$bin" stats --db "$db" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])' 2>/dev/null || echo 0)
  for i in $(seq 0 $((n - 1))); do tail -n 1 "$work/time.$i"; done |
    awk -v s=$((s1 - s0)) -v clk="$clk" -v w=$((t1 - t0)) -v st="$stored" '
      { cpu += $1 + $2; if ($3 > rss) rss = $3 }
      END { printf "%.3f %.3f %.3f %.1f %d\n", cpu, s / clk, w / 1e9, rss / 1024, st }'
}

# bench DRIVER N: RUNS runs; prints the medians.
bench() {
  local driver=$1 n=$2 r out=() c s w m bad=0
  for r in $(seq "$runs"); do
    out+=("$(one_run "$driver" "$n")")
  done
  for r in "${out[@]}"; do [ "$(echo "$r" | awk '{print $5}')" = "$reports" ] || bad=$((bad + 1)); done
  c=$(printf '%s\n' "${out[@]}" | awk '{print $1}' | median)
  s=$(printf '%s\n' "${out[@]}" | awk '{print $2}' | median)
  w=$(printf '%s\n' "${out[@]}" | awk '{print $3}' | median)
  m=$(printf '%s\n' "${out[@]}" | awk '{print $4}' | sort -g | tail -n 1)
  awk -v d="$driver" -v n="$n" -v c="$c" -v s="$s" -v w="$w" -v m="$m" -v rec="$records" -v bad="$bad" -v runs="$runs" 'BEGIN {
    label = sprintf("%-10s %d worker%s", d, n, n > 1 ? "s" : " ")
    if (d == "sqlite")
      printf "%s  client %6.2f CPU-s %8.0f records/CPU-s                                 | wall %5.2f s | peak RSS %5.1f MB\n", label, c, (c > 0 ? rec / c : 0), w, m
    else
      printf "%s  client %6.2f CPU-s %8.0f records/CPU-s; server %6.2f CPU-s: %8.0f with it | wall %5.2f s | peak RSS %5.1f MB\n", label, c, (c > 0 ? rec / c : 0), s, (c + s > 0 ? rec / (c + s) : 0), w, m
    if (bad) printf "  WARNING: %d of %d runs did not store every report: see %s\n", bad, runs, ENVIRON["work"] "/err.*"
  }'
}
export work

echo "runs: $runs (medians; CPU = user+sys; $reports reports, $records records; $(nproc) cores)"
bench sqlite 1
bench sqlite "$workers"
if [ -n "$pg" ]; then
  baseline_children=$(ps -o pid= --ppid "$pm" | wc -l)
  bench postgres 1
  bench postgres "$workers"
fi
