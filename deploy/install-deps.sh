#!/usr/bin/env bash
# Installs the Debian 12 packages ves-sequencer needs, skipping what is already installed.
# Usage: deploy/install-deps.sh [--with-postgres]   (root or sudo)
set -euo pipefail

pkgs=(build-essential cmake ninja-build pkg-config python3
  libcaf-dev libpq-dev libsodium-dev libssl-dev libcpp-httplib-dev libyaml-cpp-dev catch2
  libsqlite3-dev libspdlog-dev libcli11-dev libsecp256k1-dev libcrypto++-dev)
# Node.js + npm run the chain tests' ganache and solc-js (root package-lock.json). A node that
# ships its own npm (e.g. NodeSource's nodejs package) is kept as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
if [[ "${1:-}" == "--with-postgres" ]]; then
  pkgs+=(postgresql-15)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
