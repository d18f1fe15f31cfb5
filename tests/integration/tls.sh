#!/usr/bin/env bash
# SMTP TLS reports (RFC 8460) end to end: every TLS sample of ../shared/corpus/reports (plain JSON,
# gzip, e-mails with application/tlsrpt+gzip and bare application/tlsrpt) ingested; `stats`,
# `tls` and `export --type tls` checked against the values the samples hold (and parsedmarc's
# output for its samples); a re-run gives duplicates only and the same totals. On PostgreSQL too
# when DMARCSIGHT_TEST_PG names a server: two workers ingesting the same files at once store each
# report once, and every output equals SQLite's.
# Exit 77 (skipped) without ../shared.
set -u
bin=${1:?usage: tls.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
reports="$shared/corpus/reports"
oracles="$shared/corpus/oracles/parsedmarc/smtp_tls"
if [ ! -d "$reports" ]; then echo "SKIPPED: $reports is absent (the corpus lives in ../shared)"; exit 77; fi
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
py() { python3 -c "$2" "$1"; }  # py JSON_FILE CODE: CODE reads json.load(open(sys.argv[1])) as d

# parsedmarc's samples first, so that the RFC 8460 example's first copy is its (the same report
# comes again from mail-auth, with another additional-information text: a duplicate, said so).
files=(
  "$reports/parsedmarc/smtp_tls/google.com_smtp_tls_report.eml"
  "$reports/parsedmarc/smtp_tls/mail.ru.json"
  "$reports/parsedmarc/smtp_tls/rfc8460.json"
  "$reports/parsedmarc/smtp_tls/smtp_tls.json"
  "$reports/stalwartlabs+mail-auth/resources/tlsrpt/rpt01.eml"
  "$reports/stalwartlabs+mail-auth/resources/tlsrpt/rpt01.json"
  "$reports/stalwartlabs+mail-auth/resources/tlsrpt/rpt02.eml"
  "$reports/stalwartlabs+mail-auth/resources/tlsrpt/rpt02.json"
  "$reports/stalwartlabs+mail-auth/resources/tlsrpt/rpt03.json"
  "$reports/marcbradshaw+Mail-TLSRPT/t/data/report.json.gz"
  "$reports/marcbradshaw+Mail-TLSRPT/t/data/report.json"
  "$reports/marcbradshaw+Mail-TLSRPT/t/data/expected.json"
  "$reports/mjl-+mox/testdata/tlsreports/example.eml"
  "$reports/mjl-+mox/testdata/tlsreports/microsoft.eml"
  "$reports/opus-codium+email-report-processor/spec/fixtures/sample-reports/tlsrpt/google.com!example.com!1667520000!1667606399!001.json"
  "$reports/opus-codium+email-report-processor/spec/fixtures/sample-reports/tlsrpt/report.elm"
)
# What the 16 files hold: 11 distinct reports (by organization-name and report-id) with 12
# policies; summaries 48 + 0 + 5326 + 0 + 23 + (1 + 1) + 343 + 3 + 2 + 2 + 1 successful sessions
# (the unknown policy type of rpt03 included) and 1 + 303 + 3 + 1 failed.
want_reports=11 want_policies=12 want_ok=5750 want_failed=308

# run_store NAME DB: every check on one store; leaves its outputs in $work/NAME.*.json.
run_store() {
  local name=$1 db=$2 out
  out=$("$bin" ingest --db "$db" --quarantine "$work/$name.q" --format json "${files[@]}" 2>"$work/$name.err")
  check "$name: ingest exits 0" test $? -eq 0
  printf '%s' "$out" > "$work/$name.ingest.json"
  check "$name: 11 stored, 5 duplicates, nothing skipped or rejected" py "$work/$name.ingest.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert d['stored'] == $want_reports and d['duplicate'] == 5 and d['skipped'] == 0 and d['rejected'] == 0, d"
  "$bin" stats --db "$db" --format json > "$work/$name.stats.json"
  check "$name: stats counts the TLS reports" py "$work/$name.stats.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['tls_reports'], d['tls_policies'], d['tls_sessions_successful'], d['tls_sessions_failed']) == \
    ($want_reports, $want_policies, $want_ok, $want_failed), d
assert d['aggregate_reports'] == 0 and d['skipped_inputs'] == 0, d
assert all(isinstance(d[k], int) for k in ('tls_reports', 'tls_policies', 'tls_sessions_successful', 'tls_sessions_failed'))"
  "$bin" stats --db "$db" > "$work/$name.stats.txt"
  check "$name: the stats table shows them" grep -q "TLS reports        $want_reports  ($want_policies policies; sessions: $want_ok successful, $want_failed failed)" "$work/$name.stats.txt"

  "$bin" tls --db "$db" --format json > "$work/$name.tls.json"
  check "$name: tls per domain and MX host" py "$work/$name.tls.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['reports'], d['sessions_successful'], d['sessions_failed']) == ($want_reports, $want_ok, $want_failed), d
dom = {x['policy_domain']: x for x in d['domains']}
y = dom['company-y.example']
assert (y['reports'], y['sessions_successful'], y['sessions_failed']) == (1, 5326, 303), y
assert abs(y['failure_share'] - 303 / 5629) < 1e-9, y
assert y['result_types'] == [{'result_type': 'starttls-not-supported', 'sessions': 200},
                             {'result_type': 'certificate-expired', 'sessions': 100},
                             {'result_type': 'validation-failure', 'sessions': 3}], y['result_types']
assert [m['mx_host'] for m in y['mx_hosts']] == ['*.mail.company-y.example'], y
# example.com: Mail.ru (0/1), parsedmarc's smtp_tls.json (0/3), mail-auth rpt02 (23/1), opus-codium (2/0, mx.example.com).
e = dom['example.com']
assert (e['reports'], e['policies'], e['sessions_successful'], e['sessions_failed']) == (4, 4, 25, 5), e
assert {r['result_type']: r['sessions'] for r in e['result_types']} == \
    {'validation-failure': 3, 'sts-policy-fetch-error': 2, 'certificate-host-mismatch': 1}, e
mx = {m['mx_host']: m for m in e['mx_hosts']}
assert set(mx) == {None, 'mx.example.com'}, mx
assert (mx['mx.example.com']['sessions_successful'], mx['mx.example.com']['sessions_failed']) == (2, 0), mx
assert (mx[None]['sessions_successful'], mx[None]['sessions_failed']) == (23, 5), mx
# rpt03 names no policy domain: listed as null, its unknown policy type kept.
n = dom[None]
assert n['policy_types'] == ['invalid-policy-type', 'no-policy-found'] and n['sessions_successful'] == 2, n
assert dom['test.xmox.nl']['reports'] == 2 and dom['test.xmox.nl']['sessions_successful'] == 5, dom['test.xmox.nl']
assert dom['fastmaildmarc.com']['sessions_successful'] == 343
assert dom['cardinalhealth.ca']['policy_types'] == ['no-policy-found']"
  "$bin" tls --db "$db" --domain '*.example.com' --format json > "$work/$name.tls-sub.json"; rc=$?
  check "$name: tls --domain '*.example.com' has example.com only (no subdomain has reports)" py "$work/$name.tls-sub.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert [x['policy_domain'] for x in d['domains']] == ['example.com'] and d['reports'] == 4, d"
  check "$name: tls --domain with reports exits 0" test "$rc" -eq 0
  "$bin" tls --db "$db" --domain nowhere.example --format json > "$work/$name.tls-none.json" 2>/dev/null; rc=$?
  check "$name: tls --domain without reports exits 1 with valid JSON" py "$work/$name.tls-none.json" "
import json, sys; d = json.load(open(sys.argv[1])); assert d['domains'] == [] and $rc == 1, d"
  "$bin" tls --db "$db" > "$work/$name.tls.txt"
  check "$name: the tls table" grep -Eq "company-y\.example +\*\.mail\.company-y\.example +1 +5326 +303 " "$work/$name.tls.txt"

  "$bin" export --db "$db" --type tls > "$work/$name.export.json"
  check "$name: export --type tls in parsedmarc's shape" py "$work/$name.export.json" "
import copy, json, sys, os; d = json.load(open(sys.argv[1]))
assert len(d) == $want_reports, len(d)
by_id = {r['report_id']: r for r in d}
def ours(r):
    # What we add to parsedmarc's shape: our provenance, and two members parsedmarc loses
    # (mx-host and additional-information; see cmd_export.cpp).
    r = copy.deepcopy({k: v for k, v in r.items() if k != 'dmarcsight'})
    for p in r['policies']:
        p.pop('mx_host_patterns', None)
        for f in p.get('failure_details', []): f.pop('additional_info_uri', None)
    return r
compared = 0
for f in sorted(os.listdir('$oracles')):
    want = json.load(open(os.path.join('$oracles', f)))['report']
    assert ours(by_id[want['report_id']]) == want, (f, by_id[want['report_id']], want)
    compared += 1
assert compared == 4
rfc = by_id['5065427c-23d3-47ca-b6e0-946ea0e8c4be']
assert rfc['policies'][0]['mx_host_patterns'] == ['*.mail.company-y.example']
assert rfc['policies'][0]['failure_details'][1]['additional_info_uri'].startswith('https://reports.company-x.example/')
assert by_id['133198585438131172+test.xmox.nl']['dmarcsight']['warnings'], 'the time without offset is noted'"
  "$bin" export --db "$db" --type tls --domain example.com > "$work/$name.export-dom.json"
  check "$name: export --type tls --domain keeps that domain's policies" py "$work/$name.export-dom.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert len(d) == 4 and all(p['policy_domain'] == 'example.com' for r in d for p in r['policies']), d"
  "$bin" export --db "$db" --type tls --format csv > "$work/$name.export.csv"
  check "$name: export --type tls --format csv: a row per policy with its totals, a row per failure detail" python3 - "$work/$name.export.csv" "$want_policies" "$want_ok" "$want_failed" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
policies = [r for r in rows if r['result_type'] == '']
details = [r for r in rows if r['result_type'] != '']
assert len(policies) == int(sys.argv[2]), len(policies)
assert sum(int(r['successful_session_count']) for r in policies) == int(sys.argv[3])
assert sum(int(r['failed_session_count']) for r in policies) == int(sys.argv[4])
rfc = [r for r in details if r['report_id'] == '5065427c-23d3-47ca-b6e0-946ea0e8c4be']
assert sorted(r['result_type'] for r in rfc) == ['certificate-expired', 'starttls-not-supported', 'validation-failure'], rfc
assert sum(int(r['failed_session_count']) for r in rfc) == 303
v = next(r for r in rfc if r['result_type'] == 'validation-failure')
assert (v['sending_mta_ip'], v['receiving_ip'], v['receiving_mx_hostname'], v['failure_reason_code'], v['policy_domain']) == \
    ('198.51.100.62', '203.0.113.58', 'mx-backup.mail.company-y.example', 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED', 'company-y.example'), v
assert v['policy_strings'] == 'version: STSv1|mode: testing|mx: *.mail.company-y.example|max_age: 86400', v
PY
  "$bin" export --db "$db" > "$work/$name.export-agg.json"
  check "$name: export (aggregate, the default) is unchanged: no aggregate reports here" py "$work/$name.export-agg.json" "
import json, sys; assert json.load(open(sys.argv[1])) == []"

  out=$("$bin" ingest --db "$db" --quarantine "$work/$name.q" --format json "${files[@]}" 2>/dev/null)
  printf '%s' "$out" > "$work/$name.rerun.json"
  check "$name: a re-run gives duplicates only" py "$work/$name.rerun.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert d['stored'] == 0 and d['duplicate'] == 16 and d['rejected'] == 0, d"
  "$bin" stats --db "$db" --format json > "$work/$name.stats2.json"
  check "$name: the same totals after the re-run" py "$work/$name.stats2.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['tls_reports'], d['tls_policies'], d['tls_sessions_successful'], d['tls_sessions_failed']) == \
    ($want_reports, $want_policies, $want_ok, $want_failed), d"
  # Retention: every corpus report ended years ago, so a cutoff of yesterday removes each one with
  # its policies and failure details (store/prune.hpp); a dry run first removes nothing.
  "$bin" prune --db "$db" --quarantine "$work/$name.q" --older-than 1d --dry-run --format json > /dev/null
  "$bin" stats --db "$db" --format json > "$work/$name.stats3.json"
  check "$name: prune --dry-run keeps every TLS report" py "$work/$name.stats3.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['tls_reports'], d['tls_policies']) == ($want_reports, $want_policies), d"
  "$bin" prune --db "$db" --quarantine "$work/$name.q" --older-than 1d --format json > /dev/null
  check "$name: prune exits 0" test $? -eq 0
  "$bin" stats --db "$db" --format json > "$work/$name.stats4.json"
  check "$name: prune removes the TLS reports, their policies and sessions" py "$work/$name.stats4.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['tls_reports'], d['tls_policies'], d['tls_sessions_successful'], d['tls_sessions_failed']) == (0, 0, 0, 0), d"
}

run_store sqlite "$work/tls.db"

if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null; then
  pg_need_server
  name=$(pg_unique_name tls); pg_create_db "$name"; pg_dbs+=("$name")
  run_store pg "$(pg_uri "$name")"
  for f in tls.json export.json stats.json; do
    check "postgres: $f equals SQLite's" python3 -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
strip = lambda d: [{k: v for k, v in r.items() if k != 'dmarcsight'} for r in d] if isinstance(d, list) else d
assert strip(a) == strip(b), (a, b)" "$work/sqlite.$f" "$work/pg.$f"
  done
  # Two workers on one database, the same files at once: each report stored exactly once.
  name=$(pg_unique_name tls2); pg_create_db "$name"; pg_dbs+=("$name")
  uri=$(pg_uri "$name")
  "$bin" ingest --db "$uri" --quarantine "$work/w1.q" --quiet "${files[@]}" & p1=$!
  "$bin" ingest --db "$uri" --quarantine "$work/w2.q" --quiet "${files[@]}" & p2=$!
  wait $p1; r1=$?; wait $p2; r2=$?
  check "postgres: two workers exit 0" test "$r1$r2" = 00
  "$bin" stats --db "$uri" --format json > "$work/w.stats.json"
  check "postgres: two workers store each report once" py "$work/w.stats.json" "
import json, sys; d = json.load(open(sys.argv[1]))
assert (d['tls_reports'], d['tls_policies'], d['tls_sessions_successful'], d['tls_sessions_failed']) == \
    ($want_reports, $want_policies, $want_ok, $want_failed), d"
else
  echo "NOTE: DMARCSIGHT_TEST_PG is unset: the PostgreSQL run was skipped"
fi

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
