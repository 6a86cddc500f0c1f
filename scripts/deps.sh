#!/usr/bin/env bash
# Installs the Debian 12 packages Vouch needs to build, test and run the demo,
# skipping apt entirely when all are present. As non-root, prints the exact
# apt-get command and exits 1. Quiet: one summary line (apt's output only on
# failure).
set -euo pipefail

packages=(
  cmake ninja-build clang clang-format clang-tidy libclang-rt-14-dev g++ pkg-config
  libssl-dev libtss2-dev tpm2-tools swtpm swtpm-tools tboot
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcpprest-dev libsqlitecpp-dev curl openssl libxml2-dev
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: dpkg-query not found; this script supports Debian 12 only" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != installed ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

install_cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]]; then
  echo "deps: ${#missing[@]} packages missing; run as root:" >&2
  echo "  $install_cmd" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/vouch-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "deps: FAILED: $install_cmd" >&2
  exit 1
fi
echo "deps: installed ${#missing[@]} packages (${missing[*]})"
