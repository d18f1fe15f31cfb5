#!/usr/bin/env python3
"""Every GET path of docs/openapi.json asked of a running `dmarcsight serve`: the status is one
the file lists, the content type is the one it names, and a JSON body matches its schema (the
subset of OpenAPI 3.0 schemas the file uses: type, nullable, enum, required, properties,
additionalProperties false, items, minimum, maximum, maxLength, format date / date-time, $ref).
A bad parameter value is asked too, and must get a documented 400.

    openapi_check.py PORT docs/openapi.json"""
import datetime
import http.client
import json
import sys
import urllib.parse

port, spec_path = int(sys.argv[1]), sys.argv[2]
spec = json.load(open(spec_path))
failed = []


def fail(what):
    failed.append(what)
    print("FAIL:", what)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def validate(value, schema, where):
    schema = resolve(schema)
    if value is None:
        if not schema.get("nullable"):
            fail(where + ": null where the schema allows none")
        return
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "number": (int, float), "integer": int}
    if t and not isinstance(value, types[t]) or (t in ("integer", "number") and isinstance(value, bool)):
        fail("%s: %r is not %s" % (where, value, t))
        return
    if "enum" in schema and value not in schema["enum"]:
        fail("%s: %r not in %r" % (where, value, schema["enum"]))
    if t in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            fail("%s: %r below %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            fail("%s: %r above %r" % (where, value, schema["maximum"]))
    if t == "string":
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            fail(where + ": longer than maxLength")
        fmt = schema.get("format")
        try:
            if fmt == "date":
                datetime.date.fromisoformat(value)
            elif fmt == "date-time":
                datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            fail("%s: %r is not a %s" % (where, value, fmt))
    if t == "object":
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                fail("%s: required %s missing" % (where, k))
        for k, v in value.items():
            if k in props:
                validate(v, props[k], where + "." + k)
            elif schema.get("additionalProperties") is False:
                fail("%s: %s is not in the schema" % (where, k))
    if t == "array":
        for i, v in enumerate(value):
            validate(v, schema.get("items", {}), "%s[%d]" % (where, i))


def ask(path, params):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", ""), body


def check_answer(path, op, params):
    status, ctype, body = ask(path, params)
    label = "GET %s %r" % (path, params)
    responses = op["responses"]
    if str(status) not in responses:
        return fail("%s: status %d is not documented (%s)" % (label, status, ", ".join(responses)))
    content = resolve(responses[str(status)]).get("content", {})
    media = ctype.split(";")[0].strip()
    if media not in content:
        return fail("%s: content type %s is not documented (%s)" % (label, ctype, ", ".join(content)))
    schema = content[media]["schema"]
    value = json.loads(body) if media == "application/json" else body.decode()
    validate(value, schema, label)
    return status


asked = 0
for path, item in spec["paths"].items():
    op = item.get("get")
    if not op:
        continue
    params = {p["name"]: p["example"] for p in op.get("parameters", []) if "example" in p}
    s = check_answer(path, op, params)
    asked += 1
    if s != 200 and not (s == 404 and op.get("x-404-without-users")):
        fail("GET %s: %s, not 200" % (path, s))
    for p in op.get("parameters", []):
        if p["in"] == "query":
            s = check_answer(path, op, {p["name"]: "not a value " * 30})
            if s != 400:
                fail("GET %s?%s=<bad>: %s, not 400" % (path, p["name"], s))
print("openapi_check: %d GET paths asked, %d failures" % (asked, len(failed)))
sys.exit(1 if failed or asked == 0 else 0)
