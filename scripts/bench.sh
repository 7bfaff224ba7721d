#!/usr/bin/env bash
# DistStack against etcd 3.4, five nodes each, on this machine, driven by wrk; writes docs/benchmarks.md.
#
#   scripts/bench.sh                      # both systems, 10 s per run, 1/16/64/256 connections
#   BENCH_SECONDS=30 scripts/bench.sh     # longer runs
#   BENCH_REPEAT=5 scripts/bench.sh       # medians of 5 runs instead of 3
#   BENCH_RESTART=1 scripts/bench.sh      # also: push 1,000,000 values, restart a follower, time it to ready
#   BENCH_STORAGE=postgres BENCH_SYSTEMS=diststack BENCH_OUT=- scripts/bench.sh   # DistStack's log in PostgreSQL
#
# Environment:
#   BENCH_SECONDS (10)          duration of each wrk run
#   BENCH_REPEAT (3)            runs of every row; the report gives the median of them (see "Repeats" below)
#   BENCH_REST (5)              seconds without requests after the warm-up, to measure each cluster's CPU at rest
#   BENCH_WARMUP (10)           seconds of unrecorded load on each path (write/read x leader/follower) first
#   BENCH_CONNS ("1 16 64 256") connection counts; wrk threads = min(2, connections)
#   BENCH_SYSTEMS ("diststack etcd")  which clusters to run (one at a time, never both at once)
#   BENCH_RESTART (0)           1 = the restart-with-1M-values measurement (slow: loads the values first)
#   BENCH_RESTART_VALUES (1000000)
#   BENCH_PORT_BASE (17000)     etcd: clients BASE+101..105, peers BASE+201..205;
#                               DistStack: Akka.Remote BASE+301..305, HTTP BASE+401..405
#   BENCH_OUT (docs/benchmarks.md)  the report ("-" = stdout only)
#   BENCH_KEEP (0)              1 = keep the temporary directory (data, logs) at the end
#   BENCH_BATCH (100)           values per request in the batch row (DistStack: one /v1 push of many; etcd: one
#                               transaction of that many puts)
#   BENCH_BATCH_CONNS (16)      connections for the batch row (via the leader)
#   BENCH_STORAGE (sqlite)      postgres = each DistStack node's journal in its own database of a local PostgreSQL
#                               server started for the run (scripts/bench/postgres-server.sh, port BASE+500)
#
# What is compared: DistStack POST /sPush (a value unique per request) with etcd POST /v3/kv/put (one key, a
# value unique per request), and DistStack's linearizable POST /sTop with etcd's POST /v3/kv/range
# (serializable=false), each through the leader and through a follower; and a batch row: DistStack's
# POST /v1/stacks/{id}/items with BENCH_BATCH values (one log entry) against an etcd transaction of BENCH_BATCH puts,
# through the leader, counted in values per second. Only 2xx responses count as
# throughput; wrk's Lua response hook counts every other status (scripts/bench/common.lua).
#
# Repeats: every row is measured BENCH_REPEAT times, each time on a fresh cluster (started, warmed up on every
# path, measured, stopped), and the report gives per system the median ok/s, the median mean and the median p99;
# the ratio columns are ratios of medians. The order alternates: repeat 1 runs the systems in BENCH_SYSTEMS order,
# repeat 2 in reverse, repeat 3 in order again (D E, E D, D E). One cluster runs at a time, so the two systems
# are never measured at the same moment; alternating puts each system as often early as late, so that drift of
# the machine (other work starting or stopping, thermal state) lands on both instead of favouring whichever ran
# first, and a fresh cluster per repeat makes the spread include what differs between starts (which node leads,
# what the JIT compiled). Every run is kept: the report's appendix lists them all, so the spread is visible.
#
# CPU per operation, the figure that holds across machines: before and after each recorded wrk run, utime + stime
# (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of `getconf CLK_TCK`) summed over the five member
# processes (with BENCH_STORAGE=postgres, DistStack's sum includes the PostgreSQL server's processes, which do its
# storage work); CPU ms per operation = that difference / the run's 2xx responses. Background work such as
# heartbeats is included, as it is part of what the cluster costs; each cluster's CPU at rest (BENCH_REST seconds
# without requests after the warm-up) is reported beside it, because it is in every CPU/op and is most of it at
# one connection. The ratio is etcd's CPU/op ÷ DistStack's, so that, as for ok/s, above 1 means DistStack does
# better. wrk shares the cores: its own CPU per operation (from bash's `times`, which counts the children the
# shell has waited for) is listed for each run, for context.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LUA="$ROOT/scripts/bench"
# shellcheck source=lib/node-tools.sh
source "$ROOT/scripts/lib/node-tools.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
# .NET compiles hot code again, optimized, in a background thread; on 2 busy cores shared by five nodes that takes
# ~20-25 s of load (measured: the leader's tiered-compilation thread used 3.5 s of CPU in the first 20 s of
# push@64, then almost nothing). 3 s per path left it running through the first recorded runs.
BENCH_WARMUP=${BENCH_WARMUP:-10}
BENCH_CONNS=${BENCH_CONNS:-"1 16 64 256"}
BENCH_REPEAT=${BENCH_REPEAT:-3}
BENCH_REST=${BENCH_REST:-5}
BENCH_SYSTEMS=${BENCH_SYSTEMS:-"diststack etcd"}
BENCH_RESTART=${BENCH_RESTART:-0}
BENCH_RESTART_VALUES=${BENCH_RESTART_VALUES:-1000000}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-17000}
BENCH_OUT=${BENCH_OUT:-docs/benchmarks.md}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_STORAGE=${BENCH_STORAGE:-sqlite}
BENCH_BATCH=${BENCH_BATCH:-100}
BENCH_BATCH_CONNS=${BENCH_BATCH_CONNS:-16}
export ETCD_PORT_BASE=$BENCH_PORT_BASE

PUSH_STACK=9001   # numeric stack ids and values: valid whatever the Host's id/value rules are
TOP_STACK=9002
LOAD_STACK=9003
BATCH_STACK=9004
NODES=5

COMMAND_LINE="BENCH_REPEAT=$BENCH_REPEAT BENCH_REST=$BENCH_REST BENCH_SECONDS=$BENCH_SECONDS BENCH_WARMUP=$BENCH_WARMUP BENCH_CONNS=\"$BENCH_CONNS\" BENCH_BATCH=$BENCH_BATCH BENCH_SYSTEMS=\"$BENCH_SYSTEMS\" BENCH_RESTART=$BENCH_RESTART BENCH_STORAGE=$BENCH_STORAGE scripts/bench.sh"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[[ "$BENCH_REPEAT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a whole number of runs, at least 1 (got '$BENCH_REPEAT')"
[[ "$BENCH_REST" =~ ^[0-9]+$ ]] || die "BENCH_REST must be a whole number of seconds (got '$BENCH_REST')"
for system in $BENCH_SYSTEMS; do
  case $system in diststack|etcd) ;; *) die "unknown system $system (BENCH_SYSTEMS: diststack etcd)" ;; esac
done

# ---------------------------------------------------------------------------------------------- tools
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  if [[ " $BENCH_SYSTEMS " == *" etcd "* ]]; then
    command -v etcd >/dev/null || missing+=(etcd-server)
    command -v etcdctl >/dev/null || missing+=(etcd-client)
  fi
  if [ "$BENCH_STORAGE" = postgres ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
     [ -z "${DISTSTACK_POSTGRES_BIN:-}" ]; then
    missing+=(postgresql)
  fi
  install_missing "${missing[@]}"
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
now_ms() { date +%s%3N; }

WORK=$(mktemp -d /tmp/diststack-bench.XXXXXX)
declare -A PID=()        # DistStack node id -> pid
ETCD_STARTED=0
REPEAT=0                 # the repeat being measured (1..BENCH_REPEAT)
DS_DIR=""                # this repeat's DistStack data and logs
ETCD_DIR=""              # this repeat's etcd data, logs and pids
MEMBER_PIDS=()           # the five member processes of the cluster running now, for CPU time
CPU_WITH_POSTGRES=0      # 1 while DistStack runs on BENCH_STORAGE=postgres: the server's CPU counts as the cluster's

cleanup() {
  local rc=$?
  stop_gracefully "${PID[@]}"
  [ "$ETCD_STARTED" = 1 ] && "$LUA/etcd-cluster.sh" stop "$ETCD_DIR" || true
  [ "$BENCH_STORAGE" = postgres ] && "$LUA/postgres-server.sh" stop "$WORK/pg" || true
  if [ "$BENCH_KEEP" = 1 ] || [ $rc != 0 ]; then log "logs and data kept in $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- CPU time
CLK_TCK=$(getconf CLK_TCK)

# cluster_cpu_ticks: utime + stime (fields 14 and 15 of /proc/<pid>/stat, clock ticks) summed over MEMBER_PIDS, and
# with BENCH_STORAGE=postgres, while DistStack runs, the PostgreSQL server's too: its log writes are DistStack's
# storage work, moved out of the nodes. Fields are counted after the last ")", so that a command name with spaces
# cannot shift them.
cluster_cpu_ticks() {
  local pid stat total=0 fields
  for pid in "${MEMBER_PIDS[@]}"; do
    read -r stat <"/proc/$pid/stat" 2>/dev/null || { echo "member process $pid is gone"; return 1; }
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  [ "$CPU_WITH_POSTGRES" = 1 ] && { pid=$(postgres_cpu_ticks) || { echo "$pid"; return 1; }; total=$((total + pid)); }
  echo "$total"
}

# postgres_cpu_ticks: the postmaster's own CPU and that of its exited children (fields 14-17) plus that of its live
# children (backends, WAL writer, checkpointer: fields 14-15). A backend that exits between two samples moves its
# time from the second sum to the first, so differences stay right.
postgres_cpu_ticks() {
  local postmaster stat fields total f
  read -r postmaster <"$WORK/pg/data/postmaster.pid" 2>/dev/null &&
    read -r stat <"/proc/$postmaster/stat" 2>/dev/null || { echo "the PostgreSQL server is gone"; return 1; }
  read -r -a fields <<<"${stat##*) }"
  total=$((fields[11] + fields[12] + fields[13] + fields[14]))
  for f in /proc/[0-9]*/stat; do
    read -r stat <"$f" 2>/dev/null || continue
    read -r -a fields <<<"${stat##*) }"
    [ "${fields[1]}" = "$postmaster" ] && total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

# children_cpu_ms FILE: user + system ms of the shell's waited-for children, from the second line of `times` output
# ("0m1.230s 0m0.450s"); the difference between two such files is the CPU of the children reaped in between.
children_cpu_ms() {
  awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.0f", t * 1000 }' "$1"
}

# ---------------------------------------------------------------------------------------------- wrk
# "system op via conns|repeat" -> "ok_per_sec mean_ms p99_ms non2xx socket_errors ok cluster_cpu_ms wrk_cpu_ms url"
declare -A RUN=()

# run_wrk KEY URL SCRIPT CONNS [ARGS...]: one measured run, stored under KEY for this REPEAT. Must run in the main
# shell (not in $(...)): `times` then sees wrk as the only child reaped during the run.
run_wrk() {
  local key=$1 url=$2 script=$3 conns=$4; shift 4
  local threads=$((conns < 2 ? conns : 2))
  local out="$WORK/wrk-r$REPEAT-${key// /-}.txt"
  local cpu_before cpu_after
  cpu_before=$(cluster_cpu_ticks) || die "$cpu_before"
  times >"$out.times-before"
  wrk -t"$threads" -c"$conns" -d"${BENCH_SECONDS}s" --timeout 10s -s "$LUA/$script" "$url" -- "$@" >"$out" 2>&1 ||
    die "wrk failed: $(tail -3 "$out")"
  times >"$out.times-after"
  cpu_after=$(cluster_cpu_ticks) || die "during $key: $cpu_after"
  local line; line=$(grep '^BENCH_RESULT' "$out") || die "no BENCH_RESULT in $out"
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  local ok cpu_ms wrk_ms
  ok=$(field ok)
  cpu_ms=$(( (cpu_after - cpu_before) * 1000 / CLK_TCK ))
  wrk_ms=$(( $(children_cpu_ms "$out.times-after") - $(children_cpu_ms "$out.times-before") ))
  RUN["$key|$REPEAT"]="$(field ok_per_sec) $(field mean_ms) $(field p99_ms) $(field non2xx) $(field socket_errors) $ok $cpu_ms $wrk_ms $url"
  local err=""; grep -q '^BENCH_FIRST_ERROR' "$out" && err=" first error: $(grep '^BENCH_FIRST_ERROR' "$out" | cut -c19-)"
  log "$key, repeat $REPEAT ($url): $(field ok_per_sec) ok/s, mean $(field mean_ms) ms, p99 $(field p99_ms) ms, non-2xx $(field non2xx) ($(field codes)), socket errors $(field socket_errors)$err; CPU per 2xx: cluster $(per_op "$cpu_ms" "$ok") ms, wrk $(per_op "$wrk_ms" "$ok") ms"
}

# measure_rest SYSTEM: the cluster's CPU with no requests, after the warm-up, over BENCH_REST seconds. Heartbeats,
# timers and idle threads cost this much whatever the load, so it is part of every run's CPU/op, and most of it at
# low rates (one connection).
declare -A REST_CPU=()   # "system|repeat" -> CPU ms per second at rest
measure_rest() {
  [ "$BENCH_REST" -gt 0 ] || return 0
  local before after
  before=$(cluster_cpu_ticks) || die "$before"
  sleep "$BENCH_REST"
  after=$(cluster_cpu_ticks) || die "at rest: $after"
  REST_CPU["$1|$REPEAT"]=$(( (after - before) * 1000 / CLK_TCK / BENCH_REST ))
  log "$1 at rest: ${REST_CPU["$1|$REPEAT"]} ms of CPU per second (five members)"
}

per_op() {  # MS COUNT -> ms per operation, 3 decimals ("–" without operations)
  awk -v t="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", t / n; else printf "–" }'
}

# target_url SYSTEM leader|follower: asked again before every run, so that a leadership change between runs
# (it happens on a loaded machine) does not turn "via leader" into "via follower" unnoticed.
target_url() {
  local l
  case "$1:$2" in
    diststack:leader) l=$(ds_leader) && ds_url "$l" ;;
    diststack:follower) l=$(ds_leader) && ds_url $((l % NODES + 1)) ;;
    etcd:*) "$LUA/etcd-cluster.sh" "$2" "$ETCD_DIR" ;;
  esac
}

run_matrix() {  # SYSTEM WRITE_SCRIPT READ_SCRIPT WRITE_ARGS READ_ARGS
  local system=$1 write=$2 read=$3 wargs=$4 rargs=$5
  # Warm-up, not recorded: every path the runs take (JIT tiering, connection set-up, the forwarding path).
  log "$system: warm-up (write and read via leader and follower, ${BENCH_WARMUP} s each)"
  local w
  for w in leader follower; do
    wrk -t2 -c16 -d"${BENCH_WARMUP}s" --timeout 10s -s "$LUA/$write" "$(target_url "$system" $w)" -- $wargs tag=999$((${#w} % 10)) >/dev/null 2>&1 || true
    wrk -t2 -c16 -d"${BENCH_WARMUP}s" --timeout 10s -s "$LUA/$read" "$(target_url "$system" $w)" -- $rargs >/dev/null 2>&1 || true
  done
  measure_rest "$system"
  local via url c tag=1000 op script args
  for via in leader follower; do
    for op in write read; do
      [ $op = write ] && script=$write args=$wargs || script=$read args=$rargs
      for c in $BENCH_CONNS; do
        local deadline=$((SECONDS + 30))
        until url=$(target_url "$system" $via); do
          [ $SECONDS -lt $deadline ] || die "$system: no leader for 30 s"; sleep 0.2
        done
        tag=$((tag + 1))   # a fresh run tag keeps written values unique across runs
        run_wrk "$system $op $via $c" "$url" "$script" "$c" $args tag=$tag
      done
    done
  done
}

# run_batch SYSTEM SCRIPT ARGS: the batch row, warmed up first, through the leader at BENCH_BATCH_CONNS connections
run_batch() {
  local system=$1 script=$2 args=$3 url
  url=$(target_url "$system" leader) || die "$system: no leader for the batch row"
  log "$system: batch warm-up (${BENCH_WARMUP} s), then $BENCH_BATCH values per request"
  wrk -t2 -c"$BENCH_BATCH_CONNS" -d"${BENCH_WARMUP}s" --timeout 10s -s "$LUA/$script" "$url" -- $args batch="$BENCH_BATCH" tag=b999 >/dev/null 2>&1 || true
  url=$(target_url "$system" leader) || die "$system: no leader for the batch row"
  run_wrk "$system batch leader $BENCH_BATCH_CONNS" "$url" "$script" "$BENCH_BATCH_CONNS" $args batch="$BENCH_BATCH" tag=b100
}

# ---------------------------------------------------------------------------------------------- DistStack
raft_port() { echo $((BENCH_PORT_BASE + 300 + $1)); }
http_port() { echo $((BENCH_PORT_BASE + 400 + $1)); }
ds_url() { echo "http://127.0.0.1:$(http_port "$1")"; }
CLUSTER=$(for i in $(seq 1 $NODES); do printf '%shttp://127.0.0.1:%s' "$([ "$i" = 1 ] || echo ,)" "$(raft_port "$i")"; done)

ds_start_node() {  # the Procfile's command line, Release build, own ports and a temporary data dir
  local i=$1
  mkdir -p "$DS_DIR/n$i"
  local storage=()
  [ "$BENCH_STORAGE" = postgres ] && storage=(--config "$DS_DIR/n$i.conf")
  DISTSTACK_PARENT_PID=$$ dotnet "$WORK/app/DistStack.Host.dll" --id "$i" --cluster "$CLUSTER" --port "$(http_port "$i")" \
    --data-dir "$DS_DIR/n$i" "${storage[@]}" >>"$DS_DIR/n$i.log" 2>&1 &
  PID[$i]=$!
}

ds_status() { curl -s --max-time 2 "$(ds_url "$1")/cluster/status"; }

ds_leader() {  # prints the leader's node id once a node says it leads
  leader_among $(for i in $(seq 1 $NODES); do ds_url "$i"; done)
}

ds_wait_ready() {  # NODE TIMEOUT_S: until GET /health/ready answers 200
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(ds_url "$1")/health/ready")" = 200 ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

ds_post() {  # NODE PATH BODY -> "CODE BODY"
  local out code
  out=$(curl -s --max-time 10 -w '\n%{http_code}' -X POST "$(ds_url "$1")$2" -d "$3") || true
  code=${out##*$'\n'}; echo "$code ${out%$'\n'*}"
}

ds_expect() {  # NODE PATH BODY CODES...: fail unless the status is one of CODES
  local node=$1 path=$2 body=$3; shift 3
  local r; r=$(ds_post "$node" "$path" "$body")
  local code=${r%% *}
  for ok in "$@"; do [ "$code" = "$ok" ] && return 0; done
  die "POST $path '$body' on node $node answered '$r' (expected $*)"
}

# VmHWM in MiB: "repeat node" -> value for HWM and ETCD_HWM, node -> value for HWM_LOADED (the restart test's cluster)
declare -A HWM=() HWM_LOADED=() ETCD_HWM=()
declare -A DS_READY_MS=() ETCD_READY_MS=()   # repeat -> ms from start to ready with a leader
vm_hwm() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

RESTART_SUMMARY=""

publish_diststack() {
  log "building Release (dotnet publish DistStack.Host -c Release -r <this machine's>, ReadyToRun)"
  publish_host "$WORK/app" "$WORK/publish.log" ||
    die "publish failed: $(tail -20 "$WORK/publish.log")"
}

# One repeat: a fresh cluster (new data dirs; with postgres a new server), warmed up, measured, stopped.
bench_diststack() {
  DS_DIR="$WORK/ds/r$REPEAT"
  local i
  for i in $(seq 1 $NODES); do
    port_free "$(http_port "$i")" && port_free "$(raft_port "$i")" ||
      die "port $(http_port "$i") or $(raft_port "$i") in use (set BENCH_PORT_BASE)"
  done
  [ "$BENCH_STORAGE" = postgres ] && start_postgres
  log "repeat $REPEAT: starting five DistStack nodes (HTTP $(http_port 1)..$(http_port 5), logs in $DS_DIR, storage $BENCH_STORAGE)"
  local t0; t0=$(now_ms)
  for i in $(seq 1 $NODES); do ds_start_node "$i"; done
  MEMBER_PIDS=("${PID[@]}")
  [ "$BENCH_STORAGE" = postgres ] && CPU_WITH_POSTGRES=1
  for i in $(seq 1 $NODES); do ds_wait_ready "$i" 120 || die "node $i not ready after 120 s: $(tail -5 "$DS_DIR/n$i.log")"; done
  local leader="" deadline=$((SECONDS + 60))
  until leader=$(ds_leader); do [ $SECONDS -lt $deadline ] || die "no leader after 60 s"; sleep 0.2; done
  DS_READY_MS[$REPEAT]=$(($(now_ms) - t0))
  local follower=$(( leader % NODES + 1 ))
  log "leader: node $leader, follower used: node $follower (cluster ready in ${DS_READY_MS[$REPEAT]} ms)"
  ds_expect "$leader" /sCreate "$PUSH_STACK" 200 201
  ds_expect "$leader" /sCreate "$TOP_STACK" 200 201
  ds_expect "$leader" /sPush "$TOP_STACK,4242" 200
  run_matrix diststack push.lua top.lua "stack=$PUSH_STACK" "stack=$TOP_STACK"
  ds_expect "$(ds_leader)" /sCreate "$BATCH_STACK" 200 201
  run_batch diststack push-batch.lua "stack=$BATCH_STACK"
  local now_leader; now_leader=$(ds_leader) || true
  [ "$now_leader" = "$leader" ] || log "NOTE: leadership moved from node $leader to node ${now_leader:-none} during the runs"
  leader=${now_leader:-$leader}; follower=$(( leader % NODES + 1 ))
  for i in $(seq 1 $NODES); do HWM["$REPEAT $i"]=$(vm_hwm "${PID[$i]}"); done
  # once, on the last repeat's cluster: loading the values takes minutes; the restart itself is repeated
  [ "$BENCH_RESTART" = 1 ] && [ "$REPEAT" = "$BENCH_REPEAT" ] && bench_restart "$leader" "$follower"
  log "stopping DistStack (SIGTERM)"
  stop_gracefully "${PID[@]}"
  PID=() MEMBER_PIDS=() CPU_WITH_POSTGRES=0
  [ "$BENCH_STORAGE" = postgres ] && "$LUA/postgres-server.sh" stop "$WORK/pg"
  return 0
}

# BENCH_STORAGE=postgres: one server, database node<i> for node i, given to the node in a --config file.
start_postgres() {
  local port=$((BENCH_PORT_BASE + 500)) i
  port_free "$port" || die "port $port in use (set BENCH_PORT_BASE)"
  rm -rf "$WORK/pg"   # the previous repeat's server, stopped: each repeat starts from empty databases
  log "starting PostgreSQL on 127.0.0.1:$port (fsync and synchronous_commit on; data in $WORK/pg)"
  chmod o+x "$WORK"   # mktemp made it 0700; the server runs as the postgres user and must reach $WORK/pg
  "$LUA/postgres-server.sh" start "$WORK/pg" "$port" "$NODES" || die "PostgreSQL did not start: $(tail -5 "$WORK/pg/server.log" 2>/dev/null)"
  mkdir -p "$DS_DIR"
  for i in $(seq 1 $NODES); do
    cat >"$DS_DIR/n$i.conf" <<CONF
diststack.persistence {
  provider-name = "PostgreSQL.15"
  journal-connection-string = "Host=127.0.0.1;Port=$port;Username=postgres;Database=node$i"
  snapshot-connection-string = "Host=127.0.0.1;Port=$port;Username=postgres;Database=node$i"
  connection-pragmas = []
}
CONF
  done
}

# Loads BENCH_RESTART_VALUES 16-byte values with parallel wrk pushes, then BENCH_REPEAT times SIGKILLs a follower,
# restarts it on the same data dir and times it to /health/ready and to having applied everything the leader had
# committed. The load is done once (it takes minutes); the restarts give the medians.
bench_restart() {
  local leader=$1 follower=$2 n=$BENCH_RESTART_VALUES
  ds_expect "$leader" /sCreate "$LOAD_STACK" 200 201
  local per_thread=$(( (n + 1) / 2 ))
  log "restart test: pushing $n values to stack $LOAD_STACK through the leader (wrk, 2 threads, 256 connections)"
  local t0; t0=$(now_ms)
  wrk -t2 -c256 -d3600s --timeout 30s -s "$LUA/push.lua" "$(ds_url "$leader")" -- \
    stack=$LOAD_STACK tag=7777 quota=$per_thread >"$WORK/wrk-load.txt" 2>&1 &
  local wrk_pid=$! size=0
  while kill -0 $wrk_pid 2>/dev/null; do
    sleep 2
    size=$(ds_post "$leader" /sSize "$LOAD_STACK" | awk '{print $2}')
    [[ "$size" =~ ^[0-9]+$ ]] || size=0
    [ "$size" -ge "$n" ] && break
  done
  kill -INT $wrk_pid 2>/dev/null || true; wait $wrk_pid 2>/dev/null || true
  size=$(ds_post "$leader" /sSize "$LOAD_STACK" | awk '{print $2}')
  local load_ms=$(($(now_ms) - t0))
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge "$n" ] || die "only $size of $n values acknowledged: $(grep BENCH "$WORK/wrk-load.txt")"
  local load_result; load_result=$(grep '^BENCH_RESULT' "$WORK/wrk-load.txt" || true)
  log "loaded $size values in $load_ms ms (non-2xx $(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<<"$load_result"), by status: $(sed -n 's/.*codes=\([^ ]*\).*/\1/p' <<<"$load_result")$(grep '^BENCH_FIRST_ERROR' "$WORK/wrk-load.txt" | sed 's/^BENCH_FIRST_ERROR/; first:/' || true))"
  local i; for i in $(seq 1 $NODES); do HWM_LOADED[$i]=$(vm_hwm "${PID[$i]}"); done
  local target; target=$(ds_status "$leader" | jq -r .commitIndex)
  local k ready_ms=() applied_ms=() hwm=() db="" t0 deadline
  for k in $(seq 1 "$BENCH_REPEAT"); do
    # the follower applies everything first, so that the restart measures recovery, not replication
    deadline=$((SECONDS + 120))
    until [ "$(ds_status "$follower" | jq -r '.appliedIndex // 0')" -ge "$target" ]; do
      [ $SECONDS -lt $deadline ] || die "follower $follower did not apply index $target within 120 s"; sleep 0.5
    done
    log "restart $k of $BENCH_REPEAT: SIGKILL node $follower and start it again on the same data"
    kill -KILL "${PID[$follower]}"; wait "${PID[$follower]}" 2>/dev/null || true
    t0=$(now_ms)
    ds_start_node "$follower"
    ds_wait_ready "$follower" 180 ||
      die "restarted node $follower not ready after 180 s: $(ds_status "$follower" | jq -c '{role, term, leaderId, appliedIndex}' 2>/dev/null)"
    ready_ms+=($(($(now_ms) - t0)))
    deadline=$((SECONDS + 120))
    until [ "$(ds_status "$follower" | jq -r '.appliedIndex // 0')" -ge "$target" ]; do
      [ $SECONDS -lt $deadline ] || die "restarted node $follower did not reach index $target"; sleep 0.1
    done
    applied_ms+=($(($(now_ms) - t0)))
    hwm+=("$(vm_hwm "${PID[$follower]}")")
    db=$(du -sh "$DS_DIR/n$follower" | cut -f1)
    log "restarted node ready in ${ready_ms[-1]} ms, applied index $target in ${applied_ms[-1]} ms, VmHWM ${hwm[-1]} MiB, data $db"
  done
  MEMBER_PIDS=("${PID[@]}")
  local runs=""; [ "$BENCH_REPEAT" = 1 ] || runs=", median of $BENCH_REPEAT restarts"
  RESTART_SUMMARY="| Values on the stack | $size (16 bytes each), pushed in $((load_ms / 1000)) s through the leader |
| Restarted node | node $follower (a follower), SIGKILLed, started again on its data dir ($db), $BENCH_REPEAT times |
| Process start → \`/health/ready\` 200$runs | **$(fmt 0 "$(median "${ready_ms[@]}")") ms** (each: ${ready_ms[*]}) |
| Process start → applied index $target (everything committed before the kill)$runs | $(fmt 0 "$(median "${applied_ms[@]}")") ms (each: ${applied_ms[*]}) |
| Peak RSS of the restarted node (VmHWM)$runs | $(fmt 0 "$(median "${hwm[@]}")") MiB (each: ${hwm[*]}) |"
}

# ---------------------------------------------------------------------------------------------- etcd
# One repeat: a fresh cluster, warmed up, measured, stopped.
bench_etcd() {
  ETCD_DIR="$WORK/etcd/r$REPEAT"
  log "repeat $REPEAT: starting five etcd members ($(etcd --version | head -1))"
  ETCD_STARTED=1
  local t0; t0=$(now_ms)
  "$LUA/etcd-cluster.sh" start "$ETCD_DIR"
  ETCD_READY_MS[$REPEAT]=$(($(now_ms) - t0))
  mapfile -t MEMBER_PIDS <"$ETCD_DIR/pids"
  local leader follower
  leader=$("$LUA/etcd-cluster.sh" leader "$ETCD_DIR")
  follower=$("$LUA/etcd-cluster.sh" follower "$ETCD_DIR")
  log "etcd leader $leader, follower used $follower"
  curl -sf -X POST "$leader/v3/kv/put" -d '{"key":"YmVuY2gtcmFuZ2U=","value":"NDI0Mg=="}' >/dev/null || die "etcd put failed"
  run_matrix etcd etcd-put.lua etcd-range.lua "key=bench-put" "key=bench-range"
  run_batch etcd etcd-txn.lua "key=bench-txn"
  local n=0 p; for p in "${MEMBER_PIDS[@]}"; do n=$((n + 1)); ETCD_HWM["$REPEAT $n"]=$(vm_hwm "$p"); done
  log "stopping etcd"
  "$LUA/etcd-cluster.sh" stop "$ETCD_DIR"
  ETCD_STARTED=0 MEMBER_PIDS=()
}

# ---------------------------------------------------------------------------------------------- report
median() {  # NUMBER...: the middle one (the mean of the two middle ones for an even count); nothing without numbers
  printf '%s\n' "$@" | { grep -E '^[0-9]+(\.[0-9]+)?$' || true; } | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_values KEY COLUMN: COLUMN (ops, mean, p99, errors, cpu, wrk: ms per 2xx) of each repeat's run of KEY, a line each
run_values() {
  local key=$1 col=$2 r v ops mean p99 non2xx sock ok cpu wrk url
  for r in $(seq 1 "$BENCH_REPEAT"); do
    v=${RUN["$key|$r"]:-}; [ -n "$v" ] || continue
    read -r ops mean p99 non2xx sock ok cpu wrk url <<<"$v"
    case $col in
      ops) echo "$ops" ;; mean) echo "$mean" ;; p99) echo "$p99" ;; errors) echo $((non2xx + sock)) ;;
      cpu) per_op "$cpu" "$ok"; echo ;; wrk) per_op "$wrk" "$ok"; echo ;;
    esac
  done
}
median_of() { median $(run_values "$1" "$2"); }   # KEY COLUMN
fmt() { [ -n "$2" ] && printf "%.${1}f" "$2" || printf '–'; }   # DECIMALS NUMBER-or-empty

cell() {  # SYSTEM OP VIA CONNS -> "ok/s | mean | p99 | errors | CPU ms/op": medians over the repeats, errors summed
  local key="$1 $2 $3 $4"
  [ -n "$(run_values "$key" ops)" ] || { echo "– | – | – | – | –"; return; }
  printf '%s | %s | %s | %s | %s' "$(fmt 0 "$(median_of "$key" ops)")" "$(fmt 2 "$(median_of "$key" mean)")" \
    "$(fmt 2 "$(median_of "$key" p99)")" "$(run_values "$key" errors | awk '{ s += $1 } END { print s + 0 }')" \
    "$(fmt 3 "$(median_of "$key" cpu)")"
}
quotient() {  # A B -> A / B as "1.23×", or "–"
  awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f×", a / b; else printf "–" }'
}
ratio() {  # OP VIA CONNS: DistStack's median ok/s ÷ etcd's
  quotient "$(median_of "diststack $*" ops)" "$(median_of "etcd $*" ops)"
}
cpu_ratio() {  # OP VIA CONNS: etcd's median CPU/op ÷ DistStack's (above 1: DistStack uses less CPU per operation)
  quotient "$(median_of "etcd $*" cpu)" "$(median_of "diststack $*" cpu)"
}

results_table() {
  echo "| Operation (DistStack / etcd) | Via | Conns | DistStack ok/s | mean ms | p99 ms | errors | CPU ms/op | etcd ok/s | mean ms | p99 ms | errors | CPU ms/op | ok/s DistStack ÷ etcd | CPU/op etcd ÷ DistStack |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  local op via c label
  for op in write read; do
    [ $op = write ] && label="push / put" || label="top / range (linearizable)"
    for via in leader follower; do
      for c in $BENCH_CONNS; do
        echo "| $label | $via | $c | $(cell diststack $op $via "$c") | $(cell etcd $op $via "$c") | $(ratio $op $via "$c") | $(cpu_ratio $op $via "$c") |"
      done
    done
  done
}

batch_table() {  # values/s = 2xx requests/s x BENCH_BATCH
  local key="batch leader $BENCH_BATCH_CONNS"
  values() { local r; r=$(median_of "$1 $key" ops); [ -n "$r" ] && awk -v r="$r" -v n="$BENCH_BATCH" 'BEGIN { printf "%.0f", r * n }' || printf '–'; }
  echo "| $BENCH_BATCH values per request, via leader, $BENCH_BATCH_CONNS conns | DistStack values/s | requests/s | mean ms | p99 ms | errors | CPU ms/request | etcd values/s | requests/s | mean ms | p99 ms | errors | CPU ms/request | ok/s DistStack ÷ etcd | CPU/op etcd ÷ DistStack |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  echo "| push of many (one log entry) / txn of $BENCH_BATCH puts | $(values diststack) | $(cell diststack batch leader "$BENCH_BATCH_CONNS") | $(values etcd) | $(cell etcd batch leader "$BENCH_BATCH_CONNS") | $(ratio batch leader "$BENCH_BATCH_CONNS") | $(cpu_ratio batch leader "$BENCH_BATCH_CONNS") |"
}

# runs_table: every recorded run, in the order of the rows, so that the spread behind each median is visible
runs_table() {
  echo "| System | Operation | Via | Conns | Repeat | Target | ok/s | mean ms | p99 ms | errors | cluster CPU s | cluster CPU ms/op | wrk CPU ms/op |"
  echo "|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|"
  local system op via c r v ops mean p99 non2xx sock ok cpu wrk url rows=()
  for op in write read; do for via in leader follower; do for c in $BENCH_CONNS; do rows+=("$op $via $c"); done; done; done
  rows+=("batch leader $BENCH_BATCH_CONNS")
  for system in $BENCH_SYSTEMS; do
    for row in "${rows[@]}"; do
      for r in $(seq 1 "$BENCH_REPEAT"); do
        v=${RUN["$system $row|$r"]:-}; [ -n "$v" ] || continue
        read -r ops mean p99 non2xx sock ok cpu wrk url <<<"$v"
        read -r op via c <<<"$row"
        echo "| $system | $op | $via | $c | $r | $url | $(fmt 0 "$ops") | $(fmt 2 "$mean") | $(fmt 2 "$p99") | $((non2xx + sock)) | $(awk -v t="$cpu" 'BEGIN { printf "%.2f", t / 1000 }') | $(per_op "$cpu" "$ok") | $(per_op "$wrk" "$ok") |"
      done
    done
  done
}

# per_repeat ARRAY-NAME: "r1: a, r2: b, ..." of an array indexed by repeat (cluster ready times)
per_repeat() {
  local -n values=$1
  local r out=""
  for r in $(seq 1 "$BENCH_REPEAT"); do [ -n "${values[$r]:-}" ] && out+="${out:+, }${values[$r]}"; done
  echo "${out:-–}"
}
rest_cpu() { fmt 0 "$(median $(for r in $(seq 1 "$BENCH_REPEAT"); do echo "${REST_CPU["$1|$r"]:-}"; done))"; }   # SYSTEM
rest_runs() {   # SYSTEM: each repeat's CPU at rest
  local r out=""
  for r in $(seq 1 "$BENCH_REPEAT"); do [ -n "${REST_CPU["$1|$r"]:-}" ] && out+="${out:+, }${REST_CPU["$1|$r"]}"; done
  echo "${out:-–}"
}
# hwm_row ARRAY-NAME: the median over the repeats of each node's VmHWM, as table cells
hwm_row() {
  local -n hwm=$1
  local i r
  for i in $(seq 1 $NODES); do
    printf '%s | ' "$(fmt 0 "$(median $(for r in $(seq 1 "$BENCH_REPEAT"); do echo "${hwm["$r $i"]:-}"; done))")"
  done
}
hwm_runs() {  # ARRAY-NAME: every repeat's five values, "r1: a b c d e; r2: ..."
  local -n hwm=$1
  local i r out="" line
  for r in $(seq 1 "$BENCH_REPEAT"); do
    line=""; for i in $(seq 1 $NODES); do [ -n "${hwm["$r $i"]:-}" ] && line+="${line:+ }${hwm["$r $i"]}"; done
    [ -n "$line" ] && out+="${out:+; }repeat $r: $line"
  done
  echo "${out:-–}"
}

machine_info() {
  local cpu mem os
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
  echo "| Machine | $(nproc) CPUs ($cpu), $mem RAM, $os, Linux $(uname -r) |"
  echo "| .NET | SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v=$2} END {print v}') (ASP.NET Core) |"
  echo "| etcd | $(etcd --version 2>/dev/null | head -1 | sed 's/etcd Version: //') (Debian etcd-server), default settings: fsync per commit, 100 ms heartbeat |"
  echo "| wrk | $(wrk -v 2>&1 | head -1 | awk '{print $2}') |"
  echo "| DistStack storage | $([ "$BENCH_STORAGE" = postgres ] && echo "PostgreSQL $("$LUA/postgres-server.sh" version 2>/dev/null || true) on 127.0.0.1, a database per node, fsync and synchronous_commit on" || echo "SQLite (WAL, synchronous=FULL), a file per node") |"
  echo "| DistStack | commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- DistStack.Actors DistStack.Host hocon 2>/dev/null || echo ' (with uncommitted changes)'), Release, five processes on 127.0.0.1 |"
  echo "| Date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| Load average (1, 5, 15 min) | at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers) |"
  echo "| Command | \`$COMMAND_LINE\` |"
}

report() {
  cat <<EOF
# Benchmarks: DistStack against etcd

Generated by \`scripts/bench.sh\` (do not edit by hand; run it again). Both systems run five members on this one
machine, one cluster at a time, and are driven over HTTP/1.1 keep-alive by \`wrk\` with the Lua scripts in
\`scripts/bench/\`. Each run lasts ${BENCH_SECONDS} s; wrk threads = min(2, connections).

- **Every figure is the median of ${BENCH_REPEAT} runs** (errors: the sum over them), each on a fresh cluster started,
  warmed up and stopped for it; the ratio columns are ratios of the medians. The order of the systems alternates
  between repeats (first as listed, then reversed, and so on) so that drift of the machine falls on both alike.
  Every run is listed under "Every run" at the end.
- **CPU ms/op**, the figure that carries across machines: user + system CPU time (\`utime\` + \`stime\` from
  \`/proc/<pid>/stat\`) summed over the five member processes from just before to just after the run, divided by
  the run's 2xx responses$([ "$BENCH_STORAGE" = postgres ] && echo " (DistStack's includes the PostgreSQL server's processes, which do its storage work)"). **CPU/op etcd ÷ DistStack** above 1 means DistStack spends less CPU per operation;
  **ok/s DistStack ÷ etcd** above 1 means DistStack serves more. wrk's own CPU per operation is in "Every run".

- **push / put**: DistStack \`POST /sPush\` (stack ${PUSH_STACK}, a 16-byte value unique per request) against etcd
  \`POST /v3/kv/put\` (one key, a 16-byte value unique per request, base64 JSON). Both acknowledge only after a
  majority has the entry on disk.
- **top / range**: DistStack \`POST /sTop\` (linearizable read, ReadIndex) against etcd \`POST /v3/kv/range\` with
  \`serializable=false\` (linearizable, ReadIndex).
- **Via**: the requests go to the leader, or to a follower, which hands them on to the leader.
- Every path (write and read, via leader and via follower) is warmed up for ${BENCH_WARMUP} s before the recorded runs
  (.NET's tiered compilation needs ~20-25 s of load on this machine before it stops competing for the CPU).
- **ok/s** counts 2xx responses only; **errors** = non-2xx responses (counted by a wrk \`response\` hook) plus
  socket errors and timeouts (10 s). Latencies are wrk's, over all responses.
- The load generator shares the 2 cores with the five members, so absolute numbers are low and
  the ratios, CPU per operation first, are the figures to read.

## Setup

| | |
|---|---|
$(machine_info)

## Results

$(results_table)

CPU of the five members at rest (no requests, after the warm-up, ${BENCH_REST} s, median): DistStack $(rest_cpu diststack) ms
per second, etcd $(rest_cpu etcd) ms per second. It is part of every run's CPU/op: at R operations per second it adds
about (rest CPU ÷ R) ms to each, which dominates at low rates such as one connection.

### Batches

DistStack \`POST /v1/stacks/{id}/items\` with a JSON array of ${BENCH_BATCH} values (pushed atomically, one log entry)
against etcd \`POST /v3/kv/txn\` with ${BENCH_BATCH} puts (keys bench-txn-0..$((BENCH_BATCH - 1))), same run, same
machine; values are 16 bytes and unique per request. values/s = 2xx requests/s × ${BENCH_BATCH}.

$(batch_table)

## Memory

Peak resident set (VmHWM from \`/proc/<pid>/status\`) of each DistStack node (and etcd member) after the runs above,
the median over the ${BENCH_REPEAT} clusters for each node$([ "$BENCH_RESTART" = 1 ] && echo ", and after loading ${BENCH_RESTART_VALUES} values for the restart test (on the last cluster)").

| Node | $(for i in $(seq 1 $NODES); do printf '%s | ' "$i"; done)
|---|$(for i in $(seq 1 $NODES); do printf -- '--:|'; done)
| VmHWM after the runs (MiB) | $(hwm_row HWM)
$([ "$BENCH_RESTART" = 1 ] && echo "| VmHWM with ${BENCH_RESTART_VALUES} values (MiB) | $(for i in $(seq 1 $NODES); do printf '%s | ' "${HWM_LOADED[$i]:-–}"; done)")
| etcd member, VmHWM after the runs (MiB), for comparison | $(hwm_row ETCD_HWM)

Cluster start (five processes) → every node \`/health/ready\` and a leader: $(fmt 0 "$(median "${DS_READY_MS[@]}")") ms
(etcd, five members → healthy with a leader: $(fmt 0 "$(median "${ETCD_READY_MS[@]}")") ms); medians.

## Restart with $(printf "%'d" "$BENCH_RESTART_VALUES") values

$(if [ -n "$RESTART_SUMMARY" ]; then printf '| | |\n|---|---|\n%s\n' "$RESTART_SUMMARY"; else echo "Not measured in this run (\`BENCH_RESTART=1 scripts/bench.sh\` does it: it loads the values with parallel wrk pushes first)."; fi)

## Every run

Order of the clusters: ${RUN_ORDER}.

<details>
<summary>${#RUN[@]} recorded runs behind the medians above</summary>

$(runs_table)

| | |
|---|---|
| DistStack: cluster start → ready with a leader (ms) | $(per_repeat DS_READY_MS) |
| etcd: cluster start → healthy with a leader (ms) | $(per_repeat ETCD_READY_MS) |
| DistStack: CPU at rest (ms per second) | $(rest_runs diststack) |
| etcd: CPU at rest (ms per second) | $(rest_runs etcd) |
| DistStack: VmHWM after the runs (MiB), nodes 1-5 | $(hwm_runs HWM) |
| etcd: VmHWM after the runs (MiB), members 1-5 | $(hwm_runs ETCD_HWM) |

</details>
EOF
}

# ---------------------------------------------------------------------------------------------- main
ensure_tools
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
[[ " $BENCH_SYSTEMS " == *" diststack "* ]] && publish_diststack
read -r -a SYSTEMS <<<"$BENCH_SYSTEMS"
RUN_ORDER=""
for REPEAT in $(seq 1 "$BENCH_REPEAT"); do
  order=("${SYSTEMS[@]}")
  if [ $((REPEAT % 2)) = 0 ]; then
    order=(); for ((i = ${#SYSTEMS[@]} - 1; i >= 0; i--)); do order+=("${SYSTEMS[$i]}"); done
  fi
  RUN_ORDER+="${RUN_ORDER:+; }repeat $REPEAT: ${order[*]}"
  for system in "${order[@]}"; do
    case $system in
      diststack) bench_diststack ;;
      etcd) bench_etcd ;;
    esac
  done
done

echo
results_table
echo
echo "CPU at rest (ms per second, five members, median): diststack $(rest_cpu diststack), etcd $(rest_cpu etcd)"
echo
batch_table
echo
runs_table
echo
if [ "$BENCH_OUT" != "-" ]; then
  report >"$BENCH_OUT"
  log "wrote $BENCH_OUT"
fi
