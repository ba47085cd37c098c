#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from material already in the repository (test vectors, reference
event templates in core/tests/protocol_reference.rs, QR images). Deterministic; rerun after the
sources change. The fuzzers grow their own corpus from these in $FREEPORT_CACHE/fuzz-corpus."""
import base64, glob, hashlib, json, os, re, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
V = os.path.join(ROOT, "tests", "vectors")
OUT = os.path.join(HERE, "seeds")
shutil.rmtree(OUT, ignore_errors=True)


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


# Reference-shaped events {kind, tags, content} from the protocol tests.
src = open(os.path.join(ROOT, "core", "tests", "protocol_reference.rs"), encoding="utf-8").read()
by_kind = {"intent": [32101, 32102], "rating": [32103], "receipt": [32104], "profile": [0]}
for lit in re.findall(r'r#"(\{"kind".*?\})"#', src, re.S):
    try:
        ev = json.loads(lit)
    except ValueError:
        continue
    line = json.dumps(ev["tags"], ensure_ascii=False, separators=(",", ":")) + "\n" + ev["content"]
    for target, kinds in by_kind.items():
        if ev["kind"] in kinds:
            put(target, line)
    if ev["kind"] in (32101, 32102):
        try:
            put("envelope", json.dumps({"type": "offer", "intent": "x", "terms": json.loads(ev["content"])}))
        except ValueError:
            pass

# Events (id correct, placeholder signature) from the NIP-01 corpus.
corpus = json.load(open(os.path.join(V, "nip01-corpus.json")))["cases"]
for c in corpus[::20]:
    ev = {k: c[k] for k in ("id", "pubkey", "created_at", "kind", "tags", "content")}
    ev["sig"] = "00" * 64
    put("event_json", json.dumps(ev, ensure_ascii=False))
    put("relay_message", json.dumps(["EVENT", "sub1", ev], ensure_ascii=False))
for m in (["OK", "00" * 32, False, "rate-limited: slow down"], ["OK", "00" * 32, True, ""],
          ["EOSE", "sub1"], ["NOTICE", "hello"], ["AUTH", "challenge-string"],
          ["CLOSED", "sub1", "auth-required: please auth"], ["COUNT", "sub1", {"count": 3}]):
    put("relay_message", json.dumps(m))

n19 = json.load(open(os.path.join(V, "nip19.json")))
for group in ("npub", "nsec", "note", "nprofile"):
    for c in n19[group]:
        put("nip19", c["bech32"])
n49 = json.load(open(os.path.join(V, "nip49.json")))
put("nip49_blob", n49["decrypt"]["ncryptsec"] + "\n" + n49["decrypt"]["password"])
n44 = json.load(open(os.path.join(V, "nip44.vectors.json")))["v2"]
for c in n44["valid"]["encrypt_decrypt"] + n44["invalid"]["decrypt"]:
    put("nip44_payload", c["ciphertext"])
    try:
        put("nip44_payload", base64.b64decode(c["ciphertext"]))
    except ValueError:
        pass
for p in ("+6581234567", "(415) 555-0100", "+1 415-555-0100", "0049 30 1234567", "+84 91 234 56 78",
          "+65 8•••••67", "+65••••4567", "81234567"):
    put("phone_input", p)
for t in ("FPM1:" + "A" * 192, "FPR1:" + "A" * 173, "fpm1:abc", "FPM1:"):
    put("meet_token", t)
def gray_png(w, h, pixel):
    import struct, zlib
    raw = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(w)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# Finder-pattern-like squares and a checkerboard: small valid PNGs for the decoder to chew on.
put("qr_image", gray_png(8, 8, lambda x, y: 255 * ((x + y) % 2)))
put("qr_image", gray_png(21, 21, lambda x, y: 0 if (x < 7 and y < 7 and not (0 < x < 6 and 0 < y < 6 and not (1 < x < 5 and 1 < y < 5))) else 255))
put("qr_image", bytes([16, 0, 16, 0]) + bytes(255 * ((x // 2 + y // 2) % 2) for y in range(16) for x in range(16)))
for t in sorted(os.listdir(OUT)):
    print(t, len(os.listdir(os.path.join(OUT, t))))
