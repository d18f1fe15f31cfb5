#!/usr/bin/env bash
# Dashboard benchmark (issue 12): `dmarcsight serve` over the analysis benchmark's store (~10
# million records, bench/analysis_bench.sh builds it), and the latency of every API call the
# overview and sources pages make — median and p95 of RUNS requests each (default 10), one at a
# time over keep-alive, as the browser makes them — plus the server's peak RSS after them all.
# The baseline in the same run is /healthz (the HTTP floor) and /api/v1/domains (one fact scan).
#
#   bench/serve_bench.sh BUILD_DIR [DB] [DOMAIN]     (BUILD_DIR from a Release build)
set -euo pipefail
build=${1:?usage: serve_bench.sh BUILD_DIR [DB] [DOMAIN]}
db=${2:-/tmp/dmarcsight-analysis-bench/s.db}
runs=${RUNS:-10}
bin="$build/src/cli/dmarcsight"
[ -f "$db" ] || { echo "no store at $db: run bench/analysis_bench.sh $build first" >&2; exit 2; }
domain=${3:-$("$bin" domains --db "$db" --format json | python3 -c 'import json,sys; print(max(json.load(sys.stdin), key=lambda d: d["messages"])["policy_domain"])')}
err=$(mktemp)
"$bin" serve --db "$db" --listen 127.0.0.1:0 2> "$err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$err"' EXIT
port=
for _ in $(seq 200); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$err")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$err"; exit 1; }
echo "store $db, domain $domain, $runs requests per call"
python3 - "$port" "$runs" "$domain" <<'PY'
import http.client, sys, time
port, runs, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
calls = [
    ("floor", "/healthz"),
    ("overview", "/api/v1/session"),
    ("overview", "/api/v1/stats"),
    ("overview", "/api/v1/domains"),
    ("overview", "/api/v1/trends?domain=" + d),
    ("overview", "/api/v1/policy?domain=%s&p=reject" % d),
    ("overview", "/api/v1/alerts?domain=" + d),
    ("overview", "/api/v1/sources?domain=%s&class=spoofing&limit=5000" % d),
    ("sources", "/api/v1/sources?domain=%s&limit=100" % d),
    ("sources", "/api/v1/sources?domain=%s&limit=100&failing=1" % d),
    ("sources", "/api/v1/sources?domain=%s&group=service&limit=100" % d),
]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
print("%-9s %-62s %9s %9s %9s" % ("page", "call", "median ms", "p95 ms", "bytes"))
for page, path in calls:
    times, size = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        size = len(body)
        assert r.status == 200, (path, r.status, body[:200])
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print("%-9s %-62s %9.1f %9.1f %9d" % (page, path[:62], times[len(times) // 2], p95, size))
PY
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
