#!/usr/bin/env bash
# Prints "N tests, F failures, E errors, S skipped" totalled over a surefire reports directory
# (mvn -q prints no summary of its own). Used by scripts/test-kotlin.sh and
# android/test-presentation.sh.
set -euo pipefail
reports="$1"
if ! compgen -G "$reports/TEST-*.xml" >/dev/null; then
    echo "no test reports (compilation failed?)"
    exit 0
fi
awk -F'"' '/<testsuite / {
        for (i = 1; i < NF; i += 2) {
            k = $i; gsub(/.*[ \t]/, "", k)
            if (k == "tests=") t += $(i+1); if (k == "failures=") f += $(i+1)
            if (k == "errors=") e += $(i+1); if (k == "skipped=") s += $(i+1)
        } }
    END { printf "%d tests, %d failures, %d errors, %d skipped\n", t, f, e, s }' "$reports"/TEST-*.xml
