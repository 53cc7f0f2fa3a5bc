"""What the print PDF promises a printer (docs/designers.md, "The print PDF"), read back from the
real files: crop marks in the slug outside the bleed, on the trim lines; a page count that is a
multiple of 4, the blank leaves at the end; black text from the black channel only."""
from __future__ import annotations

import json

import pikepdf
import pytest
from pypdf import PdfReader

from press import render

DPI = 144
SCALE = DPI / 72


@pytest.fixture(scope="module", params=["fixture_book", "real_book"])
def built(request):
    return request.getfixturevalue(request.param)


def boxes(path, number: int) -> dict[str, list[float]]:
    with pikepdf.open(path) as pdf:
        page = pdf.pages[number - 1].obj
        return {name: [float(v) for v in page[f"/{name}"]] for name in ("MediaBox", "BleedBox", "TrimBox")}


def inked(image, media, region) -> int:
    """Dark pixels of a rendered page inside ``region`` (PDF coordinates, x0 y0 x1 y1)."""
    x0, y0, x1, y1 = region
    left, top = (x0 - media[0]) * SCALE, (media[3] - y1) * SCALE
    right, bottom = (x1 - media[0]) * SCALE, (media[3] - y0) * SCALE
    crop = image.convert("L").crop((round(left), round(top), round(right), round(bottom)))
    return sum(n for value, n in enumerate(crop.histogram()) if value < 160)


def test_crop_marks_stand_in_the_slug_outside_the_bleed_on_the_trim_lines(built):
    count = render.page_count(built.pdf_print)
    for number in sorted({1, 2, count // 2, count}):
        b = boxes(built.pdf_print, number)
        media, bleed, trim = b["MediaBox"], b["BleedBox"], b["TrimBox"]
        assert media[0] < bleed[0] < trim[0] and media[1] < bleed[1] < trim[1]
        assert media[2] > bleed[2] > trim[2] and media[3] > bleed[3] > trim[3]
        image = render.pages(built.pdf_print, [number], DPI)[0]
        # nothing in the bleed band around the trim (the book has nothing that bleeds)
        for band in ([bleed[0], bleed[1], trim[0], bleed[3]], [trim[2], bleed[1], bleed[2], bleed[3]],
                     [bleed[0], bleed[1], bleed[2], trim[1]], [bleed[0], trim[3], bleed[2], bleed[3]]):
            assert inked(image, media, band) == 0, f"page {number}: ink in the bleed {band}"
        # a mark on each trim line at each corner, in the slug
        w = 1.5  # points either side of the line
        for x in (trim[0], trim[2]):
            for y0, y1 in ((media[1], bleed[1]), (bleed[3], media[3])):
                assert inked(image, media, [x - w, y0, x + w, y1]) > 0, f"page {number}: no mark at x={x}"
        for y in (trim[1], trim[3]):
            for x0, x1 in ((media[0], bleed[0]), (bleed[2], media[2])):
                assert inked(image, media, [x0, y - w, x1, y + w]) > 0, f"page {number}: no mark at y={y}"


def test_print_pdf_has_a_multiple_of_4_pages_the_blank_leaves_at_the_end(built):
    laid_out = json.loads((built.dist / "reports" / "pagemap.json").read_text())["pages"]
    printer, screen = PdfReader(built.pdf_print), PdfReader(built.pdf)
    assert len(screen.pages) == laid_out
    assert len(printer.pages) % 4 == 0 and laid_out <= len(printer.pages) < laid_out + 4
    assert printer.pages[laid_out - 1].extract_text().strip(), "the book's last page moved"
    for number in range(laid_out + 1, len(printer.pages) + 1):
        assert printer.pages[number - 1].extract_text().strip() == ""
        b = boxes(built.pdf_print, number)
        image = render.pages(built.pdf_print, [number], DPI)[0]
        assert inked(image, b["MediaBox"], b["TrimBox"]) == 0, f"blank leaf {number} is not blank"
