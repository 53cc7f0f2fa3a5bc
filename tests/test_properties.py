"""Property-based tests: generated Markdown — nested lists, sidebars inside sidebars, notes inside
sidebars and tables, unusual Unicode, very long words — goes through the filters and the writers.
Invariants: the result is a built book or a manuscript error (never a traceback); every note call
has its note; ids are unique; the EPUB and HTML documents are well-formed XML/HTML."""
from __future__ import annotations

import re
import string
import zipfile

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lhtml

from press.book import load_book
from press.pipeline import process
from press.rules import ManuscriptError
from press.writers import epub
from press.writers import html as html_writer
from press.writers.printhtml import book_html

BOOK = """title: "Generated"
lang: nl
authors: [Hypothesis]
publisher: Test
date: 2024-01-01
identifier: "urn:uuid:11111111-2222-4333-8444-555555555555"
rights: "Test"
description: "Generated."
contents:
  - file: 01-a.md
  - part: "Deel"
    files: [02-b.md]
"""

ALPHABET = string.ascii_letters + "éëïçñßøåœæ–—‘’“”…ĳ漢字😀\u00ad\u200b\u0301 "
words = st.text(alphabet=ALPHABET, min_size=1, max_size=12).map(lambda w: w.strip() or "woord")
long_word = st.text(alphabet=string.ascii_lowercase, min_size=60, max_size=200)
sentence = st.lists(st.one_of(words, words, words, long_word), min_size=1, max_size=6).map(" ".join)


@st.composite
def inline(draw, notes):
    text = draw(sentence)
    if draw(st.booleans()):
        label = f"n{len(notes) + 1}"
        notes.append((label, draw(sentence)))
        text += f"[^{label}]"
    if draw(st.booleans()):
        text = f"*{text}* [{draw(words)}]{{lang=en}}"
    return text


@st.composite
def block(draw, notes, depth=0):
    kind = draw(st.sampled_from(["para", "list", "sidebar", "table", "quote", "heading"] if depth < 2 else ["para"]))
    if kind == "para":
        return draw(inline(notes))
    if kind == "heading":
        return f"## {draw(sentence)}"
    if kind == "quote":
        return "> " + draw(inline(notes))
    if kind == "list":
        items = draw(st.lists(inline(notes), min_size=1, max_size=4))
        nested = "\n".join(f"    - {i}" for i in draw(st.lists(inline(notes), max_size=2)))
        marker = draw(st.sampled_from(["-", "1.", "I. "]))
        return "\n".join(f"{marker} {i}" for i in items) + ("\n" + nested if nested else "")
    if kind == "table":
        cells = draw(st.lists(inline(notes), min_size=2, max_size=4))
        return "| a | b |\n|---|---|\n" + "\n".join(f"| {c.replace('|', '')} | x |" for c in cells)
    inner = draw(st.lists(block(notes, depth + 1), min_size=1, max_size=3))
    fence = ":" * (3 + (3 - depth))
    title = f"### {draw(sentence)}\n\n" if draw(st.booleans()) else ""
    return f"{fence} sidebar\n{title}" + "\n\n".join(inner) + f"\n{fence}"


@st.composite
def chapter(draw):
    notes: list = []
    blocks = draw(st.lists(block(notes), min_size=1, max_size=4))
    body = "\n\n".join(blocks)
    defs = "\n".join(f"[^{label}]: {text}" for label, text in notes)
    return f"---\ntitle: \"{draw(words)}\"\n---\n\n{body}\n\n{defs}\n", len(notes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a=chapter(), b=chapter())
# a section whose only content is a sidebar's heading: the search index read "</aside>" as a document
@example(a=('---\ntitle: "A"\n---\n\nA\n\n\n', 0), b=('---\ntitle: "A"\n---\n\n:::::: sidebar\n## A\n::::::\n\n\n', 0))
def test_generated_manuscripts_build_or_fail_cleanly(tmp_path_factory, a, b):
    root = tmp_path_factory.mktemp("gen")
    (root / "book.yaml").write_text(BOOK, encoding="utf-8")
    (root / "01-a.md").write_text(a[0], encoding="utf-8")
    (root / "02-b.md").write_text(b[0], encoding="utf-8")
    try:
        results, findings = process(load_book(root))
    except ManuscriptError:
        return  # a clear manuscript error is an allowed outcome
    if any(f.severity == "error" for f in findings):
        assert all(f.path.endswith(".md") or f.path.endswith(".yaml") for f in findings)
        return
    for r, (_, n_notes) in zip(results, (a, b)):
        doc = lhtml.fragment_fromstring(r.html, create_parent="div")
        calls = doc.xpath("//a[contains(@class,'noteref')]")
        notes = doc.xpath("//li[contains(@class,'endnote')]")
        assert len(calls) == len(notes) == n_notes
        ids = {n.get("id") for n in notes}
        assert all(c.get("href")[1:] in ids for c in calls)
    # the single print document: ids unique across the whole book
    print_html, _ = book_html(load_book(root), results)
    all_ids = re.findall(r'\sid="([^"]+)"', print_html)
    assert len(all_ids) == len(set(all_ids))
    dist = root / "dist"
    epub.write(load_book(root), results, dist / "g.epub", None)
    with zipfile.ZipFile(dist / "g.epub") as z:
        for name in z.namelist():
            if name.endswith((".xhtml", ".opf")):
                tree = etree.fromstring(z.read(name))  # well-formed XML or this raises
                ids = tree.xpath("//@id")
                assert len(ids) == len(set(ids)), name
    html_writer.write(load_book(root), results, dist / "html", [])
    for page in (dist / "html").glob("*.html"):
        tree = lhtml.parse(str(page))
        ids = tree.xpath("//@id")
        assert len(ids) == len(set(ids)), page.name



# Well-nested HTML as pandoc writes it (blocks holding inlines), with the characters a serialiser
# can get wrong: entities, no-break spaces, quotes in attributes, white space where it is kept.
_text = st.lists(st.sampled_from(["x", "woord", " ", "\n", "&amp;", "&lt;", "&gt;", "&nbsp;", "\u00a0", "é", "ĳ漢😀",
                                  "\u00ad", "'", '"']), min_size=1, max_size=6).map("".join)
_inline = st.recursive(_text, lambda inner: st.one_of(
    st.tuples(st.sampled_from(["em", "strong", "sup", "span", "small"]), st.lists(inner, max_size=3)).map(
        lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"),
    st.lists(inner, max_size=3).map(lambda c: f'<a href="#x" title="a &quot;b&quot; &lt;c&gt; &amp; d">{"".join(c)}</a>'),
    st.just("<br>"), st.just('<img src="a b.png" alt="\'q\' &amp; r">')), max_leaves=8)
_inlines = st.lists(_inline, max_size=4).map("".join)
_block = st.recursive(st.one_of(
    _inlines.map(lambda c: f"<p>{c}</p>"), _inlines.map(lambda c: f'<h2 id="h">{c}</h2>'),
    _inlines.map(lambda c: f"<table><tbody><tr><td>{c}</td></tr></tbody></table>"),
    _inlines.map(lambda c: f'<figure><img src="f.svg" alt="f"><figcaption>{c}</figcaption></figure>')),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda c: f"<blockquote>{''.join(c)}</blockquote>"),
        st.lists(inner, min_size=1, max_size=3).map(lambda c: '<aside class="sidebar">' + "\n".join(c) + "</aside>"),
        st.lists(inner, min_size=1, max_size=3).map(lambda c: f"<ul><li>{''.join(c)}</li></ul>")), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(raw=st.lists(_block, max_size=5).map("\n".join), lead=st.sampled_from(["", "\n", "&nbsp;"]))
def test_a_fragment_read_and_written_again_keeps_the_pipelines_bytes(raw, lead):
    """The writers read the pipeline's chapters (nh3's output) as lxml trees and write them with
    htmltext.inner_html: what they do not change must come out byte for byte as it went in."""
    from press.filters.sanitize import clean_fragment
    from press.htmltext import fragment, inner_html
    clean = clean_fragment(lead + raw)
    assert inner_html(fragment(clean)) == clean
