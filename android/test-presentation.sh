#!/usr/bin/env bash
# Check the app's sources statically (android/check-app.py), build the core, generate the JVM
# bindings and run the :presentation view-model tests on the host JVM with Maven (the same
# sources the Android build compiles).
#
#   android/test-presentation.sh [extra mvn args, e.g. -Dtest=OnboardingViewModelTest]
#
# Needs a JDK >= 17 and Maven 3.8+. Respects CARGO_TARGET_DIR; Maven's repository is
# $FREEPORT_CACHE/m2 (FREEPORT_CACHE defaults to $HOME/.cache/freeport).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"

# The app itself cannot be compiled without the Android SDK: check what can be checked by reading
# it (well-formed XML, string resources and their arguments, hard-coded text, TalkBack labels,
# manifest permissions and backup rules, no android.* in :presentation) before anything slow.
python3 "$ROOT/android/check-app.py"

lib="$("$ROOT/scripts/gen-bindings.sh" --kotlin-only | tail -n 1)"
bindings="$ROOT/tests/kotlin/src/main/kotlin/generated/app/freeport/core/freeport_core.kt"
[[ -f "$bindings" ]] || { echo "[test-presentation] error: $bindings was not generated" >&2; exit 1; }
mkdir -p "$FREEPORT_CACHE/m2"

reports="$ROOT/android/presentation/target/surefire-reports"
rm -rf "$reports" # no stale results in the summary

t0=$(date +%s)
status=0
mvn -q -B -f "$ROOT/android/presentation/pom.xml" \
    -Dmaven.repo.local="$FREEPORT_CACHE/m2" \
    -Dfreeport.lib.dir="$(dirname "$lib")" \
    "$@" test || status=$?

# mvn -q prints nothing on success: total surefire's XML reports (same as scripts/test-kotlin.sh).
summary="$("$ROOT/scripts/surefire-summary.sh" "$reports")"
echo "[test-presentation] $summary in $(( $(date +%s) - t0 ))s (exit $status)" >&2
exit "$status"
