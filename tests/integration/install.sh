#!/usr/bin/env bash
# `cmake --install` into a scratch prefix puts everything where Debian expects it: the binary
# (which runs from there), the service catalogue, the example configuration, the systemd units
# with ExecStart naming the installed binary, the sysusers entry, and a man page for dmarcsight
# and for every command its --help lists (each one renders with man). Skipped (77) without
# help2man, which the man pages need.
set -u
build=${1:?usage: install.sh BUILD_DIR}
command -v help2man >/dev/null || { echo "SKIPPED: help2man is not installed (apt-get install help2man)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "FAIL: $name"; tail -n 20 "$work/out"; fi
}
prefix="$work/usr"
check "cmake --install succeeds" cmake --install "$build" --prefix "$prefix"
bin="$prefix/bin/dmarcsight"
check "the binary is installed and runs" "$bin" --version
check "the service catalogue is installed" test -s "$prefix/share/dmarcsight/services.toml"
check "the example configuration is installed" test -s "$prefix/share/doc/dmarcsight/examples/dmarcsight.toml.example"
check "the environment example is installed" test -s "$prefix/share/doc/dmarcsight/examples/dmarcsight.env.example"
check "the sysusers entry is installed" test -s "$prefix/lib/sysusers.d/dmarcsight.conf"
units=$(ls "$prefix/lib/systemd/system/"dmarcsight-*.service 2>/dev/null | wc -l)
check "the systemd services are installed" test "$units" -ge 4
check "every timer is installed" test "$(ls "$prefix/lib/systemd/system/"dmarcsight-*.timer 2>/dev/null | wc -l)" -ge 4
bad=$(grep -l '^ExecStart=' "$prefix/lib/systemd/system/"*.service | xargs grep -L "^ExecStart=$bin " || true)
check "every ExecStart names the installed binary" test -z "$bad"
[ -n "$bad" ] && echo "  not pointing at $bin: $bad"
check "dmarcsight.1 is installed" test -s "$prefix/share/man/man1/dmarcsight.1"
mapfile -t commands < <("$bin" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
check "the binary lists its commands" test "${#commands[@]}" -ge 20
missing=""
for c in "${commands[@]}"; do
  page="$prefix/share/man/man1/dmarcsight-$c.1"
  [ -s "$page" ] || { missing="$missing $c"; continue; }
  # The page documents the command's own options (its --help), and man renders it.
  opt=$("$bin" "$c" --help | grep -o -- '--[a-z][a-z-]*' | grep -v -- '--help' | head -n 1)
  if [ -n "$opt" ] && ! man -l "$page" 2>/dev/null | grep -q -- "$opt"; then missing="$missing $c(no $opt)"; fi
done
check "a man page per command, each with its options" test -z "$missing"
[ -n "$missing" ] && echo "  missing:$missing"
echo "install: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
