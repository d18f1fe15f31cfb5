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


def req(path, headers=None, method="GET", body=None):
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False  # the fixture's certificate names mta-sts.sts.test, not 127.0.0.1
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
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
import gzip
for _ in range(2):  # the second one cut from the kept document of every domain, asked with gzip
    s, h, b = req("/api/v1/domains", dict(bearer, **{"Accept-Encoding": "gzip"}))
    if h.get("content-encoding") == "gzip":
        b = gzip.decompress(b)
    names = [d["policy_domain"] for d in json.loads(b)] if s == 200 else None
    check("cust (Bearer, gzip): its domain only", names == [own], (s, names))
import urllib.parse
for path, item in spec["paths"].items():
    if "get" not in item or "{" in path:
        continue
    params = {p["name"]: p["example"] for p in item["get"].get("parameters", []) if "example" in p}
    for domain_param in ({}, {"domain": own}, {"domain": "*." + own}):
        qs = dict(params, **domain_param)
        if "domain" in qs and not domain_param:
            qs["domain"] = own
        full = path + ("?" + urllib.parse.urlencode(qs) if qs else "")
        s, h, b = req(full, bearer)
        check("cust: GET %s never names %s" % (full, other), other.encode() not in b, b[:200])
        check("cust: GET %s is 200, 400, 403 or 404" % full, s in (200, 400, 403, 404), (s, b[:200]))
    if any(p["name"] == "domain" for p in item["get"].get("parameters", [])):
        for asked in (other, "*." + other, "sub." + other):
            full = path + "?" + urllib.parse.urlencode(dict(params, domain=asked))
            s, h, b = req(full, bearer)
            check("cust: GET %s (another's domain) is 403" % full, s == 403, (s, b[:200]))
            check("cust: GET %s does not answer with its data" % full, b"messages" not in b, b[:200])
# Lists without a domain hold the account's own rows only.
for path in ("/api/v1/sources?limit=0", "/api/v1/trends", "/api/v1/alerts"):
    s, h, b = req(path, bearer)
    rows = json.loads(b) if s == 200 else None
    names = {r.get("policy_domain") or r.get("domain") for r in rows} if rows is not None else None
    some = names if "alerts" not in path else True  # sources and trends have rows of example.org; alerts may have none
    check("cust: %s holds %s's rows only" % (path, own), s == 200 and some and all(n == own or n.endswith("." + own) for n in names), (s, names))
s, h, b = req("/api/v1/failures", bearer)
check("cust: failures without a domain adds up every domain: 400", s == 400, (s, b[:200]))

# Browser sessions: login sets an HttpOnly SameSite=Strict cookie; changes need the CSRF token.
def login(user, pw, headers=None):
    return req("/api/v1/session", dict({"Content-Type": "application/json"}, **(headers or {})), "POST", json.dumps({"user": user, "password": pw}))


s, h, b = login("admin", admin_pw)
check("login: 200 with the session document", s == 200 and json.loads(b)["user"] == "admin" and len(json.loads(b)["csrf"]) == 64, (s, b[:200]))
cookie = h.get("set-cookie", "")
check("login: the cookie is HttpOnly, SameSite=Strict, Path=/", "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie, cookie)
check("login: Secure exactly when over TLS", ("Secure" in cookie) == bool(ca), cookie)
csrf = json.loads(b)["csrf"]
sess = {"Cookie": cookie.split(";")[0]}
s, h, b = req("/api/v1/session", sess)
check("session: GET says who, with the same CSRF token", s == 200 and json.loads(b)["auth"] == "session" and json.loads(b)["csrf"] == csrf, (s, b[:200]))
s, h, b = req("/api/v1/stats", sess)
check("session: reads like the user (stats)", s == 200 and json.loads(b) == stats, s)
view = json.dumps({"name": "spoofing of " + own, "route": "#/sources?domain=%s&class=spoofing" % own})
s, h, b = req("/api/v1/views", dict(sess, **{"Content-Type": "application/json"}), "POST", view)
check("a change without the CSRF token: 403", s == 403 and "CSRF" in json.loads(b)["error"], (s, b[:200]))
s, h, b = req("/api/v1/views", dict(sess, **{"Content-Type": "application/json", "X-CSRF-Token": "0" * 64}), "POST", view)
check("a change with a wrong CSRF token: 403", s == 403, s)
s, h, b = req("/api/v1/views", dict(sess, **{"Content-Type": "application/json", "X-CSRF-Token": csrf, "Origin": "https://evil.example"}), "POST", view)
check("a change from another origin: 403", s == 403, s)
s, h, b = req("/api/v1/views", dict(sess, **{"Content-Type": "application/json", "X-CSRF-Token": csrf}), "POST", view)
check("save a view with the CSRF token: 201", s == 201 and json.loads(b)["route"].startswith("#/sources"), (s, b[:200]))
view_id = json.loads(b).get("id") if s == 201 else 0
s, h, b = req("/api/v1/views", dict(basic("admin", admin_pw), **{"Content-Type": "application/json"}), "POST", view)
check("Basic credentials cannot change anything: 403", s == 403, s)
s, h, b = req("/api/v1/views", bearer)
check("another user does not see the view", s == 200 and json.loads(b) == [], (s, b[:200]))
s, h, b = req("/api/v1/views/%d" % view_id, bearer, "DELETE")
check("another user cannot remove it: 404", s == 404, s)
s, h, b = req("/api/v1/views", dict(sess, **{"Content-Type": "application/json", "X-CSRF-Token": csrf}), "POST",
              json.dumps({"name": "x", "route": "javascript:alert(1)"}))
check("a view's route must be the dashboard's own link: 400", s == 400, s)
s, h, b = req("/api/v1/views", sess)
check("the user lists its view", s == 200 and [v["id"] for v in json.loads(b)] == [view_id], (s, b[:200]))
s, h, b = req("/api/v1/views/%d" % view_id, dict(sess, **{"X-CSRF-Token": csrf}), "DELETE")
check("remove the view: 204", s == 204, s)
# Alert changes: per domain, as reading. The admin mutes OTHER's alerts; cust sees nothing of
# that rule, cannot remove it, cannot mute OTHER nor acknowledge its alerts; cust mutes its own.
js = {"Content-Type": "application/json"}
admin_change = dict(sess, **js, **{"X-CSRF-Token": csrf})
s, h, b = req("/api/v1/mutes", admin_change, "POST", json.dumps({"domain": other, "kind": "new_source"}))
check("admin (session): a mute rule for %s: 201" % other, s == 201 and json.loads(b)["domain"] == other, (s, b[:200]))
other_rule = json.loads(b).get("id", 0) if s == 201 else 0
s, h, b = req("/api/v1/mutes", dict(sess, **js), "POST", json.dumps({"domain": other, "kind": "new_source"}))
check("a mute rule without the CSRF token: 403", s == 403, s)
s, h, b = req("/api/v1/mutes", dict(basic("admin", admin_pw), **js), "POST", json.dumps({"domain": other, "kind": "new_source"}))
check("Basic credentials cannot mute: 403", s == 403, s)
s, h, b = req("/api/v1/mutes", bearer)
check("cust: GET /api/v1/mutes holds nothing of %s" % other, s == 200 and other.encode() not in b, (s, b[:200]))
s, h, b = req("/api/v1/mutes/%d" % other_rule, bearer, "DELETE")
check("cust cannot remove %s's mute rule: 404" % other, s == 404, s)
s, h, b = req("/api/v1/mutes", dict(bearer, **js), "POST", json.dumps({"domain": other, "kind": "new_source"}))
check("cust cannot mute %s: 403" % other, s == 403, s)
s, h, b = req("/api/v1/mutes", dict(bearer, **js), "POST", json.dumps({"kind": "new_source"}))
check("cust cannot mute every domain: 400", s == 400, s)
s, h, b = req("/api/v1/mutes", dict(bearer, **js), "POST", json.dumps({"domain": own, "source": "192.0.2.0/24"}))
check("cust mutes its own domain (token): 201", s == 201, (s, b[:200]))
own_rule = json.loads(b).get("id", 0) if s == 201 else 0
s, h, b = req("/api/v1/mutes", bearer)
check("cust lists its own rule only", s == 200 and [m["id"] for m in json.loads(b)] == [own_rule], (s, b[:200]))
s, h, b = req("/api/v1/alerts?domain=" + other, sess)
others = [a["id"] for a in json.loads(b)] if s == 200 else []
check("admin: %s has alerts (kept by the alerts run)" % other, bool(others), (s, b[:200]))
for alert_id in others[:3]:
    s, h, b = req("/api/v1/alerts/ack", dict(bearer, **js), "POST", json.dumps({"id": alert_id}))
    check("cust cannot acknowledge %s's alert: 404" % other, s == 404 and alert_id.encode() in b, (s, b[:200]))
for rule in (own_rule, other_rule):
    s, h, b = req("/api/v1/mutes/%d" % rule, dict(sess, **{"X-CSRF-Token": csrf}), "DELETE")
    check("admin removes rule %d: 204" % rule, s == 204, s)
s, h, b = req("/api/v1/session", dict(sess, **{"X-CSRF-Token": csrf}), "DELETE")
check("logout: 204, the cookie cleared", s == 204 and "Max-Age=0" in h.get("set-cookie", ""), (s, h))
s, h, b = req("/api/v1/stats", sess)
check("after logout the cookie is worth nothing: 401", s == 401, s)
s, h, b = req("/api/v1/domains", {"Cookie": "dmarcsight_session=" + "a" * 64})
check("a made-up session: 401", s == 401, s)
s, h, b = login("admin", admin_pw, {"Origin": "https://evil.example"})
check("a login from another origin: 403", s == 403, s)
s, h, b = login("cust", "not the password")
check("a wrong login password: 401", s == 401, s)
s, h, b = req("/api/v1/session", {"Content-Type": "application/json"}, "POST", "{not json")
check("a login body that is not JSON: 400", s == 400, s)
s, h, b = req("/api/v1/session", {"Content-Type": "application/json"}, "POST", json.dumps({"user": "a" * 100000, "password": "x"}))
check("an oversized login body: refused", s in (400, 413), s)
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
codes = [req("/api/v1/domains", basic("admin", "wrong password %d" % i))[0] for i in range(11)]
check("wrong passwords: 401 until the limit, then 429", codes[0] == 401 and codes[-1] == 429, codes)
s, h, b = req("/api/v1/stats", basic("admin", admin_pw))
check("blocked address: 429 with Retry-After even with the right password", s == 429 and h.get("retry-after") == "60", (s, h))
s, h, b = login("admin", admin_pw)
check("blocked address: a login gets 429 too", s == 429, s)
sys.exit(1 if failed else 0)
