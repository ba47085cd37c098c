#!/usr/bin/env python3
"""The translation gate (docs/TRANSLATIONS.md, "The check"): fails when

  * l10n/source/en.json or l10n/keys.json is not what scripts/l10n-extract.py makes of the
    apps' English now (a string was added or changed without re-running the extractor);
  * a shipped locale lacks a translation file, a glossary, or any unit; or has a unit the source
    does not have;
  * a translation's placeholders differ from the source's (how many, which index, which type —
    the order is free: %2$s may come first);
  * a stray % (Android's and iOS's formatters throw or print garbage on it; %% is a literal %);
  * a translation equals the English, except format-only units (no letters), the brand, and the
    locale's own `_identical` list (at most IDENTICAL_CAP entries, each one really identical);
  * a plural lacks one of the locale's CLDR categories, has one the language does not use, or
    drops the count in a category that covers more than one number (Russian `one` is also 21);
  * an iOS catalog key and the unit it maps to disagree in placeholders (index or type) or in
    being a plural;
  * the generated Android resources, locales_config.xml or the iOS catalogs are not what
    scripts/l10n.py writes (generated == committed), or do not read back as the translation
    (escaping), or the iOS project's CFBundleLocalizations differs from the shipped locales;
  * the bundled markets' translations (assets/markets/l10n/<locale>.json, read by the core):
    assets/markets/l10n/en.json is not the markets' English now, a shipped locale lacks its
    file or a key, has a key the markets do not have, an empty text, or a text equal to the
    English — except a currency code ("SGD") and the locale's own `_identical` list.

    python3 scripts/check-l10n.py              # the gate (seconds)
    python3 scripts/check-l10n.py --self-test  # the gate's own tests: bad fixtures must fail
"""
import collections
import importlib.util
import json
import re
import sys
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _load("l10n_gen", "l10n.py")
extract = _load("l10n_extract", "l10n-extract.py")

PH = gen.PH
STRAY = re.compile(r"%(?!\d+\$[sdf])")
# Units every locale may leave as they are: the brand.
ALWAYS_IDENTICAL = {"app_name", "infoplist.CFBundleDisplayName"}
IDENTICAL_CAP = 12
# Categories that stand for exactly one number in a language, so a form may spell it out
# ("un seul accord") instead of printing the digit. Every other category covers many numbers.
SINGLE_NUMBER = {
    "ar": {"zero", "one", "two"}, "de": {"one"}, "es": {"one"}, "it": {"one"}, "pl": {"one"},
    "tr": {"one"}, "ha": {"one"}, "sw": {"one"}, "ur": {"one"},
}
GLOSSARY_TERMS = ["deal", "offer", "request", "post", "quote", "counter-offer", "accept", "confirm",
                  "cancel", "meet code", "met in person", "screening", "verified by", "partner",
                  "in your network", "new account", "rating", "felt safe", "reliable", "relay",
                  "trusted contact", "check-in", "backup", "passphrase", "block", "chat", "market"]


def placeholders(text):
    return sorted(PH.findall(text))


def has_letters(text):
    return re.search(r"[^\W\d_]", PH.sub("", text)) is not None


def ios_kind(spec):
    """An iOS specifier's kind in the table's terms: %@ -> s, %lld/%d/%u -> d, %f -> f."""
    return "s" if spec == "@" else ("f" if spec.endswith("f") else "d")


# ---- the table ------------------------------------------------------------------------------
def table_problems(source, translations, glossaries, locales=None):
    """Problems of the translation table itself (pure: the self-test feeds it fixtures)."""
    locales = locales or [l.tag for l in gen.LOCALES]
    out = []
    for tag in locales:
        loc = gen.BY_TAG[tag]
        if tag not in glossaries:
            out.append(f"{tag}: no glossary (l10n/glossary/{tag}.json)")
        else:
            g = {k.lower(): v for k, v in glossaries[tag].items()}
            if not str(g.get("_register", "")).strip():
                out.append(f"{tag}: glossary has no _register")
            for term in GLOSSARY_TERMS:
                if not any(k.startswith(term) or term in k for k in g):
                    out.append(f"{tag}: glossary lacks \"{term}\"")
        if tag not in translations:
            out.append(f"{tag}: no translations (l10n/translations/{tag}.json)")
            continue
        tr = translations[tag]
        identical = tr.get("_identical", [])
        # The brand and format-only units need no listing, so they do not count.
        counted = [u for u in identical if u not in ALWAYS_IDENTICAL and u in source
                   and has_letters(source[u].get("text") or source[u]["plural"]["other"])]
        if len(counted) > IDENTICAL_CAP:
            out.append(f"{tag}: _identical lists {len(counted)} units besides the brand and format-only ones "
                       f"(at most {IDENTICAL_CAP}: translate the rest)")
        for uid in identical:
            if uid not in source:
                out.append(f"{tag}: _identical names {uid}, not a unit")
        for uid in sorted(tr):
            if not uid.startswith("_") and uid not in source:
                out.append(f"{tag}: {uid} is not in l10n/source/en.json (renamed or removed?)")
        for uid, u in sorted(source.items()):
            where = f"{tag}: {uid}"
            if uid not in tr:
                out.append(f"{where}: missing")
                continue
            t = tr[uid]
            if "text" in u:
                if not isinstance(t, str):
                    out.append(f"{where}: must be a string, like the source")
                    continue
                out += text_problems(where, u["text"], t)
                same = t.strip() == u["text"].strip()
                allowed = uid in ALWAYS_IDENTICAL or uid in identical or not has_letters(u["text"])
                if same and not allowed:
                    out.append(f"{where}: same as the English \"{u['text']}\" (translate it, or list it in _identical if it truly stays)")
                if uid in identical and not same:
                    out.append(f"{where}: listed in _identical but translated (remove it from the list)")
            else:
                if not isinstance(t, dict):
                    out.append(f"{where}: must be plural forms, like the source")
                    continue
                want = set(loc.plurals)
                missing, extra = want - set(t), set(t) - want
                if missing:
                    out.append(f"{where}: lacks plural categories {sorted(missing, key=gen.CATEGORIES.index)} ({tag} uses {' '.join(loc.plurals)})")
                if extra:
                    out.append(f"{where}: has plural categories {tag} never uses: {sorted(extra)}")
                src_other = u["plural"]["other"]
                count = {m for m in PH.findall(src_other)}
                for q, s in sorted(t.items()):
                    if not isinstance(s, str):
                        out.append(f"{where}[{q}]: must be a string")
                        continue
                    got = PH.findall(s)
                    if q == "other" or not count:
                        out += text_problems(f"{where}[{q}]", src_other, s)
                    else:
                        if not set(got) <= count:
                            out.append(f"{where}[{q}]: placeholders {sorted(got)} not in the source's {sorted(count)}")
                        if STRAY.search(s.replace("%%", "")):
                            out.append(f"{where}[{q}]: stray % (write %% for a literal percent)")
                        # Every placeholder but the count must stay; the count only where the
                        # category is one number.
                        need = set(count)
                        if q in SINGLE_NUMBER.get(tag.split("-")[0], set()):
                            need -= {min(count)}
                        if not need <= set(got):
                            out.append(f"{where}[{q}]: drops {sorted(need - set(got))}: in {tag} \"{q}\" covers more than one number, so the count must be shown")
                    if s.strip() in (v.strip() for v in u["plural"].values()) and uid not in identical and has_letters(s):
                        out.append(f"{where}[{q}]: same as the English \"{s}\"")
    return out


def text_problems(where, src, t):
    out = []
    if collections.Counter(PH.findall(t)) != collections.Counter(PH.findall(src)):
        out.append(f"{where}: placeholders {placeholders(t)} != source {placeholders(src)}")
    if STRAY.search(t.replace("%%", "")):
        out.append(f"{where}: stray % (write %% for a literal percent)")
    return out


# ---- the two platforms ----------------------------------------------------------------------
def platform_problems(source, keys, catalog):
    """An iOS key and its unit must agree: same argument indexes, same kinds, plural or not."""
    out = []
    for key, uid in sorted(keys.items()):
        if uid not in source:
            out.append(f"iOS key {json.dumps(key)} maps to {uid}, which is not a unit")
            continue
        entry = catalog["strings"].get(key)
        if entry is None:
            out.append(f"iOS key {json.dumps(key)} (l10n/keys.json) is not in Localizable.xcstrings")
            continue
        u = source[uid]
        en = entry.get("localizations", {}).get("en", {})
        ios_plural = "plural" in en.get("variations", {})
        if ios_plural != ("plural" in u):
            out.append(f"iOS key {json.dumps(key)} is {'a plural' if ios_plural else 'not a plural'} but unit {uid} is {'one' if 'plural' in u else 'not'}")
        specs = gen.ios_specs(gen.ios_english(key, entry))
        ios = sorted((str(i), ios_kind(s)) for i, s in specs.items())
        android = sorted(set(PH.findall(u.get("text") or u["plural"]["other"])))
        if ios != android:
            out.append(f"iOS key {json.dumps(key)} has placeholders {ios}, its Android unit {uid} {android}")
        if ios_plural and len(specs) > 1:
            out.append(f"iOS key {json.dumps(key)}: a plural with several arguments needs substitutions, which scripts/l10n.py does not write")
    return out


# ---- generated files ------------------------------------------------------------------------
def generated_problems(expected, translations, source):
    """expected: {path: text} from scripts/l10n.py. Committed must equal it and read back right."""
    out = []
    for p, text in expected.items():
        rel = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
        if not p.exists():
            out.append(f"{rel}: missing (run python3 scripts/l10n.py)")
        elif p.read_text() != text:
            out.append(f"{rel}: not what scripts/l10n.py writes (run it and commit the result)")
    # What aapt2 will read must be the translation, character for character.
    for tag, tr in translations.items():
        loc = gen.BY_TAG[tag]
        xml = next((t for p, t in expected.items() if p.parent.name == f"values-{loc.android}"), None)
        if xml is None:
            continue
        for el in ET.fromstring(xml):
            uid = el.get("name")
            if el.tag == "string":
                if gen.android_unescape(el.text or "") != tr[uid]:
                    out.append(f"values-{loc.android}: {uid} reads back as {gen.android_unescape(el.text or '')!r}")
            else:
                for item in el:
                    if gen.android_unescape(item.text or "") != tr[uid][item.get("quantity")]:
                        out.append(f"values-{loc.android}: {uid}[{item.get('quantity')}] does not read back")
    return out


def bundle_localizations_problems(tags):
    """The iOS app declares exactly the shipped languages (project.yml and the Info.plist it makes)."""
    want = ["en"] + list(tags)
    out = []
    yml = (ROOT / "ios" / "project.yml").read_text()
    m = re.search(r"CFBundleLocalizations:\s*\[([^\]]*)\]", yml)
    got = [s.strip().strip('"') for s in m.group(1).split(",")] if m else None
    if got != want:
        out.append(f"ios/project.yml: CFBundleLocalizations is {got}, the shipped locales are {want}")
    plist = (ROOT / "ios" / "Freeport" / "Resources" / "Info.plist").read_text()
    m = re.search(r"<key>CFBundleLocalizations</key>\s*<array>(.*?)</array>", plist, re.S)
    got = re.findall(r"<string>([^<]*)</string>", m.group(1)) if m else None
    if got != want:
        out.append(f"ios/Freeport/Resources/Info.plist: CFBundleLocalizations is {got}, the shipped locales are {want}")
    return out


def load_dir(d):
    return {p.stem: json.loads(p.read_text()) for p in sorted(Path(d).glob("*.json"))}


def main():
    problems = []
    # 1. the table is current with the apps' English
    ex_out, _, _ = extract.rendered()
    for p, t in ex_out.items():
        if not p.exists() or p.read_text() != t:
            problems.append(f"{p.relative_to(ROOT)} is out of date with the apps' English: run python3 scripts/l10n-extract.py")
    source = json.loads(gen.SOURCE.read_text())
    keys = json.loads(gen.KEYS.read_text())
    translations = gen.load_translations()
    glossaries = load_dir(gen.L10N / "glossary")
    # 2. every locale complete and right
    problems += table_problems(source, translations, glossaries)
    # 3. Android key <-> iOS key
    problems += platform_problems(source, keys, json.loads(gen.CATALOG.read_text()))
    # 4. generated == committed
    expected = gen.outputs()
    problems += generated_problems(expected, translations, source)
    for p in gen.stale_android_dirs(ROOT, expected):
        problems.append(f"{p.relative_to(ROOT)}: a locale that is no longer shipped (run python3 scripts/l10n.py)")
    problems += bundle_localizations_problems([l.tag for l in gen.LOCALES if l.tag in translations])
    # 5. the bundled markets (the English file is checked with the extractor's outputs above)
    market_source = json.loads((MARKET_L10N / "en.json").read_text())
    market_tr = {t: v for t, v in load_dir(MARKET_L10N).items() if t != "en"}
    problems += market_problems(market_source, market_tr)
    problems += market_rust_problems([l.tag for l in gen.LOCALES])
    for p in problems[:200]:
        print(p)
    if len(problems) > 200:
        print(f"… and {len(problems) - 200} more")
    complete = [t for t in translations if not any(p.startswith(f"{t}:") for p in problems)]
    print(f"check-l10n: {len(source)} units, {len(translations)}/{len(gen.LOCALES)} locales present, "
          f"{len(complete)} clean; {len(market_source)} market texts in {len(market_tr)} locales; "
          f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


# ---- the bundled markets ---------------------------------------------------------------------
MARKET_L10N = ROOT / "assets" / "markets" / "l10n"
MARKET_IDENTICAL_CAP = 6
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def market_problems(source, translations, locales=None):
    """Problems of the market translations (pure: the self-test feeds it fixtures).
    `source`: {key: English}; `translations`: {tag: {key: text, "_identical": [keys]}}."""
    locales = locales or [l.tag for l in gen.LOCALES]
    out = []
    for tag in locales:
        where = f"assets/markets/l10n/{tag}.json"
        tr = translations.get(tag)
        if tr is None:
            out.append(f"{tag}: {where} is missing")
            continue
        identical = tr.get("_identical", [])
        if not isinstance(identical, list) or len(identical) > MARKET_IDENTICAL_CAP:
            out.append(f"{tag}: {where}: _identical must be a list of at most {MARKET_IDENTICAL_CAP} keys")
            identical = []
        for key, en in source.items():
            t = tr.get(key)
            if t is None:
                out.append(f"{tag}: {where}: {key}: missing")
            elif not isinstance(t, str) or not t.strip():
                out.append(f"{tag}: {where}: {key}: empty")
            elif t != t.strip():
                out.append(f"{tag}: {where}: {key}: leading or trailing spaces")
            elif t == en and key not in identical and not CURRENCY_CODE.match(en):
                out.append(f"{tag}: {where}: {key}: same as the English {en!r} (translate it, or list it in _identical)")
        for key in tr:
            if key.startswith("_"):
                if key != "_identical":
                    out.append(f"{tag}: {where}: {key}: unknown meta key")
            elif key not in source:
                out.append(f"{tag}: {where}: {key} is not a text of a bundled market (assets/markets/l10n/en.json)")
        for key in identical:
            if key not in source:
                out.append(f"{tag}: {where}: _identical lists {key}, which no bundled market has")
            elif tr.get(key) != source[key]:
                out.append(f"{tag}: {where}: {key} is listed in _identical but translated")
    shipped = set(locales) | {"en"}
    for tag in translations:
        if tag not in shipped:
            out.append(f"assets/markets/l10n/{tag}.json: not a shipped locale")
    return out


def market_rust_problems(tags):
    """The core embeds one file per shipped locale (core/src/protocol/market_l10n.rs)."""
    rs = (ROOT / "core" / "src" / "protocol" / "market_l10n.rs").read_text()
    got = re.findall(r'\(\s*"([^"]+)",\s*include_str!\("\.\./\.\./\.\./assets/markets/l10n/([^"]+)\.json"\),?\s*\)', rs)
    out = [f"core/src/protocol/market_l10n.rs: {a} embeds {b}.json" for a, b in got if a != b]
    embedded = [a for a, _ in got]
    if embedded != list(tags):
        out.append(f"core/src/protocol/market_l10n.rs: TRANSLATIONS embeds {embedded}, the apps ship {list(tags)}")
    return out


# ---- the gate's own tests -------------------------------------------------------------------
class SelfTest(unittest.TestCase):
    SOURCE = {
        "app_name": {"platforms": ["android", "ios"], "text": "Freeport"},
        "card_partners": {"platforms": ["android", "ios"], "text": "%1$d partners, %2$d in your network"},
        "greet": {"platforms": ["android"], "text": "It's @home & <safe> \"here\""},
        "bullet": {"platforms": ["ios"], "text": "• %1$s"},
        "deals": {"platforms": ["android", "ios"], "plural": {"one": "%1$d deal", "other": "%1$d deals"}},
    }
    GLOSSARY = dict({t: t.upper() for t in GLOSSARY_TERMS}, _register="informal")

    def good(self):
        return {
            "app_name": "Freeport",
            # reordered placeholders are fine
            "card_partners": "%2$d в вашей сети, партнёров: %1$d",
            "greet": "Это @дом & <безопасно> \"здесь\"",
            "bullet": "• %1$s",
            "deals": {"one": "%1$d сделка", "few": "%1$d сделки", "many": "%1$d сделок", "other": "%1$d сделки"},
        }

    def problems(self, tr, tag="ru", glossary=None):
        return table_problems(self.SOURCE, {tag: tr}, {tag: glossary or self.GLOSSARY}, locales=[tag])

    def assertFlags(self, tr, needle, tag="ru"):
        found = self.problems(tr, tag)
        self.assertTrue(any(needle in p for p in found), f"expected a problem with {needle!r}, got {found}")

    def test_good_fixture_passes(self):
        self.assertEqual(self.problems(self.good()), [])

    def test_missing_key_fails(self):
        tr = self.good()
        del tr["greet"]
        self.assertFlags(tr, "greet: missing")

    def test_unknown_key_fails(self):
        self.assertFlags(dict(self.good(), old_id="x"), "old_id is not in l10n/source/en.json")

    def test_placeholder_count_fails(self):
        self.assertFlags(dict(self.good(), card_partners="%1$d партнёров"), "placeholders")

    def test_placeholder_type_fails(self):
        self.assertFlags(dict(self.good(), card_partners="%1$s партнёров, %2$d в сети"), "placeholders")

    def test_placeholder_index_fails(self):
        self.assertFlags(dict(self.good(), card_partners="%1$d партнёров, %3$d в сети"), "placeholders")

    def test_stray_percent_fails(self):
        self.assertFlags(dict(self.good(), greet="100% дом"), "stray %")

    def test_identical_to_english_fails(self):
        self.assertFlags(dict(self.good(), greet=self.SOURCE["greet"]["text"]), "same as the English")

    def test_identical_allowed_when_listed_brand_or_format_only(self):
        tr = dict(self.good(), greet=self.SOURCE["greet"]["text"], _identical=["greet"])
        self.assertEqual(self.problems(tr), [])

    def test_identical_list_is_capped_and_must_be_true(self):
        self.assertFlags(dict(self.good(), _identical=["greet"] * (IDENTICAL_CAP + 1), greet=self.SOURCE["greet"]["text"]), "at most")
        # the brand and format-only units do not count against the cap
        self.assertEqual(self.problems(dict(self.good(), _identical=["app_name", "bullet"] * IDENTICAL_CAP)), [])
        self.assertFlags(dict(self.good(), _identical=["card_partners"]), "listed in _identical but translated")

    def test_plural_missing_category_fails(self):
        tr = self.good()
        tr["deals"] = {"one": "%1$d сделка", "other": "%1$d сделки"}
        self.assertFlags(tr, "lacks plural categories ['few', 'many']")

    def test_plural_extra_category_fails(self):
        tr = self.good()
        tr["deals"] = {"other": "%1$d 件", "one": "%1$d 件"}
        self.assertFlags(tr, "never uses", tag="ja")

    def test_plural_count_dropped_where_category_is_many_numbers(self):
        tr = self.good()
        tr["deals"] = dict(tr["deals"], one="одна сделка")  # Russian `one` is also 21, 31, …
        self.assertFlags(tr, "count must be shown")

    def test_plural_count_may_be_spelled_where_category_is_one_number(self):
        tr = {"app_name": "Freeport", "card_partners": "%1$d Partner, %2$d in deinem Netz",
              "greet": "Es ist @home & <sicher> \"hier\"", "bullet": "• %1$s",
              "deals": {"one": "ein Deal", "other": "%1$d Deals"}}
        self.assertEqual(self.problems(tr, tag="de"), [])

    def test_glossary_required(self):
        g = dict(self.GLOSSARY)
        del g["relay"]
        self.assertTrue(any("lacks \"relay\"" in p for p in self.problems(self.good(), glossary=g)))

    def test_ios_key_disagreeing_with_its_unit_fails(self):
        catalog = {"strings": {
            "%lld partners, %lld in your network": {},
            "%@ deals": {"localizations": {"en": {"variations": {"plural": {
                "one": {"stringUnit": {"value": "%@ deal"}}, "other": {"stringUnit": {"value": "%@ deals"}}}}}}},
            "• %@": {},
        }}
        keys = {"%lld partners, %lld in your network": "card_partners", "%@ deals": "deals", "• %@": "bullet"}
        found = platform_problems(self.SOURCE, keys, catalog)
        self.assertEqual(len(found), 1, found)
        self.assertIn("%@ deals", found[0])
        catalog["strings"]["• %@"] = {"localizations": {"en": {"variations": {"plural": {"other": {"stringUnit": {"value": "• %@"}}}}}}}
        self.assertTrue(any("is a plural but unit bullet is not" in p for p in platform_problems(self.SOURCE, keys, catalog)))

    def test_generated_android_reads_back_as_the_translation(self):
        loc = gen.BY_TAG["ru"]
        units = {k: v for k, v in self.SOURCE.items() if "android" in v["platforms"]}
        xml = gen.android_xml(loc, units, self.good())
        root = ET.fromstring(xml)
        got = {el.get("name"): gen.android_unescape(el.text) if el.tag == "string" else
               {i.get("quantity"): gen.android_unescape(i.text) for i in el} for el in root}
        want = {k: v for k, v in self.good().items() if k in units}
        self.assertEqual(got, want)
        self.assertEqual(gen.android_escape("@home"), "\\@home", "a leading @ would be a resource reference")
        self.assertEqual(gen.android_escape("at @ home"), "at @ home")
        self.assertIn("\\'", gen.android_xml(loc, {"a": {"text": "x"}}, {"a": "l'offre"}))
        self.assertIn('<item quantity="few">', xml)
        self.assertNotIn("bullet", xml, "iOS-only units stay out of Android resources")

    def test_edge_whitespace_and_leading_at_survive(self):
        for s in ["@home", "?x", "  two  spaces ", "a\nb", "back\\slash", "tab\there"]:
            self.assertEqual(gen.android_unescape(gen.android_escape(s)), s, s)

    def test_ios_placeholders_follow_the_key_and_go_positional_when_reordered(self):
        specs = {1: "lld", 2: "lld"}
        self.assertEqual(gen.to_ios("%1$d partners, %2$d here", specs), "%lld partners, %lld here")
        self.assertEqual(gen.to_ios("%2$d here, %1$d partners", specs), "%2$lld here, %1$lld partners")
        self.assertEqual(gen.to_ios("Only %1$s", {1: "@"}), "Only %@")
        self.assertEqual(gen.to_ios("one deal", {1: "lld"}), "one deal")

    def test_ios_plural_localization(self):
        l = gen.catalog_localization(self.SOURCE["deals"], self.good()["deals"], {1: "lld"})
        self.assertEqual(set(l["variations"]["plural"]), {"one", "few", "many", "other"})
        self.assertEqual(l["variations"]["plural"]["few"]["stringUnit"]["value"], "%lld сделки")

    def test_stale_generated_file_fails(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "strings.xml"
            p.write_text("old")
            self.assertTrue(generated_problems({p: "new"}, {}, {}))
            p.write_text("new")
            self.assertEqual(generated_problems({p: "new"}, {}, {}), [])

    def test_a_locale_no_longer_written_is_stale(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            res = root / gen.RES.relative_to(gen.ROOT)
            dropped = res / "values-xx" / "strings.xml"
            kept = res / "values-de" / "strings.xml"
            hand = res / "values-night" / "strings.xml"
            for p in (dropped, kept, hand):
                p.parent.mkdir(parents=True)
            dropped.write_text("<!-- " + gen.GENERATED.format(file="xx.json") + " -->")
            kept.write_text("<!-- " + gen.GENERATED.format(file="de.json") + " -->")
            hand.write_text("<resources/>")
            self.assertEqual(gen.stale_android_dirs(root, {kept: ""}), [dropped])

    MARKET_SOURCE = {"goods/1#title": "Second-hand goods", "goods/1#/currency.placeholder": "SGD",
                     "rideshare/1#/category.option.van": "Van"}

    def market_good(self):
        return {"goods/1#title": "Gebrauchtwaren", "goods/1#/currency.placeholder": "SGD",
                "rideshare/1#/category.option.van": "Transporter"}

    def market_flags(self, tr, needle):
        found = market_problems(self.MARKET_SOURCE, {"de": tr}, locales=["de"])
        self.assertTrue(any(needle in p for p in found), f"expected a problem with {needle!r}, got {found}")

    def test_market_good_fixture_passes_currency_code_may_stay(self):
        self.assertEqual(market_problems(self.MARKET_SOURCE, {"de": self.market_good()}, locales=["de"]), [])

    def test_market_missing_locale_or_key_fails(self):
        self.assertTrue(any("is missing" in p for p in market_problems(self.MARKET_SOURCE, {}, locales=["de"])))
        tr = self.market_good()
        del tr["goods/1#title"]
        self.market_flags(tr, "goods/1#title: missing")

    def test_market_extra_key_fails(self):
        self.market_flags(dict(self.market_good(), **{"goods/1#/colour.label": "Farbe"}), "not a text of a bundled market")
        self.market_flags(dict(self.market_good(), _note="x"), "unknown meta key")

    def test_market_empty_text_fails(self):
        self.market_flags(dict(self.market_good(), **{"goods/1#title": "  "}), "empty")
        self.market_flags(dict(self.market_good(), **{"goods/1#title": 3}), "empty")

    def test_market_text_equal_to_english_fails_unless_listed(self):
        tr = dict(self.market_good(), **{"rideshare/1#/category.option.van": "Van"})
        self.market_flags(tr, "same as the English")
        self.assertEqual(market_problems(self.MARKET_SOURCE, {"de": dict(tr, _identical=["rideshare/1#/category.option.van"])},
                                         locales=["de"]), [])
        self.market_flags(dict(self.market_good(), _identical=["rideshare/1#/category.option.van"]), "listed in _identical but translated")
        self.market_flags(dict(self.market_good(), _identical=["goods/1#/nope.label"]), "no bundled market has")

    def test_market_unshipped_locale_file_fails(self):
        found = market_problems(self.MARKET_SOURCE, {"de": self.market_good(), "xx": {}}, locales=["de"])
        self.assertTrue(any("not a shipped locale" in p for p in found), found)

    def test_market_source_follows_the_key_scheme(self):
        m = {"schema": "s/1", "title": "T", "description": "D", "form": [
            {"path": "/a", "label": "A", "placeholder": "60"},
            {"path": "/b", "label": "B", "placeholder": "e.g. x", "options": [{"value": "v_1", "label": "V"}]}]}
        self.assertEqual(extract.market_texts(m), [
            ("s/1#title", "T"), ("s/1#description", "D"), ("s/1#/a.label", "A"),
            ("s/1#/b.label", "B"), ("s/1#/b.placeholder", "e.g. x"), ("s/1#/b.option.v_1", "V")])

    def test_every_locale_has_a_known_android_qualifier_and_categories(self):
        self.assertEqual(len(gen.LOCALES), 25)
        for l in gen.LOCALES:
            self.assertIn("other", l.plurals)
        self.assertEqual(gen.BY_TAG["id"].android, "in")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        r = unittest.TextTestRunner(verbosity=1).run(unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest))
        sys.exit(0 if r.wasSuccessful() else 1)
    sys.exit(main())
