#!/usr/bin/env python3
"""Extracts the examples that exist only in the NIP texts into tests/vectors/nips-text-examples.json,
and copies the NIP-44 vector file the NIP pins, from git checkouts of the upstream repositories.

Never types a value by hand: each one is cut out of the NIP's Markdown with a regular expression,
and the file records the commit and the SHA-256 of every text it read.

    python3 tests/vectors/extract_nips.py <nostr-protocol/nips checkout> <paulmillr/nip44 checkout>

Both arguments are git directories (bare or not); the pinned commits below are read with
`git show`, so the working tree state does not matter.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NIPS_COMMIT = "db5fe3de8c5d1443b634c9bbf66ecb004f337057"
NIP44_COMMIT = "671a1f04bcfacaf125b0db68adc45bc9ce0e763b"


def show(repo, commit, path):
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout


def one(pattern, text, what):
    found = re.findall(pattern, text, re.S)
    if len(found) != 1:
        sys.exit(f"{what}: expected one match, found {len(found)}")
    return found[0]


def main():
    nips, nip44 = sys.argv[1], sys.argv[2]
    t49 = show(nips, NIPS_COMMIT, "49.md")
    t13 = show(nips, NIPS_COMMIT, "13.md")
    t44 = show(nips, NIPS_COMMIT, "44.md")
    t19 = show(nips, NIPS_COMMIT, "19.md")
    s49, s13, s44, s19 = (t49.decode(), t13.decode(), t44.decode(), t19.decode())

    pinned = one(r"([0-9a-f]{64})\s+nip44\.vectors\.json", s44, "NIP-44 pinned checksum")
    vectors = show(nip44, NIP44_COMMIT, "nip44.vectors.json")
    if hashlib.sha256(vectors).hexdigest() != pinned:
        sys.exit("nip44.vectors.json does not match the checksum NIP-44 pins")
    with open(os.path.join(HERE, "nip44.vectors.json"), "wb") as f:
        f.write(vectors)

    out = {
        "source": {
            "repository": "github.com/nostr-protocol/nips",
            "commit": NIPS_COMMIT,
            "sha256": {
                "49.md": hashlib.sha256(t49).hexdigest(),
                "13.md": hashlib.sha256(t13).hexdigest(),
                "44.md": hashlib.sha256(t44).hexdigest(),
                "19.md": hashlib.sha256(t19).hexdigest(),
            },
        },
        "nip44_pinned_sha256": pinned,
        "nip49_nfkc": {
            "input": one(r'The following password input: "([^"]+)"', s49, "NFKC input"),
            "input_codepoints": one(r"password input: \"[^\"]+\"\n- Unicode Codepoints: ([^\n]+)", s49, "input codepoints").split(),
            "nfkc": one(r'NFKC format prior to use in scrypt: "([^"]+)"', s49, "NFKC output"),
            "nfkc_codepoints": one(r"prior to use in scrypt: \"[^\"]+\"\n- Unicode Codepoints: ([^\n]+)", s49, "NFKC codepoints").split(),
        },
        "nip49_decrypt": {
            "ncryptsec": one(r"`(ncryptsec1[0-9a-z]+)`", s49, "ncryptsec"),
            "password": one(r"password='([^']+)'", s49, "password"),
            "log_n": int(one(r"log_n=(\d+) yields", s49, "log_n")),
            "secret_key_hex": one(r"private key:\s*`([0-9a-f]{64})`", s49, "secret key"),
        },
        "nip19_examples": {
            "key_example": {
                "hex": one(r"the hex public key `([0-9a-f]{64})` translates to", s19, "key example hex"),
                "npub": one(r"translates to `(npub1[0-9a-z]+)`", s19, "key example npub"),
            },
            "npub": dict(zip(("bech32", "hex"), one(r"- `(npub1[0-9a-z]+)` should decode into the public key hex `([0-9a-f]{64})`", s19, "npub example"))),
            "nsec": dict(zip(("bech32", "hex"), one(r"- `(nsec1[0-9a-z]+)` should decode into the private key hex `([0-9a-f]{64})`", s19, "nsec example"))),
            "nprofile": {
                "bech32": one(r"- `(nprofile1[0-9a-z]+)` should decode", s19, "nprofile example"),
                "pubkey": one(r"  - pubkey: `([0-9a-f]{64})`", s19, "nprofile pubkey"),
                "relays": re.findall(r"  - relay: `([^`]+)`", s19),
            },
        },
        "nip13_example_event": json.loads(
            one(r"Example mined note\n-+\n\n```json\n(.*?)```", s13, "NIP-13 example")
        ),
    }
    with open(os.path.join(HERE, "nips-text-examples.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")
    for name in ("nips-text-examples.json", "nip44.vectors.json"):
        with open(os.path.join(HERE, name), "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest(), name)


if __name__ == "__main__":
    main()
