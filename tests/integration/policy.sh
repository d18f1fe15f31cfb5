#!/usr/bin/env bash
# Policy-impact simulation against scenarios with ground truth (../shared/scenario): world-a and
# the worlds under tests/fixtures/scenario/, each generated, ingested and enriched from its zone
# (classes decide what is legitimate), then `policy --domain D --p reject` and `--p quarantine`
# for every domain: affected_messages, affected_legitimate, affected_unauthorized,
# legitimate_messages and legitimate_loss_share equal truth.json's `simulation` exactly, and
# by_source equals truth's per-IP figures (every IP truth lists). Also: --exit-code, --testing,
# --pct, strict alignment and the table. On SQLite, and on PostgreSQL (a database of this test's
# own, tests/integration/pg_lib.sh) when DMARCSIGHT_TEST_PG is set. Exit 77 (skipped) without
# ../shared.
set -u
bin=${1:?usage: policy.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
gen="$shared/scenario/gen_scenario.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (the scenario generator lives in ../shared)"; exit 77; fi
work=$(mktemp -d)
pg_names=()
nsd_pid=""
cleanup() {
  for n in "${pg_names[@]}"; do pg_drop_db "$n"; done
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null; for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done; fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}

# compare_truth OUT.json TRUTH.json DOMAIN POLICY: the five figures and by_source against truth.
compare_truth() {
  python3 - "$@" <<'PY'
import json, sys
out, truth, domain, policy = sys.argv[1:5]
o = json.load(open(out)); t = json.load(open(truth))['simulation'][domain][policy]
bad = []
for k in ('affected_messages', 'affected_legitimate', 'affected_unauthorized', 'legitimate_messages'):
    if o[k] != t[k]: bad.append((k, o[k], t[k]))
if round(o['legitimate_loss_share'], 6) != round(t['legitimate_loss_share'], 6):
    bad.append(('legitimate_loss_share', o['legitimate_loss_share'], t['legitimate_loss_share']))
ours = {s['source_ip']: s['affected_messages'] for s in o['by_source']}
theirs = t.get('by_source', {})
if isinstance(theirs, list): theirs = {s['source_ip']: s['affected_messages'] for s in theirs}
theirs = {ip: n for ip, n in theirs.items() if n > 0}
diff = [(ip, ours.get(ip), n) for ip, n in theirs.items() if ours.get(ip) != n]
if diff: bad.append(('by_source', len(diff), diff[:5]))
# Where truth lists every affected IP (scale 1: no spoofers left out), nothing more either.
if sum(theirs.values()) == t['affected_messages'] and set(ours) != set(theirs):
    bad.append(('by_source extra', sorted(set(ours) - set(theirs))[:5]))
counts = [s['affected_messages'] for s in o['by_source']]
if counts != sorted(counts, reverse=True): bad.append(('by_source not biggest first',))
if o['domain'] != domain or not o['candidate'].startswith('v=DMARC1; p=' + policy): bad.append(('candidate', o['candidate']))
if o['verdict'] != ('ready' if o['legitimate_loss_share'] < 0.01 else 'not_ready'): bad.append(('verdict', o['verdict']))
if bad:
    print(domain, policy, bad); sys.exit(1)
PY
}

# run_world NAME DIR DB: every domain, both policies, against truth; then the other flags.
run_world() {
  local name=$1 out=$2 db=$3
  local domains
  domains=$(python3 -c "import json,sys; print(' '.join(sorted(json.load(open(sys.argv[1]))['simulation'])))" "$out/truth.json")
  for d in $domains; do
    for p in reject quarantine; do
      "$bin" policy --db "$db" --domain "$d" --p "$p" --zone "$out/dns.zone" --format json > "$out/policy-$d-$p.json"
      check "$name: policy $d --p $p exits 0" test $? -eq 0
      check "$name: policy $d --p $p equals truth" compare_truth "$out/policy-$d-$p.json" "$out/truth.json" "$d" "$p"
    done
  done
}

worlds=("$shared/scenario/world-a.json")
for w in "$project"/tests/fixtures/scenario/*.json; do [ -f "$w" ] && worlds+=("$w"); done
for world in "${worlds[@]}"; do
  name=$(basename "$world" .json)
  out="$work/$name"
  python3 "$gen" --world "$world" --out "$out" --quiet || { failn=$((failn + 1)); echo "FAIL: $name: the generator failed"; continue; }
  db="$out/s.db"
  "$bin" ingest --db "$db" --quiet "$out/reports"; check "$name: ingest" test $? -eq 0
  "$bin" enrich --db "$db" --zone "$out/dns.zone" --quiet; check "$name: enrich" test $? -eq 0
  run_world "$name" "$out" "$db"
done

# The other flags, on world-a (its first domain with legitimate losses, and the ready one).
out="$work/world-a"; db="$out/s.db"
read -r lossy ready <<<"$(python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))['simulation']
l=[d for d in sorted(s) if s[d]['reject']['legitimate_loss_share']>=0.01]; r=[d for d in sorted(s) if s[d]['reject']['legitimate_loss_share']<0.01]
print(l[0] if l else '-', r[0] if r else '-')" "$out/truth.json")"
"$bin" policy --db "$db" --domain "$lossy" --zone "$out/dns.zone" --exit-code >/dev/null; check "--exit-code: not ready exits 1" test $? -eq 1
"$bin" policy --db "$db" --domain "$lossy" --zone "$out/dns.zone" >/dev/null; check "not ready without --exit-code exits 0" test $? -eq 0
"$bin" policy --db "$db" --domain nosuch.example --zone "$out/dns.zone" --format json >/dev/null 2>&1
check "an unknown domain exits 1" test $? -eq 1
"$bin" policy --db "$db" --domain "*.$lossy" >/dev/null 2>&1; check "a wildcard domain is a usage error" test $? -eq 2
"$bin" policy --db "$db" --domain "$lossy" --pct 101 >/dev/null 2>&1; check "--pct 101 is a usage error" test $? -eq 2
"$bin" policy --db "$db" --domain "$lossy" --p block >/dev/null 2>&1; check "--p block is a usage error" test $? -eq 2
"$bin" policy --db "$db" --domain "$lossy" --p quarantine --pct 10 --zone "$out/dns.zone" --format json > "$out/pct.json"
"$bin" policy --db "$db" --domain "$lossy" --p quarantine --testing --zone "$out/dns.zone" --format json > "$out/t.json"
"$bin" policy --db "$db" --domain "$lossy" --p reject --testing --zone "$out/dns.zone" --format json > "$out/rt.json"
"$bin" policy --db "$db" --domain "$lossy" --p reject --adkim s --aspf s --zone "$out/dns.zone" --format json > "$out/strict.json"
"$bin" policy --db "$db" --domain "$lossy" --p reject --offline --format json > "$out/offline.json"
check "--pct, --testing, strict alignment, --offline: the model's figures" python3 - "$out" "$lossy" <<'PY'
import json, sys
out, d = sys.argv[1:3]
full = json.load(open(f'{out}/policy-{d}-quarantine.json'))
pct, t, rt = (json.load(open(f'{out}/{n}.json')) for n in ('pct', 't', 'rt'))
strict, off = json.load(open(f'{out}/strict.json')), json.load(open(f'{out}/offline.json'))
w9 = t['receivers']['rfc9989']['messages_share']
# pct 10 at quarantine: RFC 7489 receivers quarantine 10% of failing mail, RFC 9989 ones all of it.
exp = full['affected_messages'] * ((1 - w9) * 0.10 + w9)
assert abs(pct['affected_messages'] - exp) <= 2, (pct['affected_messages'], exp)
assert pct['candidate'].endswith('pct=10') or '; pct=10' in pct['candidate'], pct['candidate']
# t=y at quarantine: RFC 9989 receivers apply none, RFC 7489 ones (t unknown) quarantine.
exp = full['affected_messages'] * (1 - w9)
assert abs(t['affected_messages'] - exp) <= 2, (t['affected_messages'], exp)
assert '; t=y' in t['candidate']
# t=y at reject: everything still at least quarantined; RFC 9989 receivers reject none.
assert rt['affected_messages'] == full['affected_messages'], rt['affected_messages']
assert abs(rt['rejected_messages'] - full['affected_messages'] * (1 - w9)) <= 2
# Strict alignment can only fail more mail, and says it read the records.
assert strict['alignment'] == {'adkim': 's', 'aspf': 's', 'recomputed': True}, strict['alignment']
assert strict['affected_messages'] >= full['affected_messages'], (strict['affected_messages'], full['affected_messages'])
assert strict['candidate'].count('adkim=s') == 1 and 'aspf=s' in strict['candidate']
# Offline: no existence known, every subdomain under sp; the figures are the same at p=sp=np.
assert off['existence']['source'] is None and all(s['tag'] != 'np' for s in off['subdomains']), off['subdomains']
assert off['affected_messages'] == full['affected_messages']
# With the zone: a subdomain truth says does not exist is np, one that exists sp.
truth = json.load(open(f'{out}/truth.json'))['domains'][d]['header_from']
for s in full['subdomains']:
    h = truth.get(s['header_from'])
    if h is None: continue
    assert s['tag'] == h['policy_tag'] and s['exists'] == h['exists'], (s, h)
# Planning: fo=0 counts DMARC failures per day; fo=1 at least as many.
pl = full['planning']['failure_reports_per_day']
assert abs(pl['fo_0'] * full['planning']['days'] - full['affected_messages']) < 1, pl
assert pl['fo_1'] >= pl['fo_0'], pl
# Not ready: the next step names sources to fix, legitimate ones, the largest first.
assert full['verdict'] == 'not_ready' and full['next_step']['fix_sources'], full['next_step']
assert all(f['class'] != 'spoofing' for f in full['next_step']['fix_sources'])
PY
if [ "$ready" != "-" ]; then
  "$bin" policy --db "$db" --domain "$ready" --zone "$out/dns.zone" --format json > "$out/ready.json"
  check "a ready domain: verdict ready, next step a record to publish" python3 -c "
import json,sys; o=json.load(open(sys.argv[1])); assert o['verdict']=='ready' and o['next_step']['record'].startswith('v=DMARC1'), o['next_step']
assert o['stages'][-1]['verdict']=='ready'" "$out/ready.json"
fi
"$bin" policy --db "$db" --domain "$lossy" --zone "$out/dns.zone" > "$out/table.txt"
check "the table names the verdict, the next step and the sources" bash -c "grep -q 'NOT READY' '$out/table.txt' && grep -q '^next step: .*fix th' '$out/table.txt' && grep -q 'SOURCE IP' '$out/table.txt' && grep -q 'STAGE' '$out/table.txt'"

# What-if DNS (--with): world-a's zone served by a real nsd on 127.0.0.1 as "live DNS", candidate
# records laid over it; the SPF changes equal what the records say (computed here from `export`).
nsd_bin=$(command -v nsd || echo /usr/sbin/nsd)
if [ -x "$nsd_bin" ]; then
  port=$(python3 -c "
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0)); p = u.getsockname()[1]
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(('127.0.0.1', p)); print(p)")
  if nsd_pid=$(sh "$project/scripts/start-nsd.sh" "$work/nsd" "$port" ".=$out/dns.zone" 2>"$work/nsd.err"); then
    wd=$(python3 -c "import json,sys; print(sorted(json.load(open(sys.argv[1]))['simulation'])[-1])" "$out/truth.json")
    printf '$ORIGIN .\n$TTL 300\nunrelated.example. IN TXT "nothing"\n' > "$work/base.zone"
    printf '$ORIGIN .\n$TTL 300\n%s. IN TXT "v=spf1 -all"\n' "$wd" > "$work/minus.zone"
    printf '$ORIGIN .\n$TTL 300\n%s. IN TXT "v=spf1 ip4:0.0.0.0/0 ip6:::/0 -all"\n' "$wd" > "$work/plus.zone"
    for z in base minus plus; do
      "$bin" policy --db "$db" --domain "$wd" --with "$work/$z.zone" --server "127.0.0.1:$port" --format json > "$out/whatif-$z.json"
    done
    "$bin" export --db "$db" --domain "$wd" --format json > "$out/export-$wd.json"
    check "--with: SPF re-evaluated against the candidate records, as the records say" python3 - "$out" "$wd" <<'PY'
import json, sys
out, d = sys.argv[1:3]
w = {z: json.load(open(f'{out}/whatif-{z}.json'))['what_if'] for z in ('base', 'minus', 'plus')}
# The candidate record also serves the subdomains whose SPF record redirects to it (RFC 7208 §6.1).
import re
zone = open(f'{out}/dns.zone').read()
served = {d} | {m.group(1).lower() for m in re.finditer(r'^(\S+?)\.\s+(?:\d+\s+)?IN\s+TXT\s+"v=spf1 redirect=' + re.escape(d) + r'"', zone, re.M)}
passing = failing = newly = 0
for rep in json.load(open(f'{out}/export-{d}.json')):
    for r in rep['records']:
        spf = [s for s in r['auth_results']['spf'] if s.get('scope') in (None, 'mfrom')]
        dom = (spf[0]['domain'] if spf else r['identifiers']['envelope_from']) or ''
        if dom.lower() not in served: continue
        if spf and spf[0]['result'] == 'pass': passing += r['count']
        else:
            failing += r['count']
            if r['policy_evaluated']['dkim'] != 'pass' and r['policy_evaluated']['spf'] != 'pass': newly += r['count']
# Our engine agrees with every reported result when nothing changes (the zone is the world's DNS).
assert w['base']['more_spf_pass_messages'] == 0 and w['base']['fewer_spf_pass_messages'] == 0, w['base']
assert w['base']['evaluated_pairs'] == w['base']['pairs'] > 0
assert w['minus']['fewer_spf_pass_messages'] == passing and w['minus']['more_spf_pass_messages'] == 0, (w['minus'], passing)
assert w['plus']['more_spf_pass_messages'] == failing and w['plus']['more_spf_pass_aligned_messages'] == failing, (w['plus'], failing)
assert w['plus']['newly_dmarc_pass_messages'] == newly and failing > 0, (w['plus'], newly)
assert w['plus']['changes'] and all(c['spf_domain'] in served for c in w['plus']['changes'])
PY
  else
    failn=$((failn + 1)); echo "FAIL: nsd did not start:"; cat "$work/nsd.err"
  fi
else
  echo "SKIPPED (part): nsd is not installed (apt-get install -y nsd): --with not tested"
fi

# PostgreSQL: the same store copied over, the same figures.
if [ -n "${DMARCSIGHT_TEST_PG:-}" ]; then
  . "$(dirname "$0")/pg_lib.sh"
  pg_need_server
  for world in "${worlds[@]}"; do
    name=$(basename "$world" .json)
    out="$work/$name"
    [ -f "$out/s.db" ] || continue
    pg_name=$(pg_unique_name policy)
    pg_names+=("$pg_name")
    pg_create_db "$pg_name"
    pg=$(pg_uri "$pg_name")
    "$bin" ingest --db "$pg" --quiet "$out/reports"; check "$name: ingest into PostgreSQL" test $? -eq 0
    "$bin" enrich --db "$pg" --zone "$out/dns.zone" --quiet; check "$name: enrich on PostgreSQL" test $? -eq 0
    run_world "$name (PostgreSQL)" "$out" "$pg"
    d=$(python3 -c "import json,sys; print(sorted(json.load(open(sys.argv[1]))['simulation'])[0])" "$out/truth.json")
    "$bin" policy --db "$out/s.db" --domain "$d" --adkim s --zone "$out/dns.zone" --format json > "$out/strict-sqlite.json"
    "$bin" policy --db "$pg" --domain "$d" --adkim s --zone "$out/dns.zone" --format json > "$out/strict-pg.json"
    check "$name: PostgreSQL and SQLite give the same document (strict alignment)" cmp "$out/strict-sqlite.json" "$out/strict-pg.json"
  done
else
  echo "SKIPPED (part): DMARCSIGHT_TEST_PG is not set (ctest's postgres fixture sets it): PostgreSQL not tested"
fi

echo "policy: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
