#!/usr/bin/env bash
# Install nostr-rs-relay (a production Nostr relay) into a cached tool root so the
# `relay_real` integration tests can run against it. Idempotent: skips the build when the
# binary is already present. Prints the binary path on stdout (last line).
#
#   FREEPORT_CACHE   cache root (default: $HOME/.cache/freeport)
#   NOSTR_RS_RELAY_VERSION  optional exact version to install (default: latest on crates.io)
set -euo pipefail

cache="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
root="$cache/tools"
bin="$root/bin/nostr-rs-relay"

if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi

if ! command -v protoc >/dev/null 2>&1; then
    echo "protoc not found; installing protobuf-compiler" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y protobuf-compiler >&2
    else
        sudo apt-get install -y protobuf-compiler >&2
    fi
fi

mkdir -p "$root"
version_args=()
if [ -n "${NOSTR_RS_RELAY_VERSION:-}" ]; then
    version_args=(--version "$NOSTR_RS_RELAY_VERSION")
fi
# Own target dir so the build never contends for a project target directory's lock.
# nostr-rs-relay 0.8.12's lockfile pins `time` 0.3.2x, which no longer compiles on Rust >= 1.80
# (E0282 in time's own code). If the locked build fails, retry letting cargo pick the newest
# semver-compatible dependencies (that is the fix upstream recommends for `time`).
export CARGO_TARGET_DIR="$cache/tools-build"
if ! cargo install --locked nostr-rs-relay "${version_args[@]}" --root "$root" >&2; then
    echo "locked build failed; retrying with updated semver-compatible dependencies" >&2
    cargo install nostr-rs-relay "${version_args[@]}" --root "$root" >&2
fi

if [ ! -x "$bin" ]; then
    echo "error: cargo install finished but $bin is missing" >&2
    exit 1
fi
echo "$bin"
