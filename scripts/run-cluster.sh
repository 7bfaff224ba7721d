#!/usr/bin/env bash
# Builds DistStack (Release) and runs the five nodes of the Procfile in the foreground with foreman
# (PROCFILE=Procfile.grow for the README's membership walkthrough: three founders and two nodes that --join).
# Ctrl-C stops them all (SIGTERM: a leader hands over before it exits). Data lives in ./data/node-<id>.
# Each node runs under scripts/supervise-node.sh, so killing one node (scripts/node.sh kill 2) leaves the
# others running (plain foreman stops everything when one process exits); scripts/node.sh start 2 restarts it.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build DistStack.Host -c Release -nologo -v quiet

if ! command -v foreman >/dev/null 2>&1; then
  if command -v goreman >/dev/null 2>&1; then
    exec goreman -f "${PROCFILE:-Procfile}" start   # goreman leaves the others running when one exits: the Procfile as it is
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "foreman not found: installing ruby-foreman with apt-get" >&2
    apt-get install -y ruby-foreman >/dev/null || { apt-get update >/dev/null && apt-get install -y ruby-foreman >/dev/null; }
  else
    echo "foreman not found: install it (Debian/Ubuntu: sudo apt-get install ruby-foreman) or goreman" >&2
    exit 1
  fi
fi

# The Procfile with every command wrapped by supervise-node.sh.
mkdir -p data
sed -E 's#^(raftexample[0-9]+): *(.*)$#\1: scripts/supervise-node.sh \1 \2#' "${PROCFILE:-Procfile}" > data/Procfile.supervised

# -t 10: give each node up to 10 s after SIGTERM before foreman SIGKILLs it (a node needs about 1-4 s).
exec foreman start -f data/Procfile.supervised -d . -t 10 "$@"
