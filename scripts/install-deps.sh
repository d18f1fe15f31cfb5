#!/usr/bin/env bash
# Installs the Debian packages dmarcsight needs to build and test (scripts/apt-packages.txt), then
# the front-end packages pinned in package-lock.json (npm ci: the dashboard's chart library, built
# into the binary, and playwright-core for the browser tests). Works as root (CI) or through sudo;
# does nothing when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(grep -v '^\s*#' "$here/apt-packages.txt" | sed 's/\s.*//' | grep -v '^$' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo): need ${missing[*]}" >&2; exit 2; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail system this is: none (the tests run their own instance, in a
# folder of their own; the system's is never configured, started or needed).
if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
  echo "postfix postfix/main_mailer_type select No configuration" | "${as_root[@]}" debconf-set-selections
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present"
else
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's nodejs comes without npm (a package of its own); another nodejs build may bring it.
if ! command -v npm >/dev/null; then
  echo "install-deps: installing npm"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
root=$(cd "$here/.." && pwd)
# npm ci again whenever package-lock.json changed after the last install.
if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  echo "install-deps: npm ci (package-lock.json)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
