# Shared by scripts/bench.sh, scripts/profile.sh and scripts/failover-bench.sh (source it; the caller defines log and die).

# install_missing PACKAGE...: apt-get install the Debian packages given (those the caller found missing).
install_missing() {
  [ $# -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || die "need root to apt-get install $* (or install them yourself)"
  log "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

# stop_gracefully PID...: SIGTERM, up to 15 s for each to exit (a leader hands over first), then SIGKILL.
stop_gracefully() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null && log "pid $pid needed SIGKILL after 15 s" || true
    wait "$pid" 2>/dev/null || true
  done
}

# leader_among URL...: prints the 1-based position of the node whose /cluster/status says it leads.
leader_among() {
  local i=0 url
  for url in "$@"; do
    i=$((i + 1))
    [ "$(curl -s --max-time 2 "$url/cluster/status" | jq -r '.leaderId // empty' 2>/dev/null)" = "$i" ] && { echo "$i"; return 0; }
  done
  return 1
}

# publish_host OUT_DIR LOG_FILE: the Host as the Dockerfile builds it: Release, for this machine's runtime identifier,
# framework-dependent, which makes it ReadyToRun (DistStack.Host.csproj: compiled ahead of time).
publish_host() {
  local rid
  case "$(uname -m)" in
    x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; armv7l) rid=linux-arm ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
  dotnet publish "$ROOT/DistStack.Host/DistStack.Host.csproj" -c Release -r "$rid" --self-contained false -p:UseAppHost=false \
    -o "$1" -nologo -v q >"$2" 2>&1
}
