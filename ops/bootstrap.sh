#!/usr/bin/env bash
# Install, from Debian's packages, what relay48 needs to build, test and run,
# and only what is missing. Idempotent; run as root (as CI is).
#   ops/bootstrap.sh            install what is missing
#   ops/bootstrap.sh --check    exit 1 if something is missing, install nothing
set -euo pipefail

# libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes (tests/fuzz/);
# clang only recommends it, and recommends are not installed here.
# llvm-14: llvm-symbolizer, so that sanitizer stacks name their functions.
# python3-venv: the contract fuzzing test makes a venv for schemathesis (PyPI).
packages=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev llvm-14
  libevent-dev libpq-dev librdkafka-dev libcurl4-openssl-dev libjansson-dev libssl-dev libcmocka-dev
  postgresql postgresql-contrib kcat
  default-jre-headless maven
  python3 python3-venv curl ca-certificates openssl docker-compose
  chromium nodejs
)
# Browser tests (tests/browser/): Debian's Chromium, driven by playwright-core
# from npm (never a downloaded browser). npm from Debian's package unless the
# installed Node.js brings its own (NodeSource's does, and conflicts with it).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "bootstrap: missing: ${missing[*]}"
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "bootstrap: missing ${missing[*]}; run ops/bootstrap.sh as root (or sudo)" >&2
  exit 1
fi
echo "bootstrap: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: done"
