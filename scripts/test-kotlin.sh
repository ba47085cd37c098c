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

t0=$(date +%s)
mvn -q -B -f "$ROOT/tests/kotlin/pom.xml" \
    -Dmaven.repo.local="$FREEPORT_CACHE/m2" \
    -Dfreeport.lib.dir="$(dirname "$lib")" \
    "$@" test
echo "[test-kotlin] mvn test passed in $(( $(date +%s) - t0 ))s" >&2
