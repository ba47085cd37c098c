#!/usr/bin/env bash
# Installs the supply-chain and fuzzing tools into $FREEPORT_CACHE/tools (idempotent: a tool that
# is already there at the pinned version is not rebuilt). Prints the bin directory on stdout.
#
#   scripts/install-tools.sh            # cargo-deny and cargo-fuzz
#   scripts/install-tools.sh deny       # only cargo-deny
#   scripts/install-tools.sh fuzz       # only cargo-fuzz
set -euo pipefail

export FREEPORT_CACHE="${FREEPORT_CACHE:-$HOME/.cache/freeport}"
root="$FREEPORT_CACHE/tools"
bin="$root/bin"
mkdir -p "$bin"

# Pinned so every machine checks with the same rules; bump deliberately.
CARGO_DENY_VERSION="0.20.2"
CARGO_FUZZ_VERSION="0.13.2"

install_one() { # crate version binary
  local crate="$1" version="$2" binary="$3"
  if [ -x "$bin/$binary" ] && "$bin/$binary" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  echo "installing $crate $version into $root" >&2
  # A private target dir: never the project's, whose RUSTFLAGS and features differ.
  CARGO_TARGET_DIR="$FREEPORT_CACHE/tools-build" RUSTFLAGS="" \
    cargo install --locked --root "$root" --version "$version" "$crate" >&2
}

what="${1:-all}"
case "$what" in
  all) install_one cargo-deny "$CARGO_DENY_VERSION" cargo-deny
       install_one cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz ;;
  deny) install_one cargo-deny "$CARGO_DENY_VERSION" cargo-deny ;;
  fuzz) install_one cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz ;;
  *) echo "usage: $0 [all|deny|fuzz]" >&2; exit 2 ;;
esac
echo "$bin"
