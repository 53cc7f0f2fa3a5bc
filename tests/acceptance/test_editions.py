"""This book's editions, as a publisher would accept them: the press's own checks of every edition
(the same tests as in tests/test_print.py, test_epub.py and test_html.py, run here on this book),
the trade's validators with nothing to report, and what the second editorial pass promised: whole
titles in the contents and running heads, bylines with their contributors in every edition, no
author query in a reader's edition, and every open query at its page in the proof."""
from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest
from conftest import BOOK, NS, ROOT, press
from lxml import html as lhtml
from pypdf import PdfReader

# The press's checks of a built book, run on this one: each takes the `built` fixture below.
from test_epub import check_page_list
from test_glyphs import test_every_glyph_is_drawn_as_its_character_from_a_declared_face  # noqa: F401
from test_print import (  # noqa: F401 — collected here as tests of this book
    head,
    items,
    pagemap,
    test_contents_page_numbers_are_the_real_start_pages,
    test_endnotes_are_numbered_from_1_in_every_essay,
    test_every_chapter_opens_on_a_recto,
    test_every_font_is_embedded_and_subset,
    test_front_matter_and_part_pages_have_no_running_heads,
    test_outline_lists_every_essay_at_its_page,
    test_print_pdf_has_the_trim_3mm_bleed_and_a_slug_beyond,
    test_print_pdf_is_pdf_x4_with_an_output_intent,
    test_running_heads_part_on_verso_essay_on_recto_none_on_openings,
    test_screen_pdf_is_tagged_pdf_ua,
    test_screen_pdf_is_the_trim_without_bleed,
)
from test_printer import (  # noqa: F401
    test_crop_marks_stand_in_the_slug_outside_the_bleed_on_the_trim_lines,
    test_print_pdf_has_a_multiple_of_4_pages_the_blank_leaves_at_the_end,
    test_print_pdf_sets_the_text_in_pure_black_and_neutral_greys,
)
from test_typography import (  # noqa: F401
    test_part_pages_read_as_written,
    test_titles_and_subtitles_are_whole_words_on_every_opening,
)

from press.book import load_book
from press.pipeline import process
from press.validate import html_links
from press.validators import ace, axe, epubcheck, vnu

BYLINE = "Frank van Erkel met bijdragen van Eric Lugtmeijer"
VOGELVLUCHT = "Van Vieren: 20 jaar in vogelvlucht"


@pytest.fixture(scope="module")
def built(real_book):
    return real_book


def pdf_text(path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


# --- what the second editorial pass promised ---------------------------------------------------------

def test_the_gebiedsgericht_byline_in_every_edition(real_book, tmp_path):
    epub = real_book.epub_xml("EPUB/gebiedsgericht-werken.xhtml")
    assert epub.xpath("string(//x:p[@class='chapter-authors'])", namespaces=NS) == BYLINE
    page = lhtml.parse(str(real_book.html / "gebiedsgericht-werken.html")).getroot()
    assert page.xpath("string(//p[@class='chapter-authors'])") == BYLINE
    assert BYLINE in lhtml.parse(str(real_book.html / "index.html")).getroot().text_content()
    anchors = pagemap(real_book)["anchors"]
    opening = PdfReader(real_book.pdf).pages[anchors["gebiedsgericht-werken"] - 1].extract_text()
    assert BYLINE in re.sub(r"\s+", " ", opening)
    assert BYLINE in pdf_text(real_book.pdf_print)
    assert press("offprints", "-m", str(BOOK), "-d", str(tmp_path), "--only", "gebiedsgericht-werken").returncode == 0
    assert BYLINE in pdf_text(tmp_path / "offprints" / "gebiedsgericht-werken.pdf")
    opf = real_book.epub_xml("EPUB/content.opf")
    eric = opf.xpath("//dc:contributor[text()='Eric Lugtmeijer']/@id", namespaces=NS)
    roles = opf.xpath(f"//opf:meta[@refines='#{eric[0]}'][@property='role'][@scheme='marc:relators']/text()",
                      namespaces=NS)
    assert sorted(roles) == ["aut", "ctb"]  # his own essay, and his contribution to this one


def test_van_vieren_20_jaar_in_vogelvlucht_whole_in_contents_and_running_heads(real_book):
    anchors = pagemap(real_book)["anchors"]
    reader = PdfReader(real_book.pdf)
    toc = items(reader.pages[anchors["toc"] - 1])
    line = [(y, t) for y, x, t in toc if t == VOGELVLUCHT]
    assert line, "the contents do not give the title whole"
    assert [t for y, x, t in toc if abs(y - line[0][0]) < 3 and t.isdigit()] == [str(anchors["vogelvlucht"])]
    pages = range(anchors["vogelvlucht"] + 1, anchors["mensen"])
    heads = [head(reader.pages[n - 1]) for n in pages]
    assert VOGELVLUCHT.upper() in heads, heads
    nav = real_book.epub_xml("EPUB/nav.xhtml")
    assert VOGELVLUCHT in [a.xpath("string()") for a in nav.xpath("//x:nav[@epub:type='toc']//x:a", namespaces=NS)]
    index = lhtml.parse(str(real_book.html / "index.html")).getroot()
    assert VOGELVLUCHT in [a.text_content() for a in index.xpath("//nav[@class='toc']//a")]


def test_the_essays_running_heads_give_their_whole_titles(real_book):
    book = load_book(BOOK)
    anchors = pagemap(real_book)["anchors"]
    reader = PdfReader(real_book.pdf)
    rectos = {head(reader.pages[n - 1]) for n in range(1, len(reader.pages) + 1, 2)} - {""}
    essays = {c.title.upper() for c in book.chapters if c.part is not None}
    assert rectos <= essays | {c.title.upper() for c in book.chapters}
    assert len(rectos & essays) >= len(essays) // 2  # the essays longer than a spread
    assert anchors  # the page map was read


def test_no_author_query_reaches_a_readers_edition(real_book):
    results, _ = process(load_book(BOOK))
    questions = [q["question"] for r in results for q in r.ctx.data.queries]
    assert questions
    texts = {"pdf": pdf_text(real_book.pdf), "pdf-print": pdf_text(real_book.pdf_print)}
    with zipfile.ZipFile(real_book.epub) as z:
        texts["epub"] = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    texts["html"] = " ".join(p.read_text(encoding="utf-8") for p in real_book.html.rglob("*.html"))
    for name, text in texts.items():
        text = re.sub(r"\s+", " ", text)
        assert "query" not in text, name
        for question in questions:
            assert question[:40] not in text, (name, question)


def test_every_open_query_is_at_its_page_in_the_proof(real_book, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(real_book.dist, dist)
    proc = press("queries", "-m", str(BOOK), "-d", str(dist))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "paginates differently" not in proc.stdout and "has no page" not in proc.stdout
    listed = json.loads((dist / "queries" / "queries.json").read_text(encoding="utf-8"))
    anchors = pagemap(real_book)["anchors"]
    ends = sorted(anchors[c.id] for c in load_book(BOOK).chapters) + [len(PdfReader(real_book.pdf).pages) + 1]
    md = (dist / "queries" / "queries.md").read_text(encoding="utf-8")
    assert listed
    for chapter in listed:
        start = anchors[chapter["id"]]
        end = next(e for e in ends if e > start)
        for q in chapter["queries"]:
            assert start <= q["page"] < end, (chapter["id"], q["n"], q["page"])
            assert f"### AV {q['n']} · p. {q['page']}" in md
    proof = PdfReader(dist / "queries" / "het-gat-tussen-denken-en-doen-proof.pdf")
    assert len(proof.pages) == len(PdfReader(real_book.pdf).pages)


# --- the check and the trade's validators, on this book -----------------------------------------------

def test_the_check_reports_nothing_but_pending_text_and_open_queries(real_book, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(real_book.dist, dist)  # the validators write their reports into DIST
    proc = press("check", "-m", str(BOOK.relative_to(ROOT)), "-d", str(dist), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert {f["code"] for f in report["findings"]} <= {"NOTE-004", "TEXT-001", "QUERY-001"}
    assert report["summary"]["errors"] == 0
    assert all(f["path"].startswith("manuscript/") for f in report["findings"])
    release = press("check", "-m", str(BOOK.relative_to(ROOT)), "--manuscript-only", "--release")
    assert release.returncode == 1  # pending text and open queries hold the release


def test_page_list_matches_the_print_edition(real_book):
    check_page_list(real_book, label="Pagina {n}", minimum=100)


def test_every_internal_link_resolves(real_book):
    assert html_links(real_book.html) == []


def test_epubcheck_and_ace_report_nothing(real_book, tmp_path):
    assert epubcheck(real_book.epub, tmp_path / "epubcheck.json") == []
    assert ace(real_book.epub, tmp_path / "ace") == []


def test_axe_core_and_the_nu_checker_report_nothing(real_book, tmp_path):
    pages = sorted(real_book.html.glob("*.html"))
    assert axe(pages, tmp_path / "axe.json") == []
    assert vnu(pages, tmp_path / "vnu.json") == []


# --- the printed book ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paginated(real_book, tmp_path_factory):
    """The pagination report of this book's build (press proofs on a copy of its dist)."""
    from press import proofs
    dist = tmp_path_factory.mktemp("book-proofs") / "dist"
    shutil.copytree(real_book.dist, dist)
    assert proofs.main(["-m", str(BOOK), "-d", str(dist)]) == 0
    return json.loads((dist / "reports" / "pagination.json").read_text())


def test_no_page_inside_an_essay_is_less_than_half_filled(paginated):
    """Boxes, figures and the table leave no page inside an essay half empty: the only short
    pages are the last of an essay, before a part or essay opening."""
    assert paginated["flag_counts"]["short-page"] == 0, [f for f in paginated["flags"] if f["kind"] == "short-page"]


def test_every_bulleted_list_item_is_a_bullet_in_print(real_book):
    """Each item of the essays' and boxes' bulleted lists shows its bullet in the print edition."""
    lists = "//main//ul[not(ancestor::nav)][not(ancestor::section[@role='doc-index'])]/li"   # not the index's entries
    items = sum(len(lhtml.parse(str(page)).xpath(lists))
                for page in real_book.html.glob("*.html") if page.name != "index.html")   # the chapters' pages
    bullets = "".join(p.extract_text() for p in PdfReader(real_book.pdf).pages).count("•")
    assert items and bullets >= items


def test_the_books_print_cover_is_two_covers_a_spine_and_the_bleed(real_book):
    """`make cover` on this book: 170 × 240 mm, 3 mm bleed, white paper (444 pages per inch, the
    default: book.yaml names no paper), the spine from the printer's interior. The book's
    identifier is a UUID, not an ISBN, so its cover has no barcode (tests/test_cover.py decodes one)."""
    import pikepdf

    from press import render
    proc = press("cover", "-m", str(BOOK), "-d", str(real_book.dist))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    mm = 72 / 25.4
    pages = render.page_count(real_book.pdf_print)
    with pikepdf.open(real_book.dist / "het-gat-tussen-denken-en-doen-cover.pdf") as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].MediaBox)
    assert x1 - x0 == pytest.approx(2 * 170 * mm + pages / 444 * 72 + 2 * 3 * mm, abs=0.01)
    assert y1 - y0 == pytest.approx(240 * mm + 2 * 3 * mm, abs=0.01)
