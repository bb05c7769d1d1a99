#!/usr/bin/env bash
# The "run" command: installs what is missing, builds, and starts ves-sequencerd on SQLite
# (./data/ves.db) with HTTP on 127.0.0.1:8080. Extra args go to ves-sequencerd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
export SEQ_BUILD_DIR=${SEQ_BUILD_DIR:-$root/build}
"$root/deploy/build.sh"
cd "$root"
exec "$SEQ_BUILD_DIR/runtime/ves-sequencerd" "$@"
