"""The print cover: back, spine and front on one sheet with bleed, for the printer.

    press cover [-m MANUSCRIPT] [-d DIST] [--pages N]

Takes the book, its design's tokens (trim, bleed, colours, faces: press.design) and the page count
of the printer's interior PDF (``DIST/<slug>-print.pdf``, or ``--pages``); writes
``DIST/<slug>-cover.pdf``, PDF/X-4 like the interior, whose TrimBox is the cover sheet (back +
spine + front) and whose MediaBox and BleedBox lie ``--bleed`` beyond it:

    sheet width  = 2 × trim width + spine + 2 × bleed
    sheet height = trim height + 2 × bleed
    spine        = pages ÷ pages per inch (book.yaml ``cover.ppi``, or ``cover.paper``'s)

The front panel is the same drawing as the EPUB's cover and the HTML edition's thumbnail
(``templates/epub/cover.svg``), at the trim's proportions. The spine carries the title, the
authors and the publisher, rotated and centred, left off below ``MIN_SPINE_TEXT`` (printers do
not print spine text on thinner books). The back carries the description, the publisher's logo
(``cover.logo``, cleaned by press.images like every image) and, when the identifier is an ISBN,
its EAN-13 barcode with the price add-on (``cover.price``, EAN-5): python-barcode encodes the
EAN-13; the add-on, which it does not draw, is encoded here from the GS1 tables it ships.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from . import design, fonts, fsio
from .book import Book, display_path, load_book
from .cli import manuscript_options
from .rules import ManuscriptError, finding

SUMMARY = "the print cover: back, spine and front on one sheet with bleed"

PAPERS = {"white": 444, "cream": 400, "coated": 426}   # pages per inch of common book papers
DEFAULT_PAPER = "white"
MIN_SPINE_TEXT = 0.25 * 72   # pt: printers want no spine text on a spine under 1/4 inch (about 100 pages)
UNITS_PT = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "px": 0.75}
MODULE = 0.33 * 72 / 25.4    # pt: the EAN's nominal module width (0.33 mm, 100 % magnification)


@dataclass(frozen=True)
class Sheet:
    """The cover's geometry in PDF points."""
    trim_width: float
    trim_height: float
    bleed: float
    spine: float
    pages: int
    ppi: int

    @property
    def width(self) -> float:   # the trimmed sheet: back, spine, front
        return 2 * self.trim_width + self.spine

    @property
    def media_width(self) -> float:
        return self.width + 2 * self.bleed

    @property
    def media_height(self) -> float:
        return self.trim_height + 2 * self.bleed

    @property
    def spine_text(self) -> bool:
        return self.spine >= MIN_SPINE_TEXT


def length_pt(value: str) -> float:
    value = value.strip()
    for unit, factor in UNITS_PT.items():
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    raise ValueError(f"not a length: {value!r}")


def sheet(book: Book, pages: int) -> Sheet:
    tokens = design.resolved_tokens()
    width, height = (book.meta["trim"].split() if book.meta.get("trim")
                     else (tokens["--trim-width"], tokens["--trim-height"]))
    cover = book.meta.get("cover") or {}
    ppi = cover.get("ppi") or PAPERS[cover.get("paper", DEFAULT_PAPER)]
    return Sheet(length_pt(width), length_pt(height), length_pt(tokens["--bleed"]), pages / ppi * 72, pages, ppi)


# ---------------------------------------------------------------------------------------------
# The barcode


EAN5_PARITY = ("BBAAA", "BABAA", "BAABA", "BAAAB", "ABBAA", "AABBA", "AAABB", "ABABA", "ABAAB", "AABAB")


def ean5_modules(price: str) -> str:
    """The EAN-5 add-on's bars as modules ('1' bar, '0' space): start 01011, five digits in
    L (A) or G (B) code by the parity of the add-on's checksum, '01' between them."""
    from barcode.charsets.ean import CODES
    check = (3 * sum(int(price[i]) for i in (0, 2, 4)) + 9 * sum(int(price[i]) for i in (1, 3))) % 10
    return "01011" + "01".join(CODES[p][int(d)] for p, d in zip(EAN5_PARITY[check], price))


def barcode_svg(isbn13: str, price: str | None, font: str) -> tuple[str, float, float]:
    """(SVG, width pt, height pt) of the EAN-13 of an ISBN-13 with its digits, and the add-on."""
    from barcode import EAN13
    from markupsafe import escape
    ean = EAN13(isbn13[:12])   # python-barcode computes the check digit; load_book has compared it
    assert ean.get_fullcode() == isbn13, "the ISBN's check digit was checked when the book was loaded"
    modules = ean.build()[0]
    quiet, bar_h, guard_h, digit_h, top = 11, 60.0, 65.0, 9.0, 14.0  # in modules; the add-on stands 12 higher
    addon = ean5_modules(price) if price else ""
    gap = 9
    total = quiet + len(modules) + (gap + len(addon) if addon else 0) + 7
    guards = {i for i in range(3)} | {i for i in range(45, 50)} | {i for i in range(92, 95)}
    rects = []
    for i, m in enumerate(modules):
        if m == "1":
            h = guard_h if i in guards else bar_h
            rects.append(f'<rect x="{quiet + i}" y="{top}" width="1" height="{h}"/>')
    if addon:
        x0 = quiet + len(modules) + gap
        for i, m in enumerate(addon):
            if m == "1":
                rects.append(f'<rect x="{x0 + i}" y="{top + 12}" width="1" height="{guard_h - 12}"/>')
    code = isbn13
    digits = [(quiet - 7, code[0])] + [(quiet + 3 + 7 * i + 3.5, d) for i, d in enumerate(code[1:7])] \
        + [(quiet + 50 + 7 * i + 3.5, d) for i, d in enumerate(code[7:13])]
    text = [f'<text x="{x}" y="{top + bar_h + digit_h}" text-anchor="middle">{d}</text>' for x, d in digits]
    hyphenated = f"ISBN {code[:3]}-{code[3:]}"
    text.append(f'<text x="{quiet + 47.5}" y="{top - 4}" text-anchor="middle">{escape(hyphenated)}</text>')
    if addon:
        x0 = quiet + len(modules) + gap
        text += [f'<text x="{x0 + 5 + 9 * i + 3.5}" y="{top + 9}" text-anchor="middle">{d}</text>'
                 for i, d in enumerate(price)]
    height = top + guard_h + digit_h + 4
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {height}" '
           f'width="{total * MODULE:.2f}pt" height="{height * MODULE:.2f}pt">'
           f'<rect width="{total}" height="{height}" fill="#ffffff"/>'
           f'<g fill="#000000">{"".join(rects)}</g>'
           f'<g font-family="{escape(font)}" font-size="9" fill="#000000">{"".join(text)}</g></svg>')
    return svg, total * MODULE, height * MODULE


# ---------------------------------------------------------------------------------------------
# The sheet


def html(book: Book, geometry: Sheet) -> tuple[str, dict[str, bytes]]:
    """The cover as one HTML page for WeasyPrint, and the drawings it loads (``press-cover:`` URLs)."""
    from .writers.common import cover_svg, environment, isbn
    meta = book.meta
    height = round(1600 * geometry.trim_height / geometry.trim_width)
    drawings = {"front.svg": cover_svg(meta, height=height).encode("utf-8")}
    tokens = design.resolved_tokens()
    code = isbn(meta["identifier"])
    barcode = None
    if len(code) == 13:
        svg, w, h = barcode_svg(code, (meta.get("cover") or {}).get("price"), tokens["--font-text"])
        drawings["barcode.svg"] = svg.encode("utf-8")
        barcode = {"width": w, "height": h}
    logo = (meta.get("cover") or {}).get("logo")
    page = environment().get_template("print/cover.html").render(
        meta=meta, sheet=geometry, barcode=barcode, logo=(book.root.resolve() / logo).as_uri() if logo else None)
    return page, drawings


def _logo_problems(book: Book) -> list:
    """IMG-001/002/006 at the ``logo:`` line of book.yaml for a logo the cover cannot use."""
    from . import images, schema
    from .book import _load_yaml, read_text
    logo = (book.meta.get("cover") or {}).get("logo")
    if not logo:
        return []
    rel = display_path(book.root / "book.yaml")
    path = book.root / logo
    _, node = _load_yaml(read_text(book.root / "book.yaml", rel), rel, "BOOK-002")
    key_node, _ = schema.node_at(node, ("cover", "logo"))
    line = key_node.start_mark.line + 1 if key_node is not None else 0
    if book.root.resolve() not in path.resolve().parents:
        return [finding("IMG-002", rel, line, src=logo)]
    if not path.is_file():
        return [finding("IMG-001", rel, line, src=logo)]
    checked = images.check(path)
    return [] if checked.ok else [finding("IMG-006", rel, line, src=logo, reason=checked.reason)]


def write(book: Book, pages: int, out: Path) -> Sheet:
    """Lay the cover out and write it to ``out`` (PDF/X-4, TrimBox and BleedBox set)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcherResponse

    from .writers import pdfimages, pdfprint, pdfrender, printstyle
    problems = _logo_problems(book) + fonts.problems(design.styles())
    if problems:
        raise ManuscriptError(problems)
    geometry = sheet(book, pages)
    page, drawings = html(book, geometry)
    base = str(book.root.resolve()) + "/"
    inner = pdfimages.fetcher(base, design.styles())

    class CoverFetcher(type(inner)):
        def fetch(self, url, headers=None):
            if url.startswith("press-cover:"):
                return URLFetcherResponse(url, drawings[url.split(":", 1)[1]], {"Content-Type": "image/svg+xml"})
            return inner.fetch(url, headers)

    config = printstyle.font_configuration()
    handler = pdfrender.Collect()
    log = logging.getLogger("weasyprint")
    log.addHandler(handler)
    try:
        doc = HTML(string=page, base_url=base, url_fetcher=CoverFetcher()).render(
            stylesheets=printstyle.stylesheets("screen", config)[:1] + [_css(design.styles())], font_config=config)
    finally:
        log.removeHandler(handler)
    if handler.messages:
        raise ManuscriptError(pdfimages.log_findings(book, handler.messages, {}))
    identifier = hashlib.sha256(("cover:" + book.meta["identifier"]).encode()).hexdigest()[:32].encode()
    tmp = fsio.temp_beside(out)
    try:
        doc.write_pdf(str(tmp), pdf_identifier=identifier, finisher=pdfprint.finish, **printstyle.VARIANT_OPTIONS["print"])
        pdfprint.fixed_document_id(str(tmp), identifier)
        fsio.publish(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return geometry


def _css(styles: Path):
    from weasyprint import CSS
    return CSS(string=(styles / "tokens.css").read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="press cover", description=SUMMARY)
    manuscript_options(ap)
    ap.add_argument("--pages", type=int, help="the interior's page count (default: the print PDF's)")
    args = ap.parse_args(argv)
    try:
        book = load_book(args.manuscript)
        pages = args.pages
        interior = args.dist / f"{book.slug}-print.pdf"
        if pages is None:
            if not interior.exists():
                print(f"press cover: {display_path(interior)} is not there: run `make` first (or give --pages)")
                return 1
            from . import render
            pages = render.page_count(interior)
        out = args.dist / f"{book.slug}-cover.pdf"
        g = write(book, pages, out)
    except ManuscriptError as e:
        for f in e.findings:
            print(f)
        return 1
    mm = 25.4 / 72
    print(f"{display_path(out)}: {g.media_width * mm:.1f} × {g.media_height * mm:.1f} mm with bleed; "
          f"spine {g.spine * mm:.1f} mm for {g.pages} pages at {g.ppi} pages per inch"
          + ("" if g.spine_text else " (too thin for spine text)"))
    return 0
