#!/usr/bin/env bash
# Sets up and runs every Freeport test on a fresh Debian/Ubuntu machine with Rust installed.
#
#   scripts/test.sh            # everything (what CI runs)
#   scripts/test.sh --rust     # only the Rust gates (fmt, clippy, cargo test)
#   FREEPORT_FUZZ_SECS=0 scripts/test.sh   # everything but the fuzzing stage (default 60 s/target)
#
# Expensive things are cached outside the clone, in $FREEPORT_CACHE (default ~/.cache/freeport):
# the cargo target dir, the Maven repository, nostr-rs-relay, the Swift chroot. The script never
# depends on that cache being there: a missing piece is rebuilt or reinstalled.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FREEPORT_CACHE/target}"
mkdir -p "$FREEPORT_CACHE"

only_rust=0
[ "${1:-}" = "--rust" ] && only_rust=1

step() { printf '\n\033[1m==> %s\033[0m  (at %ss)\n' "$*" "$SECONDS"; }
SECONDS=0

# ---- system packages (only what is missing) ------------------------------------------------------
need_pkgs=()
command -v mold >/dev/null 2>&1 || need_pkgs+=(mold)
command -v protoc >/dev/null 2>&1 || need_pkgs+=(protobuf-compiler)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)
command -v apksigner >/dev/null 2>&1 || need_pkgs+=(apksigner)
command -v zipalign >/dev/null 2>&1 || need_pkgs+=(zipalign)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  step "installing system packages: ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || \
    echo "warning: could not install ${need_pkgs[*]}; continuing with what is available"
fi
# mold links test binaries several times faster; the flag is only used when mold exists, and it is
# the same flag every run so the cached target dir stays valid.
if command -v mold >/dev/null 2>&1 && [ -z "${RUSTFLAGS:-}" ]; then
  export RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi

# ---- fast static gates ---------------------------------------------------------------------------
# The apps render the core's typed values; a negotiation state spelled as a string in Kotlin or
# Swift is a rule re-implemented over labels (seconds; runs before anything slow).
step "no negotiation-state string literals in Kotlin / Swift"
python3 scripts/check-ui-literals.py

# Every string in every shipped language, with the source's placeholders and the language's plural
# forms; the generated resources current (docs/TRANSLATIONS.md). The gate tests itself first.
step "translations: 25 locales complete, placeholders and plurals right, generated files current"
python3 scripts/check-l10n.py --self-test
python3 scripts/check-l10n.py

# ---- Rust quality gates ------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

if [ $only_rust = 0 ]; then
  step "cargo deny (advisories, licences, duplicate crates)"
  tools_bin="$(scripts/install-tools.sh deny | tail -n 1)"
  # cargo-deny reads the whole dependency graph, every platform's crates included (Windows,
  # Android, …), which a build on this host never downloads: fetch them first (a no-op when
  # cached), so the offline check works on a fresh machine.
  cargo fetch --locked
  if compgen -G "$FREEPORT_CACHE/advisory-dbs/advisory-db-*/.git" >/dev/null; then
    "$tools_bin/cargo-deny" --offline check advisories licenses bans
  else
    echo "no advisory database on this machine (install-tools.sh could not install the vendored snapshot);"
    echo "checking licences and bans only"
    "$tools_bin/cargo-deny" --offline check licenses bans
  fi

  step "nostr-rs-relay (production relay for the interop tests)"
  FREEPORT_NOSTR_RS_RELAY="$(scripts/install-nostr-rs-relay.sh)"
  export FREEPORT_NOSTR_RS_RELAY
fi

step "cargo test --workspace (build)"
# Built first so the fuzz build below only starts once the test binaries exist; a build error
# is reported by the run that follows.
cargo test --workspace --no-run || true

# The fuzz targets' ASan build (≈ 10 min on 2 cores when its cache is cold) runs in the
# background at the lowest priority while the tests run: the kill -9 harness, the relay tests
# and the JVM and Swift stages leave a core idle most of the time. The fuzz stage waits for it.
fuzz_secs="${FREEPORT_FUZZ_SECS:-60}"
fuzz_build_pid=""
if [ $only_rust = 0 ] && [ "$fuzz_secs" != 0 ]; then
  # Its own process group, so an early exit of this script can stop the whole build.
  setsid nice -n 19 scripts/fuzz.sh --build-only >"$FREEPORT_CACHE/fuzz-build.log" 2>&1 &
  fuzz_build_pid=$!
  trap '[ -n "$fuzz_build_pid" ] && kill -- "-$fuzz_build_pid" 2>/dev/null || true' EXIT
fi

step "cargo test --workspace"
# Failures are collected, not fatal: every runner runs and the summary line is always printed.
set +e
if [ $only_rust = 0 ]; then
  # --include-ignored: the nostr-rs-relay interop tests and the kill -9 harness
  # (core/tests/crash_safety.rs, ~5 minutes) are #[ignore] so a bare `cargo test` stays quick.
  cargo test --workspace --no-fail-fast -- --include-ignored \
    2>&1 | tee "$FREEPORT_CACHE/cargo-test.log"
else
  cargo test --workspace --no-fail-fast 2>&1 | tee "$FREEPORT_CACHE/cargo-test.log"
fi
rust_status=${PIPESTATUS[0]}

# Sum cargo's per-binary "test result:" lines into one line.
summary() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i; if ($(i+1) ~ /^ignored;?/) s += $i } }
       END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}
rust_summary="$(summary "$FREEPORT_CACHE/cargo-test.log")"

kotlin_status=0
swift_status=0
kotlin_pass=0; kotlin_fail=0; swift_pass=0; swift_fail=0
android_status=0; android_pass=0; android_fail=0
app_status=0; app_pass=0; app_fail=0
fuzz_status=0; fuzz_pass=0; fuzz_fail=0
if [ $only_rust = 0 ]; then
  if [ -x scripts/test-kotlin.sh ]; then
    step "Kotlin bindings on the JVM (Maven)"
    scripts/test-kotlin.sh 2>&1 | tee "$FREEPORT_CACHE/kotlin-test.log"
    kotlin_status=${PIPESTATUS[0]}
    # "[test-kotlin] N tests, F failures, E errors, S skipped"
    read -r kt kf ke < <(sed -n 's/.*\[test-kotlin\] \([0-9]*\) tests, \([0-9]*\) failures, \([0-9]*\) errors.*/\1 \2 \3/p' "$FREEPORT_CACHE/kotlin-test.log" | tail -n 1) || true
    kotlin_fail=$(( ${kf:-0} + ${ke:-0} )); kotlin_pass=$(( ${kt:-0} - kotlin_fail ))
  fi
  if [ -x android/test-presentation.sh ]; then
    step "Android presentation layer (view models) on the JVM (Maven)"
    android/test-presentation.sh 2>&1 | tee "$FREEPORT_CACHE/android-test.log"
    android_status=${PIPESTATUS[0]}
    read -r at af ae < <(sed -n 's/.*\[test-presentation\] \([0-9]*\) tests, \([0-9]*\) failures, \([0-9]*\) errors.*/\1 \2 \3/p' "$FREEPORT_CACHE/android-test.log" | tail -n 1) || true
    android_fail=$(( ${af:-0} + ${ae:-0} )); android_pass=$(( ${at:-0} - android_fail ))
  fi
  if [ -x scripts/test-android.sh ]; then
    step "Android app: compile, screenshots + accessibility + flow (Robolectric), debug APK"
    scripts/test-android.sh 2>&1 | tee "$FREEPORT_CACHE/android-app.log"
    app_status=${PIPESTATUS[0]}
    # "android: N passed, N failed, N skipped" (android/app/src/test/.../RunTests.kt)
    read -r ap af < <(sed -n 's/^android: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$FREEPORT_CACHE/android-app.log" | tail -n 1) || true
    app_pass=${ap:-0}; app_fail=${af:-0}
    # A build failure before the tests ran still fails the stage.
    if [ "$app_status" != 0 ] && [ "$app_fail" = 0 ]; then app_fail=1; fi
  fi
  if [ -x scripts/test-swift.sh ]; then
    step "Swift bindings and view models on Linux (swift test in a Debian trixie chroot)"
    scripts/test-swift.sh 2>&1 | tee "$FREEPORT_CACHE/swift-test.log"
    swift_status=${PIPESTATUS[0]}
    # XCTest's last "Executed N tests, with F failures" line is the whole run.
    read -r st sf < <(sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' "$FREEPORT_CACHE/swift-test.log" | tail -n 1) || true
    swift_fail=${sf:-0}; swift_pass=$(( ${st:-0} - swift_fail ))
  fi
  if [ "$fuzz_secs" != 0 ]; then
    if [ -n "$fuzz_build_pid" ]; then
      step "waiting for the background fuzz build"
      # Its failure is not fatal here: scripts/fuzz.sh builds again and reports the error.
      wait "$fuzz_build_pid" || tail -n 20 "$FREEPORT_CACHE/fuzz-build.log"
      fuzz_build_pid=""
    fi
    step "fuzzing: every cargo-fuzz target for ${fuzz_secs} s, 64 MB allocation cap (scripts/fuzz.sh)"
    scripts/fuzz.sh "$fuzz_secs" 2>&1 | tee "$FREEPORT_CACHE/fuzz.log"
    fuzz_status=${PIPESTATUS[0]}
    # "fuzz: T targets x S s, R runs, F failing"
    read -r ft ff < <(sed -n 's/^fuzz: \([0-9]*\) targets x .* runs, \([0-9]*\) failing$/\1 \2/p' "$FREEPORT_CACHE/fuzz.log" | tail -n 1) || true
    fuzz_fail=${ff:-0}; fuzz_pass=$(( ${ft:-0} - fuzz_fail ))
  fi
fi

step "summary (${SECONDS}s)"
echo "rust:   $rust_summary"
if [ $only_rust = 0 ]; then
  echo "kotlin: $kotlin_pass passed, $kotlin_fail failed (exit $kotlin_status)"
  echo "android presentation: $android_pass passed, $android_fail failed (exit $android_status)"
  echo "android app: $app_pass passed, $app_fail failed (exit $app_status)"
  echo "swift:  $swift_pass passed, $swift_fail failed (exit $swift_status)"
  echo "fuzz:   $fuzz_pass targets clean, $fuzz_fail failed (exit $fuzz_status)"
fi
read -r rp rf rs < <(echo "$rust_summary" | sed 's/\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped/\1 \2 \3/')
total_pass=$(( rp + kotlin_pass + android_pass + app_pass + swift_pass + fuzz_pass ))
total_fail=$(( rf + kotlin_fail + android_fail + app_fail + swift_fail + fuzz_fail ))
if [ "$rust_status" != 0 ] || [ "$kotlin_status" != 0 ] || [ "$android_status" != 0 ] || [ "$app_status" != 0 ] || [ "$swift_status" != 0 ] || [ "$fuzz_status" != 0 ]; then
  [ "$total_fail" -gt 0 ] || total_fail=1
  echo "$total_pass passed, $total_fail failed, $rs skipped"
  exit 1
fi
echo "$total_pass passed, $total_fail failed, $rs skipped"
