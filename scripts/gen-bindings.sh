#!/usr/bin/env bash
# Build the Rust core and generate its UniFFI bindings in library mode.
#
#   scripts/gen-bindings.sh [--release] [--android] [--kotlin-only | --swift-only]
#
# Always: `cargo build -p freeport-core` (debug unless --release), then the in-workspace
# `uniffi-bindgen` reads the metadata embedded in libfreeport_core.so and writes
#   JVM Kotlin  -> tests/kotlin/src/main/kotlin/generated/        (config: uniffi.toml)
#   Swift       -> ios/FreeportKit/Sources/FreeportCore/FreeportCore.swift
#                  ios/FreeportKit/Sources/FreeportCoreFFI/include/{FreeportCoreFFI.h,module.modulemap}
# With --android, also
#   Android Kotlin -> android/core/src/main/java/generated/      (config: uniffi-android.toml)
# Generated code is not committed (.gitignore). Respects CARGO_TARGET_DIR.
# Prints the path of the built library on stdout (last line); logs go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

profile=debug
cargo_profile=()
android=0
kotlin=1
swift=1
for arg in "$@"; do
    case "$arg" in
        --release) profile=release; cargo_profile=(--release) ;;
        --android) android=1 ;;
        --kotlin-only) swift=0 ;;
        --swift-only) kotlin=0 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "gen-bindings: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

log() { printf '[gen-bindings] %s\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
lib="$target_dir/$profile/libfreeport_core.so"

t0=$(date +%s)
# One workspace build with the same feature unification as `cargo test --workspace` in
# scripts/test.sh: `-p freeport-core` / `-p uniffi-bindgen` alone would each resolve features
# differently and recompile most dependencies (minutes on a fresh CI machine).
log "cargo build --workspace ${cargo_profile[*]:-} (target dir $target_dir)"
cargo build -q --workspace "${cargo_profile[@]}" >&2
# The bindgen is a build tool: always the debug profile, shared with every other build.
if [[ ${#cargo_profile[@]} -gt 0 ]]; then cargo build -q --workspace >&2; fi
bindgen="$target_dir/debug/uniffi-bindgen"
[[ -f "$lib" ]] || { log "error: $lib was not built"; exit 1; }
t1=$(date +%s)

generate() { # language config out-dir
    "$bindgen" generate --library "$lib" --language "$1" --config "$2" \
        --out-dir "$3" --no-format --metadata-no-deps >&2
}

if (( kotlin )); then
    out=tests/kotlin/src/main/kotlin/generated
    rm -rf "$out"; mkdir -p "$out"
    generate kotlin uniffi.toml "$out"
    log "JVM Kotlin -> $out"
fi

if (( android )); then
    out=android/core/src/main/java/generated
    rm -rf "$out"; mkdir -p "$out"
    generate kotlin uniffi-android.toml "$out"
    log "Android Kotlin -> $out"
fi

if (( swift )); then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    generate swift uniffi.toml "$tmp"
    pkg=ios/FreeportKit/Sources
    mkdir -p "$pkg/FreeportCore" "$pkg/FreeportCoreFFI/include"
    # Darwin-only lines would break the Linux build; the generator emits them under
    # `#if canImport(...)` guards today, so nothing needs stripping — fail loudly if that changes.
    if grep -nE '^\s*import (Darwin|UIKit|AppKit)\s*$' "$tmp/FreeportCore.swift" >&2; then
        log "error: unguarded Darwin-only import in generated Swift; see docs/BINDINGS.md"
        exit 1
    fi
    cp "$tmp/FreeportCore.swift" "$pkg/FreeportCore/FreeportCore.swift"
    cp "$tmp/FreeportCoreFFI.h" "$pkg/FreeportCoreFFI/include/FreeportCoreFFI.h"
    # SwiftPM only picks up a module map named module.modulemap. The generator writes
    # `use "Darwin"` / `use "_Builtin_std*"` declarations, which name modules that do not exist
    # in the Linux toolchain; off Darwin they are dropped (they only matter under
    # -fmodules-decluse, which SwiftPM does not use).
    if [[ "$(uname -s)" == Darwin ]]; then
        cp "$tmp/FreeportCoreFFI.modulemap" "$pkg/FreeportCoreFFI/include/module.modulemap"
    else
        grep -vE '^\s*use "' "$tmp/FreeportCoreFFI.modulemap" > "$pkg/FreeportCoreFFI/include/module.modulemap"
    fi
    log "Swift -> $pkg/FreeportCore, $pkg/FreeportCoreFFI/include"
fi

log "build $((t1 - t0))s, generate $(( $(date +%s) - t1 ))s"
echo "$lib"
