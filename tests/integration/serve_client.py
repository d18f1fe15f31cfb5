#!/usr/bin/env python3
"""Checks a running `dmarcsight serve` against the CLI's own JSON on the same store.

    serve_client.py PORT STATS_JSON DOMAINS_JSON DOMAINS_SINCE_JSON SINCE

Prints one line per failed check and exits 1 if any failed."""
import http.client
import json
import sys

port = int(sys.argv[1])
stats, domains, domains_since = (json.load(open(p)) for p in sys.argv[2:5])
since = sys.argv[5]
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
