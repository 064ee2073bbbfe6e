#!/usr/bin/env bash
# Fails (exit 1) and lists the files when any product C/C++ file is not
# formatted per .clang-format. Skips the generated controller/**/energy_table.c.
# usage: scripts/check-format.sh [CLANG_FORMAT]   (default: clang-format)
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${1:-${CLANG_FORMAT:-clang-format}}
command -v "$cf" >/dev/null || { echo "check-format: $cf not found" >&2; exit 2; }
"$cf" --style=file --dump-config common/kpg_log.c >/dev/null ||
	{ echo "check-format: .clang-format is not valid for $("$cf" --version)" >&2; exit 2; }
mapfile -d '' files < <(find common detectors adapters policies controller bench tests \
	-type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) \
	! -path 'controller/*energy_table.c' -print0 | sort -z)
bad=()
for f in "${files[@]}"; do
	"$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
	echo "check-format: ${#bad[@]} of ${#files[@]} files not formatted per .clang-format ($("$cf" --version)):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	echo "fix: $cf -i --style=file FILE..." >&2
	exit 1
fi
echo "check-format: ${#files[@]} files formatted"
