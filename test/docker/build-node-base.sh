#!/usr/bin/env bash
# A local Node.js base image for deploy/Dockerfile, without any registry (nothing can be pulled on
# these machines): this host's node binary, the shared libraries ldd lists for it, static busybox as
# /bin/sh, the CA bundle, and users root and node (uid 1000, as in the official node images), loaded
# with `docker import`.
#
#   test/docker/build-node-base.sh [TAG]     # default difyctl-node-base:20; kept when its recipe matches
#
# Then: NODE_IMAGE=difyctl-node-base:20 deploy/build-image.sh. Needs DOCKER_HOST at an engine,
# busybox-static, ca-certificates.
set -euo pipefail
TAG=${1:-difyctl-node-base:20}
NODE=$(command -v node)
BUSYBOX=/bin/busybox
LABEL_KEY=com.difyctl.image-recipe
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker

die() { printf 'build-node-base: %s\n' "$*" >&2; exit 1; }
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST:-the default socket}"
"$BUSYBOX" --list >/dev/null 2>&1 || die "$BUSYBOX missing: apt-get install busybox-static"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is not static: apt-get install busybox-static"

RECIPE=$( { cat "$0"; "$NODE" --version; sha256sum "$NODE"; } | sha256sum | cut -c1-16)
if [ "$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$TAG" 2>/dev/null || true)" = "$RECIPE" ]; then
  printf 'build-node-base: %s is up to date\n' "$TAG" >&2
  exit 0
fi

ROOT=$(mktemp -d /tmp/difyctl-node-base.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/usr/{bin,lib,lib64} "$ROOT"/etc/ssl/certs "$ROOT"/tmp "$ROOT"/home/node "$ROOT"/root \
  "$ROOT"/dev "$ROOT"/proc "$ROOT"/sys
for d in bin lib lib64; do ln -s "usr/$d" "$ROOT/$d"; done
chmod 0755 "$ROOT"
chmod 1777 "$ROOT/tmp"
put() { mkdir -p "$ROOT$(dirname "$2")" && cp -L "$1" "$ROOT$2"; }
put "$NODE" /usr/bin/node
libs=$(ldd "$NODE" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
for lib in $libs; do put "$lib" "$lib"; done
# The rest of glibc that native addons link (librt: @node-rs/argon2, usearch) and name lookups use.
LIBDIR=$(dirname "$(ldd "$NODE" | awk '$1 == "libc.so.6" { print $3 }')")
for lib in librt.so.1 libresolv.so.2 libutil.so.1 libanl.so.1 libnss_files.so.2 libnss_dns.so.2; do
  if [ -e "$LIBDIR/$lib" ]; then put "$LIBDIR/$lib" "$LIBDIR/$lib"; fi
done
put "$BUSYBOX" /usr/bin/busybox
ln -s busybox "$ROOT/usr/bin/sh"
[ -f /etc/ssl/certs/ca-certificates.crt ] && put /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$ROOT/etc/group"
printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$ROOT/etc/nsswitch.conf"
chown 1000:1000 "$ROOT/home/node"
tar --numeric-owner -C "$ROOT" -cf - . |
  "$DOCKER" import --change "LABEL $LABEL_KEY=$RECIPE" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'CMD ["node"]' -m "difyctl local node base" - "$TAG" >/dev/null
printf 'build-node-base: imported %s\n' "$TAG" >&2
