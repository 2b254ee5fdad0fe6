#!/usr/bin/env bash
# Build the local images difyctl's Docker tests use, without any registry.
#
#   test/docker/build-images.sh [--force] [--no-verify] [--only postgres|redis]
#
# No registry is reachable on these machines, so `docker pull` can never work. Each image is a
# root filesystem assembled from this machine's Debian packages and loaded with `docker import`,
# tagged with the names Dify's compose files use, so difyctl finds them present and never pulls:
#
#   postgres:15-alpine   Debian postgresql-15 + busybox + an official-image-style entrypoint
#   redis:6-alpine       Debian redis-server/redis-cli (7.0) + busybox + entrypoint
#
# (Both fixtures in shared/fixtures/dify, docker-compose.yaml and docker-compose-0.15.yaml, use
# exactly these two names for their db/db_postgres and redis services.)
#
# Needs: a Docker engine at DOCKER_HOST (test/docker/start-dockerd.sh) and the Debian packages
# postgresql-15, redis-server (redis-tools), busybox-static, util-linux (setpriv), tzdata.
# Idempotent: an image whose recipe label matches this script and the installed package versions
# is kept; --force rebuilds. After building, each image is verified (unless --no-verify): a
# container published on 127.0.0.1 answers a real login / PING with a password, and the compose
# healthcheck commands of both fixtures succeed inside it.
#
# Environment: DIFYCTL_POSTGRES_TAGS, DIFYCTL_REDIS_TAGS (space-separated) override the tags.
set -euo pipefail

FORCE=0 VERIFY=1 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --no-verify) VERIFY=0 ;;
    --only) ONLY=${2:?--only needs postgres or redis}; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "build-images: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

read -r -a PG_TAGS <<<"${DIFYCTL_POSTGRES_TAGS:-postgres:15-alpine}"
read -r -a REDIS_TAGS <<<"${DIFYCTL_REDIS_TAGS:-redis:6-alpine}"
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_LIB=/usr/lib/postgresql/$PG_MAJOR/lib
PG_SHARE=/usr/share/postgresql/$PG_MAJOR
BUSYBOX=/bin/busybox
LABEL_KEY=com.difyctl.image-recipe

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker # the engine's own client (20.10)
command -v "$DOCKER" >/dev/null || die "no docker client"
"$DOCKER" info --format '{{.ServerVersion}}' >/dev/null 2>&1 ||
  die "no Docker engine answers at ${DOCKER_HOST:-the default socket}: run test/docker/start-dockerd.sh and export its DOCKER_HOST"

for f in "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_isready" "$PG_BIN/psql"; do
  [ -x "$f" ] || die "$f missing: apt-get install postgresql-$PG_MAJOR"
done
for f in /usr/bin/redis-server /usr/bin/redis-cli; do
  [ -x "$f" ] || die "$f missing: apt-get install redis-server"
done
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list >/dev/null 2>&1 || die "$BUSYBOX missing: apt-get install busybox-static"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is not static: apt-get install busybox-static"
command -v setpriv >/dev/null || die "setpriv missing (util-linux)"
[ -f /usr/share/zoneinfo/UTC ] || die "/usr/share/zoneinfo missing: apt-get install tzdata"

# The recipe: this script plus the versions of what it copies. A change of either rebuilds.
pkg_versions=$(dpkg-query -W -f '${Package}=${Version}\n' "postgresql-$PG_MAJOR" redis-server redis-tools busybox-static util-linux libc6 2>/dev/null || true)
RECIPE=$( { cat "$0"; echo "$pkg_versions"; } | sha256sum | cut -c1-16)

# One build at a time per engine (several engineers or test runs may call this at once).
LOCK="/tmp/difyctl-build-images.$(printf '%s' "${DOCKER_HOST:-default}" | sha256sum | cut -c1-12).lock"
exec 9>"$LOCK"
if ! flock -n 9; then
  log "another build-images.sh runs against this engine: waiting for it (up to 10 min)"
  flock -w 600 9 || die "timed out waiting for $LOCK"
fi

WORK=$(mktemp -d /tmp/difyctl-images.XXXXXX)
VERIFY_CONTAINERS=() VERIFY_NETWORKS=()
cleanup() {
  local c
  for c in "${VERIFY_CONTAINERS[@]}"; do "$DOCKER" rm -f -v "$c" >/dev/null 2>&1 || true; done
  for c in "${VERIFY_NETWORKS[@]}"; do "$DOCKER" network rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Root filesystem helpers

# new_root DIR: an empty usr-merged tree (/bin, /sbin, /lib, /lib64 are relative symlinks into
# /usr, as on Debian 12), so libraries land where ldd says whichever spelling it uses.
new_root() {
  local r=$1
  mkdir -p "$r"/usr/{bin,sbin,lib,lib64} "$r"/usr/local/bin "$r"/etc "$r"/tmp "$r"/var/run "$r"/root \
    "$r"/dev "$r"/proc "$r"/sys
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  ln -s usr/lib "$r/lib"
  ln -s usr/lib64 "$r/lib64"
  chmod 1777 "$r/tmp"
  chmod 0700 "$r/root"
}

# put ROOT SRC [DEST]: copy a file (dereferenced) into the tree. --remove-destination: never write
# through a symlink already in the tree (which could point at a host file).
put() {
  local r=$1 src=$2 dst=${3:-$2}
  mkdir -p "$r$(dirname "$dst")"
  cp -L --remove-destination --preserve=mode "$src" "$r$dst"
}

# put_libs ROOT FILE...: every shared library ldd lists for the files, at the path ldd prints.
put_libs() {
  local r=$1; shift
  local lib
  # (Outputs are captured, never piped into grep -q: with pipefail, grep -q's early exit can make
  # the writer die of SIGPIPE and the pipeline "fail" at random.)
  local out
  out=$(ldd "$@" 2>/dev/null || true)
  if [[ "$out" == *"not found"* ]]; then
    grep -B50 'not found' <<<"$out" >&2
    die "unresolved libraries (see above)"
  fi
  while read -r lib; do
    [ -n "$lib" ] && [ -e "$r$lib" ] || put "$r" "$lib"
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' <<<"$out" | sort -u)
}

# put_busybox ROOT: static busybox with a symlink per applet, only for names that no real program
# in the tree has (in any bin dir: busybox's own setpriv, say, must not shadow util-linux's).
put_busybox() {
  local r=$1 a d taken
  put "$r" "$BUSYBOX" /usr/bin/busybox
  while read -r a; do
    [ -n "$a" ] || continue
    taken=0
    for d in usr/bin usr/sbin usr/local/bin usr/local/sbin; do
      if [ -e "$r/$d/${a##*/}" ] || [ -L "$r/$d/${a##*/}" ]; then taken=1; break; fi
    done
    [ "$taken" = 1 ] || ln -s /usr/bin/busybox "$r/$a"
  done < <("$BUSYBOX" --list-full)
}

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# put_common_etc ROOT [full]: nsswitch, ld.so.conf, UTC as local time, and zoneinfo: UTC only, or
# with "full" every zone (2 MB without right/ and posix/: a Dify .env may set any TZ / timezone).
put_common_etc() {
  local r=$1 zones=${2:-}
  printf 'hosts: files dns\npasswd: files\ngroup: files\nshadow: files\n' >"$r/etc/nsswitch.conf"
  printf '/usr/local/lib\n/usr/lib/x86_64-linux-gnu\n' >"$r/etc/ld.so.conf"
  mkdir -p "$r/usr/share/zoneinfo/Etc"
  if [ "$zones" = full ]; then
    (cd /usr/share/zoneinfo && tar --exclude=./right --exclude=./posix -cf - .) | tar -C "$r/usr/share/zoneinfo" -xf -
  else
    put "$r" /usr/share/zoneinfo/UTC
    ln -s ../UTC "$r/usr/share/zoneinfo/Etc/UTC"
  fi
  ln -s ../usr/share/zoneinfo/UTC "$r/etc/localtime"
  echo UTC >"$r/etc/timezone"
  : >"$r/etc/hosts"
  : >"$r/etc/resolv.conf"
}

finish_root() {
  local r=$1
  ldconfig -r "$r" 2>/dev/null || log "ldconfig -r failed (the loader's default paths still apply)"
}

# import_image ROOT NAME TAGS... -- CHANGES...: tar the tree into `docker import --change ...`
# and tag it with every name. Engine 20.10's import/commit accept only CMD, ENTRYPOINT, ENV, EXPOSE,
# LABEL, ONBUILD, USER, VOLUME and WORKDIR; a change of another kind (STOPSIGNAL) is applied by a
# one-line `docker build` FROM the imported image (classic builder: it never pulls a local image).
import_image() {
  local r=$1 name=$2; shift 2
  local tags=() changes=() extra=() c
  while [ $# -gt 0 ] && [ "$1" != -- ]; do tags+=("$1"); shift; done
  shift
  for c in "$@"; do
    case "$c" in
      STOPSIGNAL*|HEALTHCHECK*) extra+=("$c") ;;
      *) changes+=(--change "$c") ;;
    esac
  done
  changes+=(--change "LABEL $LABEL_KEY=$RECIPE" --change "LABEL com.difyctl.local-image=$name")
  local id t
  id=$(tar --numeric-owner -C "$r" -cf - . | "$DOCKER" import "${changes[@]}" -m "difyctl local $name image" -)
  if [ ${#extra[@]} -gt 0 ]; then
    local targs=()
    for t in "${tags[@]}"; do targs+=(-t "$t"); done
    printf 'FROM %s\n%s\n' "$id" "$(printf '%s\n' "${extra[@]}")" |
      DOCKER_BUILDKIT=0 "$DOCKER" build -q "${targs[@]}" - >/dev/null
    id=$("$DOCKER" image inspect --format '{{.Id}}' "${tags[0]}")
  else
    for t in "${tags[@]}"; do "$DOCKER" tag "$id" "$t"; done
  fi
  log "imported ${tags[*]} ($id)"
}

# needs_build TAG...: 0 if any tag is missing, stale, or --force.
needs_build() {
  local t label
  [ "$FORCE" = 1 ] && return 0
  for t in "$@"; do
    label=$("$DOCKER" image inspect --format "{{index .Config.Labels \"$LABEL_KEY\"}}" "$t" 2>/dev/null) || return 0
    if [ "$label" != "$RECIPE" ]; then
      log "$t exists but was built by another recipe ($label, now $RECIPE): rebuilding"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# redis

build_redis() {
  local r="$WORK/redis"
  new_root "$r"
  put "$r" /usr/bin/redis-server
  put "$r" /usr/bin/redis-cli
  ln -s redis-server "$r/usr/bin/redis-check-aof"
  ln -s redis-server "$r/usr/bin/redis-check-rdb"
  put "$r" "$(command -v setpriv)" /usr/bin/setpriv
  put_libs "$r" /usr/bin/redis-server /usr/bin/redis-cli "$(command -v setpriv)"
  put_busybox "$r"
  put_common_etc "$r"
  # The official Alpine image's user: redis uid 999, group redis gid 1000.
  printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:1000:redis:/data:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nredis:x:1000:redis\nnogroup:x:65534:\n' >"$r/etc/group"
  mkdir -p "$r/data"
  chown 999:1000 "$r/data"
  cat >"$r/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Entrypoint with the official redis image's contract: `docker run IMAGE --opt` runs
# redis-server with those options; as root it makes /data (the working dir) the redis user's and
# drops privileges.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
  exec /usr/bin/setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
  # The official image builds redis with protected mode off by default; Debian's binary has it
  # on, which refuses password-less clients that come through a published port. Turn it off the
  # same way, before the user's own options so that theirs win (after a config file, if given).
  shift
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    conf=$1; shift
    set -- redis-server "$conf" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
fi
um=$(umask)
[ "$um" = 0022 ] && umask 0077
exec "$@"
EOF
  chmod 0755 "$r/usr/local/bin/docker-entrypoint.sh"
  finish_root "$r"
  import_image "$r" redis "${REDIS_TAGS[@]}" -- \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'WORKDIR /data' \
    'VOLUME /data' \
    'EXPOSE 6379' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["redis-server"]'
}

# ---------------------------------------------------------------------------------------------
# postgres

build_postgres() {
  local r="$WORK/postgres" f
  new_root "$r"
  mkdir -p "$r$PG_BIN" "$r$PG_LIB" "$r$(dirname "$PG_SHARE")"
  cp -a "$PG_BIN/." "$r$PG_BIN/"
  # Server modules, without the LLVM JIT (libLLVM alone is ~100 MB; without llvmjit.so the server
  # simply runs with JIT unavailable) and without the build-time pgxs tree.
  (cd "$PG_LIB" && tar --exclude='./llvmjit*' --exclude=./bitcode --exclude=./pgxs -cf - .) | tar -C "$r$PG_LIB" -xf -
  (cd "$(dirname "$PG_SHARE")" && tar --exclude="./$PG_MAJOR/man" -cf - "./$PG_MAJOR") | tar -C "$r$(dirname "$PG_SHARE")" -xf -
  local elfs=()
  for f in "$r$PG_BIN"/* "$r$PG_LIB"/*.so; do
    [ -L "$f" ] && continue
    is_elf "$f" && elfs+=("${f#"$r"}")
  done
  put "$r" "$(command -v setpriv)" /usr/bin/setpriv
  put_libs "$r" "${elfs[@]}" "$(command -v setpriv)"
  put_busybox "$r"
  put_common_etc "$r" full
  # The official Alpine image's user: postgres uid 70, gid 70.
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:70:70:PostgreSQL:/var/lib/postgresql:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\npostgres:x:70:postgres\nnogroup:x:65534:\n' >"$r/etc/group"
  mkdir -p "$r/var/lib/postgresql/data" "$r/var/run/postgresql" "$r/docker-entrypoint-initdb.d"
  chown -R 70:70 "$r/var/lib/postgresql" "$r/var/run/postgresql"
  chmod 0777 "$r/var/lib/postgresql/data"
  chmod 3777 "$r/var/run/postgresql"
  cat >"$r/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Entrypoint with the official postgres image's contract (the parts Dify and difyctl rely on):
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (postgres),
#   POSTGRES_DB (= POSTGRES_USER), PGDATA (/var/lib/postgresql/data), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (scram-sha-256), /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz.
# initdb runs only when PGDATA holds no cluster. Extra args (`postgres -c max_connections=100 ...`
# or just `-c ...`) go to the server. As root it fixes ownership and drops to the postgres user.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_PASSWORD:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${POSTGRES_INITDB_ARGS:=}"

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" 2>/dev/null || true
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' + 2>/dev/null || true
  mkdir -p /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 03775 /var/run/postgresql
  exec /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
       Or set POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password.
MSG
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" 2>/dev/null || true
  pwfile=
  if [ -n "$POSTGRES_PASSWORD" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  fi
  # --no-sync (a test image's only departure from the official flags): skipping the fsync of the
  # brand-new cluster saves about a second per fresh container here; the server still fsyncs.
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" ${pwfile:+--pwfile="$pwfile"} \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --no-locale -E UTF8 --no-sync $POSTGRES_INITDB_ARGS -D "$PGDATA"
  [ -n "$pwfile" ] && rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # A temporary server for setup: no TCP, and its socket in a private dir, so that neither
  # clients nor a pg_isready healthcheck see it as the real server.
  sockdir=$(mktemp -d)
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$sockdir" start
  psql_() { psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password -h "$sockdir" --username "$POSTGRES_USER" "$@"; }
  if [ "$POSTGRES_DB" != postgres ]; then
    psql_ --dbname postgres --set db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db" ;
SQL
  fi
  # Init scripts written for the official image run psql without -h: point them at this socket.
  export PGHOST="$sockdir"
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; . "$f"; fi ;;
      *.sql) echo "running $f"; psql_ --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | psql_ --dbname "$POSTGRES_DB" ;;
      *) echo "ignoring $f" ;;
    esac
  done
  unset PGHOST
  pg_ctl -D "$PGDATA" -m fast -w stop
  rmdir "$sockdir" 2>/dev/null || true
  echo
  echo 'PostgreSQL init process complete; ready for start up.'
  echo
else
  echo
  echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  echo
fi

exec "$@"
EOF
  chmod 0755 "$r/usr/local/bin/docker-entrypoint.sh"
  ln -s usr/local/bin/docker-entrypoint.sh "$r/docker-entrypoint.sh"
  finish_root "$r"
  import_image "$r" postgres "${PG_TAGS[@]}" -- \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PG_BIN" \
    "ENV PG_MAJOR=$PG_MAJOR" \
    'ENV PGDATA=/var/lib/postgresql/data' \
    'VOLUME /var/lib/postgresql/data' \
    'EXPOSE 5432' \
    'STOPSIGNAL SIGINT' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["postgres"]'
}

# ---------------------------------------------------------------------------------------------
# verification: only through ports published on 127.0.0.1

host_port() { # CONTAINER PORT/tcp -> the 127.0.0.1 port docker chose
  "$DOCKER" port "$1" "$2" | awk -F: '/^127\.0\.0\.1:/ { print $2; exit }'
}

# poll CMD...: every 100 ms, up to 30 s.
poll() {
  local deadline=$(( $(date +%s) + 30 ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

verify_redis() {
  local tag=$1 name="difyctl-verify-redis-$$" port t0 ms
  VERIFY_CONTAINERS+=("$name")
  t0=$(now_ms)
  # As Dify's compose runs it: command redis-server --requirepass ..., REDISCLI_AUTH in the env.
  "$DOCKER" run -d --name "$name" --label com.difyctl.test=1 -p 127.0.0.1::6379 \
    -e REDISCLI_AUTH=verify-pw "$tag" redis-server --requirepass verify-pw >/dev/null
  port=$(host_port "$name" 6379/tcp)
  [ -n "$port" ] || { "$DOCKER" logs "$name" >&2 || true; die "$tag: no port published on 127.0.0.1 (container not running?)"; }
  rping() { [ "$(redis-cli -h 127.0.0.1 -p "$port" --no-auth-warning "$@" ping 2>/dev/null)" = PONG ]; }
  poll rping -a verify-pw || { "$DOCKER" logs "$name" >&2; die "$tag: no PONG on 127.0.0.1:$port"; }
  ms=$(( $(now_ms) - t0 ))
  local out
  out=$(redis-cli -h 127.0.0.1 -p "$port" ping 2>&1 || true)
  [[ "$out" == *NOAUTH* ]] || die "$tag: answers without the password ($out)"
  # Healthchecks of docker-compose.yaml (CMD-SHELL) and docker-compose-0.15.yaml (CMD), run as
  # docker runs them (inside the container, its environment: REDISCLI_AUTH).
  "$DOCKER" exec "$name" sh -c 'redis-cli -a verify-pw ping 2>/dev/null | grep -q PONG' || die "$tag: compose healthcheck (redis-cli -a ... | grep) fails"
  out=$("$DOCKER" exec "$name" redis-cli ping 2>&1 || true)
  [[ "$out" == *PONG* ]] || die "$tag: compose-0.15 healthcheck (redis-cli ping) fails: $out"
  [ "$("$DOCKER" exec "$name" stat -c %U /proc/1)" = redis ] || die "$tag: redis-server does not run as the redis user"
  log "verified $tag: PONG with password on 127.0.0.1:$port after ${ms} ms; both compose healthchecks pass"
}

verify_postgres() {
  local tag=$1 name="difyctl-verify-postgres-$$" net="difyctl-verify-$$" port t0 ms
  "$DOCKER" network create --label com.difyctl.test=1 "$net" >/dev/null
  VERIFY_NETWORKS+=("$net")
  VERIFY_CONTAINERS+=("$name")
  t0=$(now_ms)
  # As docker-compose.yaml runs db_postgres (env, command, PGDATA below the volume).
  "$DOCKER" run -d --name "$name" --label com.difyctl.test=1 -p 127.0.0.1::5432 \
    --network "$net" --network-alias db_postgres --network-alias db \
    -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD=verify-pw -e POSTGRES_DB=dify \
    -e PGDATA=/var/lib/postgresql/data/pgdata -e PGUSER=postgres \
    "$tag" postgres -c 'max_connections=100' -c 'shared_buffers=128MB' -c 'work_mem=4MB' \
    -c 'maintenance_work_mem=64MB' -c 'effective_cache_size=4096MB' -c 'statement_timeout=0' \
    -c 'idle_in_transaction_session_timeout=0' >/dev/null
  port=$(host_port "$name" 5432/tcp)
  [ -n "$port" ] || { "$DOCKER" logs "$name" >&2 || true; die "$tag: no port published on 127.0.0.1 (container not running?)"; }
  login() { [ "$(PGPASSWORD=verify-pw PGCONNECT_TIMEOUT=2 psql -h 127.0.0.1 -p "$port" -U postgres -d dify -XAtc 'SELECT 1' 2>/dev/null)" = 1 ]; }
  poll login || { "$DOCKER" logs "$name" >&2; die "$tag: no login on 127.0.0.1:$port"; }
  ms=$(( $(now_ms) - t0 ))
  if PGPASSWORD=wrong psql -h 127.0.0.1 -p "$port" -U postgres -d dify -XAtc 'SELECT 1' >/dev/null 2>&1; then
    die "$tag: accepts a wrong password"
  fi
  [ "$(PGPASSWORD=verify-pw psql -h 127.0.0.1 -p "$port" -U postgres -d dify -XAtc 'SHOW max_connections')" = 100 ] ||
    die "$tag: the command's -c options were not applied"
  # Healthchecks of docker-compose.yaml and docker-compose-0.15.yaml.
  "$DOCKER" exec "$name" pg_isready -h db_postgres -U postgres -d dify >/dev/null || die "$tag: compose healthcheck (pg_isready -h db_postgres ...) fails"
  "$DOCKER" exec "$name" pg_isready >/dev/null || die "$tag: compose-0.15 healthcheck (pg_isready) fails"
  [ "$("$DOCKER" exec "$name" stat -c %U /proc/1)" = postgres ] || die "$tag: postgres does not run as the postgres user"
  # A restart must keep the data and skip initdb.
  "$DOCKER" restart "$name" >/dev/null
  port=$(host_port "$name" 5432/tcp)
  poll login || { "$DOCKER" logs "$name" >&2; die "$tag: no login after restart"; }
  local logs
  logs=$("$DOCKER" logs "$name" 2>&1)
  [[ "$logs" == *"Skipping initialization"* ]] || die "$tag: restart re-ran initialization"
  log "verified $tag: login + SELECT 1 on 127.0.0.1:$port after ${ms} ms; both compose healthcheck forms pass; restart keeps data"
}

# ---------------------------------------------------------------------------------------------

size_of() { "$DOCKER" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1000000 }'; }

built=()
run_one() { # NAME BUILD_FN VERIFY_FN TAGS...
  local name=$1 build=$2 verify=$3; shift 3
  local t0
  if needs_build "$@"; then
    t0=$(now_ms)
    local old t
    old=$(for t in "$@"; do "$DOCKER" image inspect --format '{{.Id}}' "$t" 2>/dev/null || true; done | sort -u)
    "$build"
    # Drop the images these tags named before (unless a container still uses one).
    for t in $old; do
      [ "$("$DOCKER" image inspect --format '{{len .RepoTags}}' "$t" 2>/dev/null)" = 0 ] &&
        { "$DOCKER" rmi "$t" >/dev/null 2>&1 || true; }
    done
    built+=("$name")
    log "built $name in $(( $(now_ms) - t0 )) ms"
  else
    log "$* present (recipe $RECIPE): skipped (--force rebuilds)"
  fi
  if [ "$VERIFY" = 1 ]; then "$verify" "$1"; fi
  printf '%s\t%s\t%s\n' "$*" "$(size_of "$1")" "$( [[ " ${built[*]} " == *" $name "* ]] && echo built || echo kept)"
}

[ -z "$ONLY" ] || [ "$ONLY" = redis ] || [ "$ONLY" = postgres ] || die "--only takes postgres or redis"
[ -z "$ONLY" ] || [ "$ONLY" = redis ] && run_one redis build_redis verify_redis "${REDIS_TAGS[@]}"
[ -z "$ONLY" ] || [ "$ONLY" = postgres ] && run_one postgres build_postgres verify_postgres "${PG_TAGS[@]}"
exit 0
