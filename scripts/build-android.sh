#!/usr/bin/env bash
# Build the Android app: the Rust core for every shipped ABI, the Android-flavour Kotlin bindings,
# then the debug APK.
#
#   scripts/build-android.sh [--debug-core] [--skip-gradle]
#
# The core is built in release mode unless --debug-core.
#
#   1. cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -> android/core/src/main/jniLibs/<abi>/
#      libfreeport_core.so, linked with 16 KB page alignment (Android 15+ devices).
#   2. scripts/gen-bindings.sh --android --kotlin-only -> android/core/src/main/java/generated/
#   3. (cd android && ./gradlew :app:assembleDebug) -> android/app/build/outputs/apk/debug/
#
# Prerequisites (android/README.md): Android SDK (ANDROID_HOME) with platform 36 and build-tools
# 36, NDK 28.2.13676358 (ANDROID_NDK_HOME, or installed under $ANDROID_HOME/ndk/), JDK 17+,
# `cargo install cargo-ndk`, `rustup target add aarch64-linux-android armv7-linux-androideabi
# x86_64-linux-android`, and the Gradle wrapper (`gradle wrapper` once in android/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NDK_VERSION=28.2.13676358
ABIS=(arm64-v8a armeabi-v7a x86_64)
profile_flag=(--release)
profile=release
gradle=1
for arg in "$@"; do
    case "$arg" in
        --debug-core) profile_flag=(); profile=debug ;;
        --skip-gradle) gradle=0 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "build-android: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

log() { printf '[build-android] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- prerequisites -------------------------------------------------------------------------------
command -v cargo-ndk >/dev/null 2>&1 || die "cargo-ndk missing: cargo install cargo-ndk"
: "${ANDROID_HOME:=${ANDROID_SDK_ROOT:-}}"
[[ -n "$ANDROID_HOME" && -d "$ANDROID_HOME" ]] || die "set ANDROID_HOME to the Android SDK"
if [[ -z "${ANDROID_NDK_HOME:-}" ]]; then
    ANDROID_NDK_HOME="$ANDROID_HOME/ndk/$NDK_VERSION"
fi
[[ -d "$ANDROID_NDK_HOME" ]] || die "NDK $NDK_VERSION not found at $ANDROID_NDK_HOME (sdkmanager 'ndk;$NDK_VERSION')"
export ANDROID_HOME ANDROID_NDK_HOME
installed="$(rustup target list --installed)"
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    grep -qx "$t" <<<"$installed" || die "rust target $t missing: rustup target add $t"
done

# ---- 1. the core for each ABI --------------------------------------------------------------------
# Android targets get their own target dir and link flags. The flags go in the per-target
# variables, not RUSTFLAGS: RUSTFLAGS would also reach host build scripts (and a host-only linker
# flag such as -fuse-ld=mold must never reach the NDK linker), so it is unset here.
host_rustflags="${RUSTFLAGS-}"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
page16k="-C link-arg=-Wl,-z,max-page-size=16384"
export CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS="$page16k"
export CARGO_TARGET_ARMV7_LINUX_ANDROIDEABI_RUSTFLAGS="$page16k"
export CARGO_TARGET_X86_64_LINUX_ANDROID_RUSTFLAGS="$page16k"
android_target_dir="${FREEPORT_ANDROID_TARGET_DIR:-$ROOT/target/android}"
jni="$ROOT/android/core/src/main/jniLibs"
rm -rf "$jni"
t0=$(date +%s)
log "cargo ndk (${ABIS[*]}, $profile) -> $jni"
target_args=()
for abi in "${ABIS[@]}"; do target_args+=(-t "$abi"); done
CARGO_TARGET_DIR="$android_target_dir" cargo ndk "${target_args[@]}" --platform 26 -o "$jni" \
    build -p freeport-core --lib "${profile_flag[@]}"
for abi in "${ABIS[@]}"; do
    so="$jni/$abi/libfreeport_core.so"
    [[ -f "$so" ]] || die "$so was not produced"
    # Every LOAD segment must be aligned to at least 16 KB (2**14).
    readelf="$(ls "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin/llvm-readelf 2>/dev/null | head -n1)"
    if [[ -n "$readelf" ]]; then
        while read -r align; do
            (( 16#${align#0x} >= 16384 )) || die "$so has a LOAD segment aligned to $align (< 16 KB)"
        done < <("$readelf" -lW "$so" | awk '$1=="LOAD" { print $NF }')
    fi
    log "  $abi: $(du -h "$so" | cut -f1)"
done

# ---- 2. Android-flavour bindings (from the host build's metadata) -------------------------------
# The host build gets the caller's RUSTFLAGS back (a changed RUSTFLAGS would rebuild everything).
RUSTFLAGS="$host_rustflags" "$ROOT/scripts/gen-bindings.sh" --android --kotlin-only >/dev/null
[[ -f "$ROOT/android/core/src/main/java/generated/app/freeport/core/freeport_core.kt" ]] \
    || die "Android bindings were not generated"
log "core + bindings in $(( $(date +%s) - t0 ))s"

# ---- 3. the APK ----------------------------------------------------------------------------------
if (( gradle )); then
    cd "$ROOT/android"
    [[ -x ./gradlew ]] || die "no Gradle wrapper: run 'gradle wrapper' in android/ once (README.md)"
    ./gradlew --no-daemon :app:assembleDebug
    log "APK: $(ls "$ROOT"/android/app/build/outputs/apk/debug/*.apk)"
fi
