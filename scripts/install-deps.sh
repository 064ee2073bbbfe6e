#!/usr/bin/env bash
# Installs the Debian packages kpigate needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt-get.
# usage: scripts/install-deps.sh [--build-only]
#   --build-only  only what `scripts/build.sh DIR -DKPIGATE_TESTS=OFF`
#                 needs (the container image's build stage, deploy/Dockerfile)
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  librdkafka-dev libjansson-dev libgsl-dev libcurl4-openssl-dev libssl-dev
  libmicrohttpd-dev libsimdjson-dev libfast-float-dev zlib1g-dev
)
# tests, fuzzing, formatting; prometheus for promtool (check metrics and
# check rules), python3-yaml for the deploy/ manifests (check_deploy.py)
test_packages=(
  clang clang-format libcmocka-dev
  kcat curl python3 python3-numpy python3-scipy python3-botocore python3-jsonschema
  python3-yaml prometheus
)
packages=("${build_packages[@]}")
if [[ ${1:-} != --build-only ]]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 2; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
