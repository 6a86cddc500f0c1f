#!/usr/bin/env bash
# The whole test suite: installs missing packages, builds, then runs every
# test (unit, integration, fuzz) with ONE ctest invocation. The exit code is
# ctest's, and ctest's summary is the last thing printed (CI reads it).
#
# Fixtures: ../shared/fixtures beside the repository, or $VOUCH_FIXTURES_DIR.
# With CI=true a missing fixtures directory fails the fixture tests instead
# of skipping them (VOUCH_REQUIRE_FIXTURES=1).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Its own build directory, built Debug (-O0: about twice as fast to compile
# as the demo's optimised build/, which it leaves alone).
build_dir=${VOUCH_BUILD_DIR:-$repo/build-tests}
export VOUCH_BUILD_DIR=$build_dir
export VOUCH_BUILD_TYPE=${VOUCH_BUILD_TYPE:-Debug}

export VOUCH_FIXTURES_DIR=${VOUCH_FIXTURES_DIR:-$(cd "$repo/.." && pwd)/shared/fixtures}
if [[ "${CI:-}" == true ]]; then
  export VOUCH_REQUIRE_FIXTURES=1
fi

bash "$repo/scripts/deps.sh"
bash "$repo/scripts/build.sh"  # stores VOUCH_FIXTURES_DIR in the cache for ctest

# Integration tests pick free loopback ports (and retry on collision), so
# tests can run in parallel; -j2 matches the 2-core CI machines.
set +e
ctest --test-dir "$build_dir" --output-on-failure -j2
rc=$?
set -e
exit "$rc"
