#!/usr/bin/env bash
# Configures (Ninja, clang++, warnings as errors) and builds everything.
# Build directory: build/ in the repository, or $VOUCH_BUILD_DIR. A set
# $VOUCH_FIXTURES_DIR is stored in the CMake cache (ctest hands it to tests).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VOUCH_BUILD_DIR:-$repo/build}

# Build type: RelWithDebInfo (the demo and benchmarks run optimised), or
# $VOUCH_BUILD_TYPE (scripts/test.sh builds Debug: -O0 compiles the suite
# about twice as fast, and the tests check behaviour, not speed).
build_type=${VOUCH_BUILD_TYPE:-RelWithDebInfo}
args=(-G Ninja -DCMAKE_CXX_COMPILER=clang++ -DVOUCH_WERROR=ON "-DCMAKE_BUILD_TYPE=$build_type")
# ccache, when installed, makes rebuilds after a branch switch cheap.
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
if [[ -n "${VOUCH_FIXTURES_DIR:-}" ]]; then
  args+=("-DVOUCH_FIXTURES_DIR=$VOUCH_FIXTURES_DIR")
fi
cmake -S "$repo" -B "$build_dir" "${args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
