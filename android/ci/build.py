#!/usr/bin/env python3
"""Build the Android app without Gradle, test it on the JVM, and assemble a signed debug APK.

    android/ci/build.py                 # everything (what scripts/test.sh runs)
    android/ci/build.py --record        # re-record the screenshot goldens (android/screenshots/)
    android/ci/build.py --tests Flow    # only the test classes whose name contains "Flow"
    android/ci/build.py --no-tests      # compile + APK only

The same inputs as Android Studio's Gradle build, from the same files:
  versions      android/gradle/libs.versions.toml, resolved into android/ci/deps.lock (lock.py)
  sources       android/{app,core,presentation}/src/main, android/app/src/test
  resources     android/app/src/main/res + every AAR's res, compiled and linked by aapt2 into
                R classes, the APK's resources.arsc and the tests' resources.ap_
  manifest      android/app/src/main/AndroidManifest.xml, merged with the libraries' manifests
  bindings      the Android flavour of the UniFFI bindings (scripts/gen-bindings.sh --android)

Steps: fetch (exact files, sha256-checked) -> aapt2 compile/link -> kotlinc + Compose plugin
(SDK 36 from Robolectric's android-all) -> Robolectric tests (screenshots, flow, accessibility)
-> d8 -> APK (zip-aligned, JNA's libjnidispatch.so per ABI) -> apksigner sign/verify -> aapt2
dump badging checks. Downloads and per-artifact work (exploded AARs, compiled library resources,
dexed libraries) are cached under $FREEPORT_CACHE/android, keyed by checksum.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lock  # noqa: E402

ROOT = lock.ROOT
ANDROID = ROOT / "android"
CACHE = lock.CACHE / "android"
OUT = ANDROID / "build" / "ci"

def _find_jdk() -> Path:
    """A JDK >= 21: Robolectric's SDK 36 jars are Java 21 class files."""
    cands = [os.environ.get("FREEPORT_JDK21", "")] + sorted(
        (str(p) for p in Path("/usr/lib/jvm").glob("*") if re.search(r"(2[1-9]|[3-9]\d)", p.name)), reverse=True)
    for c in cands:
        if c and (Path(c) / "bin" / "javac").exists():
            return Path(c)
    print("[android] error: no JDK >= 21 found: set FREEPORT_JDK21 or install one "
          "(e.g. apt-get install openjdk-21-jdk-headless)", file=sys.stderr)
    sys.exit(1)


JDK = _find_jdk()
JAVA = str(JDK / "bin" / "java")
APP_NS = "app.freeport.android"
ABIS = ["arm64-v8a", "armeabi-v7a", "x86_64"]  # app/build.gradle.kts abiFilters
A = "{http://schemas.android.com/apk/res/android}"
T = "{http://schemas.android.com/tools}"
ET.register_namespace("android", A[1:-1])
ET.register_namespace("tools", T[1:-1])

_t0 = time.time()


def log(msg: str) -> None:
    print(f"[android {time.time() - _t0:5.0f}s] {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    print(f"[android] error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, log_to: Path | None = None, **kw):
    """Runs a tool; with [log_to], its (noisy) output goes to that file, shown only on failure."""
    if log_to is not None:
        log_to.parent.mkdir(parents=True, exist_ok=True)
        with open(log_to, "w") as f:
            r = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT, **kw)
        if r.returncode != 0:
            print("".join(log_to.read_text(errors="replace").splitlines(True)[-40:]), file=sys.stderr)
    else:
        r = subprocess.run([str(c) for c in cmd], **kw)
    if r.returncode != 0:
        die(f"{Path(str(cmd[0])).name} failed (exit {r.returncode}): {' '.join(str(c) for c in cmd)[:300]}")
    return r


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- 1. fetch ------------------------------------------------------------------------------------
class Dep:
    def __init__(self, conf, coord, fname, sha):
        self.conf, self.coord, self.fname, self.sha = conf, coord, fname, sha
        self.g, self.a, self.v = coord.split(":")
        self.path = lock.M2 / self.g.replace(".", "/") / self.a / self.v / fname
        stem = fname[len(f"{self.a}-{self.v}"):]
        self.ext = stem.rsplit(".", 1)[1]
        self.cls = stem[1:].rsplit(".", 1)[0] if stem.startswith("-") else ""

    @property
    def is_aar(self):
        return self.ext == "aar"


def fetch() -> dict[str, list[Dep]]:
    """Every file of deps.lock, present and with the locked sha256 — or a failure naming it."""
    lock.main_check()
    deps: dict[str, list[Dep]] = {}
    for line in lock.LOCK.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        conf, coord, fname, sha = line.split()
        deps.setdefault(conf, []).append(Dep(conf, coord, fname, sha))
    every = {d.path: d for ds in deps.values() for d in ds}
    missing = [d for d in every.values() if not d.path.exists()]
    if missing:
        log(f"fetching {len(missing)} files into {lock.M2}")
        lock.mvn_fetch([(d.g, d.a, d.v, d.ext, d.cls) for d in missing])
    # Verified files are remembered by (size, mtime): a warm run hashes nothing it hashed before.
    stamps_file = CACHE / "verified.txt"
    stamps = set(stamps_file.read_text().splitlines()) if stamps_file.exists() else set()
    new = []
    hashed: dict[Path, str] = {}
    # Every line, not every file: a file listed by several configurations must match each.
    for d in [d for ds in deps.values() for d in ds]:
        if not d.path.exists():
            die(f"{d.coord} ({d.fname}) is missing after the fetch")
        st = d.path.stat()
        stamp = f"{d.path} {st.st_size} {st.st_mtime_ns} {d.sha}"
        if stamp in stamps:
            continue
        actual = hashed.get(d.path) or sha256(d.path)
        hashed[d.path] = actual
        if actual != d.sha:
            die(f"{d.coord} ({d.fname}) has sha256 {actual}, deps.lock says {d.sha}: "
                f"the registry served a different file; refusing it")
        new.append(stamp)
    if new:
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(stamps_file, "a") as f:
            f.write("\n".join(new) + "\n")
    return deps


# ---- 2. tools and the platform -------------------------------------------------------------------
def tool_jars(deps, name) -> list[Path]:
    return [d.path for d in deps[f"tool:{name}"]]


def aapt2_binary(deps) -> Path:
    (jar,) = tool_jars(deps, "aapt2")
    dest = CACHE / "aapt2" / sha256_short(jar) / "aapt2"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(jar) as z:
            tmp = dest.with_suffix(".tmp")
            tmp.write_bytes(z.read("aapt2"))
            tmp.chmod(0o755)
            tmp.rename(dest)
    return dest


def sha256_short(p: Path) -> str:
    st = p.stat()
    return hashlib.sha256(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]


PLATFORM_KEEP = ("android/", "com/android/internal/", "dalvik/", "org/json/", "org/xmlpull/",
                 "org/apache/http/", "AndroidManifest.xml", "resources.arsc")


def platform_jar(deps) -> Path:
    """SDK 36's android.jar, cut out of Robolectric's android-all: the framework's classes and
    its resources.arsc, without the libraries android-all bundles (e.g. an old kotlin-stdlib that
    would shadow ours). java.* comes from the JDK, limited to Java 17's API (-Xjdk-release)."""
    (src,) = tool_jars(deps, "android-all")
    keep = hashlib.sha256(repr(PLATFORM_KEEP).encode()).hexdigest()[:8]
    dest = CACHE / "platform" / f"android-36-{sha256_short(src)}-{keep}.jar"
    if dest.exists():
        return dest
    log("cutting android.jar (SDK 36) out of android-all")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
        names = set(zi.namelist())
        for n in ("AndroidManifest.xml", "resources.arsc"):
            if n not in names:
                die(f"{deps['tool:android-all'][0].coord} has no {n}")
        for info in zi.infolist():
            if info.filename.startswith(PLATFORM_KEEP) and not info.filename.endswith(".uau"):
                zo.writestr(info, zi.read(info), compress_type=zipfile.ZIP_STORED
                            if info.filename == "resources.arsc" else zipfile.ZIP_DEFLATED)
    tmp.rename(dest)
    return dest


class Aar:
    """An exploded AAR (cached by checksum): classes, resources, manifest, natives."""

    def __init__(self, dep: Dep):
        self.dep = dep
        self.dir = CACHE / "aars" / f"{dep.a}-{dep.v}-{dep.sha[:12]}"
        if not (self.dir / ".done").exists():
            if self.dir.exists():
                shutil.rmtree(self.dir)
            with zipfile.ZipFile(dep.path) as z:
                z.extractall(self.dir)
            (self.dir / ".done").touch()
        self.manifest = self.dir / "AndroidManifest.xml"
        self.package = ET.parse(self.manifest).getroot().get("package") if self.manifest.exists() else None
        self.res = self.dir / "res"

    def jars(self) -> list[Path]:
        js = [self.dir / "classes.jar"] if (self.dir / "classes.jar").exists() else []
        libs = self.dir / "libs"
        return js + (sorted(libs.glob("*.jar")) if libs.exists() else [])

    def has_res(self) -> bool:
        return self.res.exists() and any(self.res.rglob("*.*"))


def classpath(deps, conf) -> tuple[list[Path], list[Aar]]:
    jars, aars = [], []
    for d in deps[conf]:
        if d.is_aar:
            a = Aar(d)
            aars.append(a)
            jars += a.jars()
        elif d.ext == "jar":
            jars.append(d.path)
    return jars, aars


# ---- 3. manifest ---------------------------------------------------------------------------------
def versions():
    import tomllib
    return tomllib.loads(lock.CATALOG.read_text())["versions"]


def app_config():
    """applicationId, versionCode, versionName as app/build.gradle.kts declares them."""
    text = (ANDROID / "app" / "build.gradle.kts").read_text()

    def field(name):
        m = re.search(rf'{name}\s*=\s*"?([^"\n]+)"?', text)
        if not m:
            die(f"app/build.gradle.kts declares no {name}")
        return m.group(1).strip()
    return field("applicationId"), field("versionCode"), field("versionName")


def qualify(name: str, pkg: str) -> str:
    return pkg + name if name.startswith(".") else (name if "." in name else f"{pkg}.{name}")


def merge_manifest(aars: list[Aar], out: Path, debuggable: bool) -> None:
    """AGP's manifest merge, for what this app's libraries declare: the app's manifest with its
    namespace, SDK levels and versions filled in, plus each library's permissions and
    <application> components (startup providers, receivers, activities), `${applicationId}`
    substituted, same-named components merged (androidx.startup's InitializationProvider is
    declared by several libraries, each adding its <meta-data>)."""
    app_id, vcode, vname = app_config()
    v = versions()
    root = ET.parse(ANDROID / "app" / "src" / "main" / "AndroidManifest.xml").getroot()
    root.set("package", app_id)
    root.set(f"{A}versionCode", vcode)
    root.set(f"{A}versionName", vname)
    sdk = ET.Element("uses-sdk", {f"{A}minSdkVersion": v["minSdk"], f"{A}targetSdkVersion": v["targetSdk"]})
    root.insert(0, sdk)
    app = root.find("application")
    for el in app.iter():
        if el.tag in ("activity", "service", "receiver", "provider", "activity-alias") or el is app:
            n = el.get(f"{A}name")
            if n:
                el.set(f"{A}name", qualify(n, APP_NS))
    # AGP: useLegacyPackaging = false -> native libraries stay in the APK, uncompressed.
    app.set(f"{A}extractNativeLibs", "false")
    if debuggable:
        app.set(f"{A}debuggable", "true")
    perms = {p.get(f"{A}name") for p in root.findall("uses-permission")}
    declared = {p.get(f"{A}name") for p in root.findall("permission")}
    comps = {(c.tag, c.get(f"{A}name")): c for c in app}

    def subst(el):
        for e in el.iter():
            for k, val in list(e.attrib.items()):
                if "${applicationId}" in val:
                    e.set(k, val.replace("${applicationId}", app_id))
        return el

    for aar in aars:
        if not aar.manifest.exists():
            continue
        lroot = ET.parse(aar.manifest).getroot()
        lpkg = aar.package or ""
        for p in lroot.findall("uses-permission"):
            n = p.get(f"{A}name").replace("${applicationId}", app_id)
            if n not in perms:
                perms.add(n)
                root.insert(1, subst(p))
        for p in lroot.findall("permission"):
            n = p.get(f"{A}name").replace("${applicationId}", app_id)
            if n not in declared:
                declared.add(n)
                root.insert(1, subst(p))
        q = lroot.find("queries")
        if q is not None:
            root.append(subst(q))
        lapp = lroot.find("application")
        if lapp is None:
            continue
        for c in lapp:
            if c.tag not in ("activity", "service", "receiver", "provider", "meta-data", "uses-library", "activity-alias", "property"):
                continue
            name = c.get(f"{A}name")
            if name and c.tag != "meta-data":
                c.set(f"{A}name", qualify(name, lpkg))
            key = (c.tag, c.get(f"{A}name"))
            if c.get(f"{T}node") == "remove":
                if key in comps:
                    app.remove(comps.pop(key))
                continue
            if key in comps:  # merge children by name (meta-data of the startup provider)
                have = {(x.tag, x.get(f"{A}name")) for x in comps[key]}
                for x in c:
                    if (x.tag, x.get(f"{A}name")) not in have:
                        comps[key].append(subst(x))
                continue
            comps[key] = subst(c)
            app.append(c)
    for el in root.iter():  # tools:* only steer the merge
        for k in [k for k in el.attrib if k.startswith(T)]:
            del el.attrib[k]
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


# ---- 4. resources --------------------------------------------------------------------------------
def compile_res(aapt2, aars: list[Aar]) -> list[Path]:
    """aapt2 compile every library's res/ (cached by checksum) and the app's (every run)."""
    flats = []
    for aar in aars:
        if not aar.has_res():
            continue
        flat = CACHE / "res" / f"{aar.dep.a}-{aar.dep.v}-{aar.dep.sha[:12]}.flata"
        if not flat.exists():
            flat.parent.mkdir(parents=True, exist_ok=True)
            run([aapt2, "compile", "--dir", aar.res, "-o", flat.with_suffix(".tmp")])
            flat.with_suffix(".tmp").rename(flat)
        flats.append(flat)
    app_flat = OUT / "res" / "app.flata"
    app_flat.parent.mkdir(parents=True, exist_ok=True)
    app_flat.unlink(missing_ok=True)
    # --pseudo-localize: the en-XA (accented, longer) and ar-XB (mirrored) pseudo-locales of the
    # English strings, as AGP's debug builds make them (pseudoLocalesEnabled): the screenshot tests
    # render every screen in them, and a debug APK shows them under Developer options.
    run([aapt2, "compile", "--pseudo-localize", "--dir", ANDROID / "app" / "src" / "main" / "res", "-o", app_flat])
    return flats + [app_flat]


def shipped_locales() -> list[str]:
    """The resource locales the APK keeps: English, our 25 (values-<locale>, as scripts/l10n.py
    writes them) and the two pseudo-locales. What AGP's `localeFilters` does: the libraries'
    strings in languages the app does not speak (AndroidX ships ~90) are left out, so a phone in
    one of those languages shows the app in English throughout rather than a mix, and the APK is
    smaller."""
    res = ANDROID / "app" / "src" / "main" / "res"
    qualifiers = sorted(d.name[len("values-"):] for d in res.glob("values-*")
                        if d.name != "values-night" and (d / "strings.xml").exists())
    return ["en"] + qualifiers + ["en-rXA", "ar-rXB"]


def link(aapt2, platform, manifest, flats, aars, out_apk, gen_dir, ids_out=None, ids_in=None):
    v = versions()
    _, vcode, vname = app_config()
    if gen_dir.exists():
        shutil.rmtree(gen_dir)
    gen_dir.mkdir(parents=True)
    extra = sorted({a.package for a in aars if a.package and a.package != APP_NS})
    cmd = [aapt2, "link", "-I", platform, "--manifest", manifest, "-o", out_apk,
           "--java", gen_dir, "--custom-package", APP_NS, "--auto-add-overlay",
           "--min-sdk-version", v["minSdk"], "--target-sdk-version", v["targetSdk"],
           "--version-code", vcode, "--version-name", vname, "--no-version-vectors",
           "-c", ",".join(shipped_locales())]
    if extra:
        cmd += ["--extra-packages", ":".join(extra)]
    if ids_out:
        cmd += ["--emit-ids", ids_out]
    if ids_in:
        cmd += ["--stable-ids", ids_in]
    for f in flats[:-1]:
        cmd += ["-R", f]
    cmd += ["-R", flats[-1]]
    run(cmd)


# ---- 5. compile ----------------------------------------------------------------------------------
def kotlinc(deps, sources: list[Path], cp: list[Path], out: Path, extra=()):
    compiler = tool_jars(deps, "kotlin-compiler")
    (plugin,) = tool_jars(deps, "compose-compiler")
    files = sorted(str(p) for s in sources for p in (s.rglob("*.kt") if s.is_dir() else [s]))
    files += sorted(str(p) for s in sources if s.is_dir() for p in s.rglob("*.java"))
    # Same sources, class path and options as the last successful run: its classes are current.
    h = hashlib.sha256()
    for f in files + [str(c) for c in cp] + list(extra):
        h.update(f.encode())
        p = Path(f)
        if p.is_file():
            h.update(p.read_bytes() if p.suffix in (".kt", ".java") else str(p.stat().st_mtime_ns).encode())
        elif p.is_dir():
            for q in sorted(p.rglob("*.class")):
                h.update(str(q).encode() + q.read_bytes())
    stamp = out.parent / f"{out.name}.inputs"
    if out.exists() and stamp.exists() and stamp.read_text() == h.hexdigest():
        log(f"kotlinc {out.name}: up to date")
        return
    stamp.unlink(missing_ok=True)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    args = out.parent / f"{out.name}.args"
    args.write_text("\n".join([
        "-d", str(out), "-jvm-target", "17", "-no-stdlib", "-no-reflect", "-Xplugin=" + str(plugin),
        "-cp", ":".join(str(p) for p in cp), *extra, *files]) + "\n")
    log(f"kotlinc {out.name}: {len(files)} files")
    run([JAVA, "-Xmx3g", "-Xss4m", "--sun-misc-unsafe-memory-access=allow", "-cp", ":".join(map(str, compiler)),
         "org.jetbrains.kotlin.cli.jvm.K2JVMCompiler", f"@{args}"])
    stamp.write_text(h.hexdigest())


def javac(sources_dir: Path, cp: list[Path], out: Path):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = [str(p) for p in sources_dir.rglob("*.java")]
    run([JDK / "bin" / "javac", "-nowarn", "-encoding", "UTF-8", "--release", "17", "-d", out,
         "-cp", ":".join(map(str, cp)), *files])


# ---- main ----------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true", help="re-record screenshot goldens")
    ap.add_argument("--tests", default="", help="only test classes whose name contains this")
    ap.add_argument("--no-tests", action="store_true")
    ap.add_argument("--no-apk", action="store_true")
    opts = ap.parse_args()

    deps = fetch()
    log(f"{sum(len(v) for v in deps.values())} locked files present and verified")
    aapt2 = aapt2_binary(deps)
    platform = platform_jar(deps)

    # Bindings (Android flavour) and the host library the flow test loads.
    r = run([ROOT / "scripts" / "gen-bindings.sh", "--android", "--kotlin-only"], stdout=subprocess.PIPE, text=True)
    host_lib = Path(r.stdout.strip().splitlines()[-1])
    bindings = ANDROID / "core" / "src" / "main" / "java" / "generated"
    log("bindings generated")

    compile_jars, compile_aars = classpath(deps, "compile")
    runtime_jars, runtime_aars = classpath(deps, "runtime")
    test_jars, test_aars = classpath(deps, "test")

    # Resources: the app's link (APK) and the tests' link (adds the test libraries' manifests,
    # e.g. ui-test-manifest's ComponentActivity) with the same resource ids.
    flats = compile_res(aapt2, runtime_aars)
    merge_manifest(runtime_aars, OUT / "manifest" / "AndroidManifest.xml", debuggable=True)
    ids = OUT / "res" / "ids.txt"
    link(aapt2, platform, OUT / "manifest" / "AndroidManifest.xml", flats, runtime_aars,
         OUT / "res" / "app-res.apk", OUT / "gen" / "r-app", ids_out=ids)
    r_app = OUT / "classes" / "r-app"
    javac(OUT / "gen" / "r-app", [], r_app)
    log("resources linked (aapt2), R classes compiled")

    main_classes = OUT / "classes" / "main"
    kotlinc(deps, [ANDROID / "app" / "src" / "main" / "java", bindings,
                   ANDROID / "presentation" / "src" / "main" / "kotlin"],
            [platform, *compile_jars, r_app], main_classes, extra=["-Xjdk-release=17"])

    if not opts.no_tests:
        run_tests(deps, aapt2, platform, test_jars, test_aars, main_classes, ids, host_lib, opts)
    if not opts.no_apk:
        build_apk(deps, aapt2, platform, runtime_jars, runtime_aars, main_classes, r_app)
    log("done")


def run_tests(deps, aapt2, platform, test_jars, test_aars, main_classes, ids, host_lib, opts):
    flats = compile_res(aapt2, test_aars)
    manifest = OUT / "manifest-test" / "AndroidManifest.xml"
    merge_manifest(test_aars, manifest, debuggable=True)
    ap_ = OUT / "res" / "resources.ap_"
    link(aapt2, platform, manifest, flats, test_aars, ap_, OUT / "gen" / "r-test", ids_in=ids)
    r_test = OUT / "classes" / "r-test"
    javac(OUT / "gen" / "r-test", [], r_test)
    cfg = OUT / "test-config"
    (cfg / "com" / "android" / "tools").mkdir(parents=True, exist_ok=True)
    (cfg / "com" / "android" / "tools" / "test_config.properties").write_text(
        f"android_merged_manifest={manifest}\nandroid_resource_apk={ap_}\n"
        f"android_custom_package={APP_NS}\n")
    test_classes = OUT / "classes" / "test"
    test_src = ANDROID / "app" / "src" / "test" / "kotlin"
    kotlinc(deps, [test_src], [platform, *test_jars, main_classes, r_test], test_classes)

    # Robolectric runs offline from a directory holding the instrumented SDK 36 jar.
    (inst,) = deps["tool:android-all-instrumented"]
    rdeps = CACHE / "robolectric-deps"
    rdeps.mkdir(parents=True, exist_ok=True)
    link_path = rdeps / inst.path.name
    if not link_path.exists():
        link_path.symlink_to(inst.path)
    classes = sorted(str(p.relative_to(test_classes))[:-6].replace("/", ".")
                     for p in test_classes.rglob("*Test.class") if "$" not in p.name)
    if opts.tests:
        classes = [c for c in classes if opts.tests in c]
    if not classes:
        die(f"no test class matches '{opts.tests}'")
    # android.jar last, as AGP puts its mockable android.jar: annotations such as
    # @Config(application = Application::class) are read outside Robolectric's sandbox.
    cp = [cfg, test_classes, main_classes, r_test, *test_jars, platform]
    results = OUT / "test-results"
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    jvm = [JAVA, "-Xmx3g", "-XX:+UseParallelGC",
           "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
           # SDK 34+ SystemCleaner (the Android-flavour bindings free objects through it) is
           # JDK's CleanerFactory under Robolectric.
           "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
           "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
           "--add-opens", "java.base/java.io=ALL-UNNAMED", "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
           "--add-opens", "java.base/java.net=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
           "--add-opens", "java.base/java.security=ALL-UNNAMED", "--add-opens", "java.base/java.text=ALL-UNNAMED",
           "--add-opens", "java.desktop/java.awt.font=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
           "-Drobolectric.offline=true", f"-Drobolectric.dependency.dir={rdeps}",
           "-Drobolectric.logging.enabled=false", f"-Djna.library.path={host_lib.parent}",
           f"-Dfreeport.screenshots.dir={ANDROID / 'screenshots'}",
           f"-Dfreeport.screenshots.out={results}",
           f"-Dfreeport.screenshots.record={'true' if opts.record else 'false'}",
           "-cp", ":".join(map(str, cp)), "app.freeport.android.test.RunTests", *classes]
    log(f"Robolectric: {len(classes)} test classes")
    r = subprocess.run([str(c) for c in jvm])
    if r.returncode != 0:
        die(f"Android tests failed (exit {r.returncode}); diffs and renders in {results}")


def build_apk(deps, aapt2, platform, runtime_jars, runtime_aars, main_classes, r_app):
    (r8,) = tool_jars(deps, "r8")
    v = versions()
    dexdir = OUT / "dex"
    shutil.rmtree(dexdir, ignore_errors=True)
    dexdir.mkdir(parents=True)
    # The libraries: dexed together in one D8 run (one JVM, one class path), cached by the set of
    # their checksums, so a warm run dexes only the app.
    key = hashlib.sha256("\n".join([f"{sha256_short(j)}" for j in runtime_jars] + [v["minSdk"], r8.name]).encode()).hexdigest()[:16]
    libs_dex = CACHE / "dex" / f"libraries-{key}.zip"
    if not libs_dex.exists():
        libs_dex.parent.mkdir(parents=True, exist_ok=True)
        log(f"d8: {len(runtime_jars)} library jars (cached afterwards)")
        tmp = libs_dex.with_suffix(".tmp.zip")
        tmp.unlink(missing_ok=True)
        run([JAVA, "-Xmx3g", "-cp", r8, "com.android.tools.r8.D8", "--intermediate", "--debug",
             "--min-api", v["minSdk"], "--lib", platform, "--lib", JDK, "--output", tmp, *runtime_jars],
            log_to=OUT / "logs" / "d8-libraries.log")
        tmp.rename(libs_dex)
    inter = [libs_dex]
    app_jar = OUT / "app-classes.jar"
    app_jar.unlink(missing_ok=True)
    with zipfile.ZipFile(app_jar, "w") as z:
        for base in (main_classes, r_app):
            for p in base.rglob("*.class"):
                z.write(p, str(p.relative_to(base)))
    app_dex = OUT / "app-dex.zip"
    app_dex.unlink(missing_ok=True)
    run([JAVA, "-Xmx2g", "-cp", r8, "com.android.tools.r8.D8", "--intermediate", "--debug",
         "--min-api", v["minSdk"], "--lib", platform, "--lib", JDK,
         *[x for c in runtime_jars for x in ("--classpath", c)], "--output", app_dex, app_jar],
        log_to=OUT / "logs" / "d8-app.log")
    log("d8: merging")
    run([JAVA, "-Xmx2g", "-cp", r8, "com.android.tools.r8.D8", "--debug", "--min-api", v["minSdk"],
         "--output", dexdir, app_dex, *inter], log_to=OUT / "logs" / "d8-merge.log")
    dexes = sorted(dexdir.glob("classes*.dex"))
    if not dexes:
        die("d8 produced no classes.dex")

    # The APK: aapt2's resources + dex + Java resources of the jars (ServiceLoader files such as
    # kotlinx-coroutines-android's MainDispatcherFactory) + JNA's libjnidispatch.so per ABI.
    jna = [a for a in runtime_aars if a.dep.a == "jna"]
    if not jna:
        die("JNA's aar is not on the runtime classpath")
    unsigned = OUT / "app-debug-unsigned.apk"
    write_apk(OUT / "res" / "app-res.apk", dexes, runtime_jars, jna[0], unsigned)
    run(["zipalign", "-c", "-p", "4", unsigned])
    apk = OUT / "freeport-debug.apk"
    ks = debug_keystore()
    run(["apksigner", "sign", "--ks", ks, "--ks-pass", "pass:android", "--key-pass", "pass:android",
         "--ks-key-alias", "androiddebugkey", "--min-sdk-version", v["minSdk"], "--out", apk, unsigned])
    run(["apksigner", "verify", "--min-sdk-version", v["minSdk"], apk])
    check_badging(aapt2, apk)
    log(f"APK: {apk} ({apk.stat().st_size // 1024} KiB, {len(dexes)} dex)")


def write_apk(res_apk: Path, dexes, jars, jna: Aar, out: Path):
    """Zip with 4-byte aligned stored entries and 16 KB aligned native libraries (what zipalign
    -P 16 does; Debian's zipalign only knows 4 KB pages), resources.arsc stored (targetSdk 30+)."""
    seen = set()

    def aligned(z: zipfile.ZipFile, name: str, data: bytes, compress: int, align: int):
        info = zipfile.ZipInfo(name, date_time=(2008, 1, 1, 0, 0, 0))
        info.compress_type = compress
        if compress == zipfile.ZIP_STORED:
            offset = z.fp.tell() + 30 + len(name.encode())
            pad = (-(offset + 6)) % align
            info.extra = b"\x35\xd9" + (2 + pad).to_bytes(2, "little") + align.to_bytes(2, "little") + b"\0" * pad
        z.writestr(info, data)
        seen.add(name)

    with zipfile.ZipFile(out, "w") as z, zipfile.ZipFile(res_apk) as r:
        for info in r.infolist():
            stored = info.filename == "resources.arsc" or info.compress_type == zipfile.ZIP_STORED
            aligned(z, info.filename, r.read(info), zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED, 4)
        for d in dexes:
            aligned(z, d.name, d.read_bytes(), zipfile.ZIP_DEFLATED, 4)
        for abi in ABIS:
            so = jna.dir / "jni" / abi / "libjnidispatch.so"
            if not so.exists():
                die(f"{jna.dep.coord} has no jni/{abi}/libjnidispatch.so")
            aligned(z, f"lib/{abi}/libjnidispatch.so", so.read_bytes(), zipfile.ZIP_STORED, 16384)
        skip = re.compile(r"(\.class$|^META-INF/(MANIFEST\.MF|[^/]+\.(SF|RSA|DSA|EC)|versions/|INDEX\.LIST)|module-info|/$)")
        for j in jars:
            with zipfile.ZipFile(j) as jz:
                for info in jz.infolist():
                    n = info.filename
                    if skip.search(n) or n in seen:
                        continue
                    aligned(z, n, jz.read(info), zipfile.ZIP_DEFLATED, 4)


def debug_keystore() -> Path:
    ks = CACHE / "debug.keystore"
    if not ks.exists():
        ks.parent.mkdir(parents=True, exist_ok=True)
        run([JDK / "bin" / "keytool", "-genkeypair", "-keystore", ks, "-storepass", "android",
             "-keypass", "android", "-alias", "androiddebugkey", "-keyalg", "RSA", "-keysize", "2048",
             "-validity", "10000", "-dname", "CN=Android Debug,O=Android,C=US"], stdout=subprocess.DEVNULL)
    return ks


def check_badging(aapt2, apk: Path):
    app_id, vcode, _ = app_config()
    v = versions()
    out = run([aapt2, "dump", "badging", apk], stdout=subprocess.PIPE, text=True).stdout
    (OUT / "badging.txt").write_text(out)
    checks = {
        "package": rf"^package: name='{re.escape(app_id)}' versionCode='{vcode}'",
        "minSdk": rf"^(sdkVersion|minSdkVersion):'{v['minSdk']}'",
        "targetSdk": rf"^targetSdkVersion:'{v['targetSdk']}'",
        "launcher activity": rf"^launchable-activity: name='{re.escape(APP_NS)}.MainActivity'",
        "native code": r"^native-code: '" + "' '".join(ABIS) + "'",
    }
    for what, rx in checks.items():
        if not re.search(rx, out, re.M):
            die(f"aapt2 dump badging: {what} is wrong (expected /{rx}/); see {OUT / 'badging.txt'}")
    log("badging: " + ", ".join(checks))


if __name__ == "__main__":
    main()
