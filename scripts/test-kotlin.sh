#!/usr/bin/env bash
# Build the core, generate the JVM Kotlin bindings and run the Kotlin tests (tests/kotlin, Maven).
#
#   scripts/test-kotlin.sh [--release] [extra mvn args, e.g. -Dtest=TypedErrorTest]
#
# Maven's repository is cached outside the clone: $FREEPORT_CACHE/m2 (FREEPORT_CACHE defaults
# to $HOME/.cache/freeport). Needs a JDK >= 17 and Maven 3.8+. Respects CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"

gen_args=(--kotlin-only)
if [[ "${1:-}" == "--release" ]]; then gen_args+=(--release); shift; fi

lib="$("$ROOT/scripts/gen-bindings.sh" "${gen_args[@]}" | tail -n 1)"
mkdir -p "$FREEPORT_CACHE/m2"

reports="$ROOT/tests/kotlin/target/surefire-reports"
rm -rf "$reports" # no stale results of renamed or deleted test classes in the summary

t0=$(date +%s)
status=0
mvn -q -B -f "$ROOT/tests/kotlin/pom.xml" \
    -Dmaven.repo.local="$FREEPORT_CACHE/m2" \
    -Dfreeport.lib.dir="$(dirname "$lib")" \
    "$@" test || status=$?

# The runner's summary (mvn -q prints nothing on success): totals over surefire's XML reports.
summary="$("$ROOT/scripts/surefire-summary.sh" "$reports")"
echo "[test-kotlin] $summary in $(( $(date +%s) - t0 ))s (exit $status)" >&2
exit "$status"
