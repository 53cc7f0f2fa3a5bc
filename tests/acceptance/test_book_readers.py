"""This book's EPUB in reading systems: its contents page, its dashes, and WebKit renders of the
essays where readers found headings at a column's foot and night-mode defects (issue 24). The
press's own tests of the same behaviour run on the fixture book (tests/test_epub_readers.py,
tests/test_webkit.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import NS
from pypdf import PdfReader
from test_epub_readers import _depth, _texts, spaced_hyphens
from test_webkit import COLUMN_HEIGHTS, HEIGHTS, SIGNALS, WIDTHS, _figure_labels_low, _low, _unpack, render


def test_the_books_contents_page_has_no_sections(real_book):
    """Acceptance: the book's contents page fits its four parts, fourteen chapters, the bibliography
    and the index; the essays' own "Deel 1 | …" sections stay in the navigation panel, under their
    essay."""
    page = real_book.epub_xml("EPUB/contents.xhtml")
    ol = page.xpath("//x:nav[@role='doc-toc']/x:ol", namespaces=NS)[0]
    assert _depth(ol) == 2
    assert len(ol.xpath(".//x:li[@class='contents-part']", namespaces=NS)) == 4
    chapters = ol.xpath(".//x:li[@class='contents-chapter']", namespaces=NS)
    assert len(chapters) == 16   # the fourteen chapters, the bibliography and the index at the back
    assert [c.xpath("string()").strip() for c in chapters[-2:]] == ["Literatuur", "Register"]
    assert "|" not in ol.xpath("string()")
    nav = real_book.epub_xml("EPUB/nav.xhtml")
    deel = nav.xpath("//x:nav[@epub:type='toc']//x:a[starts-with(., 'Deel 1 |')]", namespaces=NS)
    assert deel and len(deel[0].xpath("ancestor::x:ol", namespaces=NS)) == 3  # part › essay › section


def test_the_book_has_no_spaced_hyphen_as_a_dash(real_book):
    """Acceptance: the book's dashes are spaced en dashes (EDITORIAL.md, §2)."""
    assert spaced_hyphens(real_book.epub) == []


def test_the_books_dashes_never_start_a_line(real_book):
    """Acceptance: in the e-editions the space before every spaced dash is a no-break space, and
    no line of the PDF starts with a dash."""
    texts = _texts(real_book)
    loose = [f"{name}: …{text[max(0, m.start() - 30):m.end() + 30]}…"
             for name, text in texts.items() for m in re.finditer(r"(?<=\S)[ \t\n\r][–—](?=\s)", text)]
    assert loose == []
    assert sum(len(re.findall("\u00a0[–—]", t)) for t in texts.values()) > 50  # the book's dashes, all bound
    lines = [line for page in PdfReader(real_book.pdf).pages for line in page.extract_text().splitlines()]
    assert len(lines) > 3000
    assert [line for line in lines if re.match(r"\s*[–—]\s", line)] == []


# ---------------------------------------------------------------------------------------------
# Acceptance: the book's own essays where readers found headings at a column's foot

STRANDED_IN_THE_ISSUE = {"energietransitie": "Een pad vol kansen", "sturen-op-waarden": "De prestatieparadox",
                         "opschalen-sociale-innovatie": "Achtjes draaien tijdens de implementatie"}


@pytest.fixture(scope="module")
def book_columns(real_book, tmp_path_factory) -> dict[tuple, dict]:
    work = tmp_path_factory.mktemp("webkit-book")
    folder = _unpack(real_book.epub, work)
    jobs = {(name, width): {"url": (folder / f"{name}.xhtml").as_uri(), "width": width, "height": HEIGHTS[width],
                            "paginate": True, "heights": COLUMN_HEIGHTS[::2]}
            for name in STRANDED_IN_THE_ISSUE for width in WIDTHS}
    results = render(list(jobs.values()), work / "renders")
    return dict(zip(jobs, results))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(STRANDED_IN_THE_ISSUE))
def test_the_books_headings_stay_with_their_text(book_columns, name, width):
    """Paginated at page heights from 320 to 1000 px, no heading of these essays ends a column
    (a heading kept with a figure taller than the page cannot be kept, and is only counted)."""
    result = book_columns[name, width]
    assert "error" not in result, result.get("error")
    columns = result["columns"]
    assert columns["headings"] >= 4
    assert columns["stranded"] == [] and columns["split"] == [], (columns["stranded"] + columns["split"])[:10]
    assert all(STRANDED_IN_THE_ISSUE[name] not in title for _, title in columns["taller"])


# ---------------------------------------------------------------------------------------------
# Acceptance: the book's own night-mode defects (the beleidsinfarct box title and pending
# markers, the three figures' labels), measured in WebKit renders of the book's EPUB

NIGHT_DOCUMENTS = ["beleidsinfarct", "opschalen-sociale-innovatie", "sturen-op-waarden", "innoveren-over-grenzen"]
NIGHT_SIGNALS = ["prefers-color-scheme", "apple-books-night"]


@pytest.fixture(scope="module")
def book_night(real_book, tmp_path_factory) -> tuple[Path, dict[tuple, dict]]:
    work = tmp_path_factory.mktemp("webkit-book-night")
    folder = _unpack(real_book.epub, work)
    jobs = {(name, signal): {"url": (folder / f"{name}.xhtml").as_uri(), "width": 600, "height": 800,
                             **SIGNALS[signal], "snapshot": str(work / f"{name}-{signal}.png")}
            for name in NIGHT_DOCUMENTS for signal in NIGHT_SIGNALS}
    results = render(list(jobs.values()), work / "renders")
    for key, result in zip(jobs, results):
        assert "error" not in result, (key, result["error"])
    return folder, {key: {**result, "job": job} for (key, job), result in zip(jobs.items(), results)}


@pytest.mark.parametrize("signal", NIGHT_SIGNALS)
def test_the_books_text_and_figures_read_at_4_5_to_1_at_night(book_night, signal):
    """Every text element and every figure label of these essays, in a night theme, ≥ 4.5:1."""
    folder, results = book_night
    low, texts, labels = [], set(), 0
    for name in NIGHT_DOCUMENTS:
        result = results[name, signal]
        low += [f"{name}: {line}" for line in _low(result)]
        texts |= {t["text"] for t in result["texts"]}
        figures_low, measured = _figure_labels_low(result, folder)
        low += [f"{name}: {line}" for line in figures_low]
        labels += measured
    assert not low, "\n".join(low)
    assert "Wat hebben wij zien gebeuren?" in texts  # the box title the issue found at 1.9:1
    assert labels >= 10  # the three figures' labels were measured
