"""The print edition: the whole book as one HTML document, laid out by WeasyPrint.

Takes the pipeline's chapters; writes ``<slug>.pdf`` (screen: tagged, PDF/UA-1) and
``<slug>-print.pdf`` (printer: 3 mm bleed, crop marks, PDF/X-4 with an sRGB output intent), and
returns the page map (which block of which chapter starts on which page) that the EPUB's
page-list and the pagination report are built from. Anything WeasyPrint logs at warning level or
above fails the build (PDF-001). This module runs the layouts: the HTML comes from printhtml, the
style from printstyle, each layout and its PDFs from pdfrender (in worker processes), the
printer's file from pdfprint; after an edit only the units it touched are laid out again
(pdfunits) and spliced in (weasy.splice) — when WeasyPrint's internals may be used (press.weasy).
"""
from __future__ import annotations

import hashlib
import shutil
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .. import fonts, fsio, images, weasy, workers
from ..book import Book, display_path
from ..design import styles
from ..htmltext import text_of
from ..pipeline import ChapterResult
from ..rules import ManuscriptError, finding
from ..weasy import splice
from . import pagestarts, pdfchunks, pdfimages, pdfunits
from .pdfrender import render, render_both
from .printhtml import book_html, literal_label_css
from .printstyle import stylesheet_text

OUT_OF_ROOM = (MemoryError, RecursionError, BrokenProcessPool)


def out_of_room(book: Book, e: BaseException) -> ManuscriptError:
    """PDF-004 for a layout that ran out of memory (``workers.LAYOUT_MEMORY``) or nesting depth."""
    detail = {MemoryError: f"it needed more than {workers.LAYOUT_MEMORY / 2**30:.3g} GiB of memory",
              RecursionError: "its elements are nested too deeply"}.get(
                  type(e), "the layout process was stopped, most likely out of memory")
    return ManuscriptError([finding("PDF-004", display_path(book.root / "book.yaml"), 0, detail=detail)])


def write(book: Book, results: list[ChapterResult], targets: dict[str, Path], jobs: int = 2,
          while_rendering=None, incremental: bool = True, record_for: dict[str, Path] | None = None,
          when_laid_out=None) -> dict:
    """Render the variants named in ``targets`` ({"screen": path, "print": path}) in worker
    processes (both from one layout); ``while_rendering()`` runs in this process meanwhile. With
    both variants and a record of the last build, only the units an edit touched are laid out
    again (pdfunits); ``incremental=False`` always lays the whole book out. Returns
    {"pages": n, "anchors": {id: page}, "blocks": {chapter: [ids]}, "starts": {page: where it begins}
    (press.writers.pagestarts), "relaid": [unit ids] or None, "chunks": how many chunks a clean layout
    was laid out in (pdfchunks) or None}. ``incremental=False`` (``press build --force``) also
    rules out the chunks: one whole layout.
    ``record_for``: where the files will finally stand when ``targets`` is a staging folder (the
    layout record that later builds splice into is kept per output folder, .cache/pdf).
    ``when_laid_out(page map)`` runs in this process as soon as the pages are known — while a worker
    joins a clean build's chunks — and again should the page map it was given not be the final one
    (a join that failed: the book laid out whole); its last call has the page map returned."""
    unusable = fonts.problems(styles())  # not installed (PDF-003), damaged or not embeddable (FONT-00x)
    if unusable:
        raise ManuscriptError(unusable)
    html, blocks = book_html(book, results)
    splicing = weasy.can_splice()  # asked here, before any worker is forked: it says once when not
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
    literal_css = literal_label_css(results[0].ctx.labels if results else {})  # a unit's links to other units
    told: list[dict] = []  # the page maps when_laid_out was given

    def laid_out(outcome: dict) -> None:
        told.append(_page_map(outcome, blocks))
        when_laid_out(told[-1])
    try:
        outcome = None
        if incremental and key is not None and splicing:  # without WeasyPrint's internals, no splicing
            plan = pdfunits.Plan(html, pdfunits.load(record_path, targets), key)
            if plan.ok:
                outcome = _relayout(plan, base_url, temps, identifier, jobs, meanwhile, literal_css, record_path)
        if outcome is None and incremental and key is not None and splicing:  # the book in chunks, in parallel
            layout = pdfchunks.plan(html, stylesheet_text(), jobs)
            if layout is not None:
                record_path.parent.mkdir(parents=True, exist_ok=True)
                outcome = pdfchunks.lay_out(layout, base_url, temps, identifier, meanwhile, literal_css,
                                            record_path.parent, laid_out if when_laid_out is not None else None)
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
    if when_laid_out is not None and (not told or told[-1] != _page_map(outcome, blocks)):
        laid_out(outcome)
    return {**_page_map(outcome, blocks), "relaid": outcome.get("relaid"), "chunks": outcome.get("chunks")}


def _page_map(outcome: dict, blocks: dict) -> dict:
    return {"pages": outcome["pages"], "anchors": outcome["anchors"], "blocks": blocks, "starts": outcome["starts"]}


def _whole(book: Book, html: str, base_url: str, targets: dict, temps: dict, identifier: bytes, meanwhile,
           where: dict) -> dict:
    """The whole book in one layout, in one worker: the screen's file, and the printer's derived
    from it (a printer's file alone is derived from a screen file written beside it)."""
    pool = workers.pool(1, memory=workers.LAYOUT_MEMORY)
    try:
        if "print" in targets:
            outs = {"screen": str(temps.get("screen", temps["print"].with_name(temps["print"].name + ".screen"))),
                    "print": str(temps["print"])}
            futures = {"both": pool.submit(render_both, html, base_url, outs, identifier, whole=True)}
        else:
            futures = {"screen": pool.submit(render, html, base_url, "screen", str(temps["screen"]), identifier)}
        meanwhile()  # the workers are forked by now: other work may run here
        outcome = {v: f.result() for v, f in futures.items()}
    except BaseException:
        workers.stop(pool)
        raise
    finally:
        if "screen" not in targets:
            temps["print"].with_name(temps["print"].name + ".screen").unlink(missing_ok=True)
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
            reps = [splice.Replacement(plan.unit(i)["first"] - 1, Path(laid[i][variant]), plan.units[i][0])
                    for i in sorted(laid)]
            if reps:
                splice.splice(base, reps, out)
            else:
                shutil.copyfile(base, out)
        return {"pages": plan.record["pages"], "anchors": plan.anchors, "margins": plan.record["margins"],
                "starts": plan.starts,
                "relaid": [plan.units[i][0] for i in sorted(laid)]}
    except splice.SpliceError:
        return None
    finally:
        if pool is not None and not done:
            workers.stop(pool)
        shutil.rmtree(work, ignore_errors=True)
