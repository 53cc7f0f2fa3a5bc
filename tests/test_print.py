"""The print edition, read back from the real PDFs of the fixture book (the acceptance suite runs the
same checks on this book's PDFs, tests/acceptance/test_editions.py):
page boxes (screen: the trim; printer: 3 mm bleed), PDF/X-4 and PDF/UA-1 identification, embedded
subset fonts, essays opening on a recto, the contents' page numbers, running heads, endnotes
numbered per essay, the outline; the offprints (``press offprints``); and the pagination report's
flags (``press proofs``), on layouts WeasyPrint really made."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURE, outline
from pypdf import PdfReader

from press import offprints, proofs
from press.book import load_book
from press.context import labels_for

MM = 72 / 25.4
TRIM = (170 * MM, 240 * MM)
BLEED = 3 * MM
SLUG = 10 * MM     # beyond the bleed, for the crop marks
HEAD_BAND = 22 * MM   # the top margin (--margin-top): running heads stand in it, the text below it


@pytest.fixture(scope="module")
def built(fixture_book):
    return fixture_book


def pagemap(b) -> dict:
    return json.loads((b.dist / "reports" / "pagemap.json").read_text())


def items(page) -> list[tuple[float, float, str]]:
    """(y from the page's top, x, text) of every text run on a page."""
    out = []
    height = float(page.mediabox.top)

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            out.append((height - y, x, text.strip()))
    page.extract_text(visitor_text=visit)
    return out


def head(page) -> str:
    return " ".join(t for y, x, t in items(page) if y < HEAD_BAND)


def body(page) -> list[str]:
    return [t for y, x, t in items(page) if y >= HEAD_BAND and not re.fullmatch(r"\d+", t)]


def box(page, name: str):
    value = page.obj.get(name)
    return [float(v) for v in value] if value is not None else None


# --- page boxes and standards ------------------------------------------------------------------

def test_screen_pdf_is_the_trim_without_bleed(built):
    with pikepdf.open(built.pdf) as pdf:
        for page in pdf.pages:
            media = box(page, "/MediaBox")
            assert media[2] - media[0] == pytest.approx(TRIM[0], abs=0.01)
            assert media[3] - media[1] == pytest.approx(TRIM[1], abs=0.01)
            for name in ("/TrimBox", "/BleedBox"):
                assert box(page, name) in (None, pytest.approx(media, abs=0.01)), name


def test_print_pdf_has_the_trim_3mm_bleed_and_a_slug_beyond(built):
    with pikepdf.open(built.pdf_print) as pdf:
        for page in pdf.pages:
            trim, bleed, media = box(page, "/TrimBox"), box(page, "/BleedBox"), box(page, "/MediaBox")
            assert trim[2] - trim[0] == pytest.approx(TRIM[0], abs=0.01)
            assert trim[3] - trim[1] == pytest.approx(TRIM[1], abs=0.01)
            grown = [trim[0] - BLEED, trim[1] - BLEED, trim[2] + BLEED, trim[3] + BLEED]
            assert bleed == pytest.approx(grown, abs=0.01)
            slug = [grown[0] - SLUG, grown[1] - SLUG, grown[2] + SLUG, grown[3] + SLUG]
            assert media == pytest.approx(slug, abs=0.01)


def test_print_pdf_is_pdf_x4_with_an_output_intent(built):
    with pikepdf.open(built.pdf_print) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        intents = pdf.Root.get("/OutputIntents")
        assert intents is not None and any(i.get("/S") == "/GTS_PDFX" for i in intents)
        assert all(i.get("/DestOutputProfile") is not None for i in intents if i.get("/S") == "/GTS_PDFX")


def test_screen_pdf_is_tagged_pdf_ua(built):
    with pikepdf.open(built.pdf) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert pdf.open_metadata().get("pdfuaid:part") == "1"
        assert str(pdf.Root.Lang) == load_book(built.manuscript).lang


def _fonts(path: Path) -> list:
    with pikepdf.open(path) as pdf:
        found = []
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") != "/Type0":
                descriptor = obj.get("/FontDescriptor")
                files = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if descriptor is not None and k in descriptor]
                found.append((str(obj.get("/BaseFont")), str(obj.get("/Subtype")), files))
        return found


@pytest.mark.parametrize("variant", ["pdf", "pdf_print"])
def test_every_font_is_embedded_and_subset(built, variant):
    fonts = _fonts(getattr(built, variant))
    assert fonts
    for name, subtype, files in fonts:
        assert subtype != "/Type3", name
        assert files, f"{name} is not embedded"
        assert re.match(r"^/[A-Z]{6}\+", name), f"{name} is not a subset"


# --- the book's structure on paper -------------------------------------------------------------

def test_every_chapter_opens_on_a_recto(built):
    anchors = pagemap(built)["anchors"]
    book = load_book(built.manuscript)
    for ch in book.chapters:
        assert anchors[ch.id] % 2 == 1, f"{ch.id} opens on page {anchors[ch.id]}"
    for n in range(1, len(book.parts) + 1):
        assert anchors[f"part-{n}"] % 2 == 1


def test_contents_page_numbers_are_the_real_start_pages(built):
    book = load_book(built.manuscript)
    reader = PdfReader(built.pdf)
    anchors = pagemap(built)["anchors"]
    first = min(anchors[ch.id] for ch in book.chapters)   # the contents may run on to a second page
    toc = [(n, y, t) for n in range(anchors["toc"], first) for y, x, t in items(reader.pages[n - 1])]
    numbers = [(n, y, t) for n, y, t in toc if re.fullmatch(r"\d+", t)]
    starts = {title: page for level, title, page in outline(reader)}
    for ch in book.chapters:
        at = [(n, y) for n, y, t in toc if t == ch.title]
        assert at, f"{ch.title!r} is not on the contents page"
        printed = [int(t) for n, y, t in numbers if n == at[0][0] and abs(y - at[0][1]) < 3]   # on the title's own line
        assert printed == [anchors[ch.id]], ch.title
        assert starts[ch.title] == anchors[ch.id]
        assert ch.title in " ".join(body(reader.pages[anchors[ch.id] - 1])[:4])


def _ranges(book, anchors: dict, pages: int) -> list[tuple]:
    """(chapter, first page, last page) with the chapter's pages up to the next opening."""
    opening = sorted([anchors[c.id] for c in book.chapters] + [anchors[f"part-{n}"] for n in range(1, len(book.parts) + 1)])
    out = []
    for ch in book.chapters:
        start = anchors[ch.id]
        end = next((p for p in opening if p > start), pages + 1) - 1
        out.append((ch, start, end))
    return out


def test_running_heads_part_on_verso_essay_on_recto_none_on_openings(built):
    book = load_book(built.manuscript)
    reader = PdfReader(built.pdf)
    anchors = pagemap(built)["anchors"]
    checked = {"verso": 0, "recto": 0}
    for ch, start, end in _ranges(book, anchors, len(reader.pages)):
        assert head(reader.pages[start - 1]) == "", f"a running head on {ch.id}'s opening page"
        part = book.parts[ch.part] if ch.part is not None else ch.title  # outside the parts: its own title
        for number in range(start + 1, end + 1):
            page = reader.pages[number - 1]
            if not body(page):
                assert head(page) == "", f"a running head on blank page {number}"
                continue
            side = "verso" if number % 2 == 0 else "recto"
            expected = part if side == "verso" else ch.title
            assert head(page) == expected.upper(), f"page {number}"
            checked[side] += 1
    assert checked["verso"] > 0  # the fixture's chapters are short; this book's rectos: tests/acceptance


def test_front_matter_and_part_pages_have_no_running_heads(built):
    reader = PdfReader(built.pdf)
    anchors = pagemap(built)["anchors"]
    for number in range(1, anchors["toc"] + 1):
        assert head(reader.pages[number - 1]) == ""
    for n in range(1, len(load_book(built.manuscript).parts) + 1):
        assert head(reader.pages[anchors[f"part-{n}"] - 1]) == ""


def test_endnotes_are_numbered_from_1_in_every_essay(built):
    book = load_book(built.manuscript)
    word = labels_for(book.lang)["endnotes"]
    reader = PdfReader(built.pdf)
    anchors = pagemap(built)["anchors"]
    with_notes = [ch for ch in book.chapters if f"{ch.id}-endnotes" in anchors]
    assert len(with_notes) >= 2
    for ch in with_notes:
        found = items(reader.pages[anchors[f"{ch.id}-endnotes"] - 1])
        heading = [y for y, x, t in found if t == word]
        assert heading, f"no {word!r} heading for {ch.id}"
        markers = sorted((y, t) for y, x, t in found if re.fullmatch(r"\d+\.", t) and y > heading[-1])
        assert markers and markers[0][1] == "1.", ch.id
        numbers = [int(t[:-1]) for y, t in markers]
        assert numbers == list(range(1, len(numbers) + 1)), ch.id


def test_outline_lists_every_essay_at_its_page(built):
    book = load_book(built.manuscript)
    reader = PdfReader(built.pdf)
    anchors = pagemap(built)["anchors"]
    entries = {(title, page) for level, title, page in outline(reader)}
    essays = [ch for ch in book.chapters if ch.authors]
    assert essays
    for ch in essays:
        assert (ch.title, anchors[ch.id]) in entries
    for part in book.parts:
        assert any(title == part for title, page in entries)


# --- offprints -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def offprinted(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("offprints-dist")
    (dist / "offprints").mkdir()
    (dist / "offprints" / "gone.pdf").write_bytes(b"an offprint of a chapter that no longer exists")
    assert offprints.main(["-m", str(FIXTURE), "-d", str(dist), "-j", "2"]) == 0
    return dist / "offprints"


def test_an_offprint_for_every_essay_and_nothing_else(offprinted):
    essays = {ch.id for ch in load_book(FIXTURE).chapters if ch.authors}
    assert essays == {"tides", "harbours"}
    assert {p.name for p in offprinted.iterdir()} == {f"{e}.pdf" for e in essays}


def test_offprint_title_page_colophon_and_recto_opening(offprinted):
    book = load_book(FIXTURE)
    for ch in (c for c in book.chapters if c.authors):
        reader = PdfReader(offprinted / f"{ch.id}.pdf")
        title_page = " ".join(body(reader.pages[0]))
        for text in (ch.title, book.meta["title"].upper(), ch.authors[0], book.meta["publisher"]):
            assert text in title_page, (ch.id, text)
        colophon = " ".join(body(reader.pages[1]))
        assert book.meta["rights"] in colophon
        assert "1 May 2024" in colophon and "urn:" not in colophon   # a date as readers write it; no UUID
        entries = outline(reader)
        assert entries[0][1:] == (ch.title, 3)
        assert "Contents" not in " ".join(" ".join(body(p)) for p in reader.pages)
        assert head(reader.pages[2]) == ""
        for number in range(4, len(reader.pages) + 1):
            page = reader.pages[number - 1]
            if body(page):
                assert head(page) == (book.meta["title"] if number % 2 == 0 else ch.title).upper()


def test_offprints_are_tagged_with_embedded_subset_fonts_and_their_own_notes(offprinted):
    tides = offprinted / "tides.pdf"
    with pikepdf.open(tides) as pdf:
        assert pdf.open_metadata().get("pdfuaid:part") == "1"
        assert "/StructTreeRoot" in pdf.Root
    assert all(files and re.match(r"^/[A-Z]{6}\+", name) for name, _, files in _fonts(tides))
    reader = PdfReader(tides)
    text = "\n".join(" ".join(t for y, x, t in items(p)) for p in reader.pages)
    assert "Endnotes" in text and "1." in text
    assert reader.metadata.title == "Tides"


# --- proofs and the pagination report --------------------------------------------------------

def _layout(body_html: str, css: str):
    from weasyprint import CSS, HTML
    page = "@page { size: 100mm 40mm; margin: 0 } body { margin: 0 } p { margin: 0; font: 10pt/10pt serif }"
    return HTML(string=f"<html><body>{body_html}</body></html>").render(stylesheets=[CSS(string=page + css)])


def _kinds(doc) -> list[tuple[str, int, str]]:
    lines, _ = proofs.read_lines(doc)
    return [(f["kind"], f["page"], f["block"]) for f in proofs.flags(lines)]


TWELVE = "<p id='w'>" + "<br>".join(f"line {n}" for n in range(1, 13)) + "</p>"   # 11 lines fit a page


def test_a_widow_is_flagged_and_its_absence_is_not():
    assert ("widow", 2, "w") in _kinds(_layout(TWELVE, "p { widows: 1; orphans: 1 }"))
    assert not [k for k in _kinds(_layout(TWELVE, "p { widows: 2; orphans: 1 }")) if k[0] == "widow"]


def test_an_orphan_is_flagged():
    html = "<div style='height: 100pt'></div><p id='o'>" + "<br>".join("x" * 5 for _ in range(4)) + "</p>"
    assert ("orphan", 1, "o") in _kinds(_layout(html, "p { orphans: 1; widows: 1 }"))
    assert not [k for k in _kinds(_layout(html, "p { orphans: 2; widows: 1 }")) if k[0] == "orphan"]


def test_more_than_two_stacked_hyphens_are_flagged():
    three = "<p id='h'>ham-<br>mer-<br>ing-<br>done</p>"
    two = "<p id='h'>ham-<br>mer-<br>done</p>"
    assert ("hyphens", 1, "h") in _kinds(_layout(three, ""))
    assert not _kinds(_layout(two, ""))


def test_a_heading_stranded_at_a_page_foot_is_flagged():
    html = ("<article class='chapter' id='c'><div style='height: 100pt'></div><h2 id='s' style='font: 10pt/10pt serif;"
            " margin: 0'>A heading</h2><p id='t'>" + "<br>".join(["text"] * 3) + "</p></article>")
    assert ("stranded-heading", 1, "s") in _kinds(_layout(html, "h2 { break-after: auto } p { orphans: 3 }"))
    assert not _kinds(_layout(html, "h2 { break-after: avoid } p { orphans: 3 }"))


@pytest.fixture(scope="module")
def proofed(fixture_book, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("proofs-dist") / "dist"
    shutil.copytree(fixture_book.dist, dist)
    assert proofs.main(["-m", str(FIXTURE), "-d", str(dist)]) == 0
    return dist


def test_proofs_and_pagination_report_of_the_fixture_book(proofed):
    anchors = json.loads((proofed / "reports" / "pagemap.json").read_text())["anchors"]
    data = json.loads((proofed / "reports" / "pagination.json").read_text())
    assert len(data["page_list"]) == data["pages"] == len(PdfReader(proofed / "tides-and-harbours.pdf").pages)
    starts = {(s["kind"], s["id"]): s["page"] for s in data["starts"]}
    for cid in ("preface", "tides", "harbours", "people"):
        assert starts[("chapter", cid)] == anchors[cid]
    assert starts[("section", "tides-moon")] == anchors["tides-moon"]
    assert starts[("endnotes", "tides-endnotes-title")] == anchors["tides-endnotes-title"]
    assert starts[("part", "part-1")] == anchors["part-1"]
    assert data["page_list"][anchors["tides"] - 1]["first"].startswith("Tides")
    assert set(data["flag_counts"]) == set(proofs.KINDS)
    text = (proofed / "reports" / "pagination.txt").read_text()
    assert "Tides" in text and "Flags:" in text
    pngs = {p.name for p in (proofed / "proofs").iterdir()}
    assert pngs == {"essay-opening.png", "sidebar-spread.png", "endnotes.png"}
    from PIL import Image
    single = Image.open(proofed / "proofs" / "essay-opening.png").size
    spread = Image.open(proofed / "proofs" / "sidebar-spread.png").size
    assert spread[0] == 2 * single[0] and spread[1] == single[1]


def test_the_report_is_stable_and_refuses_an_out_of_date_pdf(proofed, tmp_path):
    first = (proofed / "reports" / "pagination.json").read_bytes()
    dist = tmp_path / "dist"
    shutil.copytree(proofed, dist)
    assert proofs.main(["-m", str(FIXTURE), "-d", str(dist), "--pages", "11-12"]) == 0
    assert (dist / "reports" / "pagination.json").read_bytes() == first
    assert {p.name for p in (dist / "proofs").iterdir()} == {"page-011.png", "page-012.png"}
    stale = json.loads((dist / "reports" / "pagemap.json").read_text())
    stale["anchors"]["tides"] += 2
    (dist / "reports" / "pagemap.json").write_text(json.dumps(stale))
    (dist / "reports" / "pagination.json").unlink()
    assert proofs.main(["-m", str(FIXTURE), "-d", str(dist)]) == 1
    assert not (dist / "reports" / "pagination.json").exists()
    assert {p.name for p in (dist / "proofs").iterdir()} == {"page-011.png", "page-012.png"}


def test_trim_size_from_book_yaml(tmp_path):
    """book.yaml's optional `trim` overrides the design tokens' page size, in every box."""
    import shutil

    import pikepdf
    from conftest import FIXTURE, press
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    (book / "book.yaml").write_text((book / "book.yaml").read_text() + 'trim: "150mm 220mm"\n')
    assert press("build", "-m", str(book), "-d", str(tmp_path / "d"), "--only", "pdf").returncode == 0
    mm = lambda box: [round(float(x) * 25.4 / 72, 1) for x in box]  # noqa: E731
    with pikepdf.open(tmp_path / "d" / "tides-and-harbours.pdf") as screen, \
            pikepdf.open(tmp_path / "d" / "tides-and-harbours-print.pdf") as printer:
        assert mm(screen.pages[0].MediaBox) == [0, 0, 150, 220]
        assert mm(printer.pages[0].TrimBox) == [0, 0, 150, 220]
        assert mm(printer.pages[0].BleedBox) == [-3, -3, 153, 223]
        assert mm(printer.pages[0].MediaBox) == [-13, -13, 163, 233]
