"""Author queries and contributor roles, on a copy of the fixture book that asks its authors four
questions (words, a point in a note, a box, a ``::: query`` block):

- no query reaches a reader's edition (EPUB, HTML, both PDFs, offprints);
- ``press check`` warns for each open query at its line, ``--release`` refuses, and answering (deleting
  the mark) closes it;
- ``press queries`` (``make queries``) writes a proof with the print edition's pages and a numbered
  mark in the outer margin beside each query's line, and the list per chapter (Markdown and PDF)
  with the proof page, the file line, the text around and the question;
- a chapter's contributors and where it first appeared are in its byline in every edition, and a
  wrong value is a FILE-004 error with no traceback.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURE, NS, Built, press
from lxml import etree
from pypdf import PdfReader

QUESTIONS = {  # the question → the chapter file it is asked in
    "Which sea is meant: the North Sea?": "01-tides.md",
    "Is this story told by the harbour master himself?": "01-tides.md",
    "Which year did the interview take place?": "01-tides.md",
    "This section stands on the facing page in the source: keep it here?": "02-harbours.md",
}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ask(book: Path) -> None:
    """Put the four queries into a copy of the fixture book."""
    tides, harbours = book / "01-tides.md", book / "02-harbours.md"
    edit(tides, "Twice a day the sea rises and falls.[^1] Sailors",
         'Twice a day the [sea]{.query text="Which sea is meant: the North Sea?"} rises and falls.[^1] Sailors')
    edit(tides, "::: sidebar\n### A story from the quay",
         "::: query\nIs this story told by the harbour master himself?\n:::\n\n::: sidebar\n### A story from the quay")
    edit(tides, "[^3]: Interview on the quay, 2023.",
         '[^3]: Interview on the quay, [2023]{.query text="Which year did the interview take place?"}.')
    edit(harbours, "### Gates and basins",
         '::: {.query text="This section stands on the facing page in the source: keep it here?"}\n### Gates and basins')
    edit(harbours, "Back to the [moon](#tides-moon).", "Back to the [moon](#tides-moon).\n:::")


@pytest.fixture(scope="module")
def asked(tmp_path_factory) -> Built:
    """The fixture book with the queries, built, with ``press queries`` run on it."""
    import shutil
    root = tmp_path_factory.mktemp("asked")
    book, dist = root / "book", root / "dist"
    shutil.copytree(FIXTURE, book)
    ask(book)
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 0, proc.stderr
    assert "4 open author queries" in proc.stdout
    queried = press("queries", "-m", str(book), "-d", str(dist))
    assert queried.returncode == 0, queried.stdout + queried.stderr
    assert press("offprints", "-m", str(book), "-d", str(dist)).returncode == 0
    built = Built(book, dist, "tides-and-harbours")
    built.said = queried.stdout
    return built


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def reader_texts(built: Built) -> dict[str, str]:
    """Every reader's edition as text (markup included for the e-editions)."""
    texts = {"pdf": pdf_text(built.pdf), "pdf-print": pdf_text(built.pdf_print)}
    with zipfile.ZipFile(built.epub) as z:
        texts["epub"] = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith((".xhtml", ".opf")))
    texts["html"] = " ".join(p.read_text(encoding="utf-8") for p in sorted(built.html.rglob("*.html")))
    texts["search"] = (built.html / "assets" / "search-index.js").read_text(encoding="utf-8")
    for offprint in sorted((built.dist / "offprints").glob("*.pdf")):
        texts[offprint.name] = pdf_text(offprint)
    return texts


# --- reader's editions ----------------------------------------------------------------------------

def test_no_query_reaches_a_readers_edition(asked):
    texts = reader_texts(asked)
    assert len(texts) == 7  # both PDFs, EPUB, HTML pages, search index, two offprints
    for name, text in texts.items():
        flat = re.sub(r"\s+", " ", text)
        for question in QUESTIONS:
            assert question[:30] not in flat, (name, question)
        assert "query" not in flat, name
    # the queried words and passages stay
    assert "Twice a day the sea rises" in texts["html"] and "Gates and basins" in texts["html"]
    assert "Interview on the quay, 2023." in texts["html"]


def test_the_readers_pdf_is_as_without_queries(asked, fixture_book):
    """The queries leave no trace in the layout: every page reads as the unqueried book's."""
    with_queries, without = PdfReader(asked.pdf), PdfReader(fixture_book.pdf)
    assert [p.extract_text() for p in with_queries.pages] == [p.extract_text() for p in without.pages]


# --- check and release ------------------------------------------------------------------------------

def test_check_warns_for_each_open_query_and_release_refuses(asked):
    proc = press("check", "-m", str(asked.manuscript), "--no-validators", "--manuscript-only", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    found = [(Path(f["path"]).name, f["line"], f["severity"]) for f in report["findings"] if f["code"] == "QUERY-001"]
    tides = (asked.manuscript / "01-tides.md").read_text(encoding="utf-8").split("\n")
    harbours = (asked.manuscript / "02-harbours.md").read_text(encoding="utf-8").split("\n")

    def line(lines, needle):
        return next(i for i, text in enumerate(lines, 1) if needle in text)
    assert sorted(found) == sorted([
        ("01-tides.md", line(tides, "{.query text=\"Which sea"), "warning"),
        ("01-tides.md", line(tides, "::: query"), "warning"),
        ("01-tides.md", line(tides, "Which year"), "warning"),
        ("02-harbours.md", line(harbours, "{.query text="), "warning")])
    assert {f["code"] for f in report["findings"]} == {"QUERY-001"}
    release = press("check", "-m", str(asked.manuscript), "--no-validators", "--manuscript-only", "--release")
    assert release.returncode == 1
    assert release.stdout.count("QUERY-001") == 4 and "check: 4 error(s), 0 warning(s)" in release.stdout


def test_answering_means_deleting_the_mark(asked, tmp_path):
    import shutil
    book = tmp_path / "book"
    shutil.copytree(asked.manuscript, book)
    edit(book / "01-tides.md", '[sea]{.query text="Which sea is meant: the North Sea?"}', "sea")
    edit(book / "01-tides.md", "::: query\nIs this story told by the harbour master himself?\n:::\n\n", "")
    edit(book / "01-tides.md", '[2023]{.query text="Which year did the interview take place?"}', "2023")
    edit(book / "02-harbours.md",
         '::: {.query text="This section stands on the facing page in the source: keep it here?"}\n', "")
    edit(book / "02-harbours.md", "Back to the [moon](#tides-moon).\n:::", "Back to the [moon](#tides-moon).")
    proc = press("check", "-m", str(book), "--no-validators", "--manuscript-only", "--release")
    assert proc.returncode == 0 and "check: 0 error(s), 0 warning(s)" in proc.stdout, proc.stdout
    proc = press("queries", "-m", str(book), "-d", str(tmp_path / "dist"))
    assert proc.returncode == 0 and "0 open in 0 chapter(s)" in proc.stdout
    listed = (tmp_path / "dist" / "queries" / "queries.md").read_text(encoding="utf-8")
    assert "No queries are open." in listed
    assert not (tmp_path / "dist" / "queries" / "tides-and-harbours-proof.pdf").exists()


# --- the proof and the list ---------------------------------------------------------------------

def words(page) -> list[tuple[float, float, str]]:
    """(x, y from the top, text) of every text run on a page."""
    out = []
    height = float(page.mediabox.top)

    def visit(text, cm, tm, font, size):
        if text.strip():
            out.append((cm[0] * tm[4] + cm[2] * tm[5] + cm[4], height - (cm[1] * tm[4] + cm[3] * tm[5] + cm[5]),
                        text.strip()))
    page.extract_text(visitor_text=visit)
    return out


def test_the_proof_has_the_print_editions_pages_and_a_margin_mark_per_query(asked):
    assert "4 open in 2 chapter(s)" in asked.said and "paginates differently" not in asked.said
    listed = json.loads((asked.dist / "queries" / "queries.json").read_text(encoding="utf-8"))
    queries = [(c["id"], q) for c in listed for q in c["queries"]]
    assert [q["question"] for _, q in queries] == list(QUESTIONS)
    proof = PdfReader(asked.dist / "queries" / "tides-and-harbours-proof.pdf")
    book = PdfReader(asked.pdf)
    assert len(proof.pages) == len(book.pages)
    anchors = json.loads((asked.dist / "reports" / "pagemap.json").read_text())["anchors"]
    for cid, q in queries:
        page = q["page"]
        assert anchors[cid] <= page < anchors[cid] + 4, (cid, q["n"], page)   # in its chapter
        label = f"AQ {q['n']}"
        marks = [(x, y) for x, y, t in words(proof.pages[page - 1]) if t == label]
        assert marks, (label, page)
        body = [x for x, y, t in words(book.pages[page - 1])]
        width = float(book.pages[page - 1].mediabox.width)
        x = marks[0][0]
        if page % 2:   # a recto: the outer margin is on the right of the text
            assert x > max(body) and x < width
        else:
            assert x < min(body)
    # every glyph from the print edition's faces (the declared fonts, never another installed size)
    from press import STYLES, fonts
    from visual import glyphs
    assert glyphs.problems(asked.dist / "queries" / "tides-and-harbours-proof.pdf",
                           {f.file for f in fonts.faces(STYLES)}) == []
    # apart from the marks, every page reads as the print edition's
    for mine, theirs in zip(proof.pages, book.pages):
        assert re.sub(r"AQ \d+", "", mine.extract_text()).split() == theirs.extract_text().split()
    # the queries' pages: the sea and the story on the tides opening, the section in harbours,
    # the note on the tides endnotes page
    by_question = {q["question"]: q["page"] for _, q in queries}
    assert by_question["Which sea is meant: the North Sea?"] == anchors["tides"]
    assert by_question["Which year did the interview take place?"] == anchors["tides-endnotes-title"]
    assert by_question["This section stands on the facing page in the source: keep it here?"] == anchors["harbours"]


def test_the_list_per_chapter_with_page_line_context_and_question(asked):
    md = (asked.dist / "queries" / "queries.md").read_text(encoding="utf-8")
    listed = json.loads((asked.dist / "queries" / "queries.json").read_text(encoding="utf-8"))
    assert md.startswith("# Author queries\n") and "open queries: 4" in md
    chapters = re.findall(r"^## (.+)$", md, re.M)
    assert chapters == ["Tides", "Harbours"]
    tides = md.split("## Tides", 1)[1].split("## Harbours", 1)[0]
    assert "Ada Writer with contributions by Cas Helper" in tides
    first = listed[0]["queries"][0]
    assert f"### AQ 1 · p. {first['page']}" in tides
    assert f"01-tides.md, line {first['line']}" in tides
    assert "> Twice a day the **sea** rises and falls." in tides          # the words asked about, in context
    assert "Which sea is meant: the North Sea?" in tides
    assert "**[AQ 2]**" in tides                                            # a point: the mark in its context
    text = re.sub(r"\s+", " ", pdf_text(asked.dist / "queries" / "queries.pdf"))
    for question in QUESTIONS:
        assert question in text
    assert f"AQ 1 · p. {first['page']}" in text


# --- contributor roles ------------------------------------------------------------------------------

def test_bylines_with_contributors_in_every_edition(asked):
    texts = {k: re.sub(r"\s+", " ", v) for k, v in reader_texts(asked).items()}
    tides = "Ada Writer with contributions by Cas Helper"
    harbours = "Ben Editor and Ada Writer (Harbour Review, 2023)"
    for name in ("epub", "html", "tides.pdf"):
        assert tides in texts[name], name
    for name in ("epub", "html", "harbours.pdf"):
        assert harbours in texts[name], name
    # the PDFs set bylines in small capitals; pypdf reads them as typed
    assert tides in texts["pdf"] and harbours in texts["pdf"]


@pytest.mark.parametrize("value, key, detail", [
    ("contributors: [{name: Cas Helper, role: janitor}]", "contributors entry 1, role",
     "it must be one of contributor, editor, translator, illustrator, photographer, interviewer, not 'janitor'"),
    ("contributors: [{role: editor}]", "contributors entry 1", "it needs 'name:'"),
    ("contributors: [[Cas Helper]]", "contributors", "entry 1 must be a name, or '{name: …, role: …}', not a list"),
])
def test_a_wrong_contributor_is_an_error_at_its_line(fixture_copy, value, key, detail):
    edit(fixture_copy / "01-tides.md", "contributors:\n  - {name: Cas Helper, role: contributor}\n", value + "\n")
    proc = press("build", "-m", str(fixture_copy), "-d", str(fixture_copy.parent / "dist"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"01-tides.md:5: FILE-004 the front matter key '{key}' has an invalid value: {detail}" in proc.stderr


def test_contributor_roles_read_by_name_or_marc_code(fixture_copy):
    from press.book import load_book
    edit(fixture_copy / "01-tides.md", "  - {name: Cas Helper, role: contributor}\n",
         "  - {name: Cas Helper, role: trl}\n  - Dee Maker\n  - {name: Eli Drawer, role: Illustrator}\n")
    tides = next(c for c in load_book(fixture_copy).chapters if c.id == "tides")
    assert tides.contributors == [{"name": "Cas Helper", "role": "trl"}, {"name": "Dee Maker", "role": "ctb"},
                                  {"name": "Eli Drawer", "role": "ill"}]
    from press.context import labels_for
    from press.writers.common import byline
    assert byline(tides, labels_for("en")) == \
        "Ada Writer translated by Cas Helper with contributions by Dee Maker illustrated by Eli Drawer"
    assert byline(tides, labels_for("nl")) == \
        "Ada Writer vertaald door Cas Helper met bijdragen van Dee Maker met illustraties van Eli Drawer"


def test_epub_package_lists_a_person_once_with_every_role(asked):
    opf = etree.fromstring(zipfile.ZipFile(asked.epub).read("EPUB/content.opf"))
    names = [e.text for e in opf.xpath("//dc:contributor", namespaces=NS)]
    assert sorted(names) == ["Ada Writer", "Ben Editor", "Cas Helper"]
