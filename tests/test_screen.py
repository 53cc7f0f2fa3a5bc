"""The HTML edition as readers see it on phones and desktops, light and dark, in Chromium: no page
scrolls sideways at 320 px, wide tables and figures scroll in their own named, focusable region
with a visible cue, search results stay on the screen and read cleanly, figure labels keep their
contrast and size in both schemes, and the pages look as approved (tests/visual)."""
from __future__ import annotations

import json
import re

import pytest
from browser import contrast, luminance
from screen import figure_labels, wider_pages

from press.validators import axe
from visual import assert_looks_like

PHONE, SMALL_PHONE, TABLET, DESKTOP = 390, 320, 768, 1280


@pytest.mark.parametrize("which", ["fixture_book", "edges_book"])
@pytest.mark.parametrize("width", [SMALL_PHONE, PHONE])
def test_no_page_scrolls_sideways_on_a_phone(which, width, request, browser):
    built = request.getfixturevalue(which)
    assert wider_pages(browser, built.html, width) == {}


def test_wide_table_and_figure_scroll_in_a_named_focusable_region(edges_book, browser):
    browser.open(edges_book.html / "margins.html", SMALL_PHONE)
    regions = browser.run("""
        return [...document.querySelectorAll('.scroll-region')].map(r => {
          const names = (r.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
            .map(id => document.getElementById(id).textContent.trim());
          return {role: r.getAttribute('role'), tabindex: r.tabIndex, name: names.join(' ') || r.getAttribute('aria-label'),
                  holds: r.querySelector('table') ? 'table' : 'figure', scrolls: r.scrollWidth > r.clientWidth};
        });""")
    by_kind = {r["holds"]: r for r in regions}
    assert by_kind["table"] == {"role": "region", "tabindex": 0, "name": "Three tide mills and their basins",
                                "holds": "table", "scrolls": True}
    assert by_kind["figure"] == {"role": "region", "tabindex": 0, "name": "Two basins and the weir between them",
                                 "holds": "figure", "scrolls": True}


def _edge_shade(browser, selector: str) -> tuple[float, float]:
    """Mean luminance of a thin column at the left and at the right inner edge of a region."""
    x, y, w, h = browser.run(f"""const r = document.querySelector('{selector}');
        r.scrollIntoView(); const b = r.getBoundingClientRect();
        return [b.left + scrollX, b.top + scrollY, b.width, b.height];""")
    image = browser.screenshot(clip={"x": x, "y": y, "width": w, "height": h})
    strip = lambda x0: list(image.crop((x0, 0, x0 + 3, image.height)).convert("RGB").get_flattened_data())  # noqa: E731
    mean = lambda px: sum(luminance(p) for p in px) / len(px)  # noqa: E731
    return mean(strip(1)), mean(strip(image.width - 4))


def test_a_region_that_scrolls_shows_a_shadow_where_more_lies_hidden(edges_book, browser):
    browser.open(edges_book.html / "margins.html", SMALL_PHONE)
    left, right = _edge_shade(browser, ".scroll-region:has(table)")
    assert right < left - 0.05, "no cue at the right edge of a table that scrolls"
    browser.run("const r = document.querySelector('.scroll-region:has(table)'); r.scrollLeft = r.scrollWidth;")
    left, right = _edge_shade(browser, ".scroll-region:has(table)")
    assert left < right - 0.05, "no cue at the left edge once the table is scrolled to its end"


@pytest.mark.parametrize("width", [SMALL_PHONE, PHONE, TABLET])
def test_search_results_stay_on_the_screen(width, fixture_book, browser):
    browser.open(fixture_book.html / "tides.html", width)
    browser.driver.find_element("id", "search-input").send_keys("the")
    left, right, items = browser.run("""const r = document.getElementById('search-results');
        const b = r.getBoundingClientRect(); return [b.left, b.right, r.children.length];""")
    assert items > 0
    assert 0 <= left and right <= width, (left, right)


def _search(browser, built, query: str) -> list[dict]:
    browser.open(built.html / "index.html", DESKTOP)
    box = browser.driver.find_element("id", "search-input")
    box.clear()
    box.send_keys(query)
    return browser.run("""return [...document.querySelectorAll('#search-results li')].map(li => ({
        title: li.querySelector('a') && li.querySelector('a').textContent,
        href: li.querySelector('a') && li.querySelector('a').getAttribute('href'),
        authors: li.querySelector('.authors') && li.querySelector('.authors').textContent,
        snippet: li.querySelector('.snippet') && li.querySelector('.snippet').textContent}));""")


def _index(built) -> list[dict]:
    text = (built.html / "assets" / "search-index.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("window.BOOK_INDEX = ").rstrip().rstrip(";"))


def test_search_index_titles_without_note_numbers_and_with_authors(edges_book):
    entries = _index(edges_book)
    titles = [e["title"] for e in entries]
    assert "Tidemillenergiecoöperaties: Basins and weirs" in titles  # the heading has a note: no "2"
    assert not any(re.search(r"\d\s*$", t) for t in titles)
    first = next(e for e in entries if e["href"] == "margins.html")
    assert first["authors"] == "Cleo Margin, Dara Quay"
    assert "The ledgers are kept in the county archive. The miller" in first["text"]  # no note number either


def test_search_finds_authors_and_cuts_snippets_at_word_boundaries(edges_book, browser):
    hits = _search(browser, edges_book, "Dara Quay")
    assert [h["href"] for h in hits] == ["margins.html", "shore.html"]
    assert hits[0]["authors"] == "Cleo Margin, Dara Quay"
    texts = {e["href"]: e["text"] for e in _index(edges_book)}
    for query in ("sluice", "chiselling", "wheel house"):
        for hit in _search(browser, edges_book, query):
            snippet, text = hit["snippet"], texts[hit["href"]]
            inner = snippet.strip("…")
            at = text.find(inner)
            assert at >= 0, snippet
            assert at == 0 or text[at - 1] == " ", f"the snippet starts inside a word: {snippet[:30]!r}"
            end = at + len(inner)
            assert end == len(text) or text[end] == " ", f"the snippet ends inside a word: {snippet[-30:]!r}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [SMALL_PHONE, DESKTOP])
@pytest.mark.parametrize("which, page", [("fixture_book", "tides.html"), ("edges_book", "margins.html")])
def test_figure_labels_keep_contrast_and_size(which, page, width, scheme, request, browser):
    built = request.getfixturevalue(which)
    labels = figure_labels(browser, built.html / page, width, scheme)
    assert labels, "no figure label was measured"
    weak = [(lab["text"], lab["contrast"]) for lab in labels if lab["contrast"] < 4.5]
    small = [(lab["text"], lab["size"]) for lab in labels if lab["size"] < 11.9]
    assert weak == [], f"labels under 4.5:1 in the {scheme} scheme at {width} px"
    assert small == [], f"labels under 12 px at {width} px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_figures_stand_on_light_paper_in_both_schemes(scheme, fixture_book, browser):
    browser.open(fixture_book.html / "tides.html", DESKTOP, scheme)
    x, y = browser.run("""const r = document.querySelector('figure .scroll-region, figure > img').getBoundingClientRect();
        return [r.left + scrollX + 2, r.top + scrollY + 2];""")
    paper = browser.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}).getpixel((0, 0))
    page = browser.screenshot(clip={"x": 2, "y": y, "width": 1, "height": 1}).getpixel((0, 0))
    assert luminance(paper) > 0.7, paper
    if scheme == "dark":
        assert contrast(paper, page) > 7, (paper, page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [SMALL_PHONE, DESKTOP])
@pytest.mark.parametrize("page", ["index.html", "tides.html"])
def test_pages_look_as_approved(page, width, scheme, fixture_book, browser, regen):
    browser.open(fixture_book.html / page, width, scheme)
    # the download sizes follow every change to the EPUB and PDF bytes: shown at a fixed width, so
    # the picture tests the page's look and not the files' size (which other tests read)
    browser.run("document.querySelectorAll('.size').forEach(s => { s.textContent = '(0.0 kB)'; });")
    image = browser.screenshot(full=True)
    assert_looks_like(image, f"html-{page.removesuffix('.html')}-{width}-{scheme}", regen)


def test_axe_checks_the_dark_scheme_too(tmp_path):
    page = tmp_path / "dark.html"
    page.write_text("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Dark</title>
<style>@media (prefers-color-scheme: dark) { body { background: #16161a; color: #eeeeee; } p { color: #1f4e79; } }</style></head>
<body><main><h1>Dark</h1><p>Dark blue on near black.</p></main></body></html>""", encoding="utf-8")
    found = axe([page], tmp_path / "axe.json")
    assert [f.code for f in found] == ["HTML-002"]
    assert "color-contrast" in found[0].message and "dark" in found[0].message
    assert json.loads((tmp_path / "axe-dark.json").read_text())[0]["violations"]


def test_long_title_words_break_at_syllables(edges_book, browser):
    browser.open(edges_book.html / "margins.html", SMALL_PHONE)
    text, lines = browser.run("""const h = document.querySelector('h1');
        return [h.textContent, Math.round(h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight))];""")
    assert "\u00ad" in text and text.replace("\u00ad", "") == "Tidemillenergiecoöperaties"
    assert lines >= 2  # it is wider than the phone, and breaks at a soft hyphen
    assert all("\u00ad" not in e["title"] + e["text"] for e in _index(edges_book))
