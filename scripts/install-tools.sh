#!/usr/bin/env bash
# Installs the supply-chain and fuzzing tools into $FREEPORT_CACHE/tools (idempotent: a tool that
# is already there at the pinned version is not rebuilt). Prints the bin directory on stdout.
#
#   scripts/install-tools.sh            # cargo-deny and cargo-fuzz
#   scripts/install-tools.sh deny       # only cargo-deny
#   scripts/install-tools.sh fuzz       # only cargo-fuzz
#
# `deny` also brings the RustSec advisory database up to date in $FREEPORT_CACHE/advisory-dbs
# (the path deny.toml names), so `cargo deny check --disable-fetch` works and never touches the
# network itself. The database is fetched from GitHub; where GitHub is unreachable, set
# FREEPORT_ADVISORY_DB_SOURCE to a local clone or mirror of rustsec/advisory-db. The script prints
# the database's newest commit date and warns when it is older than 30 days.
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

advisory_db() {
  local url="https://github.com/rustsec/advisory-db"
  local source="${FREEPORT_ADVISORY_DB_SOURCE:-$url}"
  # cargo-deny's directory name for that URL: "<last path segment>-<xxhash64(url, 0xca80de71)>".
  local dir="$FREEPORT_CACHE/advisory-dbs/advisory-db-3157b0e258782691"
  mkdir -p "$FREEPORT_CACHE/advisory-dbs"
  if [ ! -d "$dir/.git" ]; then
    if ! timeout 120 git clone --quiet "$source" "$dir" >&2; then
      rm -rf "$dir"
      echo "warning: no advisory database (cannot reach $source); cargo deny checks licences and bans only" >&2
      return 0
    fi
  fi
  if ! timeout 120 git -C "$dir" fetch --quiet "$source" main >&2 2>&1; then
    echo "warning: could not fetch the advisory database from $source; using the local copy" >&2
  else
    git -C "$dir" reset --quiet --hard FETCH_HEAD >&2
  fi
  local when age_days
  when="$(git -C "$dir" show -s --format=%cI HEAD)"
  age_days=$(( ( $(date +%s) - $(git -C "$dir" show -s --format=%ct HEAD) ) / 86400 ))
  echo "advisory database: $(git -C "$dir" rev-parse --short HEAD) of $when ($age_days days old)" >&2
  if [ "$age_days" -gt 30 ]; then
    echo "warning: the advisory database is $age_days days old; newer advisories are not checked" >&2
  fi
}

what="${1:-all}"
case "$what" in
  all) install_one cargo-deny "$CARGO_DENY_VERSION" cargo-deny
       advisory_db
       install_one cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz ;;
  deny) install_one cargo-deny "$CARGO_DENY_VERSION" cargo-deny
        advisory_db ;;
  fuzz) install_one cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz ;;
  *) echo "usage: $0 [all|deny|fuzz]" >&2; exit 2 ;;
esac
echo "$bin"
