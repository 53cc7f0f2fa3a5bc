"""What the preview's jobs do (each runs in a child process, see ``jobs``).

``visible``: the unit (essay, part page, front matter) the designer is looking at, laid out
alone with the last good build's page numbers, as PDF bytes for the page to show at once.
``whole``: the normal build of the editions (incremental: a text edit lays out what it touched,
a style edit the whole book), answering with where each unit's pages are in the new PDF.
"""
from __future__ import annotations

import gc
import resource
from pathlib import Path


def _targets(dist: Path, slug: str) -> dict[str, Path]:
    from ..build import Outputs
    out = Outputs(dist, slug)
    return {"screen": out.pdf, "print": out.pdf_print}


def units(book_root: Path, dist: Path, slug: str) -> list[dict]:
    """The units of the last good layout, in order: [{"id", "first", "pages"}] (empty without a
    record, e.g. when the style rules out laying units out alone)."""
    from ..writers import pdfunits
    targets = _targets(dist, slug)
    record = pdfunits.load(pdfunits.record_path(book_root, targets), targets)
    if record is None:
        return []
    return [{"id": u["id"], "first": u["first"], "pages": u["pages"]} for u in record["units"]]


def visible(manuscript: Path, dist: Path, unit_id: str, jobs: int = 2, send=None) -> dict | None:
    """Lay out ``unit_id`` alone for the preview. Sends ``("ready",)`` once the pipeline's caches
    hold the current chapters (the whole build may start then and find them). Returns None when
    the unit looks as in the last build (neither its text nor the layout changed) or the last
    build has no record of it; otherwise {"unit", "first", "replaces", "pages", "pdf": bytes}."""
    from .. import pipeline, workers
    from ..book import load_book
    from ..writers import pagestarts, pdf, pdfrender, pdfunits, printhtml, printstyle
    book = load_book(manuscript)
    results, findings = pipeline.process(book, jobs=jobs, focus=unit_id)  # the other chapters as stubs
    pipeline.require_clean(findings)
    if send is not None:
        send(("ready",))
    html, _ = printhtml.book_html(book, results)
    targets = _targets(dist, book.slug)
    record = pdfunits.load(pdfunits.record_path(book.root, targets), targets)
    if record is None:
        return None
    labels = results[0].ctx.labels if results else {}
    unit = pdfunits.preview_unit(html, record, unit_id, printhtml.literal_label_css(labels))
    if unit is None:
        return None
    head, _, tail = pdfunits.split(html)
    key = pdfunits.layout_key(head, tail, printstyle.stylesheet_text(), list(targets), pagestarts.reader_key())  # as pdf.write
    if not unit["changed"] and key == record["key"]:
        return None
    # capped as a build's layout worker, for the layout only: whoever called this (a preview job,
    # a test) gets its own limit back, and the programs it starts later are not capped with it
    before = resource.getrlimit(resource.RLIMIT_AS)
    workers.limit_memory(workers.LAYOUT_MEMORY)
    try:
        laid = pdfrender.render_preview(unit["html"], str(book.root.resolve()) + "/", drop_last=not unit["last"])
    except pdf.OUT_OF_ROOM as e:
        raise pdf.out_of_room(book, e) from None
    finally:
        resource.setrlimit(resource.RLIMIT_AS, before)
    del html, results
    gc.collect()  # WeasyPrint's font folders are removed when their objects go, before this process ends
    return {"unit": unit_id, "first": unit["first"], "replaces": unit["pages"], "pages": laid["pages"],
            "pdf": laid["pdf"]}


def whole(manuscript: Path, dist: Path, editions: list[str], send=None) -> dict:
    """The normal build of ``editions``; returns {"pdf": the screen PDF's bytes or None, "units":
    as ``units()``}. Manuscript errors raise (the job reports them)."""
    from ..book import load_book
    from ..build import Outputs, build
    build(manuscript, dist, editions)
    book = load_book(manuscript)
    out = Outputs(dist, book.slug)
    data = out.pdf.read_bytes() if out.pdf.is_file() else None
    return {"pdf": data, "units": units(book.root, dist, book.slug) if data else []}
