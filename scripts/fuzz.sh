#!/usr/bin/env bash
# Runs every cargo-fuzz target for a given time and prints a table (runs, seconds, crashes).
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 300        # 300 s per target
#   scripts/fuzz.sh 60 nip19   # only the named targets
#   FUZZ_JOBS=1 scripts/fuzz.sh  # one target at a time (default: one lane per core)
#   scripts/fuzz.sh --build-only # install cargo-fuzz and build the targets, run nothing
#                                # (scripts/test.sh runs this in the background, niced, while
#                                # the tests run, so the ASan build mostly uses idle CPU)
#
# Builds with stable Rust (RUSTC_BOOTSTRAP=1 unlocks -Zsanitizer=address for cargo-fuzz) into
# $FREEPORT_CACHE/fuzz-target; the growing corpus lives in $FREEPORT_CACHE/fuzz-corpus/<target>,
# seeded from fuzz/seeds/<target>. libFuzzer stops on the first crash, panic, leak, or any single
# allocation above 64 MB (-malloc_limit_mb=64); the artefact is kept in fuzz/artifacts/<target>.
# Exit status is non-zero if any target failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
secs="${1:-60}"
shift || true

bin="$("$here/scripts/install-tools.sh" fuzz)"
export PATH="$bin:$PATH"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$FREEPORT_CACHE/fuzz-target"
unset RUSTFLAGS  # cargo-fuzz sets its own; the project's mold flag would only force a rebuild

cd "$here/fuzz"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

cargo fuzz build -O >&2
[ $build_only = 1 ] && exit 0

log_dir="$FREEPORT_CACHE/fuzz-logs"
mkdir -p "$log_dir"

# One target: runs it, writes "<target> <runs> <seconds> <crashes> <corpus files>" to its .result.
fuzz_one() {
  local t="$1" corpus="$FREEPORT_CACHE/fuzz-corpus/$1" log="$log_dir/$1.log" crashes=0
  mkdir -p "$corpus"
  local seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  cargo fuzz run -O "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$secs" -malloc_limit_mb=64 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1 || crashes=1
  local runs took
  runs="$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" | tail -1 || true)"
  took="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)"
  echo "$t ${runs:-?} ${took:-?} $crashes $(find "$corpus" -type f | wc -l)" >"$log_dir/$t.result"
}

# Targets run in parallel lanes (FUZZ_JOBS, default: one per core); each still gets `secs` of
# wall time to itself.
jobs="${FUZZ_JOBS:-$(nproc)}"
for t in "${targets[@]}"; do rm -f "$log_dir/$t.result"; done
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait || true

status=0
failing=0
total_runs=0
printf '%-15s %12s %8s %8s %s\n' target runs seconds crashes corpus
for t in "${targets[@]}"; do
  read -r _ runs took crashes files <"$log_dir/$t.result" || { runs='?' took='?' crashes=1 files='?'; }
  printf "%-15s %12s %8s %8s %s\n" "$t" "$runs" "$took" "$crashes" "$files"
  [[ "$runs" =~ ^[0-9]+$ ]] && total_runs=$((total_runs + runs))
  if [ "$crashes" != 0 ]; then
    status=1
    failing=$((failing + 1))
    echo "  FAILED: see $log_dir/$t.log and fuzz/artifacts/$t" >&2
    grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY)' "$log_dir/$t.log" | head -5 >&2 || true
  fi
done
echo "fuzz: ${#targets[@]} targets x ${secs} s, $total_runs runs, $failing failing"
exit $status
