"""The non-fiction apparatus on real outputs: citations from a reference library in an author-date
and a note style, the bibliography per chapter and for the whole book, and the back-of-book
index, whose page numbers are checked against the pages the marked words are printed on.

The book is ``tests/fixtures/apparatus`` (two essays, a BibTeX library, index marks on several
pages, a see and a see-also in book.yaml); the note-style variant is a copy with two keys of
book.yaml changed.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import APPARATUS, NS, Built, _build
from lxml import etree
from lxml import html as lhtml

from press import validate

SLUG = "harbour-law"
MARK = re.compile(r"\[([^\]]*)\]\{\.index([^}]*)\}")


@pytest.fixture(scope="module")
def author_date(apparatus_book) -> Built:
    return apparatus_book


@pytest.fixture(scope="module")
def note_style(tmp_path_factory) -> Built:
    """The same book in a note style (the fixture's own house-notes.csl), with one bibliography
    at the back of the book."""
    src = tmp_path_factory.mktemp("apparatus-notes") / "book"
    shutil.copytree(APPARATUS, src)
    yaml = (src / "book.yaml").read_text(encoding="utf-8")
    (src / "book.yaml").write_text(yaml.replace("bibliography: library.bib\n", "bibliography: library.bib\n"
                                                "citation-style: house-notes.csl\nbibliography-at: book\n"),
                                   encoding="utf-8")
    dist = tmp_path_factory.mktemp("apparatus-notes-dist")
    _build(src, dist)
    return Built(src, dist, SLUG)


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, words joined across line ends (hyphenation undone)."""
    doc = pdfium.PdfDocument(str(pdf))
    out = []
    for page in doc:
        text = page.get_textpage().get_text_range()
        text = re.sub(r"[\u00ad\x02]\s*|-\r?\n", "", text)
        out.append(re.sub(r"\s+", " ", text))
    return out


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def xhtml(built: Built, name: str):
    with zipfile.ZipFile(built.epub) as z:
        return etree.fromstring(z.read(f"EPUB/{name}"))


def text_of(el) -> str:
    return squash("".join(el.itertext()).replace("\u00ad", ""))


# ---------------------------------------------------------------------------------------------
# Citations and bibliographies


def test_author_date_citations_stand_in_the_text_and_each_essay_ends_on_its_bibliography(author_date):
    pages = page_texts(author_date.pdf)
    cited = [i for i, t in enumerate(pages) if "(Doe 2020, 12)" in t]
    assert len(cited) == 1 and "Roe (2019)" in " ".join(pages)
    assert "(p." not in pages[cited[0]], "a citation is not a cross-reference: no page number after it"
    boards = next(t for t in pages if "Bibliography" in t and "Roe, Richard" in t)
    assert "Doe, Jane. 2020. Tides of the North Sea. Harbour Press. https://doi.org/10.1000/xyz123" in boards
    assert "Harbour Board of Zeeland" not in boards  # only what this essay cites
    locks = next(t for t in pages if "Bibliography" in t and "Harbour Board of Zeeland. 2012" in t)
    assert "Roe, Richard" not in locks
    for doc in (xhtml(author_date, "boards.xhtml"),
                lhtml.parse(str(author_date.html / "boards.html")).getroot()):
        ns = NS if doc.tag.startswith("{") else None
        x = "x:" if ns else ""
        refs = doc.xpath(f"//{x}div[@id='boards-refs']", namespaces=ns)[0]
        assert "bibliography" in refs.get("class")
        entry = refs.xpath(f".//{x}div[@id='boards-ref-doe2020']", namespaces=ns)[0]
        assert entry.xpath(f".//{x}a/@href", namespaces=ns) == ["https://doi.org/10.1000/xyz123"]
        citation = doc.xpath(f"//{x}a[@href='#boards-ref-doe2020']", namespaces=ns)
        assert citation and text_of(citation[0]) == "Doe 2020, 12"
        heading = doc.xpath(f"//{x}h2[@id='boards-bibliography']", namespaces=ns)[0]
        assert text_of(heading) == "Bibliography"


def test_note_style_puts_citations_in_the_endnotes_and_one_bibliography_at_the_back(note_style):
    pages = page_texts(note_style.pdf)
    assert not any("(Doe 2020" in t for t in pages)
    locks = xhtml(note_style, "locks.xhtml")
    notes = [text_of(li) for li in locks.xpath("//x:li[contains(@class, 'endnote')]", namespaces=NS)]
    assert len(notes) == 4, notes  # the citation in the text became note 1, the editor's notes are 2–4
    assert "Harbour Board of Zeeland" in notes[0] and "Annual Report on Locks" in notes[0]
    assert notes[1].startswith("The keepers’ houses still stand") and "Doe" in notes[1] and "40–42" in notes[1]
    assert notes[2] == "As the board itself wrote in Harbour Board of Zeeland (2015), Piers and Their Upkeep. ↩︎"
    calls = [text_of(a) for a in locks.xpath("//x:a[contains(@class, 'noteref')]", namespaces=NS)]
    assert calls == ["1", "2", "3", "4"]
    boards = xhtml(note_style, "boards.xhtml")
    assert "Jane Doe, Tides of the North Sea" in " ".join(
        text_of(li) for li in boards.xpath("//x:li[contains(@class, 'endnote')]", namespaces=NS))
    assert not boards.xpath("//x:div[contains(@class, 'bibliography')]", namespaces=NS)
    back = xhtml(note_style, "bibliography.xhtml")
    entries = [text_of(e) for e in back.xpath("//x:div[contains(@class, 'csl-entry')]", namespaces=NS)]
    assert [e.split(".")[0] for e in entries][0] == "Doe, Jane" and entries[-1].startswith("Roe, Richard"), entries
    assert any("Piers and Their Upkeep" in e for e in entries) and any("Tide Tables" in e for e in entries)
    kept = locks.xpath("//x:span[@class='cite']/x:a[@href='bibliography.xhtml#bibliography-ref-board2015']", namespaces=NS)
    assert kept and text_of(kept[0]) == "Harbour Board of Zeeland (2015), Piers and Their Upkeep"
    assert back.xpath("//x:a[@href='https://doi.org/10.1000/xyz123']", namespaces=NS)
    assert back.xpath("//x:a[@href='https://example.org/walls']", namespaces=NS)
    site = (note_style.html / "bibliography.html").read_text(encoding="utf-8")
    assert 'href="https://doi.org/10.1000/xyz123"' in site
    last = [i for i, t in enumerate(pages) if t.lstrip().startswith("Bibliography")]
    assert last and "Roe, Richard" in pages[last[-1]] + pages[min(last[-1] + 1, len(pages) - 1)]


def test_a_reference_kept_as_written_keeps_its_words_links_to_its_entry_and_is_listed(author_date, note_style):
    """``[words]{.cite key=KEY}``: citeproc does not rewrite the words; they link to the work's
    entry in the chapter's bibliography (words that are a link already keep that link), and the
    work is listed there though no [@KEY] cites it. In the EPUB each bibliography is a section of
    EPUB type and ARIA role bibliography around citeproc's list (Ace: matching role)."""
    for doc in (xhtml(author_date, "locks.xhtml"), lhtml.parse(str(author_date.html / "locks.html")).getroot()):
        ns = NS if doc.tag.startswith("{") else None
        x = "x:" if ns else ""
        notes = [text_of(li) for li in doc.xpath(f"//{x}li[contains(@class, 'endnote')]", namespaces=ns)]
        assert notes[1] == "As the board itself wrote in Harbour Board of Zeeland (2015), Piers and Their Upkeep. ↩︎"
        assert notes[2] == "Printed every year: https://example.org/tides. ↩︎"
        link = doc.xpath(f"//{x}span[@class='cite']/{x}a[@href='#locks-ref-board2015']", namespaces=ns)
        assert link and text_of(link[0]) == "Harbour Board of Zeeland (2015), Piers and Their Upkeep"
        url = doc.xpath(f"//{x}span[@class='cite']/{x}a", namespaces=ns)[1]
        assert url.get("href") == "https://example.org/tides" and not url.xpath(f".//{x}a", namespaces=ns)
        refs = doc.xpath(f"//{x}div[@id='locks-refs']", namespaces=ns)[0]
        entries = {e.get("id"): text_of(e) for e in refs.xpath(f"./{x}div", namespaces=ns)}
        assert "Piers and Their Upkeep" in entries["locks-ref-board2015"]
        assert "Tide Tables" in entries["locks-ref-tidetables"]
    epub = xhtml(author_date, "locks.xhtml")
    section = epub.xpath("//x:section[@epub:type='bibliography'][@role='doc-bibliography']", namespaces=NS)
    assert len(section) == 1 and section[0].get("aria-labelledby") == "locks-bibliography"
    assert [c.get("id") for c in section[0]] == ["locks-bibliography", "locks-refs"]
    assert section[0][1].get("role") == "list" and not section[0][1].get(f"{{{NS['epub']}}}type")
    back = xhtml(note_style, "bibliography.xhtml").xpath("//x:section[@epub:type='bibliography']", namespaces=NS)
    assert len(back) == 1 and back[0].get("aria-label") == "Bibliography" and back[0].get("role") == "doc-bibliography"
    pages = page_texts(author_date.pdf)
    assert any("As the board itself wrote in Harbour Board of Zeeland (2015), Piers and Their Upkeep." in t
               for t in pages)


# ---------------------------------------------------------------------------------------------
# The index


def marks() -> dict[str, tuple[str, str]]:
    """Every index mark of the fixture's source: id → (term, the marked words)."""
    out = {}
    for name, cid in (("01-boards.md", "boards"), ("02-locks.md", "locks")):
        text = (APPARATUS / name).read_text(encoding="utf-8")
        for n, m in enumerate(MARK.finditer(text), 1):
            term = re.search(r'term="([^"]*)"', m.group(2))
            out[f"{cid}-idx-{n}"] = (term.group(1) if term else m.group(1), m.group(1))
    return out


def destinations(pdf_path: Path) -> dict[str, int]:
    with pikepdf.open(pdf_path) as pdf:
        pages = {p.objgen: i for i, p in enumerate(pdf.pages, 1)}
        tree = pikepdf.NameTree(pdf.Root.Names.Dests)
        return {k: pages[v[0].objgen] for k, v in tree.items()}


def printed_index(pdf: Path) -> dict[str, list[int]]:
    """The index as printed, read line by line from its pages: term → the page numbers it lists
    (ranges expanded)."""
    doc = pdfium.PdfDocument(str(pdf))
    texts = [page.get_textpage().get_text_range() for page in doc]
    start = next(i for i, t in enumerate(texts) if t.strip().startswith("Index"))
    out = {}
    for line in "\n".join(texts[start:]).splitlines():
        m = re.match(r"^(.+?), (\d+(?:–\d+)?(?:, \d+(?:–\d+)?)*)(?:;.*)?$", line.strip())
        if not m:
            continue
        numbers: list[int] = []
        for part in m.group(2).split(", "):
            a, _, b = part.partition("–")
            numbers += list(range(int(a), int(b or a) + 1))
        out[m.group(1).strip()] = numbers
    return out


def test_index_page_numbers_are_the_pages_the_marked_words_stand_on(author_date):
    pages = page_texts(author_date.pdf)
    dests = destinations(author_date.pdf)
    expected: dict[str, set[int]] = {}
    for ident, (term, words) in marks().items():
        page = dests[ident]
        here = pages[page - 1] + (pages[page] if page < len(pages) else "")
        assert squash(words) in here and squash(words).split()[0] in pages[page - 1], (ident, words, page)
        expected.setdefault(term.split("!")[-1], set()).add(page)
    printed = printed_index(author_date.pdf)
    for term, numbers in expected.items():
        assert sorted(printed[term]) == sorted(numbers), (term, printed[term], numbers)
        assert len(printed[term]) == len(set(printed[term])), "one number per page"
    raw = " ".join(pages[next(i for i, t in enumerate(pages) if t.strip().startswith("Index")):])
    assert "Harbour Act of 1850, 8–9" in raw or re.search(r"Harbour Act of 1850, \d+–\d+", raw), raw
    assert "Port authorities, see harbour boards" in raw
    assert re.search(r"Tides, [\d, ]+; see also Locks", raw)


def test_index_is_sorted_by_collation_and_grouped_by_letter(author_date):
    doc = lhtml.parse(str(author_date.html / "book-index.html")).getroot()
    terms = [text_of(t) for t in doc.xpath("//section[contains(@class,'index')]/ul/li/span[@class='index-term']")]
    assert terms == ["Eastern lock", "Élysée lock", "Harbour Act of 1850", "harbour boards", "Harbours",
                     "IJssel", "ijzeren brug", "Locks", "Port authorities", "Tides"]
    assert [text_of(h) for h in doc.xpath("//h2[contains(@class, 'index-letter')]")] == ["E", "H", "I", "L", "P", "T"]
    subs = [text_of(t) for t in doc.xpath("//li/ul/li/span[@class='index-term']")]
    assert subs == ["Middelburg", "Vlissingen"]


def test_epub_index_follows_epub_indexes_and_shows_the_print_pages(author_date):
    doc = xhtml(author_date, "book-index.xhtml")
    section = doc.xpath("//x:section[@epub:type='index']", namespaces=NS)
    assert section
    pdf_pages = destinations(author_date.pdf)
    entries = doc.xpath("//x:li[@epub:type='index-entry']", namespaces=NS)
    assert len(entries) == 12
    checked = 0
    for loc in doc.xpath("//x:a[@epub:type='index-locator']", namespaces=NS):
        href = loc.get("href")
        file, _, ident = href.partition("#")
        target = xhtml(author_date, file)
        assert target.xpath(f"//*[@id='{ident}']")  # the mark is there
        assert int(text_of(loc)) == pdf_pages[ident]  # and the number is its print page
        checked += 1
    assert checked >= 10
    see = doc.xpath("//x:a[@epub:type='index-xref-preferred']", namespaces=NS)[0]
    assert doc.xpath(f"//*[@id='{see.get('href')[1:]}']//x:span[@epub:type='index-term']/text()",
                     namespaces=NS) == ["harbour boards"]


def test_html_index_links_each_chapter_to_its_first_mark(author_date):
    page = author_date.html / "book-index.html"
    doc = lhtml.parse(str(page)).getroot()
    entry = doc.xpath("//li[span[@class='index-term'][.='Tides']]")[0]
    links = entry.xpath(".//a[contains(@class, 'index-locator')]")
    assert [text_of(a) for a in links] == ["Harbour boards", "Locks"]
    for a in links:
        file, _, ident = a.get("href").partition("#")
        assert lhtml.parse(str(author_date.html / file)).getroot().xpath(f"//*[@id='{ident}']")
    assert validate.html_links(author_date.html) == []


def test_related_terms_share_one_see_also(tmp_path):
    """``see-also`` with several terms prints the words once: "Tides, 3; see also Locks; Harbours"."""
    from press.book import load_book
    from press.pipeline import process
    src = tmp_path / "book"
    shutil.copytree(APPARATUS, src)
    yaml = (src / "book.yaml").read_text(encoding="utf-8")
    (src / "book.yaml").write_text(yaml.replace("Tides: [Locks]", "Tides: [Locks, Harbours]"), encoding="utf-8")
    results, findings = process(load_book(src))
    assert findings == []
    page = next(r for r in results if r.chapter.generated == "index").html
    entry = squash(re.sub(r"<[^>]+>", "", re.search(r'<li class="index-entry"[^>]*>\s*<span class="index-term">Tides<.*?</li>',
                                                     page, re.S).group(0)))
    assert re.fullmatch(r"Tides, →(, →)*; see also Locks; Harbours", entry), entry


def test_proofs_paginate_a_book_with_an_index_as_its_pdf(author_date, tmp_path):
    """press proofs and the queries' proof lay the book out as the PDF writer does (the index set
    with real numbers), so they find the PDF up to date and paginate as it does."""
    from press import proofs, queries
    from press.book import load_book
    from press.pipeline import process
    dist = tmp_path / "dist"
    shutil.copytree(author_date.dist, dist)
    assert proofs.main(["-m", str(author_date.manuscript), "-d", str(dist)]) == 0
    book = load_book(author_date.manuscript)
    results = process(book)[0]
    for layout in (proofs.layout, queries.layout):   # the pagination report and the queries' proof
        lines, _ = proofs.read_lines(layout(book, results))
        index = [squash(ln.text) for ln in lines if ln.chapter == "book-index" and ln.tag == "li"]
        assert re.search(r"^Tides, \d+(, \d+)*; see also Locks$", "\n".join(index), re.M), (layout, index)


def test_the_index_laid_out_after_the_book_prints_as_the_whole_book_laid_out_twice(author_date):
    """The book before its index and the index alone (its folios continued, its numbers known)
    give the pages, the folios, the contents' page for the index and the index's links that the
    whole book laid out twice gives; a book whose index is not its last unit is laid out twice."""
    import io

    from press.book import load_book
    from press.pipeline import process
    from press.writers import pdfrender, pdfunits
    from press.writers.printhtml import book_html
    book = load_book(author_date.manuscript)
    html, _ = book_html(book, process(book)[0])
    base = str(book.root.resolve()) + "/"
    assert pdfunits.index_apart(html) is not None
    apart = pdfrender.layout_book(html, base, "print")
    twice = pdfrender.layout_twice(html, base, "print")

    def read(doc) -> tuple[list[str], list[list[tuple[int, int]]]]:
        data = doc.write_pdf()
        texts = [squash(p.get_textpage().get_text_range()) for p in pdfium.PdfDocument(data)]
        links = pikepdf.open(io.BytesIO(data))
        pages = {p.objgen: n for n, p in enumerate(links.pages, 1)}
        dests = {str(k): pages[v[0].objgen] for k, v in _names(links.Root.Names.Dests)}
        targets = [[(n, dests[str(a.Dest)]) for a in p.get("/Annots", []) if "/Dest" in a]
                   for n, p in enumerate(links.pages, 1)]
        return texts, targets
    texts, targets = read(apart)
    assert (texts, targets) == read(twice)
    index_page = next(i for i, t in enumerate(texts) if t.startswith("Index"))
    assert any(t == index_page + 1 for links in targets[:index_page] for _, t in links)  # the contents' entry
    assert any(links for links in targets[index_page:])  # the locators link to the marks' pages
    head, units, tail = pdfunits.split(html)
    reordered = head + "".join(f"<!-- press-unit: {u} -->\n{b}" for u, b in [units[-1]] + units[:-1]) + tail
    assert pdfunits.index_apart(reordered) is None


def _names(tree) -> list[tuple]:
    """A PDF name tree's (name, value) pairs."""
    if "/Names" in tree:
        items = list(tree.Names)
        return list(zip(items[0::2], items[1::2]))
    return [pair for kid in tree.Kids for pair in _names(kid)]


def test_a_style_by_name_is_the_csl_projects(tmp_path):
    """``citation-style: chicago-note-bibliography`` is read from Debian's CSL styles (set-up
    installs them): Chicago's short notes, and its bibliography with place and publisher."""
    from press.book import load_book
    from press.pipeline import process
    src = tmp_path / "book"
    shutil.copytree(APPARATUS, src)
    yaml = (src / "book.yaml").read_text(encoding="utf-8")
    (src / "book.yaml").write_text(yaml.replace("bibliography: library.bib\n", "bibliography: library.bib\n"
                                                "citation-style: chicago-note-bibliography\n"), encoding="utf-8")
    results, findings = process(load_book(src))
    assert findings == []
    boards = next(r for r in results if r.chapter.id == "boards").html
    note = squash(re.sub(r"<[^>]+>", "", re.search(r'<li id="boards-note-1".*?</li>', boards, re.S).group(0)))
    assert note.startswith("Doe, Tides of the North Sea, 12."), note  # Chicago's short note
    entries = squash(re.sub(r"<[^>]+>", "", re.search(r'<div id="boards-refs".*', boards, re.S).group(0)))
    assert "Doe, Jane. Tides of the North Sea. London: Harbour Press, 2020." in entries, entries
