"""This book's manuscript, as an editor would accept it: editorial facts, not today's counts.

Every note call has a text or is pending; the check reports nothing but pending text and open
author queries; the parts are the foreword's four themes; every essay has a byline and every title
is whole; phrases in other languages are marked; dashes are set the book's way. An editor who
restores a lost note or answers a query breaks none of these."""
from __future__ import annotations

import re
from html import unescape

import pytest
from conftest import BOOK
from lxml import html as lhtml

from press.book import load_book
from press.pipeline import process
from press.spelling import check as spelling

ALLOWED = {"NOTE-004", "TEXT-001", "QUERY-001"}  # what the source lost, and the questions still open


@pytest.fixture(scope="module")
def book():
    b = load_book(BOOK)
    results, findings = process(b)
    return b, {r.chapter.id: r for r in results}, findings


def text_of(html: str, drop_lang: str | None = None) -> str:
    tree = lhtml.fragment_fromstring(html, create_parent="div")
    if drop_lang:
        for el in tree.xpath(f"//*[@lang='{drop_lang}']"):
            el.drop_tree()
    return re.sub(r"[ \t\n]+", " ", tree.text_content())


def test_every_note_call_has_a_text_or_is_pending(book):
    """No call without a text, no text without a call, none empty, none called twice, labels in
    reading order; a note whose text is lost is marked pending (and reported as such)."""
    _, results, findings = book
    assert not [f for f in findings if f.code.startswith("NOTE-") and f.code != "NOTE-004"]
    pending = {(f.path, f.line) for f in findings if f.code == "NOTE-004"}
    for r in results.values():
        notes = r.ctx.data.notes
        assert [n["n"] for n in notes] == list(range(1, len(notes) + 1)), r.chapter.id
        assert [n["label"] for n in notes] == [str(n["n"]) for n in notes], r.chapter.id  # as printed
        flagged = sum(1 for path, _ in pending if path == r.chapter.rel)
        assert flagged == sum(1 for n in notes if n["pending"]), r.chapter.id


def test_nothing_but_pending_text_and_open_queries_is_reported(book):
    b, _, findings = book
    assert {f.code for f in findings} <= ALLOWED, [str(f) for f in findings if f.code not in ALLOWED]
    assert spelling(b) == []  # words.txt lists the names and printed words the dictionary lacks


def test_the_parts_are_the_forewords_themes_in_its_order(book):
    b, results, _ = book
    themes = lhtml.fragment_fromstring(results["voorwoord"].html, create_parent="div").xpath("//ol[@type='I']/li")
    assert [t.text_content().strip() for t in themes] == b.parts
    parts = [c.part for c in b.chapters if c.part is not None]
    assert parts == sorted(parts)  # each part a run of essays, in the foreword's order


def test_every_essay_has_a_byline_and_every_title_is_whole(book):
    """A title cut at its colon leaves a title that ends before it and a lower-case subtitle."""
    b, results, _ = book
    for ch in b.chapters:
        if ch.part is not None:
            assert ch.authors, f"{ch.id} has no byline"
        if ch.subtitle:
            assert not ch.subtitle[0].islower(), f"{ch.id}: “{ch.subtitle}” reads as the rest of the title"
    assert results["vogelvlucht"].chapter.title == "Van Vieren: 20 jaar in vogelvlucht"
    assert results["mensen"].chapter.title == "En dit zijn wij: de mensen van Van Vieren"


def test_the_bylines_as_printed(book):
    from press.writers.common import byline
    _, results, _ = book
    labels = results["voorwoord"].ctx.labels
    assert byline(results["gebiedsgericht-werken"].chapter, labels) == \
        "Frank van Erkel met bijdragen van Eric Lugtmeijer"
    assert byline(results["innoveren-over-grenzen"].chapter, labels) == \
        "Giulietta Marani en Danja von Salisch (Digicampus, 2020)"


ENGLISH = ["community", "triple helix", "quadruple helix", "Online Community Platforms", "coalition of the willing",
           "comply or explain", "community wealth building", "common ground", "Time to Think"]


def test_phrases_in_english_are_marked(book):
    """Each phrase appears in the book, and never outside a lang="en" span (a Dutch compound such
    as "communitybuilding" is one word, so it does not count)."""
    _, results, _ = book
    html = "".join(r.html for r in results.values())
    english = text_of(html)
    dutch = text_of(html, drop_lang="en")
    for phrase in ENGLISH:
        assert re.search(rf"\b{re.escape(phrase)}\b", english, re.I), phrase
        assert not re.search(rf"\b{re.escape(phrase)}\b", dutch, re.I), f"“{phrase}” is not marked as English"
    subtitle = results["verandermanager"].chapter.subtitle_html
    assert "act better" in subtitle and 'lang="en"' in subtitle


def test_spaced_dashes_are_en_dashes_held_to_the_word_before(book):
    _, results, _ = book
    for r in results.values():
        for text in (r.chapter.title, r.chapter.subtitle or "", unescape(re.sub(r"<[^>]+>", "", r.html))):
            assert not re.search(r"\s-\s", text), f"{r.chapter.id}: a hyphen set as a dash"
            assert not re.search(r"[ \t\n]–", text), f"{r.chapter.id}: a dash that can start a line"
            assert not re.search(r"\S–\s", text.replace("\u00a0–", "")), f"{r.chapter.id}: a dash glued to a word"


def test_figures_have_alt_text_and_boxes_their_titles(book):
    _, results, _ = book
    tree = lhtml.fragment_fromstring("".join(r.html for r in results.values()), create_parent="div")
    images = tree.xpath("//figure//img")
    assert images and all(i.get("alt", "").strip() for i in images)
    for aside in tree.xpath("//aside[contains(@class, 'sidebar')][@aria-labelledby]"):
        assert tree.xpath(f"string(//*[@id='{aside.get('aria-labelledby')}'])").strip()
    assert tree.xpath("//*[@role='doc-pullquote']")
    assert tree.xpath("//table[@id] | //*[starts-with(@id, 'tbl-')]")  # the theory of change as a table


def test_roman_numeral_lists_stay_ordered(book):
    _, results, _ = book
    for r in results.values():
        source = r.chapter.body
        if re.search(r"^I\.  ", source, re.M):
            assert '<ol type="I">' in r.html, r.chapter.id


def test_the_people_page_has_working_mailto_links(book):
    _, results, _ = book
    html = results["mensen"].html
    mails = re.findall(r'href="mailto:([^"]+)"', html)
    assert mails and all(re.fullmatch(r"[a-z]+@vanvieren\.nl", m) for m in mails)
    assert all(f">{m}<" in html for m in mails)  # the address shown is the address linked


def test_every_query_asks_something_at_a_place(book):
    """Each open query has a question and a line in its chapter file."""
    _, results, findings = book
    for r in results.values():
        for q in r.ctx.data.queries:
            assert "?" in q["question"], (r.chapter.id, q["n"])
            lines = r.chapter.path.read_text(encoding="utf-8").split("\n")
            assert ".query" in lines[q["line"] - 1] or "::: query" in lines[q["line"] - 1], (r.chapter.id, q["n"])
    assert sum(f.code == "QUERY-001" for f in findings) == sum(len(r.ctx.data.queries)
                                                               for r in results.values())
