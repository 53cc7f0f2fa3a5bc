"""Acceptance: this book on readers' screens and e-readers (facts about this book; the press's own
tests use the fixture books). No page of the HTML edition scrolls sideways on a phone, the three
figures keep readable labels in both colour schemes, the search finds the essays' authors and
shows clean titles, and the EPUB's page markers stand at the first word of their page without
costing any paragraph its indent."""
from __future__ import annotations

import json
import re
import zipfile

import pytest
from screen import figure_labels, wider_pages
from test_epub_pages import INDENTS

FIGURES = ["sturen-op-waarden.html", "innoveren-over-grenzen.html", "opschalen-sociale-innovatie.html"]


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways_on_a_phone(width, real_book, browser):
    assert wider_pages(browser, real_book.html, width) == {}


@pytest.mark.parametrize("scheme, width", [("light", 320), ("dark", 320), ("dark", 1280)])
def test_figure_labels_are_readable(scheme, width, real_book, browser):
    labels = [lab for page in FIGURES for lab in figure_labels(browser, real_book.html / page, width, scheme)]
    assert len(labels) >= 15
    assert [lab for lab in labels if lab["contrast"] < 4.5 or lab["size"] < 11.9] == []


def _index(built) -> list[dict]:
    text = (built.html / "assets" / "search-index.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("window.BOOK_INDEX = ").rstrip().rstrip(";"))


def test_search_titles_and_authors(real_book, browser):
    entries = _index(real_book)
    titles = [e["title"] for e in entries]
    assert "Het versterken van de uitvoering bij gemeenten: Wijkgericht werken" in titles
    assert not [t for t in titles if re.search(r"\d$", t)]
    browser.open(real_book.html / "index.html", 1280)
    browser.driver.find_element("id", "search-input").send_keys("Theo Konijn")
    hrefs = browser.run("return [...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href'))")
    assert {"beleidsinfarct.html", "energietransitie.html"} <= set(hrefs)


def test_no_paragraph_loses_its_indent_to_a_page_marker(real_book, browser, tmp_path):
    with zipfile.ZipFile(real_book.epub) as z:
        z.extractall(tmp_path)
    marked = 0
    for doc in sorted((tmp_path / "EPUB").glob("*.xhtml")):
        if "doc-pagebreak" not in doc.read_text(encoding="utf-8"):
            continue
        browser.open(doc, 600)
        for indent, with_marker in browser.run(INDENTS):
            assert indent != "0px", doc.name
            marked += with_marker
    assert marked >= 20  # paragraphs with a marker in them or before them (48 had lost their indent)
