"""This book's references: the notes that name a report, a book or a web page keep the words the
printed book has, and each such reference is marked in the manuscript (``[words]{.cite key=…}``)
and cited from ``bronnen.yaml``; the book ends on one bibliography ("Literatuur") of exactly the
works the notes cite. Read from the manuscript and from the built EPUB, HTML and PDF."""
from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
import yaml
from conftest import BOOK, NS
from lxml import html as lhtml

from press.book import load_book

KEY = re.compile(r"\{\.cite key=([^\s}]+)\}")


@pytest.fixture(scope="module")
def built(real_book):
    return real_book


def kept_references() -> list[tuple[str, str, str]]:
    """(chapter id, key, the reference's visible words) for every kept reference, in reading order."""
    out = []
    for chapter in load_book(BOOK).chapters:
        text = chapter.body
        for m in KEY.finditer(text):
            start, depth = m.start() - 1, 0   # the "]" that closes the span; find its "["
            while True:
                ch = text[start]
                depth += {"]": 1, "[": -1}.get(ch, 0)
                if depth == 0:
                    break
                start -= 1
            words = text[start + 1:m.start() - 1]
            words = re.sub(r"\[([^\[\]]*)\]\{[^}]*\}", r"\1", words)       # inner index/lang spans
            words = re.sub(r"\[([^\[\]]*)\]\([^)]*\)", r"\1", words)       # [text](url)
            words = re.sub(r"<(https?://[^>]+)>", r"\1", words)            # <url>
            out.append((chapter.id, m.group(1), " ".join(words.split())))
    return out


def squash(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def library() -> dict[str, dict]:
    data = yaml.safe_load((BOOK / "bronnen.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in data["references"]}


def test_every_reference_note_cites_a_work_of_the_library_and_every_work_is_cited():
    refs = kept_references()
    assert len(refs) >= 15, refs
    assert {key for _, key, _ in refs} == set(library())


@pytest.mark.parametrize("edition", ["epub", "html"])
def test_the_references_keep_their_printed_words_and_link_to_their_entry(built, edition):
    by_chapter: dict[str, list] = {}
    for cid, key, words in kept_references():
        by_chapter.setdefault(cid, []).append((key, words))
    for cid, refs in by_chapter.items():
        if edition == "epub":
            doc, ns, x, target = built.epub_xml(f"EPUB/{cid}.xhtml"), NS, "x:", "bibliography.xhtml"
        else:
            doc, ns, x, target = lhtml.parse(str(built.html / f"{cid}.html")).getroot(), None, "", "bibliography.html"
        spans = doc.xpath(f"//{x}span[@class='cite']", namespaces=ns)
        assert [squash("".join(s.itertext())) for s in spans] == [w for _, w in refs], cid
        for span, (key, words) in zip(spans, refs):
            links = span.xpath(f".//{x}a/@href", namespaces=ns)
            if words.startswith(("http", "www.")) or "http" in words.split()[-1]:
                assert links and all(h.startswith("http") for h in links), (cid, words)
            else:
                assert links == [f"{target}#bibliography-ref-{key}"], (cid, words, links)


def test_the_book_ends_on_one_bibliography_of_the_works_cited(built):
    doc = built.epub_xml("EPUB/bibliography.xhtml")
    entries = doc.xpath("//x:div[contains(@class, 'csl-entry')]", namespaces=NS)
    assert sorted(e.get("id") for e in entries) == sorted(f"bibliography-ref-{k}" for k in library())
    pdf = pdfium.PdfDocument(str(built.pdf))
    texts = [squash(p.get_textpage().get_text_range()) for p in pdf]
    start = [i for i, t in enumerate(texts) if t.startswith("Literatuur")]
    assert start, "no page opens with the bibliography's heading"
    back = " ".join(texts[start[-1]:start[-1] + 3])
    for entry in library().values():
        if "title" in entry:  # a title's Markdown (a phrase marked as English) is not printed
            title = squash(re.sub(r"\[([^\[\]]*)\]\{[^}]*\}", r"\1", entry["title"]))
            assert title in back, entry["title"]
    index = [i for i, t in enumerate(texts) if t.startswith("Register")]
    assert index and start[-1] < index[-1], "the bibliography comes before the index"
