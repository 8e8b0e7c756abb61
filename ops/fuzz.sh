#!/usr/bin/env bash
# Run the libFuzzer targets of tests/fuzz/ for longer than ctest's short runs.
#   ops/fuzz.sh TARGET [SECONDS] [libFuzzer flag...]  one target ("report" or
#                                                     "fuzz_report"), 600 s by default
#   ops/fuzz.sh all [SECONDS]                         every target, 600 s each, as many
#                                                     at a time as there are CPUs
#   ops/fuzz.sh list                                  the targets
# Configures and builds build-fuzz/ (clang, libFuzzer, ASan+UBSan) when needed,
# then runs each target exactly as ctest -L fuzz does (tests/fuzz/run_fuzzer.cmake,
# same flags) but for SECONDS. Findings: build-fuzz/findings/NAME/; the corpus
# grows in build-fuzz/fuzz-corpus/NAME/; logs: build-fuzz/fuzz-logs/NAME.log.
# Exit 1 when any target found something. See tests/fuzz/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BUILD=${RELAY48_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
what=$1
shift
seconds=600
if [[ $# -gt 0 ]]; then
  seconds=$1
  shift
fi
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || die "SECONDS must be a positive whole number"
[[ "$what" == "all" && $# -gt 0 ]] && die "extra libFuzzer flags are for one target only"
command -v clang >/dev/null || die "clang is missing: run ops/bootstrap.sh"

# Same configuration as ops/test.sh's fuzz step, so that both share the tree.
if ! grep -qs '^RELAY_FUZZ:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  say "configuring $BUILD (clang, libFuzzer, ASan+UBSan)"
  cmake -S . -B "$BUILD" -DRELAY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DRELAY_WERROR=ON >/dev/null
fi
mkdir -p "$BUILD/fuzz-logs"
if ! cmake --build "$BUILD" --target fuzzers -j"$(nproc 2>/dev/null || echo 2)" \
  >"$BUILD/fuzz-logs/build.log" 2>&1; then
  cat "$BUILD/fuzz-logs/build.log" >&2
  die "the fuzz build failed"
fi

# name<TAB>shell-quoted command of every fuzz test, as ctest registered it, with
# SECONDS and the extra flags put in.
commands=$(ctest --test-dir "$BUILD" --show-only=json-v1 -L fuzz |
  python3 -c '
import json, shlex, sys
seconds, extra = sys.argv[1], sys.argv[2:]
for t in json.load(sys.stdin)["tests"]:
    cmd = []
    for a in t["command"]:
        if a.startswith("-DSECONDS="):
            a = "-DSECONDS=" + seconds
        elif a.startswith("-DEXTRA="):
            a = "-DEXTRA=" + " ".join([f for f in [a[len("-DEXTRA="):]] + extra if f])
        cmd.append(a)
    print(t["name"].split("/", 1)[1] + "\t" + shlex.join(cmd))
' "$seconds" "$@")
[[ -n "$commands" ]] || die "no fuzz target registered in $BUILD"

if [[ "$what" == "list" ]]; then
  cut -f1 <<<"$commands"
  exit 0
fi

targets=()
if [[ "$what" == "all" ]]; then
  mapfile -t targets < <(cut -f1 <<<"$commands")
else
  t=fuzz_${what#fuzz_}
  grep -q "^$t"$'\t' <<<"$commands" || die "no target $what; ops/fuzz.sh list"
  targets=("$t")
fi

pids=()
# The runs and what they started (cmake -P, then the fuzzer), by pid.
kill_tree() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do
    kill_tree "$c"
  done
  kill -TERM "$1" 2>/dev/null || true
}
stop() {
  local p
  for p in "${pids[@]}"; do
    kill_tree "$p"
  done
}
trap 'stop; exit 130' INT TERM

# start TARGET: its run in the background; output in NAME.out, exit status in NAME.rc.
start() {
  local cmd out=$BUILD/fuzz-logs/${1#fuzz_}
  cmd=$(grep "^$1"$'\t' <<<"$commands" | cut -f2-)
  rm -f "$out.rc"
  (
    set +e
    eval "$cmd" >"$out.out" 2>&1
    echo $? >"$out.rc"
  ) &
  pids+=($!)
}

# finish TARGET: print its figures (and its report when it found something).
failed=()
finish() {
  local out=$BUILD/fuzz-logs/${1#fuzz_}
  cat "$out.out"
  [[ "$(cat "$out.rc" 2>/dev/null)" == 0 ]] || failed+=("$1")
}

t0=$SECONDS
if [[ ${#targets[@]} -eq 1 ]]; then
  t=${targets[0]}
  log=$BUILD/fuzz-logs/${t#fuzz_}.log
  say "$t for $seconds s; log $log"
  : >"$log"
  start "$t"
  tail -n +1 -F --pid="${pids[0]}" "$log" 2>/dev/null || true
  wait "${pids[0]}" || true
  finish "$t"
else
  jobs=$(nproc 2>/dev/null || echo 2)
  say "${#targets[@]} targets, $seconds s each, $jobs at a time; logs in $BUILD/fuzz-logs/"
  for t in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
      wait -n || true
    done
    start "$t"
  done
  wait || true
  for t in "${targets[@]}"; do
    finish "$t"
  done
fi
pids=()

say "done in $((SECONDS - t0)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
  say "FOUND SOMETHING: ${failed[*]} (see $BUILD/findings/ and tests/fuzz/README.md)"
  exit 1
fi
say "no findings"
