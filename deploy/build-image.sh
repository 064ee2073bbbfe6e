#!/usr/bin/env bash
# Builds the kpigate container image from deploy/Dockerfile with docker or
# podman, whichever is installed (KPIGATE_CONTAINER_TOOL picks one).
# usage: deploy/build-image.sh [TAG]     (default kpigate:VERSION)
# Exit codes: 0 built; 1 the build failed; 2 no working container tool
# on this machine (the development machines and CI have none -- at most a
# docker client without a daemon: see docs/operations.md, "Build the
# image").
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^project(kpigate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag=${1:-kpigate:${version:-dev}}
tool=${KPIGATE_CONTAINER_TOOL:-}
if [[ -z $tool ]]; then
	for t in docker podman; do
		# a client without a daemon does not count
		command -v "$t" >/dev/null && "$t" info >/dev/null 2>&1 && { tool=$t; break; }
	done
fi
if [[ -z $tool ]] || ! "$tool" info >/dev/null 2>&1; then
	echo "build-image: no working docker or podman here (none installed, or no daemon);" >&2
	echo "  build on a machine with one: deploy/build-image.sh $tag" >&2
	exit 2
fi
echo "build-image: $tool build -f deploy/Dockerfile -t $tag ."
"$tool" build -f deploy/Dockerfile -t "$tag" . || exit 1
