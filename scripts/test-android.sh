#!/usr/bin/env bash
# The Android app stage of CI: compiles the whole app (android/app, android/core with the
# Android-flavour bindings, android/presentation) with aapt2 + kotlinc + the Compose compiler
# plugin against SDK 36, runs the Robolectric tests (every screen's screenshot in light/dark at
# font scale 1.0/1.5 against android/screenshots/, the accessibility checks, one flow through the
# real core), and assembles and verifies a signed debug APK. No Gradle, no Android SDK install:
# every artifact comes from android/ci/deps.lock (android/README.md, "The CI build").
#
#   scripts/test-android.sh            # what scripts/test.sh runs
#   scripts/test-android.sh --record   # re-record the screenshot goldens
#
# Needs python3, mvn, a JDK >= 21 (FREEPORT_JDK21, default /usr/lib/jvm/temurin-25-jdk-amd64;
# Robolectric's SDK 36 jars are Java 21 class files), apksigner and zipalign (Debian packages).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
t0=$(date +%s)
status=0
python3 "$ROOT/android/ci/build.py" "$@" || status=$?
echo "[test-android] done in $(( $(date +%s) - t0 ))s (exit $status)" >&2
exit "$status"
