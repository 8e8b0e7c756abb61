#!/usr/bin/env bash
# README command 2: build with -Werror, start PostgreSQL and Kafka, run every
# ctest label, rebuild with ASan+UBSan and run the unit and mock labels, build
# the libFuzzer targets with clang and run the fuzz label (RELAY48_FUZZ_SECONDS
# each, 60 by default; ops/fuzz.sh for long runs), check clang-format; stop the
# servers it started, even when tests fail.
#
# The fuzzers need no server and the fault suite spends most of its time
# waiting (a desk down for 2 minutes, a broker outage): the fuzz build and
# run, and the ASan build, go in the background at the lowest CPU priority
# (nice 19) while the fault label runs, so they use its idle time. The other
# labels run first on a quiet machine: some compare latencies (a webhook's
# p99 under a flood), which background work skews. Background output:
# build-fuzz/fuzz-step.log, build-asan/build-step.log.
#   ops/test.sh            everything
#   ops/test.sh -L unit    pass extra arguments to the main ctest run (no fuzzing)
#   RELAY48_ASAN_INTEGRATION=1 ops/test.sh   also the integration label against
#                          the ASan+UBSan build (about 7 minutes more)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

t0=$SECONDS
step() { printf '\n==> [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
failures=()

if ! ops/bootstrap.sh --check >/dev/null; then
  step "bootstrap (installing missing Debian packages)"
  ops/bootstrap.sh
fi

jobs=$(nproc 2>/dev/null || echo 2)

step "build (-Wall -Wextra -Werror) in build/"
cmake -S . -B build -DRELAY_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

started=()
fuzz_pid=
asan_pid=
cleanup() {
  local s
  [[ -n "$fuzz_pid" ]] && kill -- "$fuzz_pid" 2>/dev/null || true
  [[ -n "$asan_pid" ]] && kill -- "$asan_pid" 2>/dev/null || true
  for s in "${started[@]}"; do
    ops/"$s".sh stop || true
  done
}
trap cleanup EXIT

step "start PostgreSQL and Kafka"
ops/pg.sh status >/dev/null 2>&1 || { ops/pg.sh start; started+=(pg); }
ops/kafka.sh status >/dev/null 2>&1 || started+=(kafka)
ops/kafka.sh start

# Each test leaves its database (t_<test>_<pid>) to be looked into after the
# run; the next run drops them, so that they do not pile up on the cluster.
pg_url=$(ops/pg.sh url)
old_dbs=$(psql -X -q -tA "$pg_url" \
  -c "SELECT datname FROM pg_database WHERE datname ~ '^t_[a-z_]+_[0-9]+$'")
if [[ -n "$old_dbs" ]]; then
  step "drop the $(wc -w <<<"$old_dbs") test databases an earlier run left"
  for db in $old_dbs; do
    psql -X -q "$pg_url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
fi

if [[ $# -gt 0 ]]; then
  step "ctest: $*"
  ctest --test-dir build --output-on-failure -j"$jobs" "$@" || failures+=("ctest")
else
  step "ctest: every label but fault (their latencies are measured on a machine left to them)"
  ctest --test-dir build --output-on-failure -j"$jobs" -LE fault || failures+=("ctest")

  step "background (nice 19): fuzz build and fuzz label, ${RELAY48_FUZZ_SECONDS:-60} s a target; ASan+UBSan build"
  mkdir -p build-fuzz build-asan
  FUZZ_SECONDS=${RELAY48_FUZZ_SECONDS:-60} JOBS=$jobs nice -n 19 bash -c '
    set -e
    cmake -S . -B build-fuzz -DRELAY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DRELAY_WERROR=ON \
          -DRELAY_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
    cmake --build build-fuzz --target fuzzers -j"$JOBS"
    ctest --test-dir build-fuzz --output-on-failure -j"$JOBS" -L fuzz
  ' >build-fuzz/fuzz-step.log 2>&1 &
  fuzz_pid=$!
  JOBS=$jobs nice -n 19 bash -c '
    set -e
    cmake -S . -B build-asan -DRELAY_WERROR=ON -DRELAY_SANITIZE=address,undefined \
          -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-asan -j"$JOBS"
  ' >build-asan/build-step.log 2>&1 &
  asan_pid=$!

  step "ctest: fault label (the fuzzers and the ASan build take the CPU its waits leave)"
  ctest --test-dir build --output-on-failure -L fault || failures+=("fault")

  step "sanitizers (ASan+UBSan): unit and mock labels"
  if wait "$asan_pid"; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|mock' ||
      failures+=("sanitizers")
  else
    tail -n 40 build-asan/build-step.log
    failures+=("sanitizer build")
  fi
  asan_pid=

  # Opt-in (about 7 minutes more): the integration label against the ASan+UBSan
  # binaries, each relay's reports kept in files (a leak shows only at exit).
  if [[ -n "${RELAY48_ASAN_INTEGRATION:-}" && -x build-asan/relay48 ]]; then
    step "sanitizers (ASan+UBSan): integration label (RELAY48_ASAN_INTEGRATION)"
    reports=$(mktemp -d)
    ASAN_OPTIONS=detect_leaks=1:log_path=$reports/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$reports/ubsan \
      ctest --test-dir build-asan --output-on-failure -L integration || failures+=("sanitizers: integration")
    if compgen -G "$reports/*" >/dev/null; then
      cat "$reports"/*; failures+=("sanitizer reports")
    else
      echo "no sanitizer report"
    fi
    rm -rf "$reports"
  fi

  step "fuzz: waiting for the background run"
  fuzz_ok=0
  wait "$fuzz_pid" && fuzz_ok=1
  fuzz_pid=
  tail -n 40 build-fuzz/fuzz-step.log
  cat build-fuzz/fuzz-logs/*.summary 2>/dev/null || true
  [[ $fuzz_ok -eq 1 ]] || failures+=("fuzz")

  step "clang-format"
  bad=$(git ls-files '*.c' '*.h' | while read -r f; do
          clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [[ -n "$bad" ]]; then
    echo "clang-format would change:"; echo "$bad"
    failures+=("clang-format")
  else
    echo "clang-format: clean"
  fi
fi

step "done in $((SECONDS - t0)) s"
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all green"
