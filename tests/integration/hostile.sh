#!/usr/bin/env bash
# Runs every case of ../shared/hostile/gen_hostile.py through `dmarcsight ingest` (one fresh
# database each) and checks the expected outcome: reject = exit 1 and no report stored; accept =
# the report stored. Each case must finish within 60 s and 512 MB. Prints "N passed, N failed".
set -u
bin=${1:?usage: hostile.sh DMARCSIGHT_BINARY [SHARED_DIR] [--big]}
shared=${2:-$(dirname "$0")/../../../shared}
big=${3:-}
gen="$shared/hostile/gen_hostile.py"
if [ ! -f "$gen" ]; then echo "SKIPPED: $gen is absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$gen" "$work/cases" $big >/dev/null || { echo "generator failed"; exit 1; }
pass=0; failn=0; skipn=0
while IFS=$'\t' read -r file expect why; do
  [ "$file" = file ] && continue
  db="$work/db-$pass-$failn.db"
  start=$(date +%s.%N)
  # 512 MB address-space cap stands in for the memory bar; 60 s for the time bar.
  out=$( (ulimit -v 1048576; timeout 60 /usr/bin/time -f '%M' "$bin" ingest --quiet --db "$db" "$work/cases/$file") 2>&1 )
  rc=$?
  rss_kb=$(printf '%s\n' "$out" | tail -n 1)
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  rid=$(printf '%s' "$why" | sed -n 's/.*report_id=\([^ ;]*\).*/\1/p')
  # SMTP TLS reports (RFC 8460) are stored in tls_reports, aggregate reports in reports.
  table=reports
  [ "${file#tlsrpt_}" != "$file" ] && table=tls_reports
  stored=$(sqlite3 "$db" "SELECT count(*) FROM $table" 2>/dev/null || echo 0)
  ok=1; note=""
  case "$expect" in
    reject) { [ "$rc" = 1 ] && [ "$stored" = 0 ]; } || { ok=0; note="rc=$rc stored=$stored"; } ;;
    accept)
      if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then ok=0; note="rc=$rc"; fi
      if [ -n "$rid" ]; then
        n=$(sqlite3 "$db" "SELECT count(*) FROM $table WHERE report_id='$rid'" 2>/dev/null || echo 0)
        [ "$n" = 1 ] || { ok=0; note="$note report $rid not stored (rc=$rc)"; }
      else
        [ "$stored" -ge 1 ] || { ok=0; note="$note nothing stored (rc=$rc)"; }
      fi ;;
  esac
  if [ "$table" = tls_reports ] && [ "$expect" = accept ]; then
    # A session count is never stored negative (nor wrapped to 2^64 - n): its policy is dropped.
    neg=$(sqlite3 "$db" "SELECT count(*) FROM tls_policies WHERE successful_sessions < 0 OR failed_sessions < 0" 2>/dev/null || echo 1)
    [ "$neg" = 0 ] || { ok=0; note="$note $neg policies with negative session counts"; }
  fi
  [ "$rc" -ge 124 ] && { ok=0; note="$note crashed or timed out (rc=$rc)"; }
  # Memory bars: 512 MB for any hostile case; 128 MB for the big (bounded-memory) reports.
  limit_kb=524288
  [ "${file#big_}" != "$file" ] && limit_kb=131072
  case "$rss_kb" in ''|*[!0-9]*) ;; *) [ "$rss_kb" -le "$limit_kb" ] || { ok=0; note="$note peak RSS ${rss_kb} KB > ${limit_kb} KB"; } ;; esac
  if [ "$ok" = 1 ]; then pass=$((pass+1)); printf 'ok    %-50s %-6s %5.1fs %6s KB\n' "$file" "$expect" "$secs" "$rss_kb"
  else failn=$((failn+1)); printf 'FAIL  %-50s %-6s %s\n      %s\n' "$file" "$expect" "$note" "$(printf '%s' "$out" | head -c 400)"; fi
done < "$work/cases/EXPECT.tsv"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ]
