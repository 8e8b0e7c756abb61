# Shared by the ops/ scripts: where things live, and small helpers.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Run directory: PostgreSQL cluster, Kafka data, pids and logs. Ignored by git.
# PostgreSQL runs as a user of its own when we are root, and that user must
# be able to reach the directory: if a parent of the checkout is closed to
# others (a home directory, say), the run directory goes under /var/tmp.
traversable() {
  local d=$1
  while [[ "$d" != "/" && -n "$d" ]]; do
    [[ $(stat -c %A "$d" 2>/dev/null | cut -c10) == x ]] || return 1
    d=$(dirname "$d")
  done
}
if [[ -n "${RELAY48_RUN_DIR:-}" ]]; then
  RUN_DIR=$RELAY48_RUN_DIR
elif [[ $(id -u) -eq 0 ]] && ! traversable "$ROOT"; then
  RUN_DIR=/var/tmp/relay48-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)
else
  RUN_DIR=$ROOT/.run
fi
# Download cache for the Kafka broker's jars: outside the repository.
CACHE_DIR=${RELAY48_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay48}

PG_PORT=${RELAY48_PG_PORT:-55432}
KAFKA_PORT=${RELAY48_BROKER_PORT:-59092}
KAFKA_CONTROLLER_PORT=${RELAY48_BROKER_CONTROLLER_PORT:-59093}
HTTP_PORT=${RELAY48_HTTP_PORT:-8080}

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# pid_alive FILE: the process whose pid FILE holds is running.
pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS WHAT COMMAND...: retry COMMAND every 0.2 s, showing progress.
wait_for() {
  local limit=$1 what=$2; shift 2
  local start=$SECONDS
  while ! "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= limit )); then
      printf '\n'; return 1
    fi
    [[ -t 1 ]] && printf '\r%s: waiting for %s (%ds)' "${0##*/}" "$what" $((SECONDS - start))
    sleep 0.2
  done
  [[ -t 1 ]] && printf '\r\033[K'
  return 0
}
