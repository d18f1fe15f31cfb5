#!/usr/bin/env python3
"""Golden check of `dmarcsight sources` against a scenario's truth.json (../shared/scenario).

Usage: scenario_golden.py SOURCES_JSON TRUTH_JSON [--min-accuracy X] [--report]

Compares, per (policy domain, source IP), the class and the message counts with the truth, and
per domain and class the source and message totals. Exit 0 when every count matches and the
share of sources (and of messages) with the right class is at least --min-accuracy (default 1.0),
else 1 with a summary of what differs.
"""
import collections
import json
import sys


def main():
    args = sys.argv[1:]
    min_acc = 1.0
    if "--min-accuracy" in args:
        i = args.index("--min-accuracy")
        min_acc = float(args[i + 1])
        del args[i:i + 2]
    report = "--report" in args
    args = [a for a in args if a != "--report"]
    ours = json.load(open(args[0]))
    truth = json.load(open(args[1]))
    problems = []
    got = {(r["policy_domain"], r["source_ip"]): r for r in ours}
    total = right = 0
    msgs = right_msgs = 0
    confusion = collections.Counter()
    wrong_examples = collections.defaultdict(list)
    totals_by_domain = collections.Counter()
    for d, dt in truth["domains"].items():
        sources = dt.get("sources", {})
        for ip, t in sources.items():
            r = got.get((d, ip))
            total += 1
            msgs += t["messages"]
            if r is None:
                problems.append(f"{d} {ip}: missing")
                continue
            for ours_key, truth_key in (("messages", "messages"), ("dmarc_pass_messages", "dmarc_pass"),
                                        ("spf_aligned_messages", "spf_aligned"), ("dkim_aligned_messages", "dkim_aligned")):
                if r[ours_key] != t[truth_key]:
                    problems.append(f"{d} {ip}: {ours_key} {r[ours_key]} != truth {t[truth_key]}")
            if r["first_seen"] != t["first_day"] or r["last_seen"] != t["last_day"]:
                problems.append(f"{d} {ip}: days {r['first_seen']}..{r['last_seen']} != truth {t['first_day']}..{t['last_day']}")
            confusion[(t["class"], r["class"])] += 1
            if r["class"] == t["class"]:
                right += 1
                right_msgs += t["messages"]
                if t["class"] == "authorized_failing" and r.get("failing_mechanism") != t.get("failing_mechanism"):
                    problems.append(f"{d} {ip}: failing_mechanism {r.get('failing_mechanism')} != {t.get('failing_mechanism')}")
            elif len(wrong_examples[(t["class"], r["class"])]) < 3:
                wrong_examples[(t["class"], r["class"])].append((d, ip, t.get("service"), t.get("ptr"), r["reason"]))
        # Totals per domain and class hold even where truth omits per-IP entries (--scale > 1).
        mine = collections.defaultdict(lambda: [0, 0, 0])
        for r in ours:
            if r["policy_domain"] == d:
                c = mine[r["class"]]
                c[0] += 1
                c[1] += r["messages"]
                c[2] += r["dmarc_pass_messages"]
                totals_by_domain[d] += r["messages"]
        if totals_by_domain[d] != dt["messages"]:
            problems.append(f"{d}: messages {totals_by_domain[d]} != truth {dt['messages']}")
        if not sources:
            for cls, tc in dt["classes"].items():
                m = mine.get(cls, [0, 0, 0])
                if m[0] != tc["sources"] or m[1] != tc["messages"]:
                    problems.append(f"{d} class {cls}: {m[0]} sources / {m[1]} messages != truth {tc['sources']} / {tc['messages']}")
    acc = right / total if total else 1.0
    acc_m = right_msgs / msgs if msgs else 1.0
    print(f"sources: {right}/{total} classified as truth ({acc:.4f}); messages {acc_m:.4f}")
    for (t, o), n in sorted(confusion.items()):
        if t != o or report:
            print(f"  truth {t:22} ours {o:22} {n}")
    for k, ex in wrong_examples.items():
        for e in ex:
            print(f"    e.g. {k[0]} -> {k[1]}: {e}")
    for p in problems[:30]:
        print("  " + p)
    if len(problems) > 30:
        print(f"  ... {len(problems) - 30} more")
    ok = not problems and acc >= min_acc and acc_m >= min_acc
    print("golden: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
