#!/usr/bin/env bash
# Make sure debian:bookworm-slim, which images/base (and so every service's image)
# and images/ec2-standin build FROM, exists in the local Docker engine.  Idempotent:
#   1. already present          -> nothing to do
#   2. else `docker pull` (60 s)  -> done if a registry is reachable
#   3. else build it from Debian's archive with debootstrap (needs root) and
#      `docker import` it under the same name.
# Environment: BASE_IMAGE (default debian:bookworm-slim),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

image="${BASE_IMAGE:-debian:bookworm-slim}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
suite=bookworm

log() { printf 'ensure-base-image: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker CLI not found"

if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image is present locally; nothing to do"
    exit 0
fi

log "$image not present; trying: docker pull $image (60 s timeout)"
if timeout 60 docker pull "$image"; then
    log "pulled $image"
    exit 0
fi

log "pull failed; building $image from $mirror with debootstrap"
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root (run as root, or make $image available otherwise)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (apt-get install debootstrap)"

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/foobar-rootfs.XXXXXX")"
cleanup() { rm -rf "$rootfs"; }
trap cleanup EXIT

log "debootstrap --variant=minbase $suite $rootfs $mirror"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror"

# Like the official image: updates + security sources, no apt lists or caches
# baked in (every Dockerfile runs apt-get update anyway).
cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log

log "importing $rootfs as $image"
tar --numeric-owner -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - "$image"
log "built $image ($(docker image inspect --format '{{.Size}}' "$image") bytes)"
