#!/usr/bin/env python3
"""Compares one `dmarcsight` command's output from two databases (the SQLite reference and the
PostgreSQL database under test), for tests/integration/pg_workers.sh and pg_cli.sh.

  pg_compare.py KIND REF OTHER [--any-order] [--name=NAME]

KIND:
  stats   `stats --format json`: every key but duplicate_inputs (how often an input was met again
          depends on how many workers met it, not on what is stored)
  export  `export --format json`: report by report, records in their stored order, without
          dmarcsight.id (a store's own row number: PostgreSQL sequences skip values)
  lines   any line-per-row text (`export --format csv`): the header, then the rows
  rows    a JSON array printed one row per line (`sources`, `senders` --format json)
--any-order: rows (reports, lines) compared as multisets; a different order is only noted.
--name=NAME: what the messages call the output (default: KIND).

The outputs run to 100+ MB (2,000 reports, 160,000 records): each row is hashed as it streams by,
never parsed into one document. Prints what differs (a few examples); exit 0 same, 1 different.
"""
import collections
import hashlib
import json
import sys

EXAMPLES = 3


def digest(text):
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).digest()


def lines_of(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            yield line.rstrip("\n")


def export_reports(path):
    """Yields (header, digest) per report of an export: header names it for messages."""
    header, h = None, None
    decoder = json.JSONDecoder()
    for line in lines_of(path):
        # One report: its own line (metadata, policy, dmarcsight, "records": [), then one line per
        # record. The comma that separates reports ends the previous report's last line.
        body = line.rstrip(",")
        if body.lstrip().startswith('{"xml_schema"'):
            if header is not None:
                yield header, h.digest()
            at = body.find('"dmarcsight": ')
            if at >= 0:
                start = at + len('"dmarcsight": ')
                meta, end = decoder.raw_decode(body, start)
                meta.pop("id", None)
                body = body[:start] + json.dumps(meta, sort_keys=True, separators=(",", ":")) + body[end:]
            header = body.strip()[:300]
            h = hashlib.blake2b(digest_size=16)
            h.update(body.encode("utf-8", "surrogateescape"))
        elif header is not None and body not in ("[", "]"):
            h.update(b"\n" + body.encode("utf-8", "surrogateescape"))
    if header is not None:
        yield header, h.digest()


def json_rows(path):
    for line in lines_of(path):
        body = line.strip().rstrip(",")
        if body in ("[", "]", ""):
            continue
        yield body


def compare_sequences(name, ref, other, any_order, show):
    """ref, other: lists of (label, digest). Returns True when they hold the same digests."""
    if [d for _, d in ref] == [d for _, d in other]:
        return True
    a = collections.Counter(d for _, d in ref)
    b = collections.Counter(d for _, d in other)
    if a == b:
        if any_order:
            print(f"NOTE: {name}: the same {len(ref)} rows, in another order than the reference")
            return True
        first = next(i for i, (x, y) in enumerate(zip(ref, other)) if x[1] != y[1])
        print(f"  {name}: the same rows in another order; first difference at row {first + 1}:")
        print(f"    reference: {ref[first][0]}\n    other:     {other[first][0]}")
        return False
    only_ref = a - b
    only_other = b - a
    print(f"  {name}: {len(ref)} rows in the reference, {len(other)} in the other; "
          f"{sum(only_ref.values())} only in the reference, {sum(only_other.values())} only in the other")
    for label, d in [x for x in ref if x[1] in only_ref][:EXAMPLES]:
        print(f"    only in the reference: {show(label)}")
    for label, d in [x for x in other if x[1] in only_other][:EXAMPLES]:
        print(f"    only in the other:     {show(label)}")
    return False


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--") and not a.startswith("--name=")}
    names = [a[len("--name="):] for a in sys.argv[1:] if a.startswith("--name=")]
    if len(args) != 3 or not flags <= {"--any-order"}:
        sys.exit(__doc__)
    kind, ref_path, other_path = args
    name = names[-1] if names else kind
    any_order = "--any-order" in flags
    clip = lambda s: s if len(s) <= 300 else s[:300] + "..."

    if kind == "stats":
        a, b = (json.load(open(p)) for p in (ref_path, other_path))
        for d in (a, b):
            d.pop("duplicate_inputs", None)
        if a == b:
            return 0
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                print(f"  {name}: {k}: reference {a.get(k)!r}, other {b.get(k)!r}")
        return 1

    if kind == "export":
        ref = list(export_reports(ref_path))
        other = list(export_reports(other_path))
        return 0 if compare_sequences(name, ref, other, any_order, clip) else 1

    if kind == "lines":
        ref = [(l, digest(l)) for l in lines_of(ref_path)]
        other = [(l, digest(l)) for l in lines_of(other_path)]
        if ref[:1] != other[:1]:
            print(f"  {name}: header: reference {clip(ref[0][0]) if ref else None!r}, other {clip(other[0][0]) if other else None!r}")
            return 1
        return 0 if compare_sequences(name, ref[1:], other[1:], any_order, clip) else 1

    if kind == "rows":
        ref = [(r, digest(r)) for r in json_rows(ref_path)]
        other = [(r, digest(r)) for r in json_rows(other_path)]
        return 0 if compare_sequences(name, ref, other, any_order, clip) else 1

    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
