#!/usr/bin/env bash
# Alerts against scenarios with ground truth (../shared/scenario): for world-a, our own worlds
# under tests/fixtures/scenario/ and world-a at --scale 3, every `events` entry of truth.json is
# alerted on its day and nothing else fires. Then on world-a: settling (an alert is provisional
# until 48 h after its day ends), --ack, --mute / --mutes / --unmute, --exit-code, --dry-run
# keeping nothing, the DNS rules from the scenario's zone (a first run fires nothing, a changed
# DMARC record fires one dns_change, silence past 48 h fires no_reports for every domain
# publishing rua=), and --send to a webhook and to a real Postfix (notify.sh's servers): each
# settled alert delivered once, a failing channel retried without sending the others again. The
# same truth comparison runs on PostgreSQL when DMARCSIGHT_TEST_PG names a server.
#
#   alerts.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]
#
# Exit 77 (skipped) without ../shared.
set -u
bin=${1:?usage: alerts.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
gen="$shared/scenario/gen_scenario.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (the scenario generator lives in ../shared)"; exit 77; fi
work=$(mktemp -d)
pg_db=""
cleanup() {
  [ -n "$pg_db" ] && pg_drop_db "$pg_db"
  [ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null
  [ -d "$work/postfix" ] && bash "$project/scripts/stop-postfix.sh" "$work/postfix" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}

# equals_truth ALERTS_JSON TRUTH_JSON: the (day, kind, domain, source, reporter) of every alert
# of a data rule equal truth's events, each once.
equals_truth() {
  python3 - "$1" "$2" <<'PY'
import collections, json, sys
alerts = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))
key = lambda e: (e["day"], e["kind"], e["domain"], e["source"], e["reporter"])
got = collections.Counter(key(a) for a in alerts if a["kind"] not in ("dns_change", "no_reports"))
want = collections.Counter(key(e) for e in truth["events"])
assert got == want, f"missing {sorted(want - got, key=str)} extra {sorted(got - want, key=str)}"
for a in alerts:
    assert len(a["id"]) == 16 and a["severity"] in ("critical", "warning", "info") and a["detail"], a
print(len(want), "events")
PY
}

worlds=("$shared/scenario/world-a.json")
for w in "$project"/tests/fixtures/scenario/*.json; do [ -f "$w" ] && worlds+=("$w"); done
for world in "${worlds[@]}"; do
  name=$(basename "$world" .json)
  out="$work/$name"
  python3 "$gen" --world "$world" --out "$out" --quiet || { failn=$((failn + 1)); echo "FAIL: $name: the generator failed"; continue; }
  "$bin" ingest --db "$out/s.db" --quiet "$out/reports"; check "$name: ingest" test $? -eq 0
  "$bin" alerts --db "$out/s.db" --no-dns --format json > "$out/alerts.json"; check "$name: alerts exits 0" test $? -eq 0
  check "$name: the alerts are truth's events" equals_truth "$out/alerts.json" "$out/truth.json"
done
out="$work/scale3"
if python3 "$gen" --world "$shared/scenario/world-a.json" --out "$out" --scale 3 --quiet; then
  "$bin" ingest --db "$out/s.db" --quiet "$out/reports"
  "$bin" alerts --db "$out/s.db" --no-dns --format json > "$out/alerts.json"
  check "world-a --scale 3: the alerts are truth's events (repeated per block and domain copy)" equals_truth "$out/alerts.json" "$out/truth.json"
else
  failn=$((failn + 1)); echo "FAIL: world-a --scale 3: the generator failed"
fi

out="$work/world-a"; db="$out/s.db"
state_of() {  # state_of JSON KIND: the state of the first alert of that kind
  python3 -c "import json,sys; print([a['state'] for a in json.load(open(sys.argv[1])) if a['kind']==sys.argv[2]][0])" "$1" "$2"
}
id_of() { python3 -c "import json,sys; print([a['id'] for a in json.load(open(sys.argv[1])) if a['kind']==sys.argv[2]][0])" "$1" "$2"; }

# Settling, on a store that has no alert history yet: at 2026-10-13 12:00 the alerts of 10-11 and
# 10-12 are provisional, 10-09's settled; later every one is settled, and settled is for good.
early="$out/early.db"
cp "$db" "$early"; sqlite3 "$early" "DELETE FROM alerts"
"$bin" alerts --db "$early" --no-dns --format json --now 2026-10-13T12:00:00Z > "$out/early.json"
check "an alert is provisional until 48 h after its day" test "$(state_of "$out/early.json" reporter_gap)" = provisional
check "an older alert is settled (pending: no channel)" test "$(state_of "$out/early.json" new_source)" = pending
check "provisional and settled alerts are kept as such" \
  test "$(sqlite3 "$early" "SELECT sum(settled_at = 0) || '/' || sum(settled_at > 0) FROM alerts")" = 2/3
"$bin" alerts --db "$early" --no-dns --format json > "$out/late.json"
check "later they settle" test "$(state_of "$out/late.json" reporter_gap)" = pending
check "every alert is kept once, settled" test "$(sqlite3 "$early" "SELECT count(*) || '/' || sum(settled_at > 0) FROM alerts")" = 5/5
sqlite3 "$early" "DELETE FROM alerts"
"$bin" alerts --db "$early" --no-dns --until 2026-10-11 --now 2026-10-12T01:00:00Z --format json > "$out/partial.json"
check "a provisional alert that late reports undo is dropped" python3 -c "
import json,sqlite3,sys; a=json.load(open(sys.argv[1])); assert a[-1]['kind']=='pass_rate_drop' and a[-1]['state']=='provisional', a
c=sqlite3.connect(sys.argv[2]); c.execute('UPDATE alerts SET detail=\'x\', day=\'2026-10-10\', id=\'00000000000000aa\' WHERE kind=\'pass_rate_drop\''); c.commit()" "$out/partial.json" "$early"
"$bin" alerts --db "$early" --no-dns --until 2026-10-11 --now 2026-10-12T01:00:00Z >/dev/null
check "(its row is gone, the real one is back)" test "$(sqlite3 "$early" "SELECT group_concat(id) FROM alerts WHERE kind='pass_rate_drop'")" = "$(id_of "$out/partial.json" pass_rate_drop)"

# --ack, --mute, --exit-code.
gap=$(id_of "$out/late.json" reporter_gap)
"$bin" alerts --db "$db" --ack "$gap" --note "Mimecast had an outage" >/dev/null; check "--ack" test $? -eq 0
"$bin" alerts --db "$db" --ack 0000000000000000 >/dev/null 2>&1; check "--ack of an unknown id is a usage error" test $? -eq 2
"$bin" alerts --db "$db" --no-dns --mute --kind new_source --mute-until 2099-01-01 --note "expected" > "$out/mute.txt"
check "--mute" grep -q "^mute rule 1:" "$out/mute.txt"
"$bin" alerts --db "$db" --mute --kind nonsense >/dev/null 2>&1; check "--mute --kind nonsense is a usage error" test $? -eq 2
"$bin" alerts --db "$db" --no-dns --format json > "$out/states.json"
check "an acknowledged alert says so" test "$(state_of "$out/states.json" reporter_gap)" = acked
check "a muted alert says so" test "$(state_of "$out/states.json" new_source)" = muted
"$bin" alerts --db "$db" --no-dns --exit-code >/dev/null; check "--exit-code: 1 while alerts fire" test $? -eq 1
"$bin" alerts --db "$db" --no-dns --exit-code --since 2026-10-12 --format json > "$out/since.json"
check "--since shows later days only (the acked gap only: exit 0)" python3 -c "
import json,sys; a=json.load(open(sys.argv[1])); assert [x['kind'] for x in a]==['reporter_gap'], a" "$out/since.json"
check "--mutes lists the rule" python3 -c "
import json,subprocess,sys; m=json.loads(subprocess.check_output([sys.argv[1],'alerts','--db',sys.argv[2],'--mutes','--format','json']))
assert [(x['id'],x['kind'],x['until']) for x in m]==[(1,'new_source','2099-01-01')], m" "$bin" "$db"
"$bin" alerts --db "$db" --unmute 1 >/dev/null; check "--unmute" test "$(sqlite3 "$db" "SELECT count(*) FROM alert_mutes")" = 0
"$bin" alerts --db "$db" --unmute 1 >/dev/null 2>&1; check "--unmute of an unknown rule is a usage error" test $? -eq 2

# --dry-run keeps nothing.
cp "$db" "$out/dry.db"
sqlite3 "$out/dry.db" "DELETE FROM alerts"
"$bin" alerts --db "$out/dry.db" --zone "$out/dns.zone" --dry-run --format json > "$out/dry.json"
check "--dry-run shows the alerts" equals_truth "$out/dry.json" "$out/truth.json"
check "--dry-run keeps no alert and no DNS finding" \
  test "$(sqlite3 "$out/dry.db" "SELECT (SELECT count(*) FROM alerts) + (SELECT count(*) FROM dns_findings)")" = 0

# DNS rules, from the scenario's zone.
now=2026-10-15T06:00:00Z
"$bin" alerts --db "$db" --zone "$out/dns.zone" --now $now --format json > "$out/dns1.json"
check "the first DNS run fires nothing (nothing to compare with), and reports are recent" python3 -c "
import json,sys; a=json.load(open(sys.argv[1])); assert not [x for x in a if x['kind'] in ('dns_change','no_reports')], a" "$out/dns1.json"
check "each domain's findings are kept" test "$(sqlite3 "$db" "SELECT count(*) FROM dns_findings")" = 4
"$bin" alerts --db "$db" --zone "$out/dns.zone" --now $now --format json > "$out/dns2.json"
check "the same DNS fires nothing" python3 -c "
import json,sys; a=json.load(open(sys.argv[1])); assert not [x for x in a if x['kind']=='dns_change'], a" "$out/dns2.json"
sed 's/^\(_dmarc\.acme-outdoor\.com\. IN TXT "v=DMARC1; p=\)reject/\1none/' "$out/dns.zone" > "$out/changed.zone"
check "the zone was changed" test "$(diff "$out/dns.zone" "$out/changed.zone" | grep -c '^>')" = 1
"$bin" alerts --db "$db" --zone "$out/changed.zone" --now $now --format json > "$out/dns3.json"
check "a changed DMARC record fires one dns_change for its domain, settled at once" python3 -c "
import json,sys; a=[x for x in json.load(open(sys.argv[1])) if x['kind']=='dns_change']
assert [(x['domain'],x['day'],x['state']) for x in a]==[('acme-outdoor.com','2026-10-15','pending')], a
assert 'p=none' in a[0]['detail'], a[0]['detail']" "$out/dns3.json"
"$bin" alerts --db "$db" --zone "$out/changed.zone" --now $now --format json > "$out/dns4.json"
check "the dns_change stays in the history and is not fired again" python3 -c "
import json,sys; a=[x for x in json.load(open(sys.argv[1])) if x['kind']=='dns_change']; assert len(a)==1, a" "$out/dns4.json"
"$bin" alerts --db "$db" --zone "$out/changed.zone" --now 2026-10-18T00:00:00Z --format json > "$out/silent.json"
check "no report for 48 h fires no_reports for each domain publishing rua=" python3 -c "
import json,sys; a=[x for x in json.load(open(sys.argv[1])) if x['kind']=='no_reports']
assert sorted(x['domain'] for x in a)==['acme-group.com','acme-outdoor.com','acme-outdoor.de','acmepay.io'], a
assert all(x['day']=='2026-10-17' and 'rua=' in x['detail'] for x in a), a" "$out/silent.json"

# --send: a webhook (tests/support/webhook_sink.py, whose first answer is a 500) and a real Postfix
# (scripts/start-postfix.sh): every settled alert that is neither acknowledged nor muted reaches
# each channel once; the failed webhook delivery is retried on the next run, the mail is not sent
# twice; a third run sends nothing. Then the digest, mailed once per week.
chmod 755 "$work"
mkdir -p "$work/hook"
python3 "$project/tests/support/webhook_sink.py" 0 "$work/hook" --fail-first 1 & sink_pid=$!
for _ in $(seq 100); do [ -s "$work/hook/port" ] && break; sleep 0.05; done
hook_port=$(cat "$work/hook/port" 2>/dev/null)
smtp_port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
bash "$project/scripts/start-postfix.sh" "$work/postfix" "$smtp_port" > "$work/postfix.log" 2>&1; started=$?
if [ $started -eq 77 ]; then
  echo "NOTE: Postfix (or root) is not available: the --send checks did not run"; tail -3 "$work/postfix.log"
elif [ $started -ne 0 ] || [ -z "$hook_port" ]; then
  failn=$((failn + 1)); echo "FAIL: Postfix or the webhook sink did not start"; tail -20 "$work/postfix.log"
else
  printf '%s\n' "[channels.hook]" 'type = "webhook"' "url = \"http://127.0.0.1:$hook_port/alerts\"" 'secret = "test-secret"' "" \
    "[channels.mail]" 'type = "smtp"' "url = \"smtp://127.0.0.1:$smtp_port\"" 'starttls = "required"' \
    "ca_file = \"$work/postfix/tls/cert.pem\"" 'from = "dmarcsight@example.test"' 'to = ["postmaster@example.test"]' > "$work/send.toml"
  chmod 600 "$work/send.toml"
  "$bin" --config "$work/send.toml" alerts --db "$db" --no-dns --send --format json > "$out/send1.json" 2> "$out/send1.err"
  rc=$?
  check "--send: the webhook's 500 exits 1 and names the channel" bash -c "test $rc -eq 1 && grep -q 'to channel hook: ' '$out/send1.err'"
  "$bin" --config "$work/send.toml" alerts --db "$db" --no-dns --send --format json > "$out/send2.json" 2> "$out/send2.err"
  check "--send again: the failed delivery is retried, exit 0" test $? -eq 0
  check "each settled alert (not acked, not muted) reached the webhook once, signed" python3 - "$work/hook" "$out/send2.json" <<'PY'
import glob, hashlib, hmac, json, os, sys
hook, alerts = sys.argv[1], json.load(open(sys.argv[2]))
want = sorted(a["id"] for a in alerts if a["state"] not in ("acked", "muted", "provisional"))
assert want and sorted(a["id"] for a in alerts if a["state"] == "sent") == want, alerts
got = []
for f in sorted(glob.glob(os.path.join(hook, "*.body"))):
    meta = json.load(open(f[:-5] + ".json"))
    if meta["status"] != 200: continue
    body = open(f, "rb").read()
    h = {k.lower(): v for k, v in meta["headers"].items()}
    mac = hmac.new(b"test-secret", (h["x-dmarcsight-timestamp"] + ".").encode() + body, hashlib.sha256).hexdigest()
    assert h["x-dmarcsight-signature"] == "sha256=" + mac, h
    j = json.loads(body)
    assert h["x-dmarcsight-id"] == j["data"]["id"], (h, j)
    got.append(j["data"]["id"])
assert sorted(got) == want, (got, want)
PY
  check "each one reached the Postfix Maildir once" python3 - "$work/postfix/Maildir" "$out/send2.json" <<'PY'
import email, glob, json, os, sys
alerts = json.load(open(sys.argv[2]))
want = sorted(a["id"] for a in alerts if a["state"] == "sent")
files = [f for f in glob.glob(os.path.join(sys.argv[1], "**", "*"), recursive=True) if os.path.isfile(f) and ("/new/" in f or "/cur/" in f)]
ids = []
for f in files:
    m = email.message_from_binary_file(open(f, "rb"))
    assert m["From"] == "dmarcsight@example.test" and "[dmarcsight]" in str(m["Subject"]), (m["From"], m["Subject"])
    part = m if not m.is_multipart() else m.get_payload(0)
    text = part.get_payload(decode=True).decode()
    ids += [w for w in text.replace("(", " ").replace(")", " ").split() if w in want]
assert sorted(set(ids)) == want and len(files) == len(want), (len(files), ids, want)
PY
  before=$(ls "$work/hook"/*.body | wc -l)
  "$bin" --config "$work/send.toml" alerts --db "$db" --no-dns --send > /dev/null 2>&1
  check "a third --send sends nothing" test "$(ls "$work/hook"/*.body | wc -l)" = "$before"
  "$bin" --config "$work/send.toml" digest --db "$db" --now 2026-10-13T08:00:00Z --send > "$out/digest1.txt" 2>&1
  check "digest --send mails the week once" grep -q "mail: sent the digest of Week of 2026-10-05" "$out/digest1.txt"
  "$bin" --config "$work/send.toml" digest --db "$db" --now 2026-10-13T09:00:00Z --send > "$out/digest2.txt" 2>&1
  check "a second digest --send of the same week sends nothing" grep -q "was sent on" "$out/digest2.txt"
  check "the digest is in the Maildir, text and HTML" python3 - "$work/postfix/Maildir" <<'PY'
import email, glob, os, sys
found = []
for f in glob.glob(os.path.join(sys.argv[1], "**", "*"), recursive=True):
    if not os.path.isfile(f) or not ("/new/" in f or "/cur/" in f): continue
    m = email.message_from_binary_file(open(f, "rb"))
    if str(m["Subject"]).startswith("DMARC digest, Week of 2026-10-05"): found.append(m)
assert len(found) == 1, len(found)
types = [p.get_content_type() for p in found[0].walk()]
assert "text/plain" in types and "text/html" in types, types
html = [p for p in found[0].walk() if p.get_content_type() == "text/html"][0].get_payload(decode=True).decode()
assert "<h2>acme-outdoor.com</h2>" in html and "What to fix first" in html, html[:500]
PY
fi

# PostgreSQL: the same truth on the other driver.
if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null; then
  # shellcheck source=pg_lib.sh
  . "$project/tests/integration/pg_lib.sh"
  pg_db=$(pg_unique_name alerts); pg_create_db "$pg_db"; uri=$(pg_uri "$pg_db")
  "$bin" ingest --db "$uri" --quiet "$out/reports"; check "PostgreSQL: ingest" test $? -eq 0
  "$bin" alerts --db "$uri" --no-dns --format json --now 2026-10-13T12:00:00Z > "$out/pg-early.json"
  check "PostgreSQL: provisional as on SQLite" test "$(state_of "$out/pg-early.json" reporter_gap)" = provisional
  "$bin" alerts --db "$uri" --zone "$out/dns.zone" --now $now --format json > "$out/pg.json"
  check "PostgreSQL: the alerts are truth's events" equals_truth "$out/pg.json" "$out/truth.json"
  gap=$(id_of "$out/pg.json" reporter_gap)
  "$bin" alerts --db "$uri" --ack "$gap" >/dev/null
  "$bin" alerts --db "$uri" --zone "$out/changed.zone" --now $now --format json > "$out/pg2.json"
  check "PostgreSQL: ack and dns_change as on SQLite" python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))
assert [x['state'] for x in a if x['kind']=='reporter_gap']==['acked'], a
assert [x['domain'] for x in a if x['kind']=='dns_change']==['acme-outdoor.com'], a" "$out/pg2.json"
  check "PostgreSQL: alerts kept once" test "$(psql "$uri" -XAtqc "SELECT count(*) FROM alerts")" = 6
  if [ -f "$work/send.toml" ]; then
    # Two workers sending at once: the claims let each (alert, channel) go out once in all.
    before=$(ls "$work/hook"/*.body | wc -l)
    "$bin" --config "$work/send.toml" alerts --db "$uri" --no-dns --send > /dev/null 2> "$out/pg-send-a.err" &
    "$bin" --config "$work/send.toml" alerts --db "$uri" --no-dns --send > /dev/null 2> "$out/pg-send-b.err"
    wait $!
    "$bin" --config "$work/send.toml" alerts --db "$uri" --no-dns --format json > "$out/pg-sent.json"
    check "PostgreSQL: two workers at once deliver each settled alert once to each channel" python3 - "$work/hook" "$before" "$out/pg-sent.json" "$uri" <<'PY'
import glob, json, os, subprocess, sys
hook, before, alerts, uri = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3])), sys.argv[4]
want = sorted(a["id"] for a in alerts if a["state"] not in ("acked", "muted", "provisional"))
assert want and all(a["state"] == "sent" for a in alerts if a["id"] in want), alerts
bodies = sorted(glob.glob(os.path.join(hook, "*.body")))[before:]
got = sorted(json.loads(open(f, "rb").read())["data"]["id"] for f in bodies)
assert got == want, (got, want)
rows = subprocess.check_output(["psql", uri, "-XAtqc", "SELECT count(*), sum(attempts) FROM alert_deliveries WHERE delivered_at > 0"]).decode().strip()
assert rows == f"{2 * len(want)}|{2 * len(want)}", rows
PY
  fi
else
  echo "NOTE: DMARCSIGHT_TEST_PG is unset: the PostgreSQL run was skipped"
fi

echo "alerts: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
