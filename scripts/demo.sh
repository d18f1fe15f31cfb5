#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, build, ingest the sample reports that
# ship with the project into an SQLite file, and show who sends as the sample domains.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDMARCSIGHT_TESTS=OFF -DDMARCSIGHT_BENCH=OFF >/dev/null
cmake --build "$root/build" --target dmarcsight
bin="$root/build/src/cli/dmarcsight"
db="$root/build/demo.db"
rm -rf "$db" "$db-wal" "$db-shm" "$db.quarantine"
echo
echo "(one sample report is truncated on purpose: it is rejected, and its bytes are kept in the quarantine)"
echo "\$ dmarcsight ingest --db build/demo.db examples/reports/"
"$bin" ingest --db "$db" "$root/examples/reports" || [ $? = 1 ]   # 1: the sample set holds one broken report on purpose
echo
echo "\$ dmarcsight sources --db build/demo.db"
"$bin" sources --db "$db"
echo
echo "\$ dmarcsight policy --db build/demo.db --domain example.com --offline   # what p=reject would cost"
"$bin" policy --db "$db" --domain example.com --offline
echo
echo "\$ dmarcsight alerts --db build/demo.db --no-dns"
"$bin" alerts --db "$db" --no-dns
