#!/usr/bin/env bash
# dmarcsight reprocess --skipped: a store written before failure and TLS reports were stored kept
# them as `skipped` inputs with their bytes in the quarantine. Such a store is made here from one
# of today's (the reports' rows removed, skipped rows written as that version wrote them), then
# reprocess stores the reports from the kept bytes, the skipped rows become history, a second run
# finds nothing left, and a skipped row whose bytes are gone is named (exit 1). On SQLite, and on
# PostgreSQL when DMARCSIGHT_TEST_PG names a server. Only the project's own examples are used.
set -u
bin=${1:?usage: reprocess.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
samples="$project/examples/reports"
# shellcheck source=tests/integration/pg_lib.sh
. "$project/tests/integration/pg_lib.sh"
work=$(mktemp -d)
pg_dbs=()
cleanup() {
  for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}
py() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $2" "$1"; }

failure="$work/failure-report.eml"
cp "$samples/failure-report.eml" "$failure"
tls="$work/tls.json"
printf '%s' '{"organization-name":"Example Receiver","date-range":{"start-datetime":"2026-10-01T00:00:00Z","end-datetime":"2026-10-01T23:59:59Z"},"contact-info":"tlsrpt@receiver.example","report-id":"2026-10-01-example","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["mx.example.com"]},"summary":{"total-successful-session-count":90,"total-failure-session-count":10},"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.5","receiving-mx-hostname":"mx.example.com","failed-session-count":10}]}]}' > "$tls"

# sql STORE STATEMENTS: run on the SQLite file or the PostgreSQL URI.
sql() {
  case "$1" in
    postgresql://*) psql -q -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
    *) sqlite3 "$1" "$2" ;;
  esac
}

# run_store NAME STORE QUARANTINE
run_store() {
  local name=$1 db=$2 q=$3
  "$bin" ingest --db "$db" --quarantine "$q" --keep-raw --quiet "$failure" "$tls"
  check "$name: today's ingest stores both" py <("$bin" stats --db "$db" --format json) \
    "assert (d['failure_reports'], d['tls_reports'], d['skipped_inputs']) == (1, 1, 0), d"
  # The store as an earlier version left it: no report rows, a skipped row per input, bytes kept.
  local now fsha tsha
  now=$(date +%s)
  fsha=$(sha256sum "$failure" | cut -d' ' -f1)
  tsha=$(sha256sum "$tls" | cut -d' ' -f1)
  check "$name: the bytes of both were kept" test -s "$q/$fsha" -a -s "$q/$tsha"
  sql "$db" "DELETE FROM failure_reports; DELETE FROM tls_failure_details; DELETE FROM tls_policies; DELETE FROM tls_reports;
    INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, seen_at, first_seen, times_seen)
      VALUES ('$failure', '$fsha', $(stat -c %s "$failure"), 'skipped', 'failure', 'DMARC failure report', '$fsha', $now, $now, 1),
             ('$tls', '$tsha', $(stat -c %s "$tls"), 'skipped', 'tlsrpt', 'SMTP TLS report (RFC 8460)', '$tsha', $now, $now, 1);"
  check "$name: the old store: two skipped inputs, no reports" py <("$bin" stats --db "$db" --format json) \
    "assert (d['failure_reports'], d['tls_reports'], d['skipped_inputs']) == (0, 0, 2), d"
  "$bin" reprocess --db "$db" --quarantine "$q" --skipped --format json > "$work/$name.r1.json"
  check "$name: reprocess exits 0" test $? -eq 0
  check "$name: reprocess stores both" py "$work/$name.r1.json" \
    "assert (d['skipped_before'], d['inputs_read'], d['stored'], d['still_skipped'], d['problems']) == (2, 2, 2, 0, []), d"
  check "$name: the reports are in the store" py <("$bin" stats --db "$db" --format json) \
    "assert (d['failure_reports'], d['tls_reports'], d['tls_sessions_successful'], d['tls_sessions_failed'], d['skipped_inputs']) == (1, 1, 90, 10, 0), d"
  check "$name: rejected --skipped lists nothing now" py <("$bin" rejected --db "$db" --skipped --format json) "assert d == [], d"
  check "$name: the failure report reads back" py <("$bin" failures --db "$db" --format json) "assert '203.0.113.200' in json.dumps(d), d"
  "$bin" reprocess --db "$db" --quarantine "$q" --skipped --format json > "$work/$name.r2.json"
  check "$name: a second run finds nothing" py "$work/$name.r2.json" "assert (d['skipped_before'], d['inputs_read'], d['stored']) == (0, 0, 0), d"
  # A skipped row whose kept bytes are gone: named, exit 1, nothing else changes.
  sql "$db" "INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, seen_at, first_seen, times_seen)
      VALUES ('lost.eml', '$(printf 'x%.0s' {1..64} | sha256sum | cut -d' ' -f1)', 10, 'skipped', 'failure', 'DMARC failure report', '', $now, $now, 1);"
  "$bin" reprocess --db "$db" --quarantine "$q" --skipped --format json > "$work/$name.r3.json"
  check "$name: bytes not kept: exit 1" test $? -eq 1
  check "$name: bytes not kept: named" py "$work/$name.r3.json" "assert d['stored'] == 0 and d['still_skipped'] == 1 and 'lost.eml' in d['problems'][0], d"
  "$bin" reprocess --db "$db" --quarantine "$q" > "$work/out" 2>&1
  check "$name: without --skipped: a usage error" test $? -eq 2
}

run_store sqlite "$work/r.db" "$work/r.db.quarantine"
if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null; then
  pg_need_server
  name=$(pg_unique_name reprocess); pg_create_db "$name"; pg_dbs+=("$name")
  run_store postgres "$(pg_uri "$name")" "$work/pg.quarantine"
else
  echo "NOTE: DMARCSIGHT_TEST_PG is unset: the PostgreSQL run was skipped"
fi
echo "reprocess: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
