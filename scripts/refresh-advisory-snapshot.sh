#!/usr/bin/env bash
# Rewrites tests/advisory-db/{advisory-db.tar.gz,SNAPSHOT} from a git clone or mirror (bare is
# fine) of rustsec/advisory-db, at its HEAD. See tests/advisory-db/README.md.
#
#   scripts/refresh-advisory-snapshot.sh /path/to/advisory-db
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${1:?usage: $0 <advisory-db git dir>}"
out="$here/tests/advisory-db"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$src" archive HEAD crates README.md LICENSE.txt | tar -x -C "$tmp"
# Stable archive bytes: sorted names, fixed owner and mtime.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' \
  -C "$tmp" -cf - crates README.md LICENSE.txt | gzip -n -9 >"$out/advisory-db.tar.gz"
echo "$(git -C "$src" rev-parse HEAD) $(git -C "$src" show -s --format=%cI HEAD)" >"$out/SNAPSHOT"
cat "$out/SNAPSHOT"
