#!/usr/bin/env bash
# Benchmark of the bank connector (prints figures; not a pass/fail test).
#  1. Deliveries per second: N escalations already on relay48.escalations.bank.v1,
#     relay48-connector --role bank with 1 000 deliveries in flight to a local
#     HTTPS endpoint (tests/bench/deliver/endpoint.c, libevent + OpenSSL).
#     Baseline measured in the same run: wrk with 1 000 connections posting
#     the same kind of body to the same endpoint (what the endpoint and the
#     machine can take at all).
#  2. End to end: POST /v1/reports at RATE reports/s for SECONDS s through
#     relay48 -> Kafka -> relay48-connector -> the endpoint; latency of each
#     delivery from the moment its report was due (load.py is open-loop), p50
#     and p99, after a warm-up (20 s at RATE/2, then ANALYZE). Every report
#     escalates to two banks: 2 x RATE deliveries/s. The second figure line
#     is the part after the relay's 201: outbox -> Kafka -> connector -> desk.
#   tests/bench/deliver/run.sh [N] [RATE] [SECONDS]
# BENCH_PARTS="1" or "2" runs one part; RELAY48_BENCH_BUILD names the build tree.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
N=${1:-100000}
RATE=${2:-1000}
DUR=${3:-30}
BUILD=${RELAY48_BENCH_BUILD:-$ROOT/build-release}
cd "$ROOT"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }

ops/pg.sh start >/dev/null
ops/kafka.sh start >/dev/null
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target relay48 relay48-connector >/dev/null

TMP=$(mktemp -d /tmp/relay48-bench-deliver.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
cc -O2 -D_GNU_SOURCE -o "$TMP/endpoint" "$HERE/endpoint.c" \
  $(pkg-config --cflags --libs libevent_openssl libevent libssl libcrypto)
cc -O2 -o "$TMP/produce" "$HERE/produce.c" $(pkg-config --cflags --libs rdkafka)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
  -subj "/CN=relay48 bench endpoint" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null

URL=$(ops/pg.sh url)
BASE=${URL%/*}
psql -X -q "$BASE/postgres" -c "DROP DATABASE IF EXISTS bench_deliver WITH (FORCE)" \
  -c "CREATE DATABASE bench_deliver"
export RELAY48_DATABASE_URL=$BASE/bench_deliver
export RELAY48_KAFKA_BOOTSTRAP_SERVERS=$(ops/kafka.sh brokers)
export RELAY48_SQL_DIR=$ROOT/sql RELAY48_TOKEN_KEY=$(printf '7a%.0s' {1..32}) RELAY48_LOG_LEVEL=warn
export RELAY48_MASTER_KEY=$(printf '5c%.0s' {1..32})
export RELAY48_CONNECTOR_CA_FILE=$TMP/cert.pem
export RELAY48_CONNECTOR_MAX_INFLIGHT=1000  # per destination: the default 100 (20 banks)
export RELAY48_CONNECTOR_MAX_PENDING=20000
"$BUILD/relay48" migrate >/dev/null

PORT=18491
"$TMP/endpoint" $PORT "$TMP/cert.pem" "$TMP/key.pem" "$TMP/arrivals.txt" 2>"$TMP/endpoint.log" &
EP=$!
PIDS+=("$EP")
stats() { curl -s --cacert "$TMP/cert.pem" "https://127.0.0.1:$PORT/stats"; }
for _ in $(seq 50); do stats >/dev/null && break; sleep 0.1; done

# ---- 1. deliveries per second ------------------------------------------------
if [[ " ${BENCH_PARTS:-1 2} " == *" 1 "* ]]; then
BICS=()
for i in $(seq 0 19); do
  l=$(printf "\\x$(printf %x $((65 + i)))")
  bic="BNC${l}FRPP"
  BICS+=("$bic")
  "$BUILD/relay48" bank add --bic "$bic" --name "Bench $bic" \
    --endpoint "https://127.0.0.1:$PORT/bank/$bic" >/dev/null 2>&1
done
start_ms=$(( $(date +%s%N) / 1000000 ))
t=$(date +%s.%N)
"$TMP/produce" "$RELAY48_KAFKA_BOOTSTRAP_SERVERS" "$N" "${BICS[@]}"
echo "== 1. $N escalations produced in $(python3 -c "print(round($(date +%s.%N) - $t, 1))")s to 20 banks"
before=$(stats | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
RELAY48_CONNECTOR_GROUP=bench-deliver-$$ RELAY48_CONNECTOR_START_MS=$start_ms \
  RELAY48_CONNECTOR_HTTP_PORT=18492 RELAY48_INSTANCE=bench-deliver \
  "$BUILD/relay48-connector" --role bank 2>"$TMP/connector1.log" &
C1=$!
PIDS+=("$C1")
t0=$(date +%s.%N)
for _ in $(seq 600); do
  n=$(stats | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
  [[ $((n - before)) -ge $N ]] && break
  sleep 0.5
done
read -r count first last < <(stats | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['count'], d['first_us'], d['last_us'])")
kill "$C1"; wait "$C1" || true
rate=$(python3 -c "print(int(($count - $before) / (($last - $first) / 1e6)))")
echo "relay48-connector: $((count - before)) deliveries, first to last $(python3 -c "print(round(($last - $first) / 1e6, 2))")s: deliveries_per_s=$rate (1000 in flight, TLS, signed)"
cat > "$TMP/wrk.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.rep("x", 1900)
LUA
base=$(wrk -t2 -c1000 -d10s -s "$TMP/wrk.lua" "https://127.0.0.1:$PORT/bank/BASELINE" 2>/dev/null |
  awk '/Requests\/sec/ {print int($2)}')
echo "baseline wrk -t2 -c1000 -> the same endpoint: requests_per_s=$base; ratio=$(python3 -c "print(round($rate / max(1, $base), 2))")"
fi

# ---- 2. end to end -------------------------------------------------------------
if [[ " ${BENCH_PARTS:-1 2} " == *" 2 "* ]]; then
psql -X -qtA "$RELAY48_DATABASE_URL" -c "SELECT DISTINCT bic FROM bank_directory" | while read -r bic; do
  "$BUILD/relay48" bank add --bic "$bic" --name "Bench $bic" \
    --endpoint "https://127.0.0.1:$PORT/bank/$bic" >/dev/null 2>&1 || true
done
KEY=$("$BUILD/relay48" key create --party bench --role partner 2>/dev/null)
python3 "$ROOT/tests/bench/intake/gen_bodies.py" 20000 "$TMP/bodies.jsonl"
# one key sends everything: lift its per-key rate limit (api.rate_per_minute)
RELAY48_API_RATE_PER_MINUTE=1000000 RELAY48_API_RATE_BURST=100000 \
  RELAY48_HTTP_PORT=18490 RELAY48_INSTANCE=bench-e2e "$BUILD/relay48" serve 2>"$TMP/relay.log" &
R=$!
PIDS+=("$R")
RELAY48_CONNECTOR_GROUP=bench-e2e-$$ RELAY48_CONNECTOR_START_MS=$(( $(date +%s%N) / 1000000 )) \
  RELAY48_CONNECTOR_HTTP_PORT=18493 RELAY48_INSTANCE=bench-e2e-conn \
  "$BUILD/relay48-connector" --role bank 2>"$TMP/connector2.log" &
C2=$!
PIDS+=("$C2")
for _ in $(seq 100); do
  curl -fs http://127.0.0.1:18490/readyz >/dev/null && curl -fs http://127.0.0.1:18493/readyz >/dev/null && break
  sleep 0.2
done
sleep 2 # the key cache's first load
# Warm-up, not counted: connections to the banks, and a database that is not
# empty (a fresh one is planned for empty tables until autoanalyze runs; a
# production database never is), then ANALYZE.
python3 "$HERE/load.py" 127.0.0.1 18490 "$KEY" "$(( RATE / 2 ))" 20 "$TMP/bodies.jsonl" \
  "$TMP/warmup.txt" | sed 's/^load:/warm-up:/'
psql -X -q "$RELAY48_DATABASE_URL" -c "ANALYZE"
sleep 3
before=$(stats | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
python3 "$HERE/load.py" 127.0.0.1 18490 "$KEY" "$RATE" "$DUR" "$TMP/bodies.jsonl" "$TMP/load.txt"
expected=$(awk '$3 == 201 {n++} END {print 2 * n}' "$TMP/load.txt")
for _ in $(seq 120); do
  n=$(stats | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
  [[ $((n - before)) -ge $expected ]] && break
  sleep 0.5
done
kill "$C2" "$R"; wait "$C2" "$R" || true
kill "$EP"; wait "$EP" || true
python3 - "$TMP/load.txt" "$TMP/arrivals.txt" "$RATE" <<'PY'
import sys
due, answered = {}, {}
for line in open(sys.argv[1]):
    ref, t, status, a = line.split()
    if status == "201":
        due[ref], answered[ref] = int(t), int(a)
lat, after = [], []
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) == 2 and parts[0] in due:
        lat.append((int(parts[1]) - due[parts[0]]) / 1000.0)
        after.append((int(parts[1]) - answered[parts[0]]) / 1000.0)
lat.sort()
after.sort()
p = lambda v, q: v[min(len(v) - 1, int(q * len(v)))]
print(f"end to end at {sys.argv[3]} reports/s: {len(due)} reports, {len(lat)} deliveries "
      f"(expected {2 * len(due)}): POST /v1/reports due -> bank endpoint p50={p(lat, 0.5):.1f}ms "
      f"p99={p(lat, 0.99):.1f}ms max={lat[-1]:.1f}ms")
print(f"  of which after the 201 (outbox -> Kafka -> connector -> endpoint): "
      f"p50={p(after, 0.5):.1f}ms p99={p(after, 0.99):.1f}ms max={after[-1]:.1f}ms")
PY
fi
echo "reproduce: tests/bench/deliver/run.sh $N $RATE $DUR"
