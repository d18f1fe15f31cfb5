#!/usr/bin/env python3
"""Authentication and per-domain access of a running `dmarcsight serve` with users:

    serve_auth_client.py PORT SPEC ADMIN_PASSWORD CUST_TOKEN OWN_DOMAIN OTHER_DOMAIN STATS_JSON [--tls CA]

cust sees OWN_DOMAIN only: no answer to it, on any GET path of docs/openapi.json, names
OTHER_DOMAIN; the store's totals are the admin's; wrong credentials get 401, then 429 after the
allowed failures. Prints one line per failed check; exit 1 if any failed."""
import base64
import http.client
import json
import ssl
import sys

port, spec_path, admin_pw, token, own, other, stats_path = sys.argv[1:8]
port = int(port)
ca = sys.argv[9] if len(sys.argv) > 9 and sys.argv[8] == "--tls" else None
spec = json.load(open(spec_path))
stats = json.load(open(stats_path))
failed = []


def check(name, ok, detail=""):
    if not ok:
        failed.append(name)
        print("FAIL:", name, detail)


def req(path, headers=None):
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False  # the fixture's certificate names mta-sts.sts.test, not 127.0.0.1
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


bearer = {"Authorization": "Bearer " + token}
s, h, b = req("/api/v1/stats")
check("no credentials: 401", s == 401, (s, b))
check("401 says how: WWW-Authenticate Bearer and Basic", "Bearer" in h.get("www-authenticate", "") and "Basic" in h.get("www-authenticate", ""), h)
s, h, b = req("/healthz")
check("healthz needs no credentials", s == 200)

# The administrator sees the totals, equal to the CLI's.
s, h, b = req("/api/v1/stats", basic("admin", admin_pw))
check("admin (Basic): stats 200 equal to the CLI", s == 200 and json.loads(b) == stats, (s, b[:200]))
s, h, b = req("/metrics", basic("admin", admin_pw))
check("admin: metrics 200", s == 200)
s, h, b = req("/api/v1/domains", basic("admin", admin_pw))
names = [d["policy_domain"] for d in json.loads(b)]
check("admin: both domains", own in names and other in names, names)

# The customer's token: its domain only, on every path; the totals are refused.
s, h, b = req("/api/v1/domains", bearer)
names = [d["policy_domain"] for d in json.loads(b)] if s == 200 else None
check("cust (Bearer): its domain only", names == [own], (s, names))
for path, item in spec["paths"].items():
    if "get" not in item:
        continue
    s, h, b = req(path, bearer)
    check("cust: GET %s never names %s" % (path, other), other.encode() not in b, b[:200])
    check("cust: GET %s is 200 or 403" % path, s in (200, 403), s)
s, h, b = req("/api/v1/stats", bearer)
check("cust: stats 403 with the reason", s == 403 and "totals" in json.loads(b)["error"], (s, b))
s, h, b = req("/metrics", bearer)
check("cust: metrics 403", s == 403, s)

# Wrong credentials: 401, then 429 from this address once the allowed failures are spent, even
# for right ones.
s, h, b = req("/api/v1/domains", {"Authorization": "Bearer dms_" + "0" * 64})
check("an unknown token: 401", s == 401, s)
s, h, b = req("/api/v1/domains", {"Authorization": "Basic !!!not-base64"})
check("garbage Basic: 401", s == 401, s)
codes = [req("/api/v1/domains", basic("admin", "wrong password %d" % i))[0] for i in range(12)]
check("wrong passwords: 401 until the limit, then 429", codes[0] == 401 and codes[-1] == 429, codes)
s, h, b = req("/api/v1/stats", basic("admin", admin_pw))
check("blocked address: 429 with Retry-After even with the right password", s == 429 and h.get("retry-after") == "60", (s, h))
sys.exit(1 if failed else 0)
