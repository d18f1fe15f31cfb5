#!/usr/bin/env bash
# Exactly once with many workers: four `dmarcsight ingest` processes write one PostgreSQL database
# at once, on overlapping shares of the 2,000-report benchmark corpus
# (../shared/bench/gen_bench_corpus.py --n 2000 --seed 42), each in its own shuffled order, and
# one of them is killed with SIGKILL part way. After the killed worker's share is ingested again,
# the database must say exactly what one plain `ingest` of the whole corpus into SQLite says:
# stats, export (JSON and CSV), sources, senders, domains; and every report key must be stored
# once. The shares: worker i gets quarter i and the first half of quarter i+1 (mod 4), so every
# pair of neighbours meets the same 250 reports, in different orders.
# Nothing may depend on the order the reports were stored in (the facts keep, of the foreign
# domains a source used, the smallest of its latest day: store/facts.hpp), so all of it is equal.
#
#   pg_workers.sh DMARCSIGHT_BINARY PROJECT_DIR SHARED_DIR [--sqlite]
#
# Needs DMARCSIGHT_TEST_PG (the ctest fixture `postgres` sets it); exit 77 (skipped) without it,
# or without SHARED_DIR's generator.
# --sqlite runs the same steps against an SQLite file instead (no server needed): a check of this
# script, and of the SQLite driver under four writers. PG_WORKERS_SEED=N repeats a run's shuffles,
# choice of victim and kill moment (the seed is printed).
# Time (2 cores, --sqlite): about 25 s with a Release build, 2.5 minutes under ASan+UBSan Debug.
set -euo pipefail
bin=${1:?usage: pg_workers.sh DMARCSIGHT_BINARY PROJECT_DIR SHARED_DIR [--sqlite]}
project=${2:?usage: pg_workers.sh DMARCSIGHT_BINARY PROJECT_DIR SHARED_DIR [--sqlite]}
shared=${3:?usage: pg_workers.sh DMARCSIGHT_BINARY PROJECT_DIR SHARED_DIR [--sqlite]}
target=postgres
[ "${4:-}" = --sqlite ] && target=sqlite
# shellcheck source=pg_lib.sh
. "$project/tests/integration/pg_lib.sh"

gen="$shared/bench/gen_bench_corpus.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent (SHARED_DIR=$shared)"; exit 77; fi
if [ "$target" = postgres ]; then pg_need_server; fi

workers=4
seed=${PG_WORKERS_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed
echo "seed $seed (PG_WORKERS_SEED=$seed repeats this run's shuffles, victim and kill moment)"

work=$(mktemp -d)
pg_dbs=()
cleanup() {
  local d
  for d in "${pg_dbs[@]}"; do pg_drop_db "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
same_file() { cmp -s "$1" "$2" || { echo "  $1 and $2 differ:"; diff "$1" "$2" | head -n 20; return 1; }; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# The corpus, and the reference: one ingest of all of it into a fresh SQLite file.
t=$(now)
python3 "$gen" --out "$work/corpus" --n 2000 --seed 42 >/dev/null
echo "corpus generated in $(secs "$t" "$(now)") s"
t=$(now)
ref_rc=0
"$bin" ingest --quiet --db "$work/ref.db" --quarantine "$work/ref.q" "$work/corpus" >"$work/ref.out" 2>&1 || ref_rc=$?
ref_secs=$(secs "$t" "$(now)")
echo "reference: one SQLite ingest in $ref_secs s, exit $ref_rc"
check "reference ingest exits 0 or 1 (1: the corpus has rejected inputs)" test "$ref_rc" -le 1 || { cat "$work/ref.out"; exit 1; }
# Workers exit 0, or 1 only where the reference did (a worker may not meet a rejected input).
ok_rc() { [ "$1" = 0 ] || { [ "$1" = 1 ] && [ "$ref_rc" = 1 ]; } || { echo "  exit $1 (reference: $ref_rc)"; return 1; }; }

# The shares, each in its own order.
find "$work/corpus" -type f | sort >"$work/all.txt"
python3 - "$work" "$workers" "$seed" <<'PY'
import random, sys
work, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = open(f"{work}/all.txt").read().split("\n")[:-1]
q = [files[i * len(files) // n:(i + 1) * len(files) // n] for i in range(n)]
for i in range(n):
    nxt = q[(i + 1) % n]
    share = q[i] + nxt[:len(nxt) // 2]
    random.Random(seed * 31 + i).shuffle(share)
    open(f"{work}/share{i}.txt", "w").write("".join(f + "\n" for f in share))
PY

# The database the workers share: a fresh PostgreSQL database (or SQLite file with --sqlite).
attempt_no=0
new_target() {
  attempt_no=$((attempt_no + 1))
  if [ "$target" = postgres ]; then
    local name
    name=$(pg_unique_name workers)
    pg_create_db "$name"
    pg_dbs+=("$name")
    db=$(pg_uri "$name")
  else
    db="$work/target$attempt_no.db"
  fi
  rm -rf "$work"/q*
}
query() {  # query SQL: one row, fields separated by '|', from the workers' database
  if [ "$target" = postgres ]; then psql "$db" -XAtq -v ON_ERROR_STOP=1 -c "$1"; else sqlite3 "$db" "$1"; fi
}
# A file list as arguments: `ingest` takes many inputs. The worker is exec'd by the subshell that
# reads its list, so $! is the ingest process itself: SIGKILL on a subshell (or on xargs) would
# leave the worker running on, orphaned.
start_share() {  # start_share I: worker I on share I, in the background ($! is its pid)
  (
    mapfile -t files <"$work/share$1.txt"
    exec "$bin" ingest --quiet --format json --db "$db" --quarantine "$work/q$1" "${files[@]}"
  ) >"$work/w$1.json" 2>"$work/w$1.err" &
}
real_bin=$(readlink -f "$bin")

# One round: the workers start at once; the victim is killed at a random moment of its run, at
# least 0.3 s in (it has read and stored reports by then; batches commit every 1.5 s at most, so a
# later kill also leaves committed work behind). If the victim finished before its moment came,
# the round is repeated on a fresh database with the moment drawn within the run time it showed.
lo_ms=300; hi_ms=2000
victim=-1; victim_rc=""
for round in 1 2 3; do
  new_target
  victim=$((RANDOM % workers))
  delay_ms=$((lo_ms + RANDOM % (hi_ms - lo_ms + 1)))
  t=$(now)
  t0_ns=$(date +%s%N)
  pids=()
  for i in $(seq 0 $((workers - 1))); do
    start_share "$i"
    pids[i]=$!
  done
  # Poll rather than sleep, to see when a victim ends on its own.
  deadline=$((t0_ns + delay_ms * 1000000))
  while [ "$(date +%s%N)" -lt "$deadline" ] && kill -0 "${pids[victim]}" 2>/dev/null; do sleep 0.02; done
  killed_ms=$(( ($(date +%s%N) - t0_ns) / 1000000 ))
  victim_exe=$(readlink -f "/proc/${pids[victim]}/exe" 2>/dev/null || echo "(ended)")
  kill -KILL "${pids[victim]}" 2>/dev/null || true
  rcs=()
  for i in $(seq 0 $((workers - 1))); do
    rc=0; { wait "${pids[i]}"; } 2>/dev/null || rc=$?
    rcs[i]=$rc
  done
  workers_secs=$(secs "$t" "$(now)")
  victim_rc=${rcs[victim]}
  echo "round $round: $workers workers in $workers_secs s; worker $victim killed at $killed_ms ms (drawn: $delay_ms ms); exits ${rcs[*]}"
  if [ "$victim_rc" = 137 ]; then
    check "the process killed is dmarcsight itself" eq "$victim_exe" "$real_bin"
    break
  fi
  # It finished first: draw the next moment within the time it took.
  lo_ms=$((killed_ms / 5)); hi_ms=$((killed_ms * 4 / 5))
  echo "  worker $victim ended before its kill (exit $victim_rc); the next round kills within $lo_ms-$hi_ms ms"
done
check "the victim was killed mid-run (exit 137)" eq "$victim_rc" 137
for i in $(seq 0 $((workers - 1))); do
  [ "$i" = "$victim" ] && continue
  check "worker $i exits 0 (or 1 as the reference)" ok_rc "${rcs[i]}" || cat "$work/w$i.err"
done

# The killed worker's share again: what it committed stays, what it had not is stored now.
t=$(now)
start_share "$victim"
rc=0; { wait $!; } 2>/dev/null || rc=$?
mv "$work/w$victim.json" "$work/rerun.json"; mv "$work/w$victim.err" "$work/rerun.err"
echo "re-run of worker $victim's share in $(secs "$t" "$(now)") s: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["stored"], "stored,", d["duplicate"], "duplicate")' "$work/rerun.json" 2>/dev/null || echo '?')"
check "re-run of the killed share exits 0 (or 1 as the reference)" ok_rc "$rc" || cat "$work/rerun.err"

# The same answers as the reference (tests/integration/pg_compare.py says how each is compared).
# The workers stored the reports in another order than the single reference run: rows are
# compared as multisets.
t=$(now)
compare() {  # compare NAME KIND ARGS...: `dmarcsight ARGS` on both databases, then pg_compare.py KIND
  local name=$1 kind=$2; shift 2
  local a=0 b=0 pa pb
  # Both at once: on two cores that halves the wait (under ASan each takes 10-20 s).
  "$bin" "$@" --db "$work/ref.db" >"$work/ref.$name" 2>"$work/ref.$name.err" & pa=$!
  "$bin" "$@" --db "$db" >"$work/pg.$name" 2>"$work/pg.$name.err" & pb=$!
  wait "$pa" || a=$?
  wait "$pb" || b=$?
  check "$name: exit status as the reference" eq "$b" "$a" || { cat "$work/pg.$name.err"; return 0; }
  check "$name: same as the reference" python3 "$project/tests/integration/pg_compare.py" "$kind" \
    "$work/ref.$name" "$work/pg.$name" --any-order --name="$name"
}
compare stats stats stats --format json
# The JSON export of everything takes 80 s under ASan (the CSV 8 s): the CSV has every record,
# the JSON of one domain (56 of the 2,000 reports) the rest of a report's fields.
compare export.json export export --format json --domain example.org
compare export.csv lines export --format csv
compare sources rows sources --format json
compare senders rows senders --format json
compare domains rows domains --format json

# Stored once, in the tables themselves (named as SQLite's: reports, inputs).
ref_totals=$(sqlite3 "$work/ref.db" "select count(*), coalesce(sum(record_count),0), coalesce(sum(message_count),0) from reports")
check "reports, records, messages stored once" eq "$(query "select count(*), coalesce(sum(record_count),0), coalesce(sum(message_count),0) from reports")" "$ref_totals"
check "no report key twice" eq "$(query "select count(*) from (select 1 from reports group by key_org, key_report_id, policy_domain, begin_time, end_time having count(*) > 1) d")" 0
check "no input (bytes, label) twice" eq "$(query "select count(*) from (select 1 from inputs group by sha256, label having count(*) > 1) d")" 0
echo "comparisons in $(secs "$t" "$(now)") s"

# A further run of the whole corpus adds nothing.
t=$(now)
rc=0; "$bin" ingest --quiet --db "$db" --quarantine "$work/q-all" "$work/corpus" >"$work/again.out" 2>&1 || rc=$?
check "a further run of everything exits as the reference" eq "$rc" "$ref_rc" || cat "$work/again.out"
check "a further run of everything adds nothing" eq "$(query "select count(*), coalesce(sum(record_count),0), coalesce(sum(message_count),0) from reports")" "$ref_totals"
echo "further run in $(secs "$t" "$(now)") s"

echo "total $(secs "$t_start" "$(now)") s"
echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
