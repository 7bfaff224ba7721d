#!/usr/bin/env bash
# A five-member etcd 3.4 cluster on 127.0.0.1, the reference for scripts/bench.sh.
#
#   etcd-cluster.sh start DIR    # fresh data under DIR, waits until every member is healthy and a leader exists
#   etcd-cluster.sh stop DIR     # SIGTERM every member started in DIR (pids in DIR/pids), SIGKILL after 10 s
#   etcd-cluster.sh leader DIR   # prints the client URL of the leader
#   etcd-cluster.sh follower DIR # prints the client URL of one follower
#   etcd-cluster.sh urls DIR     # prints the five client URLs, one per line
#
# Ports: member i (1..5) serves clients on ETCD_PORT_BASE+100+i and peers on ETCD_PORT_BASE+200+i
# (ETCD_PORT_BASE defaults to 17000: 17101..17105 and 17201..17205, below Linux's ephemeral range).
# Default etcd settings (fsync on every commit, 100 ms heartbeat, 1 s election timeout), like DistStack's durability.
set -euo pipefail

cmd=${1:?usage: etcd-cluster.sh start|stop|leader|follower|urls DIR}
dir=${2:?usage: etcd-cluster.sh $cmd DIR}
base=${ETCD_PORT_BASE:-17000}
members=5

client_url() { echo "http://127.0.0.1:$((base + 100 + $1))"; }
peer_url() { echo "http://127.0.0.1:$((base + 200 + $1))"; }

# member id (decimal string, as the JSON gateway prints uint64) of the member behind client URL $1 and its leader's id
status_of() { curl -s --max-time 2 -X POST "$1/v3/maintenance/status" -d '{}'; }

case "$cmd" in
  start)
    command -v etcd >/dev/null || { echo "etcd not installed (apt-get install etcd-server etcd-client)" >&2; exit 1; }
    mkdir -p "$dir"
    : >"$dir/pids"
    initial=""
    for i in $(seq 1 $members); do initial+="${initial:+,}e$i=$(peer_url "$i")"; done
    for i in $(seq 1 $members); do
      port=$((base + 100 + i))
      if ss -Htln "sport = :$port" | grep -q .; then echo "port $port is in use" >&2; exit 1; fi
      rm -rf "$dir/e$i"
      etcd --name "e$i" --data-dir "$dir/e$i" \
        --listen-client-urls "$(client_url "$i")" --advertise-client-urls "$(client_url "$i")" \
        --listen-peer-urls "$(peer_url "$i")" --initial-advertise-peer-urls "$(peer_url "$i")" \
        --initial-cluster "$initial" --initial-cluster-token "bench-$$" --initial-cluster-state new \
        --logger zap --log-outputs stderr --log-level warn \
        >"$dir/e$i.log" 2>&1 &
      echo $! >>"$dir/pids"
    done
    deadline=$((SECONDS + 60))
    while :; do
      healthy=0
      for i in $(seq 1 $members); do
        curl -s --max-time 2 "$(client_url "$i")/health" | grep -q '"health":"true"' && healthy=$((healthy + 1))
      done
      if [ "$healthy" = "$members" ] && "$0" leader "$dir" >/dev/null 2>&1; then break; fi
      if [ $SECONDS -ge $deadline ]; then echo "etcd cluster not healthy after 60 s; logs in $dir" >&2; exit 1; fi
      sleep 0.5
    done
    ;;
  stop)
    [ -f "$dir/pids" ] || exit 0
    pids=$(cat "$dir/pids")
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
      alive=0; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break; sleep 0.1
    done
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "$dir/pids"
    ;;
  leader|follower)
    for i in $(seq 1 $members); do
      s=$(status_of "$(client_url "$i")") || continue
      self=$(jq -r '.header.member_id // empty' <<<"$s" 2>/dev/null) || continue
      leader=$(jq -r '.leader // empty' <<<"$s" 2>/dev/null) || continue
      [ -n "$self" ] && [ -n "$leader" ] && [ "$leader" != 0 ] || continue
      if [ "$cmd" = leader ] && [ "$self" = "$leader" ]; then client_url "$i"; exit 0; fi
      if [ "$cmd" = follower ] && [ "$self" != "$leader" ]; then client_url "$i"; exit 0; fi
    done
    exit 1
    ;;
  urls)
    for i in $(seq 1 $members); do client_url "$i"; done
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
