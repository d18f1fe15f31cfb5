#!/usr/bin/env bash
# Man pages from the binary's own --help (help2man): dmarcsight(1), and dmarcsight-COMMAND(1) for
# every command `dmarcsight --help` lists, so a page never says what the binary does not.
#   scripts/gen-man.sh DMARCSIGHT_BINARY OUTDIR
set -euo pipefail
bin=$(readlink -f "${1:?usage: gen-man.sh DMARCSIGHT_BINARY OUTDIR}")
out=${2:?}
mkdir -p "$out"
version=$("$bin" --version | awk '{print $NF}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--no-info --no-discard-stderr --version-string="$version" --source="dmarcsight $version" --manual="dmarcsight manual")
help2man "${common[@]}" --name="every source sending mail as your domains, from DMARC reports" \
  --output="$out/dmarcsight.1" "$bin"
# The commands: the "Subcommands:" section of the top-level help, a name at the start of each line.
# The help is read once into a file: awk leaving a pipe early (exit at the first match) would
# kill a slow writer (an ASan build) with SIGPIPE, and pipefail would end the script.
"$bin" --help > "$work/help"
mapfile -t commands < <(awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' "$work/help")
[ "${#commands[@]}" -gt 0 ] || { echo "gen-man.sh: no commands in $bin --help" >&2; exit 1; }
for c in "${commands[@]}"; do
  # help2man runs a program with --help: a wrapper that runs the command. Its one-line summary,
  # from the top-level list, is the page's NAME.
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$bin" "$c" > "$work/dmarcsight-$c"
  chmod +x "$work/dmarcsight-$c"
  summary=$(awk -v c="$c" '/^Subcommands:/ {on = 1; next} on && $1 == c {$1 = ""; sub(/^ +/, ""); print; exit}' "$work/help")
  help2man "${common[@]}" --name="${summary:-dmarcsight $c}" --output="$out/dmarcsight-$c.1" "$work/dmarcsight-$c"
done
echo "gen-man.sh: ${#commands[@]} command pages and dmarcsight.1 in $out"
