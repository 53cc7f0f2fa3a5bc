"""The print edition's typography, on layouts WeasyPrint really made: titles and subtitles break
between words only, a list keeps two items together across a page break, the part page's text
reads as it is written ("Part I", not "P ART I" or "PART I"), the colophon reads like a book's
(a date as readers write it, an ISBN when there is one, no UUID)."""
from __future__ import annotations

import re
import shutil

import pypdfium2 as pdfium
import pytest
from conftest import FIXTURE, press
from pypdf import PdfReader

from press import proofs
from press.book import load_book
from press.context import labels_for
from press.writers import pdfrender as pdf_writer
from press.writers.common import roman


@pytest.fixture(scope="module")
def built(fixture_book):
    """The fixture book; the acceptance suite runs these tests on this book (tests/acceptance)."""
    return fixture_book


def lines_of(html: str):
    return proofs.read_lines(pdf_writer.layout_document(html, "/tmp/"))[0]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- made here ---------------------------------------------------------------------------------

def test_no_list_item_stands_alone_across_a_page_break():
    """The same four-item list after spacers of every height: whatever falls on the page break,
    the first item never stands alone at a page foot, the last never alone at a page head."""
    sections = []
    heights = range(120, 194, 2)   # mm: the text area is 194 mm high, so the break falls in every item
    for k, height in enumerate(heights):
        items = "".join(f"<li id='s{k}-i{i}'>Item {i} of the list, one line of words</li>" for i in range(4))
        sections.append(f"<section style='break-before: page'><div style='height: {height}mm'></div>"
                        f"<ul>{items}</ul><p>After the list.</p></section>")
    lines = lines_of("<html lang='en'><body><article class='chapter' id='c'>" + "".join(sections) + "</article></body></html>")
    page = {line.block: line.page for line in lines}
    broken = 0
    for k in range(len(heights)):
        pages = [page[f"s{k}-i{i}"] for i in range(4)]
        assert pages[3] == pages[2], f"after {heights[k]} mm the last item stands alone on p. {pages[3]}"
        assert pages[0] == pages[1], f"after {heights[k]} mm the first item stands alone on p. {pages[0]}"
        broken += len(set(pages)) > 1
    assert broken >= 2   # the sweep did put page breaks inside the list


def test_titles_and_subtitles_break_between_words():
    title = "Internationalisation and institutionalisation of counterrevolutionary administrations"
    subtitle = ("Internationalisation, institutionalisation and the incomprehensibility of counterrevolutionary "
                "characteristically uncompromising administrations")
    lines = lines_of(f"<html lang='en-GB'><body><article class='chapter' id='c'><header class='chapter-head'>"
                     f"<h1 class='chapter-title' id='t'>{title}</h1><p class='chapter-subtitle' id='s'>{subtitle}</p>"
                     f"</header><p>Text.</p></article></body></html>")
    for block, text in (("t", title), ("s", subtitle)):
        set_lines = [line.text for line in lines if line.block == block]
        assert len(set_lines) > 1
        assert " ".join(set_lines) == text, f"{block} was hyphenated: {set_lines}"


# --- the built books ---------------------------------------------------------------------------

def test_titles_and_subtitles_are_whole_words_on_every_opening(built):
    import json

    from press import pipeline
    results, _ = pipeline.process(load_book(built.manuscript))   # subtitles may stand in the text
    anchors = json.loads((built.dist / "reports" / "pagemap.json").read_text())["anchors"]
    reader = PdfReader(built.pdf)
    assert any(r.chapter.subtitle for r in results)
    for ch in (r.chapter for r in results):
        text = flat(reader.pages[anchors[ch.id] - 1].extract_text())
        assert flat(ch.title) in text, ch.id
        if ch.subtitle:
            assert flat(ch.subtitle) in text, f"{ch.id}: the subtitle was broken inside a word"


def test_part_pages_read_as_written(built):
    """pypdf and PDFium extract "Part I" / "Deel II" from the part page, as the locale writes it."""
    import json
    book = load_book(built.manuscript)
    label = labels_for(book.lang)["part"]
    anchors = json.loads((built.dist / "reports" / "pagemap.json").read_text())["anchors"]
    reader, doc = PdfReader(built.pdf), pdfium.PdfDocument(str(built.pdf))
    try:
        assert book.parts
        for n, title in enumerate(book.parts, 1):
            number = anchors[f"part-{n}"]
            for text in (reader.pages[number - 1].extract_text(), doc[number - 1].get_textpage().get_text_range()):
                first = text.strip().splitlines()[0].strip()
                assert first == f"{label} {roman(n)}", (n, text)
                assert flat(title) in flat(text)
    finally:
        doc.close()


def test_colophon_reads_like_a_book(fixture_book):
    text = flat(PdfReader(fixture_book.pdf).pages[3].extract_text())
    assert "Published by Fixture Press, 1 May 2024" in text
    assert "urn:" not in text and "0b7e3f55" not in text and "Identifier" not in text


def test_colophon_in_the_books_language_with_its_isbn(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    yaml = (book / "book.yaml").read_text()
    yaml = re.sub(r"(?m)^lang: .*$", "lang: nl", yaml)
    yaml = re.sub(r"(?m)^identifier: .*$", 'identifier: "urn:isbn:9789083412344"', yaml)
    (book / "book.yaml").write_text(yaml)
    proc = press("build", "-m", str(book), "-d", str(tmp_path / "d"), "--only", "pdf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = flat(PdfReader(tmp_path / "d" / "tides-and-harbours.pdf").pages[3].extract_text())
    assert "Uitgegeven door Fixture Press, 1 mei 2024" in text
    assert "ISBN 9789083412344" in text and "urn:" not in text


# --- page fill ---------------------------------------------------------------------------------

SVG = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='400' height='640'>"
       "<rect width='400' height='640' fill='%23888'/></svg>")


def _chapter(k: int, inner: str, before: int) -> str:
    text = "<br>".join(f"Line {n} of the text before the box, a line of ordinary words." for n in range(before))
    after = " ".join(["Text after the box, words that fill the page to its foot."] * 60)
    return (f"<article class='chapter' id='c{k}'><p id='c{k}-before'>{text}</p>{inner}"
            f"<p id='c{k}-after'>{after}</p></article>")


@pytest.mark.parametrize("kind", ["sidebar", "table", "figure"])
def test_no_half_empty_page_before_a_box_a_table_or_a_figure(kind):
    """A long box, a long table, a tall figure after 10–30 lines of text: no page of the chapter but
    its last is less than half filled (the pagination report's short-page flag)."""
    if kind == "sidebar":
        inner = ("<aside class='sidebar' id='box'><h3>A long box</h3>"
                 + "".join(f"<p>Paragraph {n} of the box, with enough words to make two lines or so in "
                           "the measure of the box on the page.</p>" for n in range(30)) + "</aside>")
    elif kind == "table":
        inner = ("<table id='tbl'><thead><tr><th>Term</th><th>Meaning</th></tr></thead><tbody>"
                 + "".join(f"<tr><td>Row {n}</td><td>What row {n} means, in a few words</td></tr>" for n in range(45))
                 + "</tbody></table>")
    else:
        inner = f"<figure id='fig'><img src=\"{SVG}\" alt='A tall grey block'><figcaption>A tall figure</figcaption></figure>"
    chapters = "".join(_chapter(k, inner, before) for k, before in enumerate(range(10, 31, 4)))
    doc = pdf_writer.layout_document(f"<html lang='en'><body>{chapters}</body></html>", "/tmp/")
    lines, _ = proofs.read_lines(doc)
    short = [f for f in proofs.flags(lines) if f["kind"] == "short-page"]
    assert short == [], [(f["page"], f["fill"]) for f in short]


def test_hyphenation_patterns_are_read_before_the_layout_workers_fork(monkeypatch):
    """The build reads the patterns of the book's language and of every ``lang=`` in its chapters
    once, in its own process (pyphen keeps them per process), so no layout worker reads them again;
    WeasyPrint then finds them where pyphen keeps them."""
    import pyphen

    from press.writers.printstyle import preload_hyphenation
    monkeypatch.setattr(pyphen, "hdcache", {})
    preload_hyphenation("nl", ["Zo [New Public Management]{lang=en} en [en masse]{lang=fr}.",
                               '<span lang="de-AT">Wien</span>', "[x]{lang=zz}"])
    wanted = {pyphen.LANGUAGES[pyphen.language_fallback(lang)] for lang in ("nl", "en", "fr", "de-AT")}
    assert set(pyphen.hdcache) == wanted  # an unknown language (zz) is left to WeasyPrint, which skips it
    before = dict(pyphen.hdcache)
    pyphen.Pyphen(lang="en")  # as WeasyPrint asks: the same patterns, not read again
    assert pyphen.hdcache == before
