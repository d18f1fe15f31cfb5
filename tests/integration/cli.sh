#!/usr/bin/env bash
# The CLI as a user meets it: exit codes, read-only safety, output formats, hostile text, re-runs.
set -u
bin=${1:?usage: cli.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
samples="$project/examples/reports"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:300}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:300}"; return 1;; esac; return 0; }
db="$work/r.db"

# --help and --version everywhere; usage errors are 2.
out=$("$bin" --help); check "help lists ingest" contains "$out" "ingest"
out=$("$bin" --version); check "version" contains "$out" "dmarcsight "
for c in ingest stats senders export rejected; do
  "$bin" "$c" --help >/dev/null; check "$c --help exits 0" eq "$?" 0
done
"$bin" >/dev/null 2>&1; check "no subcommand is a usage error" eq "$?" 2
"$bin" senders --db "$db" --format yaml >/dev/null 2>&1; check "bad --format is 2" eq "$?" 2
"$bin" frobnicate >/dev/null 2>&1; check "unknown command is 2" eq "$?" 2

# Read-only commands never create a database.
for c in stats senders export rejected; do
  "$bin" "$c" --db "$work/missing.db" >/dev/null 2>&1; check "$c on a missing db is 2" eq "$?" 2
done
check "missing db was not created" test ! -e "$work/missing.db"
"$bin" ingest --db "$db" "$work/no-such-file.xml" >/dev/null 2>&1; check "unreadable input is 2" eq "$?" 2
check "nothing stored after a usage error" test ! -e "$db"

# The sample set: 37 aggregate reports, one failure report (stored), one truncated report (rejected → 1).
out=$("$bin" ingest --db "$db" "$samples" 2>"$work/err"); rc=$?
check "sample ingest exits 1 (one rejected)" eq "$rc" 1
check "summary counts" contains "$out" "38 stored, 0 duplicate, 0 skipped, 1 rejected (39 inputs); 189 records"
check "rejected line names input and reason" contains "$(cat "$work/err")" "truncated-report.xml: document ends inside"
json=$("$bin" stats --db "$db" --format json)
check "stats json" python3 -c "
import json,sys; d=json.loads(sys.argv[1])
assert d['aggregate_reports']==37 and d['records']==189 and d['rejected_inputs']==1 and d['skipped_inputs']==0, d
assert d['failure_reports']==1, d
assert d['messages']==9596, d" "$json"

# Re-running never duplicates: everything is a duplicate the second time, the counts stay.
out=$("$bin" ingest --db "$db" --format json "$samples"); rc=$?
check "re-run json" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['stored']==0 and d['duplicate']==38 and d['rejected']==1, d" "$out"
json=$("$bin" stats --db "$db" --format json)
check "stats unchanged after re-run" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['aggregate_reports']==37 and d['records']==189 and d['rejected_inputs']==1, d" "$json"

# The same report in another container is a duplicate.
gzip -c "$samples/yahoo.com!example.com!1763337600!1763423999.xml" > "$work/again.xml.gz"
out=$("$bin" ingest --db "$db" --format json "$work/again.xml.gz")
check "same report, other container: duplicate" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['duplicate']==1 and d['stored']==0, d" "$out"

check "identical copy: reason says already stored" contains "$(sqlite3 "$db" "select reason from inputs where label like '%again.xml.gz'")" "already stored as report #"
# The same key with different content: the first copy stays, gets a warning, the second's bytes are kept.
sed 's/<count>\([0-9]*\)</<count>1\1</' "$samples/yahoo.com!example.com!1763337600!1763423999.xml" > "$work/changed.xml"
out=$("$bin" ingest --db "$db" --format json "$work/changed.xml")
check "changed copy: duplicate" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['duplicate']==1 and d['stored']==0, d" "$out"
check "changed copy: reason" contains "$(sqlite3 "$db" "select reason from inputs where label like '%changed.xml'")" "but different content"
check "changed copy: warning on the first" contains "$(sqlite3 "$db" "select warnings from reports where input_label like '%yahoo.com!example.com!1763337600%'")" "a different copy under the same key"
kept=$(sqlite3 "$db" "select quarantine_path from inputs where label like '%changed.xml'")
check "changed copy: bytes kept" cmp -s "$db.quarantine/$kept" "$work/changed.xml"

# Standard input.
out=$(cat "$samples/mimecast-example.com.xml" | "$bin" ingest --db "$work/stdin.db" --format json -)
check "stdin ingest" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['stored']==1 and d['records']==7, d" "$out"

# senders: JSON shares, filters, CSV.
json=$("$bin" senders --db "$db" --format json)
check "senders json" python3 -c "
import json,sys; rows=json.loads(sys.argv[1])
top=rows[0]; assert top['policy_domain']=='example.com' and top['source_ip']=='192.0.2.26' and top['messages']==2969, top
assert top['dmarc_pass_share']==1.0 and top['dmarc_pass_messages']==2969 and top['none_messages']==2969, top
assert top['class']=='authorized' and top['ptr'] is None, top
crm=[r for r in rows if r['source_ip']=='198.51.100.77'][0]
assert crm['dmarc_pass_share']==0.0 and crm['quarantine_messages']==105, crm
esp=[r for r in rows if r['source_ip']=='198.51.100.40'][0]
assert esp['spf_aligned_share']==0.0 and esp['dkim_aligned_share']==1.0 and esp['dkim_aligned_messages']==esp['messages'], esp
assert sorted(esp['reporters'])==['Mimecast','Outlook.com','Yahoo','google.com','mx.example-isp.net'], esp
# Domain by domain (name order), largest first within each.
assert [r['policy_domain'] for r in rows]==sorted(r['policy_domain'] for r in rows), rows
for d in {r['policy_domain'] for r in rows}:
    m=[r['messages'] for r in rows if r['policy_domain']==d]; assert m==sorted(m, reverse=True), (d, m)
assert len(rows)==9" "$json"
json=$("$bin" senders --db "$db" --format json --domain example.org)
check "senders --domain" python3 -c "
import json,sys; rows=json.loads(sys.argv[1]); assert {r['policy_domain'] for r in rows}=={'example.org'} and len(rows)==2, rows" "$json"
json=$("$bin" senders --db "$db" --format json --domain '*.org')
check "senders --domain *.org adds subdomains" python3 -c "
import json,sys; rows=json.loads(sys.argv[1]); assert len(rows)==2, rows" "$json"
json=$("$bin" senders --db "$db" --format json --since 2025-11-20 --until 2025-11-21)
check "senders --since/--until select one day" python3 -c "
import json,sys; rows=json.loads(sys.argv[1])
assert rows and all(r['first_seen']=='2025-11-20' for r in rows), rows" "$json"
"$bin" senders --db "$db" --since yesterday >/dev/null 2>&1; check "bad --since is 2" eq "$?" 2
csv=$("$bin" senders --db "$db" --format csv)
check "senders csv header" contains "$csv" "policy_domain,source_ip,ptr,service,class,messages,dmarc_pass_share,spf_aligned_share"

# export: parsedmarc's shape, and CSV with its columns.
"$bin" export --db "$db" --format json > "$work/export.json"
check "export json shape" python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==37
r=d[0]; assert set(r)>={'xml_schema','report_metadata','policy_published','records'}
m=r['report_metadata']; assert set(m)>={'org_name','org_email','report_id','begin_date','end_date','errors'}
assert len(m['begin_date'])==19 and m['begin_date'][10]==' '
rec=r['records'][0]; assert set(rec)>={'source','count','alignment','policy_evaluated','identifiers','auth_results'}
assert rec['source']['ip_address'] and isinstance(rec['count'], int)
assert sum(len(x['records']) for x in d)==189" "$work/export.json"
csv=$("$bin" export --db "$db" --format csv --domain example.org)
check "export csv columns" contains "$(echo "$csv" | head -1)" "xml_schema,org_name,org_email,org_extra_contact_info,report_id,begin_date,end_date,normalized_timespan,errors,domain"
check "export csv rows" eq "$(echo "$csv" | tail -n +2 | wc -l)" 28

# rejected: names the input, the reason and where the bytes are.
out=$("$bin" rejected --db "$db" --format json)
check "rejected json" python3 -c "
import json,sys,os; rows=json.loads(sys.argv[1]); assert len(rows)==1, rows
r=rows[0]; assert r['input'].endswith('truncated-report.xml') and 'ends inside' in r['reason']
assert os.path.isfile(r['kept_at']) and open(r['kept_at'],'rb').read()==open(r['input'],'rb').read()" "$out"

# Hostile text: never raw on a terminal, never a live CSV formula, stored verbatim.
cat > "$work/evil.xml" <<'XML'
<feedback><report_metadata><org_name>=HYPERLINK("http://x")&#x9b;31m</org_name><email>a@b.example</email>
<report_id>'); DROP TABLE reports;--</report_id><date_range><begin>1700006400</begin><end>1700092799</end></date_range>
</report_metadata><policy_published><domain>evil.example</domain><p>none</p></policy_published>
<record><row><source_ip>192.0.2.1</source_ip><count>2</count><policy_evaluated><disposition>none</disposition>
<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>&lt;script&gt;x&lt;/script&gt;.evil.example</header_from>
</identifiers></record></feedback>
XML
"$bin" ingest --db "$db" --quiet "$work/evil.xml"; check "evil report stored" eq "$?" 0
table=$("$bin" senders --db "$db" --domain evil.example)
check "no raw CSI on the terminal" lacks "$table" $'\xc2\x9b'
check "escape shown" contains "$table" '\u009b'
csv=$("$bin" export --db "$db" --format csv --domain evil.example)
check "csv formula neutralised" contains "$csv" "'=HYPERLINK"
check "sql text stored verbatim" eq "$(sqlite3 "$db" "select report_id from reports where policy_domain='evil.example'")" "'); DROP TABLE reports;--"
check "reports table still there" eq "$(sqlite3 "$db" "select count(*) from reports")" 38

# A second ingest while one holds the write lock waits (busy timeout) and loses nothing.
db2="$work/c.db"
"$bin" ingest --db "$db2" --quiet "$samples/mimecast-example.com.xml"
# Another process holds the write lock for 2 s.
python3 - "$db2" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN IMMEDIATE"); time.sleep(2); c.execute("COMMIT")
PY
sleep 0.5
start=$(date +%s)
"$bin" ingest --db "$db2" --quiet "$samples/yahoo.com!example.com!1763337600!1763423999.xml"; rc=$?
wait
check "second writer waited and succeeded" eq "$rc" 0
check "it waited for the lock" test $(( $(date +%s) - start )) -ge 1
check "both reports stored" eq "$(sqlite3 "$db2" "select count(*) from reports")" 2

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
