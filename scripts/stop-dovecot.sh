#!/usr/bin/env bash
# Stops the test Dovecot that scripts/start-dovecot.sh DIR started (nothing else: only the master
# whose pid file is in DIR, and it takes its children down). The mail stays in DIR.
set -uo pipefail
dir=${1:?usage: stop-dovecot.sh DIR}
[ -f "$dir/dovecot/run/master.pid" ] || exit 0
pid=$(cat "$dir/dovecot/run/master.pid")
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null || true
rm -f "$dir/dovecot/run/master.pid"
exit 0
