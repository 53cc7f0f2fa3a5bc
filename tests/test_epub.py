"""The EPUB edition, opened as a reading system would: package metadata, navigation (toc,
landmarks, a page-list matching the print edition), endnote semantics, fonts, reproducibility,
and the trade's validators (EPUBCheck, Ace by DAISY) with nothing to report."""
from __future__ import annotations

import json
import zipfile

import pytest
from conftest import FIXTURE, NS, press
from pages import around, near_start, page_words
from pypdf import PdfReader

from press.validators import ace, epubcheck

A11Y_FEATURES = {"structuralNavigation", "tableOfContents", "printPageNumbers", "pageNavigation",
                 "readingOrder", "alternativeText", "displayTransformability"}


def _meta(opf, prop):
    return [m.text for m in opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


@pytest.fixture(scope="module")
def opf(real_book):
    return real_book.epub_xml("EPUB/content.opf")


def test_package_metadata(opf):
    assert opf.xpath("//dc:title/text()", namespaces=NS) == ["Het gat tussen denken en doen, en hoe dat te dichten"]
    assert opf.xpath("//dc:language/text()", namespaces=NS) == ["nl"]
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    assert opf.xpath("//dc:identifier/text()", namespaces=NS) == ["urn:uuid:c63397b1-5e6b-5f83-afa5-74558c869cd9"]
    for key in ("publisher", "rights", "description", "date", "creator"):
        assert opf.xpath(f"//dc:{key}/text()", namespaces=NS), key
    cover = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert cover and cover[0].get("media-type") == "image/svg+xml"


def test_accessibility_metadata(opf):
    assert _meta(opf, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert _meta(opf, "a11y:certifiedBy") == ["Van Vieren"]
    assert set(_meta(opf, "schema:accessMode")) == {"textual", "visual"}
    assert _meta(opf, "schema:accessModeSufficient") == ["textual"]
    assert set(_meta(opf, "schema:accessibilityFeature")) == A11Y_FEATURES
    assert _meta(opf, "schema:accessibilityHazard") == ["none"]
    summary = _meta(opf, "schema:accessibilitySummary")[0]
    assert "publicatie" in summary  # in the book's language
    assert _meta(opf, "pageBreakSource") == ["urn:uuid:c63397b1-5e6b-5f83-afa5-74558c869cd9"]


def test_every_document_has_the_book_language(real_book):
    for name in real_book.epub_names():
        if name.endswith(".xhtml"):
            root = real_book.epub_xml(name)
            assert root.get("lang") == "nl" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl", name


def test_one_document_per_chapter_and_part(real_book):
    names = set(real_book.epub_names())
    for ch in ("voorwoord", "beleidsinfarct", "kracht-van-onzekerheid", "mensen"):
        assert f"EPUB/{ch}.xhtml" in names
    assert {f"EPUB/part-{n}.xhtml" for n in range(1, 5)} <= names


def test_nav_toc_parts_essays_sections(real_book):
    nav = real_book.epub_xml("EPUB/nav.xhtml")
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    top = [a.xpath("string()") for a in toc.xpath("x:ol/x:li/x:a", namespaces=NS)]
    assert top[0] == "Welkom bij 20 jaar Van Vieren"
    assert "Deel I: Meer aandacht voor de uitvoering" in top
    part1 = toc.xpath("x:ol/x:li[x:a[@href='part-1.xhtml']]/x:ol/x:li/x:a", namespaces=NS)
    assert [a.xpath("string()") for a in part1][:1] == ["Beleidsinfarct"]
    sections = toc.xpath("x:ol/x:li[x:a[@href='part-1.xhtml']]/x:ol/x:li[1]/x:ol/x:li/x:a/@href", namespaces=NS)
    assert "beleidsinfarct.xhtml#probleem-en-uitdaging" in sections


def test_landmarks(real_book):
    nav = real_book.epub_xml("EPUB/nav.xhtml")
    kinds = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert {"cover", "toc", "bodymatter", "endnotes"} <= set(kinds)


def test_page_list_matches_the_print_edition(real_book):
    """Every page-list entry N points at a page-break marker placed where the print edition's
    page N begins: the word after it is among the first words of page N."""
    nav = real_book.epub_xml("EPUB/nav.xhtml")
    entries = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    reader = PdfReader(str(real_book.pdf))
    numbers = [int(a.text) for a in entries]
    assert numbers == sorted(numbers) and len(numbers) > 0.8 * len(reader.pages)  # nearly every page with text on it
    assert numbers[-1] <= len(reader.pages)
    checked = 0
    docs = {}
    for a in entries:
        name, frag = a.get("href").split("#")
        doc = docs.setdefault(name, real_book.epub_xml(f"EPUB/{name}"))
        span = doc.xpath(f"//*[@id='{frag}']")[0]
        assert span.get("role") == "doc-pagebreak" and span.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
        assert span.get("aria-label") == f"Pagina {a.text}"
        words = page_words(reader, int(a.text))
        if not words:
            continue  # a blank page
        _, after = around(span)
        # within two lines' words: a table's header row, repeated at the top of a page, comes first
        assert after and near_start(after[0], words, within=24), (a.text, after, words[:24])
        checked += 1
    assert checked > 100


def test_endnote_semantics_and_back_links(real_book):
    doc = real_book.epub_xml("EPUB/uitvoering-gemeenten.xhtml")
    refs = doc.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    assert [r.text for r in refs] == [str(n) for n in range(1, 10)]
    assert all(r.get("role") == "doc-noteref" for r in refs)
    section = doc.xpath("//x:section[@role='doc-endnotes']", namespaces=NS)[0]
    assert section.get("{http://www.idpf.org/2007/ops}type") == "endnotes"
    assert section.xpath("x:h2/text()", namespaces=NS) == ["Eindnoten"]
    notes = section.xpath(".//x:li[@epub:type='endnote']", namespaces=NS)
    assert len(notes) == 9 and not doc.xpath("//*[@role='doc-endnote']")
    ids = set(doc.xpath("//@id"))
    for ref, note in zip(refs, notes):
        assert ref.get("href") == f"#{note.get('id')}"
        back = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
        assert back == [f"#{ref.get('id')}"] and ref.get("id") in ids


def test_pending_notes_are_marked(real_book):
    doc = real_book.epub_xml("EPUB/beleidsinfarct.xhtml")
    pending = doc.xpath("//x:li[contains(@class, 'pending')]", namespaces=NS)
    assert len(pending) == 15
    assert "[noottekst ontbreekt in de bron]" in "".join(pending[1].itertext())


def test_sidebars_pullquotes_figures(real_book):
    doc = real_book.epub_xml("EPUB/beleidsinfarct.xhtml")
    aside = doc.xpath("//x:aside[contains(@class, 'sidebar')]", namespaces=NS)[0]
    title = doc.xpath(f"//*[@id='{aside.get('aria-labelledby')}']", namespaces=NS)
    assert title and title[0].xpath("string()") == "Wat hebben wij zien gebeuren?"
    img = real_book.epub_xml("EPUB/sturen-op-waarden.xhtml").xpath("//x:figure//x:img", namespaces=NS)
    assert img and all(i.get("alt") for i in img)


def test_cross_references_link_between_documents(fixture_book):
    doc = fixture_book.epub_xml("EPUB/tides.xhtml")
    hrefs = doc.xpath("//x:a[contains(@class, 'xref')]/@href", namespaces=NS)
    assert "harbours.xhtml" in hrefs and "harbours.xhtml#harbours-locks" in hrefs
    assert "#fig-tides-diagram" in hrefs
    assert doc.xpath("//x:aside[@role='doc-pullquote' and @epub:type='pullquote']", namespaces=NS)


def test_fonts_are_embedded_subsets_with_licences(real_book):
    import io

    from fontTools.ttLib import TTFont
    opf = real_book.epub_xml("EPUB/content.opf")
    fonts = opf.xpath("//opf:item[@media-type='font/otf']/@href", namespaces=NS)
    assert len(fonts) >= 4
    with zipfile.ZipFile(real_book.epub) as z:
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


@pytest.mark.parametrize("which", ["fixture_book", "real_book"])
def test_epubcheck_reports_nothing(which, request, tmp_path):
    built = request.getfixturevalue(which)
    findings = epubcheck(built.epub, tmp_path / "epubcheck.json")
    assert findings == []
    report = json.loads((tmp_path / "epubcheck.json").read_text())
    assert report["checker"]["nFatal"] == report["checker"]["nError"] == report["checker"]["nWarning"] == 0


@pytest.mark.parametrize("which", ["fixture_book", "real_book"])
def test_ace_reports_no_violations(which, request, tmp_path):
    built = request.getfixturevalue(which)
    findings = ace(built.epub, tmp_path / "ace")
    assert findings == []
    report = json.loads((tmp_path / "ace" / "report.json").read_text())
    assert report["earl:result"]["earl:outcome"] == "pass"
