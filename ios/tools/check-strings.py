#!/usr/bin/env python3
"""Checks that every user-visible string literal of the SwiftUI app is a key of
Freeport/Resources/Localizable.xcstrings, and lists catalog keys no source uses.

    python3 ios/tools/check-strings.py        # exit 1 on a missing key

Xcode extracts keys on build (SWIFT_EMIT_LOC_STRINGS); this is the same check without Xcode,
for Linux CI. Literals are the first argument of SwiftUI/UIKit text initialisers (both arms of
a ternary), `String(localized:)`, and the `case …: "…"` values of functions returning
`LocalizedStringKey`, plus the notification titles FreeportKit names by key (`NoticeMapping.titleKey`).
Interpolations become a placeholder that matches any format specifier
(%@, %lld, %u, …): the specifier's type is checked by reading the code (see ios/VERIFICATION.md;
whole numbers are passed as `Int` so the key is `%lld`).
"""
import json, re, sys, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTICES = ROOT / 'FreeportKit/Sources/FreeportViewModels/Notices.swift'
CALLS = r'(?<![A-Za-z.])(?:Text|Label|Button|Toggle|TextField|SecureField|Section|NavigationLink|LabeledContent|Picker|DatePicker|ProgressView|YesNo|\.navigationTitle|\.confirmationDialog|\.alert|String)\('
LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
SPEC = re.compile(r'%(?:\d+\$)?(?:@|lld|llu|ld|lu|d|u|lf|f|\.\d+lf|\.\d+f)')


def first_arg(src, start):
    depth, i = 0, start
    in_str = False
    while i < len(src):
        c = src[i]
        if in_str:
            if c == '\\' and i + 1 < len(src) and src[i + 1] == '(':
                # interpolation: skip to its closing paren
                d, i = 1, i + 2
                while i < len(src) and d:
                    d += {'(': 1, ')': -1}.get(src[i], 0)
                    i += 1
                continue
            if c == '\\':
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in '([{':
            depth += 1
        elif c in ')]}':
            if depth == 0:
                return src[start:i]
            depth -= 1
        elif c == ',' and depth == 0:
            return src[start:i]
        i += 1
    return src[start:]


def literals(arg):
    arg = arg.strip()
    if arg.startswith('verbatim:'):
        return []
    label = re.match(r'^(localized|question):', arg)
    if label:
        arg = arg[label.end():]
    elif re.match(r'^[a-zA-Z]+:', arg):
        return []  # another labelled argument (e.g. `systemImage:`, `uiImage:`)
    # only literals at the top level of the argument (a plain literal or a ternary of them)
    out = []
    for m in LIT.finditer(arg):
        before = arg[:m.start()]
        if re.search(r'[=!]=\s*$', before):
            continue  # a comparison operand (`side == "offer" ? …`), not shown
        if before.count('"') % 2 == 0 and '(' not in before.replace('\\(', ''):
            out.append(m.group(1))
    return out


def normalise(lit):
    # \( … ) -> \x00 ; escapes -> plain characters
    out, i = [], 0
    while i < len(lit):
        if lit.startswith('\\(', i):
            d, i = 1, i + 2
            while i < len(lit) and d:
                d += {'(': 1, ')': -1}.get(lit[i], 0)
                i += 1
            out.append('\x00')
        elif lit[i] == '\\' and i + 1 < len(lit):
            out.append({'n': '\n', 't': '\t', '"': '"', '\\': '\\'}.get(lit[i + 1], lit[i + 1]))
            i += 2
        else:
            out.append(lit[i])
            i += 1
    return ''.join(out)


def main():
    catalog = json.loads((ROOT / 'Freeport/Resources/Localizable.xcstrings').read_text())
    keys = set(catalog['strings'])
    pattern = {k: re.compile('^' + re.escape(SPEC.sub('\x00', k)).replace('\\\x00', '\x00') + '$') for k in keys}
    used, missing = set(), []
    sources = sorted((ROOT / 'Freeport').rglob('*.swift')) + [NOTICES]
    for path in sources:
        src = path.read_text()
        found = []
        if path == NOTICES:
            # Notification titles are catalog keys chosen in FreeportKit (`titleKey`), looked
            # up by the app with String(localized: String.LocalizationValue(key)).
            m = re.search(r'func titleKey\(.*?\n    \}', src, re.S)
            if not m:
                sys.exit('check-strings: titleKey not found in ' + str(NOTICES))
            found = [(src.count('\n', 0, m.start() + c.start()) + 1, c.group(1))
                     for c in LIT.finditer(m.group(0))]
            for line, lit in found:
                hits = [k for k, p in pattern.items() if p.match(normalise(lit))]
                if hits:
                    used.update(hits)
                else:
                    missing.append(f'{path.relative_to(ROOT)}:{line}: "{lit}"')
            continue
        for m in re.finditer(CALLS, src):
            found += [(src.count('\n', 0, m.end()) + 1, l) for l in literals(first_arg(src, m.end()))]
        # `case …: "…"` inside functions/properties returning LocalizedStringKey
        for m in re.finditer(r'LocalizedStringKey\s*\{', src):
            depth, i = 1, m.end()
            while i < len(src) and depth:
                depth += {'{': 1, '}': -1}.get(src[i], 0)
                i += 1
            body = src[m.end():i]
            for c in re.finditer(r'(?:case [^\n:]*|default):\s*"((?:[^"\\\n]|\\.)*)"', body):
                found.append((src.count('\n', 0, m.end() + c.start()) + 1, c.group(1)))
        for line, lit in found:
            text = normalise(lit)
            if not text.strip() or text.startswith('nostr:'):
                continue
            hits = [k for k, p in pattern.items() if p.match(text)]
            if hits:
                used.update(hits)
            else:
                missing.append(f'{path.relative_to(ROOT)}:{line}: "{lit}"')
    for m in missing:
        print('missing from Localizable.xcstrings:', m)
    for k in sorted(keys - used):
        print('unused catalog key:', json.dumps(k))
    print(f'{len(used)} keys used, {len(missing)} missing, {len(keys - used)} unused', file=sys.stderr)
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
