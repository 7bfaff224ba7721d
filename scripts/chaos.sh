#!/usr/bin/env bash
# Long chaos profile: the same runner as the CI test (DistStack.Tests/Chaos), for longer and over several seeds.
#   DISTSTACK_CHAOS_SECONDS  seconds of faults per run (default 600)
#   DISTSTACK_CHAOS_SEEDS    space/comma separated seeds (default: 3 random ones)
#   DISTSTACK_CHAOS_SEED     one seed (what a failed run's report prints to replay it); SEEDS wins when both are set
#   DISTSTACK_CHAOS_NETNS    0 = kills and pauses only; 1 = require network namespaces (default: when root + ip + iptables)
#   DISTSTACK_CHAOS_DIR      where run folders go (default artifacts/chaos)
#   DISTSTACK_CHAOS_POSTGRES 1 = each node's journal in its own database of a PostgreSQL server started for the run
#                            (loopback only: no partitions; needs the PostgreSQL server binaries, see the README)
# Each run writes <dir>/<time>-seed<S>/{verdict.txt,history.jsonl,faults.txt,run.log,nodes/*.log}.
# Exit code: 0 when every run passed; 1 otherwise (the failed seeds and their folders are listed).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${DISTSTACK_CHAOS_SECONDS:-600}"
seeds="${DISTSTACK_CHAOS_SEEDS:-${DISTSTACK_CHAOS_SEED:-$RANDOM $RANDOM $RANDOM}}"
seeds="${seeds//,/ }"
dir="${DISTSTACK_CHAOS_DIR:-$PWD/artifacts/chaos}"
mkdir -p "$dir"

echo "chaos: ${seconds}s of faults per run, seeds: ${seeds}, runs under ${dir}"
dotnet build DistStack.Tests -c Release -v quiet -nologo >/dev/null || { echo "chaos: build failed"; exit 2; }

failed=()
for seed in $seeds; do
  echo "=== chaos seed ${seed} ($(date -u +%H:%M:%S))"
  before=$(ls -1 "$dir" 2>/dev/null | sort)
  DISTSTACK_CHAOS_SECONDS="$seconds" DISTSTACK_CHAOS_SEED="$seed" DISTSTACK_CHAOS_DIR="$dir" \
    dotnet test DistStack.Tests -c Release --no-build -nologo \
      --filter "FullyQualifiedName~DistStack.Tests.Chaos.ChaosTests" \
      --logger "console;verbosity=normal" > "$dir/last-test-output.txt" 2>&1
  rc=$?
  run=$(comm -13 <(echo "$before") <(ls -1 "$dir" | sort) | grep "seed${seed}$" | tail -1)
  if [[ -n "$run" && -f "$dir/$run/verdict.txt" ]]; then
    sed -n '1,/^Final cluster status/p' "$dir/$run/verdict.txt" | sed '$d'
  else
    tail -40 "$dir/last-test-output.txt"
  fi
  if [[ $rc -ne 0 ]]; then
    failed+=("seed ${seed}: ${dir}/${run:-?}")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "chaos: FAILED runs:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "chaos: all runs passed"
