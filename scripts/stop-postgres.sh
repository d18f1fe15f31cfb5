#!/usr/bin/env bash
# stop-postgres.sh DIR
# Stops the server scripts/start-postgres.sh started in DIR (pg_ctl stop -m fast: open sessions are
# ended, nothing waits for clients). The cluster stays in DIR/data for a look at DIR/server.log;
# the next start-postgres.sh wipes it. Stopping a server that is not running is not an error.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
data="$dir/data"
if [ ! -f "$data/postmaster.pid" ]; then
  echo "stop-postgres.sh: no server running in $dir" >&2
  exit 0
fi

# The same binaries start-postgres.sh chose: the major version is in the cluster (PG_VERSION).
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  ver=$(cat "$data/PG_VERSION" 2>/dev/null || true)
  if [ -n "$ver" ] && [ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ]; then
    bindir=/usr/lib/postgresql/$ver/bin
  else
    bindir=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
  fi
fi
if [ ! -x "$bindir/pg_ctl" ]; then
  echo "stop-postgres.sh: pg_ctl not found (apt-get install -y postgresql)" >&2
  exit 3
fi

# The server runs as the postgres user when root started it; pg_ctl must run as the cluster's owner.
as_server=()
[ "$(id -u)" = 0 ] && as_server=(runuser -u postgres --)
"${as_server[@]}" "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
