#!/usr/bin/env bash
# Start, stop, kill, pause or resume one node of the Procfile cluster, like `goreman run start|stop raftexampleN`.
#   scripts/node.sh stop 2      SIGTERM: graceful (a leader hands leadership over first), data kept
#   scripts/node.sh kill 2      SIGKILL: a crash
#   scripts/node.sh pause 2     SIGSTOP: frozen (like a long GC pause); `resume 2` sends SIGCONT
#   scripts/node.sh start 2     start it again with its data (under scripts/run-cluster.sh: in foreman's output;
#                               otherwise in the background, logging to data/node-2.log)
# The node may be given as 2 or raftexample2.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/node.sh start|stop|kill|pause|resume ID" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
id=${2#raftexample}
[[ "$id" =~ ^[0-9]+$ ]] || usage
name="raftexample$id"

procfile=${PROCFILE:-Procfile}
line=$(grep -E "^$name:" "$procfile" | head -1 | cut -d: -f2- | sed 's/^ *//') || true
[ -n "$line" ] || { echo "no $name in $procfile" >&2; exit 2; }
# The node's own process: the Procfile command line (Release build, this id).
pid=$(pgrep -f -x -- "$line" | head -1 || true)

signal() {
  [ -n "$pid" ] || { echo "$name is not running" >&2; exit 1; }
  kill "-$1" "$pid"
  echo "$name (pid $pid): sent SIG$1"
}

case "$action" in
  stop) signal TERM ;;
  kill) signal KILL ;;
  pause) signal STOP ;;
  resume) signal CONT ;;
  start)
    [ -z "$pid" ] || { echo "$name is already running (pid $pid)" >&2; exit 1; }
    if pgrep -f -- "supervise-node.sh $name " >/dev/null; then
      touch "data/.start-$name"
      echo "$name: asked scripts/run-cluster.sh to start it (see its output)"
    else
      mkdir -p data
      nohup bash -c "exec $line" >>"data/node-$id.log" 2>&1 &
      echo "$name started (pid $!), logging to data/node-$id.log"
    fi
    ;;
  *) usage ;;
esac
