#!/usr/bin/env bash
# Dashboard benchmark (issue 12): `dmarcsight serve` over the analysis benchmark's store (~10
# million records, bench/analysis_bench.sh builds it), and the latency of every API call the
# overview and sources pages make, with the parameters web/ui/app.js sends, one at a time over
# keep-alive as the browser makes them:
#   computed  a server with --no-prefetch, each request a new question (an ignored parameter
#             `_=N` makes every key new): the scan every answer would cost without kept answers;
#   kept      the same request again: the kept answer (web/answer_cache.hpp);
#   ahead     a server with its default prefetch, once its first round is done (web/prefetch.hpp,
#             /metrics): what a user's first look after an ingest costs, one request per call.
# Median and p95 of RUNS requests each (default 10); the server's peak RSS after each phase; the
# time the first round of answers ahead took; and, with Chromium, the overview and sources pages
# loaded in the browser until usable (bench/dashboard_bench.js), cold and after the answers
# ahead. The baseline in the same run is /healthz (the HTTP floor).
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
client=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -f "$err" "$client"' EXIT

# serve [FLAGS...]: starts the server; sets pid and port.
serve() {
  : > "$err"
  "$bin" serve --db "$db" --listen 127.0.0.1:0 "$@" 2> "$err" &
  pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$err")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  cat "$err"; exit 1
}
stop() {
  echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

cat > "$client" <<'PY'
import http.client, re, sys, time
port, runs, d, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
q = "domain=" + d
calls = [  # web/ui/app.js: renderOverview, renderSources (web/prefetch.cpp asks the same)
    ("floor", "/healthz"),
    ("overview", "/api/v1/session"),
    ("overview", "/api/v1/stats"),
    ("overview", "/api/v1/domains"),
    ("overview", "/api/v1/trends?%s&by=day" % q),
    ("overview", "/api/v1/policy?%s&p=reject&sources=20" % q),
    ("overview", "/api/v1/alerts?" + q),
    ("overview", "/api/v1/sources?%s&class=spoofing&group=country&limit=0" % q),
    ("overview", "/api/v1/posture?" + q),
    ("sources", "/api/v1/sources?%s&group=ip&limit=100&offset=0" % q),
    ("sources", "/api/v1/sources?%s&group=ip&failing=1&limit=100&offset=0" % q),
    ("sources", "/api/v1/sources?%s&group=service&limit=100&offset=0" % q),
]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
def get(path):
    t = time.perf_counter()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    ms = (time.perf_counter() - t) * 1000
    assert r.status in (200, 404), (path, r.status, body[:200])  # posture: 404 until `alerts` ran
    return ms, len(body)
def counter(name):
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    return int(re.search("^" + re.escape(name) + r" (\d+)$", text, re.M).group(1))
def stat(times):
    times = sorted(times)
    return times[len(times) // 2], times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
if mode == "ahead":
    t = time.perf_counter()
    while counter("dmarcsight_serve_prefetch_rounds_total") < 1:
        time.sleep(0.1)
    print("first round of answers ahead done %.1f s after the server started listening" % (time.perf_counter() - t))
    print("%-9s %-62s %9s %9s" % ("page", "call", "first ms", "bytes"))
    page_times = {}
    for page, path in calls:
        ms, size = get(path)
        page_times.setdefault(page, []).append(ms)
        print("%-9s %-62s %9.1f %9d" % (page, path[:62], ms, size))
    for page, ts in page_times.items():
        print("%-9s slowest call %.1f ms" % (page, max(ts)))
    sys.exit(0)
print("%-9s %-62s %14s %14s %9s" % ("page", "call", "computed ms", "kept ms", "bytes"))
print("%-9s %-62s %14s %14s" % ("", "", "median / p95", "median / p95"))
for page, path in calls:
    sep = "&" if "?" in path else "?"
    # Only the analysis answers are kept; the others are asked as they are.
    keyed = path.startswith("/api/v1/") and not path.startswith(("/api/v1/session", "/api/v1/stats"))
    computed = [get(path + "%s_=%d" % (sep, i) if keyed else path) for i in range(runs)]
    get(path)  # computed and kept; then asked again
    kept = [get(path) for _ in range(runs)]
    (cm, cp), (km, kp) = stat([x[0] for x in computed]), stat([x[0] for x in kept])
    print("%-9s %-62s %6.1f / %6.1f %6.1f / %6.1f %9d" % (page, path[:62], cm, cp, km, kp, kept[-1][1]))
PY
# The pages in headless Chromium (bench/dashboard_bench.js), where it and playwright-core are here.
browser=
[ -x /usr/bin/chromium ] && [ -d "$(dirname "$0")/../node_modules/playwright-core" ] && browser=1
echo "store $db, domain $domain, $runs requests per call"
serve --no-prefetch
if [ -n "$browser" ]; then
  echo "in the browser, nothing kept yet (each page's first load computes its answers):"
  node "$(dirname "$0")/dashboard_bench.js" --port "$port" --domain "$domain" --runs 1
fi
python3 "$client" "$port" "$runs" "$domain" computed
stop
serve
python3 "$client" "$port" "$runs" "$domain" ahead
if [ -n "$browser" ]; then
  echo "in the browser, after the answers ahead:"
  node "$(dirname "$0")/dashboard_bench.js" --port "$port" --domain "$domain" --runs "$runs"
fi
stop
