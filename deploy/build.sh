#!/usr/bin/env bash
# Configures and builds into ./build (RelWithDebInfo, ninja, -j2). Extra args go to cmake.
# SEQ_BUILD_DIR overrides the directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SEQ_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C "$dir" -j2
