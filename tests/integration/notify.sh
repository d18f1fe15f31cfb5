#!/usr/bin/env bash
# Delivery channels against real servers: a Postfix on 127.0.0.1 (STARTTLS with a certificate
# made here, AUTH through Dovecot SASL; scripts/start-postfix.sh) and webhook sinks
# (tests/support/webhook_sink.py, plain HTTP and HTTPS). Asserts what arrived: the mail parsed with
# Python's email module (headers, MIME structure, decoded text), the webhook bodies and a
# recomputed HMAC, and that failing channels exit 1 with the reason and never the secret.
# No store is involved: delivery is the same whichever driver holds the alerts.
#   notify.sh DMARCSIGHT_BINARY PROJECT_DIR        (root; exit 77 = skipped: no postfix/dovecot)
set -u
bin=$(readlink -f "${1:?usage: notify.sh DMARCSIGHT_BINARY PROJECT_DIR}")
project=$(readlink -f "${2:?}")
# A short path: Postfix and Dovecot talk over unix sockets in it (108 bytes at most).
work=$(mktemp -d /tmp/dsn.XXXXXX)
chmod 755 "$work"  # Postfix's daemons (the postfix user) deliver into it
sink_pids=()
cleanup() {
  for p in "${sink_pids[@]}"; do kill "$p" 2>/dev/null; done
  bash "$project/scripts/stop-postfix.sh" "$work/pf" >/dev/null 2>&1
  bash "$project/scripts/stop-postfix.sh" "$work/pf2" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:600}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:600}"; return 1;; esac; return 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for v in $(env | sed -n 's/^\(DMARCSIGHT_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

# --- servers -------------------------------------------------------------------------------------
smtp_port=$(free_port); smtps_port=$(free_port)
bash "$project/scripts/start-postfix.sh" "$work/pf" "$smtp_port" "$smtps_port"
rc=$?
if [ $rc = 77 ]; then echo "SKIP: no Postfix/Dovecot here (apt-get install postfix dovecot-core)"; exit 77; fi
[ $rc = 0 ] || { echo "FAIL: Postfix did not start"; exit 1; }
smtp_password=$(cat "$work/pf/password")

start_sink() {  # start_sink OUTDIR ARGS...: sets sink_port
  local out=$1; shift
  python3 "$project/tests/support/webhook_sink.py" 0 "$out" "$@" &
  sink_pids+=($!)
  for _ in $(seq 1 100); do [ -s "$out/port" ] && break; sleep 0.05; done
  sink_port=$(cat "$out/port")
}
start_sink "$work/hook" --fail-first 1; hook_port=$sink_port
start_sink "$work/chat"; chat_port=$sink_port
start_sink "$work/tls" --tls "$work/pf/tls/cert.pem" "$work/pf/tls/key.pem"; tls_port=$sink_port
dead_port=$(free_port)  # nothing listens there
# A server that accepts and then says nothing (a hung MTA or web server): the timeout ends it.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$work/silent.port" &
sink_pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
silent_port=$(cat "$work/silent.port")

secret_word="hmac-Zq9-correct-horse"
printf '%s\n' "$secret_word" > "$work/hook.secret"; chmod 600 "$work/hook.secret"
printf '%s\n' "wrong-$smtp_password" > "$work/bad.password"; chmod 600 "$work/bad.password"
cat > "$work/d.toml" <<EOF
[channels.mail]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
starttls = "required"
username = "sender"
password_file = "$work/pf/password"
from = "dmarc-alerts@example.com"
to = ["postmaster@example.org", "ops@example.net"]
ca_file = "$work/pf/tls/cert.pem"
timeout = 20

[channels.mail-noauth]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
from = "dmarc-alerts@example.com"
to = "solo@example.org"
ca_file = "$work/pf/tls/cert.pem"

[channels.mail-plain]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
starttls = "off"
from = "dmarc-alerts@example.com"
to = "plain@example.org"

[channels.mail-opportunistic]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
starttls = "opportunistic"
from = "dmarc-alerts@example.com"
to = "opportunistic@example.org"
ca_file = "$work/pf/tls/cert.pem"

[channels.mail-smtps]
type = "smtp"
url = "smtps://127.0.0.1:$smtps_port"
username = "sender"
password_file = "$work/pf/password"
from = "dmarc-alerts@example.com"
to = "implicit@example.org"
ca_file = "$work/pf/tls/cert.pem"

[channels.mail-badpass]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
username = "sender"
password_file = "$work/bad.password"
from = "dmarc-alerts@example.com"
to = "postmaster@example.org"
ca_file = "$work/pf/tls/cert.pem"

[channels.mail-untrusted]
type = "smtp"
url = "smtp://127.0.0.1:$smtp_port"
from = "dmarc-alerts@example.com"
to = "postmaster@example.org"

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:$hook_port/dmarc?x=1"
style = "json"
secret_file = "$work/hook.secret"

[channels.slack]
type = "webhook"
url = "http://127.0.0.1:$chat_port/slack"
style = "slack"

[channels.teams]
type = "webhook"
url = "http://127.0.0.1:$chat_port/teams"
style = "teams"

[channels.hook-untrusted]
type = "webhook"
url = "https://127.0.0.1:$tls_port/x"
secret_file = "$work/hook.secret"

[channels.hook-trusted]
type = "webhook"
url = "https://127.0.0.1:$tls_port/y"
ca_file = "$work/pf/tls/cert.pem"

[channels.hook-dead]
type = "webhook"
url = "http://127.0.0.1:$dead_port/x"
timeout = 5

[channels.mail-silent]
type = "smtp"
url = "smtp://127.0.0.1:$silent_port"
from = "dmarc-alerts@example.com"
to = "postmaster@example.org"
timeout = 2

[channels.hook-silent]
type = "webhook"
url = "http://127.0.0.1:$silent_port/x"
timeout = 2

[alerts]
channels = ["mail", "hook"]
EOF
chmod 600 "$work/d.toml"
ds() { "$bin" --config "$work/d.toml" "$@"; }

# --- list and show never print a secret ----------------------------------------------------------
out=$(ds notify --list 2>&1); rc=$?
check "list: exit 0" eq "$rc" 0
for name in mail mail-noauth mail-plain mail-opportunistic mail-smtps mail-badpass mail-untrusted hook slack teams hook-untrusted hook-trusted hook-dead; do
  check "list: $name" contains "$out" "$name"
done
check "list: no hmac secret" lacks "$out" "$secret_word"
check "list: no password" lacks "$out" "$smtp_password"
json=$(ds notify --list --format json)
check "list json: 15 channels" eq "$(printf '%s' "$json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 15
check "list json: no secret" lacks "$json" "$secret_word"
out=$(ds config show 2>&1)
check "show: channel key" contains "$out" "channels.mail.starttls"
check "show: secret described" contains "$out" "(secret from file $work/hook.secret)"
check "show: alerts.channels" contains "$out" "mail,hook"
check "show: no hmac secret" lacks "$out" "$secret_word"
check "show: no password" lacks "$out" "$smtp_password"
out=$(ds config show --format json 2>&1)
check "show json: no password" lacks "$out" "$smtp_password"

# --- mail: STARTTLS + AUTH through Postfix, parsed back ------------------------------------------
out=$(ds notify --test mail 2>&1); rc=$?
check "mail: exit 0" eq "$rc" 0
check "mail: says accepted" contains "$out" "accepted by smtp://127.0.0.1:$smtp_port for 2 recipients (250)"
wait_mail() {  # wait_mail COUNT: until COUNT files in the Maildir
  for _ in $(seq 1 100); do
    [ "$(find "$work/pf/Maildir/new" -type f 2>/dev/null | wc -l)" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
check "mail: delivered twice (two recipients)" wait_mail 2
mail_check=$(python3 - "$work/pf/Maildir/new" <<'PY'
import email, email.policy, email.utils, os, sys, time
d = sys.argv[1]
problems = []
rcpts = set()
for f in sorted(os.listdir(d)):
    raw = open(os.path.join(d, f), "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    rcpts.add(m["Delivered-To"])
    def want(cond, what):
        if not cond: problems.append(f + ": " + what)
    want(m["Subject"] == "dmarcsight test message (channel mail)", "Subject " + repr(m["Subject"]))
    want(m["From"] == "dmarc-alerts@example.com", "From " + repr(m["From"]))
    want([a for _, a in email.utils.getaddresses([m["To"]])] == ["postmaster@example.org", "ops@example.net"], "To " + repr(m["To"]))
    date = email.utils.parsedate_to_datetime(m["Date"])
    want(abs(date.timestamp() - time.time()) < 300 and date.utcoffset().total_seconds() == 0, "Date " + m["Date"])
    want(m["Message-ID"].startswith("<dmarcsight.") and m["Message-ID"].endswith("@example.com>"), "Message-ID " + m["Message-ID"])
    want(m["MIME-Version"] == "1.0", "MIME-Version")
    want(m["Auto-Submitted"] == "auto-generated", "Auto-Submitted")
    want(m["X-Dmarcsight-Id"].startswith("test-mail-"), "X-Dmarcsight-Id")
    # TLS and AUTH: Postfix writes ESMTPSA ("S" TLS, "A" authenticated) and the TLS version.
    want("with ESMTPSA" in m["Received"] and "using TLSv1." in m["Received"], "Received " + m["Received"])
    want(m.get_content_type() == "multipart/alternative", "type " + m.get_content_type())
    parts = list(m.iter_parts())
    want([p.get_content_type() for p in parts] == ["text/plain", "text/html"], "parts")
    want(all(p["Content-Transfer-Encoding"] == "quoted-printable" and p.get_content_charset() == "utf-8" for p in parts), "part encodings")
    text = parts[0].get_content()
    want("It was sent by `dmarcsight notify --test mail`: alerts and digests for this channel will arrive the same way." in text, "text " + repr(text))
    want("<code>mail</code>" in parts[1].get_content(), "html")
    want(all(len(l) <= 998 for l in raw.splitlines()), "a line over 998")
want(rcpts == {"postmaster@example.org", "ops@example.net"}, "recipients " + repr(rcpts))
print("ok" if not problems else "; ".join(problems))
PY
)
check "mail: parsed headers and body" eq "$mail_check" ok
log=$(cat "$work/pf/maillog")
check "mail: postfix saw STARTTLS and AUTH" contains "$log" "starttls=1 auth=1 mail=1 rcpt=2 data=1"

out=$(ds notify --test mail-noauth 2>&1); rc=$?
check "mail without AUTH: exit 0" eq "$rc" 0
check "mail without AUTH: delivered" wait_mail 3
check "mail without AUTH: TLS, no AUTH" contains "$(grep -l 'solo@example.org' "$work"/pf/Maildir/new/* | xargs cat)" "with ESMTPS id"

received_for() {  # received_for ADDRESS: the Received header of the mail delivered to ADDRESS
  python3 - "$work/pf/Maildir/new" "$1" <<'PY'
import email, os, sys
d, rcpt = sys.argv[1], sys.argv[2]
for f in os.listdir(d):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read())
    if m["Delivered-To"] == rcpt:
        print(" ".join(m["Received"].split()))
PY
}
check "starttls off: exit 0" ds notify --test mail-plain
check "starttls off: delivered" wait_mail 4
r=$(received_for plain@example.org)
check "starttls off: no TLS" contains "$r" "with ESMTP id"
check "starttls off: no TLS (no cipher)" lacks "$r" "using TLS"
check "starttls opportunistic: exit 0" ds notify --test mail-opportunistic
check "starttls opportunistic: delivered" wait_mail 5
check "starttls opportunistic: TLS taken" contains "$(received_for opportunistic@example.org)" "with ESMTPS id"
check "smtps: exit 0" ds notify --test mail-smtps
check "smtps: delivered" wait_mail 6
check "smtps: implicit TLS and AUTH" contains "$(received_for implicit@example.org)" "with ESMTPSA id"

out=$(ds notify --test mail-badpass 2>&1); rc=$?
check "bad password: exit 1" eq "$rc" 1
check "bad password: reason" contains "$out" "channel mail-badpass (smtp://127.0.0.1:$smtp_port): the server refused the login of sender"
check "bad password: not printed" lacks "$out" "$smtp_password"

out=$(ds notify --test mail-untrusted 2>&1); rc=$?
check "untrusted certificate (smtp): exit 1" eq "$rc" 1
check "untrusted certificate (smtp): reason" contains "$out" "channel mail-untrusted (smtp://127.0.0.1:$smtp_port): TLS failed:"

# --- webhooks ------------------------------------------------------------------------------------
out=$(ds notify --test hook 2>&1); rc=$?
check "hook first try (sink answers 500): exit 1" eq "$rc" 1
check "hook 500: reason" contains "$out" "channel hook: webhook http://127.0.0.1:$hook_port/dmarc?x=1 answered HTTP 500 (sink says no (request 1))"
check "hook 500: no secret" lacks "$out" "$secret_word"
out=$(ds notify --test hook 2>&1); rc=$?
check "hook retry: exit 0" eq "$rc" 0
check "hook retry: says HTTP 200" contains "$out" "HTTP 200 from http://127.0.0.1:$hook_port/dmarc?x=1"
hook_check=$(python3 - "$work/hook" "$secret_word" <<'PY'
import hashlib, hmac, json, sys, time
d, secret = sys.argv[1], sys.argv[2]
problems = []
def want(cond, what):
    if not cond: problems.append(what)
for n in ("0001", "0002"):
    meta = json.load(open(f"{d}/{n}.json"))
    body = open(f"{d}/{n}.body", "rb").read()
    h = {k.lower(): v for k, v in meta["headers"].items()}
    want(meta["method"] == "POST" and meta["path"] == "/dmarc?x=1", n + " request line")
    want(h.get("content-type") == "application/json", n + " content-type")
    ts = h.get("x-dmarcsight-timestamp", "")
    want(ts.isdigit() and abs(int(ts) - time.time()) < 300, n + " timestamp " + ts)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    want(h.get("x-dmarcsight-signature") == "sha256=" + mac, n + " signature")
    j = json.loads(body)
    want(sorted(j) == ["data", "id", "subject", "text"], n + " keys " + repr(sorted(j)))
    want(j["subject"] == "dmarcsight test message (channel hook)", n + " subject")
    want(j["data"]["kind"] == "test" and j["data"]["channel"] == "hook", n + " data")
    want(h.get("x-dmarcsight-id") == j["id"] and j["id"].startswith("test-hook-"), n + " id")
    want(secret.encode() not in body, n + " secret in body")
print("ok" if not problems else "; ".join(problems))
PY
)
check "hook: body, headers and recomputed HMAC" eq "$hook_check" ok

check "slack: exit 0" ds notify --test slack
check "teams: exit 0" ds notify --test teams
chat_check=$(python3 - "$work/chat" <<'PY'
import json, sys
d = sys.argv[1]
problems = []
def want(cond, what):
    if not cond: problems.append(what)
for n in ("0001", "0002"):
    meta = json.load(open(f"{d}/{n}.json"))
    j = json.load(open(f"{d}/{n}.body"))
    h = {k.lower(): v for k, v in meta["headers"].items()}
    want("x-dmarcsight-signature" not in h, n + " signed without a secret")
    if meta["path"] == "/slack":
        want(j["text"] == "dmarcsight test message (channel slack)", "slack text")
        want([b["type"] for b in j["blocks"]] == ["header", "section"], "slack blocks")
        want(j["blocks"][1]["text"]["type"] == "mrkdwn" and "notify --test slack" in j["blocks"][1]["text"]["text"], "slack section")
    elif meta["path"] == "/teams":
        want(j["type"] == "message", "teams type")
        a = j["attachments"][0]
        want(a["contentType"] == "application/vnd.microsoft.card.adaptive" and a["content"]["type"] == "AdaptiveCard", "teams card")
        want(a["content"]["body"][0]["text"] == "dmarcsight test message (channel teams)", "teams title")
    else:
        want(False, "path " + meta["path"])
print("ok" if not problems else "; ".join(problems))
PY
)
check "slack and teams payloads" eq "$chat_check" ok

out=$(ds notify --test hook-untrusted 2>&1); rc=$?
check "untrusted certificate (webhook): exit 1" eq "$rc" 1
check "untrusted certificate (webhook): reason" contains "$out" "channel hook-untrusted: webhook https://127.0.0.1:$tls_port/x:"
check "untrusted certificate (webhook): nothing delivered" eq "$(ls "$work/tls" | grep -c '\.json$')" 0
out=$(ds notify --test hook-trusted 2>&1); rc=$?
check "https with its CA file: exit 0" eq "$rc" 0
check "https with its CA file: recorded" test -s "$work/tls/0001.body"

out=$(ds notify --test hook-dead 2>&1); rc=$?
check "dead webhook: exit 1" eq "$rc" 1
check "dead webhook: reason" contains "$out" "channel hook-dead: webhook http://127.0.0.1:$dead_port/x: cannot connect to 127.0.0.1:$dead_port"

start=$(date +%s)
out=$(ds notify --test mail-silent 2>&1); rc=$?
check "silent SMTP server: exit 1" eq "$rc" 1
check "silent SMTP server: the timeout" contains "$out" "channel mail-silent (smtp://127.0.0.1:$silent_port): no complete SMTP dialogue within 2 s"
out=$(ds notify --test hook-silent 2>&1); rc=$?
check "silent web server: exit 1" eq "$rc" 1
check "silent web server: the timeout" contains "$out" "channel hook-silent: webhook http://127.0.0.1:$silent_port/x: no complete reply from 127.0.0.1:$silent_port within 2000 ms"
check "silent servers: both cut off at their 2 s" test $(( $(date +%s) - start )) -le 8

# --- a server that wants AUTH (POSTFIX_REQUIRE_AUTH=1): a refused recipient is a failure --------
smtp2_port=$(free_port)
POSTFIX_REQUIRE_AUTH=1 bash "$project/scripts/start-postfix.sh" "$work/pf2" "$smtp2_port" >/dev/null
check "second Postfix (AUTH required) started" test $? = 0
cat > "$work/auth.toml" <<EOF
[channels.anon]
type = "smtp"
url = "smtp://127.0.0.1:$smtp2_port"
from = "dmarc-alerts@example.com"
to = "someone@example.org"
ca_file = "$work/pf2/tls/cert.pem"

[channels.authed]
type = "smtp"
url = "smtp://127.0.0.1:$smtp2_port"
username = "sender"
password_file = "$work/pf2/password"
from = "dmarc-alerts@example.com"
to = "someone@example.org"
ca_file = "$work/pf2/tls/cert.pem"
EOF
chmod 600 "$work/auth.toml"
out=$("$bin" --config "$work/auth.toml" notify --test anon 2>&1); rc=$?
check "AUTH required, none given: exit 1" eq "$rc" 1
check "AUTH required, none given: the server's refusal" contains "$out" "channel anon (smtp://127.0.0.1:$smtp2_port): SMTP failed: RCPT failed: 554"
check "AUTH required, given: exit 0" "$bin" --config "$work/auth.toml" notify --test authed
for _ in $(seq 1 100); do [ -n "$(ls "$work/pf2/Maildir/new" 2>/dev/null)" ] && break; sleep 0.1; done
check "AUTH required: only the authenticated mail arrived" eq "$(ls "$work/pf2/Maildir/new" | wc -l)" 1

# --- usage ---------------------------------------------------------------------------------------
out=$(ds notify --test nosuch 2>&1); rc=$?
check "unknown channel: exit 2" eq "$rc" 2
check "unknown channel: names the channels" contains "$out" "no channel 'nosuch' in the configuration"
out=$(ds notify --test hok 2>&1)
check "unknown channel: suggestion" contains "$out" "did you mean 'hook'?"
out=$(ds notify 2>&1); rc=$?
check "notify alone: exit 2" eq "$rc" 2
out=$("$bin" notify --help 2>&1)
check "help: --test" contains "$out" "--test"
check "help: --list" contains "$out" "--list"

echo "notify: $pass passed, $failn failed"
[ "$failn" = 0 ]
