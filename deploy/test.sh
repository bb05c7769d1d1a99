#!/usr/bin/env bash
# The "test" command: installs what is missing, builds, starts a throw-away PostgreSQL on a
# free loopback port, runs the whole suite through ctest, and stops PostgreSQL again.
# SEQ_SANITIZE=1 builds into ./build-asan with ASan + UBSan instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh" --with-postgres

if [[ "${SEQ_SANITIZE:-0}" == "1" ]]; then
  export SEQ_BUILD_DIR=${SEQ_BUILD_DIR:-$root/build-asan}
  "$root/deploy/build.sh" -DSEQ_SANITIZE=ON
  export ASAN_OPTIONS=detect_leaks=0
  export UBSAN_OPTIONS="suppressions=$root/tests/support/ubsan.supp:print_stacktrace=1:halt_on_error=1"
else
  export SEQ_BUILD_DIR=${SEQ_BUILD_DIR:-$root/build}
  "$root/deploy/build.sh"
fi

# From the committed lockfile: ganache and solc-js for the chain tests, @noble/ed25519 for the
# x402 integration test's independent Node agent.
if [[ ! -d $root/node_modules ]]; then
  (cd "$root" && npm ci --no-audit --no-fund)
fi

pgdir=$(mktemp -d /tmp/ves-pg.XXXXXX)
cleanup() { "$root/tests/support/pg_harness.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
export SEQ_TEST_PG_URL=$("$root/tests/support/pg_harness.sh" start "$pgdir")
echo "test: throw-away PostgreSQL at $SEQ_TEST_PG_URL"

cd "$SEQ_BUILD_DIR"
ctest --output-on-failure -j2 "$@"
