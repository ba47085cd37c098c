#!/usr/bin/env python3
"""Static checks of the Android app that need no Android SDK (run by android/test-presentation.sh).

The Compose app cannot be compiled where there is no SDK, so these catch, by reading the sources,
the mistakes that would otherwise surface only in Android Studio or on a device:

  * every XML file under android/ is well-formed (the manifest, resources, backup rules);
  * every R.string / R.plurals the Kotlin code names exists, and every stringResource /
    pluralStringResource call passes as many format arguments as the string has placeholders;
  * no user-visible text is hard-coded in the UI (Text("…"), contentDescription = "…", …);
  * an IconButton whose icon has no contentDescription is an unlabeled button for TalkBack;
  * no passphrase-like state is kept with rememberSaveable (the saved-instance Bundle);
  * :presentation imports nothing from android.* / androidx.*;
  * the manifest asks for exactly the permissions the app uses and keeps everything out of backup.

Usage: android/check-app.py   (exit status 1 and one line per problem when something is wrong)
"""

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ANDROID = Path(__file__).resolve().parent
APP = ANDROID / "app" / "src" / "main"
KOTLIN = APP / "java"
PRESENTATION = ANDROID / "presentation" / "src" / "main" / "kotlin"
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"

problems: list[str] = []
warnings: list[str] = []


def problem(where: str, what: str) -> None:
    problems.append(f"{where}: {what}")


def rel(p: Path) -> str:
    return str(p.relative_to(ANDROID.parent))


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# ---- XML ---------------------------------------------------------------------------------------

def check_xml() -> None:
    for f in sorted(ANDROID.rglob("*.xml")):
        if any(part in ("build", "target", ".gradle") for part in f.parts):
            continue
        try:
            ET.parse(f)
        except ET.ParseError as e:
            problem(rel(f), f"not well-formed XML: {e}")


# ---- string resources -------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%(\d+\$)?[-#+ 0,(]*\d*(?:\.\d+)?([sdfxXoeEgGc])")


def placeholders(text: str) -> int:
    """Number of distinct format arguments a resource string takes."""
    text = text.replace("%%", "")
    found = PLACEHOLDER.findall(text)
    positional = {int(p[:-1]) for p, _ in found if p}
    return max(positional) if positional else len(found)


def load_resources() -> tuple[dict[str, int], dict[str, int]]:
    strings: dict[str, int] = {}
    plurals: dict[str, int] = {}
    # strings.xml plus the other value files that hold strings (codes.xml: the core's codes).
    for f in sorted((APP / "res").glob("values*/*.xml")):
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError:
            continue  # reported by check_xml
        for el in root:
            name = el.get("name")
            if not name:
                continue
            if el.tag == "string":
                strings.setdefault(name, placeholders("".join(el.itertext())))
            elif el.tag == "plurals":
                counts = [placeholders("".join(item.itertext())) for item in el.findall("item")]
                if not any(i.get("quantity") == "other" for i in el.findall("item")):
                    problem(rel(f), f"plurals `{name}` has no quantity=\"other\" item")
                plurals.setdefault(name, max(counts) if counts else 0)
    return strings, plurals


def call_args(text: str, open_paren: int) -> list[str] | None:
    """Top-level comma-separated arguments of the call whose '(' is at open_paren."""
    depth, args, cur, i, quote = 0, [], [], open_paren + 1, None
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c in "([{":
            depth += 1
            cur.append(c)
        elif c in ")]}":
            if depth == 0:
                if "".join(cur).strip():
                    args.append("".join(cur).strip())
                return args
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    return None


def check_strings(strings: dict[str, int], plurals: dict[str, int]) -> None:
    used_strings: set[str] = set()
    used_plurals: set[str] = set()
    for f in sorted(KOTLIN.rglob("*.kt")):
        text = f.read_text()
        for m in re.finditer(r"\bR\.(string|plurals)\.(\w+)", text):
            kind, name = m.groups()
            table, used = (strings, used_strings) if kind == "string" else (plurals, used_plurals)
            used.add(name)
            if name not in table:
                problem(f"{rel(f)}:{line_of(text, m.start())}", f"R.{kind}.{name} is not defined in res/values/strings.xml")
        for m in re.finditer(r"\b(stringResource|pluralStringResource)\(", text):
            args = call_args(text, m.end() - 1)
            if not args:
                continue
            ref = re.fullmatch(r"R\.(string|plurals)\.(\w+)", args[0])
            if not ref:
                continue  # a computed id (when-expression): its strings are checked by name above
            kind, name = ref.groups()
            if m.group(1) == "stringResource":
                want, given = strings.get(name), len(args) - 1
            else:
                want, given = plurals.get(name), len(args) - 2  # (id, count, formatArgs…)
            if want is not None and want != given:
                problem(f"{rel(f)}:{line_of(text, m.start())}",
                        f"{name} takes {want} format argument(s), the call passes {given}")
    for name in sorted(set(strings) - used_strings - {"app_name"}):
        warnings.append(f"string `{name}` is not used by the app")
    for name in sorted(set(plurals) - used_plurals):
        warnings.append(f"plurals `{name}` is not used by the app")


# ---- hard-coded text and unlabeled buttons ------------------------------------------------------

LITERAL_UI = re.compile(
    r"""(?:\bText\(\s*|\btext\s*=\s*|contentDescription\s*=\s*|\blabel\s*=\s*\{\s*Text\(\s*|placeholder\s*=\s*\{\s*Text\(\s*)"((?:[^"\\]|\\.)*)\"""")


def is_words(literal: str) -> bool:
    """True when a string literal carries words (not just symbols around ${templates})."""
    bare = re.sub(r"\$\{[^}]*\}|\$\w+", "", literal)
    return re.search(r"[A-Za-z]{2,}", bare) is not None


def check_ui_text() -> None:
    for f in sorted(KOTLIN.rglob("*.kt")):
        text = f.read_text()
        for m in LITERAL_UI.finditer(text):
            if is_words(m.group(1)):
                problem(f"{rel(f)}:{line_of(text, m.start())}",
                        f"hard-coded UI text \"{m.group(1)}\": put it in res/values/strings.xml")
        for m in re.finditer(r"\bIconButton\(", text):
            args = call_args(text, m.end() - 1)
            if args is None:
                continue
            # The trailing lambda: from the matching ')' to its closing '}'.
            close = text.find(")", m.end() - 1)
            depth, i = 0, m.end() - 1
            while i < len(text):
                if text[i] == "(":
                    depth += 1
                elif text[i] == ")":
                    depth -= 1
                    if depth == 0:
                        close = i
                        break
                i += 1
            body = text[close + 1: close + 400]
            brace = body.find("{")
            if brace != -1 and body[:brace].strip() == "":
                inner = body[brace: body.find("}", brace) + 1] if "}" in body else body
                if "contentDescription = null" in inner and "Text(" not in inner:
                    problem(f"{rel(f)}:{line_of(text, m.start())}",
                            "IconButton with an icon but no contentDescription: TalkBack reads an unlabeled button")


# ---- secrets stay out of the saved-instance Bundle ----------------------------------------------

def check_saved_state() -> None:
    """rememberSaveable writes into the Bundle the system keeps (and may persist): no secrets."""
    for f in sorted(KOTLIN.rglob("*.kt")):
        text = f.read_text()
        for m in re.finditer(r"\b(?:var|val)\s+(\w+)\s+by\s+rememberSaveable\b", text):
            if re.search(r"pass|secret|nsec|pin", m.group(1), re.IGNORECASE):
                problem(f"{rel(f)}:{line_of(text, m.start())}",
                        f"`{m.group(1)}` is kept with rememberSaveable: secrets must use remember")


# ---- :presentation stays plain Kotlin ---------------------------------------------------------

def check_presentation() -> None:
    for f in sorted(PRESENTATION.rglob("*.kt")):
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if re.match(r"\s*import\s+(android|androidx)\.", line):
                problem(f"{rel(f)}:{n}", f"Android import in :presentation: {line.strip()}")


# ---- manifest ---------------------------------------------------------------------------------

def check_manifest() -> None:
    f = APP / "AndroidManifest.xml"
    try:
        root = ET.parse(f).getroot()
    except ET.ParseError:
        return  # reported by check_xml
    perms = {p.get(f"{ANDROID_NS}name") for p in root.findall("uses-permission")}
    for needed in ("android.permission.INTERNET", "android.permission.CAMERA", "android.permission.ACCESS_COARSE_LOCATION"):
        if needed not in perms:
            problem(rel(f), f"missing <uses-permission {needed}>")
    for unwanted in ("android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_BACKGROUND_LOCATION",
                     "android.permission.READ_EXTERNAL_STORAGE", "android.permission.WRITE_EXTERNAL_STORAGE"):
        if unwanted in perms:
            problem(rel(f), f"{unwanted} is not needed (coarse location, app-private storage only)")
    app = root.find("application")
    if app is None:
        problem(rel(f), "no <application>")
        return
    if app.get(f"{ANDROID_NS}allowBackup") != "false":
        problem(rel(f), "android:allowBackup must be false")
    for attr in ("dataExtractionRules", "fullBackupContent"):
        ref = app.get(f"{ANDROID_NS}{attr}") or ""
        m = re.fullmatch(r"@xml/(\w+)", ref)
        if not m or not (APP / "res" / "xml" / f"{m.group(1)}.xml").exists():
            problem(rel(f), f"android:{attr} must name an existing @xml resource (is `{ref}`)")
            continue
        rules = ET.parse(APP / "res" / "xml" / f"{m.group(1)}.xml").getroot()
        sections = list(rules) if attr == "dataExtractionRules" else [rules]
        for sec in sections:
            domains = {e.get("domain") for e in sec.findall("exclude")}
            for d in ("root", "file", "database", "sharedpref", "external"):
                if d not in domains:
                    problem(rel(f), f"{m.group(1)}.xml <{sec.tag}> does not exclude domain `{d}`")
    launchers = [a for a in app.findall("activity")
                 if any(c.get(f"{ANDROID_NS}name") == "android.intent.category.LAUNCHER"
                        for c in a.iter("category"))]
    if len(launchers) != 1:
        problem(rel(f), f"expected one launcher activity, found {len(launchers)}")
    elif launchers[0].get(f"{ANDROID_NS}exported") != "true":
        problem(rel(f), "the launcher activity must declare android:exported=\"true\" (API 31+)")


def main() -> int:
    check_xml()
    strings, plurals = load_resources()
    check_strings(strings, plurals)
    check_ui_text()
    check_saved_state()
    check_presentation()
    check_manifest()
    for w in warnings:
        print(f"[check-app] warning: {w}", file=sys.stderr)
    for p in problems:
        print(f"[check-app] {p}", file=sys.stderr)
    print(f"[check-app] {len(problems)} problem(s), {len(warnings)} warning(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
