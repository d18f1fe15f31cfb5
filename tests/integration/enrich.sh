#!/usr/bin/env bash
# Enrichment end to end against a real DNS server: NSD serves the world-a scenario's zone (root
# SOA, PTR + A/AAAA of every legitimate source, spoofers' PTRs), `dmarcsight ingest` stores the
# scenario's reports and `dmarcsight enrich --server` looks every source IP up through c-ares with
# many queries in flight. Checked against truth.json; the time taken is printed.
# Exit 77 (skipped, see SKIP_RETURN_CODE in CMakeLists.txt) without /work/shared or nsd.
set -u
bin=${1:?usage: enrich.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
gen="$shared/scenario/gen_scenario.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent"; exit 77; fi
nsd_bin=$(command -v nsd || echo /usr/sbin/nsd)
if [ ! -x "$nsd_bin" ]; then echo "SKIPPED: nsd is not installed (apt-get install -y nsd)"; exit 77; fi
checkzone=$(command -v nsd-checkzone || echo /usr/sbin/nsd-checkzone)

work=$(mktemp -d)
nsd_pid=""
cleanup() {
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null; for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done; fi
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }

python3 "$gen" --world "$shared/scenario/world-a.json" --out "$work/wa" --quiet || { echo "FAIL: gen_scenario.py"; exit 1; }
"$checkzone" . "$work/wa/dns.zone" >/dev/null || { echo "FAIL: nsd-checkzone refuses dns.zone"; exit 1; }

# A port free on 127.0.0.1 for UDP and TCP (15353 when free).
port=$(python3 - <<'PY'
import socket
def free(p):
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(('127.0.0.1', u.getsockname()[1]))
        p = u.getsockname()[1]; u.close(); t.close(); return p
    except OSError:
        return None
print(free(15353) or free(0))
PY
)
nsd_pid=$(sh "$project/scripts/start-nsd.sh" "$work/nsd" "$port" ".=$work/wa/dns.zone" 2>"$work/nsd.err") || {
  echo "FAIL: nsd did not start:"; cat "$work/nsd.err"; exit 1; }
server="127.0.0.1:$port"

db="$work/e.db"
"$bin" ingest --db "$db" -q "$work/wa/reports"; rc=$?
check "ingest of world-a exits 0" eq "$rc" 0
ips=$(sqlite3 "$db" "select count(distinct source_ip) from source_facts")

start=$(date +%s.%N)
"$bin" enrich --db "$db" --server "$server" --format json >"$work/enrich.json" 2>"$work/enrich.err"; rc=$?
end=$(date +%s.%N)
check "enrich exits 0" eq "$rc" 0
[ "$rc" = 0 ] || cat "$work/enrich.err"
secs=$(python3 -c "print(f'{$end - $start:.2f}')")
rate=$(python3 -c "print(f'{$ips / max($end - $start, 1e-9):.0f}')")
echo "[ measured ] enrich: $ips IPs against NSD ($server) in $secs s = $rate IPs/s"

check "every distinct source IP has a row" eq "$(sqlite3 "$db" "select count(*) from ip_info")" "$ips"
check "no errors" eq "$(sqlite3 "$db" "select count(*) from ip_info where status='error'")" 0
check "resolver trusted, summary counts" python3 - "$work/enrich.json" "$ips" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j['resolver_trusted'] is True, j
assert j['looked_up'] == int(sys.argv[2]), j
assert j['ptr_found'] + j['no_ptr'] + j['errors'] == j['looked_up'], j
assert '2022' in j['geo_database'] or not j['geo_available'], j
PY

# Against the truth: every legitimate source with a forward-confirmed PTR has fcrdns=1 and the
# same name; no spoofer is forward-confirmed; spoofers without PTR are no_ptr.
check "ip_info agrees with truth.json" python3 - "$db" "$work/wa/truth.json" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {r[0]: r for r in db.execute("select ip, ptr, fcrdns, status, base_domain from ip_info")}
truth = json.load(open(sys.argv[2]))
confirmed = bad = 0
for dom in truth['domains'].values():
    for ip, s in dom['sources'].items():
        r = rows.get(ip)
        if r is None:
            print('  no row for', ip); bad += 1; continue
        if s.get('fcrdns'):
            confirmed += 1
            if r[2] != 1 or r[1] != s['ptr'] or r[3] != 'ok' or not r[4] or not s['ptr'].endswith(r[4]):
                print('  legitimate', ip, s['ptr'], '->', r); bad += 1
        elif s['class'] == 'spoofing' and r[2] != 0:
            print('  spoofer confirmed', ip, r); bad += 1
assert confirmed > 50, confirmed
sys.exit(1 if bad else 0)
PY

# Cached: a second run looks nothing up; --refresh looks everything up again.
out=$("$bin" enrich --db "$db" --server "$server" --format json); rc=$?
check "second run exits 0" eq "$rc" 0
check "second run looks nothing up" eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["looked_up"])' <<<"$out")" 0
out=$("$bin" enrich --db "$db" --server "$server" --refresh --domain acme-outdoor.de --format json); rc=$?
check "--refresh --domain looks that domain's sources up again" python3 -c '
import json,sys; j=json.load(sys.stdin); assert 0 < j["looked_up"] < '"$ips"', j' <<<"$out"

# Offline keeps the DNS facts and only sets the network.
before=$(sqlite3 "$db" "select count(*) from ip_info where fcrdns=1")
"$bin" enrich --db "$db" --offline --refresh >/dev/null; rc=$?
check "offline exits 0" eq "$rc" 0
check "offline keeps forward-confirmed PTRs" eq "$(sqlite3 "$db" "select count(*) from ip_info where fcrdns=1")" "$before"

# A server that is not there: an environment error (2), nothing cached.
dead=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" enrich --db "$db" --server "127.0.0.1:$dead" --refresh >/dev/null 2>&1; rc=$?
check "unreachable server is exit 2" eq "$rc" 2

# ingest --enrich on a few reports (the same server).
db2="$work/i.db"
mkdir "$work/few"; ls "$work/wa/reports" | head -n 5 | while read -r f; do cp "$work/wa/reports/$f" "$work/few/"; done
out=$("$bin" ingest --db "$db2" --enrich --enrich-server "$server" "$work/few"); rc=$?
check "ingest --enrich exits 0" eq "$rc" 0
check "ingest --enrich filled ip_info" eq "$(sqlite3 "$db2" "select count(*) from ip_info")" "$(sqlite3 "$db2" "select count(distinct source_ip) from source_facts")"
case "$out" in *"enriched "*) pass=$((pass+1));; *) failn=$((failn+1)); echo "FAIL: ingest --enrich summary: $out";; esac

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
