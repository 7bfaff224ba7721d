#!/usr/bin/env bash
# A throwaway PostgreSQL server for scripts/bench.sh (BENCH_STORAGE=postgres), set up like the tests' one: initdb
# into DIR, 127.0.0.1 only, fsync and synchronous_commit on, one database per DistStack node.
#
#   postgres-server.sh start DIR PORT N   # initdb DIR/data, start on PORT, CREATE DATABASE node1..nodeN
#   postgres-server.sh stop DIR           # fast shutdown (SIGINT) of the postmaster in DIR/data/postmaster.pid
#   postgres-server.sh version            # the server's version, e.g. 15.14
#
# Binaries: the newest /usr/lib/postgresql/<major>/bin (Debian's postgresql package), or DISTSTACK_POSTGRES_BIN.
# The server refuses to run as root: as root, DIR is given to the postgres user and every program runs as it.
set -euo pipefail

cmd=${1:?usage: postgres-server.sh start DIR PORT N | stop DIR | version}
bin=${DISTSTACK_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
need_binaries() { [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }; }

as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    dir=${2:?usage: postgres-server.sh start DIR PORT N}; port=${3:?port}; nodes=${4:?node count}
    need_binaries
    mkdir -p "$dir/socket"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    as_server_user test -x "$dir" ||
      { echo "the postgres user cannot reach $dir: make its parent directories searchable (chmod o+x)" >&2; exit 1; }
    # --no-sync: initdb's own template files only; the server below runs with fsync on.
    as_server_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log"
    as_server_user "$bin/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" -o \
      "-p $port -c listen_addresses=127.0.0.1 -k $dir/socket -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
    for i in $(seq 1 "$nodes"); do
      as_server_user "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE node$i" >/dev/null
    done
    ;;
  stop)
    dir=${2:?usage: postgres-server.sh stop DIR}
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    pid=$(head -1 "$dir/data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  version)
    need_binaries
    "$bin/postgres" --version | awk '{print $3}'
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
