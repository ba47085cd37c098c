#!/usr/bin/env bash
# Create (or reuse) a Debian trixie chroot with Debian's `swiftlang` package, used by
# scripts/test-swift.sh to build and test ios/FreeportKit on a Linux host.
#
#   scripts/setup-swift-chroot.sh            # create if missing, else reuse (prints the path)
#   scripts/setup-swift-chroot.sh --rebuild  # delete and recreate
#
# Location: $FREEPORT_CACHE/swift-chroot (FREEPORT_CACHE defaults to $HOME/.cache/freeport).
# Needs root (debootstrap, chroot, mount). About 3 GB on disk, ~1-5 minutes on a warm mirror.
# A marker file (.freeport-swift-ready) records a finished setup; a half-built chroot (no marker)
# is deleted and rebuilt on the next run.
set -euo pipefail

FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
CHROOT="${SWIFT_CHROOT:-$FREEPORT_CACHE/swift-chroot}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=trixie
MARKER="$CHROOT/.freeport-swift-ready"

log() { printf '[setup-swift-chroot] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--rebuild" ]]; then
    log "removing $CHROOT"
    # Never delete through a live bind mount.
    if findmnt -rn -o TARGET | grep -q "^$CHROOT/"; then
        log "error: something is still mounted under $CHROOT; unmount it first" >&2
        exit 1
    fi
    rm -rf --one-file-system "$CHROOT"
fi

if [[ -f "$MARKER" ]]; then
    log "reusing $CHROOT ($(cat "$MARKER"))"
    echo "$CHROOT"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    log "error: must run as root (debootstrap/chroot/mount)"
    exit 1
fi
for tool in debootstrap chroot mount umount findmnt; do
    command -v "$tool" >/dev/null || { log "error: '$tool' not found (apt-get install debootstrap)"; exit 1; }
done

# A previous run stopped half-way: start clean.
if [[ -d "$CHROOT" ]]; then
    if findmnt -rn -o TARGET | grep -q "^$CHROOT/"; then
        log "error: $CHROOT is half-built and still has mounts; unmount them first"
        exit 1
    fi
    log "removing unfinished chroot $CHROOT"
    rm -rf --one-file-system "$CHROOT"
fi
mkdir -p "$CHROOT"

MOUNTS=()
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" || true
    done
}
trap cleanup EXIT

start=$(date +%s)
log "debootstrap --variant=minbase $SUITE $CHROOT $MIRROR"
debootstrap --variant=minbase "$SUITE" "$CHROOT" "$MIRROR" >&2

mount -t proc proc "$CHROOT/proc"; MOUNTS+=("$CHROOT/proc")
mount --rbind /dev "$CHROOT/dev"; mount --make-rslave "$CHROOT/dev"; MOUNTS+=("$CHROOT/dev")
mount -t sysfs sysfs "$CHROOT/sys"; MOUNTS+=("$CHROOT/sys")
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"

log "apt-get install swiftlang (inside the chroot)"
chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c 'apt-get update -q && apt-get install -y -q --no-install-recommends swiftlang libc6-dev libstdc++-14-dev && apt-get clean' >&2

version=$(chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin swift --version 2>&1 | head -1)
log "installed: $version"
printf '%s; created %s in %ss\n' "$version" "$(date -u +%FT%TZ)" "$(($(date +%s) - start))" > "$MARKER"
echo "$CHROOT"
