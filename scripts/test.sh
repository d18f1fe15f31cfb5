#!/usr/bin/env bash
# Everything CI checks: install dependencies, build with ASan+UBSan and warnings as errors, run
# the unit, golden, corpus, integration and fuzz-replay tests (ctest), then the hostile-input set
# and the SIGKILL / concurrent-writer tests against an optimised build (they are about time and
# memory, which sanitizers distort), and the scenario sets (label `scenario`: they run the CLI over
# generated worlds many times, and take a third of the time there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/install-deps.sh"

echo "== build (ASan+UBSan, -Werror)"
cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDMARCSIGHT_SANITIZE=ON \
      -DDMARCSIGHT_WERROR=ON -DDMARCSIGHT_BENCH=OFF >/dev/null
cmake --build "$root/build-asan" -j "$jobs"

echo "== ctest"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The scenario sets (label `scenario`) run against the Release build below.
(cd "$root/build-asan" && ctest --output-on-failure -j "$jobs" --timeout 900 -LE scenario)

echo "== hostile inputs (Release build)"
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDMARCSIGHT_TESTS=ON -DDMARCSIGHT_BENCH=OFF >/dev/null
cmake --build "$root/build-release" -j "$jobs" --target dmarcsight

echo "== scenario sets: classification, policy simulation, alerts, trends and prune against ground truth (Release build)"
(cd "$root/build-release" && ctest --output-on-failure -j "$jobs" --timeout 900 -L scenario)
bash "$root/tests/integration/hostile.sh" "$root/build-release/src/cli/dmarcsight" "$root/../shared" --big

echo "== crash safety and concurrent writers (Release build)"
bash "$root/tests/integration/crash.sh" "$root/build-release/src/cli/dmarcsight" "$root/../shared"
