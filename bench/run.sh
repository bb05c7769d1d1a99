#!/usr/bin/env bash
# bench/run.sh [--quick] — the benchmark of issue 6 in one command (see bench/README.md).
#
# Builds what it needs, starts its OWN PostgreSQL on a free loopback port (stopped at exit),
# measures the physical bounds (Ed25519, lock-free binary COPY), runs the lock-based baseline
# with pgbench on the same PostgreSQL, starts ves-sequencerd (PostgreSQL and SQLite, PORT=0)
# and drives scenarios T1–T6 with ves_loadgen, then prints ONE table and writes
# bench/results/latest.json (+ latest-raw.json with every program's own output).
#
#   --quick             ~2 minutes of measurement (5 s per load run); the default is ~5 minutes
#   SEQ_BUILD_DIR       build directory (default: build-bench)
#   BENCH_SERVER_BUILD  take ves-sequencerd and ves from this build directory instead (e.g. a
#                       build of another commit, to compare servers with the same tools)
#   BENCH_JOBS          ninja -j for the build (default 2)
#   BENCH_SKIP_BUILD=1  use the binaries already in SEQ_BUILD_DIR
#   BENCH_KEEP=1        keep the work directory (logs, pgbench logs, server stderr)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
case ${1:-} in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

build=${SEQ_BUILD_DIR:-$root/build-bench}
jobs=${BENCH_JOBS:-2}
results=$root/bench/results
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

if ((quick)); then
  load_s=5; pg_s=5; copy_s=3; bounds_s=0.5; bounds_rounds=2; mode=quick
else
  load_s=20; pg_s=15; copy_s=10; bounds_s=1; bounds_rounds=3; mode=full
fi

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# -- prerequisites and build ------------------------------------------------------------------
if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null \
   || ! command -v python3 >/dev/null || [[ ! -x $PGBIN/pgbench || ! -x $PGBIN/initdb ]]; then
  log "installing missing packages (deploy/install-deps.sh --with-postgres)"
  bash "$root/deploy/install-deps.sh" --with-postgres
fi
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building into $build"
  build_log=$(mktemp "${TMPDIR:-/tmp}/ves-bench-build.XXXXXX")
  if ! { cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         && ninja -C "$build" -j "$jobs" ves-sequencerd ves ves_loadgen bounds_bench copy_bench; } \
       >"$build_log" 2>&1; then
    grep -m 5 -B 2 -A 3 'error' "$build_log" >&2 || tail -n 30 "$build_log" >&2
    echo "build failed (full log: $build_log)" >&2
    exit 1
  fi
  rm -f "$build_log"
fi
server_build=${BENCH_SERVER_BUILD:-$build}
server_bin=$server_build/runtime/ves-sequencerd
ves_cli=$server_build/runtime/ves
loadgen=$build/bench/ves_loadgen
for b in "$server_bin" "$ves_cli" "$loadgen" "$build/bench/bounds_bench" \
  "$build/bench/copy_bench"; do
  [[ -x $b ]] || { echo "missing $b (build failed?)" >&2; exit 1; }
done

# -- work directory, cleanup ------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ves-bench.XXXXXX")
chmod 0755 "$work"
server_pids=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${server_pids[@]}"; do stop_pid "$pid"; done
  bash "$root/tests/support/pg_harness.sh" stop "$work/pg" >/dev/null 2>&1
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit $rc
}
# SIGTERM, then SIGKILL after 40 s.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 400); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# How busy the machine is without us: CPU time used by anything over 2 s, in % of all cores.
cpu_busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep 2
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  echo "$a $b" | awk '{d = $4 - $2; printf "%.0f", (d > 0 ? 100 * ($3 - $1) / d : 0)}'
}
busy_before=$(cpu_busy_pct)
log "machine busy before the run: ${busy_before} % of all cores" \
  "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
git_state=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  git_state+="+uncommitted"
fi
load_start=$(awk '{print $1 "," $2 "," $3}' /proc/loadavg)
printf '{"mode":"%s","date":"%s","git_commit":"%s","server_binary":"%s","postgres":"%s",%s}\n' \
  "$mode" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$git_state" "$server_bin" \
  "$("$PGBIN/postgres" --version | awk '{print $3}')" \
  "\"load_avg_start\":[$load_start],\"cpu_busy_pct_before\":$busy_before" >"$work/machine.json"

admin_key="bench-admin-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
seq_seed=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# -- PostgreSQL ---------------------------------------------------------------------------------
log "starting PostgreSQL"
pg_url=$(bash "$root/tests/support/pg_harness.sh" start "$work/pg")
pg_base=${pg_url%/postgres}
for db in ves_t1 ves_t2 ves_t4 ves_t6 ves_idle ves_baseline ves_copy; do
  "$PGBIN/psql" "$pg_url" -qXc "CREATE DATABASE $db" >/dev/null
  "$ves_cli" --database-url "$pg_base/$db" migrate >/dev/null
done

# -- servers ------------------------------------------------------------------------------------
# start_server NAME DATABASE_URL [VAR=value…] → sets srv_pid and srv_port.
start_server() {
  local name=$1 url=$2
  shift 2
  mkdir -p "$work/$name/data"
  env -i PATH="$PATH" HOME="${HOME:-/root}" PORT=0 HOST=127.0.0.1 DATABASE_URL="$url" \
    BOOTSTRAP_ADMIN_API_KEY="$admin_key" VES_DATA_DIR="$work/$name/data" \
    VES_SEQUENCER_SIGNING_KEY="$seq_seed" LOG_LEVEL=warn VES_HTTP_THREADS=96 "$@" \
    "$server_bin" >"$work/$name/stdout" 2>"$work/$name/stderr" &
  srv_pid=$!
  server_pids+=("$srv_pid")
  for _ in $(seq 1 600); do
    if grep -q 'listening on http://127.0.0.1:' "$work/$name/stdout" 2>/dev/null; then
      srv_port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/$name/stdout")
      log "ves-sequencerd ($name) pid $srv_pid on port $srv_port"
      return 0
    fi
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "ves-sequencerd ($name) did not start; stderr:" >&2
  tail -n 20 "$work/$name/stderr" >&2
  exit 1
}

# Events pre-built for a closed-loop run: enough for the duration at well above today's rates,
# capped so that building and signing them stays short. A run that uses them all ends early
# (its events/s stay exact; its JSON says how long it ran).
cap() { echo $(($1 < $2 ? $1 : $2)); }

# run_load NAME PORT ARGS… → $work/NAME.json (the loadgen's JSON line). A failed run leaves
# its JSON (or nothing) and the table says so; it does not stop the benchmark. The load
# generator also reports the CPU the server (srv_pid) and PostgreSQL (the postmaster and its
# backends) used while its clock ran.
run_load() {
  local name=$1 port=$2
  shift 2
  log "$name: ves_loadgen $*"
  local pg_pid
  pg_pid=$(head -n 1 "$work/pg/data/postmaster.pid" 2>/dev/null || echo 0)
  timeout --kill-after=10 900 "$loadgen" --port "$port" --admin-key "$admin_key" --label "$name" \
    --server-pid "$srv_pid" --postgres-pid "${pg_pid:-0}" \
    "$@" >"$work/$name.json" 2>"$work/$name.log" \
    || log "$name: loadgen reported a problem (see table)"
  tail -n 3 "$work/$name.log" | sed "s/^/    /" >&2
}

# Writes out what earlier loads left dirty in PostgreSQL's buffers, so that the next load does
# not pay for their checkpoint writes (they compete with T3's fsyncs, too).
settle_pg() {
  "$PGBIN/psql" "$pg_url" -qXc "CHECKPOINT" >/dev/null || log "CHECKPOINT failed"
}

# run_pgbench NAME SCRIPT STREAMS BATCH CLIENTS [extra pgbench args…] → $work/NAME.json
run_pgbench() {
  local name=$1 script=$2 streams=$3 batch=$4 clients=$5
  shift 5
  settle_pg
  log "$name: pgbench $(basename "$script") streams=$streams batch=$batch clients=$clients $*"
  timeout --kill-after=10 $((pg_s + 120)) "$PGBIN/pgbench" -n -M prepared -f "$script" \
    -D streams="$streams" -D batch="$batch" -c "$clients" -j 2 -T "$pg_s" "$@" \
    "$pg_base/ves_baseline" \
    >"$work/$name.out" 2>&1 || log "$name: pgbench failed: $(tail -n 2 "$work/$name.out")"
  local tps failed
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/$name.out" | head -n 1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$name.out")
  [[ -n $tps ]] || return 0
  python3 -c 'import json,sys; t=float(sys.argv[1]); b=int(sys.argv[2])
print(json.dumps({"tps": t, "batch": b, "events_per_s": t * b, "clients": int(sys.argv[3]),
                  "streams": int(sys.argv[4]), "failed": int(sys.argv[5] or 0)}))' \
    "$tps" "$batch" "$clients" "$streams" "${failed:-0}" >"$work/$name.json"
  log "$name: $(cat "$work/$name.json")"
}

baseline=$root/bench/baseline
expand() {
  awk -v B="$2" -f "$baseline/expand.awk" "$baseline/$1_per_event.sql.in" >"$work/$1_b$2.sql"
}
expand ves 1
expand ves 100
expand legacy 100

# -- T5 first, and to its end before anything else is measured ---------------------------------
# After its load, T5's server keeps projecting, committing and stopping 10,000 streams, and its
# load generator then verifies them: both would share the CPU with the measurements below (a
# --quick run that measured the bounds meanwhile saw Ed25519 at half speed).
start_server idle "$pg_base/ves_idle" VES_IDLE_STREAM_TIMEOUT_SECS=5
idle_pid=$srv_pid
log "T5: ves_loadgen 10,000 streams touched once (connections 32), then idle"
timeout --kill-after=10 900 "$loadgen" --port "$srv_port" --admin-key "$admin_key" --label T5 \
  --connections 32 --streams 10000 --requests 10000 --warmup 0 --duration 300 \
  --rss-pid "$idle_pid" --idle-wait 90 >"$work/t5.json" 2>"$work/t5.log" \
  || log "T5: loadgen reported a problem (see table)"
tail -n 2 "$work/t5.log" | sed "s/^/    /" >&2
stop_pid "$idle_pid"

# -- physical bounds ----------------------------------------------------------------------------
log "bounds: Ed25519 (one core)"
"$build/bench/bounds_bench" --seconds "$bounds_s" --rounds "$bounds_rounds" >"$work/bounds.json"
log "bounds: $(cat "$work/bounds.json")"
for kind in ves legacy; do
  log "bounds: binary COPY of $kind rows from 2 clients"
  "$build/bench/copy_bench" --database-url "$pg_base/ves_copy" --kind "$kind" --clients 2 \
    --seconds "$copy_s" >"$work/copy_$kind.json"
  log "bounds: $(cat "$work/copy_$kind.json")"
done

# -- lock-based baseline (pgbench, same PostgreSQL) ---------------------------------------------
run_pgbench b1 "$work/ves_b1.sql" 1 1 32
run_pgbench b2 "$work/ves_b100.sql" 64 100 8
run_pgbench b2m "$baseline/ves_multirow.sql" 64 100 8
mkdir -p "$work/b4log"
run_pgbench b4 "$work/ves_b1.sql" 1 1 16 -R 1000 -l --log-prefix="$work/b4log/b4"
if [[ -f $work/b4.json ]]; then
  python3 - "$work/b4.json" "$work"/b4log/b4.* <<'EOF'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
lat = []
for name in files:
    with open(name) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                lat.append(int(parts[2]))  # µs from the scheduled start (pgbench -R)
lat.sort()
def pct(p):
    if not lat:
        return None
    return lat[min(len(lat) - 1, max(0, int(round(p / 100 * len(lat))) - 1))] / 1000
with open(out) as f:
    doc = json.load(f)
doc.update({"p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "p999_ms": pct(99.9),
            "transactions": len(lat)})
with open(out, "w") as f:
    json.dump(doc, f)
EOF
fi
run_pgbench b6 "$work/legacy_b100.sql" 64 100 8
run_pgbench b6m "$baseline/legacy_multirow.sql" 64 100 8

# -- this project on PostgreSQL -----------------------------------------------------------------
# Each scenario gets a fresh server on its own empty database: the projection and commitment
# work a load leaves behind (the projector and committer catch up after it) would otherwise
# run during the next scenario and be charged to it.
# Its database is dropped afterwards (the load generator has verified it), so that autovacuum
# has nothing of it left to do during the next scenario.
pg_scenario() {
  local name=$1
  shift
  settle_pg
  start_server "pg_$name" "$pg_base/ves_$name"
  local pid=$srv_pid
  run_load "$name" "$srv_port" "$@"
  stop_pid "$pid"
  "$PGBIN/psql" "$pg_url" -qXc "DROP DATABASE ves_$name" >/dev/null \
    || log "could not drop ves_$name"
}
pg_scenario t1 --connections 32 --streams 1 --batch 1 --duration "$load_s" \
  --max-events "$(cap $((12000 * load_s)) 240000)"
pg_scenario t2 --connections 8 --streams 64 --batch 100 --duration "$load_s" \
  --max-events "$(cap $((20000 * load_s)) 250000)"
pg_scenario t4 --mode open --rate 1000 --connections 16 --streams 1 --batch 1 \
  --duration "$load_s"
pg_scenario t6 --legacy --connections 8 --streams 64 --batch 100 --duration "$load_s" \
  --max-events "$(cap $((30000 * load_s)) 500000)"

# -- this project on SQLite -----------------------------------------------------------------------
settle_pg
start_server sqlite "sqlite://$work/sqlite/ves.db"
sqlite_pid=$srv_pid
run_load t3 "$srv_port" --connections 32 --streams 1 --batch 1 --duration "$load_s" \
  --max-events "$(cap $((12000 * load_s)) 240000)"
stop_pid "$sqlite_pid"

busy_after=$(cpu_busy_pct)
python3 - "$work/machine.json" "$busy_after" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
doc["cpu_busy_pct_after"] = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    json.dump(doc, f)
EOF
mkdir -p "$results"
python3 "$root/bench/report.py" "$work" "$results/latest.json"
