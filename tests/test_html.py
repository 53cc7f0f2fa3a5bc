"""The HTML edition as a reader's browser meets it: the download page, chapter pages with their
navigation, search without a server, nothing loaded from outside, and axe-core and the Nu HTML
Checker with nothing to report."""
from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest
from lxml import html as lhtml

from press.validate import html_links
from press.validators import axe, vnu


def _page(built, name):
    return lhtml.parse(str(built.html / name)).getroot()


def test_index_has_cover_description_downloads_and_contents(real_book):
    index = _page(real_book, "index.html")
    assert index.get("lang") == "nl"
    assert index.xpath("//h1/text()") == ["Het gat tussen denken en doen, en hoe dat te dichten"]
    assert "Twintig jaar Van Vieren" in index.xpath("string(//p[@class='book-description'])")
    links = index.xpath("//ul[@class='downloads']//a")
    hrefs = [a.get("href") for a in links]
    assert hrefs == ["downloads/het-gat-tussen-denken-en-doen.epub", "downloads/het-gat-tussen-denken-en-doen.pdf"]
    for a in links:
        target = real_book.html / a.get("href")
        assert target.exists() and target.read_bytes() == (real_book.dist / target.name).read_bytes()
        assert re.search(r"\(\d+,\d (kB|MB)\)", a.text_content()), a.text_content()
        assert ("EPUB" in a.text_content()) or ("PDF" in a.text_content())
    toc = index.xpath("//nav[@class='toc']")[0]
    assert "Deel I: Meer aandacht voor de uitvoering" in toc.text_content()
    assert "Theo Konijn en Willem van Spijker" in toc.text_content()  # each essay's authors
    assert len(toc.xpath(".//a")) == 14


def test_chapter_page_structure(real_book):
    page = _page(real_book, "beleidsinfarct.html")
    assert page.get("lang") == "nl"
    assert page.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert len(page.xpath("//main[@id='main']")) == 1 and page.xpath("//header") and page.xpath("//footer")
    assert page.xpath("string(//p[@class='chapter-part'])") == "Deel I: Meer aandacht voor de uitvoering"
    assert [t.replace("\u00ad", "") for t in page.xpath("//h1/text()")] == ["Beleidsinfarct"]  # soft hyphens aside
    nav = page.xpath("//nav[@class='chapter-nav']")[0]
    assert nav.xpath(".//a[@rel='prev']/@href") == ["voorwoord.html"]
    assert nav.xpath(".//a[@rel='next']/@href") == ["uitvoering-gemeenten.html"]
    assert "index.html#toc-title" in nav.xpath(".//a/@href")
    levels = [int(h.tag[1]) for h in page.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::h4]")]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_endnotes_link_both_ways(real_book):
    page = _page(real_book, "energietransitie.html")
    refs = page.xpath("//a[contains(@class, 'noteref')]")
    assert [r.text for r in refs] == ["1", "2", "3", "4"]
    ids = set(page.xpath("//@id"))
    for r in refs:
        note_id = r.get("href")[1:]
        assert note_id in ids
        note = page.xpath(f"//*[@id='{note_id}']")[0]
        assert note.xpath(".//a[@role='doc-backlink']/@href") == [f"#{r.get('id')}"]


def test_search_index_and_script(real_book):
    index_js = (real_book.html / "assets" / "search-index.js").read_text(encoding="utf-8")
    entries = json.loads(index_js.removeprefix("window.BOOK_INDEX = ").rstrip().rstrip(";"))
    assert any("Beleidsinfarct" in e["title"] for e in entries)
    hit = [e for e in entries if "vicieuze cirkel" in e["text"]]
    assert hit and hit[0]["href"].startswith("beleidsinfarct.html")
    for e in entries:
        assert (real_book.html / e["href"].split("#")[0]).exists()
    page = _page(real_book, "index.html")
    form = page.xpath("//form[@role='search']")[0]
    assert form.get("hidden") is not None  # shown by the script; without JavaScript the contents remain
    assert page.xpath("//script/@src") == ["assets/search-index.js", "assets/search.js"]


def test_nothing_is_requested_from_outside(real_book):
    for path in real_book.html.rglob("*"):
        if path.suffix == ".html":
            page = lhtml.parse(str(path)).getroot()
            for ref in page.xpath("//script/@src | //link/@href | //img/@src | //iframe/@src | //source/@src"):
                assert not urlparse(ref).scheme and not ref.startswith("//"), (path.name, ref)
        elif path.suffix == ".css":
            for url in re.findall(r"url\(([^)]*)\)", path.read_text(encoding="utf-8")):
                assert "://" not in url, url


def test_fonts_local_and_styles_layered(real_book):
    css = (real_book.html / "assets" / "book.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css and "@media print" in css and ":focus-visible" in css
    for url in re.findall(r'url\("([^"]+)"\)', css):
        assert (real_book.html / "assets" / url).exists()


def test_every_internal_link_resolves(real_book, fixture_book):
    assert html_links(real_book.html) == []
    assert html_links(fixture_book.html) == []


def test_link_checker_catches_a_broken_link(fixture_book, tmp_path):
    import shutil
    copy = tmp_path / "html"
    shutil.copytree(fixture_book.html, copy)
    page = copy / "tides.html"
    page.write_text(page.read_text().replace('href="harbours.html"', 'href="harbour.html"', 1))
    found = html_links(copy)
    assert [f.code for f in found] == ["LINK-006"] and found[0].path.endswith("tides.html")


@pytest.mark.parametrize("which", ["fixture_book", "real_book"])
def test_axe_core_finds_no_violations(which, request, tmp_path):
    built = request.getfixturevalue(which)
    pages = sorted(built.html.glob("*.html"))
    assert axe(pages, tmp_path / "axe.json") == []
    report = json.loads((tmp_path / "axe.json").read_text())
    assert len(report) == len(pages)  # every page was tested
    assert all(p["passes"] for p in report)


@pytest.mark.parametrize("which", ["fixture_book", "real_book"])
def test_nu_html_checker_finds_no_errors(which, request, tmp_path):
    built = request.getfixturevalue(which)
    pages = sorted(built.html.glob("*.html"))
    assert vnu(pages, tmp_path / "vnu.json") == []
    assert json.loads((tmp_path / "vnu.json").read_text())["messages"] == []
