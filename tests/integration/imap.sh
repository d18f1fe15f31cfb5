#!/usr/bin/env bash
# `ingest --imap / --mailbox` against a real Dovecot on 127.0.0.1 (scripts/start-dovecot.sh), with
# real reports of ../shared/corpus delivered into its Maildir. Every run is compared with the same
# files ingested as paths into a reference SQLite store (totals, `stats`), and the server's folders
# are counted afterwards: each message filed exactly once, by its kind, only after commit.
# Covers: plain IMAP and IMAPS (ca_file), a bare URL with the secret in the environment, a wrong
# password, OAuth2 (XOAUTH2/OAUTHBEARER) with a valid and an expired JWT, a message that is no
# report and one over the size cap (both → Invalid), archive actions (folders, delete, seen,
# leave), the connection cut mid-batch (Dovecot killed, restarted, re-run: exact totals), two
# workers at once on one mailbox, and --watch (IDLE) stopped by SIGTERM; on SQLite and, when
# DMARCSIGHT_TEST_PG is set, on PostgreSQL.
#   imap.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]   (root; exit 77 = skipped)
set -u
bin=$(readlink -f "${1:?usage: imap.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}")
project=$(readlink -f "${2:?}")
shared=${3:-$project/../shared}
corpus="$shared/corpus/reports"
if [ ! -d "$corpus" ]; then echo "SKIPPED: $corpus is absent (real reports live in ../shared)"; exit 77; fi
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (Dovecot's master)"; exit 77; }
# shellcheck source=pg_lib.sh
. "$project/tests/integration/pg_lib.sh"
work=$(mktemp -d /tmp/dsi.XXXXXX)
chmod 755 "$work"
pids=()
pg_dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  bash "$project/scripts/stop-dovecot.sh" "$work/dv" >/dev/null 2>&1
  for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:800}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:800}"; return 1;; esac; return 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); 
for k in sys.argv[1].split("."): d=d[k]
print(json.dumps(d) if isinstance(d,(dict,list)) else d)' "$1"; }
for v in $(env | sed -n 's/^\(DMARCSIGHT_[A-Z_]*\)=.*/\1/p'); do [ "$v" = DMARCSIGHT_TEST_PG ] || unset "$v"; done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# --- the server ----------------------------------------------------------------------------------
port=$(free_port); port_tls=$(free_port)
bash "$project/scripts/start-dovecot.sh" "$work/dv" "$port" "$port_tls" >/dev/null
rc=$?
if [ $rc = 77 ]; then echo "SKIPPED: no Dovecot IMAP here (apt-get install dovecot-imapd)"; exit 77; fi
[ $rc = 0 ] || { echo "FAIL: Dovecot did not start"; exit 1; }
box="$work/dv/home/Maildir"
password=$(cat "$work/dv/password")
# The tls mailbox reads it through password_env (every configuration load checks it is set).
export TEST_IMAP_PW=$password
ca="$work/dv/tls/cert.pem"

# --- the messages: real reports by kind, one that is no report, one over the cap ----------------
aggregate=("$corpus/mjl-+mox/testdata/dmarc-reports/google.eml" "$corpus/mjl-+mox/testdata/dmarc-reports/yahoo.eml"
           "$corpus/mjl-+mox/testdata/dmarc-reports/outlook.eml" "$corpus/mjl-+mox/testdata/dmarc-reports/xs4all.eml"
           "$corpus/mjl-+mox/testdata/dmarc-reports/mailru.eml" "$corpus/parsedmarc/aggregate/twilight.eml")
failure=("$corpus/parsedmarc/failure/dmarc_ruf_report_linkedin.eml" "$corpus/parsedmarc/failure/[Netease DMARC Failure Report] Rent Reminder.eml")
tlsrpt=("$corpus/parsedmarc/smtp_tls/google.com_smtp_tls_report.eml" "$corpus/mjl-+mox/testdata/tlsreports/microsoft.eml")
mkdir -p "$work/own"
printf 'From: someone@example.org\r\nTo: dmarc@example.com\r\nSubject: hello\r\nMessage-ID: <x1@example.org>\r\n\r\nnot a report\r\n' > "$work/own/not-a-report.eml"
python3 - "$work/own/huge.eml" <<'PY'
import base64, os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: big@example.org\r\nTo: dmarc@example.com\r\nSubject: huge\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    data = base64.encodebytes(os.urandom(1_500_000)).replace(b"\n", b"\r\n")
    f.write(data)
PY
all=("${aggregate[@]}" "${failure[@]}" "${tlsrpt[@]}" "$work/own/not-a-report.eml" "$work/own/huge.eml")
n_all=${#all[@]}
seq_no=0
deliver() {  # deliver FILE...: into INBOX (Maildir new/), as Dovecot's mail user
  for f in "$@"; do
    seq_no=$((seq_no+1))
    cp "$f" "$box/tmp/m$seq_no.$$.test"
    chown 1500:1500 "$box/tmp/m$seq_no.$$.test"
    mv "$box/tmp/m$seq_no.$$.test" "$box/new/$(date +%s).M${seq_no}P$$.test"
  done
}
count() { find "$1" -maxdepth 2 -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2>/dev/null | wc -l; }
inbox() { echo $(( $(ls "$box/new" | wc -l) + $(ls "$box/cur" | wc -l) )); }
empty_box() { rm -rf "$box"/new/* "$box"/cur/* "$box"/.[A-Za-z]*; }

# The reference: the same messages ingested as files (the two that are no reports are rejected
# there too, so `stats` counts them alike).
ref=$("$bin" ingest --db "$work/ref.db" --format json "${all[@]}" 2>/dev/null)
ref_stored=$(echo "$ref" | jget stored); ref_skipped=$(echo "$ref" | jget skipped); ref_dup=$(echo "$ref" | jget duplicate)
check "reference: every chosen report is read, the two others rejected" eq "$(echo "$ref" | jget rejected)" 2
ref_stats=$("$bin" stats --db "$work/ref.db" --format json)
# The reports' side of `stats` (inputs read again are duplicates there: not a difference in reports).
rstats() { "$bin" stats --db "$1" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in ("duplicate_inputs","rejected_inputs","skipped_inputs"): d.pop(k, None)
print(json.dumps(d, sort_keys=True))'; }
ref_rstats=$(rstats "$work/ref.db")
n_agg=${#aggregate[@]}; n_fail=${#failure[@]}; n_tls=${#tlsrpt[@]}

config() {  # config FILE NAME URL [KEY = VALUE lines...]
  local file=$1 name=$2 url=$3; shift 3
  { echo "[mailboxes.$name]"; echo "url = \"$url\""; for l in "$@"; do echo "$l"; done; } >> "$file"
  chmod 600 "$file"
}

# --- one driver ------------------------------------------------------------------------------------
run_driver() {  # run_driver LABEL DB_A DB_B DB_C
  local drv=$1 db=$2 db_cut=$3 db_two=$4 cfg="$work/$1.toml" out rc
  : > "$cfg"
  config "$cfg" plain "imap://alice@127.0.0.1:$port/INBOX" "password_file = \"$work/dv/password\"" "max_message_bytes = 1048576"
  config "$cfg" tls "imaps://alice@localhost:$port_tls/INBOX" "password_env = \"TEST_IMAP_PW\"" "ca_file = \"$ca\"" \
         'aggregate = "delete"' 'failure = "seen"' 'tlsrpt = "leave"' 'invalid = "Junk/DMARC"' "max_message_bytes = 1048576"
  config "$cfg" small "imap://alice@127.0.0.1:$port/INBOX" "password_file = \"$work/dv/password\"" "max_message_bytes = 1048576" "batch = 3"

  # Plain IMAP, folders per kind.
  empty_box; deliver "${all[@]}"
  out=$("$bin" --config "$cfg" ingest --db "$db" --mailbox plain --format json 2>"$work/err"); rc=$?
  check "$drv plain: exit 1 (two inputs rejected)" eq "$rc" 1
  [ "$rc" = 1 ] || head -c 2000 "$work/err"
  check "$drv plain: stored as the reference" eq "$(echo "$out" | jget stored)" "$ref_stored"
  check "$drv plain: skipped as the reference" eq "$(echo "$out" | jget skipped)" "$ref_skipped"
  check "$drv plain: duplicates as the reference" eq "$(echo "$out" | jget duplicate)" "$ref_dup"
  check "$drv plain: the non-report and the huge message rejected" eq "$(echo "$out" | jget rejected)" 2
  check "$drv plain: every message read" eq "$(echo "$out" | jget mailbox.messages)" "$n_all"
  check "$drv plain: every message filed" eq "$(echo "$out" | jget mailbox.filed)" "$n_all"
  check "$drv plain: the huge one's reason" contains "$out" "over the cap of 1048576 bytes (max_message_bytes); not fetched"
  check "$drv plain: labels name the UID, no password" contains "$out" "imap://alice@127.0.0.1:$port/INBOX;UID="
  check "$drv plain: no password anywhere" lacks "$out$(cat "$work/err")" "$password"
  check "$drv plain: stats as the reference" eq "$("$bin" stats --db "$db" --format json)" "$ref_stats"
  check "$drv plain: INBOX drained" eq "$(inbox)" 0
  check "$drv plain: Aggregate holds the aggregate reports" eq "$(count "$box/.Aggregate")" "$n_agg"
  check "$drv plain: Failure holds the failure reports" eq "$(count "$box/.Failure")" "$n_fail"
  check "$drv plain: TLS holds the TLS reports" eq "$(count "$box/.TLS")" "$n_tls"
  check "$drv plain: Invalid holds the rest" eq "$(count "$box/.Invalid")" 2
  out=$("$bin" --config "$cfg" ingest --db "$db" --mailbox plain --format json 2>&1); rc=$?
  check "$drv plain again: exit 0, nothing to read" eq "$rc/$(echo "$out" | jget inputs)" "0/0"

  # IMAPS with ca_file and other actions; the same reports again are duplicates.
  empty_box; deliver "${all[@]}"
  out=$("$bin" --config "$cfg" ingest --db "$db" --imap tls --format json 2>"$work/err"); rc=$?
  # The non-report is the same bytes as before (unchanged); the huge one was never read, so under
  # its new label it is a new rejection: exit 1.
  check "$drv imaps: exit 1 (the unread huge message is a new rejection)" eq "$rc" 1
  check "$drv imaps: the non-report unchanged since the first run" eq "$(echo "$out" | jget unchanged)" 1
  check "$drv imaps: nothing new stored" eq "$(echo "$out" | jget stored)" 0
  check "$drv imaps: every message filed" eq "$(echo "$out" | jget mailbox.filed)/$(echo "$out" | jget mailbox.left)" "$((n_all - n_tls))/$n_tls"
  check "$drv imaps: aggregate deleted, TLS left in INBOX, failure flagged seen" eq "$(inbox)" "$((n_fail + n_tls))"
  # FETCH BODY[] flags every fetched message \Seen (RFC 3501 §6.4.5): the failure and the left TLS ones.
  check "$drv imaps: the messages left in INBOX are seen" eq "$(ls "$box/cur" | grep -c ':2,.*S')" "$((n_fail + n_tls))"
  check "$drv imaps: invalid moved to Junk/DMARC" eq "$(count "$box/.Junk.DMARC")" 2
  out=$("$bin" --config "$cfg" ingest --db "$db" --imap tls --format json 2>&1)
  check "$drv imaps again: only the left (unseen) TLS reports are read" eq "$(echo "$out" | jget inputs)" "$n_tls"
  check "$drv imaps: reports unchanged" eq "$(rstats "$db")" "$ref_rstats"

  # A bare URL, the secret in the environment, over IMAPS.
  empty_box; deliver "${aggregate[0]}"
  out=$(DMARCSIGHT_IMAP_PASSWORD=$password "$bin" ingest --db "$db" --imap "imaps://alice@localhost:$port_tls/INBOX" --ca-file "$ca" --format json 2>&1); rc=$?
  check "$drv bare URL: exit 0, one duplicate, filed" eq "$rc/$(echo "$out" | jget duplicate)/$(echo "$out" | jget mailbox.filed)" "0/1/1"
  check "$drv bare URL: moved to Aggregate" eq "$(count "$box/.Aggregate")" 1
  out=$("$bin" ingest --db "$db" --imap "imaps://alice@localhost:$port_tls/INBOX" 2>&1); rc=$?
  check "$drv bare URL without a secret: exit 2" eq "$rc" 2
  check "$drv bare URL without a secret: says which variable" contains "$out" "DMARCSIGHT_IMAP_PASSWORD"
  out=$("$bin" ingest --db "$db" --imap "imaps://alice:$password@localhost:$port_tls/INBOX" 2>&1); rc=$?
  check "$drv password in the URL: refused" eq "$rc" 2
  check "$drv password in the URL: never printed" lacks "$out" "$password"
  out=$(DMARCSIGHT_IMAP_PASSWORD=$password "$bin" ingest --db "$db" --imap "imaps://alice@localhost:$port_tls/INBOX" 2>&1); rc=$?
  check "$drv untrusted certificate: exit 2" eq "$rc" 2
  check "$drv untrusted certificate: says so" contains "$out" "certificate"

  # Connection cut mid-batch: a proxy kills Dovecot half-way through the messages' bytes.
  empty_box; deliver "${all[@]}"
  local proxy_port total
  proxy_port=$(free_port)
  total=$(cat "${aggregate[@]}" "${failure[@]}" "${tlsrpt[@]}" | wc -c)
  python3 "$project/tests/support/cut_proxy.py" "$proxy_port" "$port" $((total / 2)) -- bash "$project/scripts/stop-dovecot.sh" "$work/dv" >"$work/proxy.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do grep -q ready "$work/proxy.log" && break; sleep 0.1; done
  : > "$work/cut.toml"
  config "$work/cut.toml" cut "imap://alice@127.0.0.1:$proxy_port/INBOX" "password_file = \"$work/dv/password\"" "max_message_bytes = 1048576"
  local out1 out2 s1 s2 d2
  out1=$("$bin" --config "$work/cut.toml" ingest --db "$db_cut" --mailbox cut --format json 2>"$work/err"); rc=$?
  check "$drv cut: exit 2 (the server went away)" eq "$rc" 2
  check "$drv cut: the error names the mailbox, no password" contains "$(cat "$work/err")" "imap://alice@127.0.0.1:$proxy_port/INBOX"
  check "$drv cut: Dovecot was killed" grep -q "cut after" "$work/proxy.log"
  bash "$project/scripts/start-dovecot.sh" "$work/dv" "$port" "$port_tls" >/dev/null
  out2=$("$bin" --config "$cfg" ingest --db "$db_cut" --mailbox plain --format json 2>&1); rc=$?
  s1=$(echo "$out1" | jget stored); s2=$(echo "$out2" | jget stored)
  d2=$(echo "$out2" | jget duplicate)
  check "$drv cut: the first run stored some, not all" test "$s1" -lt "$ref_stored"
  check "$drv cut: stored across both runs = the reference" eq "$((s1 + s2))" "$ref_stored"
  check "$drv cut: the re-run's duplicates are at most what the first run stored" test "$d2" -le "$s1"
  check "$drv cut: reports as the reference" eq "$(rstats "$db_cut")" "$ref_rstats"
  check "$drv cut: INBOX drained" eq "$(inbox)" 0
  check "$drv cut: each message archived once" eq "$(count "$box/.Aggregate")/$(count "$box/.Failure")/$(count "$box/.TLS")/$(count "$box/.Invalid")" "$n_agg/$n_fail/$n_tls/2"

  # Two workers at once on one mailbox, small batches: nothing taken twice.
  empty_box; deliver "${all[@]}"
  "$bin" --config "$cfg" ingest --db "$db_two" --mailbox small --format json >"$work/w1" 2>&1 &
  local w1=$!
  "$bin" --config "$cfg" ingest --db "$db_two" --mailbox small --format json >"$work/w2" 2>&1 &
  local w2=$!
  wait $w1; wait $w2
  # Batches of 3: run until the box is drained (each run takes at most 3).
  for _ in $(seq 1 10); do [ "$(inbox)" = 0 ] && break; "$bin" --config "$cfg" ingest --db "$db_two" --mailbox small --format json >>"$work/w3" 2>&1; done
  local sum_stored
  sum_stored=$(cat "$work/w1" "$work/w2" "$work/w3" 2>/dev/null | python3 -c 'import json,sys,re
t=sys.stdin.read(); d=json.JSONDecoder(); i=0; s=0; u=0
while True:
    m=re.compile(r"\{").search(t,i)
    if not m: break
    try: o,j=d.raw_decode(t,m.start())
    except ValueError: i=m.start()+1; continue
    s+=o.get("stored",0); u+=o.get("duplicate",0); i=j
print(s, u)')
  check "$drv two workers: stored once in all, no duplicate" eq "$sum_stored" "$ref_stored $ref_dup"
  check "$drv two workers: stats as the reference" eq "$("$bin" stats --db "$db_two" --format json)" "$ref_stats"
  check "$drv two workers: each message archived once" eq "$(count "$box/.Aggregate")/$(count "$box/.Failure")/$(count "$box/.TLS")/$(count "$box/.Invalid")" "$n_agg/$n_fail/$n_tls/2"
  rm -f "$work/w1" "$work/w2" "$work/w3"
}

run_driver sqlite "$work/a.db" "$work/cut.db" "$work/two.db"
if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null && psql "$DMARCSIGHT_TEST_PG" -XAtqc 'select 1' >/dev/null 2>&1; then
  a=$(pg_unique_name imap_a); b=$(pg_unique_name imap_cut); c=$(pg_unique_name imap_two)
  pg_create_db "$a"; pg_create_db "$b"; pg_create_db "$c"; pg_dbs+=("$a" "$b" "$c")
  # A PostgreSQL store's quarantine is ./dmarcsight.quarantine: in a folder of this test's own.
  mkdir -p "$work/pgq"
  cd "$work/pgq" || exit 1
  run_driver postgres "$(pg_uri "$a")" "$(pg_uri "$b")" "$(pg_uri "$c")"
  cd "$work" || exit 1
else
  echo "SKIPPED (PostgreSQL part): DMARCSIGHT_TEST_PG is not set or the server does not answer"
fi

# --- login failures: clear error, exit 2, no secret printed --------------------------------------
: > "$work/bad.toml"
echo "not-the-password-$RANDOM" > "$work/wrong"; chmod 600 "$work/wrong"
config "$work/bad.toml" wrong "imap://alice@127.0.0.1:$port/INBOX" "password_file = \"$work/wrong\""
out=$("$bin" --config "$work/bad.toml" ingest --db "$work/bad.db" --mailbox wrong 2>&1); rc=$?
check "wrong password: exit 2" eq "$rc" 2
check "wrong password: says login denied" contains "$out" "login denied"
check "wrong password: names the mailbox" contains "$out" "imap://alice@127.0.0.1:$port/INBOX"
check "wrong password: the secret is never printed" lacks "$out" "$(cat "$work/wrong")"

# --- OAuth2: a JWT signed with Dovecot's local HS256 key (sub, iat, exp) --------------------------
jwt() {  # jwt EXP_OFFSET_SECONDS
  python3 - "$work/dv/oauth/key.bin" "$1" <<'PY'
import base64, hashlib, hmac, json, sys, time
key = open(sys.argv[1], "rb").read()
now = int(time.time())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "alice", "iat": now - 60, "exp": now + int(sys.argv[2])}).encode())
sig = b64(hmac.new(key, head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
}
jwt 3600 > "$work/token.ok"; jwt -600 > "$work/token.old"; chmod 600 "$work/token.ok" "$work/token.old"
: > "$work/oauth.toml"
config "$work/oauth.toml" oauth "imaps://alice@localhost:$port_tls/INBOX" "token_file = \"$work/token.ok\"" "ca_file = \"$ca\""
config "$work/oauth.toml" expired "imaps://alice@localhost:$port_tls/INBOX" "token_file = \"$work/token.old\"" "ca_file = \"$ca\""
empty_box; deliver "${aggregate[0]}"
out=$("$bin" --config "$work/oauth.toml" ingest --db "$work/oauth.db" --mailbox oauth --format json 2>&1); rc=$?
check "OAuth2 valid token: exit 0" eq "$rc" 0
check "OAuth2 valid token: the report stored and filed" eq "$(echo "$out" | jget stored)/$(echo "$out" | jget mailbox.filed)" "1/1"
out=$("$bin" --config "$work/oauth.toml" ingest --db "$work/oauth.db" --mailbox expired 2>&1); rc=$?
check "OAuth2 expired token: exit 2" eq "$rc" 2
check "OAuth2 expired token: login denied" contains "$out" "login denied"
check "OAuth2 expired token: the token is never printed" lacks "$out" "$(cut -d. -f3 "$work/token.old")"

# --- --watch: IDLE wakes on delivery; SIGTERM stops cleanly ---------------------------------------
# poll_seconds is 600: mail read within seconds was announced by IDLE (RFC 2177), not polled. The
# delivery waits until Dovecot's process title shows the IDLE command (verbose_proctitle), so no
# message can arrive between the first pass and the IDLE.
in_idle() { ps -eo args | grep -q '[d]ovecot/imap .*IDLE'; }
wait_idle() { for _ in $(seq 1 200); do in_idle && return 0; sleep 0.1; done; echo "  no IMAP session in IDLE after 20 s"; return 1; }
empty_box
: > "$work/watch.toml"
config "$work/watch.toml" w "imap://alice@127.0.0.1:$port/INBOX" "password_file = \"$work/dv/password\"" "poll_seconds = 600"
"$bin" --config "$work/watch.toml" ingest --db "$work/watch.db" --mailbox w --watch >"$work/watch.out" 2>&1 &
wpid=$!; pids+=("$wpid")
check "watch: the watcher waits in IDLE" wait_idle
deliver "${aggregate[@]}"
for _ in $(seq 1 150); do [ "$(inbox)" = 0 ] && [ "$(count "$box/.Aggregate")" = "$n_agg" ] && break; sleep 0.1; done
check "watch: IDLE wakes it; delivered mail is read and filed within 15 s (poll is 600 s)" eq "$(count "$box/.Aggregate")" "$n_agg"
check "watch: back in IDLE afterwards" wait_idle
kill -TERM $wpid; wait $wpid; rc=$?
check "watch: SIGTERM ends it with 143" eq "$rc" 143
check "watch: the summary says what was stored" contains "$(cat "$work/watch.out")" "interrupted: $n_agg stored"
check "watch: stored in the store" eq "$("$bin" stats --db "$work/watch.db" --format json | jget aggregate_reports)" "$n_agg"

# --- --watch with OAuth2: the token file is read again before every pass -------------------------
# It starts with an expired token (login denied, retried with backoff); a helper then writes a
# fresh one into the file, and the same process logs in with it, without a restart.
empty_box
cp "$work/token.old" "$work/token.live"; chmod 600 "$work/token.live"
: > "$work/watch-oauth.toml"
config "$work/watch-oauth.toml" wo "imaps://alice@localhost:$port_tls/INBOX" "token_file = \"$work/token.live\"" "ca_file = \"$ca\"" "poll_seconds = 600"
deliver "${aggregate[0]}"
"$bin" --config "$work/watch-oauth.toml" ingest --db "$work/watch-oauth.db" --mailbox wo --watch >"$work/watch-oauth.out" 2>&1 &
wpid=$!; pids+=("$wpid")
for _ in $(seq 1 100); do grep -q "login denied" "$work/watch-oauth.out" && break; sleep 0.1; done
check "watch OAuth2: the expired token is refused" contains "$(cat "$work/watch-oauth.out")" "login denied"
check "watch OAuth2: and retried" contains "$(cat "$work/watch-oauth.out")" "; trying again in 1 s"
jwt 3600 > "$work/token.new"; chmod 600 "$work/token.new"; mv "$work/token.new" "$work/token.live"
for _ in $(seq 1 300); do [ "$(count "$box/.Aggregate")" = 1 ] && break; sleep 0.1; done
check "watch OAuth2: the refreshed token file is used: the report is filed" eq "$(count "$box/.Aggregate")" 1
check "watch OAuth2: and waits in IDLE with the new token" wait_idle
kill -TERM $wpid; wait $wpid
check "watch OAuth2: stored" eq "$("$bin" stats --db "$work/watch-oauth.db" --format json | jget aggregate_reports)" 1
check "watch OAuth2: no token is printed" lacks "$(cat "$work/watch-oauth.out")" "$(cut -d. -f3 "$work/token.live")"

echo "imap: $pass passed, $failn failed"
[ "$failn" = 0 ]
