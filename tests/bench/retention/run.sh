#!/usr/bin/env bash
# Benchmark of `relay48 purge` on a seeded volume (prints figures; not a
# pass/fail test): see bench.py.
#   tests/bench/retention/run.sh [--cases N]      (default 100 000)
# Uses the servers of ops/ (started if needed) and build/relay48
# (RELAY48_BIN to use another binary).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
ops/pg.sh start >/dev/null
if [[ -z "${RELAY48_BIN:-}" ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target relay48 >/dev/null
fi
python3 "$HERE/bench.py" "$@"
