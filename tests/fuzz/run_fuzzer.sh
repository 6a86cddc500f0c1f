#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time (ctest label "fuzz").
#   run_fuzzer.sh BINARY WORKDIR SECONDS [SEED_DIR...]
# First replays every kept crasher in tests/fuzz/crashers/<target>/ (regression
# inputs: each must now be handled cleanly), then fuzzes from the seed
# directories. New corpus entries go to WORKDIR/corpus, crash artifacts to
# WORKDIR/artifacts (copy a crasher into tests/fuzz/crashers/<target>/ once it
# is fixed). Exit status is libFuzzer's: non-zero on a crash, leak or timeout.
set -euo pipefail
bin=$1 work=$2 seconds=$3
shift 3
name=$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus" "$work/artifacts"
crashers="$here/crashers/$name"
if [ -d "$crashers" ] && [ -n "$(ls -A "$crashers")" ]; then
  "$bin" -runs=0 "$crashers"/* >"$work/regressions.log" 2>&1 || {
    cat "$work/regressions.log"; echo "FAIL: a kept crasher of $name fails again"; exit 1; }
  echo "replayed $(ls "$crashers" | wc -l) kept crasher(s)"
fi
seeds=()
for d in "$@"; do
  [ -d "$d" ] && seeds+=("$d")
done
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "${seeds[@]}"
