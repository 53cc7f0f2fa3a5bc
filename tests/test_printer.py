"""What the print PDF promises a printer (docs/designers.md, "The print PDF"), read back from the
real files: crop marks in the slug outside the bleed, on the trim lines; a page count that is a
multiple of 4, the blank leaves at the end; black text from the black channel only."""
from __future__ import annotations

import json

import pikepdf
import pytest
from PIL import ImageChops
from pypdf import PdfReader

from press import render

DPI = 144
SCALE = DPI / 72


@pytest.fixture(scope="module")
def built(fixture_book):
    """The fixture book; the acceptance suite runs these tests on this book (tests/acceptance)."""
    return fixture_book


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


def text_colours(path) -> dict[tuple, dict[tuple, int]]:
    """{font name without subset tag: {fill colour operator and operands: glyph runs}} of the text
    on the pages themselves (figures' own labels, drawn in form XObjects, left out)."""
    out: dict[tuple, dict[tuple, int]] = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            fonts = page.Resources.get("/Font", pikepdf.Dictionary())
            stack, fill, font = [], ("g", (0.0,)), None
            for operands, op in pikepdf.parse_content_stream(page):
                name = str(op)
                if name == "q":
                    stack.append((fill, font))
                elif name == "Q" and stack:
                    fill, font = stack.pop()
                elif name in ("rg", "g", "k"):
                    fill = (name, tuple(round(float(v), 3) for v in operands))
                elif name in ("sc", "scn"):
                    fill = (name, tuple(round(float(v), 3) for v in operands if not isinstance(v, pikepdf.Name)))
                elif name == "Tf":
                    f = fonts.get(str(operands[0]))
                    font = str(f.BaseFont).split("+", 1)[-1] if f is not None else None
                elif name in ("Tj", "TJ", "'", '"'):
                    counts = out.setdefault(font, {})
                    counts[fill] = counts.get(fill, 0) + 1
    return out


def test_print_pdf_sets_the_text_in_pure_black_and_neutral_greys(built):
    """The promise in docs/designers.md: the print PDF is PDF/X-4 with an sRGB output intent (no
    CMYK characterisation ships with Debian, and DeviceCMYK needs one), so black text cannot be
    DeviceCMYK 0/0/0/100; it is pure RGB black, which a printer's black-preserving conversion sets
    in black ink only, and every grey of text is neutral (R = G = B)."""
    with pikepdf.open(built.pdf_print) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert "sRGB" in str(intent.get("/OutputConditionIdentifier"))
    colours = text_colours(built.pdf_print)
    body = colours["EB-Garamond"]   # the text face: running text, notes, boxes, lists
    assert set(body) == {("rg", (0.0, 0.0, 0.0))}, f"body text in {body}"
    for font, fills in colours.items():   # (the figures' own labels keep the colours they were drawn in)
        for op, values in fills:
            assert op == "rg", (font, op, values)
            if max(values) - min(values) < 0.03:   # a grey: neutral, and no near-black in four inks
                assert len(set(values)) == 1 and not 0 < values[0] <= 0.25, (font, values)


def test_derived_blank_leaves_are_one_blank_leaf_each(built, tmp_path):
    """The print PDF is derived from the screen PDF (pdfprint.derive) and ends on copies of one
    blank leaf. WeasyPrint, asked to repeat a leaf's page, drew its crop marks once more on every
    repetition (darker marks on the third leaf); derived leaves must each render as the first."""
    from press.weasy.splice import copy_in
    from press.writers import pdfprint
    laid_out = json.loads((built.dist / "reports" / "pagemap.json").read_text())["pages"]
    model = tmp_path / "leaf.pdf"
    with pikepdf.open(built.pdf_print) as printed, pikepdf.new() as leaf:
        leaf.pages.append(printed.pages[laid_out])  # the book's first blank leaf, as the model
        leaf.Root.Metadata = leaf.copy_foreign(printed.Root.Metadata)
        leaf.Root.OutputIntents = copy_in(leaf, printed.Root.OutputIntents)
        leaf.trailer.Info = copy_in(leaf, printed.trailer.Info)
        leaf.save(model)
    out = tmp_path / "derived.pdf"
    pdfprint.derive(str(built.pdf), str(model), str(out), leaves=3)
    assert render.page_count(out) == laid_out + 3
    first, *others = render.pages(out, [laid_out + 1, laid_out + 2, laid_out + 3], DPI)
    reference = render.pages(built.pdf_print, [laid_out + 1], DPI)[0]
    assert inked(first, boxes(out, laid_out + 1)["MediaBox"], boxes(out, laid_out + 1)["TrimBox"]) == 0
    assert ImageChops.difference(first, reference).getbbox() is None
    for image in others:
        assert ImageChops.difference(image, first).getbbox() is None
