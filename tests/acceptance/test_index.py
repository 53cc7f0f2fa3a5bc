"""This book's back-of-book index, as a reader checks it: every organisation, law and programme
the editor marked in the manuscript (``[words]{.index}``, ``term="…"``, sub-entries ``A!B``) is
in the index, and for EVERY entry the page numbers printed in the PDF's index are the pages on
which the marked words are printed.

The marks are read from the manuscript; each mark's place in the editions is its span in the
EPUB (the same words, in reading order) and that span's id is a named destination in the PDF.
The PDF is read page by page (pypdfium2); the printed index is read from its own pages."""
from __future__ import annotations

import re

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import BOOK, NS

from press.book import load_book

# A mark: a span whose attributes carry the class "index" (alone or beside lang=…).
SPAN = re.compile(r"\[([^\[\]]*)\]\{([^}]*)\}")
HYPHEN = "[-\u2010\ufffe]"             # a hyphen as PDFium reads it (U+FFFE: one at a line end)
BREAK = r"(?:[\u00ad\x02\u2010\ufffe-]?\r?\n|[\u00ad\x02\ufffe])?"  # what a line break may leave inside a word
MIN_TERMS = 60


@pytest.fixture(scope="module")
def built(real_book):
    return real_book


def source_marks() -> dict[str, list[tuple[str, str]]]:
    """Every index mark in the manuscript, per chapter id, in reading order (the notes' texts
    after the body, as the editions set them): [(term, the marked words)]."""
    out = {}
    for chapter in load_book(BOOK).chapters:
        text = re.sub(r"\\\n", "\n", chapter.body)
        marks = []
        for m in SPAN.finditer(text):
            attrs = m.group(2)
            if ".index" not in attrs.split():
                continue
            term = re.search(r'term="([^"]*)"', attrs)
            marks.append((term.group(1) if term else m.group(1), m.group(1)))
        out[chapter.id] = marks
    return out


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def mark_ids(built, marks: dict[str, list[tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """id → (term, words): the manuscript's marks paired, in order, with the EPUB's index spans."""
    out = {}
    for cid, chapter_marks in marks.items():
        if not chapter_marks:
            continue
        doc = built.epub_xml(f"EPUB/{cid}.xhtml")
        spans = doc.xpath("//x:span[contains(concat(' ', @class, ' '), ' index ')]", namespaces=NS)
        placed = [(s.get("id"), squash("".join(s.itertext()))) for s in spans]
        assert [w for _, w in placed] == [squash(w) for _, w in chapter_marks], cid
        for (ident, _), (term, words) in zip(placed, chapter_marks):
            out[ident] = (term, words)
    return out


def destinations(pdf_path) -> dict[str, int]:
    with pikepdf.open(pdf_path) as pdf:
        pages = {p.objgen: i for i, p in enumerate(pdf.pages, 1)}
        return {k: pages[v[0].objgen] for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def page_texts(pdf_path) -> list[str]:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def words_pattern(words: str) -> str:
    """The marked words as they may be printed: any space a line break, a line break inside a
    word (hyphenation), a hyphen at a line end read as PDFium reads it, a note call after them."""
    parts = []
    for ch in squash(words):
        if ch == " ":
            parts.append(r"\s+")
        elif ch == "-":
            parts.append(HYPHEN + r"\s*")
        else:
            parts.append(re.escape(ch) + BREAK)
    return r"(?<!\w)" + "".join(parts).removesuffix(BREAK) + r"(?=\d*(?!\w))"  # a note call may follow


def printed_on(words: str, page: int, texts: list[str]) -> bool:
    """Whether the words are printed on ``page``: all of them, or (a mark that runs on to the
    next page) its first word here and the rest at the top of the next page."""
    if re.search(words_pattern(words), texts[page - 1]):
        return True
    first, _, rest = squash(words).partition(" ")
    return bool(rest) and page < len(texts) \
        and re.search(words_pattern(first) + r"\s*$", texts[page - 1].rsplit("\n", 2)[0]) is not None \
        and re.search(words_pattern(rest), texts[page]) is not None


def index_entries(built) -> list[tuple[str, str]]:
    """The index's entries in order, from the EPUB: [(term as printed, key)], a sub-entry's key
    being "main!sub" as the mark writes it."""
    doc = built.epub_xml("EPUB/book-index.xhtml")
    out = []
    for li in doc.xpath("//x:li[@epub:type='index-entry']", namespaces=NS):
        term = squash("".join(li.xpath("./x:span[@epub:type='index-term']", namespaces=NS)[0].itertext()))
        parent = li.xpath("ancestor::x:li[@epub:type='index-entry'][1]/x:span[@epub:type='index-term']",
                          namespaces=NS)
        out.append((term, f"{squash(''.join(parent[0].itertext()))}!{term}" if parent else term))
    return out


def printed_index(texts: list[str], entries: list[tuple[str, str]]) -> tuple[int, dict[str, list[int]]]:
    """The index as printed in the PDF: its first page and, per entry key, the page numbers it
    lists (ranges expanded), read from the text of its pages (running heads and folios left
    out), entry after entry in the index's order."""
    start = next(i for i, t in enumerate(texts) if t.strip().startswith("Register")) + 1
    lines = []
    for number, text in enumerate(texts[start - 1:], start):
        lines += [ln for ln in text.splitlines() if ln.strip() not in (str(number), "REGISTER")]
    text = "\n".join(lines)
    text = re.sub(r"[\u00ad\x02\u2010]\r?\n", "", text).replace("\ufffe", "-")  # hyphenation undone
    text = squash(text)
    found, pos = [], 0
    for term, key in entries:
        m = re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)").search(text, pos)
        assert m, f"{term!r} is not printed in the index (after {text[max(pos - 80, 0):pos]!r})"
        found.append((key, m.start(), m.end()))
        pos = m.end()
    out = {}
    for n, (key, _, end) in enumerate(found):
        segment = text[end:found[n + 1][1] if n + 1 < len(found) else len(text)]
        locators = re.split(r"\bzie\b", segment)[0]
        numbers: list[int] = []
        for a, b in re.findall(r"(\d+)(?:–(\d+))?", locators):
            numbers += list(range(int(a), int(b or a) + 1))
        out[key] = numbers
    return start, out


def test_every_mark_of_the_manuscript_stands_in_the_editions(built):
    """Each chapter's marks, words and order, are the EPUB's index spans, and each is a named
    destination of the PDF (where the print index's numbers come from)."""
    ids = mark_ids(built, source_marks())
    dests = destinations(built.pdf)
    assert ids and all(ident in dests for ident in ids), sorted(set(ids) - set(dests))[:5]


def test_the_index_names_at_least_60_organisations_laws_and_programmes(built):
    terms = {term for marks in source_marks().values() for term, _ in marks}
    assert len(terms) >= MIN_TERMS, len(terms)
    keys = {key for _, key in index_entries(built)}
    assert terms <= keys, sorted(terms - keys)
    for law in ("Omgevingswet", "Participatiewet", "Energiewet", "Wet maatschappelijke ondersteuning"):
        assert law in terms
    assert "zelfstandige bestuursorganen" in terms


def test_every_index_entry_lists_the_pages_its_marked_words_are_printed_on(built):
    """For EVERY entry: the numbers printed after it in the PDF's index are exactly the pages on
    which its marked words are printed (one number per page), and the words are on each page."""
    texts = page_texts(built.pdf)
    dests = destinations(built.pdf)
    expected: dict[str, set[int]] = {}
    for ident, (term, words) in mark_ids(built, source_marks()).items():
        page = dests[ident]
        assert printed_on(words, page, texts), (ident, words, page, texts[page - 1][:300])
        expected.setdefault(term, set()).add(page)
    start, printed = printed_index(texts, index_entries(built))
    assert all(p < start for pages in expected.values() for p in pages)
    with_numbers = {key for key, numbers in printed.items() if numbers}
    assert with_numbers == set(expected), (sorted(with_numbers - set(expected)), sorted(set(expected) - with_numbers))
    for term, pages in expected.items():
        assert printed[term] == sorted(pages), (term, printed[term], sorted(pages))
    assert len(expected) >= MIN_TERMS


def test_abbreviations_send_the_reader_to_the_entry(built):
    """The cross-references book.yaml gives are printed ("JPF, zie Jongeren Perspectief Fonds")."""
    texts = page_texts(built.pdf)
    start = next(i for i, t in enumerate(texts) if t.strip().startswith("Register"))
    index = squash(re.sub(r"[\u00ad\x02\u2010]\r?\n", "", " ".join(texts[start:])))
    for short, entry in (("JPF", "Jongeren Perspectief Fonds"), ("ZBO’s", "zelfstandige bestuursorganen"),
                         ("Wmo", "Wet maatschappelijke ondersteuning")):
        assert f"{short}, zie {entry}" in index
