#!/usr/bin/env bash
# Makes a Debian 12 base image with this machine's Node.js (node and npm) and CA bundle, for
# building the app image where no image registry is reachable: docker build --build-arg BASE_IMAGE=<name>.
# Usage: scripts/base-image.sh [NAME]   (default shipwatch/base:test; kept once made)
set -euo pipefail
NAME=${1:-shipwatch/base:test}
log() { echo "[base-image] $*" >&2; }

if docker image inspect "$NAME" >/dev/null 2>&1; then log "$NAME exists: reusing it"; exit 0; fi
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi
# The machine's own Debian mirror (deb822 sources, else the classic list).
MIRROR=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
[ -n "$MIRROR" ] || MIRROR=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
[ -n "$MIRROR" ] || { log "no Debian mirror found in /etc/apt"; exit 1; }

DIR=$(mktemp -d /tmp/shipwatch-base.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
log "debootstrap bookworm from $MIRROR (about a minute)"
debootstrap --variant=minbase bookworm "$DIR" "$MIRROR" >"$DIR.log" 2>&1 || { tail -20 "$DIR.log" >&2; exit 1; }
rm -f "$DIR.log"
NODE=$(readlink -f "$(command -v node)")
NPM_DIR=$(dirname "$(readlink -f "$(command -v npm)")")/..
cp "$NODE" "$DIR/usr/local/bin/node"
mkdir -p "$DIR/usr/local/lib/node_modules"
cp -a "$(readlink -f "$NPM_DIR")" "$DIR/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$DIR/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$DIR/usr/local/bin/npx"
# The machine's CA bundle: npm in the build reaches the registry through whatever TLS this machine trusts.
changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$DIR/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/certs/ca-certificates.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
fi
tar -C "$DIR" -c . | docker import "${changes[@]}" - "$NAME" >/dev/null
log "made $NAME ($(node -v))"
