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

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

# Installs the snapshot vendored in tests/advisory-db as a one-commit git repository dated like its
# upstream commit (cargo-deny reads the database's age from HEAD).
vendored_db() {
  local dir="$1" snap="$here/tests/advisory-db" commit date tmp
  read -r commit date <"$snap/SNAPSHOT"
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  tar -xzf "$snap/advisory-db.tar.gz" -C "$tmp"
  git -C "$tmp" init --quiet
  git -C "$tmp" add -A
  GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" git -C "$tmp" \
    -c user.name=freeport -c user.email=ci@freeport.invalid -c commit.gpgsign=false \
    commit --quiet -m "rustsec/advisory-db $commit (snapshot vendored in tests/advisory-db)"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  echo "advisory database: installed the vendored snapshot of rustsec/advisory-db ${commit:0:7}" >&2
}

advisory_db() {
  local url="https://github.com/rustsec/advisory-db"
  local source="${FREEPORT_ADVISORY_DB_SOURCE:-$url}"
  # cargo-deny's directory name for that URL: "<last path segment>-<xxhash64(url, 0xca80de71)>".
  local dir="$FREEPORT_CACHE/advisory-dbs/advisory-db-3157b0e258782691"
  local snap_epoch
  snap_epoch="$(date -d "$(cut -d' ' -f2 "$here/tests/advisory-db/SNAPSHOT")" +%s)"
  mkdir -p "$FREEPORT_CACHE/advisory-dbs"
  if [ ! -d "$dir/.git" ]; then
    if ! timeout 60 git clone --quiet "$source" "$dir" >&2 2>&1; then
      rm -rf "$dir"
      echo "note: cannot reach $source; using the snapshot vendored in tests/advisory-db" >&2
      vendored_db "$dir"
    fi
  elif timeout 60 git -C "$dir" fetch --quiet "$source" main >&2 2>&1; then
    git -C "$dir" reset --quiet --hard FETCH_HEAD >&2
  elif [ "$(git -C "$dir" show -s --format=%ct HEAD)" -lt "$snap_epoch" ]; then
    echo "note: cannot reach $source and the local copy is older than the vendored snapshot" >&2
    vendored_db "$dir"
  else
    echo "note: cannot reach $source; using the local copy" >&2
  fi
  local when age_days
  when="$(git -C "$dir" show -s --format=%cI HEAD)"
  age_days=$(( ( $(date +%s) - $(git -C "$dir" show -s --format=%ct HEAD) ) / 86400 ))
  echo "advisory database: $(git -C "$dir" rev-parse --short HEAD) of $when ($age_days days old)" >&2
  if [ "$age_days" -gt 30 ]; then
    echo "warning: the advisory database is $age_days days old; advisories published since are not checked" >&2
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
