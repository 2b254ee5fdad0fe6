#!/usr/bin/env bash
# Stop the private Docker engine started by start-dockerd.sh (by its pid file, nothing else).
#
#   test/docker/stop-dockerd.sh            # stop; keep images and containers in the data root
#   test/docker/stop-dockerd.sh --purge    # stop, then delete the whole state dir
#
# TERM, wait (bounded: dockerd itself gives running containers up to 10 s to stop), then KILL.
# If dockerd had to be killed, the containerd it started and that containerd's shims (found by our
# exec-root in their command line) are stopped too, so nothing of ours is left behind.
set -euo pipefail

DIR=${DIFYCTL_DOCKERD_DIR:-/tmp/difyctl-dockerd}
PIDFILE="$DIR/dockerd.pid"
SOCK="$DIR/docker.sock"
WAIT=${DIFYCTL_DOCKERD_STOP_TIMEOUT:-30}
PURGE=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "stop-dockerd: unknown argument: $a" >&2; exit 2 ;;
  esac
done

log() { printf 'stop-dockerd: %s\n' "$*" >&2; }

cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

# alive PID: running and not a zombie. (The init of these machines does not always reap orphans
# at once, and `kill -0` succeeds on a zombie.)
alive() {
  local state
  state=$(sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# stop_pid PID SECONDS: TERM, poll until gone, then KILL.
stop_pid() {
  local pid=$1 secs=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid still running after ${secs}s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid survived KILL"
  return 1
}

# Processes whose command line names our exec root: the managed containerd and its shims.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    case "$(cmdline "$p")" in
      *"$DIR/exec/containerd"*) alive "$p" && echo "$p" ;;
    esac
  done
}

stopped=0
if [ -s "$PIDFILE" ]; then
  pid=$(cat "$PIDFILE")
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && [[ "$(cmdline "$pid")" == *dockerd*"--host unix://$SOCK"* ]]; then
    t0=$(date +%s%N)
    stop_pid "$pid" "$WAIT" || true
    log "dockerd pid $pid stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    stopped=1
  else
    [ -n "${DIFYCTL_STOP_QUIET:-}" ] || log "pid file $PIDFILE names no running dockerd of ours (stale): nothing to stop"
  fi
else
  [ -n "${DIFYCTL_STOP_QUIET:-}" ] || log "no pid file at $PIDFILE: no dockerd of ours runs"
fi

# A dockerd that exits cleanly stops its containerd; one that was killed (or whose session ended)
# leaves containerd and its shims running, with the containers under them.
if [ "$stopped" = 1 ]; then
  for ((i = 0; i < 30; i++)); do
    [ -z "$(leftovers)" ] && break
    sleep 0.1
  done
fi
for p in $(leftovers); do
  log "stopping leftover pid $p: $(cmdline "$p" | cut -c1-100)"
  case "$(cmdline "$p")" in
    *containerd-shim*)
      alive "$p" || continue
      # A shim's children are containers' init processes: KILL them (that ends each container's
      # whole pid namespace), then the shim, which does not exit on TERM.
      for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
      kill -KILL "$p" 2>/dev/null || true ;;
    *) stop_pid "$p" 10 || true ;;
  esac
done

rm -f "$PIDFILE" "$SOCK"

if [ "$PURGE" = 1 ]; then
  # Unmount anything still mounted under the state dir (netns files, shm), deepest first.
  awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$DIR"
  log "purged $DIR"
fi
exit 0
