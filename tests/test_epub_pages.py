"""The EPUB's page-break markers and paragraph indents, read from the built EPUB: every marker
stands where its printed page begins, to the word (also in the middle of a paragraph), no
paragraph loses its first-line indent to a marker, and the title page and colophon are set
without indents (computed styles in Chromium)."""
from __future__ import annotations

import zipfile

import pytest
from pages import around, markers, near_end, near_start, page_words
from pypdf import PdfReader


def test_markers_stand_at_the_first_word_of_their_page(edges_book):
    reader = PdfReader(str(edges_book.pdf))
    found = markers(edges_book.epub)
    assert [n for n, _, _ in found] == sorted({n for n, _, _ in found})  # each page once
    inside, checked = 0, 0
    for number, name, span in found:
        words = page_words(reader, number)
        if not words:
            continue  # a blank page: its marker stands with the next page's
        before, after = around(span)
        assert after and near_start(after[0], words), (number, name, after, words[:12])
        if span.getparent().tag.endswith("}p") and before:
            inside += 1
            assert near_end(before[0], page_words(reader, number - 1)), (number, before)
        checked += 1
    assert checked >= 6 and inside >= 3  # pages that begin in the middle of a paragraph among them


@pytest.fixture
def epub_folder(edges_book, tmp_path):
    with zipfile.ZipFile(edges_book.epub) as z:
        z.extractall(tmp_path)
    return tmp_path / "EPUB"


INDENTS = """return [...document.querySelectorAll('p')].filter(p => !p.closest('header')).filter(p => {
    let e = p.previousElementSibling;
    while (e && e.matches('[role=doc-pagebreak]')) e = e.previousElementSibling;
    return e && e.localName === 'p';
  }).map(p => [getComputedStyle(p).textIndent, !!p.querySelector('[role=doc-pagebreak]') ||
               !!(p.previousElementSibling && p.previousElementSibling.matches('[role=doc-pagebreak]'))]);"""


def test_no_paragraph_loses_its_indent_to_a_page_marker(epub_folder, browser):
    with_marker = 0
    for name in ("margins.xhtml", "shore.xhtml"):
        browser.open(epub_folder / name, 600)
        for indent, marked in browser.run(INDENTS):
            assert indent != "0px", f"a paragraph in {name} has no first-line indent"
            with_marker += marked
    assert with_marker >= 2


def test_title_page_and_colophon_have_no_indents(fixture_book, tmp_path, browser):
    with zipfile.ZipFile(fixture_book.epub) as z:
        z.extractall(tmp_path)
    browser.open(tmp_path / "EPUB" / "titlepage.xhtml", 600)
    indents = browser.run("return [...document.querySelectorAll('p')].map(p => getComputedStyle(p).textIndent)")
    assert len(indents) >= 5 and set(indents) == {"0px"}
