#!/usr/bin/env bash
# Analysis benchmark (issue 6): a store of ~10 million records (../shared/scenario/gen_scenario.py
# --scale 60), and on it the time (wall and CPU) and peak RSS of what a user runs:
#   ingest of the whole scenario, enrich (zone-file resolver), sources --domain D, senders --domain D,
#   the overview (sources --limit 50), the full inventory streamed (sources --format json), domains;
# and the store's size per record. Median of RUNS runs (default 3) for the queries; one ingest.
#
#   bench/analysis_bench.sh BUILD_DIR [SCALE]     (BUILD_DIR from a Release build)
# Optional: PG_URI=postgresql://... (an empty database) adds the same queries on the store copied
# into PostgreSQL (see below). OLD_BIN=path/to/previous/dmarcsight adds the previous commit's ingest CPU beside ours
# on the same scenario (the ingest bar is "at most 1.25x the CPU before the facts") and its policy
# simulation beside ours. SKIP_INGEST=1 reuses the store of an earlier run.
set -euo pipefail
build=${1:?usage: analysis_bench.sh BUILD_DIR [SCALE]}
scale=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_DIR:-$root/../shared}
runs=${RUNS:-3}
bin="$build/src/cli/dmarcsight"
work=${BENCH_WORK:-/tmp/dmarcsight-analysis-bench}
mkdir -p "$work"
scen="$work/scale$scale"
if [ ! -f "$scen/truth.json" ]; then
  echo "generating the scenario at scale $scale (a few minutes) ..."
  python3 "$shared/scenario/gen_scenario.py" --world "$shared/scenario/world-a.json" --out "$scen" --scale "$scale" --force --quiet
fi
db="$work/s.db"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed LABEL RUNS CMD...: prints wall s, CPU s (median), max RSS MB.
timed() {
  local label=$1 n=$2; shift 2
  local wall=() cpu=() rss=()
  for _ in $(seq "$n"); do
    /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; }
    read -r e u s m < "$work/t"
    wall+=("$e"); cpu+=("$(echo "$u + $s" | bc)"); rss+=("$m")
  done
  printf '%-34s wall %7.2f s  CPU %7.2f s  peak RSS %7.1f MB\n' "$label" \
    "$(printf '%s\n' "${wall[@]}" | median)" "$(printf '%s\n' "${cpu[@]}" | median)" \
    "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1 | awk '{print $1/1024}')"
}

cat "$scen"/reports/* > /dev/null 2>&1 || true
if [ -n "${OLD_BIN:-}" ] && [ -z "${SKIP_INGEST:-}" ]; then
  rm -f "$work/old.db"*
  timed "ingest (previous commit)" 1 "$OLD_BIN" ingest --quiet --db "$work/old.db" "$scen/reports"
  rm -f "$work/old.db"*
fi
if [ -z "${SKIP_INGEST:-}" ] || [ ! -f "$db" ]; then
  rm -f "$db" "$db-wal" "$db-shm"; rm -rf "$db.quarantine"
  timed "ingest" 1 "$bin" ingest --quiet --db "$db" "$scen/reports"
fi
records=$(sqlite3 "$db" "SELECT sum(record_count) FROM reports")
size=$(stat -c %s "$db")
facts=$(sqlite3 "$db" "SELECT count(*) FROM source_facts")
echo "store: $records records, $facts source_facts rows, $(( size / 1024 / 1024 )) MB = $(( size / records )) bytes per record"
timed "enrich (zone file)" 1 "$bin" enrich --quiet --db "$db" --zone "$scen/dns.zone"
domain=$(sqlite3 "$db" "SELECT policy_domain FROM reports GROUP BY 1 ORDER BY sum(message_count) DESC LIMIT 1")
echo "domain: $domain ($(sqlite3 "$db" "SELECT count(DISTINCT source_ip) FROM v_source_day WHERE policy_domain = '$domain'") sources)"
# queries DB: what a user runs on the store.
queries() {
  local store=$1
  timed "sources --domain D" "$runs" "$bin" sources --db "$store" --domain "$domain"
  timed "senders --domain D" "$runs" "$bin" senders --db "$store" --domain "$domain"
  timed "sources --limit 50 (overview)" "$runs" "$bin" sources --db "$store" --limit 50
  timed "sources --format json (everything)" 1 "$bin" sources --db "$store" --format json
  timed "sources --group service (everything)" 1 "$bin" sources --db "$store" --group service
  timed "domains" "$runs" "$bin" domains --db "$store"
  # Issue 10: the simulation (table: what a user reads) and its JSON (every affected source).
  timed "policy --domain D" "$runs" "$bin" policy --db "$store" --domain "$domain" --offline
  timed "policy --domain D --format json" "$runs" "$bin" policy --db "$store" --domain "$domain" --offline --format json
  if [ -n "${OLD_BIN:-}" ]; then
    timed "policy --domain D (previous commit)" "$runs" "$OLD_BIN" policy --db "$store" --domain "$domain" --offline
    timed "policy ... --format json (previous)" "$runs" "$OLD_BIN" policy --db "$store" --domain "$domain" --offline --format json
  fi
  timed "alerts --dry-run (every domain)" 1 "$bin" alerts --db "$store" --no-dns --dry-run
  timed "rebuild" 1 "$bin" rebuild --quiet --db "$store"
}
echo "-- SQLite ($db)"
queries "$db"
# PG_URI=postgresql://...: the same store copied into that (empty) PostgreSQL database, and the
# same queries there (PG_SKIP_COPY=1: it holds the copy already). Server CPU is not in the CPU
# column: the server runs the sums, so compare wall times.
if [ -n "${PG_URI:-}" ]; then
  echo "-- PostgreSQL ($PG_URI)"
  [ -n "${PG_SKIP_COPY:-}" ] || timed "copy into PostgreSQL" 1 "$bin" copy --quiet --from "$db" --to "$PG_URI"
  psql "$PG_URI" -qAtc "VACUUM ANALYZE" >/dev/null
  echo "store: $(psql "$PG_URI" -Atc "SELECT count(*) FROM source_facts") source_facts rows, $(psql "$PG_URI" -Atc "SELECT pg_database_size(current_database()) / 1048576") MB"
  queries "$PG_URI"
fi
