#!/usr/bin/env bash
# The CLI on PostgreSQL says what it says on SQLite: tests/golden/inputs are ingested into an SQLite
# file and into a fresh PostgreSQL database, the same way, and every command's output and exit
# status must match: ingest (and again: all duplicates), stats, senders, sources, domains, export
# (JSON and CSV), rejected (--all, --skipped), rebuild and sources again, label / labels / label
# --remove. Then a read-only role (LOGIN, CONNECT, USAGE and SELECT only) can run `stats` and
# `sources`, and cannot `ingest` or `label` (exit 2, an error that says permission), and nothing
# changes.
#
#   pg_cli.sh DMARCSIGHT_BINARY PROJECT_DIR [--sqlite]
#
# Needs DMARCSIGHT_TEST_PG (the ctest fixture `postgres` sets it); exit 77 (skipped) without it.
# --sqlite compares against a second SQLite file
# instead (a check of this script; the read-only role part needs PostgreSQL and is left out).
set -euo pipefail
bin=${1:?usage: pg_cli.sh DMARCSIGHT_BINARY PROJECT_DIR [--sqlite]}
project=${2:?usage: pg_cli.sh DMARCSIGHT_BINARY PROJECT_DIR [--sqlite]}
[ -x "$bin" ] || { echo "FAIL: $bin is not an executable"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")  # the commands run in other folders
target=postgres
[ "${3:-}" = --sqlite ] && target=sqlite
# shellcheck source=pg_lib.sh
. "$project/tests/integration/pg_lib.sh"
inputs="$project/tests/golden/inputs"
if [ "$target" = postgres ]; then pg_need_server; fi

work=$(mktemp -d)
pg_db=""; pg_role=""
cleanup() {
  [ -n "$pg_db" ] && pg_drop_db "$pg_db"
  # A role is the cluster's, not the database's: drop it after the database its grants were in.
  [ -n "$pg_role" ] && pg_sql -c "DROP ROLE IF EXISTS \"$pg_role\"" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:300}"; return 1; }
same_file() { cmp -s "$1" "$2" || { echo "  $1 and $2 differ (< SQLite, > other):"; diff "$1" "$2" | head -n 20; return 1; }; }

# Each side runs in its own folder with the same relative quarantine folder `q`, so the paths the
# commands print are the same; the --db value itself is replaced by DB in what they print.
mkdir -p "$work/s" "$work/p"
sdb=sqlite-side.db
if [ "$target" = postgres ]; then
  pg_db=$(pg_unique_name cli)
  pg_create_db "$pg_db"
  pdb=$(pg_uri "$pg_db")
else
  pdb=other-side.db
fi

# Wall-clock times (when an input was seen, when a label was made) differ between the two runs;
# the data's own dates do not, so only these commands' output has them blanked.
today=$(date -u +%F)
clock_free() {
  # Both the day the test began and today's: a run may pass midnight. Elapsed times ("in 0.1 s")
  # differ from run to run on either driver.
  local now_day
  now_day=$(date -u +%F)
  sed -E "s/${today}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}Z?/NOW/g; s/${now_day}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}Z?/NOW/g;
          s/${today}/TODAY/g; s/${now_day}/TODAY/g; s/ in [0-9]+(\.[0-9]+)? s\b/ in ELAPSED s/g" "$1" >"$1.n"
  mv "$1.n" "$1"
}
# run SIDE NAME ARGS...: `dmarcsight ARGS` (@DB@ = that side's database) in SIDE's folder; the
# output in SIDE/NAME.out and .err with the database's name replaced, the status in SIDE/NAME.rc.
run() {
  local side=$1 name=$2; shift 2
  local db=$sdb
  [ "$side" = p ] && db=$pdb
  local args=("${@//@DB@/$db}") rc=0 f text
  (cd "$work/$side" && "$bin" "${args[@]}") >"$work/$side/$name.out" 2>"$work/$side/$name.err" || rc=$?
  echo "$rc" >"$work/$side/$name.rc"
  for f in "$work/$side/$name.out" "$work/$side/$name.err"; do
    text=$(cat "$f"; echo x)
    text=${text%x}
    printf '%s' "${text//"$db"/DB}" >"$f"
  done
}
# both NAME [--clock-free] ARGS...: run on both sides; status, stdout and stderr must match.
both() {
  local name=$1; shift
  local clock=0
  [ "${1:-}" = --clock-free ] && { clock=1; shift; }
  run s "$name" "$@"
  run p "$name" "$@"
  if [ "$clock" = 1 ]; then
    local f
    for f in "$work"/[sp]/"$name".out "$work"/[sp]/"$name".err; do clock_free "$f"; done
  fi
  check "$name: exit status as on SQLite" eq "$(cat "$work/p/$name.rc")" "$(cat "$work/s/$name.rc")"
  check "$name: output as on SQLite" same_file "$work/s/$name.out" "$work/p/$name.out"
  check "$name: errors as on SQLite" same_file "$work/s/$name.err" "$work/p/$name.err"
}
rc_of() { cat "$work/$1/$2.rc"; }

both ingest ingest --db @DB@ --quarantine q "$inputs"
check "ingest of the golden inputs exits 1 (two are rejected)" eq "$(rc_of s ingest)" 1 || {
  cat "$work/s/ingest.err"; exit 1; }
both ingest-again --clock-free ingest --db @DB@ --quarantine q --format json "$inputs"
both stats stats --db @DB@
both stats-json stats --db @DB@ --format json
both senders senders --db @DB@
both senders-json senders --db @DB@ --format json
both senders-csv senders --db @DB@ --format csv
both sources sources --db @DB@
both sources-json sources --db @DB@ --format json
both sources-service sources --db @DB@ --group service --format json
both domains domains --db @DB@
both domains-json domains --db @DB@ --format json
both export-csv export --db @DB@ --format csv
both export-domain export --db @DB@ --format csv --domain example.org
# export --format json carries dmarcsight.id, the store's row number: PostgreSQL's sequences may
# skip numbers (a failed insert still uses one), so the JSON is compared without it, in order.
run s export-json export --db @DB@ --format json
run p export-json export --db @DB@ --format json
check "export-json: exit status as on SQLite" eq "$(rc_of p export-json)" "$(rc_of s export-json)"
check "export-json: output as on SQLite (without dmarcsight.id)" \
  python3 "$project/tests/integration/pg_compare.py" export "$work/s/export-json.out" "$work/p/export-json.out"
both rejected-all --clock-free rejected --db @DB@ --quarantine q --all
both rejected-all-json --clock-free rejected --db @DB@ --quarantine q --all --format json
both rejected-skipped --clock-free rejected --db @DB@ --quarantine q --skipped
both rebuild --clock-free rebuild --db @DB@ -q
both sources-rebuilt sources --db @DB@ --format json
check "sources after rebuild: as before it" same_file "$work/p/sources-json.out" "$work/p/sources-rebuilt.out"

# Labels: one on a source (the first row sources shows), one on a service; listed, applied,
# removed, removed again (exit 1: there was none).
read -r domain ip < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; print(r["policy_domain"], r["source_ip"])' \
  "$work/s/sources-json.out")
both label-source label --db @DB@ --domain "$domain" --source "$ip" --as authorized --note "our own relay"
both label-service label --db @DB@ --domain "$domain" --service SendGrid --as authorized
both labels --clock-free labels --db @DB@
both labels-json --clock-free labels --db @DB@ --format json
both sources-labelled sources --db @DB@ --format json
check "label is applied" contains "$(cat "$work/p/sources-labelled.out")" "labelled authorized by you: our own relay"
both label-remove label --db @DB@ --domain "$domain" --source "$ip" --remove
both label-remove-again label --db @DB@ --domain "$domain" --source "$ip" --remove
check "removing a label twice exits 1" eq "$(rc_of s label-remove-again)" 1
both labels-after --clock-free labels --db @DB@ --format json
both sources-unlabelled sources --db @DB@ --format json

# A read-only role: may log in, connect and read every table of this database, nothing else.
if [ "$target" = postgres ]; then
  pg_role=$(pg_unique_name reader)
  pg_create_reader "$pg_db" "$pg_role"
  reader=$(pg_uri "$pg_db" "$pg_role")
  before=$("$bin" stats --db "$pdb" --format json)
  rc=0; out=$("$bin" stats --db "$reader" 2>&1) || rc=$?
  check "reader: stats exits 0" eq "$rc" 0
  check "reader: stats as the owner sees it" eq "$out" "$(cat "$work/p/stats.out")"
  rc=0; out=$("$bin" sources --db "$reader" --format json 2>&1) || rc=$?
  check "reader: sources exits 0" eq "$rc" 0
  check "reader: sources as the owner sees it" eq "$out" "$(cat "$work/p/sources-unlabelled.out")"
  rc=0; out=$(cd "$work/p" && "$bin" ingest --db "$reader" --quarantine q-reader "$inputs" 2>&1) || rc=$?
  check "reader: ingest exits 2" eq "$rc" 2
  check "reader: ingest says permission" contains "${out,,}" "permission"
  rc=0; out=$("$bin" label --db "$reader" --domain "$domain" --source "$ip" --as authorized 2>&1) || rc=$?
  check "reader: label exits 2" eq "$rc" 2
  check "reader: label says permission" contains "${out,,}" "permission"
  check "reader: nothing changed" eq "$("$bin" stats --db "$pdb" --format json)" "$before"
fi

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
