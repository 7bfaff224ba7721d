#!/usr/bin/env bash
# Where the CPU goes: five DistStack nodes (Release) under wrk load, sampled with Linux perf, per component.
#
#   scripts/profile.sh                         # push at 64 connections through the leader
#   PROFILE_OP=top PROFILE_CONNS=64 scripts/profile.sh
#
# Environment:
#   PROFILE_OP (push)          push (POST /sPush, unique values) or top (POST /sTop, linearizable read)
#   PROFILE_CONNS (64)         wrk connections (threads = min(2, connections))
#   PROFILE_VIA (leader)       leader or follower: the node wrk sends to (the sampled follower is that one)
#   PROFILE_SECONDS (8)        how long perf samples (wrk runs 4 s longer around it)
#   PROFILE_WARMUP (30)        seconds of unrecorded push load first (tiered JIT settles after ~20-25 s here)
#   PROFILE_PORT_BASE (18000)  Akka.Remote BASE+301..305, HTTP BASE+401..405
#   PROFILE_KEEP (0)           1 = keep the temporary directory (perf data, logs)
#
# Prints the throughput; each node's CPU time per request (from /proc/<pid>/stat) and context switches per request
# by thread name (from /proc/<pid>/task/*/status: at one connection a request's cost is mostly thread hand-offs,
# see docs/profiling.md); and for the leader and one follower the share of perf samples per component
# (scripts/profile/categories.py). The nodes run with
# DOTNET_PerfMapEnabled=1 (perf can name JIT-ed methods) and W^X off (else JIT-ed code is in an anonymous
# mapping perf cannot resolve): both change nothing else. Needs root (or perf_event_paranoid <= 1), and installs
# linux-perf and wrk with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=lib/node-tools.sh
source "$ROOT/scripts/lib/node-tools.sh"

PROFILE_OP=${PROFILE_OP:-push}
PROFILE_CONNS=${PROFILE_CONNS:-64}
PROFILE_VIA=${PROFILE_VIA:-leader}
PROFILE_SECONDS=${PROFILE_SECONDS:-8}
PROFILE_WARMUP=${PROFILE_WARMUP:-30}
PROFILE_PORT_BASE=${PROFILE_PORT_BASE:-18000}
PROFILE_KEEP=${PROFILE_KEEP:-0}
NODES=5
STACK=9001

log() { printf '[profile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

case $PROFILE_OP in push) SCRIPT=push.lua ;; top) SCRIPT=top.lua ;; *) die "PROFILE_OP must be push or top" ;; esac

missing=()
command -v perf >/dev/null || missing+=(linux-perf)
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
install_missing "${missing[@]}"

WORK=$(mktemp -d /tmp/diststack-profile.XXXXXX)
declare -A PID=()
cleanup() {
  local rc=$?
  stop_gracefully "${PID[@]}"
  if [ "$PROFILE_KEEP" = 1 ] || [ $rc != 0 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

raft_port() { echo $((PROFILE_PORT_BASE + 300 + $1)); }
http_url() { echo "http://127.0.0.1:$((PROFILE_PORT_BASE + 400 + $1))"; }
CLUSTER=$(for i in $(seq 1 $NODES); do printf '%shttp://127.0.0.1:%s' "$([ "$i" = 1 ] || echo ,)" "$(raft_port "$i")"; done)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# switches PID: "thread-id thread-name switches" for each live thread (voluntary + involuntary context switches)
switches() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(tr ' ' '_' <"$t/comm")" \
      "$(awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s + 0}' "$t/status" 2>/dev/null)"
  done 2>/dev/null | sort
}
# switches_per_request BEFORE AFTER REQUESTS: the switches of threads alive at both ends, per request: in all, then per
# thread name, most first (awk's own order would differ from run to run)
switches_per_request() {
  join -o 2.2,1.3,2.3 "$1" "$2" |
    awk -v n="$3" '{s[$1] += $3 - $2; all += $3 - $2}
      END {printf "%.1f\n", all / n; for (k in s) if (s[k] / n >= 0.5) printf "%s %.1f\n", k, s[k] / n}' |
    { read -r all; printf '%s' "$all"; sort -k2,2nr | awk '{printf " %s %s;", $1, $2}'; }
}

log "building Release"
publish_host "$WORK/app" "$WORK/publish.log" ||
  die "dotnet publish failed: $(tail -5 "$WORK/publish.log")"

for i in $(seq 1 $NODES); do
  mkdir -p "$WORK/n$i"
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DISTSTACK_PARENT_PID=$$ \
    dotnet "$WORK/app/DistStack.Host.dll" --id "$i" --cluster "$CLUSTER" --port $((PROFILE_PORT_BASE + 400 + i)) \
    --data-dir "$WORK/n$i" >>"$WORK/n$i.log" 2>&1 &
  PID[$i]=$!
done
leader() { leader_among $(for i in $(seq 1 $NODES); do http_url "$i"; done); }
deadline=$((SECONDS + 60))
until L=$(leader); do [ $SECONDS -lt $deadline ] || die "no leader after 60 s"; sleep 0.2; done
F=$((L % NODES + 1))
case "$PROFILE_VIA" in leader) TARGET=$L ;; follower) TARGET=$F ;; *) die "PROFILE_VIA must be leader or follower" ;; esac
curl -s -X POST "$(http_url "$L")/sCreate" -d "$STACK" >/dev/null
curl -s -X POST "$(http_url "$L")/sPush" -d "$STACK,seed" >/dev/null
log "leader is node $L (pid ${PID[$L]}); follower sampled: node $F (pid ${PID[$F]}); warming up ${PROFILE_WARMUP} s"
wrk -t2 -c16 -d"${PROFILE_WARMUP}s" -s "$ROOT/scripts/bench/push.lua" "$(http_url "$TARGET")" -- stack=$STACK tag=warm >/dev/null 2>&1 || true

declare -A BEFORE=()
for i in $(seq 1 $NODES); do BEFORE[$i]=$(cpu_ticks "${PID[$i]}"); switches "${PID[$i]}" >"$WORK/switches-$i.before"; done
threads=$((PROFILE_CONNS < 2 ? PROFILE_CONNS : 2))
wrk -t$threads -c"$PROFILE_CONNS" -d$((PROFILE_SECONDS + 4))s --timeout 10s -s "$ROOT/scripts/bench/$SCRIPT" "$(http_url "$TARGET")" \
  -- stack=$STACK tag=prof >"$WORK/wrk.txt" 2>&1 &
WRK=$!
sleep 2
perf record -F 999 -g -o "$WORK/leader.data" -p "${PID[$L]}" -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1 &
PERF=$!
perf record -F 999 -g -o "$WORK/follower.data" -p "${PID[$F]}" -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1
wait "$PERF" || true   # (a bare `wait` would also wait for the nodes)
wait "$WRK" || true
for i in $(seq 1 $NODES); do switches "${PID[$i]}" >"$WORK/switches-$i.after"; done
result=$(grep '^BENCH_RESULT' "$WORK/wrk.txt") || die "wrk printed no result: $(tail -3 "$WORK/wrk.txt")"
ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$result")

echo "## $PROFILE_OP at $PROFILE_CONNS connections, through the $PROFILE_VIA"
echo
echo "wrk: $(sed -E 's/^BENCH_RESULT //' <<<"$result")"
echo
echo "| node | role | CPU ms per request | context switches per request (threads alive throughout), by thread |"
echo "|---|---|--:|---|"
tick_ms=$((1000 / $(getconf CLK_TCK)))
for i in $(seq 1 $NODES); do
  d=$(( $(cpu_ticks "${PID[$i]}") - BEFORE[$i] ))
  printf '| %d | %s | %.3f | %s |\n' "$i" "$([ "$i" = "$L" ] && echo leader || echo follower)" "$(echo "$d * $tick_ms / $ok" | bc -l)" \
    "$(switches_per_request "$WORK/switches-$i.before" "$WORK/switches-$i.after" "$ok")"
done
for who in leader follower; do
  echo
  echo "### $who (node $([ $who = leader ] && echo "$L" || echo "$F"))"
  echo
  perf script -i "$WORK/$who.data" 2>/dev/null | python3 "$ROOT/scripts/profile/categories.py"
done
