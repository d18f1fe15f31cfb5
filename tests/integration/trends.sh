#!/usr/bin/env bash
# `dmarcsight trends` and `dmarcsight prune` against a scenario with ground truth (../shared/scenario
# world-a), on SQLite and, when DMARCSIGHT_TEST_PG names a server, on PostgreSQL:
#  * trends: each domain's daily messages and DMARC passes equal truth.json `domains.D.daily`
#    exactly, every day of the window has a row (zero rows for days without reports), the classes'
#    totals over the window equal truth's `domains.D.classes` (after enrich from the scenario's
#    zone), unauthorized = the DMARC failures of spoofing sources, week rows sum to the day rows,
#    CSV and JSON agree;
#  * prune: the exit codes of bad ages, a dry run that changes nothing, a prune that removes the
#    days before the cutoff and their kept bytes (ingest --keep-raw) and leaves every later day as
#    truth says, `rebuild` afterwards changing no fact; prunes while an ingest runs leave the facts
#    exactly those of the records.
# Exit 77 (skipped) without ../shared.
set -u
bin=${1:?usage: trends.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
gen="$shared/scenario/gen_scenario.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (the scenario generator lives in ../shared)"; exit 77; fi
work=$(mktemp -d)
pg_dbs=()
cleanup() {
  for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}

out="$work/world-a"
python3 "$gen" --world "$shared/scenario/world-a.json" --out "$out" --quiet || { echo "FAIL: the generator failed"; exit 1; }
truth="$out/truth.json"

# run_store NAME DB QUARANTINE: every check on one store.
run_store() {
  local name=$1 db=$2 q=$3
  "$bin" ingest --db "$db" --quarantine "$q" --keep-raw --quiet "$out/reports"; check "$name: ingest" test $? -eq 0
  "$bin" enrich --db "$db" --zone "$out/dns.zone" --quiet; check "$name: enrich from the zone" test $? -eq 0

  # Every domain at once, by day and by week, JSON and CSV.
  "$bin" trends --db "$db" --format json > "$work/$name-days.json"; check "$name: trends json" test $? -eq 0
  "$bin" trends --db "$db" --by week --format json > "$work/$name-weeks.json"; check "$name: trends --by week" test $? -eq 0
  "$bin" trends --db "$db" --format csv > "$work/$name-days.csv"; check "$name: trends csv" test $? -eq 0
  check "$name: daily messages and passes equal truth, every day has a row, classes sum to truth" python3 - "$work/$name-days.json" "$truth" <<'PY'
import json, sys, datetime
rows = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
classes = ["authorized", "authorized_failing", "forwarded", "mailing_list", "third_party_unaligned", "spoofing", "unknown"]
days = sorted({d for dom in t["domains"].values() for d in dom["daily"]})
first, last = datetime.date.fromisoformat(days[0]), datetime.date.fromisoformat(days[-1])
window = [(first + datetime.timedelta(n)).isoformat() for n in range((last - first).days + 1)]
assert {r["domain"] for r in rows} == set(t["domains"]), {r["domain"] for r in rows}
for name, dom in t["domains"].items():
    mine = [r for r in rows if r["domain"] == name]
    assert [r["day"] for r in mine] == window, (name, [r["day"] for r in mine])
    for r in mine:
        want = dom["daily"].get(r["day"], {"messages": 0, "dmarc_pass": 0})
        assert (r["messages"], r["dmarc_pass_messages"]) == (want["messages"], want["dmarc_pass"]), (name, r, want)
        assert sum(r["class_messages"].values()) == r["messages"], r
        assert set(r["class_messages"]) == set(classes), r
    for c in classes:
        got = sum(r["class_messages"][c] for r in mine)
        want = dom["classes"].get(c, {}).get("messages", 0)
        assert got == want, (name, c, got, want)
    # Unauthorized: the DMARC failures of spoofing (and unknown) sources.
    got = sum(r["unauthorized_messages"] for r in mine)
    want = sum(dom["classes"].get(c, {}).get("messages", 0) - dom["classes"].get(c, {}).get("dmarc_pass", 0) for c in ("spoofing", "unknown"))
    assert got == want, (name, got, want)
    assert got > 0, name
print("ok", len(rows))
PY
  check "$name: week rows are ISO weeks and sum to the day rows" python3 - "$work/$name-days.json" "$work/$name-weeks.json" <<'PY'
import json, sys, datetime, collections
days = json.load(open(sys.argv[1])); weeks = json.load(open(sys.argv[2]))
sums = collections.defaultdict(lambda: collections.Counter())
for r in days:
    d = datetime.date.fromisoformat(r["day"]); monday = (d - datetime.timedelta(d.weekday())).isoformat()
    c = sums[(r["domain"], monday)]
    c["messages"] += r["messages"]; c["dmarc_pass"] += r["dmarc_pass_messages"]; c["unauthorized"] += r["unauthorized_messages"]; c["days"] += 1
    for k, v in r["class_messages"].items(): c[k] += v
assert len(weeks) == len(sums), (len(weeks), len(sums))
for w in weeks:
    d = datetime.date.fromisoformat(w["day"])
    assert d.weekday() == 0, w
    iso = d.isocalendar(); assert w["week"] == "%04d-W%02d" % (iso[0], iso[1]), w
    c = sums[(w["domain"], w["day"])]
    assert (w["messages"], w["dmarc_pass_messages"], w["unauthorized_messages"], w["days"]) == (c["messages"], c["dmarc_pass"], c["unauthorized"], c["days"]), (w, c)
    for k, v in w["class_messages"].items(): assert v == c[k], (w, k)
print("ok", len(weeks))
PY
  check "$name: the csv has the documented header and the json's rows" python3 - "$work/$name-days.csv" "$work/$name-days.json" <<'PY'
import csv, json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == ("domain,day,week,days,messages,dmarc_pass_messages,dmarc_pass_share,unauthorized_messages,authorized_messages,"
                    "authorized_failing_messages,forwarded_messages,mailing_list_messages,third_party_unaligned_messages,spoofing_messages,unknown_messages"), lines[0]
rows = list(csv.DictReader(lines)); j = json.load(open(sys.argv[2]))
assert len(rows) == len(j)
for c, r in zip(rows, j):
    assert (c["domain"], c["day"], int(c["messages"]), int(c["unauthorized_messages"]), int(c["spoofing_messages"])) == \
           (r["domain"], r["day"], r["messages"], r["unauthorized_messages"], r["class_messages"]["spoofing"]), (c, r)
    assert c["week"] == "" and c["days"] == "1"
PY
  # One domain, a window reaching before the first report: those days are zero rows.
  local d
  d=$(python3 -c "import json,sys; print(sorted(json.load(open(sys.argv[1]))['domains'])[0])" "$truth")
  "$bin" trends --db "$db" --domain "$d" --since 2026-09-28 --until 2026-10-03 --format json > "$work/$name-window.json"
  check "$name: --since/--until: every day of the window, gaps as zeros" python3 - "$work/$name-window.json" "$truth" "$d" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1])); daily = json.load(open(sys.argv[2]))["domains"][sys.argv[3]]["daily"]
assert [r["day"] for r in rows] == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"], rows
assert [r["messages"] for r in rows[:3]] == [0, 0, 0] and rows[0]["dmarc_pass_share"] is None
assert rows[3]["messages"] == daily["2026-10-01"]["messages"] and rows[4]["messages"] == daily["2026-10-02"]["messages"]
PY
  "$bin" trends --db "$db" --domain nosuch.example --format json > "$work/none.json" 2>/dev/null
  check "$name: an unknown --domain exits 1 with an empty array" test $? -eq 1 -a "$(tr -d ' \n' < "$work/none.json")" = "[]"
  "$bin" trends --db "$db" --domain "$d" > "$work/table" ; check "$name: the table" grep -q "^$d  *2026-10-01 " "$work/table"

  # prune: usage errors first.
  "$bin" prune --db "$db" >/dev/null 2>&1; check "$name: prune without --older-than is a usage error" test $? -eq 2
  for bad in 10 10x 0d -5d 1.5d 999999y 12m; do
    "$bin" prune --db "$db" --older-than "$bad" >/dev/null 2>&1; check "$name: --older-than $bad is a usage error" test $? -eq 2
  done
  # A cutoff of 2026-10-08: today's age of that day, in days (the cutoff rounds down to its midnight).
  local age
  age=$(python3 -c "import datetime; print((datetime.datetime.now(datetime.timezone.utc).date() - datetime.date(2026, 10, 8)).days)")d
  local files_before
  files_before=$(find "$q" -type f | wc -l)
  "$bin" stats --db "$db" --format json > "$work/$name-stats-before.json"
  "$bin" prune --db "$db" --quarantine "$q" --older-than "$age" --dry-run --format json > "$work/$name-dry.json"; check "$name: prune --dry-run" test $? -eq 0
  "$bin" stats --db "$db" --format json > "$work/$name-stats-dry.json"
  check "$name: a dry run changes nothing" cmp "$work/$name-stats-before.json" "$work/$name-stats-dry.json"
  check "$name: a dry run removes no file" test "$(find "$q" -type f | wc -l)" -eq "$files_before"
  "$bin" prune --db "$db" --quarantine "$q" --older-than "$age" --format json > "$work/$name-prune.json"; check "$name: prune" test $? -eq 0
  check "$name: the dry run said what the prune did" python3 - "$work/$name-dry.json" "$work/$name-prune.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a.pop("dry_run") is True and b.pop("dry_run") is False
assert a == b, (a, b)
assert b["cutoff"] == "2026-10-08T00:00:00Z" and b["reports"] > 0 and b["fact_rows"] > 0 and b["quarantine_files"] > 0, b
PY
  local removed
  removed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['quarantine_files'])" "$work/$name-prune.json")
  check "$name: the removed reports' kept bytes are gone, the others stay" test "$(find "$q" -type f | wc -l)" -eq $((files_before - removed))
  "$bin" stats --db "$db" --format json > "$work/$name-stats-after.json"
  "$bin" trends --db "$db" --format json > "$work/$name-after.json"
  check "$name: after the prune, the days from the cutoff are as truth says and none before" python3 - "$work/$name-after.json" "$truth" "$work/$name-prune.json" "$work/$name-stats-before.json" "$work/$name-stats-after.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); p = json.load(open(sys.argv[3]))
before = json.load(open(sys.argv[4])); after = json.load(open(sys.argv[5]))
assert rows and min(r["day"] for r in rows) == "2026-10-08", min(r["day"] for r in rows)
for r in rows:
    want = t["domains"][r["domain"]]["daily"].get(r["day"], {"messages": 0, "dmarc_pass": 0})
    assert (r["messages"], r["dmarc_pass_messages"]) == (want["messages"], want["dmarc_pass"]), (r, want)
gone = sum(v["messages"] for dom in t["domains"].values() for d, v in dom["daily"].items() if d < "2026-10-08")
assert after["messages"] == before["messages"] - gone, (before["messages"], after["messages"], gone)
assert after["aggregate_reports"] == before["aggregate_reports"] - p["reports"]
PY
  "$bin" sources --db "$db" --format json > "$work/$name-sources-pruned.json"
  "$bin" rebuild --db "$db" --quiet > /dev/null; check "$name: rebuild after the prune" test $? -eq 0
  "$bin" sources --db "$db" --format json > "$work/$name-sources-rebuilt.json"
  check "$name: rebuild after the prune changes no fact" cmp "$work/$name-sources-pruned.json" "$work/$name-sources-rebuilt.json"
  "$bin" prune --db "$db" --quarantine "$q" --older-than "$age" --format json > "$work/$name-again.json"
  check "$name: a second prune removes nothing" python3 -c "
import json,sys; b=json.load(open(sys.argv[1])); assert b['reports']==0 and b['fact_rows']==0 and b['quarantine_files']==0, b" "$work/$name-again.json"
}

# run_beside_ingest NAME DB: prunes while an ingest of the whole world runs into an empty store;
# afterwards the days from the cutoff are exactly truth's and `rebuild` changes no fact.
run_beside_ingest() {
  local name=$1 db=$2 age
  age=$(python3 -c "import datetime; print((datetime.datetime.now(datetime.timezone.utc).date() - datetime.date(2026, 10, 8)).days)")d
  "$bin" ingest --db "$db" --quarantine "$work/$name-busy.quarantine" --quiet "$out/reports" & local ingest=$!
  local n=0 rc=0
  # Until the ingest has made the store (its first batch), there is nothing to prune.
  while kill -0 "$ingest" 2>/dev/null && ! "$bin" stats --db "$db" >/dev/null 2>&1; do sleep 0.1; done
  while kill -0 "$ingest" 2>/dev/null && [ $n -lt 20 ]; do
    "$bin" prune --db "$db" --quarantine "$work/$name-busy.quarantine" --older-than "$age" --format json >/dev/null 2>"$work/$name-busy.err" || rc=$?
    [ $rc -ne 0 ] && break
    n=$((n + 1)); sleep 0.3
  done
  wait "$ingest"; local ingest_rc=$?
  echo "note: $name: $n prunes ran while the ingest did"
  check "$name: ingest beside prune" test $ingest_rc -eq 0
  check "$name: $n prunes beside the ingest succeeded" test $rc -eq 0 -a $n -gt 0
  [ $rc -ne 0 ] && cat "$work/$name-busy.err"
  "$bin" trends --db "$db" --since 2026-10-08 --format json > "$work/$name-busy.json"
  check "$name: beside an ingest, the days from the cutoff stay exactly truth's" python3 - "$work/$name-busy.json" "$truth" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
assert rows
for r in rows:
    want = t["domains"][r["domain"]]["daily"].get(r["day"], {"messages": 0, "dmarc_pass": 0})
    assert (r["messages"], r["dmarc_pass_messages"]) == (want["messages"], want["dmarc_pass"]), (r, want)
PY
  "$bin" sources --db "$db" --format json > "$work/$name-busy-sources.json"
  "$bin" rebuild --db "$db" --quiet > /dev/null
  "$bin" sources --db "$db" --format json > "$work/$name-busy-rebuilt.json"
  check "$name: beside an ingest, the facts stay those of the records (rebuild changes nothing)" cmp "$work/$name-busy-sources.json" "$work/$name-busy-rebuilt.json"
}

run_store sqlite "$work/s.db" "$work/s.quarantine"
run_beside_ingest sqlite "$work/busy.db"
check "sqlite: the kept files left are exactly those the remaining reports name" test \
  "$(find "$work/s.quarantine" -type f | wc -l)" -eq "$(sqlite3 "$work/s.db" 'SELECT count(DISTINCT raw_sha256) FROM reports WHERE raw_sha256 IS NOT NULL')"

# Missing stores are never created; names of kept files from the database are never paths.
"$bin" trends --db "$work/missing.db" >/dev/null 2>&1; check "trends on a missing db is 2" test $? -eq 2
"$bin" prune --db "$work/missing.db" --older-than 1d >/dev/null 2>&1; check "prune on a missing db is 2" test $? -eq 2
check "neither created it" test ! -e "$work/missing.db"
"$bin" ingest --db "$work/h.db" --keep-raw --quiet "$project/examples" >/dev/null 2>&1
mkdir -p "$work/victim" && echo keep > "$work/victim/file"
sqlite3 "$work/h.db" "UPDATE reports SET raw_sha256 = '../victim/file' WHERE id = (SELECT min(id) FROM reports)"
printf '[retention]\nolder_than = "24h"\n' > "$work/retention.toml"  # the default of --older-than
"$bin" --config "$work/retention.toml" prune --db "$work/h.db" --format json > "$work/h.json" 2> "$work/h.err"; rc=$?
check "a kept-file name that is no SHA-256 is refused (exit 2), named, and left alone" test $rc -eq 2 -a -f "$work/victim/file"
check "... and said" grep -q "not a quarantine file name: '../victim/file'" "$work/h.err"
check "... while the rest was pruned, by the configuration's [retention] older_than" python3 -c "
import json,sys; b=json.load(open(sys.argv[1])); assert b['reports']>0 and b['quarantine_files']>0, b" "$work/h.json"

if [ -n "${DMARCSIGHT_TEST_PG:-}" ]; then
  # shellcheck source=pg_lib.sh
  . "$project/tests/integration/pg_lib.sh"
  pg_need_server
  name=$(pg_unique_name trends)
  pg_create_db "$name"
  pg_dbs+=("$name")
  run_store postgres "$(pg_uri "$name")" "$work/pg.quarantine"
  busy=$(pg_unique_name trends_busy)
  pg_create_db "$busy"
  pg_dbs+=("$busy")
  run_beside_ingest postgres "$(pg_uri "$busy")"
  check "postgres and sqlite trends agree" cmp "$work/sqlite-after.json" "$work/postgres-after.json"
else
  echo "note: DMARCSIGHT_TEST_PG is not set: the PostgreSQL run is skipped (ctest sets it when PostgreSQL is installed)"
fi

echo "trends.sh: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
