"""The EPUB edition of the fixture book, opened as a reading system would: package metadata
(contributors with their roles), navigation (toc, landmarks, a page-list matching the print
edition), endnote semantics, pending notes, fonts, reproducibility, and the trade's validators
(EPUBCheck, Ace by DAISY) with nothing to report. This book's EPUB: tests/acceptance."""
from __future__ import annotations

import json
import zipfile

import pytest
from conftest import FIXTURE, NS, Built, press
from pages import around, near_start, page_words
from pypdf import PdfReader

from press.validators import ace, epubcheck

A11Y_FEATURES = {"structuralNavigation", "tableOfContents", "printPageNumbers", "pageNavigation",
                 "readingOrder", "alternativeText", "displayTransformability"}


def _meta(opf, prop):
    return [m.text for m in opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


@pytest.fixture(scope="module")
def opf(fixture_book):
    return fixture_book.epub_xml("EPUB/content.opf")


def test_package_metadata(opf):
    assert opf.xpath("//dc:title/text()", namespaces=NS) == ["Tides and Harbours"]
    assert opf.xpath("//dc:language/text()", namespaces=NS) == ["en-GB"]
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert opf.xpath("//dc:identifier/text()", namespaces=NS) == ["urn:uuid:0b7e3f55-7a55-4c5e-9d3b-2f1a7c9d8e10"]
    for key in ("publisher", "rights", "description", "date", "creator"):
        assert opf.xpath(f"//dc:{key}/text()", namespaces=NS), key
    cover = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert cover and cover[0].get("media-type") == "image/svg+xml"


def test_chapter_authors_and_contributors_with_marc_relator_roles(opf):
    """Every chapter's authors (aut) and contributors (their role) are dc:contributor, each once,
    with one role refinement per role, scheme marc:relators."""
    people = {e.text: e.get("id") for e in opf.xpath("//dc:contributor", namespaces=NS)}
    assert set(people) == {"Ada Writer", "Cas Helper", "Ben Editor"}

    def roles(name):
        return [m.text for m in opf.xpath(f"//opf:meta[@refines='#{people[name]}' and @property='role']", namespaces=NS)
                if m.get("scheme") == "marc:relators"]
    assert roles("Ada Writer") == ["aut"] and roles("Ben Editor") == ["aut"]
    assert roles("Cas Helper") == ["ctb"]


def test_accessibility_metadata(opf):
    assert _meta(opf, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert _meta(opf, "a11y:certifiedBy") == ["Fixture Press"]
    assert set(_meta(opf, "schema:accessMode")) == {"textual", "visual"}
    assert _meta(opf, "schema:accessModeSufficient") == ["textual"]
    assert set(_meta(opf, "schema:accessibilityFeature")) == A11Y_FEATURES
    assert _meta(opf, "schema:accessibilityHazard") == ["none"]
    summary = _meta(opf, "schema:accessibilitySummary")[0]
    assert "publication" in summary  # in the book's language
    assert _meta(opf, "pageBreakSource") == ["urn:uuid:0b7e3f55-7a55-4c5e-9d3b-2f1a7c9d8e10"]


def test_every_document_has_the_book_language(fixture_book):
    for name in fixture_book.epub_names():
        if name.endswith(".xhtml"):
            root = fixture_book.epub_xml(name)
            assert root.get("lang") == "en-GB" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB", name


def test_one_document_per_chapter_and_part(fixture_book):
    names = set(fixture_book.epub_names())
    for ch in ("preface", "tides", "harbours", "people"):
        assert f"EPUB/{ch}.xhtml" in names
    assert "EPUB/part-1.xhtml" in names and "EPUB/part-2.xhtml" not in names


def test_nav_toc_parts_essays_sections(fixture_book):
    nav = fixture_book.epub_xml("EPUB/nav.xhtml")
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    top = [a.xpath("string()") for a in toc.xpath("x:ol/x:li/x:a", namespaces=NS)]
    assert top == ["Preface", "Part I: Water", "The people"]
    part1 = toc.xpath("x:ol/x:li[x:a[@href='part-1.xhtml']]/x:ol/x:li/x:a", namespaces=NS)
    assert [a.xpath("string()") for a in part1] == ["Tides", "Harbours"]
    sections = toc.xpath("x:ol/x:li[x:a[@href='part-1.xhtml']]/x:ol/x:li[1]/x:ol/x:li/x:a/@href", namespaces=NS)
    assert "tides.xhtml#tides-moon" in sections


def test_chapter_byline_names_authors_and_contributors(fixture_book):
    """The byline as a book prints it: authors, then each role's label in the book's language."""
    tides = fixture_book.epub_xml("EPUB/tides.xhtml")
    assert tides.xpath("string(//x:p[@class='chapter-authors'])", namespaces=NS) == \
        "Ada Writer with contributions by Cas Helper"
    harbours = fixture_book.epub_xml("EPUB/harbours.xhtml")
    assert harbours.xpath("string(//x:p[@class='chapter-authors'])", namespaces=NS) == \
        "Ben Editor and Ada Writer (Harbour Review, 2023)"


def test_landmarks(fixture_book):
    nav = fixture_book.epub_xml("EPUB/nav.xhtml")
    kinds = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert {"cover", "toc", "bodymatter", "endnotes"} <= set(kinds)


def test_page_list_matches_the_print_edition(fixture_book):
    """Every page-list entry N points at a page-break marker placed where the print edition's
    page N begins: the word after it is among the first words of page N."""
    check_page_list(fixture_book, label="Page {n}", minimum=3)


def check_page_list(built: Built, label: str, minimum: int) -> None:
    nav = built.epub_xml("EPUB/nav.xhtml")
    entries = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    reader = PdfReader(str(built.pdf))
    numbers = [int(a.text) for a in entries]
    anchors = json.loads((built.dist / "reports" / "pagemap.json").read_text())["anchors"]
    assert numbers == sorted(numbers) and numbers[0] > anchors["toc"]  # the pages after the contents
    with_text = [n for n in range(numbers[0], len(reader.pages) + 1) if page_words(reader, n)]
    assert [n for n in with_text if n not in numbers] == []   # every one of them with text on it
    assert numbers[-1] <= len(reader.pages)
    checked = 0
    docs = {}
    for a in entries:
        name, frag = a.get("href").split("#")
        doc = docs.setdefault(name, built.epub_xml(f"EPUB/{name}"))
        span = doc.xpath(f"//*[@id='{frag}']")[0]
        assert span.get("role") == "doc-pagebreak" and span.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
        assert span.get("aria-label") == label.format(n=a.text)
        words = page_words(reader, int(a.text))
        if not words:
            continue  # a blank page
        _, after = around(span)
        # within two lines' words: a table's header row, repeated at the top of a page, comes first
        assert after and near_start(after[0], words, within=24), (a.text, after, words[:24])
        checked += 1
    assert checked >= minimum


def test_endnote_semantics_and_back_links(fixture_book):
    doc = fixture_book.epub_xml("EPUB/tides.xhtml")
    refs = doc.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    assert [r.text for r in refs] == ["1", "2", "3"]
    assert all(r.get("role") == "doc-noteref" for r in refs)
    section = doc.xpath("//x:section[@role='doc-endnotes']", namespaces=NS)[0]
    assert section.get("{http://www.idpf.org/2007/ops}type") == "endnotes"
    assert section.xpath("x:h2/text()", namespaces=NS) == ["Endnotes"]
    notes = section.xpath(".//x:li[@epub:type='endnote']", namespaces=NS)
    assert len(notes) == 3 and not doc.xpath("//*[@role='doc-endnote']")
    ids = set(doc.xpath("//@id"))
    for ref, note in zip(refs, notes):
        assert ref.get("href") == f"#{note.get('id')}"
        back = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
        assert back == [f"#{ref.get('id')}"] and ref.get("id") in ids


def test_pending_notes_are_marked(fixture_copy, tmp_path):
    harbours = fixture_copy / "02-harbours.md"
    text = harbours.read_text(encoding="utf-8")
    harbours.write_text(text.replace("[^1]: Some harbours dry out instead, and the ships sit on the mud.",
                                     "[^1]: Some harbours dry out []{.pending}"), encoding="utf-8")
    assert press("build", "-m", str(fixture_copy), "-d", str(tmp_path / "d"), "--only", "epub").returncode == 0
    built = Built(fixture_copy, tmp_path / "d", "tides-and-harbours")
    pending = built.epub_xml("EPUB/harbours.xhtml").xpath("//x:li[contains(@class, 'pending')]", namespaces=NS)
    assert len(pending) == 1
    assert "Some harbours dry out [note text missing in the source]" in "".join(pending[0].itertext())
    assert not built.epub_xml("EPUB/tides.xhtml").xpath("//x:li[contains(@class, 'pending')]", namespaces=NS)


def test_sidebars_pullquotes_figures(fixture_book):
    doc = fixture_book.epub_xml("EPUB/tides.xhtml")
    aside = doc.xpath("//x:aside[contains(@class, 'sidebar')]", namespaces=NS)[0]
    title = doc.xpath(f"//*[@id='{aside.get('aria-labelledby')}']", namespaces=NS)
    assert title and title[0].xpath("string()") == "A story from the quay"
    img = doc.xpath("//x:figure//x:img", namespaces=NS)
    assert img and all(i.get("alt") for i in img)


def test_cross_references_link_between_documents(fixture_book):
    doc = fixture_book.epub_xml("EPUB/tides.xhtml")
    hrefs = doc.xpath("//x:a[contains(@class, 'xref')]/@href", namespaces=NS)
    assert "harbours.xhtml" in hrefs and "harbours.xhtml#harbours-locks" in hrefs
    assert "#fig-tides-diagram" in hrefs
    assert doc.xpath("//x:aside[@role='doc-pullquote' and @epub:type='pullquote']", namespaces=NS)


def test_fonts_are_embedded_subsets_with_licences(fixture_book):
    import io

    from fontTools.ttLib import TTFont
    opf = fixture_book.epub_xml("EPUB/content.opf")
    fonts = opf.xpath("//opf:item[@media-type='font/otf']/@href", namespaces=NS)
    assert len(fonts) >= 4
    with zipfile.ZipFile(fixture_book.epub) as z:
        for href in fonts:
            font = TTFont(io.BytesIO(z.read(f"EPUB/{href}")))
            assert len(font.getGlyphOrder()) < 1500  # a subset, not the whole face
        names = z.namelist()
        assert any(n.endswith("LICENCE.txt") for n in names)
        css = z.read("EPUB/css/book.css").decode()
        assert "@font-face" in css and "EB Garamond" in css


def test_zip_layout_and_reproducibility(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    for d in (a, b):
        assert press("build", "-m", str(FIXTURE), "-d", str(d), "--only", "epub", env=env).returncode == 0
    ea, eb = a / "tides-and-harbours.epub", b / "tides-and-harbours.epub"
    assert ea.read_bytes() == eb.read_bytes()
    with zipfile.ZipFile(ea) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_epubcheck_reports_nothing(fixture_book, tmp_path):
    built = fixture_book
    findings = epubcheck(built.epub, tmp_path / "epubcheck.json")
    assert findings == []
    report = json.loads((tmp_path / "epubcheck.json").read_text())
    assert report["checker"]["nFatal"] == report["checker"]["nError"] == report["checker"]["nWarning"] == 0


def test_ace_reports_no_violations(fixture_book, tmp_path):
    built = fixture_book
    findings = ace(built.epub, tmp_path / "ace")
    assert findings == []
    report = json.loads((tmp_path / "ace" / "report.json").read_text())
    assert report["earl:result"]["earl:outcome"] == "pass"
