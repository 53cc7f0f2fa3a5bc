"""Page references by design (filters/pagerefs): the fixture book types "p. 3" into a page
reference to its tide diagram, which the layout puts elsewhere. No edition may show the typed
number: print shows the real page once, the EPUB and HTML a link named by the kind of place,
an offprint the book's page for a place in another essay. Also: sizes in the HTML edition are
written the way the book's language writes numbers (Babel)."""
from __future__ import annotations

import json
import re
import zipfile

from conftest import FIXTURE
from lxml import etree
from lxml import html as lhtml
from pypdf import PdfReader

from press import l10n, offprints
from press.book import load_book
from press.pipeline import process

TYPED = "p. 3"  # what 01-tides.md types inside the page reference


def page_texts(pdf) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(pdf).pages]


def figure_page(built) -> int:
    return json.loads((built.dist / "reports" / "pagemap.json").read_text())["anchors"]["fig-tides-diagram"]


def test_print_shows_the_real_page_once(fixture_book):
    page = figure_page(fixture_book)
    assert page != 3  # otherwise the typed number could pass for the real one
    text = " ".join(page_texts(fixture_book.pdf))
    assert f"the diagram of the tide shows (p. {page})." in text
    assert f"diagram of the tide (p. {page})" not in text  # the cross-reference adds no second number
    for t in page_texts(fixture_book.pdf):
        assert f"({TYPED})" not in t


def test_epub_and_html_show_a_named_link(fixture_book):
    with zipfile.ZipFile(fixture_book.epub) as z:
        doc = etree.fromstring(z.read("EPUB/tides.xhtml"))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    refs = doc.xpath("//x:a[contains(concat(' ', @class, ' '), ' pageref ')]", namespaces=ns)
    assert [(a.get("href"), "".join(a.itertext())) for a in refs] == [("#fig-tides-diagram", "see the figure")]
    page = lhtml.parse(str(fixture_book.html / "tides.html"))
    refs = page.xpath("//a[contains(concat(' ', @class, ' '), ' pageref ')]")
    assert [(a.get("href"), a.text_content()) for a in refs] == [("#fig-tides-diagram", "see the figure")]
    for text in (etree.tostring(doc, encoding="unicode", method="text"), page.getroot().text_content()):
        assert TYPED not in text


def test_offprints_name_the_book_and_its_page(tmp_path):
    book = load_book(FIXTURE)
    results, _ = process(book)
    tides = next(r for r in results if r.chapter.id == "tides")
    html = offprints.offprint_html(book, tides, {"harbours": 13, "harbours-locks": 14, "fig-tides-diagram": 11})
    text = re.sub(r"<[^>]+>", "", html)
    assert "See the chapter on harbours (in Tides and Harbours, p. 13) and its section on locks " \
           "(in Tides and Harbours, p. 14)." in text
    assert TYPED not in text
    assert 'class="pageref xref"' in html  # the diagram is in the essay: its page is the offprint's own


def test_a_page_reference_to_another_essay_in_an_offprint(fixture_copy):
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "Back to the [moon](#tides-moon).", "Back to the moon ([p. 99](#tides-moon){.pageref}).", 1), encoding="utf-8")
    book = load_book(fixture_copy)
    results, findings = process(book)
    assert findings == []
    harbours = next(r for r in results if r.chapter.id == "harbours")
    text = re.sub(r"<[^>]+>", "", offprints.offprint_html(book, harbours, {"tides-moon": 11}))
    assert "Back to the moon (in Tides and Harbours, p. 11)." in text and "p. 99" not in text


def test_sizes_are_written_in_the_books_language(fixture_book):
    page = (fixture_book.html / "index.html").read_text(encoding="utf-8")
    sizes = re.findall(r'<span class="size">\(([^)]*)\)</span>', page)
    assert len(sizes) == 2 and all(re.fullmatch(r"\d+\.\d kB", s) for s in sizes), sizes  # en-GB: a point
    assert l10n.size(210_712, "nl") == "210,7 kB" and l10n.size(210_712, "en-GB") == "210.7 kB"
    assert l10n.date("2025-04-04", "nl") == "4 april 2025" and l10n.date("2025-04-04", "en-GB") == "4 April 2025"


def test_an_offprint_reads_links_whatever_the_order_of_their_attributes():
    """Links into other essays are found as elements (lxml), not by the order their attributes
    happen to be written in: the same offprint either way."""
    from press.pipeline import ChapterResult
    book = load_book(FIXTURE)
    results, _ = process(book)
    tides = next(r for r in results if r.chapter.id == "tides")
    reordered = re.sub(r'<a href="(#[^"]*)"([^>]*?) data-chapter="([^"]*)"', r'<a data-chapter="\3"\2 href="\1"', tides.html)
    assert reordered != tides.html
    pages = {"harbours": 13, "harbours-locks": 14, "fig-tides-diagram": 11}
    spans = [offprints.offprint_html(book, r, pages).count('class="xref-elsewhere"')
             for r in (tides, ChapterResult(tides.ctx, reordered))]
    assert spans[0] == spans[1] > 0
