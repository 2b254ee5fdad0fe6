#!/usr/bin/env bash
# Start a private Docker engine (Debian's docker.io, engine 20.10) for difyctl's tests.
#
#   eval "$(test/docker/start-dockerd.sh)"     # or: export DOCKER_HOST=... from its last line
#
# Everything lives under one state dir (default /tmp/difyctl-dockerd, or $DIFYCTL_DOCKERD_DIR):
#   data/  exec/  dockerd.pid  docker.sock  dockerd.log
# Idempotent: if the dockerd started from that dir still runs, it is reused.
# Installs nothing: apt-get install docker.io (which brings iptables) first; see .ci/run.
#
# Environment:
#   DIFYCTL_DOCKERD_DIR         state dir (default /tmp/difyctl-dockerd)
#   DIFYCTL_DOCKERD_TIMEOUT     seconds to wait for the engine to answer (default 60)
#   DIFYCTL_DOCKERD_EXTRA_ARGS  extra dockerd flags, split on spaces (e.g. "--bip=10.99.0.1/24")
#
# Only the last line of stdout is the export line; progress goes to stderr.
set -euo pipefail

DIR=${DIFYCTL_DOCKERD_DIR:-/tmp/difyctl-dockerd}
TIMEOUT=${DIFYCTL_DOCKERD_TIMEOUT:-60}
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
HOST="unix://$SOCK"

log() { printf 'start-dockerd: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v dockerd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
command -v dockerd >/dev/null 2>&1 || die "dockerd not found: apt-get install docker.io"
# Prefer the engine's own client (same version); any docker CLI that negotiates API 1.41 works.
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
command -v "$DOCKER" >/dev/null 2>&1 || die "no docker client on PATH"
[ "$(id -u)" = 0 ] || die "dockerd needs root (run as root, as CI does)"

mkdir -p "$DIR"
chmod 0711 "$DIR"

# alive PID: running and not a zombie (this machine's init may leave orphans unreaped for a while,
# and `kill -0` succeeds on a zombie).
alive() {
  local state
  state=$(sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

engine_answers() { "$DOCKER" -H "$HOST" info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# The pid in the pid file is ours only if that process is a dockerd serving our socket.
our_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ "$cmd" == *dockerd*"--host $HOST"* ]] || return 1
  printf '%s\n' "$pid"
}

wait_ready() { # $1 = pid, $2 = start time (ns)
  local pid=$1 t0=$2 deadline=$(( $(date +%s) + TIMEOUT ))
  while :; do
    if engine_answers; then
      local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
      log "engine ready after ${ms} ms (pid $pid, $("$DOCKER" -H "$HOST" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
      return 0
    fi
    if ! alive "$pid"; then
      log "dockerd (pid $pid) exited; last lines of $LOG:"
      tail -n 25 "$LOG" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "engine did not answer within ${TIMEOUT}s; last lines of $LOG:"
      tail -n 25 "$LOG" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

if pid=$(our_pid); then
  log "reusing dockerd pid $pid ($DIR)"
  wait_ready "$pid" "$(date +%s%N)" || die "the running dockerd (pid $pid) does not answer; stop it with test/docker/stop-dockerd.sh"
  echo "export DOCKER_HOST=$HOST"
  exit 0
fi

# Stale leftovers from a dockerd that is gone (machine restarted, process killed).
rm -f "$PIDFILE" "$SOCK"
# A containerd or shims left by a killed dockerd (with their containers): stop them first.
DIFYCTL_STOP_QUIET=1 "$(dirname "$0")/stop-dockerd.sh" || true
# dockerd reuses the containerd named in exec/containerd/containerd.pid if that pid exists. A
# killed containerd can stay a zombie here (the machine's init does not reap it), which still
# "exists": dockerd then waits ~15 s for its socket and gives up. Drop the file unless that pid
# is a live containerd of ours.
CPIDFILE="$DIR/exec/containerd/containerd.pid"
if [ -s "$CPIDFILE" ]; then
  cpid=$(cat "$CPIDFILE" 2>/dev/null || true)
  ccmd=$( [[ "$cpid" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$cpid/cmdline" || true)
  if [[ "$ccmd" != *"containerd --config $DIR/exec/containerd"* ]]; then
    rm -f "$CPIDFILE"
  fi
fi

args=(
  --storage-driver=vfs
  --data-root="$DIR/data"
  --exec-root="$DIR/exec"
  --pidfile="$PIDFILE"
  --host "$HOST"
  --group root
  --log-level=warn
)
# dockerd needs iptables (NAT for published ports, bridge isolation). Debian's docker.io depends on
# the iptables package; if the binary or the kernel's netfilter is unusable, fall back to
# --iptables=false: bridge networks still work and ports published on 127.0.0.1 are still served
# by docker-proxy (the userland proxy), which is all the tests use.
if ! command -v iptables >/dev/null 2>&1 || ! iptables -t nat -L -n >/dev/null 2>&1; then
  log "iptables unusable here: starting dockerd with --iptables=false --ip-masq=false"
  args+=(--iptables=false --ip-masq=false)
fi
# shellcheck disable=SC2206
[ -n "${DIFYCTL_DOCKERD_EXTRA_ARGS:-}" ] && args+=(${DIFYCTL_DOCKERD_EXTRA_ARGS})

t0=$(date +%s%N)
{
  printf '\n=== %s start-dockerd: dockerd %s\n' "$(date -Is)" "${args[*]}"
} >>"$LOG"
# setsid: its own session, so the caller's job control or Ctrl-C does not take it down; stdin from
# /dev/null and stdout/stderr to the log, so it holds no pipe of the caller open.
setsid dockerd "${args[@]}" </dev/null >>"$LOG" 2>&1 &
pid=$!
log "started dockerd pid $pid, log $LOG"
wait_ready "$pid" "$t0" || die "dockerd did not become ready"
echo "export DOCKER_HOST=$HOST"
