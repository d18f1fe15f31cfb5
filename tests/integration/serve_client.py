#!/usr/bin/env python3
"""Checks a running `dmarcsight serve` against the CLI's own JSON on the same store.

    serve_client.py PORT STATS_JSON DOMAINS_JSON DOMAINS_SINCE_JSON SINCE CLI_DIR

CLI_DIR holds the CLI's JSON of sources, policy, trends, failures, tls and alerts (serve.sh).

Prints one line per failed check and exits 1 if any failed."""
import http.client
import json
import sys

port = int(sys.argv[1])
stats, domains, domains_since = (json.load(open(p)) for p in sys.argv[2:5])
since = sys.argv[5]
cli_dir = sys.argv[6]


def cli(name):
    return json.load(open(cli_dir + "/" + name + ".json"))
failed = []


def check(name, ok, detail=""):
    if not ok:
        failed.append(name)
        print("FAIL:", name, detail)


def req(method, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def secure(name, h):
    check(name + ": Content-Security-Policy default-src 'none'", "default-src 'none'" in h.get("content-security-policy", ""), h)
    check(name + ": no framing", h.get("x-frame-options") == "DENY" and "frame-ancestors 'none'" in h.get("content-security-policy", ""))
    check(name + ": nosniff", h.get("x-content-type-options") == "nosniff")
    check(name + ": not cached", h.get("cache-control") == "no-store")


# The API's numbers are the CLI's (same builder, same store).
s, h, b = req("GET", "/api/v1/stats")
check("stats: 200", s == 200, s)
check("stats: JSON", h.get("content-type", "").startswith("application/json"), h)
api_stats = json.loads(b)
check("stats: equals `stats --format json`", api_stats == stats, (api_stats, stats))
check("stats: counts reports", api_stats.get("aggregate_reports", 0) > 0 and api_stats.get("messages", 0) > 0)
secure("stats", h)

s, h, b = req("GET", "/api/v1/domains")
check("domains: equals `domains --format json`", s == 200 and json.loads(b) == domains, b[:300])
s, h, b = req("GET", "/api/v1/domains?since=" + since)
check("domains?since: equals `domains --since`", s == 200 and json.loads(b) == domains_since, b[:300])
check("domains?since: the window changes the answer", json.loads(b) != domains)

# The analysis documents: each path answers what the CLI prints for the same options.
def same(name, path, expected):
    s, h, b = req("GET", path)
    got = json.loads(b) if s == 200 else b[:300]
    check(name + ": 200", s == 200, (s, b[:300]))
    check(name + ": equals the CLI's JSON", got == expected, (path, str(got)[:400], str(expected)[:400]))
    return h


every = cli("sources")
check("sources: the test store has sources", len(every) >= 5, len(every))
h = same("sources?limit=0", "/api/v1/sources?limit=0", every)
aggregate_rows = [r for r in every if not r.get("seen_only_in_failure_reports")]
top3 = cli("sources-top3")
h = same("sources page 2 (limit=2, offset=1)", "/api/v1/sources?limit=2&offset=1", top3[1:3])
check("sources: X-Total-Count counts every source", h.get("x-total-count") == str(len(aggregate_rows)), (h.get("x-total-count"), len(aggregate_rows)))
same("sources?domain&group=service", "/api/v1/sources?domain=example.com&group=service&limit=0", cli("sources-service"))
same("sources?class=spoofing", "/api/v1/sources?class=spoofing&limit=0", cli("sources-spoofing"))
# By country (the overview's chart): every spoofing source counted once, in its country's row.
by_country = cli("sources-spoofing-country")
same("sources?class=spoofing&group=country", "/api/v1/sources?class=spoofing&group=country&limit=0", by_country)
want = {}
for r in cli("sources-spoofing"):
    if not r.get("seen_only_in_failure_reports"):
        k = (r["policy_domain"], r["country"])
        want[k] = (want.get(k, (0, 0))[0] + r["messages"], want.get(k, (0, 0))[1] + 1)
got = {(r["policy_domain"], r["country"]): (r["messages"], r["source_ips"]) for r in by_country}
check("sources by country: the spoofing sources' messages and counts per country", got == want and len(got) > 0, (got, want))
s, h, b = req("GET", "/api/v1/sources?failing=1&limit=0")
rows = json.loads(b)
want = [r for r in aggregate_rows if r["dmarc_pass_messages"] < r["messages"]]
check("sources?failing=1: the rows not all passing", sorted(r["source_ip"] for r in rows) == sorted(r["source_ip"] for r in want), rows[:2])
# A page of them (the store chooses the largest failing sources): the same rows as the full list's
# slice, and the count of every failing source.
check("sources?failing=1: the test store has several", len(want) >= 3, len(want))
s, h, b = req("GET", "/api/v1/sources?failing=1&limit=2&offset=1")
check("sources?failing=1 page 2: the full list's rows 2-3", s == 200 and json.loads(b) == [r for r in rows if not r.get("seen_only_in_failure_reports")][1:3], b[:300])
check("sources?failing=1 page 2: X-Total-Count counts every failing source", h.get("x-total-count") == str(len(want)), (h.get("x-total-count"), len(want)))
s, h, b = req("GET", "/api/v1/sources")
check("sources: a page is at most 100 rows", s == 200 and len(json.loads(b)) == min(100, len(aggregate_rows)))
same("policy", "/api/v1/policy?domain=example.com", cli("policy"))
same("policy with controls", "/api/v1/policy?domain=example.com&p=quarantine&pct=50&aspf=s", cli("policy-q"))
s, h, b = req("GET", "/api/v1/policy?domain=example.com&sources=1")
top = json.loads(b)
full = cli("policy")
check("policy?sources=1: the largest affected source, and how many there were",
      s == 200 and top["by_source"] == full["by_source"][:1] and top["by_source_total"] == len(full["by_source"]) and top["verdict"] == full["verdict"],
      (s, b[:300]))
s, h, b = req("GET", "/api/v1/policy")
check("policy without a domain: 400", s == 400 and "domain" in json.loads(b)["error"], (s, b))
same("trends", "/api/v1/trends", cli("trends"))
same("trends by week", "/api/v1/trends?domain=example.com&by=week", cli("trends-week"))
same("failures", "/api/v1/failures", cli("failures"))
same("tls", "/api/v1/tls", cli("tls"))
same("alerts", "/api/v1/alerts", cli("alerts"))
s, h, b = req("GET", "/api/v1/posture?domain=example.com")
p = json.loads(b)
check("posture: the kept findings of example.com", s == 200 and p["domain"] == "example.com" and p["findings"], (s, b[:300]))
s, h, b = req("GET", "/api/v1/posture?domain=nosuch.example")
check("posture of a domain never checked: 404", s == 404, s)
for bad in ("/api/v1/sources?limit=-1", "/api/v1/sources?group=nope", "/api/v1/sources?class=nope", "/api/v1/policy?domain=example.com&pct=101",
            "/api/v1/policy?domain=example.com&p=nope", "/api/v1/trends?by=month", "/api/v1/sources?domain=..."):
    s, h, b = req("GET", bad)
    check("bad parameter %s: 400 JSON" % bad, s == 400 and "error" in json.loads(b), (s, b[:200]))

# Compression: gzip when offered, never brotli (cpp-httplib's brotli runs at its slowest quality).
import time
t = time.perf_counter()
s, h, b = req("GET", "/api/v1/sources?limit=0", {"Accept-Encoding": "gzip, deflate, br"})
check("a browser's Accept-Encoding gets gzip, not br", s == 200 and h.get("content-encoding") == "gzip", h.get("content-encoding"))
s, h, b = req("GET", "/api/v1/sources?limit=0", {"Accept-Encoding": "br"})
check("brotli alone: sent as is", s == 200 and "content-encoding" not in h and json.loads(b) == every, h.get("content-encoding"))

# The pages: the dashboard's files, with a policy that allows only its own scripts and styles.
s, h, b = req("GET", "/")
csp = h.get("content-security-policy", "")
check("page: 200 HTML", s == 200 and h.get("content-type", "").startswith("text/html") and b"<html" in b.lower(), (s, h))
check("page: script-src 'self', no inline script or eval", "script-src 'self'" in csp and "unsafe" not in csp, csp)
check("page: no framing", "frame-ancestors 'none'" in csp and h.get("x-frame-options") == "DENY")
for asset, ctype in (("/assets/app.js", "text/javascript"), ("/assets/app.css", "text/css"), ("/assets/chart.umd.min.js", "text/javascript")):
    s, h, b = req("GET", asset)
    check("asset %s: 200 %s" % (asset, ctype), s == 200 and h.get("content-type", "").startswith(ctype) and len(b) > 0, (s, h.get("content-type")))

# Prometheus text: the same totals, one series per domain.
s, h, b = req("GET", "/metrics")
check("metrics: 200 text/plain 0.0.4", s == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"), h)
values = {}
for line in b.decode().splitlines():
    if line and not line.startswith("#"):
        k, _, v = line.rpartition(" ")
        values[k] = float(v)
check("metrics: aggregate reports", values.get("dmarcsight_aggregate_reports") == stats["aggregate_reports"], values)
check("metrics: messages", values.get("dmarcsight_messages") == stats["messages"])
check("metrics: failure reports", values.get("dmarcsight_failure_reports") == stats["failure_reports"])
for d in domains:
    key = 'dmarcsight_domain_messages{domain="%s"}' % d["policy_domain"]
    check("metrics: messages of " + d["policy_domain"], values.get(key) == d["messages"], values.get(key))
    key = 'dmarcsight_domain_dmarc_pass_share{domain="%s"}' % d["policy_domain"]
    check("metrics: pass share of " + d["policy_domain"], abs(values.get(key, -1) - d["dmarc_pass_share"]) < 1e-6)
# The alerts run kept example.com's alerts (serve.sh ran it for that domain alone): as many open
# ones as the CLI evaluates for it, none acknowledged yet, and nothing kept for other domains.
want = sum(1 for a in cli("alerts") if a["domain"] == "example.com")
check("metrics: example.com's kept alerts, all open", want > 0 and values.get('dmarcsight_alerts{domain="example.com",state="open"}') == want,
      (want, {k: v for k, v in values.items() if k.startswith("dmarcsight_alerts")}))
check("metrics: no alerts kept for other domains", all('domain="example.com"' in k for k in values if k.startswith("dmarcsight_alerts{")))

# Errors: JSON with a reason, the same headers.
s, h, b = req("GET", "/nosuch")
check("unknown path: 404 JSON", s == 404 and "error" in json.loads(b), (s, b))
secure("404", h)
s, h, b = req("GET", "/api/v1/domains?since=yesterday-ish")
check("bad since: 400 naming it", s == 400 and "since" in json.loads(b)["error"], (s, b))
secure("400", h)
s, h, b = req("GET", "/api/v1/domains?until=" + "9" * 300)
check("a query value over the cap: 400", s == 400 and "longer than" in json.loads(b)["error"], (s, b))
s, h, b = req("GET", "/api/v1/domains?since=2026-01-02&until=2026-01-01")
check("since after until: 400", s == 400, (s, b))
for m in ("POST", "PUT", "DELETE", "PATCH"):
    s, h, b = req(m, "/api/v1/stats")
    check(m + ": 405 with Allow", s == 405 and h.get("allow") == "GET, HEAD", (s, h))
    secure(m, h)
# A path that takes changes says which methods it takes.
for m, path, allow in (("PUT", "/api/v1/mutes", "GET, HEAD, POST"), ("PATCH", "/api/v1/views/12", "DELETE"),
                       ("PUT", "/api/v1/alerts/ack", "POST"), ("PUT", "/api/v1/session", "GET, HEAD, POST, DELETE")):
    s, h, b = req(m, path)
    check(m + " " + path + ": 405 with Allow " + allow, s == 405 and h.get("allow") == allow, (s, h))
s, h, b = req("HEAD", "/api/v1/stats")
check("HEAD: 200 without a body", s == 200 and b == b"")
s, h, b = req("GET", "/healthz")
check("healthz", s == 200 and b == b"ok\n")
# A header block over the library's cap is refused, and the server keeps answering.
s, h, b = req("GET", "/api/v1/stats", {"X-Big": "a" * 20000})
check("oversized header: refused", s in (400, 431), s)
s, h, b = req("GET", "/api/v1/stats")
check("still answering after a refused request", s == 200)

sys.exit(1 if failed else 0)
