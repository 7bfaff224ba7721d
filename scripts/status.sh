#!/usr/bin/env bash
# One line per node of the Procfile cluster: role, term, leader, commit/applied index, digest.
# Watch a failover live:  watch -n 0.5 scripts/status.sh
# Other ports: scripts/status.sh 12380 22380 ...
set -uo pipefail
ports=("$@")
[ ${#ports[@]} -eq 0 ] && ports=(12380 22380 32380 42380 52380)

for port in "${ports[@]}"; do
  json=$(curl -s --max-time 2 "http://127.0.0.1:${port}/cluster/status") || json=""
  if [ -z "$json" ]; then
    printf '%-6s down\n' "$port"
    continue
  fi
  field() { printf '%s' "$json" | tr -d '\n' | sed -E "s/.*\"$1\": *(\"[^\"]*\"|[^,}]*).*/\1/" | tr -d '"'; }
  printf '%-6s node %-2s %-12s term %-5s leader %-5s commit %-8s applied %-8s digest %s\n' \
    "$port" "$(field nodeId)" "$(field role)" "$(field term)" "$(field leaderId)" \
    "$(field commitIndex)" "$(field appliedIndex)" "$(field stateDigest)"
done
