#!/usr/bin/env bash
# README command 1: a running relay48 on 127.0.0.1:8080 with its own
# PostgreSQL and Kafka. Bootstraps if needed, builds (release), starts the
# servers, migrates, runs relay48 in the foreground. Ctrl-C or SIGTERM stops
# everything this script started, by PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if ! ops/bootstrap.sh --check >/dev/null; then
  say "installing missing Debian packages"
  ops/bootstrap.sh
fi

say "building (release) in build-release/"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

started=()
relay_pid=
cleanup() {
  trap - INT TERM EXIT
  if [[ -n "$relay_pid" ]] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
  fi
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do ops/"${started[i]}".sh stop || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ops/pg.sh status >/dev/null 2>&1 || { ops/pg.sh start; started+=(pg); }
ops/kafka.sh status >/dev/null 2>&1 || started+=(kafka)
ops/kafka.sh start

export RELAY48_DATABASE_URL=${RELAY48_DATABASE_URL:-$(ops/pg.sh url)}
export RELAY48_KAFKA_BOOTSTRAP_SERVERS=${RELAY48_KAFKA_BOOTSTRAP_SERVERS:-$(ops/kafka.sh brokers)}
export RELAY48_HTTP_PORT=$HTTP_PORT
export RELAY48_SQL_DIR=${RELAY48_SQL_DIR:-$ROOT/sql}
# The IBAN-token key: made once for this local stack, kept out of git and
# out of the logs (a production key comes from the operator's secret store).
if [[ -z "${RELAY48_TOKEN_KEY:-}" ]]; then
  mkdir -p "$RUN_DIR"
  [[ -s "$RUN_DIR/token.key" ]] || (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$RUN_DIR/token.key")
  RELAY48_TOKEN_KEY=$(cat "$RUN_DIR/token.key")
  export RELAY48_TOKEN_KEY
fi
build-release/relay48 migrate

mkdir -p "$RUN_DIR"
log=$RUN_DIR/relay48.log
build-release/relay48 serve 2> >(tee -a "$log" >&2) &
relay_pid=$!
if wait_for 60 "relay48 /readyz" curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz"; then
  cat <<MSG

relay48 is running (pid $relay_pid):
  report form     http://127.0.0.1:$HTTP_PORT/
  partner API     http://127.0.0.1:$HTTP_PORT/v1/reports
  health          http://127.0.0.1:$HTTP_PORT/healthz   /readyz   /metrics
  PostgreSQL      $RELAY48_DATABASE_URL
  Kafka           $RELAY48_KAFKA_BOOTSTRAP_SERVERS
  logs            $log (relay), $RUN_DIR/pg/server.log, $RUN_DIR/kafka/server.log
Ctrl-C stops the relay and the servers this script started.

MSG
else
  say "relay48 did not become ready within 60 s; see $log"
fi
wait "$relay_pid"
