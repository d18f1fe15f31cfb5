#!/usr/bin/env python3
"""Golden tests: every file in tests/golden/inputs/ is ingested into a fresh database and
exported as JSON; the result must equal tests/golden/expected/<file>.json (the Postfix
valid_hostname.in → .ref idea). A rejected input's expectation is its outcome and reason.
Run with --update to rewrite the expectations after a deliberate change, then review the diff.

    golden.py DMARCSIGHT_BINARY GOLDEN_DIR [--update]
"""
import json
import os
import subprocess
import sys
import tempfile


def canonical(binary, path, work):
    db = os.path.join(work, os.path.basename(path) + ".db")
    ing = subprocess.run([binary, "ingest", "--db", db, "--format", "json", path], capture_output=True, text=True)
    summary = json.loads(ing.stdout)
    out = {"exit": ing.returncode,
           "outcome": {k: summary[k] for k in ("stored", "duplicate", "skipped", "rejected", "records", "messages")},
           "rejected": [r["reason"] for r in summary["rejected_inputs"]]}
    exp = subprocess.run([binary, "export", "--db", db, "--format", "json"], capture_output=True, text=True, check=True)
    reports = json.loads(exp.stdout)
    for r in reports:
        r["dmarcsight"].pop("id", None)
        r["dmarcsight"]["input"] = os.path.basename(r["dmarcsight"]["input"])
    out["reports"] = reports
    return out


def main():
    binary, golden = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    inputs = os.path.join(golden, "inputs")
    expected_dir = os.path.join(golden, "expected")
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name in sorted(os.listdir(inputs)):
            got = canonical(binary, os.path.join(inputs, name), work)
            ref = os.path.join(expected_dir, name + ".json")
            if update:
                with open(ref, "w", encoding="utf-8") as f:
                    json.dump(got, f, indent=1, ensure_ascii=False, sort_keys=True)
                    f.write("\n")
            with open(ref, encoding="utf-8") as f:
                want = json.load(f)
            if got == want:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {name}:\n  expected {json.dumps(want, sort_keys=True)[:600]}\n  got      "
                      f"{json.dumps(got, sort_keys=True)[:600]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
