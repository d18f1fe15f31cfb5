#!/bin/sh
# start-nsd.sh DIR PORT ZONE...
# Starts NSD (NLnet Labs' authoritative server) on 127.0.0.1:PORT (UDP and TCP), serving each ZONE,
# with every file it writes (config, pid, log, xfrd state, zone list) inside DIR. Waits until the
# server answers a query for the first zone's SOA, then prints NSD's pid on stdout and exits;
# stop the server with `kill PID`.
# A ZONE is NAME=FILE, or FILE alone: the zone's name is then the file's first $ORIGIN directive.
# Used by the dns integration test (tests/unit/dns/nsd_integration_test.cpp).
set -eu

if [ $# -lt 3 ]; then
  echo "usage: $0 DIR PORT ZONE..." >&2
  exit 2
fi
dir=$1
port=$2
shift 2
case "$port" in
  ''|*[!0-9]*) echo "start-nsd.sh: bad port '$port'" >&2; exit 2 ;;
esac
nsd_bin=$(command -v nsd || true)
[ -n "$nsd_bin" ] || { [ -x /usr/sbin/nsd ] && nsd_bin=/usr/sbin/nsd; } || true
if [ -z "$nsd_bin" ]; then
  echo "start-nsd.sh: nsd is not installed (apt-get install -y nsd)" >&2
  exit 3
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/nsd.conf"

cat > "$conf" <<CONF
# Written by start-nsd.sh: a throw-away NSD for tests.
server:
    ip-address: 127.0.0.1
    port: $port
    do-ip4: yes
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
    verbosity: 1
    hide-version: yes
    minimal-responses: no
    round-robin: no
    refuse-any: no
    # Response rate limiting off: tests send thousands of queries per second from one address
    # (enrichment's query_many), which NSD's default RRL (200 qps per class) would drop or truncate.
    rrl-ratelimit: 0
remote-control:
    control-enable: no
CONF

first_zone=""
for z in "$@"; do
  case "$z" in
    *=*) name=${z%%=*}; file=${z#*=} ;;
    *)   file=$z
         name=$(sed -n 's/^\$ORIGIN[[:space:]]*\([^[:space:];]*\).*/\1/p' "$file" | head -n 1) ;;
  esac
  if [ -z "$name" ] || [ ! -r "$file" ]; then
    echo "start-nsd.sh: cannot use zone '$z' (no name or unreadable file)" >&2
    exit 2
  fi
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  [ -n "$first_zone" ] || first_zone=$name
  printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$name" "$file" >> "$conf"
done

"$nsd_bin" -c "$conf" -P "$dir/nsd.pid" >"$dir/nsd.stdout" 2>&1 || {
  echo "start-nsd.sh: nsd failed to start:" >&2
  cat "$dir/nsd.stdout" "$dir/nsd.log" >&2 2>/dev/null || true
  exit 1
}

# Wait (at most ~10 s) until the server answers a UDP query for the first zone's SOA.
i=0
while :; do
  if [ -s "$dir/nsd.pid" ] && python3 - "$port" "$first_zone" <<'PY' 2>/dev/null
import socket, struct, sys
port, zone = int(sys.argv[1]), sys.argv[2].rstrip('.')
q = struct.pack('>HHHHHH', 0x5a5a, 0, 1, 0, 0, 0)
for label in [l for l in zone.split('.') if l]:  # the root zone '.' has none
    q += bytes([len(label)]) + label.encode()
q += b'\x00' + struct.pack('>HH', 6, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(q, ('127.0.0.1', port))
r = s.recv(4096)
sys.exit(0 if len(r) >= 12 and r[:2] == b'\x5a\x5a' and (r[3] & 0x0f) == 0 else 1)
PY
  then
    break
  fi
  i=$((i + 1))
  if [ $i -ge 50 ]; then
    echo "start-nsd.sh: nsd does not answer on 127.0.0.1:$port" >&2
    cat "$dir/nsd.log" >&2 2>/dev/null || true
    [ -s "$dir/nsd.pid" ] && kill "$(cat "$dir/nsd.pid")" 2>/dev/null || true
    exit 1
  fi
  sleep 0.2
done
cat "$dir/nsd.pid"
