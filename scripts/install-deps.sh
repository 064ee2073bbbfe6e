#!/usr/bin/env bash
# Installs the Debian packages kpigate needs to build, test and benchmark,
# then the test tools from the npm registry (tools/package.json, versions
# pinned by tools/package-lock.json) into tools/node_modules: s3rver, the
# S3 server tests/check_s3_replay.py starts. Nothing is installed globally.
# Idempotent: packages already present are skipped by apt-get, and the npm
# tools when tools/node_modules matches the lock file.
# usage: scripts/install-deps.sh [--build-only]
#   --build-only  only what `scripts/build.sh DIR -DKPIGATE_TESTS=OFF`
#                 needs (the container image's build stage, deploy/Dockerfile):
#                 no test packages, no npm tools
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
[[ ${1:-} == --build-only ]] && build_only=1

npm_tools() {
  local lock="$root/tools/package-lock.json" have="$root/tools/node_modules/.package-lock.json"
  ((build_only)) && return 0
  if [[ -f $have ]] && cmp -s <(python3 -c 'import json,sys; print(sorted((k, v.get("version")) for k, v in json.load(open(sys.argv[1]))["packages"].items() if k))' "$lock") \
                                <(python3 -c 'import json,sys; print(sorted((k, v.get("version")) for k, v in json.load(open(sys.argv[1]))["packages"].items() if k))' "$have"); then
    echo "install-deps: npm test tools present"
    return 0
  fi
  echo "install-deps: installing the npm test tools (tools/package-lock.json)"
  (cd "$root/tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  test -x "$root/tools/node_modules/.bin/s3rver" || { echo "install-deps: s3rver did not install" >&2; exit 2; }
}

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
if ((!build_only)); then
  packages+=("${test_packages[@]}")
  # npm (and node): Debian's npm package unless a node with npm is there
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  npm_tools
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
npm_tools
