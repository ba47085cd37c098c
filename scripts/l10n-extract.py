#!/usr/bin/env python3
"""Writes l10n/source/en.json: every user-visible string of both apps, once per meaning, and
assets/markets/l10n/en.json: every text the bundled markets show, by key.

One table for both platforms: a unit's id is its Android resource name; an iOS catalog key whose
English (placeholders aside) is an Android string's English maps to that unit, and the other
iOS keys get an `ios.` id of their own. `l10n/keys.json` records the iOS key -> unit id map.
Placeholders are kept in Android's positional form (%1$s, %1$d) in every unit; the generator
(scripts/l10n.py) turns them into the catalog's (%@, %lld) for iOS.

    python3 scripts/l10n-extract.py            # write
    python3 scripts/l10n-extract.py --check    # exit 1 if any of the files is out of date

A bundled market's texts (title, description, form labels, placeholders, option labels) are
keyed `<schema>#title`, `<schema>#description`, `<schema>#<path>.label`,
`<schema>#<path>.placeholder`, `<schema>#<path>.option.<value>` — the same scheme as
core/src/protocol/market_l10n.rs; text without a letter ("60") has no key.
"""
import json, re, sys, html
from pathlib import Path
import xml.etree.ElementTree as ET

ROOT = Path(__file__).resolve().parent.parent
RES_DIR = ROOT / "android/app/src/main/res/values"
# Every value file that holds strings: strings.xml (screens), codes.xml (the core's codes).
RES_FILES = ("strings.xml", "codes.xml")
CAT = ROOT / "ios/Freeport/Resources/Localizable.xcstrings"
# The permission prompts and the name under the icon: units `infoplist.<key>`.
PLIST_CAT = ROOT / "ios/Freeport/Resources/InfoPlist.xcstrings"
OUT = ROOT / "l10n/source/en.json"
KEYS = ROOT / "l10n/keys.json"
MARKETS = ROOT / "assets/markets"
MARKET_SOURCE = MARKETS / "l10n/en.json"


def android_text(el):
    t = "".join(el.itertext())
    t = t.replace("\\'", "'").replace('\\"', '"').replace("\\n", "\n").replace("\\@", "@").replace("\\?", "?")
    return t


def android_units():
    units = {}
    for f in RES_FILES:
        units.update(android_file_units((RES_DIR / f).read_text()))
    return units


def android_file_units(src):
    # Section comments give translators context.
    units, section = {}, ""
    for m in re.finditer(r'<!--(.*?)-->|<(string|plurals)\s+name="([^"]+)"([^>]*)>(.*?)</\2>', src, re.S):
        if m.group(1) is not None:
            section = " ".join(m.group(1).split())
            continue
        kind, name, attrs, body = m.group(2), m.group(3), m.group(4), m.group(5)
        if 'translatable="false"' in attrs:
            continue
        el = ET.fromstring(f"<{kind}>{body}</{kind}>")
        u = {"platforms": ["android"], "context": section}
        if kind == "string":
            u["text"] = android_text(el)
        else:
            u["plural"] = {i.get("quantity"): android_text(i) for i in el.findall("item")}
        units[name] = u
    return units


def ios_to_android(s):
    """%@ / %lld / %d (sequential) -> %1$s / %1$d (positional), for comparison and storage."""
    n = [0]
    def rep(m):
        if m.group(0) == "%%":
            return "%%"
        n[0] += 1
        pos = m.group(1)
        idx = int(pos[:-1]) if pos else n[0]
        t = m.group(2)
        kind = "s" if t == "@" else ("d" if t in ("lld", "ld", "d", "lu", "llu") else ("f" if t.endswith("f") else "s"))
        return f"%{idx}${kind}"
    return re.sub(r"%%|%(\d+\$)?(@|lld|llu|ld|lu|d|\.?\d*f)", rep, s)


def norm(s):
    # Case is kept: "Cancelled" (a heading) and "cancelled" (inside a sentence) are different
    # strings in languages that capitalise differently, so they are different units.
    return re.sub(r"%\d+\$[sdf]", "%", s).strip().rstrip(".")


def build():
    """(units, keys): the table and the iOS key map, from the apps' English as they are now."""
    units = android_units()
    by_text = {}
    for name, u in units.items():
        if "text" in u:
            by_text.setdefault(norm(u["text"]), name)
        else:
            by_text.setdefault(norm(u["plural"].get("other", "")), name)
    cat = json.loads(CAT.read_text())
    keys = {}
    for key, entry in cat["strings"].items():
        if entry.get("shouldTranslate") is False or not key.strip():
            continue
        en = entry.get("localizations", {}).get("en", {})
        plural = en.get("variations", {}).get("plural")
        text = en.get("stringUnit", {}).get("value", key)
        aform = ios_to_android(text)
        hit = by_text.get(norm(aform)) if not plural else by_text.get(norm(ios_to_android(plural.get("other", {}).get("stringUnit", {}).get("value", key))))
        if hit and (("plural" in units[hit]) == bool(plural)):
            keys[key] = hit
            if "ios" not in units[hit]["platforms"]:
                units[hit]["platforms"].append("ios")
            continue
        slug = re.sub(r"[^a-z0-9]+", "_", norm(aform).lower().replace("%", "n"))[:48].strip("_") or "x"
        uid, k = f"ios.{slug}", 2
        while uid in units:
            uid, k = f"ios.{slug}_{k}", k + 1
        u = {"platforms": ["ios"], "context": entry.get("comment", "")}
        if plural:
            u["plural"] = {q: ios_to_android(v["stringUnit"]["value"]) for q, v in plural.items()}
        else:
            u["text"] = aform
        units[uid] = u
        keys[key] = uid
    for key, entry in json.loads(PLIST_CAT.read_text())["strings"].items():
        en = entry["localizations"]["en"]["stringUnit"]["value"]
        units[f"infoplist.{key}"] = {"platforms": ["ios"], "context": entry.get("comment", ""), "text": en}
    return units, keys


def has_letters(text):
    return any(c.isalpha() for c in text)


def market_texts(market):
    """[(key, English)] of one market definition, in display order (market_l10n.rs's scheme)."""
    schema = market["schema"]
    out = [(f"{schema}#title", market["title"]), (f"{schema}#description", market["description"])]
    for f in market["form"]:
        path = f["path"]
        out.append((f"{schema}#{path}.label", f["label"]))
        if f.get("placeholder") is not None:
            out.append((f"{schema}#{path}.placeholder", f["placeholder"]))
        for o in f.get("options", []):
            out.append((f"{schema}#{path}.option.{o['value']}", o["label"]))
    return [(k, t) for k, t in out if has_letters(t)]


def market_source(directory=MARKETS):
    """{key: English} of every bundled market (assets/markets/*.json), in file and form order."""
    out = {}
    for p in sorted(Path(directory).glob("*.json")):
        out.update(market_texts(json.loads(p.read_text())))
    return out


def rendered():
    """{path: text} of the files this script writes."""
    units, keys = build()
    return {OUT: json.dumps(units, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
            KEYS: json.dumps(keys, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
            MARKET_SOURCE: json.dumps(market_source(), indent=1, ensure_ascii=False) + "\n"}, units, keys


def main():
    out, units, keys = rendered()
    if sys.argv[1:] == ["--check"]:
        stale = [p for p, t in out.items() if not p.exists() or p.read_text() != t]
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run python3 scripts/l10n-extract.py")
        return 1 if stale else 0
    for p, t in out.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(t)
    shared = sum(1 for u in units.values() if len(u["platforms"]) == 2)
    print(f"{len(units)} units ({shared} shared by both apps), {len(keys)} iOS keys mapped")


if __name__ == "__main__":
    sys.exit(main())
