#!/usr/bin/env bash
# start-postgres.sh DIR PORT
# Starts a throw-away PostgreSQL server on 127.0.0.1:PORT with every file it writes inside DIR:
# DIR/data (the cluster), DIR itself (the unix socket and its lock file), DIR/server.log. Waits
# until the server accepts a connection over TCP, then prints its URI on stdout,
#   postgresql://postgres@127.0.0.1:PORT/postgres
# and exits 0. Stop it with scripts/stop-postgres.sh DIR.
# Used by the ctest fixture `postgres` (tests/integration/CMakeLists.txt) and bench/pg_ingest_bench.sh.
#
# Authentication is `trust` for every local and 127.0.0.1 connection: the server is for tests on
# this machine only and listens on the loopback address alone. fsync is off: nothing in it must
# survive a crash of the machine, and syncs would make the tests' timing depend on the disk.
#
# A server left running in DIR by an earlier run (a crashed ctest, a killed shell) is stopped and
# its cluster wiped first, so every start begins from an empty cluster.
#
# Exit status: 0 started; 1 the server did not start (its log is shown); 2 usage; 3 PostgreSQL
# (server binaries, or the postgres user when run as root) is not installed.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 DIR PORT" >&2
  exit 2
fi
dir=$1
port=$2
case "$port" in
  ''|*[!0-9]*) echo "start-postgres.sh: bad port '$port'" >&2; exit 2 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "start-postgres.sh: bad port '$port'" >&2
  exit 2
fi

# The server binaries: $PG_BINDIR, else Debian's layout (the newest installed major version, 15 on
# Debian 12), else whatever is on PATH (other distributions put initdb there). psql, pg_isready and
# createdb are the client package's and are on PATH on Debian.
find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  local d
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5 -n -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  d=$(command -v initdb 2>/dev/null || true)
  [ -n "$d" ] && dirname "$d"
  return 0
}
bindir=$(find_bindir)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ] || [ ! -x "$bindir/postgres" ]; then
  echo "start-postgres.sh: the PostgreSQL server is not installed (apt-get install -y postgresql)" >&2
  exit 3
fi

# initdb and the server refuse to run as root: as root they run as the postgres user (created by
# Debian's postgresql package), which must own DIR. As anyone else they run as that user.
as_server=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "start-postgres.sh: running as root needs the postgres user (apt-get install -y postgresql)" >&2
    exit 3
  fi
  as_server=(runuser -u postgres --)
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
log="$dir/server.log"
# A unix socket path is limited to 107 bytes (sun_path); the server would only say "path too long".
sock="$dir/.s.PGSQL.$port"
if [ ${#sock} -gt 107 ]; then
  echo "start-postgres.sh: '$sock' is longer than a unix socket path may be (107 bytes): use a shorter DIR" >&2
  exit 2
fi

# Stop a server an earlier run left in DIR. pg_ctl finds it by DIR/data/postmaster.pid; when the
# cluster was deleted under a running server, the pid file is gone too, so look for a postgres
# process started with `-D DIR/data` and end that one (only that one: it is ours by its data dir).
stop_stale() {
  if [ -f "$data/postmaster.pid" ]; then
    "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  # Builtins only (mapfile, no process per /proc entry): a busy machine has hundreds of them.
  local p args
  for p in /proc/[0-9]*; do
    args=()
    { mapfile -d '' -t args <"$p/cmdline"; } 2>/dev/null || continue
    if [ ${#args[@]} -ge 3 ] && [ "${args[0]}" = "$bindir/postgres" ] && [ "${args[1]}" = -D ] &&
       [ "${args[2]}" = "$data" ]; then
      echo "start-postgres.sh: ending server ${p#/proc/} left from an earlier run" >&2
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
}
stop_stale
rm -rf "$data" "$log" "$sock" "$sock.lock"

if [ ${#as_server[@]} -gt 0 ]; then
  chown postgres: "$dir"
  # The postgres user must reach DIR through every parent folder (a 0700 /root/... would stop it).
  if ! "${as_server[@]}" test -w "$dir" -a -x "$dir"; then
    echo "start-postgres.sh: the postgres user cannot write '$dir' (a parent folder is not searchable by it): use another DIR" >&2
    exit 1
  fi
fi

t0=$(date +%s%N)
if ! "${as_server[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
       >"$dir/initdb.log" 2>&1; then
  echo "start-postgres.sh: initdb failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 1
fi
t1=$(date +%s%N)

# -k: the socket in DIR, not /var/run/postgresql (root's, and shared with a system server).
# listen_addresses: loopback only. max_connections: the parallel tests and the 4-worker tests open
# a few each; 100 (the default) is plenty but say it, so a test hitting it knows where to look.
opts="-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
if ! "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "$opts" start >"$dir/pg_ctl.log" 2>&1; then
  echo "start-postgres.sh: the server did not start on 127.0.0.1:$port:" >&2
  cat "$dir/pg_ctl.log" "$log" >&2 2>/dev/null || true
  "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  exit 1
fi
t2=$(date +%s%N)

# pg_ctl -w waited on the socket; the tests connect over TCP, so check exactly that, with a query
# (psql) when the client is installed, else pg_isready.
uri="postgresql://postgres@127.0.0.1:$port/postgres"
ready() {
  if command -v psql >/dev/null; then
    psql "$uri" -XAtqc 'select 1' >/dev/null 2>&1
  else
    pg_isready -q -h 127.0.0.1 -p "$port" -U postgres -d postgres
  fi
}
i=0
until ready; do
  i=$((i + 1))
  if [ $i -ge 100 ]; then
    echo "start-postgres.sh: the server does not accept connections on 127.0.0.1:$port" >&2
    cat "$log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
t3=$(date +%s%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  printf "start-postgres.sh: initdb %.2f s, start %.2f s, first query %.2f s: %.2f s in all\n",
    (b - a) / 1e9, (c - b) / 1e9, (d - c) / 1e9, (d - a) / 1e9 }' >&2
echo "$uri"
