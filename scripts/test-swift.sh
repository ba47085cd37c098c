#!/usr/bin/env bash
# Build the core on the host, generate the Swift bindings and run `swift test` for
# ios/FreeportKit inside a Debian trixie chroot with Debian's swiftlang (6.0.3).
#
#   scripts/test-swift.sh [--release] [extra `swift test` args, e.g. --filter TypedErrorTests]
#
# The chroot is created on first use by scripts/setup-swift-chroot.sh in
# $FREEPORT_CACHE/swift-chroot (FREEPORT_CACHE defaults to $HOME/.cache/freeport) and reused.
# The repo and the directory holding libfreeport_core.so are bind-mounted into it for the run
# and unmounted afterwards. Needs root (chroot, mount). Respects CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[test-swift] %s\n' "$*" >&2; }

gen_args=(--swift-only)
if [[ "${1:-}" == "--release" ]]; then gen_args+=(--release); shift; fi

# Every user-visible string of the SwiftUI app is in the string catalog (no Xcode needed).
python3 "$ROOT/ios/tools/check-strings.py" >&2 || { log "error: strings missing from ios/Freeport/Resources/Localizable.xcstrings"; exit 1; }

lib="$("$ROOT/scripts/gen-bindings.sh" "${gen_args[@]}" | tail -n 1)"
libdir="$(cd "$(dirname "$lib")" && pwd)"
chroot_dir="$("$ROOT/scripts/setup-swift-chroot.sh" | tail -n 1)"

# Per-clone mount points, so two clones can share the chroot. The path must be the same on every
# run of a clone: SwiftPM's .build records absolute paths (module cache, PCH), and a new path
# makes the next build fail with "PCH was compiled with module cache path …". Runs of the same
# clone are serialised with a lock.
clone_id="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
run="/run-freeport-$clone_id"
exec 9>"$chroot_dir/.lock-$clone_id"
flock 9
repo_in="$run/repo"
lib_in="$run/lib"
mkdir -p "$chroot_dir$repo_in" "$chroot_dir$lib_in"

MOUNTS=()
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" || true
    done
    rmdir "$chroot_dir$repo_in" "$chroot_dir$lib_in" "$chroot_dir$run" 2>/dev/null || true
}
trap cleanup EXIT

bind() { mount --bind "$1" "$2"; MOUNTS+=("$2"); }
mountpoint -q "$chroot_dir/proc" || { mount -t proc proc "$chroot_dir/proc"; MOUNTS+=("$chroot_dir/proc"); }
mountpoint -q "$chroot_dir/dev" || { bind /dev "$chroot_dir/dev"; }
bind "$ROOT" "$chroot_dir$repo_in"
bind "$libdir" "$chroot_dir$lib_in"
mount -o remount,bind,ro "$chroot_dir$lib_in"

t0=$(date +%s)
log "swift test in $chroot_dir (lib: $libdir)"
chroot "$chroot_dir" /usr/bin/env -i \
    HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 LD_LIBRARY_PATH="$lib_in" \
    swift test --package-path "$repo_in/ios/FreeportKit" \
        -Xlinker -L"$lib_in" "$@"
log "swift test passed in $(( $(date +%s) - t0 ))s"
