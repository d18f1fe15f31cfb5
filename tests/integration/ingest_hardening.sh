#!/usr/bin/env bash
# Ingest as the internet and real users treat it: standard input of every kind, the database
# walked over, reports beside other parts, unreadable and non-regular inputs, a quarantine that
# cannot be written, another program's database, outcomes that clear, Ctrl-C, kept skipped bytes.
set -u
bin=$(readlink -f "${1:?usage: ingest_hardening.sh DMARCSIGHT_BINARY PROJECT_DIR}")
project=$(readlink -f "${2:?}")
samples="$project/examples/reports"
fixtures="$project/tests/fixtures"
work=$(mktemp -d)
chmod 755 "$work"
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
pass=0; failn=0
check() { local name=$1; shift; if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi; }
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:400}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:400}"; return 1;; esac; return 0; }
jq_py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); $2" "$1"; }
stat_of() { "$bin" stats --db "$1" --format json; }
yahoo="$samples/yahoo.com!example.com!1763337600!1763423999.xml"
yahoo2="$samples/yahoo.com!example.com!1763424000!1763510399.xml"
outlook="$samples/protection.outlook.com!example.com!1763337600!1763423999.xml.gz"

# An mbox of the 14 sample e-mails (two mbox dialects: with and without blank lines before From).
mbox="$work/reports.mbox"
for f in "$samples"/google-*.eml; do
  printf 'From noreply-dmarc-support@google.com Mon Nov 17 00:00:00 2025\n' >> "$mbox"
  sed 's/^From />From /' "$f" >> "$mbox"; printf '\n' >> "$mbox"
done
n_eml=$(ls "$samples"/google-*.eml | wc -l)

# 1. Standard input is sniffed like a file: mbox, e-mail, gzip, zip, XML, JSON.
out=$("$bin" ingest --db "$work/by-path.db" --format json "$mbox"); by_path=$(jq_py "$out" "print(d['stored'])")
check "mbox by path stores every message" eq "$by_path" "$n_eml"
out=$("$bin" ingest --db "$work/stdin-mbox.db" --format json - < "$mbox"); rc=$?
check "mbox on stdin exits 0" eq "$rc" 0
check "mbox on stdin stores every message" jq_py "$out" "assert d['stored']==$n_eml and d['inputs']==$n_eml, d"
out=$("$bin" ingest --db "$work/stdin-gz.db" --format json - < "$outlook")
check "gzip on stdin" jq_py "$out" "assert d['stored']==1, d"
(cd "$work" && cp "$yahoo" report.xml && python3 -c "import zipfile; z=zipfile.ZipFile('r.zip','w'); z.write('report.xml'); z.close()")
out=$("$bin" ingest --db "$work/stdin-zip.db" --format json - < "$work/r.zip")
check "zip on stdin" jq_py "$out" "assert d['stored']==1, d"
out=$("$bin" ingest --db "$work/stdin-eml.db" --format json - < "$samples/google-example.com-17.eml")
check "e-mail on stdin" jq_py "$out" "assert d['stored']==1, d"
out=$("$bin" ingest --db "$work/stdin-xml.db" --format json - < "$yahoo")
check "XML on stdin" jq_py "$out" "assert d['stored']==1, d"
printf '{"organization-name":"Example","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"report-id":"x","policies":[]}' > "$work/tls.json"
out=$("$bin" ingest --db "$work/stdin-json.db" --format json - < "$work/tls.json")
check "TLS JSON on stdin is stored" jq_py "$out" "assert d['stored']==1 and d['skipped']==0 and d['rejected']==0, d"
# Variant: an mbox of one message whose report is gzip, piped (not a regular file on fd 0).
cat "$fixtures/mime/three_messages.mbox" | "$bin" ingest --db "$work/pipe.db" --format json - > "$work/pipe.json"
check "mbox through a pipe: every message is an input" jq_py "$(cat "$work/pipe.json")" "assert d['inputs']==3, d"

# 2. The database, its journal files and its quarantine are never inputs.
mkdir -p "$work/self"; cp "$yahoo" "$yahoo2" "$work/self/"
(cd "$work/self" && "$bin" ingest . >/dev/null 2>&1); rc=$?
check "ingest . with the default db in it: exit 0" eq "$rc" 0
(cd "$work/self" && "$bin" ingest --format json . > ../self2.json 2>&1); rc=$?
check "second ingest . exits 0" eq "$rc" 0
check "second ingest .: only duplicates" jq_py "$(cat "$work/self2.json")" "assert d['duplicate']==2 and d['rejected']==0 and d['inputs']==2, d"
check "no quarantine grows from the db" test ! -e "$work/self/dmarcsight.db.quarantine"
ln -s "$work/self/dmarcsight.db" "$work/link-to-db"
ln "$work/self/dmarcsight.db" "$work/self-hardlink.db" 2>/dev/null
out=$(cd "$work/self" && "$bin" ingest --format json --db ./dmarcsight.db ../link-to-db ../self/../self/dmarcsight.db ./dmarcsight.db 2>"$work/err"); rc=$?
check "db named through a symlink, .. and directly: exit 0" eq "$rc" 0
check "db named: not an input" jq_py "$out" "assert d['inputs']==0 and d['rejected']==0, d"
check "db named: says why" contains "$(cat "$work/err")" "never an input"
if [ -e "$work/self-hardlink.db" ]; then
  out=$("$bin" ingest --format json --db "$work/self/dmarcsight.db" "$work/self-hardlink.db" 2>/dev/null)
  check "db through a hard link: not an input" jq_py "$out" "assert d['inputs']==0, d"
  rm -f "$work/self-hardlink.db"
fi
# Variant: a separate --quarantine inside the walked folder, holding kept bytes.
mkdir -p "$work/selfq"; cp "$samples/truncated-report.xml" "$work/selfq/"
"$bin" ingest --db "$work/selfq/x.db" --quarantine "$work/selfq/kept" "$work/selfq" >/dev/null 2>&1
out=$("$bin" ingest --format json --db "$work/selfq/x.db" --quarantine "$work/selfq/kept" "$work/selfq" 2>/dev/null); rc=$?
check "own quarantine inside the walk is not read" jq_py "$out" "assert d['inputs']==1 and d['rejected']==1 and d['unchanged']==1, d"
check "re-run of the same rejection exits 0" eq "$rc" 0

# 3. Parts that are not reports, beside a report, are not rejections.
(cd "$work" && printf 'read me\n' > README.txt && printf '\x89PNG\r\n\x1a\nxxxx' > logo.png && \
  python3 -c "
import zipfile
z=zipfile.ZipFile('mixed.zip','w'); z.write('README.txt'); z.write('report.xml'); z.write('logo.png'); z.close()
z=zipfile.ZipFile('noreport.zip','w'); z.write('README.txt'); z.write('logo.png'); z.close()")
out=$("$bin" ingest --db "$work/mixed.db" --format json "$work/mixed.zip"); rc=$?
check "zip with report + readme + logo: exit 0" eq "$rc" 0
check "zip with report + readme + logo: stored, nothing rejected" jq_py "$out" "assert d['stored']==1 and d['rejected']==0, d"
out=$("$bin" ingest --db "$work/noreport.db" --format json "$work/noreport.zip"); rc=$?
check "zip with no report: rejected once" jq_py "$out" "assert d['rejected']==1 and d['inputs']==1, d"
check "zip with no report: exit 1" eq "$rc" 1
python3 - "$yahoo" "$work/signed.eml" <<'PY'
import sys, email.mime.multipart as mp, email.mime.text as mt, email.mime.application as ma
m = mp.MIMEMultipart('mixed'); m['From'] = 'noreply@receiver.example'; m['Subject'] = 'Report domain: example.com'
m.attach(mt.MIMEText('This is a DMARC aggregate report.\n'))
xml = open(sys.argv[1], 'rb').read()
a = ma.MIMEApplication(xml, 'xml'); a.add_header('Content-Disposition', 'attachment', filename='report.xml'); m.attach(a)
s = ma.MIMEApplication(b'0\x82\x01\x00fake-signature', 'pkcs7-signature'); s.add_header('Content-Disposition', 'attachment', filename='smime.p7s'); m.attach(s)
t = ma.MIMEApplication(b'{"not": "a report"}', 'json'); t.add_header('Content-Disposition', 'attachment', filename='meta.json'); m.attach(t)
open(sys.argv[2], 'w').write(m.as_string())
PY
out=$("$bin" ingest --db "$work/signed.db" --format json "$work/signed.eml"); rc=$?
check "e-mail with body, signature, JSON and report: exit 0" eq "$rc" 0
check "e-mail with body, signature, JSON and report: stored" jq_py "$out" "assert d['stored']==1 and d['rejected']==0, d"

# An attachment's file name is attacker text: a unit's label keeps at most 255 bytes of it.
python3 - "$samples/truncated-report.xml" "$work/longname.eml" <<'PY'
import sys, email.mime.multipart as mp, email.mime.text as mt, email.mime.application as ma
m = mp.MIMEMultipart('mixed'); m['From'] = 'noreply@receiver.example'; m['Subject'] = 'Report'
m.attach(mt.MIMEText('A report.\n'))
a = ma.MIMEApplication(open(sys.argv[1], 'rb').read(), 'xml')
a.add_header('Content-Disposition', 'attachment', filename='\u00e9' * 3000 + '.xml'); m.attach(a)
open(sys.argv[2], 'w').write(m.as_string())
PY
out=$("$bin" ingest --db "$work/longname.db" --format json "$work/longname.eml")
check "long attachment name: label capped on a character boundary" jq_py "$out" "
u=d['rejected_inputs'][0]['input']; name=u.split('>',1)[1]
assert len(name.encode())<=255 and name==chr(0xe9)*127, (len(name.encode()), name[:20])"

# 4. Unreadable inputs are rejected and the batch goes on (as a non-root user: root reads all).
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
if [ "$(id -u)" != 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  u="$work/unreadable"; mkdir -p "$u/tree/locked"; chmod 777 "$u"
  cp "$yahoo" "$u/tree/a.xml"; cp "$yahoo2" "$u/secret.xml"; chmod 000 "$u/secret.xml"
  cp "$outlook" "$u/tree/locked/b.xml.gz"; chmod 000 "$u/tree/locked"; chmod 755 "$u/tree"
  out=$("${as_user[@]}" "$bin" ingest --db "$u/u.db" --format json "$u/secret.xml" "$u/tree" 2>&1); rc=$?
  check "unreadable file named + unreadable sub-folder: exit 1" eq "$rc" 1
  check "unreadable: the rest stored, both rejected" jq_py "$out" "assert d['stored']==1 and d['rejected']==2, d"
  check "unreadable file: reason" contains "$out" "Permission denied"
  check "unreadable folder: named" contains "$out" "locked"
  check "unreadable: nothing claims kept" jq_py "$out" "assert all(r['quarantined'] is None for r in d['rejected_inputs']), d"
  out=$("${as_user[@]}" "$bin" ingest --db "$u/u.db" -q "$u/secret.xml" 2>&1); rc=$?
  check "unreadable again, --quiet: unchanged, exit 0" eq "$rc" 0
  check "unreadable again, --quiet: silent" eq "$out" ""
  chmod 755 "$u/tree/locked"
else
  echo "SKIP: unreadable-input checks need a non-root user or setpriv"
fi
"$bin" ingest --db "$work/missing.db" "$work/does-not-exist.xml" >/dev/null 2>&1; rc=$?
check "a path that does not exist is still a usage error" eq "$rc" 2

# 5. A quarantine that cannot be written: exit 2, committed work stays, nothing claims "kept".
printf 'a file' > "$work/not-a-folder"
out=$("$bin" ingest --db "$work/q.db" --quarantine "$work/not-a-folder/q" "$yahoo" "$samples/truncated-report.xml" 2>&1); rc=$?
check "unwritable quarantine: exit 2" eq "$rc" 2
check "unwritable quarantine: never says kept" lacks "$out" "kept in"
check "unwritable quarantine: says why" contains "$out" "nothing was kept"
check "unwritable quarantine: the good report committed" jq_py "$(stat_of "$work/q.db")" "assert d['aggregate_reports']==1 and d['rejected_inputs']==0, d"
mkdir -p "$work/foreignq"
if [ "$(id -u)" = 0 ]; then
  chown 65534:65534 "$work/foreignq"
  out=$("$bin" ingest --db "$work/q2.db" --quarantine "$work/foreignq" "$samples/truncated-report.xml" 2>&1); rc=$?
  check "quarantine owned by another user: exit 2" eq "$rc" 2
  check "quarantine owned by another user: says so" contains "$out" "belongs to user"
fi
# Variant: a report that lost records needs its bytes kept too.
sed 's#<source_ip>\([^<]*\)</source_ip>#<source_ip>not-an-ip</source_ip>#' "$yahoo2" > "$work/dropped.xml"
out=$("$bin" ingest --db "$work/q3.db" --quarantine "$work/not-a-folder/q" "$work/dropped.xml" 2>&1); rc=$?
check "damaged report, unwritable quarantine: exit 2" eq "$rc" 2
check "damaged report, unwritable quarantine: report undone" jq_py "$(stat_of "$work/q3.db")" "assert d['aggregate_reports']==0, d"

# 6. Failure and TLS reports are stored (issue 11); with --keep-raw their bytes are kept,
# content-addressed, and nothing is left skipped.
out=$("$bin" ingest --db "$work/skip.db" --keep-raw --format json "$samples/failure-report.eml" "$work/tls.json")
check "failure and TLS: stored" jq_py "$out" "assert d['skipped']==0 and d['stored']==2, d"
out=$("$bin" rejected --db "$work/skip.db" --skipped --format json)
check "nothing is left skipped" jq_py "$out" "assert d==[], d"
out=$(ls "$work/skip.db.quarantine/" | wc -l)
check "both inputs' bytes kept (--keep-raw)" eq "$out" 2
qmode=$(stat -c %a "$work/skip.db.quarantine")
check "quarantine folder is private (0700)" eq "$qmode" 700
fmode=$(stat -c %a "$work/skip.db.quarantine/"* | sort -u)
check "quarantine files are 0600" eq "$fmode" 600

# 7. Another program's database is refused before anything is written.
python3 -c "import sqlite3; c=sqlite3.connect('$work/other.db'); c.execute('create table contacts(name text)'); c.execute(\"insert into contacts values ('x')\"); c.commit()"
before=$(sha256sum "$work/other.db")
out=$("$bin" ingest --db "$work/other.db" "$yahoo" 2>&1); rc=$?
check "foreign SQLite db: exit 2" eq "$rc" 2
check "foreign SQLite db: says so" contains "$out" "another program"
check "foreign SQLite db: untouched" eq "$(sha256sum "$work/other.db")" "$before"
check "foreign SQLite db: no journal files" test ! -e "$work/other.db-wal"
printf 'just some text, not a database\n%.0s' {1..200} > "$work/text.db"
before=$(sha256sum "$work/text.db")
"$bin" ingest --db "$work/text.db" "$yahoo" >/dev/null 2>&1; rc=$?
check "text file as db: exit 2" eq "$rc" 2
check "text file as db: untouched" eq "$(sha256sum "$work/text.db")" "$before"
: > "$work/empty.db"
"$bin" ingest --db "$work/empty.db" "$yahoo" >/dev/null 2>&1; rc=$?
check "an empty file becomes our database" eq "$rc" 0

# 8. Old outcomes clear; the same rejected bytes again are "unchanged".
cp "$samples/truncated-report.xml" "$work/fixme.xml"
"$bin" ingest --db "$work/clear.db" "$work/fixme.xml" >/dev/null 2>&1; rc=$?
check "broken input: exit 1" eq "$rc" 1
out=$("$bin" ingest --db "$work/clear.db" -q "$work/fixme.xml" 2>&1); rc=$?
check "same broken bytes, --quiet: exit 0" eq "$rc" 0
check "same broken bytes, --quiet: prints nothing" eq "$out" ""
cp "$yahoo2" "$work/fixme.xml"
"$bin" ingest --db "$work/clear.db" -q "$work/fixme.xml" >/dev/null 2>&1; rc=$?
check "fixed input: exit 0" eq "$rc" 0
check "fixed input: stats no longer count it" jq_py "$(stat_of "$work/clear.db")" "assert d['rejected_inputs']==0 and d['aggregate_reports']==1, d"
out=$("$bin" rejected --db "$work/clear.db" --format json)
check "fixed input: rejected lists nothing" jq_py "$out" "assert d==[], d"
out=$("$bin" rejected --db "$work/clear.db" --all --format json)
check "fixed input: history keeps it" jq_py "$out" "assert len(d)==1 and d[0]['current'] is False and d[0]['times_seen']==2, d"
# Variant: a Maildir message moved from new/ to cur/ by a mail client is the same bytes.
md="$work/Maildir"; mkdir -p "$md/new" "$md/cur" "$md/tmp"
{ printf 'From: a@b.example\nSubject: x\n\nnot a report\n'; } > "$md/new/1.host"
"$bin" ingest --db "$work/md.db" "$md" >/dev/null 2>&1
mv "$md/new/1.host" "$md/cur/1.host:2,S"
out=$("$bin" ingest --db "$work/md.db" -q "$md" 2>&1); rc=$?
check "moved Maildir message: unchanged, exit 0" eq "$rc" 0
check "moved Maildir message: --quiet silent" eq "$out" ""

# 9. SIGINT / SIGTERM: the complete part is committed, the counts are true, exit 130 / 143.
for sig in INT TERM; do
  fifo="$work/slow.$sig"; mkfifo "$fifo"
  ( exec 3>"$fifo"; sleep 30 ) &
  holder=$!
  "$bin" ingest --db "$work/sig-$sig.db" --format json "$yahoo" "$yahoo2" - < "$fifo" > "$work/sig.json" 2>"$work/sig.err" &
  pid=$!
  for _ in $(seq 1 100); do [ -e "$work/sig-$sig.db-wal" ] && break; sleep 0.1; done
  sleep 1
  kill -$sig $pid; wait $pid; rc=$?
  kill $holder 2>/dev/null; wait $holder 2>/dev/null
  want=$([ $sig = INT ] && echo 130 || echo 143)
  check "SIG$sig: exit $want" eq "$rc" "$want"
  check "SIG$sig: says interrupted" jq_py "$(cat "$work/sig.json")" "assert d['interrupted'] is True and d['stored']==2, d"
  check "SIG$sig: what it says is what is stored" jq_py "$(stat_of "$work/sig-$sig.db")" "assert d['aggregate_reports']==2, d"
done

# 11. The content hash is stored with each report at ingest.
nul=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/clear.db').execute('select count(*) from reports where content_hash is null').fetchone()[0])")
check "content hash stored at ingest" eq "$nul" 0

# 12. Non-regular inputs are refused at once, never read.
mkfifo "$work/a.fifo"
out=$(timeout 20 "$bin" ingest --db "$work/nr.db" --format json "$work/a.fifo" /dev/zero 2>&1); rc=$?
check "FIFO and /dev/zero: exit 1 (not hung)" eq "$rc" 1
check "FIFO and /dev/zero: refused" jq_py "$out" "assert d['rejected']==2, d; assert all('not a regular file' in r['reason'] for r in d['rejected_inputs']), d"
mkdir -p "$work/withsock"; cp "$yahoo" "$work/withsock/"
python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$work/withsock/s.sock')"
mkfifo "$work/withsock/p.fifo"
out=$(timeout 20 "$bin" ingest --db "$work/nr2.db" --format json "$work/withsock" 2>&1); rc=$?
check "socket and FIFO in a folder: refused, report stored" jq_py "$out" "assert d['stored']==1 and d['rejected']==2, d"

echo "ingest_hardening: $pass passed, $failn failed"
[ "$failn" = 0 ]
