#!/usr/bin/env bash
# bench/profile.sh [EVENTS] — one callgrind profile of ves-sequencerd under a T1-like load.
#
# Starts a throw-away PostgreSQL (tests/support/pg_harness.sh) and the server under
# `valgrind --tool=callgrind` with instrumentation OFF, switches it on for exactly the load
# (EVENTS single signed VES events, default 400, on one hot stream over 32 keep-alive
# connections, sent by ves_loadgen), switches it off, and prints the top inclusive costs
# (callgrind_annotate --inclusive=yes). Instruction counts do not depend on how busy the machine
# is, so the profile is stable on a shared box. The callgrind output file is kept in
# bench/results/ (ignored by git) for callgrind_annotate / kcachegrind.
#
#   SEQ_BUILD_DIR       build with ves-sequencerd, ves and ves_loadgen (default build-bench)
#   BENCH_SERVER_BUILD  take ves-sequencerd and ves from this build directory instead
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SEQ_BUILD_DIR:-$root/build-bench}
events=${1:-400}
server_build=${BENCH_SERVER_BUILD:-$build}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if ! command -v valgrind >/dev/null; then
  echo "valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ves-profile.XXXXXX")
chmod 0755 "$work"
server_pid=
cleanup() {
  set +e
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 600); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null
  fi
  bash "$root/tests/support/pg_harness.sh" stop "$work/pg" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

pg_url=$(bash "$root/tests/support/pg_harness.sh" start "$work/pg")
db=${pg_url%/postgres}/ves_profile
"$PGBIN/psql" "$pg_url" -qXc "CREATE DATABASE ves_profile" >/dev/null
"$server_build/runtime/ves" --database-url "$db" migrate >/dev/null

admin_key="profile-admin-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/data" "$root/bench/results"
out="$root/bench/results/callgrind.out"
env -i PATH="$PATH" HOME="${HOME:-/root}" PORT=0 HOST=127.0.0.1 DATABASE_URL="$db" \
  BOOTSTRAP_ADMIN_API_KEY="$admin_key" VES_DATA_DIR="$work/data" \
  VES_SEQUENCER_SIGNING_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" LOG_LEVEL=warn \
  VES_HTTP_THREADS=96 REQUEST_TIMEOUT_SECS=120 \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$server_build/runtime/ves-sequencerd" >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
port=
for _ in $(seq 1 1800); do # ≤ 180 s: startup under valgrind is slow
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/stdout" 2>/dev/null \
         || true)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "server did not start under valgrind" >&2; exit 1; }

# One unprofiled run first warms the process up (HTTP threads, connections, allocator), then the
# profiled run: a fresh agent and stream (its key registration and the stream's first request
# are inside the profile), then the events.
load() {
  timeout 900 "$build/bench/ves_loadgen" --port "$port" --admin-key "$admin_key" --label "$1" \
    --connections 32 --streams 1 --batch 1 --requests "$2" --warmup 1 --duration 600 \
    --no-verify >"$work/$1.json" 2>"$work/$1.log" || { cat "$work/$1.log" >&2; exit 1; }
}
# vgdb names its pipes after $USER and $HOST of the valgrind process: call it with the same ones.
vg_control() {
  env -i PATH="$PATH" HOST=127.0.0.1 callgrind_control "$@" "$server_pid" >/dev/null
}
echo "profile: server under callgrind on port $port; warm-up run" >&2
load warmup 64
echo "profile: $events events, 32 connections, instrumentation on" >&2
vg_control -i on
load profile "$events"
vg_control -i off
cat "$work/profile.json" >&2
kill -TERM "$server_pid"
for _ in $(seq 1 1200); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
server_pid=

echo "== top inclusive costs (callgrind, $events events) =="
callgrind_annotate --inclusive=yes --threshold=99 "$out" 2>/dev/null | head -n 80
echo "(full profile: $out)"
