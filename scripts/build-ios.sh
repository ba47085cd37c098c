#!/usr/bin/env bash
# Build the Rust core for iOS (device + simulator) and macOS, and package it as the XCFramework
# the Swift package uses on Apple platforms, with the generated header and module map.
#
#   scripts/build-ios.sh [--debug] [--no-macos] [--app]
#
# Output (not committed):
#   ios/FreeportKit/Artifacts/FreeportCoreFFI.xcframework   (slices: ios-arm64,
#       ios-arm64_x86_64-simulator, macos-arm64_x86_64 unless --no-macos)
#   ios/FreeportKit/Sources/FreeportCore/FreeportCore.swift  (generated Swift bindings)
# With --app, also runs XcodeGen and builds the app for the simulator with xcodebuild.
#
# Prerequisites (macOS only):
#   - Xcode 16 or newer (xcodebuild, lipo, iOS 17 SDK): `xcode-select --install` is not enough.
#   - Rust via rustup, with the targets:
#       rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#                         aarch64-apple-darwin x86_64-apple-darwin
#   - For --app: XcodeGen (`brew install xcodegen`).
# Respects CARGO_TARGET_DIR. IPHONEOS_DEPLOYMENT_TARGET defaults to 17.0 (the app's minimum).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[build-ios] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

profile=release
cargo_profile=(--release)
macos=1
app=0
for arg in "$@"; do
    case "$arg" in
        --debug) profile=debug; cargo_profile=() ;;
        --no-macos) macos=0 ;;
        --app) app=1 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) die "unknown argument '$arg'" ;;
    esac
done

[[ "$(uname -s)" == Darwin ]] || die "needs macOS with Xcode (the iOS SDK and xcodebuild exist only there)"
command -v xcodebuild >/dev/null || die "xcodebuild not found: install Xcode and run xcode-select -s /Applications/Xcode.app"
command -v rustup >/dev/null || die "rustup not found: https://rustup.rs"

ios_targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
mac_targets=(aarch64-apple-darwin x86_64-apple-darwin)
targets=("${ios_targets[@]}")
(( macos )) && targets+=("${mac_targets[@]}")
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || die "missing Rust target $t: rustup target add ${targets[*]}"
done

export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-17.0}"
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-14.0}"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"

t0=$(date +%s)
for t in "${targets[@]}"; do
    log "cargo build -p freeport-core --target $t ${cargo_profile[*]:-}"
    cargo build -q -p freeport-core --lib --target "$t" "${cargo_profile[@]}"
    [[ -f "$target_dir/$t/$profile/libfreeport_core.a" ]] || die "no static library for $t"
done
t1=$(date +%s)

# Swift bindings and the C header/module map, read from the host dylib's embedded metadata
# (same crate, same features, so the interface is identical on every target).
host="$(uname -m | sed 's/arm64/aarch64/')-apple-darwin"
cargo build -q -p freeport-core --lib --target "$host" "${cargo_profile[@]}"
cargo build -q -p uniffi-bindgen
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
"$target_dir/debug/uniffi-bindgen" generate --library "$target_dir/$host/$profile/libfreeport_core.dylib" \
    --language swift --config uniffi.toml --out-dir "$gen" --no-format --metadata-no-deps
pkg=ios/FreeportKit
mkdir -p "$pkg/Sources/FreeportCore" "$pkg/Sources/FreeportCoreFFI/include"
cp "$gen/FreeportCore.swift" "$pkg/Sources/FreeportCore/FreeportCore.swift"
cp "$gen/FreeportCoreFFI.h" "$pkg/Sources/FreeportCoreFFI/include/FreeportCoreFFI.h"
cp "$gen/FreeportCoreFFI.modulemap" "$pkg/Sources/FreeportCoreFFI/include/module.modulemap"

# XCFramework headers: the header and a module map named module.modulemap.
headers="$gen/headers"
mkdir -p "$headers"
cp "$gen/FreeportCoreFFI.h" "$headers/"
cp "$gen/FreeportCoreFFI.modulemap" "$headers/module.modulemap"

# One library per platform variant: the two simulator architectures are merged with lipo.
fat="$gen/fat"
mkdir -p "$fat/ios-sim" "$fat/macos"
lipo -create "$target_dir/aarch64-apple-ios-sim/$profile/libfreeport_core.a" \
             "$target_dir/x86_64-apple-ios/$profile/libfreeport_core.a" \
     -output "$fat/ios-sim/libfreeport_core.a"
args=(-library "$target_dir/aarch64-apple-ios/$profile/libfreeport_core.a" -headers "$headers"
      -library "$fat/ios-sim/libfreeport_core.a" -headers "$headers")
if (( macos )); then
    lipo -create "$target_dir/aarch64-apple-darwin/$profile/libfreeport_core.a" \
                 "$target_dir/x86_64-apple-darwin/$profile/libfreeport_core.a" \
         -output "$fat/macos/libfreeport_core.a"
    args+=(-library "$fat/macos/libfreeport_core.a" -headers "$headers")
fi
out="$pkg/Artifacts/FreeportCoreFFI.xcframework"
rm -rf "$out"
mkdir -p "$pkg/Artifacts"
xcodebuild -create-xcframework "${args[@]}" -output "$out" >&2
log "XCFramework -> $out (rust $((t1 - t0))s, total $(( $(date +%s) - t0 ))s)"

if (( app )); then
    command -v xcodegen >/dev/null || die "xcodegen not found: brew install xcodegen"
    (cd ios && xcodegen generate)
    xcodebuild -project ios/Freeport.xcodeproj -scheme Freeport \
        -destination 'generic/platform=iOS Simulator' -configuration Debug build >&2
    log "app built for the simulator"
fi
echo "$out"
