#!/usr/bin/env bash
# Formats the C++ sources with the root .clang-format (clang-format 14), or with --check only reports:
#   format: clean                 every file is formatted
#   format: N files differ        (exit 1) and the files, one a line, before the summary
# The files are those git tracks under the folders below; a file named in scripts/format-exclude.txt is
# left alone (files being reworked elsewhere, to be formatted once that work is merged).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac

clang_format=${CLANG_FORMAT:-}
if [ -z "$clang_format" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null; then clang_format=$c; break; fi
  done
fi
if [ -z "$clang_format" ]; then echo "format: clang-format not found (scripts/setup.sh installs it)" >&2; exit 2; fi

exclude=()
if [ -f scripts/format-exclude.txt ]; then
  mapfile -t exclude < <(grep -v -e '^#' -e '^[[:space:]]*$' scripts/format-exclude.txt)
fi
files=()
while IFS= read -r f; do
  skip=0
  for e in "${exclude[@]}"; do [ "$f" = "$e" ] && { skip=1; break; }; done
  [ "$skip" = 0 ] && [ -f "$f" ] && files+=("$f")
done < <(git ls-files -- src tools include test bindings bench examples fuzz | grep -E '\.(cpp|hpp|h|cc)$')

if [ "$check" = 0 ]; then
  "$clang_format" -i "${files[@]}"
  echo "format: ${#files[@]} files formatted"
  exit 0
fi

differ=0
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "$f"
    differ=$((differ + 1))
  fi
done
if [ "$differ" = 0 ]; then echo "format: clean"; exit 0; fi
echo "format: $differ files differ (scripts/format.sh formats them)"
exit 1
