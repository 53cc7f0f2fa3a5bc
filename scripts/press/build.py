"""Building the editions: load the book, run the pipeline, call the writers, report.

A build is skipped when nothing it reads changed since the last good build of the same outputs
(a manifest of content hashes in the output folder), so a second ``make`` costs a fraction of a
second and rewrites nothing. Every output is written under a temporary name and renamed into
place; a failing or interrupted build leaves the output folder as it was.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import fsio, toolchain
from .book import load_book
from .rules import RULES

PACKAGE = Path(__file__).resolve().parent
EDITIONS = ("pdf", "epub", "html")
MANIFEST = ".press-manifest.json"


@dataclass
class Outputs:
    dist: Path
    slug: str

    @property
    def pdf(self) -> Path:
        return self.dist / f"{self.slug}.pdf"

    @property
    def pdf_print(self) -> Path:
        return self.dist / f"{self.slug}-print.pdf"

    @property
    def epub(self) -> Path:
        return self.dist / f"{self.slug}.epub"

    @property
    def html(self) -> Path:
        return self.dist / "html"

    def of(self, edition: str) -> list[Path]:
        return {"pdf": [self.pdf, self.pdf_print], "epub": [self.epub], "html": [self.html]}[edition]


@dataclass
class Progress:
    quiet: bool = False
    started: float = field(default_factory=time.perf_counter)
    stages: list = field(default_factory=list)

    def stage(self, what: str):
        progress = self

        class _Stage:
            def __enter__(self):
                self.t = time.perf_counter()
                return self

            def __exit__(self, *exc):
                took = time.perf_counter() - self.t
                progress.stages.append((what, took))
                if not progress.quiet and exc[0] is None:
                    print(f"  {what:<34} {took:6.2f} s", flush=True)
        return _Stage()


def fingerprint(book_root: Path, extra: str = "") -> str:
    """SHA-256 over everything a build reads: the manuscript folder, styles, templates, the press."""
    from .writers.common import STYLES, TEMPLATES
    h = hashlib.sha256(extra.encode())
    for base in (book_root, STYLES, TEMPLATES, PACKAGE):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    for var in ("SOURCE_DATE_EPOCH",):
        h.update(f"{var}={os.environ.get(var, '')}".encode())
    return h.hexdigest()


def _manifest(dist: Path) -> dict:
    try:
        return json.loads((dist / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _save_manifest(dist: Path, data: dict) -> None:
    fsio.write(dist / MANIFEST, json.dumps(data, indent=1, sort_keys=True))


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def build(manuscript: Path, dist: Path, editions=EDITIONS, force: bool = False, dump_ast: Path | None = None,
          quiet: bool = False, jobs: int | None = None) -> int:
    """Build the editions; returns the exit status (0 good, 1 manuscript errors)."""
    signal.signal(signal.SIGTERM, _sigterm)
    jobs = jobs or os.cpu_count() or 2
    progress = Progress(quiet)
    with progress.stage("reading book.yaml and chapters"):
        book = load_book(manuscript)
    out = Outputs(dist, book.slug)
    wanted = [e for e in EDITIONS if e in editions]
    tools = toolchain.versions()  # part of every edition's fingerprint: an upgrade rebuilds them all
    fp = fingerprint(book.root, json.dumps(tools, sort_keys=True))
    manifest = _manifest(dist)
    if manifest.get("toolchain") not in (None, tools):  # an upgraded tool: everything anew, the whole layout
        force = True
        if not quiet:
            was = manifest["toolchain"] if isinstance(manifest["toolchain"], dict) else {}
            moved = ", ".join(f"{k} {was.get(k, '?')} → {v}" for k, v in tools.items() if was.get(k) != v)
            print(f"The toolchain changed ({moved}): every edition is rebuilt, the whole book laid out", flush=True)
    todo = [e for e in wanted if force or manifest.get(e) != fp or not all(p.exists() for p in out.of(e))]
    if not todo and dump_ast is None:
        if not quiet:
            print(f"Up to date: {', '.join(wanted)} in {dist}/ (nothing changed since the last build)")
        return 0

    from . import pipeline
    # WeasyPrint loads while pandoc parses: the thread starts once the pipeline's workers are
    # forked and is joined before the PDF worker is forked from this process.
    preload = threading.Thread(target=lambda: __import__("weasyprint"), daemon=True)
    start_preload = preload.start if ("pdf" in todo or "epub" in todo) else None
    with progress.stage(f"pandoc and filters ({len(book.chapters)} chapters)"):
        results, findings = pipeline.process(book, dump_dir=dump_ast, jobs=jobs, on_forked=start_preload)
    if preload.is_alive():
        preload.join()
    warnings = [f for f in findings if f.severity != "error"]
    _show_warnings(warnings)
    pipeline.require_clean(findings)

    dist.mkdir(parents=True, exist_ok=True)
    pagemap = _load_pagemap(out) if manifest.get("pdf") == fp else None
    def prepare_fonts():  # the e-editions' font subsets, made while the PDF renders in other processes
        if "epub" in todo or "html" in todo:
            from . import fonts
            from .writers.common import STYLES
            fonts.prepare(STYLES, fonts.book_characters(book, results))

    if "pdf" in todo or ("epub" in todo and pagemap is None):  # the EPUB's page-list needs the layout
        from .writers import pdf
        with progress.stage("PDF (screen and print) with WeasyPrint"):
            pagemap = pdf.write(book, results, {"screen": out.pdf, "print": out.pdf_print}, jobs=jobs,
                                while_rendering=prepare_fonts, incremental=not force)
        relaid = pagemap.pop("relaid", None)
        if relaid is not None and not quiet:
            print(f"    laid out again: {', '.join(relaid) or 'nothing'}; the rest of the book kept its pages", flush=True)
        manifest["pdf"], manifest["toolchain"] = fp, tools
        _save_manifest(dist, manifest)
        _save_pagemap(out, pagemap)
    if "epub" in todo:
        from .writers import epub
        with progress.stage("EPUB with ebooklib"):
            epub.write(book, results, out.epub, pagemap)
        manifest["epub"], manifest["toolchain"] = fp, tools
        _save_manifest(dist, manifest)
    if "html" in todo:
        from .writers import html
        with progress.stage("HTML edition"):
            html.write(book, results, out.html, [(out.epub, "EPUB"), (out.pdf, "PDF")])
        manifest["html"], manifest["toolchain"] = fp, tools
        _save_manifest(dist, manifest)
    if not quiet:
        print(f"Built in {time.perf_counter() - progress.started:.1f} s:")
        for e in wanted:
            for p in out.of(e):
                if p.exists():
                    print(f"  {str(p) + ('/' if p.is_dir() else ''):<52} {size_of(p) / 1e6:8.2f} MB")
        pending = sum(1 for f in warnings if f.code in ("NOTE-004", "TEXT-001"))
        if warnings:
            print(f"  {len(warnings)} warning(s), {pending} of them pending text; run `make check` for the full report")
    return 0


def _show_warnings(warnings: list) -> None:
    """Up to five warnings in full; beyond that a count per rule (``make check`` lists them all)."""
    sys.stdout.flush()  # keep the progress lines and the warnings in order when both go to one pipe
    if len(warnings) <= 5:
        for f in sorted(warnings):
            print(f"{f}  [warning]", file=sys.stderr)
        return
    counts: dict[str, int] = {}
    for f in warnings:
        counts[f.code] = counts.get(f.code, 0) + 1
    for code, n in sorted(counts.items()):
        print(f"warning: {n} × {code} {RULES[code].text.split(':')[0].format_map(_Blank())}", file=sys.stderr)


class _Blank(dict):
    def __missing__(self, key):
        return "…"


def _load_pagemap(out: Outputs) -> dict | None:
    try:
        return json.loads((out.dist / "reports" / "pagemap.json").read_text())
    except (OSError, ValueError):
        return None


def _save_pagemap(out: Outputs, pagemap: dict) -> None:
    path = out.dist / "reports" / "pagemap.json"
    fsio.write(path, json.dumps(pagemap, sort_keys=True))


def clean(dist: Path, cache: Path) -> None:
    for path in (dist, cache):
        if path.exists():
            shutil.rmtree(path)
