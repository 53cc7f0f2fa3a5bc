"""Laying the print HTML out with WeasyPrint and writing its PDFs; these functions run in worker
processes (press.workers). One layout gives both variants: the book is laid out with the printer's
bleed, WeasyPrint writes the screen's PDF/UA-1 with its pages cut to the trim, and the printer's
PDF/X-4 is derived from that file (press.writers.pdfprint.derive). Returns the page map and
everything WeasyPrint logged at warning level or above (the caller fails the build on it, PDF-001)."""
from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

import lxml.html

from .. import weasy
from ..design import styles
from ..htmltext import outer_html
from . import indexpages, pagestarts, pdfimages, pdfprint, pdfunits
from .printstyle import VARIANT_OPTIONS, font_configuration, release_fonts, stylesheets


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def collected():
    """WeasyPrint's warnings while a layout runs (``handler.messages``; a warning fails the build:
    PDF-001); afterwards the handler is removed and the layout's fonts are released."""
    handler = Collect()
    log = logging.getLogger("weasyprint")
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        release_fonts()


def layout_document(html: str, base_url: str, variant: str = "screen", extra: tuple[str, ...] = ()):
    """The print HTML laid out by WeasyPrint with the press's fonts and style layers; ``extra``:
    further layers from the styles folder (the author queries' proof.css)."""
    weasy.load()
    from weasyprint import CSS, HTML
    config = font_configuration()
    sheets = stylesheets(variant, config) + [CSS(filename=str(styles() / name)) for name in extra]
    return HTML(string=html, base_url=base_url, url_fetcher=pdfimages.fetcher(base_url, styles())).render(
        stylesheets=sheets, font_config=config)


def layout_book(html: str, base_url: str, variant: str = "screen", extra: tuple[str, ...] = ()):
    """The book laid out as it is printed (the proofs use it too, which must paginate as the PDF
    does). A book with an index needs the pages of its marks before the index can be set: when the
    index is the last unit, the book before it is laid out first and the index alone after it,
    with those pages, continuing its folios (pdfunits.index_apart), and the two documents' pages
    make the book; otherwise the whole book is laid out twice, the second time with the first
    layout's pages in the index. Either way the numbers are merged ("12, 14–16")."""
    if not indexpages.has_index(lxml.html.document_fromstring(html)):
        return layout_document(html, base_url, variant, extra)
    apart = pdfunits.index_apart(html)
    if apart is None:
        return layout_twice(html, base_url, variant, extra)
    doc = layout_document(apart.before, base_url, variant, extra)
    pages = doc.pages[:-1]  # the closing element's page: the index opens on the recto after
    rest = layout_document(apart.index_html(anchors_of(doc), len(pages) + 1), base_url, variant, extra)
    return doc.copy(pages + rest.pages)


def layout_twice(html: str, base_url: str, variant: str = "screen", extra: tuple[str, ...] = ()):
    """The whole book laid out twice, the second time with the first layout's pages in its index."""
    doc = layout_document(html, base_url, variant, extra)
    tree = lxml.html.document_fromstring(html)
    indexpages.by_page(tree, anchors_of(doc))
    return layout_document("<!DOCTYPE html>\n" + outer_html(tree), base_url, variant, extra)


def anchors_of(doc) -> dict[str, int]:
    anchors: dict[str, int] = {}
    for number, page in enumerate(doc.pages, 1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return anchors


def _layout(html: str, base_url: str, variant: str):
    """The book laid out (``layout_book``) and the page of every anchor."""
    doc = layout_book(html, base_url, variant)
    return doc, anchors_of(doc)


def _write(doc, variant: str, out: str, identifier: bytes, cut_to_trim: bool = False) -> None:
    weasy.quicker_page_references()
    weasy.quicker_crop_marks()
    finisher = pdfprint.cut_to_trim if cut_to_trim else pdfprint.finish if variant == "print" else None
    doc.write_pdf(out, pdf_identifier=identifier, finisher=finisher, **VARIANT_OPTIONS[variant])
    if variant == "print":
        pdfprint.fixed_document_id(out, identifier)


def render(html: str, base_url: str, variant: str, out: str, identifier: bytes) -> dict:
    """Render and write one PDF as WeasyPrint writes it (runs in a worker process; the screen file
    of a book without its printer's, the offprints; a printer's file is derived, ``render_both``).
    Returns the page map and everything WeasyPrint logged at warning level or above."""
    with collected() as handler:
        doc, anchors = _layout(html, base_url, variant)
        if not handler.messages:
            _write(doc, variant, out, identifier)
        return {"anchors": anchors, "pages": len(doc.pages), "log": handler.messages,
                "starts": pagestarts.first_words(doc)}


def render_both(html: str, base_url: str, outs: dict[str, str], identifier: bytes, drop_last: bool = False,
                whole: bool = False, plain: bool = False, before: int = 0) -> dict:
    """Both variants from one layout (runs in a worker process): the book laid out once with the
    printer's bleed — bleed and crop marks lie outside the trim, so nothing inside it moves — and
    written as ``_both`` writes it. ``drop_last`` leaves out the last page (a unit's closing
    element, see pdfunits); a ``whole`` book's printer file ends on blank leaves (pdfprint), as
    does the last piece of a book laid out in pieces (``before``: the pages before it). ``plain``:
    lay the HTML out as it stands (an index whose numbers are set already). Returns the page map
    and all warnings."""
    with collected() as handler:
        doc = layout_document(html, base_url, "print") if plain else layout_book(html, base_url, "print")
        if drop_last:
            doc = doc.copy(doc.pages[:-1])
        return _both(doc, handler, base_url, outs, identifier, whole, before)


def render_chunk(html: str, base_url: str, outs: dict[str, str], identifier: bytes, ghosts: list[str],
                 channel: tuple[int, int], closed: bool) -> dict:
    """One chunk of a book laid out in parallel (press.writers.pdfchunks; runs in a worker
    process): laid out while its page numbers are settled with the other chunks over ``channel``
    (this end's report and answer pipes, press.weasy.chunks), its closing element's page dropped
    when ``closed``, its links to the ``ghosts`` left for the join to resolve, and written as
    ``_both`` writes it (the chunks write the screen's file; the printer's comes from the join).
    Returns the page map, its pages counted from the chunk's first, and ``shift`` (the pages
    before it), or {"failed": why} when the coordinator stopped it."""
    from ..weasy import chunks
    from ..weasy.splice import FOREIGN
    report_fd, answer_fd = channel
    answers = os.fdopen(answer_fd, "rb", buffering=0, closefd=False)
    status = None

    def report(pages: int, anchors: dict, strings: dict):
        _send(report_fd, {"pages": pages, "anchors": anchors, "strings": strings})
        reply = json.loads(answers.readline() or b'{"abort": true}')
        if reply.get("abort"):
            raise chunks.Aborted()
        if reply.get("done"):
            status.carried = reply["carried"]
            return None
        return reply["shift"], reply["ghosts"]
    try:
        with collected() as handler:
            with chunks.settling(ghosts, report) as status:
                doc = layout_document(html, base_url, "print")
            if not status.done:
                _send(report_fd, {"failed": "the page numbers did not settle"})
                return {"failed": "the page numbers did not settle"}
            if closed:
                doc = doc.copy(doc.pages[:-1])
            outside = set(ghosts)
            for page in doc.pages:  # the other chunks' anchors: linked by name after the join
                page.links = [("external", FOREIGN + target, rect, box) if kind == "internal" and target in outside
                              else (kind, target, rect, box) for kind, target, rect, box in page.links]
            result = _both(doc, handler, base_url, outs, identifier, False, status.shift)
    except chunks.Aborted:
        return {"failed": "stopped"}
    except BaseException as e:
        _send(report_fd, {"failed": f"{type(e).__name__}: {e}"})
        raise
    result["shift"] = status.shift
    return result


def _send(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _both(doc, handler, base_url: str, outs: dict[str, str], identifier: bytes, leaves: bool, before: int) -> dict:
    """The page map of a laid-out document, and its variants written: the screen's PDF/UA-1 by
    WeasyPrint (cut to the trim), the printer's PDF/X-4 derived from it (``pdfprint.derive``;
    ``leaves``: it ends on the book's blank leaves, ``before`` pages coming before it), when
    ``outs`` names it; ``outs["leaf"]``: write the printer's template there (``pdfprint.template``)."""
    anchors = anchors_of(doc)
    starts = pagestarts.first_words(doc)
    result = {"anchors": anchors, "pages": len(doc.pages), "log": handler.messages, "margins": weasy.margins(doc),
              "starts": starts}
    if handler.messages:
        return result
    _write(doc, "screen", outs["screen"], identifier, cut_to_trim=True)
    if "leaf" in outs:  # a chunk: the template the joined book's printer file is derived with
        pdfprint.template(doc, base_url, outs["leaf"], identifier)
    if handler.messages or "print" not in outs:
        return result
    leaf = outs["print"] + ".leaf.pdf"
    try:
        pdfprint.template(doc, base_url, leaf, identifier)
        pdfprint.derive(outs["screen"], leaf, outs["print"], -(before + len(doc.pages)) % pdfprint.MULTIPLE if leaves else 0)
    finally:
        Path(leaf).unlink(missing_ok=True)
    return result


def render_preview(html: str, base_url: str, drop_last: bool = False) -> dict:
    """One unit for ``press preview`` (runs in a worker process): laid out as the book is (with
    the printer's bleed), written as a plain PDF cut to the trim (no tagging: it is only looked
    at) and returned as bytes with its page count; ``drop_last`` as in ``render_both``. Warnings
    do not stop it: the whole build that follows reports them (PDF-001)."""
    with collected() as handler:
        doc, _ = _layout(html, base_url, "print")
        if drop_last and len(doc.pages) > 1:
            doc = doc.copy(doc.pages[:-1])
        return {"pdf": doc.write_pdf(finisher=pdfprint.cut_to_trim), "pages": len(doc.pages), "log": handler.messages}
