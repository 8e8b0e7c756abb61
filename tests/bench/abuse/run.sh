#!/usr/bin/env bash
# Benchmark of a signed bank webhook's latency while a partner floods at 10x
# its rate limit (issue #8: p99 within 20 % of normal). Prints figures; not a
# pass/fail test: the flood's own checks (429 for what exceeds the limit)
# still assert. Each run interleaves quiet and flood half-second phases in a
# random order of its own; the quiet phases are the baseline of the same run,
# and the pooled ratio over all runs is the figure to quote.
#   tests/bench/abuse/run.sh [runs]        (default 3; a run takes about 60 s)
# Uses the servers of ops/ (started if needed) and build/relay48
# (RELAY48_BIN to use another binary).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
RUNS=${1:-3}
cd "$ROOT"
ops/pg.sh start >/dev/null
ops/kafka.sh start >/dev/null
if [[ -z "${RELAY48_BIN:-}" ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target relay48 >/dev/null
fi
exec python3 tests/integration/test_connection_abuse.py --bench "$RUNS"
