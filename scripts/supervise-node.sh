#!/usr/bin/env bash
# Used by scripts/run-cluster.sh for each Procfile entry: supervise-node.sh NAME COMMAND...
# Runs COMMAND. When it exits (you killed or stopped that node) it stays down, but this wrapper keeps running:
# foreman would otherwise stop every other node as soon as one exits. `scripts/node.sh start NAME` starts it again.
set -u
name=$1
shift
mkdir -p data
flag="data/.start-$name"
child=""
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"; exit 0' TERM INT

while :; do
  rm -f "$flag"
  "$@" &
  child=$!
  wait "$child"
  code=$?
  child=""
  echo "$name exited with code $code; it stays down until: scripts/node.sh start $name"
  until [ -e "$flag" ]; do
    sleep 0.5 &
    wait $!
  done
  echo "$name: starting again"
done
