#!/usr/bin/env bash
# README command 2: build with -Werror, start PostgreSQL and Kafka, run every
# ctest label, rebuild with ASan+UBSan and run the unit and mock labels, build
# the libFuzzer targets with clang and run the fuzz label (RELAY48_FUZZ_SECONDS
# each, 60 by default; ops/fuzz.sh for long runs), check clang-format; stop the
# servers it started, even when tests fail.
#
# The fuzzers need no server and the server tests spend much of their time
# waiting (a desk down for 2 minutes, a broker outage): the fuzz build and
# run go in the background at the lowest CPU priority (nice 19) while ctest
# runs, so they use the idle time without slowing the timed tests. Their
# output is printed when they end (build-fuzz/fuzz-step.log).
#   ops/test.sh            everything
#   ops/test.sh -L unit    pass extra arguments to the main ctest run (no fuzzing)
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
cleanup() {
  local s
  [[ -n "$fuzz_pid" ]] && kill -- "$fuzz_pid" 2>/dev/null || true
  for s in "${started[@]}"; do
    ops/"$s".sh stop || true
  done
}
trap cleanup EXIT

step "start PostgreSQL and Kafka"
ops/pg.sh status >/dev/null 2>&1 || { ops/pg.sh start; started+=(pg); }
ops/kafka.sh status >/dev/null 2>&1 || started+=(kafka)
ops/kafka.sh start

if [[ $# -eq 0 ]]; then
  step "fuzz build and fuzz label in the background (nice 19), ${RELAY48_FUZZ_SECONDS:-60} s a target"
  mkdir -p build-fuzz
  FUZZ_SECONDS=${RELAY48_FUZZ_SECONDS:-60} JOBS=$jobs nice -n 19 bash -c '
    set -e
    cmake -S . -B build-fuzz -DRELAY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DRELAY_WERROR=ON \
          -DRELAY_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
    cmake --build build-fuzz --target fuzzers -j"$JOBS"
    ctest --test-dir build-fuzz --output-on-failure -j"$JOBS" -L fuzz
  ' >build-fuzz/fuzz-step.log 2>&1 &
  fuzz_pid=$!
fi

step "ctest: all labels ${*:-}"
ctest --test-dir build --output-on-failure -j"$jobs" "$@" || failures+=("ctest")

if [[ $# -eq 0 ]]; then
  step "sanitizer build (ASan+UBSan) in build-asan/: unit and mock labels"
  cmake -S . -B build-asan -DRELAY_WERROR=ON -DRELAY_SANITIZE=address,undefined \
        -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|mock' ||
    failures+=("sanitizers")

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
