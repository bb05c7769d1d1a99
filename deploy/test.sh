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

# The chain tests run ganache and solc-js from the committed lockfile.
if [[ ! -d $root/node_modules ]]; then
  (cd "$root" && npm ci --no-audit --no-fund)
fi

pgdir=$(mktemp -d /tmp/ves-pg.XXXXXX)
cleanup() { "$root/tests/support/pg_harness.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
export SEQ_TEST_PG_URL=$("$root/tests/support/pg_harness.sh" start "$pgdir")
export SEQ_TEST_PG_DIR=$pgdir
echo "test: throw-away PostgreSQL at $SEQ_TEST_PG_URL"

cd "$SEQ_BUILD_DIR"
ctest --output-on-failure -j2 "$@"
