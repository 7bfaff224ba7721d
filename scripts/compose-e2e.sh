#!/usr/bin/env bash
# The README's "Five nodes with Docker" walkthrough, run and asserted end to end:
#   build + up -> a leader -> create + pushes through every node -> kill the leader's container ->
#   a push through another node is acknowledged within a bound -> every acknowledged value is still there
#   (size, top, pop in LIFO order) -> start the killed node -> it catches up (same stateDigest at the same
#   appliedIndex as the leader) -> docker stop (SIGTERM) of the leader exits 0 well within the grace period,
#   the others go on -> down -v.
#
#   scripts/compose-e2e.sh
#
# Environment: E2E_FAILOVER_BOUND_S (10) fails the run if the failover push takes longer;
#   E2E_ATTEMPT_TIMEOUT_S (1) client timeout of each failover push attempt (retried with the same key);
#   E2E_READY_TIMEOUT_S (180); E2E_KEEP=1 leaves the cluster running at the end (no down -v);
#   NODE1_HTTP_PORT..NODE5_HTTP_PORT (12380..52380) move the published ports, as in docker-compose.yml;
#   COMPOSE_PROJECT_NAME (diststack-e2e) keeps this run apart from a cluster you started yourself.
# Works with `docker compose` (plugin) or `docker-compose` (v1).
set -euo pipefail
cd "$(dirname "$0")/.."

FAILOVER_BOUND_S=${E2E_FAILOVER_BOUND_S:-10}
# Per-attempt client timeout of the failover push. A write forwarded to a leader that has just died waits for the
# node's request timeout (5 s, then 504); a client that wants the fastest failover gives up sooner and retries
# with the same Idempotency-Key (README), which this does.
ATTEMPT_S=${E2E_ATTEMPT_TIMEOUT_S:-1}
READY_TIMEOUT_S=${E2E_READY_TIMEOUT_S:-180}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-diststack-e2e}
NODES=5
STACK=1

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

if docker compose version >/dev/null 2>&1; then DC=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then DC=(docker-compose)
else die "neither 'docker compose' nor 'docker-compose' is available"; fi
command -v jq >/dev/null || die "jq is required"
docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable"

declare -A PORT=([1]=${NODE1_HTTP_PORT:-12380} [2]=${NODE2_HTTP_PORT:-22380} [3]=${NODE3_HTTP_PORT:-32380}
                 [4]=${NODE4_HTTP_PORT:-42380} [5]=${NODE5_HTTP_PORT:-52380})
url() { echo "http://127.0.0.1:${PORT[$1]}"; }

# post NODE PATH BODY [IDEMPOTENCY_KEY] -> "CODE BODY" (CODE 000 when the node does not answer within 5 s)
post() {
  local args=(-s --max-time "${CURL_MAX_TIME:-5}" -w '\n%{http_code}' -X POST "$(url "$1")$2" -d "$3")
  [ -n "${4:-}" ] && args+=(-H "Idempotency-Key: $4")
  local out; out=$(curl "${args[@]}") || true
  local code=${out##*$'\n'} body=${out%$'\n'*}
  [ "$out" = "$code" ] && body=""
  echo "$code $(tr -d '\r\n' <<<"$body" | sed 's/^ *//; s/ *$//')"
}
# expect NODE PATH BODY WANT_CODE [WANT_BODY] [KEY]: one request, asserted. Like any client of the API, it
# retries what the API says is safe to retry: 503 (nothing was changed, e.g. leadership moved meanwhile) and 504
# or no answer (outcome unknown), with the same Idempotency-Key, for at most E2E_RETRY_S seconds.
RETRIES=0
expect() {
  local key=${6:-"e2e-$$-$RANDOM$RANDOM"} deadline=$((SECONDS + ${E2E_RETRY_S:-10})) r code body
  while :; do
    r=$(post "$1" "$2" "$3" "$key"); code=${r%% *}; body=${r#* }
    [[ "$code" =~ ^(503|504|000)$ ]] && [ "$4" != "$code" ] && [ $SECONDS -lt $deadline ] || break
    log "POST $2 '$3' via node $1 -> $r: retrying with the same Idempotency-Key"
    RETRIES=$((RETRIES + 1)); sleep 0.2
  done
  [ "$code" = "$4" ] || die "POST $2 '$3' via node $1: got '$r', expected $4${5:+ '$5'}"
  [ -z "${5:-}" ] || [ "$body" = "$5" ] || die "POST $2 '$3' via node $1: got '$r', expected $4 '$5'"
  log "POST $2 '$3' via node $1 -> $code${body:+ $body}"
}
status() { curl -s --max-time 3 "$(url "$1")/cluster/status"; }
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$(url "$1")/health/ready")" = 200 ]; }
leader_seen_by() { status "$1" | jq -r '.leaderId // empty' 2>/dev/null || true; }

cleanup() {
  local rc=$?
  if [ "${E2E_KEEP:-0}" = 1 ]; then log "E2E_KEEP=1: cluster left running (${DC[*]} down -v to remove)"
  else
    [ $rc = 0 ] || { log "logs of the failed run:"; "${DC[@]}" logs --tail 30 >&2 || true; }
    "${DC[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  exit $rc
}

# ------------------------------------------------------------------------------------------------ build, up
log "using: ${DC[*]} (project $COMPOSE_PROJECT_NAME)"
"${DC[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
for i in $(seq 1 $NODES); do
  ! ss -Htln "sport = :${PORT[$i]}" | grep -q . || die "port ${PORT[$i]} is in use (set NODE${i}_HTTP_PORT)"
done
trap cleanup EXIT
trap 'exit 130' INT TERM

t=$(now_ms)
"${DC[@]}" build >/tmp/diststack-e2e-build.log 2>&1 || { tail -30 /tmp/diststack-e2e-build.log >&2; die "build failed"; }
BUILD_MS=$(($(now_ms) - t))
IMAGE=$("${DC[@]}" config | awk '/image:/ {print $2; exit}')
IMAGE_MB=$(docker image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f", $1 / 1000000}')
log "built $IMAGE ($IMAGE_MB MB) in $((BUILD_MS / 1000)) s"

t0=$(now_ms)
"${DC[@]}" up -d --build >/dev/null 2>&1 || die "up failed: $("${DC[@]}" up -d 2>&1 | tail -5)"
deadline=$((SECONDS + READY_TIMEOUT_S))
while :; do
  n_ready=0; leaders=""
  for i in $(seq 1 $NODES); do
    ready "$i" && n_ready=$((n_ready + 1))
    leaders+="$(leader_seen_by "$i")."
  done
  first=${leaders%%.*}
  if [ $n_ready = $NODES ] && [ -n "$first" ] && [ "$leaders" = "$(printf "$first.%.0s" $(seq 1 $NODES))" ]; then break; fi
  [ $SECONDS -lt $deadline ] || die "after ${READY_TIMEOUT_S} s: $n_ready of $NODES ready, leaders seen: $leaders"
  sleep 0.5
done
UP_READY_MS=$(($(now_ms) - t0))
LEADER=$first
log "all five nodes ready and agree on leader node$LEADER, $UP_READY_MS ms after 'up -d'"
log "GET /cluster/status on node1:"; status 1 | jq . >&2

# ------------------------------------------------------------------------------------------------ writes
expect 1 /sCreate "$STACK" 201
expect 2 /sCreate "$STACK" 200                                   # creating again changes nothing
expect 3 /sId "$STACK" 200
VALUES=()
for i in $(seq 1 $NODES); do                                     # one push through every node
  v=$((i * 10)); VALUES+=("$v")
  expect "$i" /sPush "$STACK,$v" 200 "${#VALUES[@]}" "e2e-push-$v"
done
expect 4 /sTop "$STACK" 200 50
expect 5 /sSize "$STACK" 200 "${#VALUES[@]}"

# ------------------------------------------------------------------------------------------------ failover
LEADER=$(leader_seen_by 1); [ -n "$LEADER" ] || die "no leader known before the kill"
OTHER=$((LEADER % NODES + 1))
# `docker kill` on the container id: the compose CLI itself can take seconds to start, which would hide the
# election inside the kill command. The clock starts before the SIGKILL is sent.
CID=$("${DC[@]}" ps -q "node$LEADER")
[ -n "$CID" ] || die "no container for node$LEADER"
log "killing the leader's container (SIGKILL): docker kill ${CID:0:12}   (same as: ${DC[*]} kill node$LEADER)"
t0=$(now_ms)
docker kill --signal KILL "$CID" >/dev/null
v=60; key="e2e-push-$v"; attempts=0
while :; do
  attempts=$((attempts + 1))
  r=$(CURL_MAX_TIME=$ATTEMPT_S post "$OTHER" /sPush "$STACK,$v" "$key")
  [ "${r%% *}" = 200 ] && break
  elapsed=$(($(now_ms) - t0))
  log "  attempt $attempts ended at ${elapsed} ms: '$r' (000 = no answer within ${ATTEMPT_S} s); retrying with the same Idempotency-Key"
  [ $elapsed -lt $((FAILOVER_BOUND_S * 1000)) ] || die "push through node$OTHER not acknowledged within ${FAILOVER_BOUND_S} s (last: '$r')"
  sleep 0.1
done
FAILOVER_MS=$(($(now_ms) - t0))
VALUES+=("$v")
[ "${r#* }" = "${#VALUES[@]}" ] || die "failover push answered '$r', expected size ${#VALUES[@]} (a retried push applied twice?)"
log "push $v through node$OTHER acknowledged $FAILOVER_MS ms after the kill ($attempts attempt(s), same Idempotency-Key)"
NEW_LEADER=""
until NEW_LEADER=$(leader_seen_by "$OTHER") && [ -n "$NEW_LEADER" ] && [ "$NEW_LEADER" != "$LEADER" ]; do sleep 0.2; done
log "new leader: node$NEW_LEADER; GET /cluster/status on node$OTHER:"; status "$OTHER" | jq . >&2

# every acknowledged value is still there, in order, whichever survivor we ask
SURVIVORS=(); for i in $(seq 1 $NODES); do [ "$i" = "$LEADER" ] || SURVIVORS+=("$i"); done
expect "${SURVIVORS[0]}" /sSize "$STACK" 200 "${#VALUES[@]}"
expect "${SURVIVORS[1]}" /sTop "$STACK" 200 "${VALUES[-1]}"
for ((k = ${#VALUES[@]} - 1, n = 0; k >= 0; k--, n++)); do
  expect "${SURVIVORS[$((n % ${#SURVIVORS[@]}))]}" /sPop "$STACK" 200 "${VALUES[$k]}" "e2e-pop-$n"
done
expect "${SURVIVORS[2]}" /sTop "$STACK" 409
expect "${SURVIVORS[3]}" /sPush "$STACK,70" 200 1 "e2e-push-70"

# ------------------------------------------------------------------------------------------------ catch-up
log "starting node$LEADER again: ${DC[*]} start node$LEADER"
t0=$(now_ms)
"${DC[@]}" start "node$LEADER" >/dev/null 2>&1
deadline=$((SECONDS + READY_TIMEOUT_S))
while :; do
  lead=$(status "$OTHER" | jq -c '{leaderId, appliedIndex, stateDigest}' 2>/dev/null || echo '{}')
  back=$(status "$LEADER" | jq -c '{leaderId, appliedIndex, stateDigest}' 2>/dev/null || echo '{}')
  lid=$(jq -r '.leaderId // empty' <<<"$lead")
  [ -n "$lid" ] && lead=$(status "$lid" | jq -c '{leaderId, appliedIndex, stateDigest}' 2>/dev/null || echo '{}')
  if ready "$LEADER" && [ "$back" != '{}' ] && [ "$(jq -c '{appliedIndex, stateDigest}' <<<"$back")" = "$(jq -c '{appliedIndex, stateDigest}' <<<"$lead")" ]; then break; fi
  [ $SECONDS -lt $deadline ] || die "node$LEADER did not catch up within ${READY_TIMEOUT_S} s: it has $back, the leader $lead"
  sleep 0.5
done
CATCHUP_MS=$(($(now_ms) - t0))
log "node$LEADER is back and caught up in $CATCHUP_MS ms: $back"
expect "$LEADER" /sTop "$STACK" 200 70
log "GET /cluster/status on node$LEADER:"; status "$LEADER" | jq . >&2

# ------------------------------------------------------------------------------------------------ graceful stop
# SIGTERM (docker stop, compose stop/down) to the leader: it hands leadership over and exits 0 within the grace period.
LEAD=$(leader_seen_by "$OTHER"); [ -n "$LEAD" ] || die "no leader known before the graceful stop"
CID=$("${DC[@]}" ps -q "node$LEAD")
t0=$(now_ms)
docker stop --time 10 "$CID" >/dev/null
STOP_MS=$(($(now_ms) - t0))
EXIT_CODE=$(docker inspect "$CID" --format '{{.State.ExitCode}}')
[ "$EXIT_CODE" = 0 ] || die "leader node$LEAD exited with $EXIT_CODE after SIGTERM (expected 0): $(docker logs --tail 10 "$CID" 2>&1)"
[ $STOP_MS -lt 10000 ] || die "leader node$LEAD took $STOP_MS ms to stop: Docker's 10 s grace period would have SIGKILLed it"
SURVIVOR=$((LEAD % NODES + 1))
deadline=$((SECONDS + FAILOVER_BOUND_S))
until r=$(post "$SURVIVOR" /sPush "$STACK,80" "e2e-push-80") && [ "${r%% *}" = 200 ]; do
  [ $SECONDS -lt $deadline ] || die "push through node$SURVIVOR after the leader's SIGTERM: '$r'"; sleep 0.1
done
[ "${r#* }" = 2 ] || die "push after the graceful stop answered '$r', expected size 2"
log "SIGTERM to leader node$LEAD: exited 0 in $STOP_MS ms; new leader node$(leader_seen_by "$SURVIVOR"); $(docker logs "$CID" 2>&1 | grep -o 'Leadership handed over.*' | head -1)"

cat <<EOF

compose end-to-end: PASSED (${DC[*]})
  image $IMAGE:               $IMAGE_MB MB (build $((BUILD_MS / 1000)) s)
  up -d -> 5 ready + leader:   $UP_READY_MS ms
  failover (kill leader node$LEADER -> push via node$OTHER acknowledged): $FAILOVER_MS ms ($attempts attempt(s) of at most ${ATTEMPT_S} s), new leader node$NEW_LEADER
  restarted node$LEADER caught up: $CATCHUP_MS ms (same appliedIndex and stateDigest as the leader)
  docker stop of leader node$LEAD (SIGTERM, hand-over): exit 0 in $STOP_MS ms
  requests retried after 503/504 (leadership moved; same Idempotency-Key): $RETRIES
EOF
