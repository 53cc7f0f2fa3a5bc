"""A book's own design (``design/``, press.design): a manuscript outside the repository with its
own tokens, faces and trim builds every edition with that look, the press's files untouched;
the cover follows the design's accent. The book is the second example book
(``examples/second-book``), copied to a temporary folder before it is built."""
from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import EXAMPLE, FIXTURE, ROOT, Built, press

from press import design, render
from press.book import load_book
from press.rules import ManuscriptError

ACCENT = (0x1F, 0x5F, 0x8B)        # examples/second-book/design/tokens.css
PRESS_ACCENT = (0x8A, 0x3B, 0x12)  # scripts/press/styles/tokens.css
STYLES = ROOT / "scripts" / "press" / "styles"


def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def example(example_book) -> Built:
    return example_book


def test_building_a_book_leaves_the_press_untouched(tmp_path):
    before = _tree_hash(ROOT / "scripts" / "press")
    book = tmp_path / "book"
    shutil.copytree(EXAMPLE, book)
    proc = press("build", "-m", str(book), "-d", str(tmp_path / "dist"), "--only", "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _tree_hash(ROOT / "scripts" / "press") == before


def _near(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour))


def _count(image, colour) -> int:
    return sum(n for n, px in image.convert("RGB").getcolors(1 << 24) if _near(px, colour))


def test_the_pages_have_the_designs_trim(example):
    doc = pdfium.PdfDocument(str(example.pdf))
    assert {tuple(round(v, 1) for v in doc[i].get_size()) for i in range(len(doc))} == {(396.0, 612.0)}  # 5.5 × 8.5 in
    with pikepdf.open(example.pdf_print) as pdf:
        trims = {tuple(round(float(v), 1) for v in p.TrimBox) for p in pdf.pages}
    assert len(trims) == 1
    x0, y0, x1, y1 = trims.pop()
    assert (round(x1 - x0, 1), round(y1 - y0, 1)) == (396.0, 612.0)


def _runs(pdf: Path, number: int) -> list[tuple[str, str]]:
    """(font name, text) of every text object on a page (PDFium)."""
    import ctypes

    import pypdfium2.raw as raw
    page = pdfium.PdfDocument(str(pdf))[number - 1]
    text = page.get_textpage()
    out = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
        buf = ctypes.create_string_buffer(256)
        raw.FPDFFont_GetBaseFontName(raw.FPDFTextObj_GetFont(obj), buf, 256)
        out.append((buf.value.decode().split("+")[-1], text.get_text_bounded(*obj.get_bounds()).strip()))
    return out


def test_the_pdf_sets_the_designs_faces(example):
    """The text in DejaVu Serif (a Debian package), headings and folios in the book's own face
    (a file under design/fonts/); no text in the press's faces (a figure keeps the face its SVG names)."""
    doc = pdfium.PdfDocument(str(example.pdf))
    opening = next(i + 1 for i in range(len(doc)) if doc[i].get_textpage().get_text_range().lstrip().startswith("Preface"))
    runs = _runs(example.pdf, opening)
    assert {f for f, t in runs if t == "Preface"} == {"Harbour-Display-Bold-Semi-Condensed"}, runs
    assert {f for f, t in runs if t == str(opening)} == {"Harbour-Display-Bold-Semi-Condensed"}, runs  # the folio
    assert {f for f, t in runs if "chapters about water" in t} == {"DejaVu-Serif"}, runs
    with pikepdf.open(example.pdf) as pdf:
        names = {str(f.get("/BaseFont", "")) for page in pdf.pages for f in (page.Resources.get("/Font") or {}).values()}
    assert not any("Garamond" in n for n in names), names


def test_the_rendered_pages_show_the_designs_accent(example):
    """The chapter titles are in the design's accent (design/book.css over the press's layers):
    the pixels of the first chapter's opening show it, and none of the press's accent."""
    doc = pdfium.PdfDocument(str(example.pdf))
    opening = next(i + 1 for i in range(len(doc)) if doc[i].get_textpage().get_text_range().lstrip().startswith("Preface"))
    image = render.pages(example.pdf, [opening], dpi=100)[0]
    assert _count(image, ACCENT) > 200
    assert _count(image, PRESS_ACCENT) == 0


def test_the_epub_and_the_website_carry_the_design(example):
    with zipfile.ZipFile(example.epub) as z:
        css = z.read("EPUB/css/book.css").decode()
        names = z.namelist()
        cover = z.read("EPUB/images/cover.svg").decode()
    # the book's tokens come after the press's, its own layer after the edition's
    assert css.rindex("--colour-accent: #1f5f8b") > css.index("--colour-accent: #8a3b12")
    assert css.rstrip().endswith((EXAMPLE / "design" / "book.css").read_text().strip())
    assert 'font-family: "Harbour Display"' in css
    assert "EPUB/fonts/HarbourDisplay-Bold.otf" in names
    assert any(n.endswith("LICENCE.txt") and "harbour-display" in n for n in names), names
    site_css = (example.dist / "html" / "assets" / "book.css").read_text()
    assert site_css.rindex("--trim-width: 5.5in") > site_css.index("--trim-width: 170mm")
    for svg in (cover, (example.dist / "html" / "assets" / "cover.svg").read_text()):
        assert 'fill="#1f5f8b"' in svg and "#8a3b12" not in svg
        assert "Harbour Display" in svg


def test_the_cover_follows_the_accent(tmp_path):
    """One edit of --colour-accent in a book's design changes the cover the EPUB and the website
    carry; the template has no colour of its own."""
    from press.writers.common import cover_svg
    template = (ROOT / "scripts" / "press" / "templates" / "epub" / "cover.svg").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b", template)
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    meta = load_book(book).meta
    plain = cover_svg(meta)
    assert 'fill="#8a3b12"' in plain
    (book / "design").mkdir()
    (book / "design" / "tokens.css").write_text(":root { --colour-accent: rgb(10, 120, 60); }\n")
    meta = load_book(book).meta
    assert 'fill="rgb(10, 120, 60)"' in cover_svg(meta) and "#8a3b12" not in cover_svg(meta)


def test_a_failing_design_leaves_no_design_active(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(EXAMPLE, book)
    assert load_book(book) and design.styles() != STYLES
    (book / "design" / "book.css").write_text("@import 'https://example.com/x.css';\n")
    with pytest.raises(ManuscriptError) as caught:
        load_book(book)
    assert [(f.code, f.line) for f in caught.value.findings] == [("DESIGN-001", 1)]
    assert design.styles() == STYLES
    load_book(FIXTURE)
    assert design.styles() == STYLES


def test_the_design_folder_is_an_input_of_the_build(tmp_path):
    """An edit in design/ alone rebuilds: the manifest covers the manuscript folder."""
    book, dist = tmp_path / "book", tmp_path / "dist"
    shutil.copytree(EXAMPLE, book)
    tokens = book / "design" / "tokens.css"
    assert press("build", "-m", str(book), "-d", str(dist), "--only", "html").returncode == 0
    assert "#1f5f8b" in (dist / "html" / "assets" / "cover.svg").read_text()
    tokens.write_text(tokens.read_text().replace("#1f5f8b", "#6b1f8b"))
    proc = press("build", "-m", str(book), "-d", str(dist), "--only", "html")
    assert proc.returncode == 0, proc.stderr
    assert "#6b1f8b" in (dist / "html" / "assets" / "cover.svg").read_text()
