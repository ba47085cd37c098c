#!/usr/bin/env python3
"""Fails when a Kotlin or Swift source spells a negotiation state (or role, or side) as a string.

The apps hold no negotiation rules: they render the core's typed values (`DealState`,
`DealRole`, `Party`, `DealView.actions`) and compare enums, never labels. A literal such as
"confirmed" or "accepted_by_them" in app code is a rule being re-implemented over strings, which
is how the two apps drifted from the core before (issue 18). The codes are read from the core
(`core/src/app/views.rs`, and the store's labels in `core/src/app/deals.rs`), so a new state is
covered without editing this script.

    scripts/check-ui-literals.py        # exit 1 and one line per literal found

Scanned: every *.kt and *.swift under android/, ios/ and tests/kotlin/, except the generated
bindings.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ("/generated/", "/FreeportCore/FreeportCore.swift")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def enum_variants(source: str, enum: str) -> list[str]:
    m = re.search(r"pub enum " + enum + r" \{(.*?)\n\}", source, re.S)
    if not m:
        sys.exit(f"check-ui-literals: enum {enum} not found in core/src/app/views.rs")
    body = re.sub(r"///[^\n]*", "", m.group(1))
    return [snake(v) for v in re.findall(r"^\s*([A-Z][A-Za-z]*)\s*[,{(]", body, re.M)]


def codes() -> set[str]:
    views = (ROOT / "core/src/app/views.rs").read_text()
    found = set()
    for enum in ("DealState", "DealRole", "Party"):
        found.update(enum_variants(views, enum))
    # The labels the store keeps (`state_label`), e.g. "cancel_requested".
    deals = (ROOT / "core/src/app/deals.rs").read_text()
    m = re.search(r"fn state_label\(.*?\n\}", deals, re.S)
    if m:
        found.update(re.findall(r'=> "([a-z_]+)"', m.group(0)))
    return found


def main() -> int:
    wanted = codes()
    if len(wanted) < 10:
        sys.exit(f"check-ui-literals: read only {sorted(wanted)} from the core")
    literal = re.compile(r'"(' + "|".join(sorted(map(re.escape, wanted), key=len, reverse=True)) + r')"')
    problems = []
    for top in ("android", "ios", "tests/kotlin"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in (".kt", ".swift") or any(g in str(path) for g in GENERATED):
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                for m in literal.finditer(line):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: \"{m.group(1)}\" — compare the core's typed value, not a label")
    for p in problems:
        print(p)
    print(f"[check-ui-literals] {len(problems)} negotiation-state literal(s) in Kotlin/Swift "
          f"({len(wanted)} codes checked)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
