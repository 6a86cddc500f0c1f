#!/usr/bin/env bash
# Configures (Ninja, clang++, warnings as errors) and builds everything.
# Build directory: build/ in the repository, or $VOUCH_BUILD_DIR. A set
# $VOUCH_FIXTURES_DIR is stored in the CMake cache (ctest hands it to tests).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VOUCH_BUILD_DIR:-$repo/build}

args=(-G Ninja -DCMAKE_CXX_COMPILER=clang++ -DVOUCH_WERROR=ON)
if [[ -n "${VOUCH_FIXTURES_DIR:-}" ]]; then
  args+=("-DVOUCH_FIXTURES_DIR=$VOUCH_FIXTURES_DIR")
fi
cmake -S "$repo" -B "$build_dir" "${args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
