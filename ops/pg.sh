#!/usr/bin/env bash
# A private PostgreSQL cluster for relay48, under the run directory, on
# 127.0.0.1 with a port of its own. Durability stays at PostgreSQL's defaults
# (fsync and synchronous_commit on): tests must pay what a commit costs.
#   ops/pg.sh start | stop | crash | status | url | psql [args]
# crash = stop in immediate mode (no checkpoint): what a power cut leaves.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PG_BIN=${RELAY48_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL server found (run ops/bootstrap.sh)"
PG_DIR=$RUN_DIR/pg
PG_DATA=$PG_DIR/data
PG_USER=relay48          # database superuser of the private cluster
PG_DB=relay48
URL="postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"

# PostgreSQL refuses to run as root: as root, the cluster belongs to a system
# user made for it.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u relay48pg -- "$@"; else "$@"; fi
}

init_cluster() {
  mkdir -p "$PG_DIR"
  if [[ $(id -u) -eq 0 ]]; then
    id relay48pg >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin relay48pg
    chown relay48pg "$PG_DIR"
    runuser -u relay48pg -- test -w "$PG_DIR" ||
      die "user relay48pg cannot reach $PG_DIR; set RELAY48_RUN_DIR to a directory every user can traverse"
  fi
  say "initdb in $PG_DATA"
  as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" -A trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  cat >>"$PG_DATA/postgresql.conf" <<CONF

# relay48 local cluster (ops/pg.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
# Fewer checkpoints under load (each one makes every touched page be written
# whole to the WAL again); durability is unchanged.
max_wal_size = 4GB
checkpoint_timeout = 15min
wal_compression = lz4
# After a crash (the fault tests make them), sync the data directory with one
# syncfs() instead of an fsync() a file: with many test databases the latter
# took over a minute before recovery could start.
recovery_init_sync_method = syncfs
logging_collector = off
log_min_messages = warning
CONF
}

start() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || init_cluster
  if as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    say "already running on 127.0.0.1:$PG_PORT"
  else
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null ||
      { tail -n 20 "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
    say "PostgreSQL up on 127.0.0.1:$PG_PORT (log: $PG_DIR/server.log)"
  fi
  as_owner "$PG_BIN/psql" -q -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 ||
    as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
}

stop() {
  local mode=${1:-fast}
  if [[ -f "$PG_DATA/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m "$mode" -w -t 60 stop >/dev/null
    say "PostgreSQL stopped ($mode)"
  else
    say "PostgreSQL not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop fast ;;
  crash) stop immediate ;;
  status)
    if [[ -f "$PG_DATA/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
      echo "running 127.0.0.1:$PG_PORT"
    else
      echo "stopped"; exit 3
    fi ;;
  url) echo "$URL" ;;
  psql) shift; exec "$PG_BIN/psql" -X "$URL" "$@" ;;
  *) echo "usage: ops/pg.sh start|stop|crash|status|url|psql [args]" >&2; exit 2 ;;
esac
