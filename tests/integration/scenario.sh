#!/usr/bin/env bash
# Source inventory and classification against scenarios with ground truth (../shared/scenario):
# world-a and our own worlds under tests/fixtures/scenario/ (other services, forwarders, lists and
# proportions), each ingested, classified from the reports alone, then enriched from the
# scenario's zone and classified again; every count and class is compared with truth.json
# (scenario_golden.py). Also: the facts' totals equal `stats`, labels outlive re-ingest and
# rebuild, and a re-ingest changes nothing. Exit 77 (skipped) without ../shared.
set -u
bin=${1:?usage: scenario.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
gen="$shared/scenario/gen_scenario.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (the scenario generator lives in ../shared)"; exit 77; fi
golden="$project/tests/integration/scenario_golden.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}

worlds=("$shared/scenario/world-a.json")
for w in "$project"/tests/fixtures/scenario/*.json; do [ -f "$w" ] && worlds+=("$w"); done
for world in "${worlds[@]}"; do
  name=$(basename "$world" .json)
  out="$work/$name"
  python3 "$gen" --world "$world" --out "$out" --quiet || { failn=$((failn + 1)); echo "FAIL: $name: the generator failed"; continue; }
  db="$out/s.db"
  "$bin" ingest --db "$db" --quiet "$out/reports"; check "$name: ingest" test $? -eq 0
  "$bin" sources --db "$db" --format json > "$out/offline.json"
  check "$name: offline classes and counts equal truth" python3 "$golden" "$out/offline.json" "$out/truth.json"
  "$bin" enrich --db "$db" --zone "$out/dns.zone" --quiet; check "$name: enrich from the zone" test $? -eq 0
  "$bin" sources --db "$db" --format json > "$out/enriched.json"
  check "$name: enriched classes and counts equal truth" python3 "$golden" "$out/enriched.json" "$out/truth.json"
  stats=$("$bin" stats --db "$db" --format json)
  view=$(sqlite3 "$db" "SELECT sum(messages) FROM v_source_day")
  check "$name: v_source_day sums to stats' messages" python3 -c "
import json,sys; s=json.loads(sys.argv[1]); assert s['messages']==int(sys.argv[2]), (s['messages'], sys.argv[2])" "$stats" "$view"
  check "$name: the csv has a row per source" python3 -c "
import csv,json,sys; rows=list(csv.DictReader(open(sys.argv[1]))); j=json.load(open(sys.argv[2]))
assert len(rows)==len(j) and {r['class'] for r in rows}=={r['class'] for r in j}" <("$bin" sources --db "$db" --format csv) "$out/enriched.json"
done

# Labels, re-ingest, rebuild (world-a, the first world).
out="$work/world-a"; db="$out/s.db"
ip=$(python3 -c "
import json; r=[x for x in json.load(open('$out/enriched.json')) if x['class']=='spoofing']; print(r[0]['policy_domain'], r[0]['source_ip'])")
set -- $ip
"$bin" label --db "$db" --domain "$1" --source "$2/32" --as authorized --note "our new relay"; check "label" test $? -eq 0
"$bin" label --db "$db" --domain "$1" --source 10.0.0.0/33 --as authorized >/dev/null 2>&1; check "a bad CIDR is a usage error" test $? -eq 2
"$bin" label --db "$db" --domain "$1" --source "$2" --as nonsense >/dev/null 2>&1; check "a bad class is a usage error" test $? -eq 2
"$bin" ingest --db "$db" --quiet "$out/reports"; check "re-ingest" test $? -eq 0
"$bin" rebuild --db "$db" --quiet >/dev/null; check "rebuild" test $? -eq 0
"$bin" sources --db "$db" --domain "$1" --format json > "$out/labelled.json"
check "the label outlives re-ingest and rebuild" python3 -c "
import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x['source_ip']==sys.argv[2]][0]
assert r['class']=='authorized' and 'our new relay' in r['reason'], r" "$out/labelled.json" "$2"
check "re-ingest and rebuild change no count" python3 -c "
import json,sys; a={(x['policy_domain'],x['source_ip']):x['messages'] for x in json.load(open(sys.argv[1]))}
b={(x['policy_domain'],x['source_ip']):x['messages'] for x in json.load(open(sys.argv[2]))}
assert all(a[k]==v for k,v in b.items()) and len(b)==sum(1 for k in a if k[0]==sys.argv[3]), 'changed'" "$out/enriched.json" "$out/labelled.json" "$1"
"$bin" labels --db "$db" --format json > "$out/labels.json"
check "labels lists it" python3 -c "
import json,sys; l=json.load(open(sys.argv[1])); assert len(l)==1 and l[0]['class']=='authorized' and l[0]['source']==sys.argv[2]+'/32', l" "$out/labels.json" "$2"
"$bin" label --db "$db" --domain "$1" --source "$2/32" --remove >/dev/null; check "label --remove" test $? -eq 0
"$bin" sources --db "$db" --domain "$1" --format json > "$out/unlabelled.json"
check "without the label the rules decide again" python3 -c "
import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x['source_ip']==sys.argv[2]][0]; assert r['class']=='spoofing', r" "$out/unlabelled.json" "$2"
# Grouping and the overview.
"$bin" sources --db "$db" --group service --format json > "$out/grouped.json"
check "--group service folds a provider's IPs into one row" python3 -c "
import json,sys; g=json.load(open(sys.argv[1]))
sg=[r for r in g if r['service']=='Google Workspace' and r['policy_domain']=='acme-outdoor.com'][0]
assert sg['source_ips']>1 and len(sg['sample_ips'])<=5 and 'source_ip' not in sg, sg
assert sum(r['messages'] for r in g)==sum(r['messages'] for r in json.load(open(sys.argv[2])))" "$out/grouped.json" "$out/enriched.json"
top=$("$bin" sources --db "$db" --limit 5 --format json)
check "--limit N: the N largest over all domains" python3 -c "
import json,sys; t=json.loads(sys.argv[1]); a=sorted(json.load(open(sys.argv[2])), key=lambda r: -r['messages'])[:5]
assert [r['messages'] for r in t]==[r['messages'] for r in a], (t, a)" "$top" "$out/enriched.json"
"$bin" domains --db "$db" --format json > "$out/domains.json"
check "domains: every domain with its truth totals" python3 -c "
import json,sys; d={r['policy_domain']:r for r in json.load(open(sys.argv[1]))}; t=json.load(open(sys.argv[2]))['domains']
assert set(d)==set(t), (set(d), set(t))
for k,v in t.items(): assert d[k]['messages']==v['messages'] and d[k]['dmarc_pass_messages']==v['dmarc_pass'], k" "$out/domains.json" "$out/truth.json"

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
