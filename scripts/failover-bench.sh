#!/usr/bin/env bash
# How warm is a new leader? Five DistStack nodes (Release) under push load spread over every node, the leader
# SIGKILLed, and the writes the cluster acknowledges in the 5 s after the kill (the election included) compared
# with the 5 s before it.
#
#   scripts/failover-bench.sh                 # 3 rounds, prints one line per round and the median
#   FAILOVER_ROUNDS=5 scripts/failover-bench.sh
#
# Environment:
#   FAILOVER_ROUNDS (3)          fresh clusters, one kill each
#   FAILOVER_CONNS (64)          wrk connections in all, split over the five nodes (wrk cannot fail over, so one
#                                wrk per node: the killed node's share is lost, the others' followers forward)
#   FAILOVER_WARMUP (20)         seconds of load before the steady-state window
#   FAILOVER_PORT_BASE (17600)   Akka.Remote BASE+301..305, HTTP BASE+401..405
#   FAILOVER_APP                 an already published DistStack.Host directory to run (default: publish this tree)
#   DISTSTACK_CONFIG             a HOCON file of overrides for the nodes (optional)
#
# "Acknowledged" is read from a surviving follower's diststack_server_proposals_committed_total (entries it applied;
# a request's entry is applied on every member once committed), sampled 5 s before the kill, at the kill and 5 s
# after. The ratio after/before is what the warm-leader floor of docs/benchmarks.md is about (>= 0.6).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=lib/node-tools.sh
source "$ROOT/scripts/lib/node-tools.sh"

FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-3}
FAILOVER_CONNS=${FAILOVER_CONNS:-64}
FAILOVER_WARMUP=${FAILOVER_WARMUP:-20}
FAILOVER_PORT_BASE=${FAILOVER_PORT_BASE:-17600}
NODES=5
STACK=9002

log() { printf '[failover %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v bc >/dev/null || missing+=(bc)
install_missing "${missing[@]}"

WORK=$(mktemp -d /tmp/diststack-failover.XXXXXX)
declare -A PID=()
WRKS=()
cleanup() {
  local rc=$?
  for w in "${WRKS[@]}"; do kill "$w" 2>/dev/null || true; done
  stop_gracefully "${PID[@]}"
  if [ $rc != 0 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

http_url() { echo "http://127.0.0.1:$((FAILOVER_PORT_BASE + 400 + $1))"; }
CLUSTER=$(for i in $(seq 1 $NODES); do printf '%shttp://127.0.0.1:%s' "$([ "$i" = 1 ] || echo ,)" $((FAILOVER_PORT_BASE + 300 + i)); done)
committed() { curl -s --max-time 2 "$(http_url "$1")/metrics" | awk '$1 == "diststack_server_proposals_committed_total" {printf "%d", $2}'; }

APP=${FAILOVER_APP:-$WORK/app}
if [ -z "${FAILOVER_APP:-}" ]; then
  log "building Release"
  publish_host "$APP" "$WORK/publish.log" ||
    die "dotnet publish failed: $(tail -5 "$WORK/publish.log")"
fi

ratios=()
for round in $(seq 1 "$FAILOVER_ROUNDS"); do
  rm -rf "$WORK"/n*
  for i in $(seq 1 $NODES); do
    mkdir -p "$WORK/n$i"
    DISTSTACK_PARENT_PID=$$ dotnet "$APP/DistStack.Host.dll" --id "$i" --cluster "$CLUSTER" \
      --port $((FAILOVER_PORT_BASE + 400 + i)) --data-dir "$WORK/n$i" >>"$WORK/n$i.log" 2>&1 &
    PID[$i]=$!
  done
  deadline=$((SECONDS + 60))
  until L=$(leader_among $(for i in $(seq 1 $NODES); do http_url "$i"; done)); do
    [ $SECONDS -lt $deadline ] || die "no leader after 60 s"; sleep 0.2
  done
  F=$((L % NODES + 1))
  curl -s -X POST "$(http_url "$L")/sCreate" -d "$STACK" >/dev/null
  per_node=$((FAILOVER_CONNS / NODES > 0 ? FAILOVER_CONNS / NODES : 1))
  WRKS=()
  for i in $(seq 1 $NODES); do
    wrk -t1 -c"$per_node" -d$((FAILOVER_WARMUP + 15))s --timeout 3s -s "$ROOT/scripts/bench/push.lua" "$(http_url "$i")" \
      -- stack=$STACK tag="f$round$i" >"$WORK/wrk$i.txt" 2>&1 &
    WRKS+=($!)
  done
  sleep "$FAILOVER_WARMUP"
  before=$(committed "$F")
  sleep 5
  at_kill=$(committed "$F")
  kill -KILL "${PID[$L]}"
  wait "${PID[$L]}" 2>/dev/null || true
  sleep 5
  after=$(committed "$F")
  for w in "${WRKS[@]}"; do kill "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
  WRKS=()
  steady=$((at_kill - before)); failover=$((after - at_kill))
  [ "$steady" -gt 0 ] || die "no writes in the steady-state window (round $round)"
  ratio=$(echo "scale=3; $failover / $steady" | bc)
  ratios+=("$ratio")
  new_leader=$(leader_among $(for i in $(seq 1 $NODES); do http_url "$i"; done) || echo "?")
  echo "round $round: leader $L killed; steady ${steady} writes/5 s ($((steady / 5))/s); next 5 s ${failover} ($((failover / 5))/s); ratio $ratio; new leader $new_leader"
  unset "PID[$L]"
  stop_gracefully "${PID[@]}"
  PID=()
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio over $FAILOVER_ROUNDS rounds: $median (floor 0.6)"
