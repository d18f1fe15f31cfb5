#!/usr/bin/env bash
# The systemd units of dist/systemd/: `systemd-analyze verify` accepts every unit (with ExecStart
# pointed at this build's binary), each timer's OnCalendar parses, each service's hardening keeps
# `systemd-analyze security --offline` exposure at 2.0 or less, and every flag an ExecStart passes
# is one its command knows (commands this build does not have yet are named, not failed). Nothing
# is started. Exit 77 (skipped) without systemd-analyze.
set -u
bin=${1:?usage: systemd_units.sh DMARCSIGHT_BINARY PROJECT_DIR}
project=${2:?}
units="$project/dist/systemd"
if ! command -v systemd-analyze >/dev/null; then echo "SKIPPED: systemd-analyze is not installed (apt-get install systemd)"; exit 77; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 30 "$work/out"; fi
}
abs_bin=$(readlink -f "$bin")
for f in "$units"/*.service "$units"/*.timer; do
  # A template (NAME@.service) is verified as one instance of it.
  sed "s#/usr/local/bin/dmarcsight#$abs_bin#" "$f" > "$work/$(basename "$f" | sed 's/@\./@example./')"
done
check "dmarcsight-imap@ is a template that watches one mailbox" grep -qx 'ExecStart=/usr/local/bin/dmarcsight ingest --quiet --watch --mailbox %i' "$units/dmarcsight-imap@.service"
for kind in ingest alerts digest prune; do
  check "dmarcsight-$kind has a service and a timer" test -f "$units/dmarcsight-$kind.service" -a -f "$units/dmarcsight-$kind.timer"
done
(cd "$work" && systemd-analyze verify ./*.service ./*.timer) > "$work/verify" 2>&1
check "systemd-analyze verify accepts every unit" test ! -s "$work/verify"
[ -s "$work/verify" ] && cat "$work/verify"
for t in "$units"/*.timer; do
  cal=$(sed -n 's/^OnCalendar=//p' "$t")
  check "$(basename "$t"): OnCalendar '$cal' parses" systemd-analyze calendar "$cal"
done
check "the digest goes out on Monday at 07:00" grep -qx 'OnCalendar=Mon \*-\*-\* 07:00:00' "$units/dmarcsight-digest.timer"
check "ingest runs every 15 minutes" grep -qx 'OnCalendar=\*:0/15' "$units/dmarcsight-ingest.timer"
for s in "$work"/*.service; do
  n=$(basename "$s")
  level=$(cd "$work" && systemd-analyze security --offline=true "$n" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
  check "$n: exposure $level <= 2.0" python3 -c "import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) <= 2.0 else 1)" "$level"
  for key in 'User=dmarcsight' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ReadWritePaths=/var/lib/dmarcsight' 'EnvironmentFile=-/etc/dmarcsight/dmarcsight.env'; do
    check "$n: $key" grep -qx "$key" "$s"
  done
  # The command and the flags it is given.
  read -r -a words <<< "$(sed -n 's/^ExecStart=//p' "$s")"
  sub=${words[1]}
  if ! "$bin" "$sub" --help > "$work/help" 2>&1; then
    echo "note: $n runs 'dmarcsight $sub', which this build does not have yet: its flags are not checked"
    continue
  fi
  for w in "${words[@]:2}"; do
    case $w in --*) check "$n: 'dmarcsight $sub' knows $w" grep -q -- "$w" "$work/help" ;; esac
  done
done
check "the sysusers file makes the dedicated user" grep -q '^u dmarcsight ' "$units/dmarcsight.sysusers.conf"
echo "systemd_units.sh: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
