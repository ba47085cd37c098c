#!/usr/bin/env bash
# Builds the `freeport` command and runs `freeport demo` (the whole product on an embedded relay).
#
#   scripts/demo.sh                      # embedded relay on loopback, artifacts in ./freeport-demo-<time>
#   scripts/demo.sh --out DIR            # choose the artifact directory
#   scripts/demo.sh --relay wss://…      # the same story against a relay of your choice
#
# The build is cached outside the clone ($FREEPORT_CACHE, default ~/.cache/freeport), shared with
# scripts/test.sh, so running the tests first makes this instant (and the other way round).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FREEPORT_CACHE/target}"
if command -v mold >/dev/null 2>&1 && [ -z "${RUSTFLAGS:-}" ]; then
  export RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
if [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || ! command -v apt-get >/dev/null 2>&1; then :; else
  # Labels in the trust-neighbourhood drawing (optional).
  { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null 2>&1; } || true
fi
echo "building freeport (first time: several minutes; cached afterwards)…" >&2
cargo build --workspace --quiet
exec "$CARGO_TARGET_DIR/debug/freeport" demo "$@"
