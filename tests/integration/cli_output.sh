#!/usr/bin/env bash
# What the CLI prints, end to end: hostile text on terminals, in CSV and JSON; --since/--until
# forms; tables fitted to the terminal width; percentages that never hide a failure; suggestions
# for mistyped commands, options and domains.
set -u
bin=${1:?usage: cli_output.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
samples="$project/examples/reports"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:400}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:400}"; return 1;; esac; return 0; }
py() { python3 -c "$@"; }
unset COLUMNS

# report FILE ORG DOMAIN BEGIN RECORDS... ; a record is "IP COUNT DKIM SPF"
report() {
  local file=$1 org=$2 domain=$3 begin=$4; shift 4
  {
    echo "<feedback><report_metadata><org_name>$org</org_name><email>r@reporter.example</email>"
    echo "<report_id>$(basename "$file")</report_id><date_range><begin>$begin</begin><end>$((begin + 86399))</end></date_range>"
    echo "</report_metadata><policy_published><domain>$domain</domain><p>none</p></policy_published>"
    for r in "$@"; do
      set -- $r
      echo "<record><row><source_ip>$1</source_ip><count>$2</count><policy_evaluated><disposition>none</disposition>"
      echo "<dkim>$3</dkim><spf>$4</spf></policy_evaluated></row><identifiers><header_from>$domain</header_from></identifiers>"
      echo "<auth_results><spf><domain>$domain</domain><result>$4</result></spf></auth_results></record>"
    done
    echo "</feedback>"
  } > "$file"
}

db="$work/r.db"
"$bin" ingest --db "$db" --quiet "$samples" >/dev/null 2>&1
check "samples ingested" eq "$("$bin" stats --db "$db" --format json | py 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])')" 37

# --- (A) hostile text: C1 and bidi controls never raw on a terminal, in CSV or in JSON -----------
# RLO (U+202E), NEL (U+0085), CSI (U+009B), LRI..PDI (U+2066/U+2069), RLM, ALM, and a formula start.
report "$work/bidi.xml" 'Evil&#x202E;gro.elpmaxe&#x85;&#x9B;2J&#x2066;x&#x2069;' bidi.example 1763596800 "192.0.2.9 3 fail fail"
report "$work/bidi2.xml" '&#x200F;&#x61C;&#x2067;&#x202B;Org&#x202C;&#x2068;' bidi.example 1763683200 "192.0.2.9 2 fail fail"
report "$work/formula.xml" '@SUM(1+1)*cmd' formula.example 1763596800 "192.0.2.10 1 fail fail"
report "$work/tab.xml" 'Org&#x9;=cmd|calc' formula.example 1763683200 "192.0.2.10 1 fail fail"
"$bin" ingest --db "$db" --quiet "$work/bidi.xml" "$work/bidi2.xml" "$work/formula.xml" "$work/tab.xml"
check "hostile reports stored" eq "$?" 0

raw_controls='import sys
data = sys.stdin.buffer.read()
text = data.decode("utf-8")  # strict: the output must be UTF-8
bad = [c for c in text if 0x80 <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
       or ord(c) in (0x200E, 0x200F, 0x061C, 0x2028, 0x2029) or (ord(c) < 0x20 and c not in "\n") or ord(c) == 0x7F]
assert not bad, [hex(ord(c)) for c in bad]'
table=$("$bin" senders --db "$db" --domain bidi.example)
check "table: no raw bidi/C1" py "$raw_controls" <<<"$table"
check "table: RLO shown as \\u202e" contains "$table" 'Evil\u202egro.elpmaxe\u0085\u009b2J\u2066x\u2069'
check "table: marks and RLI shown" contains "$table" '\u200f\u061c\u2067\u202bOrg\u202c\u2068'

json=$("$bin" senders --db "$db" --domain bidi.example --format json)
check "senders json: no raw controls" py "$raw_controls" <<<"$json"
check "senders json: written as \\u escapes" contains "$json" 'Evil\u202egro.elpmaxe\u0085\u009b2J\u2066x\u2069'
check "senders json: parses back to the stored text" py "
import json,sys; rows=json.loads(sys.argv[1]); rep=sorted(rows[0]['reporters'])
assert rep==['Evil\u202egro.elpmaxe\x85\x9b2J\u2066x\u2069', '\u200f\u061c\u2067\u202bOrg\u202c\u2068'], rep" "$json"
"$bin" export --db "$db" --domain bidi.example --format json > "$work/e.json"
check "export json: no raw controls" py "$raw_controls" < "$work/e.json"
check "export json: escapes, valid JSON" py "
import json,sys; t=open(sys.argv[1]).read(); assert '\\\\u202e' in t, t[:300]
d=json.loads(t); assert d[0]['report_metadata']['org_name'].startswith('Evil\u202e'), d[0]['report_metadata']" "$work/e.json"
check "export json: other non-ASCII stays UTF-8" py "
import json,sys; t=open(sys.argv[1],encoding='utf-8').read(); assert '\\\\u00e9' not in t" "$work/e.json"
csv=$("$bin" export --db "$db" --domain bidi.example --format csv)
check "export csv: no raw controls" py "$raw_controls" <<<"$csv"
check "export csv: visible escapes" contains "$csv" 'Evil\u202egro.elpmaxe\u0085\u009b2J\u2066x\u2069'
csv=$("$bin" senders --db "$db" --domain bidi.example --format csv)
check "senders csv: no raw controls" py "$raw_controls" <<<"$csv"
csv=$("$bin" export --db "$db" --domain formula.example --format csv)
check "csv: @ formula neutralised" contains "$csv" ",'@SUM(1+1)*cmd,"
check "csv: no cell starts a formula" py "
import csv,sys,io
for row in csv.reader(io.StringIO(sys.argv[1])):
    for cell in row: assert not cell or cell[0] not in '=+-@\t\r', row" "$csv"
check "csv: tab inside a cell escaped" contains "$csv" 'Org\x09=cmd|calc'
err=$("$bin" senders --db "$db" --domain 'evil&#x202e;' 2>&1 >/dev/null)
check "stderr escapes too" py "$raw_controls" <<<"$err"

# --- (B) --since / --until forms ----------------------------------------------------------------
n() { "$bin" senders --db "$db" --domain example.com --format json "$@" | py 'import json,sys; print(sum(r["messages"] for r in json.load(sys.stdin)))'; }
day=$(n --since 2025-11-20 --until 2025-11-21)
check "one day has messages" test "$day" -gt 0
check "RFC 3339 Z" eq "$(n --since 2025-11-20T00:00:00Z --until 2025-11-21T00:00:00Z)" "$day"
check "RFC 3339 offsets" eq "$(n --since 2025-11-20T02:00:00+02:00 --until 2025-11-20T19:00:00-05:00)" "$day"
check "fractional seconds" eq "$(n --since 2025-11-19T23:59:59.5Z --until 2025-11-20T23:59:59.999Z)" "$day"
check "lower-case t and z" eq "$(n --since 2025-11-20t00:00:00z --until 2025-11-21)" "$day"
all=$(n)
check "age 100000d covers everything" eq "$(n --since 100000d)" "$all"
check "age 10000w covers everything" eq "$(n --since 10000w)" "$all"
check "age 90m: nothing that recent" eq "$(n --since 90m)" 0
check "until 12h ago keeps the 2025 samples" eq "$(n --until 12h)" "$all"
for bad in 20251120 1763596800 yesterday 2025-11-20T10:00:00+0200 30y 2025-02-29 ' 30d'; do
  err=$("$bin" senders --db "$db" --since "$bad" 2>&1 >/dev/null); rc=$?
  check "--since '$bad' is a usage error" eq "$rc" 2
  check "--since '$bad' message names the flag and forms" contains "$err" "--since '$bad' is not a time; use YYYY-MM-DD, an RFC 3339 time"
done
err=$("$bin" senders --db "$db" --since 20251120 2>&1 >/dev/null)
check "8 digits: hint" contains "$err" "for that date write 2025-11-20"
err=$("$bin" export --db "$db" --until 1700000000 2>&1 >/dev/null); rc=$?
check "export --until epoch refused" eq "$rc" 2
check "export names --until" contains "$err" "--until '1700000000'"
err=$("$bin" senders --db "$db" --since 2025-11-21 --until 2025-11-20 2>&1 >/dev/null); rc=$?
check "--since after --until is 2" eq "$rc" 2
check "--since after --until says so" contains "$err" "is not before --until"
"$bin" export --db "$db" --since 2d --until 5d >/dev/null 2>&1
check "ages: --since 2d after --until 5d is 2" eq "$?" 2
"$bin" senders --db "$db" --since 2025-11-20T12:00:00+01:00 --until 2025-11-20T11:00:00Z >/dev/null 2>&1
check "offsets compared in UTC: empty window is 2" eq "$?" 2

# --- (D) percentages ----------------------------------------------------------------------------
report "$work/pct1.xml" Reporter pct.example 1763596800 "192.0.2.50 99999 pass pass" "192.0.2.50 1 fail fail"
report "$work/pct2.xml" Reporter pct.example 1763596800 "192.0.2.51 1 pass fail" "192.0.2.51 99999 fail fail"
report "$work/pct3.xml" Reporter pct.example 1763596800 "192.0.2.52 999 pass pass" "192.0.2.52 1 fail fail"
report "$work/pct4.xml" Reporter pct.example 1763596800 "192.0.2.53 2 pass pass" "192.0.2.53 1 fail pass"
"$bin" ingest --db "$db" --quiet "$work"/pct?.xml
table=$("$bin" senders --db "$db" --domain pct.example)
line() { grep -F "$1" <<<"$table"; }
check "99999/100000 is 99.9%, not 100.0%" contains "$(line 192.0.2.50)" "  99.9%"
check "no 100.0% where one failed" lacks "$(line 192.0.2.50)" "100.0%"
check "1/100000 is 0.1%, not 0.0%" contains "$(line 192.0.2.51)" "   0.1%"
check "999/1000 is 99.9%" contains "$(line 192.0.2.52)" "  99.9%"
check "2/3 is 66.7%, 3/3 is 100.0%" py "
import sys; f=sys.argv[1].split(); assert f[4]=='100.0%' and f[5]=='100.0%' and f[6]=='66.7%', f" "$(line 192.0.2.53)"
check "whole is 100.0%, none is 0.0%" py "
import sys; f=sys.argv[1].split(); assert f[4]=='100.0%' and f[5]=='0.0%', f" "$("$bin" senders --db "$db" --domain example.com | grep -F 198.51.100.40)"
csv=$("$bin" senders --db "$db" --domain pct.example --format csv)
check "csv share 99999/100000 is 0.9999" contains "$(grep -F 192.0.2.50 <<<"$csv")" ",100000,0.9999,0.9999,0.9999,"
check "csv share 1/100000 is 0.0001" contains "$(grep -F 192.0.2.51 <<<"$csv")" ",100000,0.0001,0.0000,0.0001,"

# --- (C) tables fit the terminal ----------------------------------------------------------------
long='Reporter&#x65E5;&#x672C;&#x8A9E; Caf&#xE9; with a very long organisation name that goes on and on'
report "$work/wide.xml" "$long" wide.example 1763596800 "192.0.2.60 5 pass pass"
report "$work/wide2.xml" "Second $long" wide.example 1763683200 "192.0.2.60 5 pass pass"
"$bin" ingest --db "$db" --quiet "$work/wide.xml" "$work/wide2.xml"
width_ok='import sys, unicodedata
w = int(sys.argv[1])
def cols(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.buffer.read().decode("utf-8").splitlines()
assert lines and all(cols(l) <= w for l in lines), [(cols(l), l) for l in lines if cols(l) > w]'
for w in 160 150 140; do
  t=$(COLUMNS=$w "$bin" senders --db "$db" --domain wide.example)
  check "COLUMNS=$w: every line fits" py "$width_ok" "$w" <<<"$t"
  check "COLUMNS=$w: reporters cut with …" contains "$t" "…"
  check "COLUMNS=$w: domain and IP whole" contains "$t" "wide.example  192.0.2.60"
  check "COLUMNS=$w: dates whole" contains "$t" "2025-11-20  2025-11-21"
done
t=$(COLUMNS=60 "$bin" senders --db "$db" --domain wide.example)
check "narrower than the kept columns: they stay whole" contains "$t" "wide.example  192.0.2.60"
check "narrow: output still UTF-8" py 'import sys; sys.stdin.buffer.read().decode("utf-8")' <<<"$t"
t=$("$bin" senders --db "$db" --domain wide.example)
check "pipe without COLUMNS: nothing cut" lacks "$t" "…"
check "pipe without COLUMNS: whole names" contains "$t" "Second Reporter日本語 Café with a very long organisation name that goes on and on"
t=$(COLUMNS=40 "$bin" senders --db "$db" --domain wide.example --format json)
check "json never truncated" contains "$t" "that goes on and on"
t=$(COLUMNS=40 "$bin" senders --db "$db" --domain wide.example --format csv)
check "csv never truncated" contains "$t" "that goes on and on"
t=$(COLUMNS=abc "$bin" senders --db "$db" --domain wide.example)
check "COLUMNS not a number: ignored" lacks "$t" "…"
if command -v script >/dev/null; then
  # A real terminal of 130 columns (stty on the pty script allocates): the width comes from TIOCGWINSZ.
  t=$(COLUMNS=300 script -qec "stty cols 140 rows 40; '$bin' senders --db '$db' --domain wide.example" /dev/null | tr -d '\r')
  check "tty: width from the terminal, not COLUMNS" py "$width_ok" 140 <<<"$(grep -v '^$' <<<"$t")"
  check "tty: cut with …" contains "$t" "…"
fi

# --- (E) suggestions ----------------------------------------------------------------------------
err=$("$bin" ingset 2>&1); rc=$?
check "ingset is a usage error" eq "$rc" 2
check "ingset suggests ingest" contains "$err" "unknown command 'ingset'; did you mean 'ingest'?"
err=$("$bin" sendres --db "$db" 2>&1); rc=$?
check "sendres: 2" eq "$rc" 2
check "sendres suggests senders" contains "$err" "did you mean 'senders'?"
err=$("$bin" --version >/dev/null; "$bin" exprot --format csv 2>&1)
check "exprot suggests export" contains "$err" "unknown command 'exprot'; did you mean 'export'?"
err=$("$bin" frobnicate 2>&1); rc=$?
check "far-off command: 2" eq "$rc" 2
check "far-off command lists commands" contains "$err" "commands: ingest, stats, sources, senders, domains, label"
err=$("$bin" senders --db "$db" --domian example.com 2>&1); rc=$?
check "misspelled option: 2" eq "$rc" 2
check "misspelled option suggested" contains "$err" "unknown option '--domian' for 'senders'; did you mean '--domain'?"
err=$("$bin" export --db "$db" --fromat=csv 2>&1); rc=$?
check "--fromat=csv: 2" eq "$rc" 2
check "--fromat=csv suggests --format" contains "$err" "did you mean '--format'?"
out=$("$bin" senders --help); check "valid commands unaffected" contains "$out" "--since"

# --- (F) a --domain that is not stored ----------------------------------------------------------
out=$("$bin" senders --db "$db" --domain exmaple.com --format json 2>"$work/err"); rc=$?
err=$(cat "$work/err")
check "unknown domain exits 1" eq "$rc" 1
check "unknown domain: stdout still valid JSON []" eq "$out" "[]"
check "unknown domain names it and the stored ones" contains "$err" "no reports for domain 'exmaple.com'; stored domains: bidi.example, example.com, example.org, formula.example, pct.example, wide.example"
check "unknown domain: suggestion" contains "$err" "did you mean 'example.com'?"
out=$("$bin" export --db "$db" --domain exmaple.org --format csv 2>"$work/err"); rc=$?
check "export unknown domain exits 1" eq "$rc" 1
check "export unknown domain: header only" eq "$(wc -l <<<"$out")" 1
check "export unknown domain note" contains "$(cat "$work/err")" "no reports for domain 'exmaple.org'; stored domains:"
err=$("$bin" senders --db "$db" --domain '*.exmaple.org' 2>&1 >/dev/null); rc=$?
check "wildcard of nothing stored: 1" eq "$rc" 1
check "wildcard note keeps the *." contains "$err" "no reports for domain '*.exmaple.org'"
"$bin" senders --db "$db" --domain '*.example.com' --format json >/dev/null 2>"$work/err"
check "wildcard of a stored domain: 0" eq "$?" 0
check "wildcard of a stored domain: no note" eq "$(cat "$work/err")" ""
"$bin" senders --db "$db" --domain EXAMPLE.com. --since 2030-01-01 >/dev/null 2>"$work/err"
check "stored domain, empty window: 0, no note" eq "$?:$(cat "$work/err")" "0:"
# Many stored domains: the list is capped.
db3="$work/many.db"
for i in $(seq 1 25); do report "$work/m$i.xml" R "d$(printf %02d "$i").example" 1763596800 "192.0.2.1 1 pass pass"; done
"$bin" ingest --db "$db3" --quiet "$work"/m*.xml
err=$("$bin" senders --db "$db3" --domain nothere.example 2>&1 >/dev/null)
check "capped list: first 20" contains "$err" "stored domains: d01.example, d02.example"
check "capped list: 20th shown, 21st not" py "
import sys; e=sys.argv[1]; assert 'd20.example' in e and 'd21.example' not in e, e" "$err"
check "capped list: and 5 more" contains "$err" "d20.example and 5 more"
db4="$work/empty.db"
"$bin" ingest --db "$db4" --quiet "$samples/truncated-report.xml" >/dev/null 2>&1
err=$("$bin" senders --db "$db4" --domain example.com 2>&1 >/dev/null); rc=$?
check "empty database: 1 and says so" eq "$rc:$err" "1:dmarcsight: no reports for domain 'example.com'; the database holds no reports"

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
