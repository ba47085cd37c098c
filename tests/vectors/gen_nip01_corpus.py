#!/usr/bin/env python3
"""Writes nip01-corpus.json: NIP-01 serialisation edge cases with ids from a second implementation.

The id of each case is computed here with Python's own `json` and `hashlib`, independently of
serde_json and rust-nostr; core/tests/vectors.rs recomputes it in Rust and must agree. NIP-01
serialises `[0,pubkey,created_at,kind,tags,content]` as UTF-8 with no whitespace, escaping only
`"`, `\\` and control characters (\\b \\f \\n \\r \\t in short form, the others as \\u00XX) —
which is exactly `json.dumps(ensure_ascii=False, separators=(",", ":"))`.
The corpus is deterministic (fixed seed), so rerunning this script reproduces the same file.

    python3 tests/vectors/gen_nip01_corpus.py
"""
import hashlib
import json
import os
import random

rng = random.Random(20260511)
PUBKEYS = [
    "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d",
    # x-only keys must be points on the curve for any implementation to accept the event; these
    # two are BIP-340 vector keys (tests/vectors/bip340-test-vectors.csv rows 0 and 1).
    "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
    "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
]

STRINGS = [
    "", " ", "a", "hello world", '"', "\\", '\\"', '"\\"', "/", "\\/", "</script>",
    "\n", "\r", "\t", "\b", "\f", "\r\n", "line1\nline2", "tab\there",
    "\u0000", "\u0001", "\u001f", "\u007f", "\u0080", "\u009f", "\u00a0",
    "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff", "\U0010ffff", "\U0001f600",
    "é", "e\u0301", "Å", "Ω", "ẛ̣", "日本語", "العربية", "עברית", "ภาษาไทย",
    "🏳️‍🌈", "👨‍👩‍👧‍👦", "\u200b", "\u200d", "\u202e", "a\u0000b",
    "\\u0000", "\\n", "\\\\n", "{\"a\":1}", "[1,2]", "null", "true", "0", "-0", "1e309",
    "9007199254740993", "18446744073709551616", "💩" * 50, "x" * 1000,
    "".join(chr(c) for c in range(0, 32)), "".join(chr(c) for c in range(32, 127)),
]
CREATED = [0, 1, 1651794653, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53 - 1, 2**53,
           2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1]
KINDS = [0, 1, 3, 4, 13, 14, 1059, 9999, 10000, 19999, 20000, 29999, 30000, 32101, 32104, 39999,
         65535]


def rand_string():
    k = rng.random()
    if k < 0.5:
        return rng.choice(STRINGS)
    if k < 0.8:
        return "".join(rng.choice(STRINGS) for _ in range(rng.randint(2, 5)))
    # random code points, no surrogates (not representable in UTF-8 text)
    out = []
    for _ in range(rng.randint(1, 20)):
        cp = rng.choice([rng.randint(0, 0x7f), rng.randint(0x80, 0x7ff), rng.randint(0x800, 0xd7ff),
                         rng.randint(0xe000, 0xffff), rng.randint(0x10000, 0x10ffff)])
        out.append(chr(cp))
    return "".join(out)


def rand_tags():
    n = rng.choice([0, 0, 1, 2, 3, 5, 20])
    tags = []
    for _ in range(n):
        m = rng.choice([0, 1, 2, 3, 6])
        tags.append([rand_string() for _ in range(m)])
    return tags


def event_id(pubkey, created_at, kind, tags, content):
    ser = json.dumps([0, pubkey, created_at, kind, tags, content], ensure_ascii=False,
                     separators=(",", ":"))
    return hashlib.sha256(ser.encode("utf-8")).hexdigest(), ser


cases = []
# 1. every single string as content and as a tag value
for s in STRINGS:
    cases.append((PUBKEYS[0], 1651794653, 1, [], s))
    cases.append((PUBKEYS[1], 0, 1, [["t", s]], ""))
# 2. every large number / kind boundary
for c in CREATED:
    cases.append((PUBKEYS[2], c, 1, [], "created_at boundary"))
for k in KINDS:
    cases.append((PUBKEYS[0], 1, k, [["d", "x"]], "kind boundary"))
# 3. empty and ragged tags
cases.append((PUBKEYS[0], 1, 1, [[]], ""))
cases.append((PUBKEYS[0], 1, 1, [[], [""], ["", ""]], ""))
# 4. random combinations
while len(cases) < 400:
    cases.append((rng.choice(PUBKEYS), rng.choice(CREATED), rng.choice(KINDS), rand_tags(),
                   rand_string()))

out = []
for i, (pk, ca, kd, tg, ct) in enumerate(cases):
    eid, ser = event_id(pk, ca, kd, tg, ct)
    out.append({"i": i, "pubkey": pk, "created_at": ca, "kind": kd, "tags": tg, "content": ct,
                "serialized": ser, "id": eid})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nip01-corpus.json")
with open(path, "w", encoding="utf-8") as f:
    # The file itself uses \u escapes so that control characters survive every editor and diff.
    json.dump({"generator": "tests/vectors/gen_nip01_corpus.py", "cases": out}, f, indent=1,
              ensure_ascii=True)
    f.write("\n")
with open(path, "rb") as f:
    print(len(out), "cases", hashlib.sha256(f.read()).hexdigest())
