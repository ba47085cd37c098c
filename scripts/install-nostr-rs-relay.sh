#!/usr/bin/env bash
# Install nostr-rs-relay (a production Nostr relay) into a cached tool root so the
# `relay_real` integration tests can run against it. Idempotent: skips the build when the
# binary is already present. Prints the binary path on stdout (last line).
#
#   FREEPORT_CACHE   cache root (default: $HOME/.cache/freeport)
#   NOSTR_RS_RELAY_VERSION  exact version to install (default: 0.8.12)
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
# Pinned: the tests were written against this version's behaviour.
version="${NOSTR_RS_RELAY_VERSION:-0.8.12}"
# Own target dir so the build never contends for a project target directory's lock.
# Not `--locked`: 0.8.12's lockfile pins `time` 0.3.2x, which no longer compiles on Rust >= 1.80
# (E0282 in time's own code), so a locked build compiles for minutes and then fails; cargo's
# newest semver-compatible dependencies are the fix upstream recommends.
# A debug build: the tests push a few hundred events through it. Measured on 2 cores: 3.3 min;
# the earlier locked-then-unlocked release install took 8.9 min of a cold `scripts/test.sh`.
export CARGO_TARGET_DIR="$cache/tools-build"
cargo install --debug nostr-rs-relay --version "$version" --root "$root" >&2

if [ ! -x "$bin" ]; then
    echo "error: cargo install finished but $bin is missing" >&2
    exit 1
fi
echo "$bin"
