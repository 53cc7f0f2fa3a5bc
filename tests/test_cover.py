"""The print cover (``press cover``, press.cover) of the second example book, read back from the
PDF: the sheet's size from the page count and the paper, trim and bleed boxes, PDF/X-4, the spine
text (and none on a thin spine), the barcode decoded from the rendered sheet, and the front
following the design's accent like the EPUB's cover and the HTML edition's thumbnail."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import EXAMPLE, FIXTURE, press

from press import cover, render
from press.book import load_book

IN = 72.0
TRIM_W, TRIM_H = 5.5 * IN, 8.5 * IN    # examples/second-book/design/tokens.css
BLEED = 3 * 72 / 25.4                   # the press's --bleed
CREAM_PPI = 400                         # book.yaml: cover.paper: cream


@pytest.fixture(scope="module")
def sheet(example_book):
    proc = press("cover", "-m", str(example_book.manuscript), "-d", str(example_book.dist))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = example_book.dist / "harbour-lights-cover.pdf"
    return out, render.page_count(example_book.pdf_print)


def boxes(path: Path) -> dict[str, tuple[float, ...]]:
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        return {name: tuple(float(v) for v in page.obj[f"/{name}"]) for name in ("MediaBox", "TrimBox", "BleedBox")}


def test_the_sheet_is_two_covers_a_spine_and_the_bleed(sheet):
    out, pages = sheet
    spine = pages / CREAM_PPI * IN
    b = boxes(out)
    x0, y0, x1, y1 = b["MediaBox"]
    assert x1 - x0 == pytest.approx(2 * TRIM_W + spine + 2 * BLEED, abs=0.01)
    assert y1 - y0 == pytest.approx(TRIM_H + 2 * BLEED, abs=0.01)
    tx0, ty0, tx1, ty1 = b["TrimBox"]
    assert (tx1 - tx0, ty1 - ty0) == (pytest.approx(2 * TRIM_W + spine, abs=0.01), pytest.approx(TRIM_H, abs=0.01))
    assert b["BleedBox"] == pytest.approx((tx0 - BLEED, ty0 - BLEED, tx1 + BLEED, ty1 + BLEED), abs=0.01)


def test_the_cover_is_pdf_x4(sheet):
    with pikepdf.open(sheet[0]) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFX"


def test_the_barcode_decodes_to_the_isbn_and_price(sheet):
    image = render.pages(sheet[0], [1], dpi=400)[0].convert("L")
    found = {b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.EAN13,
                                                    ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Read)}
    assert "978030640615752495" in found, found   # ISBN 978-0-306-40615-7, add-on 52495 (book.yaml)
    assert found <= {"9780306406157", "978030640615752495"}


def spine_text(path: Path, pages: int, ppi: int) -> str:
    page = pdfium.PdfDocument(str(path))[0]
    spine = pages / ppi * IN
    left = BLEED + TRIM_W
    return page.get_textpage().get_text_bounded(left=left + 0.5, right=left + spine - 0.5)


def test_spine_text_only_on_a_wide_enough_spine(example_book, tmp_path):
    wide, thin = tmp_path / "wide", tmp_path / "thin"
    for dist, pages in ((wide, 320), (thin, 60)):   # 0.8 in and 0.15 in on cream paper
        dist.mkdir()
        proc = press("cover", "-m", str(example_book.manuscript), "-d", str(dist), "--pages", str(pages))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    text = spine_text(wide / "harbour-lights-cover.pdf", 320, CREAM_PPI)
    assert "Harbour Lights" in text and "Fixture Press" in text
    assert spine_text(thin / "harbour-lights-cover.pdf", 60, CREAM_PPI).strip() == ""
    assert "too thin for spine text" in proc.stdout


def test_the_ean5_add_on_follows_the_gs1_tables():
    # 52495: checksum (3 × (5 + 4 + 5) + 9 × (2 + 9)) mod 10 = 1, parity GLGLL
    assert cover.ean5_modules("52495") == "01011" + "01".join(
        ["0111001", "0010011", "0011101", "0001011", "0110001"])


def _accent_pixels(image, colour) -> int:
    return sum(n for n, px in image.convert("RGB").getcolors(1 << 24) if all(abs(a - b) <= 10 for a, b in zip(px, colour)))


def test_an_accent_change_reaches_the_front_the_epub_cover_and_the_thumbnail(tmp_path):
    book, dist = tmp_path / "book", tmp_path / "dist"
    shutil.copytree(EXAMPLE, book)
    tokens = book / "design" / "tokens.css"
    tokens.write_text(tokens.read_text().replace("--colour-accent: #1f5f8b", "--colour-accent: #b0207a"))
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert press("cover", "-m", str(book), "-d", str(dist)).returncode == 0
    with zipfile.ZipFile(dist / "harbour-lights.epub") as z:
        assert 'fill="#b0207a"' in z.read("EPUB/images/cover.svg").decode()
    assert 'fill="#b0207a"' in (dist / "html" / "assets" / "cover.svg").read_text()
    image = render.pages(dist / "harbour-lights-cover.pdf", [1], dpi=50)[0]
    front = image.crop((image.width // 2 + 20, 0, image.width, image.height))
    assert _accent_pixels(front, (0xB0, 0x20, 0x7A)) > 100
    assert _accent_pixels(front, (0x1F, 0x5F, 0x8B)) == 0


def test_a_book_without_an_isbn_gets_a_cover_without_a_barcode(tmp_path):
    out = tmp_path / "cover.pdf"
    book = load_book(FIXTURE)
    geometry = cover.write(book, 100, out)
    assert geometry.ppi == 444 and geometry.spine == pytest.approx(100 / 444 * IN)
    image = render.pages(out, [1], dpi=300)[0].convert("L")
    assert zxingcpp.read_barcodes(image) == []


LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" width="100" height="40">'
        '<rect width="100" height="40" fill="#10a040"/></svg>')


def test_the_logo_stands_on_the_back_and_a_missing_one_is_named(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(EXAMPLE, book)
    (book / "images" / "logo.svg").write_text(LOGO)
    meta = book / "book.yaml"
    meta.write_text(meta.read_text().replace('  price: "52495"', '  price: "52495"\n  logo: images/logo.svg'))
    proc = press("cover", "-m", str(book), "-d", str(tmp_path / "dist"), "--pages", "200")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    image = render.pages(tmp_path / "dist" / "harbour-lights-cover.pdf", [1], dpi=50)[0]
    back = image.crop((0, image.height // 2, image.width // 4, image.height))
    assert _accent_pixels(back, (0x10, 0xA0, 0x40)) > 100
    (book / "images" / "logo.svg").unlink()
    proc = press("cover", "-m", str(book), "-d", str(tmp_path / "dist"), "--pages", "200")
    line = next(i for i, text in enumerate(meta.read_text().splitlines(), 1) if "logo:" in text)
    assert proc.returncode == 1 and f"book.yaml:{line}: IMG-001" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
