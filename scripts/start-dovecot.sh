#!/usr/bin/env bash
# A throw-away Dovecot IMAP server on 127.0.0.1 for tests: everything in DIR, the system's Dovecot
# neither configured, started nor needed (no /etc/dovecot is read).
#
#   scripts/start-dovecot.sh DIR PORT PORT_TLS
#
# What it makes in DIR:
#   tls/cert.pem tls/key.pem   a self-signed certificate for "localhost" and 127.0.0.1 (openssl):
#                              the ca_file clients verify the server with
#   home/Maildir/              the mailbox of the one user "alice" (INBOX = new/ cur/ tmp/;
#                              Maildir++ folders .Aggregate, .Invalid ... as they are created)
#   password                   alice's random password (passwd-file passdb, PLAIN)
#   oauth/default/HS256/default  the HS256 key (base64) Dovecot checks OAuth2 bearer tokens with
#                              (oauth2 passdb, introspection_mode = local): a test signs a JWT
#                              {"sub":"alice","exp":…,"iat":…} with it (tests/integration/jwt.py)
#   dovecot/                   configuration, state, log
# IMAP on 127.0.0.1:PORT (plaintext logins allowed: loopback only) and implicit TLS on PORT_TLS.
# Failed logins answer at once (auth_failure_delay = 0, no anvil penalty).
# Exit 77 (skip) when dovecot (dovecot-imapd) or openssl is not installed, 2 when it does not come
# up. A server an earlier run left in DIR is stopped first; its mail is kept. Stop it with
# scripts/stop-dovecot.sh DIR.
set -euo pipefail
dir=${1:?usage: start-dovecot.sh DIR PORT PORT_TLS}
port=${2:?usage: start-dovecot.sh DIR PORT PORT_TLS}
port_tls=${3:?usage: start-dovecot.sh DIR PORT PORT_TLS}
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/sbin"
for tool in dovecot openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "start-dovecot: $tool not installed (apt-get install dovecot-imapd openssl)" >&2; exit 77; }
done
[ -x /usr/lib/dovecot/imap ] || { echo "start-dovecot: dovecot-imapd not installed (apt-get install dovecot-imapd)" >&2; exit 77; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ ${#dir} -le 70 ] || { echo "start-dovecot: DIR must be a short path (unix socket paths are limited): $dir" >&2; exit 2; }
bash "$here/stop-dovecot.sh" "$dir" >/dev/null 2>&1 || true
mkdir -p "$dir/dovecot/run" "$dir/dovecot/state" "$dir/tls" "$dir/home/Maildir/new" "$dir/home/Maildir/cur" \
         "$dir/home/Maildir/tmp" "$dir/oauth/default/HS256"
# The mail user: a numeric uid that is not root (Dovecot refuses to run mail processes as root).
mail_uid=${DOVECOT_MAIL_UID:-1500}
chown -R "$mail_uid:$mail_uid" "$dir/home"
chmod 755 "$dir"

if [ ! -s "$dir/tls/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
fi
chmod 600 "$dir/tls/key.pem"; chmod 644 "$dir/tls/cert.pem"
[ -s "$dir/password" ] || { openssl rand -hex 12 > "$dir/password"; chmod 600 "$dir/password"; }
password=$(cat "$dir/password")
printf 'alice:{PLAIN}%s:%s:%s::%s::\n' "$password" "$mail_uid" "$mail_uid" "$dir/home" > "$dir/users"
chmod 644 "$dir/users"
# The OAuth2 signing key: random bytes, base64 (Dovecot's local validation key format).
[ -s "$dir/oauth/default/HS256/default" ] || openssl rand -base64 32 | tr -d '\n' > "$dir/oauth/default/HS256/default"
# JWTs are signed with the raw key bytes; tests read them from here.
base64 -d "$dir/oauth/default/HS256/default" > "$dir/oauth/key.bin"

cat > "$dir/dovecot/oauth2.conf" <<CONF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$dir/oauth/
username_attribute = sub
CONF

cat > "$dir/dovecot/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot/log
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
first_valid_uid = 1
# IDLE tells of new mail within a second (tests of --watch), inotify or not.
mailbox_idle_check_interval = 1 secs
# The process title names the command a session runs ("… IDLE"): tests wait for it.
verbose_proctitle = yes
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot/oauth2.conf
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $port_tls
    ssl = yes
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
CONF
# Daemons get no terminal and no pipe of the caller (ctest waits for its pipes to close).
dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1 || { echo "start-dovecot: dovecot did not start:" >&2; tail -5 "$dir/dovecot/log" >&2 2>/dev/null; exit 2; }
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start-dovecot: IMAP on 127.0.0.1:$port, IMAPS on 127.0.0.1:$port_tls (DIR $dir)"
    exit 0
  fi
  sleep 0.05
done
echo "start-dovecot: no IMAP listener on 127.0.0.1:$port after 5 s:" >&2
tail -5 "$dir/dovecot/log" >&2 2>/dev/null || true
exit 2
