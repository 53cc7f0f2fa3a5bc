"""The book itself: the restored manuscript of *Het gat tussen denken en doen* has the structure
the printed book has — 14 chapters in four parts, every endnote of every essay (pending ones
marked), its boxed stories, figures with alt text, and phrases in other languages marked."""
from __future__ import annotations

import re

import pytest
from conftest import MANUSCRIPT
from lxml import html as lhtml

from press.book import load_book
from press.pipeline import process

ESSAYS = {  # chapter id → (authors as printed, endnotes as printed)
    "beleidsinfarct": (["Theo Konijn", "Willem van Spijker"], 15),
    "uitvoering-gemeenten": (["Frank van Erkel", "Marian De Kleermaeker"], 9),
    "opschalen-sociale-innovatie": (["Danja von Salisch"], 3),
    "energietransitie": (["Frank van Erkel", "Theo Konijn"], 4),
    "gebiedsgericht-werken": (["Frank van Erkel", "Eric Lugtmeijer"], 7),
    "ruimte-voor-elkaar": (["Eric Lugtmeijer"], 0),
    "sturen-op-waarden": (["Samir Bashara", "Marian De Kleermaeker"], 0),
    "next-step": (["Danja von Salisch", "Jaap Storteboom"], 3),
    "innoveren-over-grenzen": (["Giulietta Marani", "Danja von Salisch"], 0),
    "verandermanager": (["Marian De Kleermaeker"], 0),
    "kracht-van-onzekerheid": (["Suzanne Hoogland"], 0),
}


@pytest.fixture(scope="module")
def book():
    book = load_book(MANUSCRIPT)
    results, findings = process(book)
    return book, {r.chapter.id: r for r in results}, findings


def test_reading_order_and_parts(book):
    b, results, _ = book
    assert [c.id for c in b.chapters] == ["voorwoord", *ESSAYS, "vogelvlucht", "mensen"]
    assert b.parts == ["Meer aandacht voor de uitvoering", "Meer aandacht voor de leefwereld",
                       "Meer aandacht voor samenwerking", "Meer aandacht voor dilemma’s"]
    assert [b.parts[c.part] if c.part is not None else None for c in b.chapters][1:4] == \
        ["Meer aandacht voor de uitvoering"] * 3
    assert results["beleidsinfarct"].chapter.subtitle == "Hoe bestaat het en hoe komen we er vanaf?"


def test_authors_and_endnotes_per_essay(book):
    _, results, _ = book
    total = 0
    for cid, (authors, n_notes) in ESSAYS.items():
        r = results[cid]
        assert r.chapter.authors == authors, cid
        notes = r.ctx.data.get("notes", [])
        assert [n["n"] for n in notes] == list(range(1, n_notes + 1)), cid
        assert [n["label"] for n in notes] == [str(i) for i in range(1, n_notes + 1)], cid  # as printed
        total += n_notes
    assert total >= 41
    pending = [n["n"] for n in results["beleidsinfarct"].ctx.data["notes"] if n["pending"]]
    assert pending == list(range(1, 16))  # note 1 survives only in part, 2–15 not at all


def test_only_pending_text_is_reported(book):
    _, _, findings = book
    assert {f.code for f in findings if f.code != "SPELL-001"} <= {"NOTE-004", "TEXT-001"}
    assert not [f for f in findings if f.severity == "error"]
    assert sum(f.code == "NOTE-004" for f in findings) == 15


def test_boxed_stories_pull_quotes_and_figures(book):
    _, results, _ = book
    html = "".join(r.html for r in results.values())
    tree = lhtml.fragment_fromstring(html, create_parent="div")
    boxes = tree.xpath("//*[contains(concat(' ', @class, ' '), ' sidebar ')]")
    assert len(boxes) >= 10
    titles = {t.text_content() for t in tree.xpath("//aside[contains(@class,'sidebar')]/*[1]")}
    for expected in ("Wat hebben wij zien gebeuren?", "Over Stichting Jongeren Perspectief Fonds", "Time to Think"):
        assert any(expected in t for t in titles), expected
    assert any(t.startswith("Leren van Groningen") for t in titles)
    assert tree.xpath("//*[@role='doc-pullquote']")
    images = tree.xpath("//figure//img")
    assert len(images) >= 3 and all(i.get("alt", "").strip() for i in images)
    assert tree.xpath("//table[@id] | //*[starts-with(@id, 'tbl-')]")  # the theory of change as a table


def test_other_languages_are_marked(book):
    _, results, _ = book
    html = "".join(r.html for r in results.values())
    english = " ".join(re.findall(r'<span lang="en">(.*?)</span>', html))
    for phrase in ("coalition of the willing", "comply or explain", "community wealth building"):
        assert phrase in english, phrase
    assert "act better" in results["verandermanager"].chapter.subtitle_html and 'lang="en"' in \
        results["verandermanager"].chapter.subtitle_html


def test_roman_numeral_lists_stay_ordered(book):
    _, results, _ = book
    assert '<ol type="I">' in results["voorwoord"].html


def test_people_page_has_working_mailto_links(book):
    _, results, _ = book
    mails = re.findall(r'href="mailto:([^"]+)"', results["mensen"].html)
    assert len(mails) >= 9 and "js@vanvieren.nl" in mails
    assert all(re.fullmatch(r"[a-z]+@vanvieren\.nl", m) for m in mails)


def test_cross_references_to_essays_and_figures(book):
    _, results, _ = book
    hrefs = re.findall(r'<a href="#([^"]+)"[^>]*class="[^"]*xref', "".join(r.html for r in results.values()))
    assert "sturen-op-waarden" in hrefs and "gebiedsgericht-werken" in hrefs
    assert any(h.startswith(("fig-", "tbl-")) for h in hrefs)


# --- the printed book ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paginated(real_book, tmp_path_factory):
    """The pagination report of this book's build (press proofs on a copy of its dist)."""
    import json
    import shutil

    from press import proofs
    dist = tmp_path_factory.mktemp("book-proofs") / "dist"
    shutil.copytree(real_book.dist, dist)
    assert proofs.main(["-m", str(MANUSCRIPT), "-d", str(dist)]) == 0
    return json.loads((dist / "reports" / "pagination.json").read_text())


def test_no_page_inside_an_essay_is_less_than_half_filled(paginated):
    """Boxes, figures and the table no longer leave a page six lines full (p. 62 of the first
    proofs): the only short pages are the last of an essay, before a part or essay opening."""
    assert paginated["flag_counts"]["short-page"] == 0, [f for f in paginated["flags"] if f["kind"] == "short-page"]


def test_the_printer_gets_a_multiple_of_4_pages_and_every_bullet_is_a_bullet(real_book):
    import pikepdf
    from pypdf import PdfReader

    from press import STYLES, fonts
    from visual import glyphs
    with pikepdf.open(real_book.pdf_print) as pdf:
        assert len(pdf.pages) % 4 == 0
    bullets = "".join(p.extract_text() for p in PdfReader(real_book.pdf).pages).count("•")
    assert bullets >= 40   # the lists of the essays and the boxes
    assert glyphs.problems(real_book.pdf_print, {f.file for f in fonts.faces(STYLES)}) == []
