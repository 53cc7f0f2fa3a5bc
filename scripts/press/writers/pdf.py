"""The print edition: the whole book as one HTML document, laid out by WeasyPrint.

Takes the pipeline's chapters; writes ``<slug>.pdf`` (screen: tagged, PDF/UA-1) and
``<slug>-print.pdf`` (printer: 3 mm bleed, crop marks, PDF/X-4 with an sRGB output intent), and
returns the page map (which block of which chapter starts on which page) that the EPUB's
page-list and the pagination report are built from. Anything WeasyPrint logs at warning level or
above fails the build (PDF-001).
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import signal
import weakref
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .. import fonts, fsio, images, workers
from ..book import Book, display_path
from ..design import styles
from ..htmltext import text_of
from ..pipeline import ChapterResult
from ..rules import ManuscriptError, finding
from . import indexpages, pagestarts, pdfimages, pdfprint, pdfsplice, pdfunits
from .common import build_time, environment, mark_blocks, markup, parts_view, rewrite_links, roman
from .common import single_document_href as _href

LAYERS = ["tokens.css", "base.css", "print.css"]
BLEED_LAYER = ["print-bleed.css"]


def book_html(book: Book, results: list[ChapterResult]) -> tuple[str, dict]:
    """The print HTML and, per chapter id, its block ids in order."""
    env = environment()
    labels = results[0].ctx.labels if results else {}
    blocks: dict[str, list[str]] = {}
    bodies: dict[str, str] = {}
    for r in results:
        html = rewrite_links(r.html, r.chapter.id, _href)
        bodies[r.chapter.id], blocks[r.chapter.id] = mark_blocks(html, r.chapter.id)

    def part_title(r: ChapterResult) -> str:
        """The verso's running head: the chapter's part; a chapter outside the parts (a foreword, the
        back matter) has its own title on both pages."""
        return book.parts[r.chapter.part] if r.chapter.part is not None else r.chapter.title

    keywords = ", ".join(book.parts) if book.parts else book.meta["title"]
    html = env.get_template("print/book.html").render(
        book=book, meta=book.meta, labels=labels, items=parts_view(book, results), roman=roman,
        part_title=part_title, body=lambda r: markup(bodies[r.chapter.id]), label_css=label_css(labels),
        keywords=keywords, modified=build_time(book).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return html, blocks


def label_css(labels: dict):
    """Page references in the book's language: "(p. 117)" after a cross-reference, "p. 117" for a
    page reference (custom properties cannot be used inside `content` in WeasyPrint). A
    cross-reference with a page reference to the same place in its paragraph (``paged``) shows
    no number of its own: the page is printed once."""
    page = labels.get("page", "p.")
    return markup(f'a.xref:not(.pageref):not(.paged)::after {{ content: " ({page} " target-counter(attr(href), page) ")"; }}\n'
                  f'a.pageref::after {{ content: "{page} " target-counter(attr(href), page); }}')


def literal_label_css(labels: dict) -> str:
    """The same references when a unit is laid out alone: the page number comes with the link."""
    page = labels.get("page", "p.")
    return (f'a.xref:not(.pageref):not(.paged)[data-page]::after {{ content: " ({page} " attr(data-page) ")"; }}\n'
            f'a.pageref[data-page]::after {{ content: "{page} " attr(data-page); }}')


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


_CONFIGS: weakref.WeakSet = weakref.WeakSet()  # this process's font configurations still in use


def font_configuration():
    """A WeasyPrint font configuration in which the styles' family names mean the faces
    ``fonts.yaml`` declares and no other installed file (see ``press.fonts``: two optical sizes of
    EB Garamond under one name drew every bullet as a raised "A")."""
    from weasyprint.text.fonts import FontConfiguration
    config = str(fonts.fontconfig_file(styles()))
    before = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = config   # fontconfig reads it when the configuration is made
    try:
        made = FontConfiguration()
        _CONFIGS.add(made)
        return made
    finally:
        if before is None:
            os.environ.pop("FONTCONFIG_FILE", None)
        else:
            os.environ["FONTCONFIG_FILE"] = before


def release_fonts() -> None:
    """Remove the copies of the @font-face files WeasyPrint made for this process's layouts (a
    ``weasyprint-*`` folder in the temporary folder per configuration). WeasyPrint removes them
    when the configuration is collected, which never happens in a worker that ends with
    ``os._exit``: without this every build left ~2 MB in /tmp, and a preview session hundreds."""
    import shutil
    for made in list(_CONFIGS):
        if getattr(made, "_folder", None):
            shutil.rmtree(made._folder, ignore_errors=True)
            made._folder = None  # its own clean-up, when it is collected, has nothing left to do
    _CONFIGS.clear()


def stylesheets(variant: str = "screen", font_config=None) -> list:
    """The print edition's style layers for WeasyPrint, fonts first; the printer variant adds bleed.
    The @font-face rules load only through ``font_config`` (WeasyPrint ignores them without one)."""
    from weasyprint import CSS
    layers = LAYERS + (BLEED_LAYER if variant == "print" else [])
    faces = fonts.font_face_css(styles(), lambda f: f.path.as_uri())
    return [CSS(string=faces, font_config=font_config)] + [CSS(filename=str(styles() / name)) for name in layers]


def layout_document(html: str, base_url: str, variant: str = "screen", extra: tuple[str, ...] = ()):
    """The print HTML laid out by WeasyPrint with the press's fonts and style layers; ``extra``:
    further layers from the styles folder (the author queries' proof.css)."""
    from weasyprint import CSS, HTML
    config = font_configuration()
    sheets = stylesheets(variant, config) + [CSS(filename=str(styles() / name)) for name in extra]
    return HTML(string=html, base_url=base_url, url_fetcher=pdfimages.fetcher(base_url, styles())).render(
        stylesheets=sheets, font_config=config)


def stylesheet_text() -> str:
    """Every style rule the print layouts read, as one text (what a unit's layout depends on)."""
    faces = fonts.font_face_css(styles(), lambda f: f"{f.path.as_uri()}#{f.path.stat().st_size}")
    faces += "".join(f"/* masked: {p} */" for p in fonts.masked(styles()))
    return faces + "".join((styles() / name).read_text(encoding="utf-8") for name in LAYERS + BLEED_LAYER)


VARIANT_OPTIONS = {"print": {"pdf_variant": "pdf/x-4", "output_intent": "srgb"},
                   "screen": {"pdf_variant": "pdf/ua-1"}}


def layout_book(html: str, base_url: str, variant: str = "screen", extra: tuple[str, ...] = ()):
    """``layout_document`` as the book is printed: a book with an index twice, the index set with
    the pages of the first layout (for the proofs, which must paginate as the PDF does)."""
    doc = layout_document(html, base_url, variant, extra)
    if indexpages.has_index(html):
        doc = layout_document(indexpages.by_page(html, _anchors(doc)), base_url, variant, extra)
    return doc


def _anchors(doc) -> dict[str, int]:
    anchors: dict[str, int] = {}
    for number, page in enumerate(doc.pages, 1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return anchors


def _layout(html: str, base_url: str, variant: str, handler: logging.Handler):
    """The book laid out; a book with an index is laid out twice: the first layout tells on which
    page each index mark stands, the second prints those numbers, merged ("12, 14–16"), in the
    index. The index comes last, so its own length moves no mark."""
    doc = layout_document(html, base_url, variant)
    anchors = _anchors(doc)
    if indexpages.has_index(html):
        doc = layout_document(indexpages.by_page(html, anchors), base_url, variant)
        anchors = _anchors(doc)
    return doc, anchors


def margins(doc) -> list[str]:
    """Each page's margin boxes as text (running heads, folios): what a unit laid out alone must
    repeat exactly (WeasyPrint has no public API for them; ``Page._page_box`` is its own tests' way in)."""
    from weasyprint.formatting_structure import boxes

    def text(box) -> str:
        if isinstance(box, boxes.TextBox):
            return box.text
        return "".join(text(c) for c in getattr(box, "children", ()))
    return [" | ".join(text(b) for b in page._page_box.children if isinstance(b, boxes.MarginBox))
            for page in doc.pages]


def _write(doc, variant: str, out: str, identifier: bytes, cut_to_trim: bool = False) -> None:
    finisher = _cut_to_trim if cut_to_trim else pdfprint.finish if variant == "print" else None
    doc.write_pdf(out, pdf_identifier=identifier, finisher=finisher, **VARIANT_OPTIONS[variant])
    if variant == "print":
        pdfprint.fixed_document_id(out, identifier)


def _cut_to_trim(document, pdf) -> None:
    """WeasyPrint finisher: pages laid out with the printer's bleed show only the trimmed page
    (MediaBox = TrimBox, no BleedBox) — the screen file, from the same layout."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "TrimBox" in obj:
            obj["MediaBox"] = obj["TrimBox"]
            obj.pop("BleedBox", None)


def render(html: str, base_url: str, variant: str, out: str, identifier: bytes) -> dict:
    """Render and write one PDF (runs in a worker process; the offprints use it too). Returns the
    page map and everything WeasyPrint logged at warning level or above."""
    handler = _Collect()
    log = logging.getLogger("weasyprint")
    log.addHandler(handler)
    try:
        doc, anchors = _layout(html, base_url, variant, handler)
        if not handler.messages:  # a whole book: the printer's file ends on blank leaves
            _write(pdfprint.with_blank_leaves(doc, base_url) if variant == "print" else doc, variant, out, identifier)
        return {"anchors": anchors, "pages": len(doc.pages), "log": handler.messages,
                "starts": pagestarts.first_words(doc)}
    finally:
        log.removeHandler(handler)
        release_fonts()


def render_both(html: str, base_url: str, outs: dict[str, str], identifier: bytes, drop_last: bool = False,
                whole: bool = False) -> dict:
    """Both variants from one layout (runs in a worker process). The book is laid out once with
    the printer's bleed — bleed and crop marks lie outside the trim, so nothing inside it moves —
    then the printer's PDF/X-4 is written here while a forked child writes the screen's PDF/UA-1
    and cuts its pages to the trim. ``drop_last`` leaves out the last page (a unit's closing
    element, see pdfunits); a ``whole`` book's printer file ends on blank leaves (pdfprint).
    Returns the page map and all warnings."""
    handler = _Collect()
    log = logging.getLogger("weasyprint")
    log.addHandler(handler)
    try:
        doc, anchors = _layout(html, base_url, "print", handler)
        if drop_last:
            doc = doc.copy(doc.pages[:-1])
            anchors = {k: v for k, v in anchors.items() if v <= len(doc.pages)}
        starts = {k: v for k, v in pagestarts.first_words(doc).items() if int(k) <= len(doc.pages)}
        result = {"anchors": anchors, "pages": len(doc.pages), "log": handler.messages, "margins": margins(doc),
                  "starts": starts}
        if handler.messages:
            return result
        read, write = os.pipe()
        gc.freeze()  # the child's collections leave the inherited layout alone (see press.workers)
        pid = os.fork()
        if pid:
            gc.unfreeze()
        if pid == 0:  # the child: the screen variant
            os.close(read)
            _die_with_parent()
            code, messages = 0, []
            try:
                before = len(handler.messages)
                _write(doc, "screen", outs["screen"], identifier, cut_to_trim=True)
                messages = handler.messages[before:]
            except BaseException as e:
                code, messages = 1, [f"writing the screen PDF failed: {e}"]
                Path(outs["screen"]).unlink(missing_ok=True)
            finally:
                os.write(write, json.dumps(messages).encode())
                os.close(write)
                os._exit(code)
        os.close(write)
        try:
            _write(pdfprint.with_blank_leaves(doc, base_url) if whole else doc, "print", outs["print"], identifier)
        finally:
            with os.fdopen(read) as fh:
                child = json.loads(fh.read() or '["the screen PDF writer stopped"]')
            os.waitpid(pid, 0)
        result["log"] = handler.messages + child
        return result
    finally:
        log.removeHandler(handler)
        release_fonts()


def render_preview(html: str, base_url: str, drop_last: bool = False) -> dict:
    """One unit for ``press preview`` (runs in a worker process): laid out as the book is (with
    the printer's bleed), written as a plain PDF cut to the trim (no tagging: it is only looked
    at) and returned as bytes with its page count; ``drop_last`` as in ``render_both``. Warnings
    do not stop it: the whole build that follows reports them (PDF-001)."""
    handler = _Collect()
    log = logging.getLogger("weasyprint")
    log.addHandler(handler)
    try:
        doc, _ = _layout(html, base_url, "print", handler)
        if drop_last and len(doc.pages) > 1:
            doc = doc.copy(doc.pages[:-1])
        return {"pdf": doc.write_pdf(finisher=_cut_to_trim), "pages": len(doc.pages), "log": handler.messages}
    finally:
        log.removeHandler(handler)
        release_fonts()


def _die_with_parent() -> None:
    """Linux: the forked writer gets SIGTERM when its parent worker is stopped (an interrupted build)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


OUT_OF_ROOM = (MemoryError, RecursionError, BrokenProcessPool)


def out_of_room(book: Book, e: BaseException) -> ManuscriptError:
    """PDF-004 for a layout that ran out of memory (``workers.LAYOUT_MEMORY``) or nesting depth."""
    detail = {MemoryError: f"it needed more than {workers.LAYOUT_MEMORY / 2**30:.3g} GiB of memory",
              RecursionError: "its elements are nested too deeply"}.get(
                  type(e), "the layout process was stopped, most likely out of memory")
    return ManuscriptError([finding("PDF-004", display_path(book.root / "book.yaml"), 0, detail=detail)])


def write(book: Book, results: list[ChapterResult], targets: dict[str, Path], jobs: int = 2,
          while_rendering=None, incremental: bool = True, record_for: dict[str, Path] | None = None) -> dict:
    """Render the variants named in ``targets`` ({"screen": path, "print": path}) in worker
    processes (both from one layout); ``while_rendering()`` runs in this process meanwhile. With
    both variants and a record of the last build, only the units an edit touched are laid out
    again (pdfunits); ``incremental=False`` always lays the whole book out. Returns
    {"pages": n, "anchors": {id: page}, "blocks": {chapter: [ids]}, "starts": {page: where it begins}
    (press.writers.pagestarts), "relaid": [unit ids] or None}.
    ``record_for``: where the files will finally stand when ``targets`` is a staging folder (the
    layout record that later builds splice into is kept per output folder, .cache/pdf)."""
    unusable = fonts.problems(styles())  # not installed (PDF-003), damaged or not embeddable (FONT-00x)
    if unusable:
        raise ManuscriptError(unusable)
    html, blocks = book_html(book, results)
    ran = []

    def meanwhile():  # while a worker lays the book out: a missing glyph stops it (PDF-002)
        if ran:
            return
        ran.append(True)
        lacking = fonts.uncovered(styles(), text_of(html), display_path(book.root / "book.yaml"))
        if lacking:
            raise ManuscriptError(lacking)
        if while_rendering is not None:
            while_rendering()
    base_url = str(book.root.resolve()) + "/"
    identifier = hashlib.sha256(book.meta["identifier"].encode()).hexdigest()[:32].encode()
    both = set(targets) == {"screen", "print"}
    head, _, tail = pdfunits.split(html)
    key = pdfunits.layout_key(head, tail, stylesheet_text(), list(targets), pagestarts.reader_key()) if both else None
    record_path = pdfunits.record_path(book.root, record_for or targets)
    temps = {v: fsio.temp_name(p) for v, p in targets.items()}  # created by WeasyPrint, removed below
    try:
        outcome = None
        if incremental and key is not None and not indexpages.has_index(html):  # an index quotes every unit's pages
            plan = pdfunits.Plan(html, pdfunits.load(record_path, targets), key)
            if plan.ok:
                outcome = _relayout(plan, base_url, temps, identifier, jobs, meanwhile,
                                    literal_label_css(results[0].ctx.labels if results else {}), record_path)
        if outcome is None:
            outcome = _whole(book, html, base_url, targets, temps, identifier, meanwhile, images.uses(results))
        for v, p in targets.items():
            fsio.publish(temps[v], p)
    except OUT_OF_ROOM as e:  # the layout ran out of room: a finding
        raise out_of_room(book, e) from None
    finally:
        for t in temps.values():
            t.unlink(missing_ok=True)
    pdfunits.save(record_path, html, key, outcome["anchors"], outcome["pages"], outcome.get("margins"), targets,
                  outcome["starts"])
    return {"pages": outcome["pages"], "anchors": outcome["anchors"], "blocks": blocks, "starts": outcome["starts"],
            "relaid": outcome.get("relaid")}


def _whole(book: Book, html: str, base_url: str, targets: dict, temps: dict, identifier: bytes, meanwhile,
           where: dict) -> dict:
    """The whole book in one layout (one worker; the two files are written in parallel)."""
    both = set(targets) == {"screen", "print"}
    pool = workers.pool(1 if both else len(targets), memory=workers.LAYOUT_MEMORY)
    try:
        if both:  # one layout, two files
            futures = {"both": pool.submit(render_both, html, base_url,
                                           {v: str(t) for v, t in temps.items()}, identifier, whole=True)}
        else:
            futures = {v: pool.submit(render, html, base_url, v, str(temps[v]), identifier) for v in targets}
        meanwhile()  # the workers are forked by now: other work may run here
        outcome = {v: f.result() for v, f in futures.items()}
    except BaseException:
        workers.stop(pool)
        raise
    pool.shutdown()
    messages = sorted({m for o in outcome.values() for m in o["log"]})
    if messages:
        raise ManuscriptError(pdfimages.log_findings(book, messages, where))
    return next(iter(outcome.values()))


def _relayout(plan, base_url: str, temps: dict, identifier: bytes, jobs: int, meanwhile, literal_css: str,
              record_path: Path) -> dict | None:
    """Lay out the plan's changed units (in parallel), then any unit whose quoted page numbers
    moved, and splice them into the last build's PDFs. None: lay the whole book out instead."""
    import tempfile
    work = Path(tempfile.mkdtemp(prefix="units-", dir=record_path.parent))
    laid: dict[int, dict[str, str]] = {}
    todo, rounds = set(plan.dirty), 0
    pool = workers.pool(min(jobs, len(todo)), memory=workers.LAYOUT_MEMORY) if todo else None
    done = False
    try:
        while todo:
            rounds += 1
            if rounds > pdfunits.ROUNDS:
                return None
            futures = {}
            for i in sorted(todo):
                html = plan.html_of(i, literal_css)
                if html is None:
                    return None
                outs = {v: str(work / f"{i}-{rounds}-{v}.pdf") for v in temps}
                last = i == len(plan.units) - 1
                futures[i] = (outs, pool.submit(render_both, html, base_url, outs, identifier, not last))
            meanwhile()
            for i, (outs, future) in futures.items():
                result = future.result()
                if result["log"] or not plan.accept(i, result["pages"], result["anchors"], result["margins"],
                                                    result["starts"]):
                    return None  # warnings are reported by the whole layout; pages or their heads moved
                laid[i] = outs
            todo = plan.stale()
        meanwhile()
        if pool is not None:
            pool.shutdown()
        done = True
        for variant, out in temps.items():
            base = record_path.with_name(f"{variant}.pdf")
            reps = [pdfsplice.Replacement(plan.unit(i)["first"] - 1, Path(laid[i][variant]), plan.units[i][0])
                    for i in sorted(laid)]
            if reps:
                pdfsplice.splice(base, reps, out)
            else:
                shutil.copyfile(base, out)
        return {"pages": plan.record["pages"], "anchors": plan.anchors, "margins": plan.record["margins"],
                "starts": plan.starts,
                "relaid": [plan.units[i][0] for i in sorted(laid)]}
    except pdfsplice.SpliceError:
        return None
    finally:
        if pool is not None and not done:
            workers.stop(pool)
        shutil.rmtree(work, ignore_errors=True)
