#!/usr/bin/env bash
# A throw-away Postfix (and a Dovecot for SMTP AUTH) on 127.0.0.1 for tests: everything in DIR,
# the system's Postfix neither started nor needed (no /etc/postfix/main.cf is read).
#
#   scripts/start-postfix.sh DIR PORT [SMTPS_PORT]     (as root: Postfix's master must be)
#
# What it makes in DIR:
#   tls/cert.pem tls/key.pem   a self-signed certificate for "localhost" and 127.0.0.1 (openssl),
#                              the CA file clients verify the server with
#   Maildir/                   every accepted message, for any address (catch-all virtual delivery)
#   maillog                    Postfix's log (maillog_file)
#   users                      the AUTH users: "sender" with the password in DIR/password
#   postfix/ dovecot/          configuration, queue and state
# SMTP on 127.0.0.1:PORT: STARTTLS offered (smtpd_tls_security_level = may), AUTH PLAIN/LOGIN
# through Dovecot SASL only after STARTTLS (smtpd_tls_auth_only), any recipient accepted from
# 127.0.0.1 without AUTH too. With POSTFIX_REQUIRE_AUTH=1 mail is accepted only after AUTH.
# With SMTPS_PORT, also implicit TLS (RFC 8314 "submissions") on 127.0.0.1:SMTPS_PORT.
# Exit 77 (skip) when postfix or dovecot is not installed; 2 when the server does not come up.
# A server an earlier run left in DIR is stopped first. Stop it with scripts/stop-postfix.sh DIR.
set -euo pipefail
dir=${1:?usage: start-postfix.sh DIR PORT}
port=${2:?usage: start-postfix.sh DIR PORT}
smtps_port=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
for tool in postfix postconf dovecot openssl; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { echo "start-postfix: $tool not installed (apt-get install postfix dovecot-core openssl)" >&2; exit 77; }
done
export PATH="$PATH:/usr/sbin"
[ "$(id -u)" = 0 ] || { echo "start-postfix: must run as root (Postfix's master drops to the postfix user itself)" >&2; exit 77; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ ${#dir} -le 60 ] || { echo "start-postfix: DIR must be a short path (unix socket paths are limited): $dir" >&2; exit 2; }
bash "$here/stop-postfix.sh" "$dir" >/dev/null 2>&1 || true
rm -rf "$dir/postfix" "$dir/dovecot" "$dir/Maildir"
mkdir -p "$dir/postfix/queue" "$dir/postfix/data" "$dir/dovecot/run" "$dir/dovecot/state" "$dir/tls" "$dir/Maildir"
mail_uid=$(id -u postfix); mail_gid=$(id -g postfix)
chown "$mail_uid:$mail_gid" "$dir/Maildir" "$dir/postfix/data"
# Postfix's daemons run as the postfix user and must reach the folder (and its parents: a
# mktemp -d parent is 0700, so the caller makes it 0755).
chmod 755 "$dir"
if ! runuser -u postfix -- test -x "$dir/Maildir"; then
  echo "start-postfix: the postfix user cannot reach $dir (chmod 755 its parent folders)" >&2
  exit 2
fi

# The certificate: self-signed, for localhost and 127.0.0.1, made now (never a committed key).
if [ ! -s "$dir/tls/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
fi
chmod 600 "$dir/tls/key.pem"; chmod 644 "$dir/tls/cert.pem"

# AUTH: one user, a random password (the tests read it from DIR/password).
[ -s "$dir/password" ] || { openssl rand -hex 12 > "$dir/password"; chmod 600 "$dir/password"; }
password=$(cat "$dir/password")
printf 'sender:{PLAIN}%s:%s:%s::%s::\n' "$password" "$mail_uid" "$mail_gid" "$dir" > "$dir/users"
chmod 644 "$dir/users"

cat > "$dir/dovecot/dovecot.conf" <<CONF
# SASL only: no IMAP/POP3 listener.
protocols =
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot/log
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
CONF
# Daemons get no terminal and no pipe of the caller (ctest waits for its pipes to close).
dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1

pf="$dir/postfix"
cp /etc/postfix/master.cf "$pf/master.cf"
: > "$pf/main.cf"
restrictions="permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
if [ "${POSTFIX_REQUIRE_AUTH:-0}" = 1 ]; then restrictions="permit_sasl_authenticated, reject"; fi
postconf -c "$pf" -e \
  "compatibility_level = 3.6" \
  "queue_directory = $pf/queue" \
  "data_directory = $pf/data" \
  "mail_owner = postfix" \
  "setgid_group = postdrop" \
  "myhostname = mx.test.invalid" \
  "mydomain = test.invalid" \
  "inet_interfaces = 127.0.0.1" \
  "inet_protocols = ipv4" \
  "mynetworks = 127.0.0.0/8" \
  "mydestination =" \
  "relay_domains =" \
  "local_recipient_maps =" \
  "alias_maps =" \
  "alias_database =" \
  "virtual_mailbox_domains = static:all" \
  "virtual_mailbox_base = $dir" \
  "virtual_mailbox_maps = static:Maildir/" \
  "virtual_minimum_uid = 1" \
  "virtual_uid_maps = static:$mail_uid" \
  "virtual_gid_maps = static:$mail_gid" \
  "maillog_file = $dir/maillog" \
  "maillog_file_prefixes = $dir" \
  "smtpd_banner = \$myhostname ESMTP test" \
  "smtpd_tls_cert_file = $dir/tls/cert.pem" \
  "smtpd_tls_key_file = $dir/tls/key.pem" \
  "smtpd_tls_security_level = may" \
  "smtpd_tls_auth_only = yes" \
  "smtpd_tls_loglevel = 1" \
  "smtpd_tls_received_header = yes" \
  "smtpd_sasl_auth_enable = yes" \
  "smtpd_sasl_type = dovecot" \
  "smtpd_sasl_path = $dir/dovecot/run/auth-client" \
  "smtpd_relay_restrictions = $restrictions" \
  "smtpd_recipient_restrictions =" \
  "smtp_tls_security_level = none" \
  "biff = no" \
  "append_dot_mydomain = no" \
  "readme_directory = no"
# The smtpd listener on 127.0.0.1:PORT instead of port 25; nothing chrooted (the folder is not a jail).
postconf -c "$pf" -M# smtp/inet
postconf -c "$pf" -M "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd"
if [ -n "$smtps_port" ]; then
  postconf -c "$pf" -M "127.0.0.1:$smtps_port/inet=127.0.0.1:$smtps_port inet n - n - - smtpd -o smtpd_tls_wrappermode=yes"
fi
postconf -c "$pf" -F '*/*/chroot = n'
postfix -c "$pf" check >/dev/null 2>&1 || postfix -c "$pf" set-permissions >/dev/null 2>&1 || true
postfix -c "$pf" start-fg </dev/null > "$dir/postfix.out" 2>&1 &
echo $! > "$dir/postfix.pid"

# Ready when the banner comes.
for _ in $(seq 1 100); do
  if python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(512).startswith(b"220") else 1)
PY
  then
    echo "start-postfix: Postfix on 127.0.0.1:$port (folder $dir)"
    exit 0
  fi
  sleep 0.1
done
echo "start-postfix: Postfix did not come up on 127.0.0.1:$port; its log:" >&2
tail -20 "$dir/maillog" "$dir/postfix.out" >&2 2>/dev/null || true
exit 2
