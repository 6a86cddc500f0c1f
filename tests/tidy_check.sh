#!/usr/bin/env bash
# ctest "tidy_check" (label unit): clang-tidy (.clang-tidy) over the library
# and tool sources of core/, policy/, agent/, launcher/ and verifier/, using the build's compile database.
#   tidy_check.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
cd "$src"
if ! command -v clang-tidy >/dev/null 2>&1; then
  echo "clang-tidy not installed (package clang-tidy)"; exit 1
fi
mapfile -t files < <(git ls-files 'core/*.cc' 'policy/*.cc' 'agent/*.cc' 'launcher/*.cc' 'verifier/*.cc' 2>/dev/null || find core policy agent launcher verifier -name '*.cc')
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
echo "clang-tidy: ${#files[@]} files clean"
