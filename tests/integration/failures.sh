#!/usr/bin/env bash
# DMARC failure reports end to end (issue 11), on SQLite and, when DMARCSIGHT_TEST_PG names a
# server, on PostgreSQL: the failure and ARF samples of ../shared/corpus ingested (ARF auth-failure
# stored, the plain-text Exim one best effort, abuse / opt-out ARF rejected with their type), then
#  * stats --format json: failure_reports exact; a re-run stores nothing and duplicates everything;
#    the same report in an mbox is a duplicate;
#  * failures --format json: top sources, auth-failure kinds, DKIM domains/selectors, a sample;
#  * export --type failure: parsedmarc's values for its samples (oracles/parsedmarc/failure);
#  * sources --format json: failure_reports per source, a failure-only source with messages 0;
#  * ingest --redact: local parts hashed (stable), bodies dropped;
#  * prune removes failure reports older than the cutoff.
# Exit 77 (skipped) without ../shared/corpus.
set -u
bin=${1:?usage: failures.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
corpus="$shared/corpus"
if [ ! -d "$corpus/reports/parsedmarc/failure" ]; then echo "SKIPPED: $corpus is absent"; exit 77; fi
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

# The inputs (copies in the temporary folder only).
in="$work/in"
mkdir -p "$in/arf" "$in/abuse"
cp "$corpus"/reports/parsedmarc/failure/*.eml "$in/"
for f in 003 004 005; do cp "$corpus/reports/stalwartlabs+mail-auth/resources/arf/$f.eml" "$in/arf/"; done
cp "$corpus"/reports/rjbs+Email-ARF/t/messages/*.msg "$in/abuse/"
# An aggregate report for example.com naming 10.10.10.10 (a source of the LinkedIn failure report).
cat > "$in/aggregate.xml" <<'XML'
<?xml version="1.0"?>
<feedback><report_metadata><org_name>agg.example</org_name><email>a@agg.example</email><report_id>f-1</report_id>
<date_range><begin>1556582400</begin><end>1556668799</end></date_range></report_metadata>
<policy_published><domain>example.com</domain><p>none</p></policy_published>
<record><row><source_ip>10.10.10.10</source_ip><count>5</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
<identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>
</feedback>
XML
# The same two failure reports again, in an mbox.
{
  for f in "$in/dmarc_ruf_report_linkedin.eml" "$in/arf/003.eml"; do
    echo "From someone@example.net Mon Jan  1 00:00:00 2024"; sed 's/^From />From /' "$f"; echo
  done
} > "$work/again.mbox"

# run_store NAME DB QUARANTINE
run_store() {
  local name=$1 db=$2 q=$3
  "$bin" ingest --db "$db" --quarantine "$q" --format json "$in" > "$work/$name-ingest.json"; rc=$?
  check "$name: ingest exits 1 (the abuse reports are rejected)" test $rc -eq 1
  check "$name: 7 failure reports + 1 aggregate stored, the CRLF copy a duplicate, 3 ARF abuse/opt-out rejected" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); t=j.get('totals', j)
assert t['stored']==8 and t['duplicate']==1 and t['rejected']==3, t" "$work/$name-ingest.json"
  "$bin" stats --db "$db" --format json > "$work/$name-stats.json"
  check "$name: stats failure_reports = 7" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); assert j['failure_reports']==7 and j['aggregate_reports']==1, j" "$work/$name-stats.json"
  "$bin" rejected --db "$db" --format json > "$work/$name-rejected.json" 2>&1
  check "$name: abuse and opt-out named as such" python3 -c "
import sys; t=open(sys.argv[1]).read(); assert 'not a DMARC report (ARF abuse)' in t and 'not a DMARC report (ARF opt-out)' in t, t[:2000]" "$work/$name-rejected.json"

  "$bin" ingest --db "$db" --quarantine "$q" --format json "$in" "$work/again.mbox" > "$work/$name-again.json"
  check "$name: a re-run (and the mbox copies) store nothing and duplicate every report" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); t=j.get('totals', j)
assert t['stored']==0 and t['duplicate']==11, t" "$work/$name-again.json"
  "$bin" stats --db "$db" --format json > "$work/$name-stats2.json"
  check "$name: stats unchanged after the re-run" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); assert j['failure_reports']==7, j" "$work/$name-stats2.json"

  "$bin" failures --db "$db" --format json > "$work/$name-failures.json"
  check "$name: failures summary" python3 -c "
import json,sys; j=json.load(open(sys.argv[1]))
assert j['failure_reports']==7 and j['best_effort']==1, j
kinds={k['auth_failure']:k['reports'] for k in j['auth_failures']}
assert kinds.get('dmarc')==5 and kinds.get('bodyhash')==2, kinds
src={(s['policy_domain'],s['source_ip']):s['failure_reports'] for s in j['top_sources']}
assert src[('example.com','10.10.10.10')]==1 and src[('example.com','203.0.113.68')]==1 and src[('domain.de','10.10.10.10')]==1, src
dk={d['domain_selector'] for d in j['dkim']}
assert 'sender.example / testkey' in dk, dk
assert j['latest_sample'] and all('@' not in h['value'] or '*@' in h['value'] for h in j['latest_sample']['headers'] if h['name'].lower() in ('from','to')), j['latest_sample']
" "$work/$name-failures.json"
  "$bin" failures --db "$db" --domain example.com > "$work/$name-failures.txt"
  check "$name: failures table" grep -q "203.0.113.68" "$work/$name-failures.txt"

  "$bin" export --db "$db" --type failure > "$work/$name-export.json"
  check "$name: export --type failure has parsedmarc's values for its samples" python3 - "$work/$name-export.json" "$corpus/oracles/parsedmarc/failure" <<'PY'
import json, os, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 7, len(rows)
by = {(r['source']['ip_address'], r['arrival_date_utc']): r for r in rows}
n = 0
for f in sorted(os.listdir(sys.argv[2])):
    o = json.load(open(os.path.join(sys.argv[2], f)))['report']
    r = by[(o['source']['ip_address'], o['arrival_date_utc'])]
    for k in ('feedback_type', 'reported_domain', 'delivery_result', 'auth_failure', 'original_envelope_id', 'dkim_domain',
              'arrival_date', 'sample_headers_only', 'user_agent', 'version'):
        assert r[k] == o[k], (f, k, r[k], o[k])
    n += 1
assert n == 5
PY
  "$bin" export --db "$db" --type failure --format csv > "$work/$name-export.csv"
  check "$name: export --type failure --format csv: parsedmarc's forensic columns, a row per report, the JSON's values" python3 - "$work/$name-export.csv" "$work/$name-export.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
js = json.load(open(sys.argv[2]))
assert len(rows) == len(js) == 7, (len(rows), len(js))
for col in ('feedback_type', 'arrival_date_utc', 'source_ip_address', 'reported_domain', 'auth_failure', 'subject'):
    assert col in rows[0], (col, list(rows[0]))
by = {(r['source_ip_address'], r['arrival_date_utc']): r for r in rows}
for j in js:
    r = by[(j['source']['ip_address'], j['arrival_date_utc'] or '')]
    assert r['reported_domain'] == j['reported_domain'] and r['feedback_type'] == j['feedback_type'], (r, j)
    assert r['auth_failure'] == ','.join(j['auth_failure']), (r['auth_failure'], j['auth_failure'])
    assert r['sample_headers_only'] == str(j['sample_headers_only']), r
    assert r['subject'] == ((j.get('parsed_sample') or {}).get('subject') or ''), (r['subject'], j.get('parsed_sample'))
PY

  "$bin" sources --db "$db" --format json > "$work/$name-sources.json"
  check "$name: sources joins failure reports; a failure-only source has messages 0" python3 -c "
import json,sys; rows=json.load(open(sys.argv[1]))
by={(r['policy_domain'],r['source_ip']):r for r in rows}
a=by[('example.com','10.10.10.10')]; assert a['messages']==5 and a['failure_reports']==1, a
b=by[('example.com','203.0.113.68')]; assert b['messages']==0 and b['failure_reports']==1, b
assert sum(r['messages'] for r in rows)==5
" "$work/$name-sources.json"

  "$bin" prune --db "$db" --quarantine "$q" --older-than 1d --format json > "$work/$name-prune.json"
  "$bin" stats --db "$db" --format json > "$work/$name-stats3.json"
  check "$name: prune removes the (old) failure reports" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); assert j['failure_reports']==0, j" "$work/$name-stats3.json"
}

# --redact: hashed local parts (the same on two stores), no bodies.
run_redact() {
  local name=$1 db=$2 q=$3
  "$bin" ingest --db "$db" --quarantine "$q" --redact --quiet "$in/dmarc_ruf_report_linkedin.eml" "$in/arf"
  "$bin" export --db "$db" --type failure > "$work/$name-redacted.json"
  check "$name: --redact hashes local parts and drops bodies" python3 -c "
import json,sys; rows=json.load(open(sys.argv[1]))
assert rows and all(r['redacted'] for r in rows)
for r in rows:
    s=r['sample'] or ''
    assert 'sender@example.com' not in s and 'recipient@linkedin.com' not in s, s[:500]
    assert (r['parsed_sample'] or {}).get('body') in (None, '')
li=[r for r in rows if r['source']['ip_address']=='10.10.10.10'][0]
assert li['parsed_sample']['from']['local'].startswith('h-') and li['parsed_sample']['from']['domain']=='example.com', li['parsed_sample']['from']
print(li['parsed_sample']['from']['local'])
" "$work/$name-redacted.json"
}

run_store sqlite "$work/s.db" "$work/s.quarantine"
run_redact sqlite "$work/r.db" "$work/r.quarantine"
printf '[ingest]\nredact_failure_samples = true\n' > "$work/redact.toml"
"$bin" --config "$work/redact.toml" ingest --db "$work/c.db" --quarantine "$work/c.q" --quiet "$in/dmarc_ruf_report_linkedin.eml"
"$bin" export --db "$work/c.db" --type failure > "$work/c.json"
check "[ingest] redact_failure_samples = true redacts, with the same hash as --redact" python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))[0]; b=[r for r in json.load(open(sys.argv[2])) if r['source']['ip_address']=='10.10.10.10'][0]
assert a['redacted'] and a['parsed_sample']['from']['local']==b['parsed_sample']['from']['local'], (a['parsed_sample']['from'], b['parsed_sample']['from'])
" "$work/c.json" "$work/sqlite-redacted.json"

if [ -n "${DMARCSIGHT_TEST_PG:-}" ]; then
  # shellcheck source=pg_lib.sh
  . "$project/tests/integration/pg_lib.sh"
  pg_need_server
  name=$(pg_unique_name failures)
  pg_create_db "$name"
  pg_dbs+=("$name")
  run_store postgres "$(pg_uri "$name")" "$work/pg.quarantine"
  check "postgres and sqlite export the same failure reports" python3 -c "
import json,sys
def norm(p): return sorted(json.dumps(r, sort_keys=True) for r in json.load(open(p)))
assert norm(sys.argv[1])==norm(sys.argv[2])" "$work/sqlite-export.json" "$work/postgres-export.json"
  name=$(pg_unique_name failures_redact)
  pg_create_db "$name"
  pg_dbs+=("$name")
  run_redact postgres "$(pg_uri "$name")" "$work/pgr.quarantine"
else
  echo "PostgreSQL part skipped: DMARCSIGHT_TEST_PG is not set"
fi

echo "failures: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
