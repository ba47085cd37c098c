#!/usr/bin/env python3
"""Resolve the Android dependency graphs the way Gradle does and write android/ci/deps.lock.

    android/ci/lock.py            # re-resolve and rewrite deps.lock (after editing the catalog)
    android/ci/lock.py --check    # exit 1 if deps.lock is stale for the catalog / build files

Inputs (the single source of versions, shared with Android Studio's Gradle build):
  android/gradle/libs.versions.toml   versions and coordinates
  android/{app,core,presentation}/build.gradle.kts
                                      which catalog entries each configuration uses
                                      (implementation / api / testImplementation / platform(...))
  the catalog's `[libraries]` entries named `ci-*` are the CI's tools (aapt2, r8, kotlinc, ...),
  which Gradle never references.

Why not plain Maven: AndroidX publishes Gradle module metadata (.module) whose exact-version
constraints, platform (BOM) constraints and Android/JVM variants Maven's POM resolver cannot read
(it fails on `[1.13.0]` vs `[1.7.0]` and looks for .jar where an .aar is published). This script
reads the .module files (falling back to the POM where an artifact has none), picks the variant an
Android app consumes (androidJvm, else jvm; java-api for compiling, java-runtime for packaging),
honours platform constraints and `strictly`, and selects the highest requested version per
module, like Gradle's default conflict resolution. Metadata is fetched with Maven itself
(`mvn dependency:resolve` over a generated POM) into $FREEPORT_CACHE/m2.

The output lists every file with its sha256 (from the .module file, or of the downloaded file),
per configuration; android/ci/fetch.py downloads exactly those and refuses any file whose
checksum differs, naming its coordinate.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANDROID = ROOT / "android"
CATALOG = ANDROID / "gradle" / "libs.versions.toml"
LOCK = ANDROID / "ci" / "deps.lock"
CACHE = Path(os.environ.get("FREEPORT_CACHE", Path.home() / ".cache" / "freeport"))
M2 = CACHE / "m2"
MODULES = ["app", "core", "presentation"]
# Tools published with a platform classifier (the catalog has no classifier syntax).
TOOL_ARTIFACTS = {"ci-aapt2": ("jar", "linux")}


def log(msg: str) -> None:
    print(f"[lock] {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    print(f"[lock] error: {msg}", file=sys.stderr)
    sys.exit(1)


# ---- versions -------------------------------------------------------------------------------------
_QUAL = {"snapshot": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3, "rc": 4, "cr": 4,
         "dev": 0, "": 6, "ga": 6, "final": 6, "release": 6, "sp": 7}


def vkey(v: str):
    """Gradle-like ordering: numeric parts numerically, qualifiers alpha < beta < rc < release."""
    parts = re.split(r"[.\-_+]", v.lower())
    out = []
    for p in parts:
        m = re.fullmatch(r"(\d+)([a-z]*)(\d*)", p)
        if m:
            out.append((2, int(m.group(1)), 0))
            if m.group(2):
                out.append((1, _QUAL.get(m.group(2), 5), int(m.group(3) or 0)))
        else:
            m = re.fullmatch(r"([a-z]+)(\d*)", p)
            if m:
                out.append((1, _QUAL.get(m.group(1), 5), int(m.group(2) or 0)))
            else:
                out.append((0, 0, 0))
    # "1.0" == "1.0.0" and a release sorts after its pre-releases: pad with the release marker
    while out and out[-1] == (2, 0, 0):
        out.pop()
    return out + [(1, 6, 0)]


def vmax(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if vkey(a) >= vkey(b) else b


def range_pick(v: str) -> str:
    """Maven/Gradle exact pins `[1.2.3]` are a single version; other ranges are refused."""
    m = re.fullmatch(r"\[([^,\]]+)\]", v)
    if m:
        return m.group(1)
    if any(c in v for c in "[]()"):
        # A lower-bounded range `[x,)` or `[x,y)`: Gradle takes the highest; we take the lower
        # bound only if no one asks for more, which is what the conflict resolution then does.
        m = re.fullmatch(r"[\[(]([^,]+),[^\])]*[\])]", v)
        if m:
            return m.group(1)
        die(f"unsupported version range {v}")
    return v


# ---- fetching with Maven --------------------------------------------------------------------------
def m2_path(g: str, a: str, v: str, ext: str, classifier: str = "") -> Path:
    name = f"{a}-{v}{'-' + classifier if classifier else ''}.{ext}"
    return M2 / g.replace(".", "/") / a / v / name


def mvn_fetch(items: list[tuple[str, str, str, str, str]]) -> None:
    """Download (group, artifact, version, extension, classifier) items with one Maven run."""
    items = sorted(set(i for i in items if not m2_path(*i).exists()))
    # A POM lists one version per group:artifact:type:classifier: split the rest into batches.
    batches: list[list] = []
    for i in items:
        for b in batches:
            if not any((x[0], x[1], x[3], x[4]) == (i[0], i[1], i[3], i[4]) for x in b):
                b.append(i)
                break
        else:
            batches.append([i])
    for b in batches:
        _mvn_fetch_batch(b)


def _mvn_fetch_batch(items):
    deps = "\n".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
        f"<type>{e}</type>{f'<classifier>{c}</classifier>' if c else ''}"
        "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
        "</dependency>" for g, a, v, e, c in items)
    pom = f"""<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>app.freeport.ci</groupId><artifactId>fetch</artifactId><version>0</version><packaging>pom</packaging>
<dependencies>{deps}</dependencies></project>"""
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "pom.xml").write_text(pom)
        r = subprocess.run(["mvn", "-B", "-q", f"-Dmaven.repo.local={M2}", "-f", f"{d}/pom.xml",
                            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:resolve"],
                           capture_output=True, text=True)
    if r.returncode != 0:
        missing = [i for i in items if not m2_path(*i).exists()]
        lines = [l for l in (r.stdout + r.stderr).splitlines() if "ERROR" in l][:8]
        die("Maven could not fetch " + ", ".join(":".join(x for x in i if x) for i in missing[:10])
            + "\n" + "\n".join(lines))


# ---- metadata -------------------------------------------------------------------------------------
GRADLE_MARKER = "published-with-gradle-metadata"


class Meta:
    """What a module version declares: its variants (.module) or its POM."""

    def __init__(self, g, a, v):
        self.g, self.a, self.v = g, a, v
        self.pom_path = m2_path(g, a, v, "pom")
        self.module_path = m2_path(g, a, v, "module")

    def has_module(self) -> bool:
        return GRADLE_MARKER in self.pom_path.read_text(errors="replace")


_pom_cache: dict = {}


def pom_model(g, a, v, need):
    """Effective (properties, dependencyManagement, dependencies, packaging) of a POM, with parents."""
    key = (g, a, v)
    if key in _pom_cache:
        return _pom_cache[key]
    p = m2_path(g, a, v, "pom")
    if not p.exists():
        need.add((g, a, v, "pom", ""))
        return None
    text = re.sub(r'xmlns=["\'][^"\']+["\']', "", p.read_text(errors="replace"), count=1)
    root = ET.fromstring(text)

    def t(el, tag, default=""):
        x = el.find(tag)
        return x.text.strip() if x is not None and x.text else default

    props, mgmt = {}, {}
    parent = root.find("parent")
    if parent is not None:
        pm = pom_model(t(parent, "groupId"), t(parent, "artifactId"), t(parent, "version"), need)
        if pm is None:
            return None
        props.update(pm["props"])
        mgmt.update(pm["mgmt"])
    props.update({"project.groupId": g, "project.version": v, "project.artifactId": a,
                  "pom.version": v, "version": v, "groupId": g})
    pe = root.find("properties")
    if pe is not None:
        for c in pe:
            props[c.tag] = (c.text or "").strip()

    def sub(s):
        for _ in range(5):
            s2 = re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), s)
            if s2 == s:
                break
            s = s2
        return s

    dm = root.find("dependencyManagement/dependencies")
    if dm is not None:
        for d in dm.findall("dependency"):
            dg, da, dv = sub(t(d, "groupId")), sub(t(d, "artifactId")), sub(t(d, "version"))
            if t(d, "scope") == "import" and t(d, "type") == "pom":
                im = pom_model(dg, da, range_pick(dv), need)
                if im is None:
                    return None
                for k, val in im["mgmt"].items():
                    mgmt.setdefault(k, val)
            else:
                mgmt[(dg, da)] = dv
    deps = []
    de = root.find("dependencies")
    if de is not None:
        for d in de.findall("dependency"):
            dg, da = sub(t(d, "groupId")), sub(t(d, "artifactId"))
            dv = sub(t(d, "version")) or mgmt.get((dg, da), "")
            scope = t(d, "scope", "compile")
            excl = frozenset((sub(t(x, "groupId")), sub(t(x, "artifactId")))
                             for x in d.findall("exclusions/exclusion"))
            deps.append(dict(g=dg, a=da, v=dv, scope=scope, optional=t(d, "optional") == "true",
                             type=t(d, "type", "jar"), classifier=sub(t(d, "classifier")), excl=excl))
    model = dict(props=props, mgmt=mgmt, deps=deps, packaging=sub(t(root, "packaging", "jar")))
    _pom_cache[key] = model
    return model


def score_variant(attrs: dict, usage: str) -> int | None:
    """How well a variant fits an Android app's `usage` (java-api / java-runtime); None = unfit."""
    cat = attrs.get("org.gradle.category", "library")
    if cat not in ("library", "platform", "enforced-platform"):
        return None
    u = attrs.get("org.gradle.usage")
    if u not in (usage, "java-runtime" if usage == "java-api" else None):
        return None
    if attrs.get("org.gradle.docstype") or attrs.get("org.gradle.dependency.bundling") == "shadowed":
        return None
    s = 100 if u == usage else 50
    plat = attrs.get("org.jetbrains.kotlin.platform.type")
    if plat == "androidJvm":
        s += 40
    elif plat == "jvm":
        s += 20
    elif plat is not None:
        return None
    env = attrs.get("org.gradle.jvm.environment")
    if env == "android":
        s += 10
    elif env not in (None, "standard-jvm"):
        return None
    bt = attrs.get("com.android.build.api.attributes.BuildTypeAttr")
    if bt not in (None, "release"):
        return None
    if attrs.get("org.gradle.libraryelements") in ("classes", "resources"):
        s -= 5
    return s


def pick_variant(doc: dict, usage: str, platform: bool):
    best, best_s = None, -1
    for var in doc.get("variants", []):
        attrs = var.get("attributes", {})
        is_platform = attrs.get("org.gradle.category") in ("platform", "enforced-platform")
        if is_platform != platform:
            continue
        s = score_variant(attrs, usage)
        if s is not None and s > best_s:
            best, best_s = var, s
    return best


# ---- resolution -----------------------------------------------------------------------------------
class Resolver:
    def __init__(self, usage: str, roots: list[dict]):
        self.usage = usage
        self.roots = roots  # dict(g, a, v, platform, strict, artifact=(ext, classifier) or None)

    def resolve(self):
        """Fixed point of 'highest requested version wins' over the reachable graph."""
        chosen: dict[tuple, str] = {}
        for it in range(60):
            need: set = set()
            requests: dict[tuple, list] = {}
            strict: dict[tuple, str] = {}
            constraints: dict[tuple, list] = {}
            nodes: dict[tuple, dict] = {}   # ga -> info about the chosen version's artifact
            seen: set = set()
            stack = [(r["g"], r["a"], r["v"], r.get("platform", False), frozenset(), r) for r in self.roots]
            for r in self.roots:
                requests.setdefault((r["g"], r["a"]), []).append(r["v"])
                if r.get("strict"):
                    strict[(r["g"], r["a"])] = r["v"]
            while stack:
                g, a, v, platform, excl, root = stack.pop()
                ga = (g, a)
                v = strict.get(ga) or chosen.get(ga) or v
                key = (g, a, v, platform, excl)
                if key in seen:
                    continue
                seen.add(key)
                deps = self.deps_of(g, a, v, platform, need, nodes, root)
                if deps is None:
                    continue
                for d in deps:
                    dga = (d["g"], d["a"])
                    if dga in excl or (d["g"], "*") in excl or ("*", "*") in excl:
                        continue
                    if d.get("constraint"):
                        constraints.setdefault(dga, []).append(d)
                        continue
                    requests.setdefault(dga, [])  # versionless: a platform constraint decides
                    if d["v"]:
                        requests[dga].append(d["v"])
                    if d.get("strict"):
                        strict[dga] = d["strict"]
                    stack.append((d["g"], d["a"], d["v"], d.get("platform", False),
                                  excl | d.get("excl", frozenset()), None))
            if need:
                # Only the version that would win is worth fetching: older ones lose the conflict
                # resolution anyway (and the registry does not serve every old version).
                top = {}
                for ga, vs in list(requests.items()) + [(k, [c["v"] for c in cs]) for k, cs in constraints.items()]:
                    for v in vs:
                        if v:
                            top[ga] = vmax(top.get(ga), range_pick(v))
                want = {n for n in need if (n[0], n[1]) not in top or strict.get((n[0], n[1])) == n[2]
                        or (not strict.get((n[0], n[1])) and vkey(n[2]) >= vkey(top[(n[0], n[1])]))}
                if want:
                    log(f"fetching {len(want)} metadata files (pass {it + 1})")
                    mvn_fetch(list(want))
                    chosen = {**chosen, **{ga: strict.get(ga) or v for ga, v in top.items()}}
                    continue
                chosen = {**chosen, **{ga: strict.get(ga) or v for ga, v in top.items()}}
                continue
            new = {}
            for ga, vs in requests.items():
                best = None
                for v in vs:
                    if v:
                        best = vmax(best, v)
                for c in constraints.get(ga, []):
                    if c["v"]:
                        best = vmax(best, c["v"])
                    if c.get("strict"):
                        strict[ga] = c["strict"]
                new[ga] = strict.get(ga) or best
            if new == chosen:
                unversioned = [f"{g}:{a}" for (g, a), v in chosen.items() if not v]
                if unversioned:
                    die("no version for " + ", ".join(unversioned) + " (no platform/BOM manages it)")
                return {ga: nodes[ga] for ga in chosen if ga in nodes}
            chosen = new
        die("dependency resolution did not converge")

    def deps_of(self, g, a, v, platform, need, nodes, root):
        if not v:  # versionless (managed by a platform): wait for the platform's constraint
            return None
        v = range_pick(v)
        pom = m2_path(g, a, v, "pom")
        if not pom.exists():
            need.add((g, a, v, "pom", ""))
            return None
        meta = Meta(g, a, v)
        if meta.has_module():
            if not meta.module_path.exists():
                need.add((g, a, v, "module", ""))
                return None
            return self.module_deps(g, a, v, platform, need, nodes, root)
        return self.pom_deps(g, a, v, platform, need, nodes, root)

    def module_deps(self, g, a, v, platform, need, nodes, root, depth=0):
        doc = json.loads(m2_path(g, a, v, "module").read_text())
        var = pick_variant(doc, self.usage, platform)
        if var is None:
            if platform:
                return []
            die(f"{g}:{a}:{v} has no variant for an Android app ({self.usage})")
        at = var.get("available-at")
        if at:
            tg, ta, tv = at["group"], at["module"], at["version"]
            if not m2_path(tg, ta, tv, "module").exists():
                need.add((tg, ta, tv, "pom", ""))
                need.add((tg, ta, tv, "module", ""))
                return None
            if depth > 3:
                die(f"available-at loop at {g}:{a}:{v}")
            # The redirect is the module's real content; it stands for (g, a) in the graph.
            return self.module_deps(tg, ta, tv, platform, need, nodes, root, depth + 1) \
                if (tg, ta) == (g, a) else [dict(g=tg, a=ta, v=tv, platform=platform)]
        if not platform:
            files = var.get("files", [])
            want = root.get("artifact") if root else None
            if want:  # an explicit type/classifier (e.g. JNA's @aar) replaces the variant's files
                ext, cls = want
                files = [dict(name=f"{a}-{v}{'-' + cls if cls else ''}.{ext}")]
            nodes[(g, a)] = dict(g=g, a=a, v=v, files=[(f.get("url", f["name"]), f.get("sha256")) for f in files])
        out = []
        for d in var.get("dependencies", []):
            ver = d.get("version", {})
            dv = ver.get("strictly") or ver.get("requires") or ver.get("prefers") or ""
            is_plat = d.get("attributes", {}).get("org.gradle.category") in ("platform", "enforced-platform")
            excl = frozenset((x.get("group", "*"), x.get("module", "*")) for x in d.get("excludes", []))
            out.append(dict(g=d["group"], a=d["module"], v=range_pick(dv) if dv else "",
                            strict=range_pick(ver["strictly"]) if "strictly" in ver else None,
                            platform=is_plat, excl=excl))
        for d in var.get("dependencyConstraints", []):
            ver = d.get("version", {})
            dv = ver.get("strictly") or ver.get("requires") or ver.get("prefers") or ""
            out.append(dict(g=d["group"], a=d["module"], v=range_pick(dv) if dv else "",
                            strict=range_pick(ver["strictly"]) if "strictly" in ver else None,
                            constraint=True))
        return out

    def pom_deps(self, g, a, v, platform, need, nodes, root):
        model = pom_model(g, a, v, need)
        if model is None:
            return None
        if platform:  # a POM used as a platform: its dependencyManagement are constraints
            return [dict(g=k[0], a=k[1], v=range_pick(val), constraint=True)
                    for k, val in model["mgmt"].items() if val and "$" not in val]
        want = root.get("artifact") if root else None
        pk = model["packaging"]
        ext, cls = want if want else (("jar" if pk in ("jar", "bundle", "maven-plugin") else pk), "")
        if pk != "pom" or want:
            nodes[(g, a)] = dict(g=g, a=a, v=v, files=[(f"{a}-{v}{'-' + cls if cls else ''}.{ext}", None)])
        scopes = ("compile",) if self.usage == "java-api" else ("compile", "runtime")
        out = []
        for d in model["deps"]:
            if d["scope"] not in scopes or d["optional"]:
                continue
            if not d["v"]:
                die(f"{g}:{a}:{v}: no version for {d['g']}:{d['a']}")
            out.append(dict(g=d["g"], a=d["a"], v=range_pick(d["v"]), excl=d["excl"]))
        return out


# ---- the catalog and the build files --------------------------------------------------------------
def catalog():
    cat = tomllib.loads(CATALOG.read_text())
    versions = cat.get("versions", {})
    libs = {}
    for name, spec in cat.get("libraries", {}).items():
        if isinstance(spec, str):
            g, a, v = spec.split(":")
        else:
            g, a = spec["module"].split(":") if "module" in spec else (spec["group"], spec["name"])
            v = spec.get("version")
            if isinstance(v, dict):
                v = versions[v["ref"]] if "ref" in v else v.get("strictly") or v.get("require")
            elif v is None and "version.ref" in spec:
                v = versions[spec["version.ref"]]
        if isinstance(spec, dict) and "version" in spec and isinstance(spec["version"], dict) and "ref" in spec["version"]:
            v = versions[spec["version"]["ref"]]
        libs[name] = dict(g=g, a=a, v=v)
    return versions, libs


def alias(acc: str) -> str:
    """libs.compose.material.icons -> the catalog key (`compose-material-icons`)."""
    return acc.replace(".", "-")


DEP_RE = re.compile(r"^\s*(implementation|api|testImplementation|debugImplementation|compileOnly|runtimeOnly)"
                    r"\((platform\()?libs\.([A-Za-z0-9_.]+)\)?\)(\s*\{)?", re.M)


def build_file_deps():
    """(configuration, catalog alias, is_platform, artifact override) from every module's build file."""
    out = []
    for m in MODULES:
        text = (ANDROID / m / "build.gradle.kts").read_text()
        for mt in DEP_RE.finditer(text):
            conf, plat, acc, block = mt.group(1), bool(mt.group(2)), mt.group(3), mt.group(4)
            art = None
            if block:  # artifact { type = "aar"; extension = "aar" }
                tail = text[mt.end(): mt.end() + 300]
                em = re.search(r'extension\s*=\s*"([a-z]+)"', tail.split("}")[0] + "}")
                if em:
                    art = (em.group(1), "")
            out.append((m, conf, alias(acc), plat, art))
    return out


def inputs_digest() -> str:
    h = hashlib.sha256()
    for p in [CATALOG] + [ANDROID / m / "build.gradle.kts" for m in MODULES]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


# ---- main -----------------------------------------------------------------------------------------
def configurations():
    versions, libs = catalog()
    deps = build_file_deps()
    kotlin = versions["kotlin"]

    def root(name, plat=False, art=None, strict=False):
        if name not in libs:
            die(f"build file uses libs.{name.replace('-', '.')}, which {CATALOG.name} does not define")
        l = libs[name]
        return dict(g=l["g"], a=l["a"], v=l["v"] or "", platform=plat, artifact=art, strict=strict)

    # AGP's built-in Kotlin adds the stdlib of the catalog's Kotlin version to every module.
    stdlib = dict(g="org.jetbrains.kotlin", a="kotlin-stdlib", v=kotlin, platform=False, artifact=None)
    main = [root(n, p, a) for (_m, c, n, p, a) in deps if c in ("implementation", "api", "compileOnly")]
    runtime_only = [root(n, p, a) for (_m, c, n, p, a) in deps if c in ("runtimeOnly", "debugImplementation")]
    test = [root(n, p, a) for (_m, c, n, p, a) in deps if c == "testImplementation"]
    # Platforms apply to every configuration that declares one (Gradle does the same per module,
    # and the app declares the BOM).
    plats = [r for r in main if r["platform"]]
    confs = {
        "compile": ("java-api", main + [stdlib]),
        "runtime": ("java-runtime", main + runtime_only + [stdlib]),
        "test": ("java-runtime", main + runtime_only + test + plats + [stdlib]),
    }
    # The test classpath takes JNA's jar (host natives), not the app's @aar.
    test = [dict(r, artifact=None) for r in test]
    tools = {}
    for name in libs:
        if name.startswith("ci-"):
            tools[name[3:]] = [root(name, art=TOOL_ARTIFACTS.get(name))]
    return confs, tools


def main_check():
    """Fail when the catalog or a build file changed since deps.lock was written."""
    if not LOCK.exists() or f"# inputs {inputs_digest()}" not in LOCK.read_text():
        die(f"{LOCK.relative_to(ROOT)} is stale for libs.versions.toml / build.gradle.kts: run android/ci/lock.py")


def main():
    if "--check" in sys.argv:
        main_check()
        return
    digest = inputs_digest()
    confs, tools = configurations()
    lines = [
        "# Generated by android/ci/lock.py from android/gradle/libs.versions.toml and the modules'",
        "# build.gradle.kts. Do not edit: change the catalog and re-run the script.",
        "# <configuration> <group:artifact:version> <file> <sha256>",
        f"# inputs {digest}",
    ]
    all_entries = []
    for conf, (usage, roots) in list(confs.items()) + [(f"tool:{k}", ("java-runtime", v)) for k, v in tools.items()]:
        log(f"resolving {conf} ({usage}, {len(roots)} roots)")
        nodes = Resolver(usage, roots).resolve()
        for ga in sorted(nodes):
            n = nodes[ga]
            for fname, sha in n["files"]:
                v = n["v"]
                if fname.startswith("../"):  # a file of a sibling version (guava's -jre/-android)
                    _, v, fname = fname.split("/")
                all_entries.append([conf, f"{n['g']}:{n['a']}:{v}", fname, sha])
    # Download every file once (to verify and to record the checksums Maven-only artifacts lack).
    fetch = []
    for conf, coord, fname, sha in all_entries:
        g, a, v = coord.split(":")
        stem = fname[len(f"{a}-{v}"):]
        ext = stem.rsplit(".", 1)[1] if "." in stem else ""
        cls = stem[1:].rsplit(".", 1)[0] if stem.startswith("-") else ""
        if stem.endswith(".tar.gz"):
            ext, cls = "tar.gz", stem[1:-len(".tar.gz")] if stem.startswith("-") else ""
        fetch.append((g, a, v, ext, cls))
    log(f"downloading {len(set(fetch))} files")
    mvn_fetch(fetch)
    for e, (g, a, v, ext, cls) in zip(all_entries, fetch):
        p = m2_path(g, a, v, ext, cls)
        actual = hashlib.sha256(p.read_bytes()).hexdigest()
        if e[3] and e[3] != actual:
            die(f"{e[1]} {e[2]}: sha256 {actual} differs from its .module's {e[3]}")
        e[3] = actual
        lines.append(" ".join(e))
    LOCK.write_text("\n".join(lines) + "\n")
    log(f"wrote {LOCK.relative_to(ROOT)}: {len(all_entries)} files")


if __name__ == "__main__":
    main()
