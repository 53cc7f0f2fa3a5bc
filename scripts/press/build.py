"""Building the editions: load the book, run the pipeline, call the writers, report.

A build is skipped when nothing it reads changed since the last good build of the same outputs
(a manifest of content hashes in the output folder), so a second ``make`` costs a fraction of a
second and rewrites nothing. Every output is written into a staging folder beside the output
folder and the editions are swapped in together at the end, the manifest and the page map with
them: a failing or interrupted build leaves the output folder as it was, and its message says so
only when it is true.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import press

from . import fsio, toolchain
from .rules import RULES, ManuscriptError

PACKAGE = Path(__file__).resolve().parent
EDITIONS = ("pdf", "epub", "html")
MANIFEST = ".press-manifest.json"


@dataclass
class Outputs:
    dist: Path
    slug: str

    pdf = property(lambda self: self.dist / f"{self.slug}.pdf")
    pdf_print = property(lambda self: self.dist / f"{self.slug}-print.pdf")
    epub = property(lambda self: self.dist / f"{self.slug}.epub")
    html = property(lambda self: self.dist / "html")

    def of(self, edition: str) -> list[Path]:
        return {"pdf": [self.pdf, self.pdf_print], "epub": [self.epub], "html": [self.html]}[edition]


@dataclass
class Progress:
    quiet: bool = False
    started: float = field(default_factory=time.perf_counter)
    stages: list = field(default_factory=list)

    def stage(self, what: str, before: float = 0.0):
        """A ``with`` block timed and reported as a stage; ``before``: seconds of its work done earlier."""
        progress = self

        class _Stage:
            def __enter__(self):
                self.t = time.perf_counter()
                return self

            def __exit__(self, *exc):
                if exc[0] is None:
                    progress.done(what, before + time.perf_counter() - self.t)
        return _Stage()

    def done(self, what: str, took: float) -> None:
        """A stage's time reported (work done inside another stage is reported after it)."""
        self.stages.append((what, took))
        if not self.quiet:
            print(f"  {what:<34} {took:6.2f} s", flush=True)


def inputs_fingerprint(book_root: Path, tools: str = "") -> str:
    """SHA-256 over every file a build reads — the manuscript folder, styles, templates, the press —
    and the toolchain's versions (``tools``)."""
    h = hashlib.sha256(tools.encode())
    for base in (book_root, press.STYLES, press.TEMPLATES, PACKAGE):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(base)).encode())
            with path.open("rb") as fh:  # in blocks: a huge file in the folder costs time, not memory
                h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def fingerprint(book_root: Path, extra: str = "", inputs: str | None = None) -> str:
    """The inputs' fingerprint and the environment that changes the outputs' bytes."""
    h = hashlib.sha256(extra.encode())
    h.update((inputs or inputs_fingerprint(book_root)).encode())
    for var in ("SOURCE_DATE_EPOCH",):
        h.update(f"{var}={os.environ.get(var, '')}".encode())
    return h.hexdigest()


def _manifest(dist: Path) -> dict:
    try:
        data = json.loads((dist / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _current(manifest: dict, dist: Path, wanted: list[str], fp: str, inputs: str, tools: dict) -> bool:
    """Whether the last good build (the manifest) was made from these inputs with these tools
    and every output it names for ``wanted`` is still there."""
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    built = manifest.get("inputs") if isinstance(manifest.get("inputs"), dict) else {}
    return manifest.get("toolchain") == tools and all(
        manifest.get(e) == fp and built.get(e) == inputs and isinstance(files.get(e), list) and files[e]
        and all(isinstance(n, str) and "/" not in n and (dist / n).exists() for n in files[e]) for e in wanted)


def current_editions(book_root: Path, dist: Path) -> dict[str, bool]:
    """Per edition: whether the output folder's copy was built from the manuscript, styles,
    templates and press as they are now (``make check`` checks only those)."""
    built = _manifest(dist).get("inputs", {})
    now = inputs_fingerprint(book_root, json.dumps(toolchain.versions(), sort_keys=True))
    return {e: built.get(e) == now for e in EDITIONS}


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


class SwapError(Exception):
    """Putting the new editions in place failed part-way (and could not be undone)."""

    def __init__(self, message: str, replaced: list[Path], kept: list[Path], missing: dict[Path, Path]):
        super().__init__(message)
        self.replaced, self.kept, self.missing = replaced, kept, missing


@dataclass
class Failed:
    """What a failed build left in the output folder: ``kept`` are the paths it would have
    replaced and did not, ``replaced`` the ones it did (empty unless putting them in place failed)."""
    dist: Path
    kept: list[Path]
    replaced: list[Path] = field(default_factory=list)
    missing: dict[Path, Path] = field(default_factory=dict)  # target → where its old version was left

    def __str__(self) -> str:
        shown = lambda ps: ", ".join(f"{p}{'/' if p.is_dir() else ''}" for p in ps)  # noqa: E731
        lost = "".join(f"; missing: {t} (its last version is at {o})" for t, o in self.missing.items())
        if not self.replaced and not self.missing:
            kept = [p for p in self.kept if p.exists()]
            return (f"no edition was replaced: {self.dist}/ is as it was"
                    + (f" ({shown(kept)} unchanged)." if kept else " (it holds no editions yet)."))
        return (f"only some editions were replaced: new {shown(self.replaced) or 'nothing'}; "
                f"as before: {shown(self.kept) or 'nothing'}{lost}.")


def build(manuscript: Path, dist: Path, editions=EDITIONS, force: bool = False, dump_ast: Path | None = None,
          quiet: bool = False, jobs: int | None = None) -> int:
    """Build the editions; returns the exit status (0 good, 1 manuscript errors).

    Everything is written into a staging folder beside ``dist`` and swapped in together at the
    end (``fsio.swap_in``): a build replaces every edition it makes or none. An exception leaving
    here carries ``failed`` (a :class:`Failed`) saying what the output folder holds now."""
    jobs = jobs or os.cpu_count() or 2
    progress = Progress(quiet)
    wanted = [e for e in EDITIONS if e in editions]
    tools = toolchain.versions()  # part of every edition's fingerprint: an upgrade rebuilds them all
    inputs = inputs_fingerprint(Path(manuscript), json.dumps(tools, sort_keys=True))
    fp = fingerprint(Path(manuscript), inputs=inputs)
    manifest = _manifest(dist)
    if not force and dump_ast is None and _current(manifest, dist, wanted, fp, inputs, tools):
        # the same bytes in as for the last good build, its outputs all there: nothing to read
        # (the manuscript was checked when they were built), nothing to write
        if not quiet:
            print(f"Up to date: {', '.join(wanted)} in {dist}/ (nothing changed since the last build)")
        return 0
    from .book import load_book  # the schema, YAML and the writers are loaded only for a real build
    with progress.stage("reading book.yaml and chapters"):
        book = load_book(manuscript)
    out = Outputs(dist, book.slug)
    if manifest.get("toolchain") not in (None, tools):  # an upgraded tool: everything anew, the whole layout
        force = True
        if not quiet:
            was = manifest["toolchain"] if isinstance(manifest["toolchain"], dict) else {}
            moved = ", ".join(f"{k} {was.get(k, '?')} → {v}" for k, v in tools.items() if was.get(k) != v)
            print(f"The toolchain changed ({moved}): every edition is rebuilt, the whole book laid out", flush=True)
    todo = [e for e in wanted if force or manifest.get(e) != fp or manifest.get("inputs", {}).get(e) != inputs
            or not all(p.exists() for p in out.of(e))]
    if not todo and dump_ast is None:
        if not quiet:
            print(f"Up to date: {', '.join(wanted)} in {dist}/ (nothing changed since the last build)")
        return 0
    try:
        return _build(book, out, wanted, todo, manifest, fp, inputs, tools, force, dump_ast, quiet, jobs, progress)
    except SwapError as e:
        e.failed = Failed(dist, e.kept, e.replaced, e.missing)
        raise
    except BaseException as e:
        e.failed = Failed(dist, [p for ed in todo for p in out.of(ed)] + [dist / MANIFEST])
        raise


def _build(book, out: Outputs, wanted, todo, manifest, fp, inputs, tools, force, dump_ast, quiet, jobs,
           progress) -> int:
    checking = _check_faces_beside()
    from . import fonts, pipeline
    from .design import styles
    # While pandoc parses: the collation table the index sorts by is read, WeasyPrint loads, its
    # hyphenation patterns are read, and the faces are checked (fontTools and the OpenType Sanitizer;
    # cached). The thread starts once the pipeline's workers are forked and is joined before the PDF
    # worker is forked from this process.
    early: dict[str, list] = {}

    def preload_work():
        if any(ch.generated == "index" for ch in book.chapters):
            from .filters.index import collator
            collator()
        from . import weasy
        weasy.load()  # WeasyPrint and its libraries, shared by the layout workers
        if "pdf" in todo:
            from .writers.printstyle import preload_hyphenation
            preload_hyphenation(book.lang, [ch.source or ch.body for ch in book.chapters])
            # the print stage's modules and template, loaded while the chapter workers run rather
            # than between the chapters' HTML and the layout workers, where only this process works
            from .writers import common, pdf  # noqa: F401
            common.precompile("print/book.html")
        try:
            checking.join()  # its findings are in the fonts cache by now, unless it failed
            early["fonts"] = fonts.problems(styles())
        except Exception:  # a mistake in fonts.yaml: the check below, in the main thread, reports it
            pass
    preload = threading.Thread(target=preload_work, daemon=True)
    start_preload = preload.start if ("pdf" in todo or "epub" in todo) else None
    with progress.stage(f"pandoc and filters ({len(book.chapters)} chapters)"):
        # the e-editions' font subsets for the book's own characters, by a chapter worker once it is free
        web_fonts = (fonts.prepare, styles(), fonts.source_characters(book)) if ("epub" in todo or "html" in todo) \
            and dump_ast is None else None
        results, findings = pipeline.process(book, dump_dir=dump_ast, jobs=jobs, on_forked=start_preload,
                                             alongside=web_fonts)
    if preload.is_alive():
        preload.join()
    warnings = [f for f in findings if f.severity != "error"]
    _show_warnings(warnings)
    pipeline.require_clean(findings)

    # every face is checked before any edition loads it (here, if the thread did not or failed,
    # once the forked check has left its findings in the cache)
    if "fonts" not in early:
        checking.join()
    unusable = early["fonts"] if "fonts" in early else fonts.problems(styles())
    if unusable:
        raise ManuscriptError(unusable)
    dist = out.dist
    staging = fsio.temp_dir_beside(dist, ".staging")
    try:
        new = Outputs(staging, book.slug)
        made: list[tuple[Path, Path]] = []  # (in the staging folder, where it goes)
        pagemap = _load_pagemap(out) if manifest.get("pdf") == fp else None

        def prepare_fonts():  # the e-editions' font subsets, made while the PDF renders in other processes
            if "epub" in todo or "html" in todo:
                fonts.prepare(styles(), fonts.book_characters(book, results))

        beside: dict[str, tuple] = {}  # e-editions written while the PDF was finished: edition → (what, seconds)

        def e_editions(laid: dict) -> None:  # the pages are known; a worker joins the PDF's pieces meanwhile
            from .writers import epub, html
            if "epub" in todo:
                t = time.perf_counter()
                epub.write(book, results, new.epub, laid)
                beside["epub"] = (laid, time.perf_counter() - t)
            if "html" in todo and "html" not in beside:  # its pages do not depend on the page map
                t = time.perf_counter()
                beside["html"] = (html.pages(book, results, new.html), time.perf_counter() - t)

        if "pdf" in todo or ("epub" in todo and pagemap is None):  # the EPUB's page-list needs the layout
            from .writers import pdf
            with progress.stage("PDF (screen and print) with WeasyPrint"):
                pagemap = pdf.write(book, results, {"screen": new.pdf, "print": new.pdf_print}, jobs=jobs,
                                    while_rendering=prepare_fonts, incremental=not force,
                                    record_for={"screen": out.pdf, "print": out.pdf_print}, when_laid_out=e_editions)
            relaid, chunks = pagemap.pop("relaid", None), pagemap.pop("chunks", None)
            if chunks and not quiet:
                print(f"    laid out in {chunks} chunks, in parallel", flush=True)
            if relaid is not None and not quiet:
                print(f"    laid out again: {', '.join(relaid) or 'nothing'}; the rest of the book kept its pages", flush=True)
            _save_pagemap(new, pagemap)
            made += [(new.pdf, out.pdf), (new.pdf_print, out.pdf_print), (_pagemap_path(new), _pagemap_path(out))]
        if "epub" in todo:
            from .writers import epub
            if "epub" in beside:  # written with the final page map (pdf.write's last call)
                progress.done("EPUB with ebooklib", beside["epub"][1])
            else:
                with progress.stage("EPUB with ebooklib"):
                    epub.write(book, results, new.epub, pagemap)
            made.append((new.epub, out.epub))
        if "html" in todo:
            from .writers import html
            downloads = [(new.epub if new.epub.exists() else out.epub, "EPUB"),
                         (new.pdf if new.pdf.exists() else out.pdf, "PDF")]
            finish, took = beside.get("html", (None, 0.0))
            with progress.stage("HTML edition", took):
                (finish or html.pages(book, results, new.html))(downloads)
            made.append((new.html, out.html))
        for ed in todo:  # each edition built now: from these inputs, with these tools, in these files
            manifest[ed], manifest["toolchain"] = fp, tools
            manifest.setdefault("inputs", {})[ed] = inputs
            manifest.setdefault("files", {})[ed] = [p.name for p in out.of(ed)]
        fsio.write(staging / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        made.append((staging / MANIFEST, dist / MANIFEST))  # last: it vouches for everything before it
        try:
            fsio.swap_in(made, staging / ".replaced")
        except fsio.SwapFailed as e:
            if e.missing:  # old versions that could not be put back stay where the message says
                staging = None
            raise SwapError(str(e), e.replaced, e.kept, e.missing) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if not quiet:
        print(f"Built in {time.perf_counter() - progress.started:.1f} s:")
        for e in wanted:
            for p in out.of(e):
                if p.exists():
                    print(f"  {str(p) + ('/' if p.is_dir() else ''):<52} {size_of(p) / 1e6:8.2f} MB")
        pending = sum(1 for f in warnings if f.code in ("NOTE-004", "TEXT-001"))
        queries = sum(1 for f in warnings if f.code == "QUERY-001")
        if warnings:
            more = f", {queries} open author queries (`make queries` lists them)" if queries else ""
            print(f"  {len(warnings)} warning(s), {pending} of them pending text{more}; "
                  "run `make check` for the full report")
    return 0


def _check_faces_beside():
    """The faces fonts.yaml names checked (fonts.validate: fontTools and the OpenType Sanitizer) in a
    forked process while this one starts the pipeline, on a core that would idle until the chapter
    workers are forked. Its findings go to the fonts cache, where fonts.problems here finds them;
    it reports nothing itself (a failure leaves the check to this process). Returns the process."""
    import multiprocessing
    checking = multiprocessing.get_context("fork").Process(target=_check_faces, daemon=True)
    checking.start()
    return checking


def _check_faces() -> None:
    import signal

    from . import fonts
    from .design import styles
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle (see press.workers)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        fonts.problems(styles())
    except Exception:
        pass


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


def _pagemap_path(out: Outputs) -> Path:
    return out.dist / "reports" / "pagemap.json"


def _load_pagemap(out: Outputs) -> dict | None:
    try:
        return json.loads(_pagemap_path(out).read_text())
    except (OSError, ValueError):
        return None


def _save_pagemap(out: Outputs, pagemap: dict) -> None:
    fsio.write(_pagemap_path(out), json.dumps(pagemap, sort_keys=True))


def clean(dist: Path, cache: Path) -> None:
    for path in (dist, cache):
        if path.exists():
            shutil.rmtree(path)
