"""Author queries Word has no place for: around a table, and inside a note (LibreOffice cannot open
a comment in a footnote). Both reach the review document as Word comments and come back to where
they stood, also after LibreOffice has opened and saved the document, on a chapter made in the
test in a copy of the fixture book."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from conftest import FIXTURE, ROOT, press
from lxml import etree
from roundtrip import canonical, roundtrip, with_chapter, without

EPOCH = {"SOURCE_DATE_EPOCH": "1714521600"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

CHAPTER = """---
title: "Queries in tables and notes"
author: [Ada Writer]
---

[]{.query text="Is this the right opening?"}

The harbour keeps a table.[^1] And a second note.[^2]

::: {.query text="Are the columns in the right order?"}
| Gate | Opens |
|:---|:---|
| North | *six* |
| South | seven |

Table: When the gates open. {#tbl-gates}
:::

A query after the notes: [the gates]{.query text="Which gates?"} open, with a third note.[^3]

[^1]: See the tables (2024[]{.query text="Where does the parenthesis close?"}. And more (2023).
[^2]: The keeper said [twice a day]{.query text="Or three times?"} and [never *at* night]{.query text="Really never?"}.
[^3]: A plain note without a query, after a comment in the text.
"""


def _book(tmp_path: Path) -> Path:
    return with_chapter(FIXTURE, tmp_path / "book", "04-queries.md", CHAPTER)


def _export(tmp_path: Path) -> tuple[Path, Path]:
    book = _book(tmp_path)
    dist = tmp_path / "dist"
    proc = press("docx", "-m", str(book), "-d", str(dist), "--only", "queries", env=EPOCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return book, dist


def _parts(docx: Path) -> dict:
    with zipfile.ZipFile(docx) as z:
        return {n: etree.fromstring(z.read(n)) for n in ("word/document.xml", "word/footnotes.xml", "word/comments.xml")}


def _import(book: Path, docx: Path, work: Path) -> str:
    copy = without(book, work, "04-queries.md")
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "press.cli", "import", str(docx), "-m", str(copy),
                           "--name", "04-queries.md"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (copy / "04-queries.md").read_text(encoding="utf-8")


def test_a_query_around_a_table_is_a_comment_from_its_caption_to_its_last_cell(tmp_path):
    book, dist = _export(tmp_path)
    parts = _parts(dist / "docx" / "queries.docx")
    comment = next(c for c in parts["word/comments.xml"] if "".join(c.itertext()) == "Are the columns in the right order?")
    cid = comment.get(f"{W}id")
    caption = next(p for p in parts["word/document.xml"].iter(f"{W}p") if "".join(p.itertext()) == "When the gates open.")
    assert caption.find(f"{W}commentRangeStart").get(f"{W}id") == cid
    last_cell = list(parts["word/document.xml"].iter(f"{W}tc"))[-1]
    assert [e.get(f"{W}id") for e in last_cell.iter(f"{W}commentRangeEnd")] == [cid]
    text = _import(book, dist / "docx" / "queries.docx", tmp_path / "work")
    assert re.search(r'::: \{\.query text="Are the columns in the right order\?"\}\n\| Gate', text)
    assert roundtrip(book, dist, tmp_path / "rt", only=["queries"]) == ["queries"]


def test_a_query_in_a_note_is_a_comment_on_the_notes_reference_mark(tmp_path):
    book, dist = _export(tmp_path)
    parts = _parts(dist / "docx" / "queries.docx")
    notes, body = parts["word/footnotes.xml"], parts["word/document.xml"]
    assert not [e for e in notes.iter() if "comment" in str(e.tag)]  # LibreOffice cannot open those
    questions = {"".join(c.itertext()): c.get(f"{W}id") for c in parts["word/comments.xml"]}
    assert set(questions) == {"Is this the right opening?", "(in note 1) Where does the parenthesis close?",
                              "(in note 2) Or three times?",
                              "(in note 2) Really never?", "Are the columns in the right order?", "Which gates?"}
    for question in ("(in note 1) Where does the parenthesis close?", "(in note 2) Really never?"):
        start = next(e for e in body.iter(f"{W}commentRangeStart") if e.get(f"{W}id") == questions[question])
        after = start.getnext()
        while after.tag == f"{W}commentRangeStart":
            after = after.getnext()
        assert after.find(f"{W}footnoteReference") is not None  # the range spans the reference mark
    note_ids = [int(n.get(f"{W}id")) for n in notes]
    assert min(int(i) for i in questions.values()) > max(note_ids)  # LibreOffice shifts notes otherwise
    assert len([b for b in notes.iter(f"{W}bookmarkStart") if b.get(f"{W}name").startswith("press-nq-")]) == 3
    text = _import(book, dist / "docx" / "queries.docx", tmp_path / "work")
    assert '[^1]: See the tables (2024[]{.query text="Where does the parenthesis close?"}. And more (2023).' in text
    assert ('[^2]: The keeper said [twice a day]{.query text="Or three times?"} and '
            '[never *at* night]{.query text="Really never?"}.') in text
    assert "(in note" not in text
    assert roundtrip(book, dist, tmp_path / "rt", only=["queries"]) == ["queries"]


def test_a_query_whose_bookmark_is_gone_goes_around_its_notes_text(tmp_path):
    book, dist = _export(tmp_path)
    source = dist / "docx" / "queries.docx"
    stripped = tmp_path / "stripped.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/footnotes.xml":
                data = re.sub(rb"<w:bookmark(Start|End) [^>]*/>", b"", data)
            zout.writestr(info, data)
    text = _import(book, stripped, tmp_path / "work")
    assert '[^1]: [See the tables (2024. And more (2023).]{.query text="Where does the parenthesis close?"}' in text


def test_libreoffice_opens_and_saves_the_document_with_its_queries_and_notes_in_place(tmp_path):
    """A reviewer using LibreOffice opens the review document and saves it as .docx again: the
    queries come back where they stood, and every note keeps its own text."""
    book, dist = _export(tmp_path)
    saved = tmp_path / "saved"
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                           "--convert-to", "docx", "--outdir", str(saved), str(dist / "docx" / "queries.docx")],
                          capture_output=True, text=True, timeout=300)
    assert (saved / "queries.docx").is_file(), proc.stdout + proc.stderr
    _import(book, saved / "queries.docx", tmp_path / "work")
    original = canonical(book / "04-queries.md")
    imported = canonical(tmp_path / "work" / "04-queries.md")
    # LibreOffice drops the bookmark that names the table (its id); everything else is as it was
    assert imported == original.replace(" {#tbl-gates}", "")


def test_the_label_of_a_note_query_follows_the_books_language(tmp_path):
    book = _book(tmp_path)
    listing = book / "book.yaml"
    listing.write_text(listing.read_text(encoding="utf-8").replace("lang: en-GB", "lang: nl"), encoding="utf-8")
    dist = tmp_path / "dist"
    assert press("docx", "-m", str(book), "-d", str(dist), "--only", "queries", env=EPOCH).returncode == 0
    comments = _parts(dist / "docx" / "queries.docx")["word/comments.xml"]
    assert "(in noot 2) Or three times?" in ["".join(c.itertext()) for c in comments]
    text = _import(book, dist / "docx" / "queries.docx", tmp_path / "work")
    assert '[^2]: The keeper said [twice a day]{.query text="Or three times?"} and ' in text
    assert "(in noot" not in text
