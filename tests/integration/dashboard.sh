#!/usr/bin/env bash
# The web dashboard of `dmarcsight serve` end to end in a real browser (Debian's Chromium driven by
# playwright-core, tests/e2e/dashboard.js) over a scenario store (../shared/scenario, enriched from
# its zone) plus a hostile report of our own: the numbers shown equal the CLI's JSON on the same
# store, clicks lead from the overview to a failing source, hostile strings render as text, no CSP
# violation, a customer sees only its domain (403 for the others), logout ends the session.
# Exit 77 (skipped) without Chromium, playwright-core or ../shared.
set -u
bin=${1:?usage: dashboard.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
shared=$project/../shared
gen="$shared/scenario/gen_scenario.py"
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then echo "SKIPPED: $chromium is absent"; exit 77; fi
if [ ! -d "$project/node_modules/playwright-core" ]; then echo "SKIPPED: $project/node_modules/playwright-core is absent"; exit 77; fi
if ! command -v node >/dev/null 2>&1; then echo "SKIPPED: node is absent"; exit 77; fi
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (the scenario generator lives in ../shared)"; exit 77; fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 60 "$work/out"; fi
}
finish() {
  echo "dashboard: $pass passed, $failn failed"
  [ "$failn" -eq 0 ] || exit 1
  exit 0
}

shots=${DMARCSIGHT_E2E_SCREENSHOTS:-${TMPDIR:-/tmp}/dmarcsight-e2e-screenshots}
mkdir -p "$shots"
db="$work/s.db"

# 1. The store: world-a at scale 1 (a few seconds), enriched from its zone, plus a hostile report.
python3 "$gen" --world "$shared/scenario/world-a.json" --out "$work/scenario" --quiet
check "the scenario generator runs" test $? -eq 0
"$bin" ingest --db "$db" --quiet "$work/scenario/reports"
check "ingest the scenario" test $? -eq 0
if [ -f "$work/scenario/dns.zone" ]; then
  "$bin" enrich --db "$db" --zone "$work/scenario/dns.zone" --quiet
  check "enrich from the scenario's zone" test $? -eq 0
fi

# A valid RFC 7489 aggregate report whose reporter and header From are markup.
hbegin=$(python3 -c 'import json,sys,datetime as d; x=json.load(sys.stdin); t=d.datetime.fromisoformat(min(r["first_seen"] for r in x)).replace(tzinfo=d.timezone.utc); print(int(t.timestamp()))' \
  < <("$bin" domains --db "$db" --format json))
cat > "$work/hostile.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>&lt;script&gt;window.__pwned=1&lt;/script&gt;Evil Org</org_name>
    <email>noreply-dmarc@evil.example</email>
    <report_id>dmarcsight-e2e-hostile-$$-$(date +%s)</report_id>
    <date_range>
      <begin>$hbegin</begin>
      <end>$((hbegin + 86399))</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>hostile.example</domain>
    <adkim>r</adkim>
    <aspf>r</aspf>
    <p>none</p>
    <sp>none</sp>
    <pct>100</pct>
  </policy_published>
  <record>
    <row>
      <source_ip>192.0.2.66</source_ip>
      <count>7</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>fail</dkim>
        <spf>fail</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>&lt;img src=x onerror="window.__pwned=2"&gt;hostile.example</header_from>
      <envelope_from>hostile.example</envelope_from>
    </identifiers>
    <auth_results>
      <spf>
        <domain>hostile.example</domain>
        <scope>mfrom</scope>
        <result>fail</result>
      </spf>
    </auth_results>
  </record>
</feedback>
EOF
"$bin" ingest --db "$db" --quiet "$work/hostile.xml"
check "ingest the hostile report" test $? -eq 0
"$bin" sources --db "$db" --domain hostile.example --format json > "$work/hostile-sources.json"
check "the hostile strings are stored verbatim" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert len(r)==1 and r[0]["source_ip"]=="192.0.2.66", r
assert r[0]["header_from"]==["<img src=x onerror=\"window.__pwned=2\">hostile.example"], r[0]["header_from"]
assert r[0]["reporters"]==["<script>window.__pwned=1</script>Evil Org"], r[0]["reporters"]' "$work/hostile-sources.json"

# Which domains the browser looks at: the customer's is the second largest scenario domain (not
# the one the overview picks by default), the other domain the largest.
"$bin" domains --db "$db" --format json > "$work/domains.json"
read -r cust_domain other_domain < <(python3 -c '
import json,sys; d=[x for x in json.load(open(sys.argv[1])) if x["policy_domain"]!="hostile.example"]
d.sort(key=lambda x: -x["messages"]); print(d[1]["policy_domain"], d[0]["policy_domain"])' "$work/domains.json")
check "two scenario domains to look at" test -n "$cust_domain" -a -n "$other_domain"

# 2. Users, passwords from files.
admin_pw="admin-pw-$RANDOM-$RANDOM-e2e"; cust_pw="cust-pw-$RANDOM-$RANDOM-e2e"
printf '%s\n' "$admin_pw" > "$work/admin.pw"; printf '%s\n' "$cust_pw" > "$work/cust.pw"
"$bin" user add admin --all-domains --db "$db" --password-file "$work/admin.pw" >/dev/null
check "add the admin user" test $? -eq 0
"$bin" user add cust --domain "$cust_domain" --db "$db" --password-file "$work/cust.pw" >/dev/null
check "add the customer user" test $? -eq 0

# 3. What the CLI says about the store, for the browser to compare with. `alerts` with the
# scenario's zone checks each domain's DNS and keeps the findings (the posture page shows them).
mkdir -p "$work/cli"
if [ -f "$work/scenario/dns.zone" ]; then
  "$bin" alerts --db "$db" --zone "$work/scenario/dns.zone" --format json > "$work/cli/alerts.json"
  check "alerts with the DNS rules keep the findings" test $? -eq 0
fi
for d in $(python3 -c 'import json,sys; print(" ".join(x["policy_domain"] for x in json.load(open(sys.argv[1]))))' "$work/domains.json"); do
  "$bin" policy --db "$db" --domain "$d" --offline --format json > "$work/cli/policy-$d.json"
done
"$bin" sources --db "$db" --domain "$cust_domain" --format json > "$work/cli/sources.json"
python3 - "$work" "$cust_domain" > "$work/expect.json" <<'EOF'
import json, os, sys
work, dom = sys.argv[1], sys.argv[2]
domains = json.load(open(os.path.join(work, "domains.json")))
policy = {d["policy_domain"]: json.load(open(os.path.join(work, "cli", "policy-" + d["policy_domain"] + ".json")))
          for d in domains}
# The findings the last DNS check kept, read from the store itself.
import sqlite3
con = sqlite3.connect("file:" + os.path.join(work, "s.db") + "?mode=ro", uri=True)
posture = {d: json.loads(f) for d, f in con.execute("SELECT domain, findings FROM dns_findings")}
json.dump({"domains": domains, "policy": policy, "sources": json.load(open(os.path.join(work, "cli", "sources.json"))),
           "sources_domain": dom, "posture": posture}, sys.stdout)
EOF
check "the expectations file" test -s "$work/expect.json"

# 4. The server, then the browser.
"$bin" serve --db "$db" --listen 127.0.0.1:0 2> "$work/serve.err" &
server_pid=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve.err")
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "FAIL: serve did not start:"; cat "$work/serve.err"; failn=$((failn + 1)); finish
fi
pass=$((pass + 1))

echo "screenshots in $shots"
start=$(date +%s%N)
(cd "$project" && node tests/e2e/dashboard.js --port "$port" --out "$shots" \
  --admin-password "$admin_pw" --cust-password "$cust_pw" \
  --cust-domain "$cust_domain" --other-domain "$other_domain" --expect "$work/expect.json") > "$work/e2e.out" 2>&1
rc=$?
cat "$work/e2e.out"
echo "browser checks took $(( ($(date +%s%N) - start) / 1000000 )) ms"
if [ $rc -eq 0 ]; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: the browser checks (exit $rc)"; fi

kill -TERM "$server_pid"
wait "$server_pid"
check "serve stops cleanly on SIGTERM (exit 0)" test $? -eq 0
server_pid=
finish
