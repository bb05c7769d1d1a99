#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests, on a free loopback port chosen at run time.
#
#   pg_harness.sh start <dir>    initdb + start; prints postgres://postgres@127.0.0.1:PORT/postgres
#                                on stdout and writes it to <dir>/url
#   pg_harness.sh stop <dir>     fast shutdown (no-op when not running)
#   pg_harness.sh restart <dir>  (re)start on the same port, keeping the data
#   pg_harness.sh kill <dir>     immediate shutdown (-m immediate), i.e. a crash
#   pg_harness.sh status <dir>   exit 0 when running
#
# As root, initdb and the server run as user `postgres` (via runuser), which PostgreSQL needs;
# as any other user, they run as that user. The server trusts
# every local connection and runs with fsync=off: test data only. Logs go to <dir>/log.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() {
  echo "usage: $0 start|stop|restart|kill|status <dir>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

server_opts() {
  local port=$1
  echo "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off" \
       "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB" \
       "-c log_min_messages=warning"
}

start_server() {
  local port=$1
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start -o "$(server_opts "$port")" \
    >/dev/null
}

is_running() {
  [[ -d $dir/data ]] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chown postgres:postgres "$dir" 2>/dev/null || true
    chmod 0755 "$dir"
    if [[ ! -d $dir/data ]]; then
      as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Another process may grab the port between choosing and binding it: retry a few times.
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if start_server "$port"; then
        url="postgres://postgres@127.0.0.1:$port/postgres"
        echo "$port" >"$dir/port"
        echo "$url" >"$dir/url"
        echo "$url"
        exit 0
      fi
      echo "pg_harness: start on port $port failed (attempt $attempt)" >&2
    done
    tail -n 20 "$dir/log" >&2 || true
    exit 1
    ;;
  stop)
    if is_running; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
  kill)
    if is_running; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    fi
    ;;
  restart)
    [[ -f $dir/port ]] || { echo "pg_harness: $dir was never started" >&2; exit 1; }
    dir=$(cd "$dir" && pwd)
    if is_running; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    start_server "$(cat "$dir/port")"
    ;;
  status)
    is_running
    ;;
  *)
    usage
    ;;
esac
