#!/usr/bin/env bash
# A throw-away local EVM chain (ganache from the repository's package-lock.json) for tests, on
# a free loopback port chosen at run time.
#
#   chain_harness.sh start <dir>    start; prints http://127.0.0.1:PORT on stdout (also <dir>/url)
#   chain_harness.sh stop <dir>     stop (SIGTERM, then SIGKILL after 10 s); no-op when not running
#   chain_harness.sh restart <dir>  start again on the same port with the same chain data
#   chain_harness.sh status <dir>   exit 0 when running
#
# Chain id 84532001 (Set Chain), deterministic wallet (the well-known ganache test mnemonic:
# test keys only), instant mining, chain data in <dir>/db so a restart keeps blocks and
# contracts (outage tests). Logs go to <dir>/log. Needs node and `npm ci` run at the repository
# root (deploy/test.sh does it).
set -euo pipefail

CHAIN_ID=84532001
root=$(cd "$(dirname "$0")/../.." && pwd)
ganache_cli=$root/node_modules/ganache/dist/node/cli.js

usage() {
  echo "usage: $0 start|stop|restart|status <dir>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

is_running() {
  [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null
}

# Polls eth_chainId until the node answers with our chain id (or the process dies).
wait_ready() {
  local url=$1 pid=$2
  python3 - "$url" "$pid" "$CHAIN_ID" <<'EOF'
import json, os, sys, time, urllib.request
url, pid, chain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
deadline = time.time() + 60
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=2) as r:
            if int(json.load(r)["result"], 16) == chain:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}

start_on() {
  local port=$1
  mkdir -p "$dir/db"
  # setsid: the chain must not get signals meant for the test's process group.
  setsid node "$ganache_cli" \
    --server.host 127.0.0.1 --server.port "$port" \
    --chain.chainId "$CHAIN_ID" --wallet.deterministic --logging.quiet \
    --database.dbPath "$dir/db" \
    </dev/null >>"$dir/log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/pid"
  if wait_ready "http://127.0.0.1:$port" "$pid"; then
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
  return 1
}

stop_chain() {
  is_running || { rm -f "$dir/pid"; return 0; }
  local pid
  pid=$(cat "$dir/pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case $cmd in
  start)
    if [[ ! -f $ganache_cli ]]; then
      echo "chain_harness: $ganache_cli is missing; run \`npm ci\` in $root" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    is_running && { echo "chain_harness: already running in $dir" >&2; exit 1; }
    # Another process may grab the port between choosing and binding it: retry a few times.
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if start_on "$port"; then
        url="http://127.0.0.1:$port"
        echo "$port" >"$dir/port"
        echo "$url" >"$dir/url"
        echo "$url"
        exit 0
      fi
      echo "chain_harness: start on port $port failed (attempt $attempt)" >&2
    done
    tail -n 20 "$dir/log" >&2 || true
    exit 1
    ;;
  stop)
    stop_chain
    ;;
  restart)
    [[ -f $dir/port ]] || { echo "chain_harness: $dir was never started" >&2; exit 1; }
    dir=$(cd "$dir" && pwd)
    stop_chain
    # The port was ours a moment ago; wait briefly in case the kernel still holds it.
    for attempt in 1 2 3 4 5; do
      if start_on "$(cat "$dir/port")"; then
        cat "$dir/url"
        exit 0
      fi
      sleep 1
    done
    tail -n 20 "$dir/log" >&2 || true
    exit 1
    ;;
  status)
    is_running
    ;;
  *)
    usage
    ;;
esac
