#!/usr/bin/env bash
# `ingest --maildir DIR` and [mailboxes.NAME] maildir = …: real reports of ../shared/corpus in a
# Maildir's new/ and cur/, read once and filed after commit by rename (Maildir++ .Aggregate,
# .Failure, .TLS, .Invalid; or new/ → cur/ with ":2,S"; or deleted), compared with the same files
# ingested as paths (totals, `stats`); seen messages in cur/ and tmp/ are never read; a folder
# given as a path is still only read, never changed; on SQLite and, when DMARCSIGHT_TEST_PG is set,
# PostgreSQL. Two workers at once never both take a message.
#   maildir.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]   (exit 77 = skipped)
set -u
bin=$(readlink -f "${1:?usage: maildir.sh DMARCSIGHT_BINARY PROJECT_DIR [SHARED_DIR]}")
project=$(readlink -f "${2:?}")
shared=${3:-$project/../shared}
corpus="$shared/corpus/reports"
if [ ! -d "$corpus" ]; then echo "SKIPPED: $corpus is absent (real reports live in ../shared)"; exit 77; fi
# shellcheck source=pg_lib.sh
. "$project/tests/integration/pg_lib.sh"
work=$(mktemp -d /tmp/dsm.XXXXXX)
pg_dbs=()
cleanup() { for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0; failn=0
check() { local name=$1; shift; if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi; }
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:800}"; return 1; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }
for v in $(env | sed -n 's/^\(DMARCSIGHT_[A-Z_]*\)=.*/\1/p'); do [ "$v" = DMARCSIGHT_TEST_PG ] || unset "$v"; done

aggregate=("$corpus/mjl-+mox/testdata/dmarc-reports/google.eml" "$corpus/mjl-+mox/testdata/dmarc-reports/yahoo.eml"
           "$corpus/mjl-+mox/testdata/dmarc-reports/outlook.eml" "$corpus/parsedmarc/aggregate/twilight.eml")
failure=("$corpus/parsedmarc/failure/dmarc_ruf_report_linkedin.eml")
tlsrpt=("$corpus/mjl-+mox/testdata/tlsreports/microsoft.eml")
printf 'From: a@example.org\nSubject: hi\n\nnot a report\n' > "$work/not-a-report.eml"
# The reference: the same files ingested as paths (the non-report too: `stats` counts rejections).
ref=$("$bin" ingest --db "$work/ref.db" --format json "${aggregate[@]}" "${failure[@]}" "${tlsrpt[@]}" "$work/not-a-report.eml" 2>/dev/null)
ref_stored=$(echo "$ref" | jget stored)
ref_stats=$("$bin" stats --db "$work/ref.db" --format json)
count() { find "$1" -type f 2>/dev/null | wc -l; }

make_box() {  # make_box DIR: the reports in new/ (the last aggregate one in cur/, unseen), extras
  local d=$1 i=0
  rm -rf "$d"; mkdir -p "$d/new" "$d/cur" "$d/tmp"
  for f in "${aggregate[@]}" "${failure[@]}" "${tlsrpt[@]}" "$work/not-a-report.eml"; do
    i=$((i+1)); cp "$f" "$d/new/170000000$i.M${i}P1.host"
  done
  mv "$d/new/1700000004.M4P1.host" "$d/cur/1700000004.M4P1.host:2,R"
  # Never read: a message already seen, one still being written.
  cp "${aggregate[0]}" "$d/cur/1600000000.M9P1.host:2,S"
  cp "${aggregate[0]}" "$d/tmp/1800000000.M9P1.host"
}

run_driver() {  # run_driver LABEL DB DB2
  local drv=$1 db=$2 db2=$3 out rc d="$work/$1-box"
  make_box "$d"
  out=$("$bin" ingest --db "$db" --maildir "$d" --format json 2>"$work/err"); rc=$?
  check "$drv maildir: exit 1 (the non-report)" eq "$rc" 1
  check "$drv maildir: stored as the reference" eq "$(echo "$out" | jget stored)" "$ref_stored"
  check "$drv maildir: inputs: new/ and unseen cur/ only" eq "$(echo "$out" | jget inputs)" 7
  check "$drv maildir: every message filed" eq "$(echo "$out" | jget mailbox.filed)" 7
  check "$drv maildir: stats as the reference" eq "$("$bin" stats --db "$db" --format json)" "$ref_stats"
  check "$drv maildir: new/ drained" eq "$(count "$d/new")" 0
  check "$drv maildir: cur/ keeps the seen one only" eq "$(ls "$d/cur")" "1600000000.M9P1.host:2,S"
  check "$drv maildir: tmp/ untouched" eq "$(count "$d/tmp")" 1
  check "$drv maildir: .Aggregate/cur holds 4, flagged seen" eq "$(ls "$d/.Aggregate/cur" | grep -c ':2,R\?S$')" 4
  check "$drv maildir: the R flag kept beside S" eq "$(ls "$d/.Aggregate/cur" | grep -c ':2,RS$')" 1
  check "$drv maildir: .Failure, .TLS, .Invalid" eq "$(count "$d/.Failure/cur")/$(count "$d/.TLS/cur")/$(count "$d/.Invalid/cur")" "1/1/1"
  check "$drv maildir: Maildir++ folders are Maildirs" test -d "$d/.Aggregate/new" -a -d "$d/.Aggregate/tmp"
  out=$("$bin" ingest --db "$db" --maildir "$d" --format json 2>&1); rc=$?
  check "$drv maildir again: nothing to read" eq "$rc/$(echo "$out" | jget inputs)" "0/0"

  # Configured: seen for reports, delete for the rest; the reports are duplicates now.
  make_box "$d"
  cat > "$work/$drv.toml" <<CONF
[mailboxes.box]
maildir = "$d"
aggregate = "seen"
failure = "seen"
tlsrpt = "leave"
invalid = "delete"
CONF
  out=$("$bin" --config "$work/$drv.toml" ingest --db "$db" --mailbox box --format json 2>&1); rc=$?
  check "$drv seen: exit 0 (the non-report is unchanged)" eq "$rc" 0
  check "$drv seen: all duplicates now" eq "$(echo "$out" | jget stored)/$(echo "$out" | jget duplicate)" "0/$ref_stored"
  check "$drv seen: reports moved new/ → cur/ with :2,S" eq "$(ls "$d/cur" | grep -c ':2,R\?S$')" 6
  check "$drv seen: TLS left in new/, the non-report deleted" eq "$(ls "$d/new" | wc -l)/$(find "$d" -name '*1700000007*' | wc -l)" "1/0"
  check "$drv seen: no folder made" eq "$(find "$d" -maxdepth 1 -name '.*' -type d | wc -l)" 0
  out=$("$bin" --config "$work/$drv.toml" ingest --db "$db" --mailbox box --format json 2>&1)
  check "$drv seen again: only the left one" eq "$(echo "$out" | jget inputs)" 1

  # A folder given as a path: read, never changed.
  make_box "$d"
  local before after
  before=$(cd "$d" && find . | sort)
  "$bin" ingest --db "$db" --format json "$d" >/dev/null 2>&1
  after=$(cd "$d" && find . | sort)
  check "$drv path: the folder is not changed" eq "$after" "$before"

  # Two workers at once: nothing taken twice.
  make_box "$d"
  "$bin" ingest --db "$db2" --maildir "$d" --format json >"$work/w1" 2>/dev/null &
  local p1=$!
  "$bin" ingest --db "$db2" --maildir "$d" --format json >"$work/w2" 2>/dev/null &
  local p2=$!
  wait $p1; wait $p2
  local s1 s2
  s1=$(jget stored < "$work/w1"); s2=$(jget stored < "$work/w2")
  check "$drv two workers: stored once in all" eq "$((s1 + s2))" "$ref_stored"
  check "$drv two workers: no duplicate" eq "$(( $(jget duplicate < "$work/w1") + $(jget duplicate < "$work/w2") ))" 0
  check "$drv two workers: stats as the reference" eq "$("$bin" stats --db "$db2" --format json)" "$ref_stats"
  check "$drv two workers: each message filed once" eq "$(count "$d/.Aggregate/cur")/$(count "$d/.Invalid/cur")/$(count "$d/new")" "4/1/0"
}

run_driver sqlite "$work/a.db" "$work/b.db"
if [ -n "${DMARCSIGHT_TEST_PG:-}" ] && command -v psql >/dev/null && psql "$DMARCSIGHT_TEST_PG" -XAtqc 'select 1' >/dev/null 2>&1; then
  a=$(pg_unique_name mdir_a); b=$(pg_unique_name mdir_b)
  pg_create_db "$a"; pg_create_db "$b"; pg_dbs+=("$a" "$b")
  mkdir -p "$work/pgq"; cd "$work/pgq" || exit 1
  run_driver postgres "$(pg_uri "$a")" "$(pg_uri "$b")"
  cd "$work" || exit 1
else
  echo "SKIPPED (PostgreSQL part): DMARCSIGHT_TEST_PG is not set or the server does not answer"
fi

# Usage errors.
out=$("$bin" ingest --db "$work/u.db" --maildir "$work/nope" 2>&1); rc=$?
check "not a Maildir: exit 2" eq "$rc" 2
check "not a Maildir: says so" contains "$out" "is not a Maildir"
out=$("$bin" ingest --db "$work/u.db" 2>&1); rc=$?
check "no input at all: exit 2" eq "$rc" 2

echo "maildir: $pass passed, $failn failed"
[ "$failn" = 0 ]
