#!/usr/bin/env bash
# `dmarcsight copy` is lossless: a store copied to another answers every command exactly as the
# source does (export, stats, senders, sources, domains, rejected --all, labels), a second copy
# adds nothing, and a copy of the copy is the same again. With DMARCSIGHT_TEST_PG set to a
# PostgreSQL URI, the same round trip goes through that database (SQLite → PostgreSQL → SQLite).
# The target derives its facts from the records in export order (begin time), not in the order the
# source stored them; a fact row keeps the first foreign SPF/DKIM domain it saw, so where one source
# uses several such domains on one day the service `senders`/`sources` name can follow that order.
# On these inputs it makes no difference.
set -u
bin=${1:?usage: copy.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}
project=${2:?}
shared=${3:-$project/../shared}
work=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:300}"; return 1; }
json_is() {  # json_is NAME JSON PYTHON-ASSERTION (d is the document)
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert $3, d" "$2" || { echo "  ($1)"; return 1; }
}

# Every command's view of a store, one file each. The quarantine folder is named, so that
# rejected's kept_at does not differ by the database's name; `export` prints the store's own
# report id, which the target assigns anew: that number alone is masked (the reports' order stays).
views=(export.json export.csv stats.txt stats.json senders.json sources.json domains.json rejected.json skipped.json labels.json)
dump_views() {  # dump_views DB DIR
  local db=$1 dir=$2
  mkdir -p "$dir"
  "$bin" export --db "$db" --format json | sed -E 's/^(  \{.*"dmarcsight": \{"dropped_records":[0-9]+,"id":)[0-9]+,/\1ID,/' > "$dir/export.json"
  "$bin" export --db "$db" --format csv > "$dir/export.csv"
  "$bin" stats --db "$db" > "$dir/stats.txt"
  "$bin" stats --db "$db" --format json > "$dir/stats.json"
  "$bin" senders --db "$db" --format json > "$dir/senders.json"
  "$bin" sources --db "$db" --format json > "$dir/sources.json"
  "$bin" domains --db "$db" --format json > "$dir/domains.json"
  "$bin" rejected --db "$db" --all --format json --quarantine "$work/q" > "$dir/rejected.json"
  "$bin" rejected --db "$db" --all --skipped --format json --quarantine "$work/q" > "$dir/skipped.json"
  "$bin" labels --db "$db" --format json > "$dir/labels.json"
}
same_views() {  # same_views NAME DIR-A DIR-B: every view byte for byte
  local name=$1 a=$2 b=$3 v ok=0
  for v in "${views[@]}"; do
    if ! cmp -s "$a/$v" "$b/$v"; then
      echo "  $name: $v differs:"; diff "$a/$v" "$b/$v" | cut -c1-300 | head -n 10; ok=1
    fi
  done
  return $ok
}
# Rows the commands do not show, straight from the SQLite files: every input row (its report by
# the report's key, not its id) and every enrichment row.
dump_rows() {  # dump_rows DB FILE
  sqlite3 "$1" "SELECT i.label, i.sha256, i.size, i.outcome, i.kind, i.reason, i.quarantine_path, i.seen_at, i.first_seen,
                       i.times_seen, i.current, r.key_org, r.key_report_id, r.policy_domain, r.begin_time
                FROM inputs i LEFT JOIN reports r ON r.id = i.report ORDER BY i.label, i.sha256;
                SELECT * FROM ip_info ORDER BY ip;
                SELECT key_org, key_report_id, policy_domain, begin_time, end_time, ingested_at, content_hash, raw_sha256,
                       warnings, input_label FROM reports ORDER BY key_org, key_report_id, policy_domain, begin_time;" > "$2"
}

# --- the source: the golden inputs, the examples (a rejected and a skipped input among them), a
# duplicate in another container, real reports of ../shared when present, a label, enrichment.
a="$work/a.db"
"$bin" ingest --db "$a" --quiet "$project/tests/golden/inputs" "$project/examples/reports" >/dev/null 2>&1
check "source ingest ends (0 or 1: some inputs are rejected)" test $? -le 1
gzip -c "$project/examples/reports/mimecast-example.com.xml" > "$work/again.xml.gz"
"$bin" ingest --db "$a" --quiet "$work/again.xml.gz" >/dev/null 2>&1
corpus="$shared/corpus/reports"
if [ -d "$corpus" ]; then
  "$bin" ingest --db "$a" --quiet "$corpus" >/dev/null 2>&1
  check "corpus ingest ends (0 or 1)" test $? -le 1
else
  echo "SKIPPED (part): $corpus is absent; copying the golden inputs and examples only"
fi
"$bin" label --db "$a" --domain example.com --source 192.0.2.0/24 --as authorized --note "our own servers" >/dev/null
check "label added" test $? -eq 0
cat > "$work/ptr.zone" <<'ZONE'
$ORIGIN .
$TTL 3600
26.2.0.192.in-addr.arpa. IN PTR mail.example.com.
mail.example.com. IN A 192.0.2.26
ZONE
"$bin" enrich --db "$a" --zone "$work/ptr.zone" --quiet >/dev/null 2>&1
check "enrichment rows exist" test "$(sqlite3 "$a" "select count(*) from ip_info")" -gt 0
# (Failure and TLS reports are stored now: nothing is skipped any more.)
check "the source holds duplicate and rejected inputs" eq \
  "$(sqlite3 "$a" "select count(distinct outcome) from inputs where outcome in ('duplicate','rejected')")" 2
dump_views "$a" "$work/va"
dump_rows "$a" "$work/ra"
check "export: every report's id masked" eq "$(grep -c '"id":ID,' "$work/va/export.json")" "$(sqlite3 "$a" "select count(*) from reports")"
reports=$(sqlite3 "$a" "select count(*) from reports")
records=$(sqlite3 "$a" "select total(record_count) from reports" | cut -d. -f1)
inputs=$(sqlite3 "$a" "select count(*) from inputs")
ip_rows=$(sqlite3 "$a" "select count(*) from ip_info")

# --- usage: help, refusals (exit 2, nothing created).
"$bin" copy --help >/dev/null; check "copy --help exits 0" eq "$?" 0
out=$("$bin" --help); check "help lists copy" contains "$out" "copy"
err=$("$bin" copy --from "$work/missing.db" --to "$work/x.db" 2>&1 >/dev/null); rc=$?
check "missing --from is 2" eq "$rc" 2
check "missing --from: the message names it" contains "$err" "missing.db' does not exist"
check "missing --from: no target created" test ! -e "$work/x.db"
err=$("$bin" copy --from "$a" --to "$a" 2>&1 >/dev/null); rc=$?
check "--from = --to is 2" eq "$rc" 2
check "same store: said so" contains "$err" "are the same store"
ln -s "$a" "$work/link.db"
"$bin" copy --from "$a" --to "$work/link.db" >/dev/null 2>&1; check "the same file through a symlink is 2" eq "$?" 2
"$bin" copy --from "$a" --to "$work/./a.db" >/dev/null 2>&1; check "the same file by another path is 2" eq "$?" 2
"$bin" copy --to "$work/x.db" >/dev/null 2>&1; check "--from is required" eq "$?" 2
check "the source is unchanged by the refusals" eq "$(sqlite3 "$a" "select count(*) from reports")" "$reports"

# --- a.db → b.db: every view equal.
b="$work/b.db"
out=$("$bin" copy --from "$a" --to "$b" 2>"$work/err"); rc=$?
check "copy a → b exits 0" eq "$rc" 0
check "summary: reports and records" contains "$out" "$reports reports copied ($records records), 0 already in $b"
check "summary: inputs, labels, enrichment rows" contains "$out" "$inputs inputs, 1 labels, $ip_rows enrichment rows"
check "note: the quarantine folder is not moved" contains "$(cat "$work/err")" "which copy does not move"
dump_views "$b" "$work/vb"
check "a and b: every view equal" same_views "a → b" "$work/va" "$work/vb"
dump_rows "$b" "$work/rb"
check "a and b: input, enrichment and report rows equal" cmp -s "$work/ra" "$work/rb"

# --- again: nothing new, everything already there, the views unchanged.
out=$("$bin" copy --from "$a" --to "$b" --format json); rc=$?
check "second copy exits 0" eq "$rc" 0
check "second copy: 0 copied, all already present" json_is "second copy" "$out" \
  "d['reports_copied']==0 and d['reports_already_present']==$reports and d['records']==0 and d['inputs']==$inputs"
check "second copy: no duplicate reports" eq "$(sqlite3 "$b" "select count(*) from reports")" "$reports"
dump_views "$b" "$work/vb2"
check "after the second copy: every view equal" same_views "a → b again" "$work/va" "$work/vb2"
dump_rows "$b" "$work/rb2"
check "after the second copy: rows equal" cmp -s "$work/ra" "$work/rb2"

# --- b.db → c.db: the copy of a copy.
c="$work/c.db"
"$bin" copy --from "$b" --to "$c" --quiet; check "copy b → c exits 0" eq "$?" 0
dump_views "$c" "$work/vc"
check "a and c: every view equal" same_views "b → c" "$work/va" "$work/vc"
dump_rows "$c" "$work/rc"
check "a and c: rows equal" cmp -s "$work/ra" "$work/rc"

# --- into a store that holds some of the reports: only the missing ones are added.
p="$work/p.db"
"$bin" ingest --db "$p" --quiet "$project/examples/reports" >/dev/null 2>&1
before=$(sqlite3 "$p" "select count(*) from reports")
out=$("$bin" copy --from "$a" --to "$p" --format json)
check "partial target: the present ones are counted" json_is "partial" "$out" \
  "d['reports_already_present']==$before and d['reports_copied']==$reports-$before"
check "partial target: no duplicates" eq "$(sqlite3 "$p" "select count(*) from reports")" "$reports"

# --- through PostgreSQL (when a server is given): a.db → PG → d.db.
if [ -n "${DMARCSIGHT_TEST_PG:-}" ]; then
  # A database of this test's own on the fixture's server (tests/integration/pg_lib.sh).
  . "$(dirname "$0")/pg_lib.sh"
  pg_name=$(pg_unique_name copy)
  pg_create_db "$pg_name"
  trap 'pg_drop_db "$pg_name"; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
  pg=$(pg_uri "$pg_name")
  out=$("$bin" copy --from "$a" --to "$pg" --format json); rc=$?
  check "copy a → PostgreSQL exits 0" eq "$rc" 0
  if [ "$rc" = 0 ]; then
    check "the PostgreSQL database was empty (a leftover makes the views differ)" json_is "a → pg" "$out" \
      "d['reports_copied']==$reports and d['reports_already_present']==0"
    dump_views "$pg" "$work/vpg"
    check "a and PostgreSQL: every view equal" same_views "a → pg" "$work/va" "$work/vpg"
    out=$("$bin" copy --from "$a" --to "$pg" --format json)
    check "second copy into PostgreSQL: all already present" json_is "a → pg again" "$out" \
      "d['reports_copied']==0 and d['reports_already_present']==$reports"
    d="$work/d.db"
    "$bin" copy --from "$pg" --to "$d" --quiet; check "copy PostgreSQL → d exits 0" eq "$?" 0
    dump_views "$d" "$work/vd"
    check "a and d: every view equal" same_views "pg → d" "$work/va" "$work/vd"
    dump_rows "$d" "$work/rd"
    check "a and d: rows equal" cmp -s "$work/ra" "$work/rd"
  fi
else
  echo "SKIPPED (part): DMARCSIGHT_TEST_PG is not set (a server's URI; ctest's postgres fixture sets it) to copy"
  echo "  through PostgreSQL too"
fi

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
