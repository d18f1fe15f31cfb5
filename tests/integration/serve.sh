#!/usr/bin/env bash
# `dmarcsight serve` end to end: the JSON API and /metrics over a store the CLI also reads, on
# SQLite (and on PostgreSQL when DMARCSIGHT_TEST_PG names a server): every answer equals the CLI's
# `--format json` on the same store (tests/integration/serve_client.py), every GET path answers what
# docs/openapi.json says (openapi_check.py), errors are JSON with the
# security headers, a report ingested beside the running server shows in its next answer,
# listening beyond loopback is refused (no users yet), SIGTERM stops it cleanly.
set -u
bin=${1:?usage: serve.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
# shellcheck source=tests/integration/pg_lib.sh
. "$project/tests/integration/pg_lib.sh"
work=$(mktemp -d)
pg_dbs=()
pg_roles=()
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done
  # Roles after the databases their grants were in.
  for r in "${pg_roles[@]}"; do pg_sql -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}

# start_server DB: serves DB on a free loopback port; sets server_pid and port.
start_server() {
  : > "$work/serve.err"
  "$bin" serve --db "$1" --listen 127.0.0.1:0 "${@:2}" 2> "$work/serve.err" &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve.err")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "serve did not start:"; cat "$work/serve.err"; return 1
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid"
  local rc=$?
  server_pid=
  return $rc
}

examples=("$project"/examples/reports/*)
late="$project/examples/reports/mimecast-example.com.xml"

run_store() {  # run_store NAME DB
  local name=$1 db=$2
  local first=() f
  for f in "${examples[@]}"; do [ "$f" = "$late" ] || first+=("$f"); done
  "$bin" ingest --db "$db" --quiet "${first[@]}" >/dev/null 2>&1
  "$bin" stats --db "$db" --format json > "$work/stats.json"
  "$bin" domains --db "$db" --format json > "$work/domains.json"
  since=$(python3 -c 'import datetime,json,sys; d=json.load(open(sys.argv[1])); print(datetime.date.fromisoformat(min(x["first_seen"] for x in d)) + datetime.timedelta(days=1))' "$work/domains.json")
  "$bin" domains --db "$db" --since "$since" --format json > "$work/domains-since.json"
  # The analysis documents, as the CLI prints them (serve_client.py asks the API for the same).
  local cli="$work/cli-$name"
  mkdir -p "$cli"
  "$bin" sources --db "$db" --format json > "$cli/sources.json"
  "$bin" sources --db "$db" --format json --limit 3 > "$cli/sources-top3.json"
  "$bin" sources --db "$db" --format json --domain example.com --group service > "$cli/sources-service.json"
  "$bin" sources --db "$db" --format json --class spoofing > "$cli/sources-spoofing.json"
  "$bin" sources --db "$db" --format json --class spoofing --group country > "$cli/sources-spoofing-country.json"
  "$bin" policy --db "$db" --domain example.com --offline --format json > "$cli/policy.json"
  "$bin" policy --db "$db" --domain example.com --offline --format json --p quarantine --pct 50 --aspf s > "$cli/policy-q.json"
  "$bin" trends --db "$db" --format json > "$cli/trends.json"
  "$bin" trends --db "$db" --domain example.com --by week --format json > "$cli/trends-week.json"
  "$bin" failures --db "$db" --format json > "$cli/failures.json"
  "$bin" tls --db "$db" --format json > "$cli/tls.json"
  # DNS findings kept for example.com (what /api/v1/posture answers), from a zone of our own.
  printf '%s\n' '$ORIGIN example.com.' '@ 3600 IN TXT "v=spf1 -all"' '@ 3600 IN MX 10 mx.example.com.' \
    '_dmarc 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"' > "$work/example.zone"
  "$bin" alerts --db "$db" --zone "$work/example.zone" --domain example.com >/dev/null 2>&1
  "$bin" alerts --db "$db" --no-dns --dry-run --format json > "$cli/alerts.json"
  "$bin" trends --db "$db" --domain example.com --by day --format json > "$work/trends-day.json"
  start_server "$db" || { failn=$((failn + 1)); return; }
  # Once the store is quiet the server answers the dashboard's first pages ahead
  # (web/prefetch.hpp): the overview's first question is then a kept answer, and the CLI's.
  check "$name: the overview's first answer was computed ahead" python3 - "$port" "$work/trends-day.json" <<'PY'
import http.client, json, re, sys, time
def get(path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    assert r.status == 200, (path, r.status)
    return r.read().decode()
def counter(text, name):
    m = re.search("^" + re.escape(name) + r" (\d+)$", text, re.M)
    assert m, name
    return int(m.group(1))
def rounds_done(n):
    deadline = time.time() + 60
    while counter(get("/metrics"), "dmarcsight_serve_prefetch_rounds_total") < n:
        assert time.time() < deadline, "no round %d of answers ahead within 60 s" % n
        time.sleep(0.2)
rounds_done(1)
# Kept answers hold within their UTC hour: near its end, wait for the next hour's round.
if 3600 - time.time() % 3600 < 20:
    time.sleep(3600 - time.time() % 3600 + 1)
    rounds_done(2)
m = get("/metrics")
assert counter(m, "dmarcsight_serve_prefetched_total") >= 9, m
kept = counter(m, 'dmarcsight_serve_answers_total{from="kept"}')
computed = counter(m, 'dmarcsight_serve_answers_total{from="computed"}')
assert json.loads(get("/api/v1/trends?domain=example.com&by=day")) == json.load(open(sys.argv[2]))
m = get("/metrics")
assert counter(m, 'dmarcsight_serve_answers_total{from="kept"}') == kept + 1, m
assert counter(m, 'dmarcsight_serve_answers_total{from="computed"}') == computed, m
PY
  check "$name: the API equals the CLI, errors and headers" \
    python3 "$project/tests/integration/serve_client.py" "$port" "$work/stats.json" "$work/domains.json" "$work/domains-since.json" "$since" "$cli"
  check "$name: every GET path of docs/openapi.json answers what the file says" \
    python3 "$project/tests/integration/openapi_check.py" "$port" "$project/docs/openapi.json"
  # Ingest writes beside the running server; its next answer has the new report, also where the
  # server kept an answer (web/answer_cache.hpp: kept while the store is unchanged).
  check "$name: an answer asked twice is the same (the second one kept)" python3 - "$port" <<'PY'
import http.client, sys
def get(path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.getheader("X-Total-Count"), r.read()
for path in ("/api/v1/domains", "/api/v1/sources?limit=2", "/api/v1/trends?by=week", "/api/v1/policy?domain=example.com"):
    a, b = get(path), get(path)
    assert a[0] == 200 and a == b, (path, a[:2], b[:2])
# A browser (gzip): the kept answer goes compressed as it was kept, the same document.
import gzip
def get_gzip(path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("GET", path, headers={"Accept-Encoding": "gzip, deflate, br"})
    r = c.getresponse()
    body = r.read()
    return r.status, r.getheader("Content-Encoding"), gzip.decompress(body) if r.getheader("Content-Encoding") == "gzip" else body
plain = get("/api/v1/sources?limit=0")
assert len(plain[2]) > 1024, len(plain[2])
for _ in range(2):
    st, enc, body = get_gzip("/api/v1/sources?limit=0")
    assert st == 200 and enc == "gzip" and body == plain[2], (st, enc, len(body), len(plain[2]))
# A value holding '&' and '=' is another question (here a bad one), not the kept answer of the
# request its text would spell.
assert get("/api/v1/sources?class=spoofing&limit=2")[0] == 200
assert get("/api/v1/sources?class=spoofing%26limit%3D2")[0] == 400
PY
  # Changes from the page: an alert acknowledged, a mute rule added and removed — the rows
  # `alerts --ack` / `--mute` / `--unmute` write, seen at once by the API (its kept answers go
  # stale) and by the CLI.
  check "$name: acknowledge and mute from the API, as the CLI sees them" python3 - "$port" "$bin" "$db" <<'PY'
import http.client, json, subprocess, sys
port, bin, db = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def call(method, path, body=None, ctype="application/json", host=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": ctype} if body is not None else {}
    if host: h["Host"] = host
    c.request(method, path, body=None if body is None else (body if isinstance(body, str) else json.dumps(body)), headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None)
def cli(*args):
    return json.loads(subprocess.run([bin, "alerts", "--db", db, *args], check=True, capture_output=True, text=True).stdout)
st, alerts = call("GET", "/api/v1/alerts?domain=example.com")
assert st == 200 and alerts, (st, alerts)
assert call("GET", "/api/v1/alerts?domain=example.com") == (st, alerts)  # kept
a = next(x for x in alerts if x["state"] != "acked")
st, j = call("POST", "/api/v1/alerts/ack", {"id": a["id"], "note": "seen <b>here</b>"})
assert st == 200 and j["state"] == "acked" and j["ack_note"] == "seen <b>here</b>", (st, j)
st, after = call("GET", "/api/v1/alerts?domain=example.com")
mine = next(x for x in after if x["id"] == a["id"])
assert mine["state"] == "acked" and mine["ack_note"] == "seen <b>here</b>", mine  # not the kept answer of before
assert next(x for x in cli("--no-dns", "--dry-run", "--format", "json") if x["id"] == a["id"])["state"] == "acked"
assert call("POST", "/api/v1/alerts/ack", {"id": "no-such-alert"})[0] == 404
assert call("POST", "/api/v1/alerts/ack", {})[0] == 400
assert call("POST", "/api/v1/alerts/ack", "id=" + a["id"], ctype="application/x-www-form-urlencoded")[0] == 415
# A page on another name (DNS rebinding) gets nothing from a server without users, and a page of
# another origin changes nothing (the browser sends its Origin).
assert call("GET", "/api/v1/alerts?domain=example.com", host="evil.example:%d" % port)[0] == 403
assert call("GET", "/api/v1/mutes", host="LocalHost:%d" % port)[0] == 200
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/api/v1/mutes", body=json.dumps({"domain": "example.com"}), headers={"Content-Type": "application/json", "Origin": "http://evil.example"})
assert c.getresponse().status == 403
assert call("GET", "/api/v1/mutes") == (200, [])
kind = next(x["kind"] for x in after if x["state"] != "acked")
st, rule = call("POST", "/api/v1/mutes", {"domain": "Example.COM", "kind": kind, "until": "2099-01-01", "note": "expected"})
assert st == 201 and rule["domain"] == "example.com" and rule["kind"] == kind and rule["until"] == "2099-01-01", (st, rule)
assert call("GET", "/api/v1/mutes") == (200, [rule]) and cli("--mutes", "--format", "json") == [rule]
st, muted = call("GET", "/api/v1/alerts?domain=example.com")
for x in muted:
    if x["kind"] == kind and x["state"] != "acked":
        assert x["state"] == "muted" and x["muted_by"] == rule["id"], x
for bad in ({}, {"source": "192.0.2.300"}, {"kind": "no_such_kind"}, {"domain": "example.com", "until": "someday"}, {"domain": 5}):
    st, j = call("POST", "/api/v1/mutes", bad)
    assert st == 400 and "error" in j, (bad, st, j)
assert call("DELETE", "/api/v1/mutes/%d" % rule["id"])[0] == 204
assert call("DELETE", "/api/v1/mutes/%d" % rule["id"])[0] == 404
assert call("GET", "/api/v1/mutes") == (200, []) and cli("--mutes", "--format", "json") == []
PY
  "$bin" ingest --db "$db" --quiet "$late" >/dev/null 2>&1
  "$bin" stats --db "$db" --format json > "$work/stats2.json"
  "$bin" domains --db "$db" --format json > "$work/domains2.json"
  "$bin" sources --db "$db" --format json --limit 2 > "$work/sources2.json"
  check "$name: a report ingested beside the server shows in its next answer" python3 - "$port" "$work/stats.json" "$work/stats2.json" \
    "$work/domains.json" "$work/domains2.json" "$work/sources2.json" <<'PY'
import http.client, json, sys
before, after = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
domains_before, domains_after = json.load(open(sys.argv[4])), json.load(open(sys.argv[5]))
def get(path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("GET", path)
    return json.loads(c.getresponse().read())
assert after["aggregate_reports"] == before["aggregate_reports"] + 1, (before, after)
assert get("/api/v1/stats") == after
assert domains_after != domains_before
assert get("/api/v1/domains") == domains_after, "the kept /domains answer outlived the ingest"
assert get("/api/v1/sources?limit=2") == json.load(open(sys.argv[6])), "the kept /sources answer outlived the ingest"
PY
  check "$name: SIGTERM stops it with exit 0" stop_server
  check "$name: it says it stopped" grep -q "serve: stopped" "$work/serve.err"
}

run_store sqlite "$work/s.db"
check "the server never wrote the store (read-only open)" test -z "$(find "$work" -name 's.db.quarantine' -newer "$work/stats.json" 2>/dev/null)"

# Users: every request authenticates, each account sees its own domains (serve_auth_client.py).
pw_admin="admin's long password"
printf '%s\n' "$pw_admin" > "$work/admin.pw"
check "user add from --password-file" "$bin" user add admin --all-domains --db "$work/s.db" --password-file "$work/admin.pw"
echo "the customer's password" | "$bin" user add cust --domain example.org --db "$work/s.db" > "$work/add.out" 2>&1
check "user add from standard input" grep -q "user cust added" "$work/add.out"
echo short | "$bin" user add bad --all-domains --db "$work/s.db" > /dev/null 2>&1; rc=$?
check "a short password is refused" test "$rc" -eq 2
check "the state file is <db>.web, mode 0600" test "$(stat -c %a "$work/s.db.web")" = 600
token=$("$bin" token add --user cust --label test --db "$work/s.db")
check "token add prints a token" test "${#token}" -eq 68
"$bin" token list --db "$work/s.db" > "$work/tokens" 2>&1
check "token list never shows the secret" test -z "$(grep -F "${token#dms_}" "$work/tokens")"
"$bin" stats --db "$work/s.db" --format json > "$work/stats.json"
start_server "$work/s.db" && {
  check "the server says users must authenticate" grep -q "users must authenticate" "$work/serve.err"
  check "users: 401/403/429, per-domain access on every path" python3 "$project/tests/integration/serve_auth_client.py" "$port" \
    "$project/docs/openapi.json" "$pw_admin" "$token" example.org example.com "$work/stats.json"
  stop_server
}
# A revoked token and a removed user's token stop working at once (no restart).
start_server "$work/s.db" && {
  check "token revoke" "$bin" token revoke 1 --db "$work/s.db"
  check "a revoked token gets 401" python3 -c '
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/api/v1/domains", headers={"Authorization": "Bearer " + sys.argv[2]})
sys.exit(0 if c.getresponse().status == 401 else 1)' "$port" "$token"
  stop_server
}
# HTTPS with a certificate pair.
tlsdir="$project/tests/fixtures/posture/tls"
token2=$("$bin" token add --user cust --db "$work/s.db")
: > "$work/serve.err"
"$bin" serve --db "$work/s.db" --listen 127.0.0.1:0 --tls-cert "$tlsdir/server.pem" --tls-key "$tlsdir/server.key" 2> "$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do port=$(sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve.err"); [ -n "$port" ] && break; sleep 0.05; done
check "HTTPS: per-domain access over TLS" python3 "$project/tests/integration/serve_auth_client.py" "$port" \
  "$project/docs/openapi.json" "$pw_admin" "$token2" example.org example.com "$work/stats.json" --tls "$tlsdir/ca.pem"
check "HTTPS: SIGTERM stops it" stop_server
"$bin" serve --db "$work/s.db" --listen 127.0.0.1:0 --tls-cert "$tlsdir/ca.pem" --tls-key "$work/admin.pw" > "$work/badtls" 2>&1; rc=$?
check "unusable TLS files: exit 2 naming them" test "$rc" -eq 2 -a -n "$(grep 'cannot use the TLS certificate' "$work/badtls")"
# Beyond loopback with users: TLS or --behind-proxy is required.
"$bin" serve --db "$work/s.db" --listen 0.0.0.0:0 > "$work/refused" 2>&1; rc=$?
check "users but no TLS: 0.0.0.0 refused, naming --tls-cert" test "$rc" -eq 2 -a -n "$(grep -- '--tls-cert' "$work/refused")"
"$bin" serve --db "$work/s.db" --listen 0.0.0.0:0 --behind-proxy 2> "$work/serve.err" & server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.err" && break; sleep 0.05; done
check "users and --behind-proxy: it listens on 0.0.0.0" grep -q "listening on http://0.0.0.0:" "$work/serve.err"
check "--behind-proxy: SIGTERM stops it" stop_server
check "user remove" "$bin" user remove cust --db "$work/s.db"
rm -f "$work/s.db.web" "$work/s.db.web-wal" "$work/s.db.web-shm"

# Without users: beyond loopback refused with the reason; bad addresses: usage errors.
"$bin" serve --db "$work/s.db" --listen 0.0.0.0:8080 > "$work/refused" 2>&1; rc=$?
check "0.0.0.0 is refused (exit 2)" test "$rc" -eq 2
check "the refusal says why" grep -q "loopback only" "$work/refused"
"$bin" serve --db "$work/s.db" --listen 192.0.2.1:80 > /dev/null 2>&1; rc=$?
check "a non-loopback address is refused" test "$rc" -eq 2
for bad in "127.0.0.1" "127.0.0.1:99999" "[::1" ":8080" "127.0.0.1:8x"; do
  "$bin" serve --db "$work/s.db" --listen "$bad" > /dev/null 2>&1; rc=$?
  check "--listen '$bad' is a usage error" test "$rc" -eq 2
done
"$bin" serve --db "$work/nosuch.db" --listen 127.0.0.1:0 > /dev/null 2>&1; rc=$?
check "a missing store is an error, not an empty server" test "$rc" -ne 0
# Another loopback address of 127.0.0.0/8 is loopback too.
"$bin" serve --db "$work/s.db" --listen 127.0.0.2:0 2> "$work/serve2.err" & p2=$!
for _ in $(seq 100); do grep -q listening "$work/serve2.err" && break; sleep 0.05; done
check "127.0.0.2 is loopback: it listens" grep -q "listening on http://127.0.0.2:" "$work/serve2.err"
kill -INT "$p2"; wait "$p2"; rc=$?
check "SIGINT stops it with exit 0" test "$rc" -eq 0

if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null; then
  name=$(pg_unique_name serve)
  pg_create_db "$name" && pg_dbs+=("$name")
  run_store postgresql "$(pg_uri "$name")"
  # Through a role that may only read (what serve is meant to use), the pages read, and a change
  # from the page is refused with the database's reason — nothing is claimed, nothing written.
  reader_role=$(pg_unique_name reader)
  pg_create_reader "$name" "$reader_role" && pg_roles+=("$reader_role")
  if start_server "$(pg_uri "$name" "$reader_role")"; then
    check "postgresql, read-only role: reads, and a change is refused with the reason" python3 - "$port" <<'PY'
import http.client, json, sys
def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
    c.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"null")
st, alerts = call("GET", "/api/v1/alerts?domain=example.com")
assert st == 200 and alerts, (st, alerts)
st, j = call("POST", "/api/v1/mutes", {"domain": "example.com", "kind": "new_source"})
assert st == 500 and "not" in j["error"] and "permission" in j["error"].lower(), (st, j)
st, j = call("POST", "/api/v1/alerts/ack", {"id": alerts[0]["id"]})
assert st == 500 and "permission" in j["error"].lower(), (st, j)
assert call("GET", "/api/v1/mutes") == (200, [])
PY
    check "postgresql, read-only role: SIGTERM stops it" stop_server
  else
    failn=$((failn + 1))
  fi
  # The server's state in PostgreSQL: a schema of its own beside the store's (public_web), made by
  # `user add --db URI`, shared by every server on the store — a login through one is a session
  # in the other, and a logout through the other ends it. The read-only role serves with the
  # state through a role that may write it (--state).
  owner_uri=$(pg_uri "$name")
  check "postgresql: user add keeps the account in the store's database" \
    "$bin" user add admin --all-domains --db "$owner_uri" --password-file "$work/admin.pw"
  check "postgresql: the state is the schema public_web" test "$(psql "$owner_uri" -XAtqc "SELECT count(*) FROM public_web.users")" = 1
  "$bin" serve --db "$(pg_uri "$name" "$reader_role")" --listen 127.0.0.1:0 > /dev/null 2> "$work/refused-state"; rc=$?
  check "postgresql: a role that may not read the state does not serve (exit 2, the reason)" \
    bash -c '[ "$1" -eq 2 ] && grep -qi "permission denied" "$2"' _ "$rc" "$work/refused-state"
  psql "$owner_uri" -XAtq -c "GRANT USAGE ON SCHEMA public_web TO \"$reader_role\"" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public_web TO \"$reader_role\"" >/dev/null
  "$bin" serve --db "$(pg_uri "$name" "$reader_role")" --listen 127.0.0.1:0 > /dev/null 2> "$work/refused-state"; rc=$?
  check "postgresql: a role that may read the state but not write it does not serve (no login could start)" \
    bash -c '[ "$1" -eq 2 ] && grep -q "may not write the server'"'"'s state" "$2"' _ "$rc" "$work/refused-state"
  if start_server "$(pg_uri "$name" "$reader_role")" --state "$owner_uri"; then
    port_a=$port pid_a=$server_pid
    if start_server "$owner_uri"; then
      check "postgresql: two servers share users and sessions" python3 - "$port_a" "$port" "$(cat "$work/admin.pw")" <<'PY'
import http.client, json, sys
def call(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
a, b, pw = sys.argv[1], sys.argv[2], sys.argv[3]
st, h, body = call(a, "POST", "/api/v1/session", {"Content-Type": "application/json"}, json.dumps({"user": "admin", "password": pw}))
assert st == 200, (st, body)
cookie = h["set-cookie"].split(";")[0]
csrf = json.loads(body)["csrf"]
st, _, body = call(b, "GET", "/api/v1/session", {"Cookie": cookie})
assert st == 200 and json.loads(body)["user"] == "admin" and json.loads(body)["csrf"] == csrf, (st, body)
assert call(b, "GET", "/api/v1/domains")[0] == 401  # users exist: no login, no answer
st, _, body = call(b, "DELETE", "/api/v1/session", {"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "http://127.0.0.1:" + b})
assert st == 204, (st, body)
assert call(a, "GET", "/api/v1/session", {"Cookie": cookie})[0] == 401
PY
      check "postgresql: the second server stops" stop_server
    else
      failn=$((failn + 1))
    fi
    server_pid=$pid_a
    check "postgresql: the first server stops" stop_server
  else
    failn=$((failn + 1))
  fi
else
  echo "SKIPPED (PostgreSQL part): DMARCSIGHT_TEST_PG is not set"
fi

echo "serve: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
