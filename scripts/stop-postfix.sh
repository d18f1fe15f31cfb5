#!/usr/bin/env bash
# Stops the test Postfix and Dovecot that scripts/start-postfix.sh DIR started (nothing else: only
# the processes whose pid files are in DIR). Its mail and log stay in DIR.
set -uo pipefail
dir=${1:?usage: stop-postfix.sh DIR}
export PATH="$PATH:/usr/sbin"
[ -d "$dir" ] || exit 0
if [ -f "$dir/postfix/main.cf" ]; then
  postfix -c "$dir/postfix" stop >/dev/null 2>&1 || true
fi
if [ -f "$dir/postfix.pid" ]; then
  pid=$(cat "$dir/postfix.pid")
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  rm -f "$dir/postfix.pid"
fi
if [ -f "$dir/dovecot/run/master.pid" ]; then
  pid=$(cat "$dir/dovecot/run/master.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
exit 0
