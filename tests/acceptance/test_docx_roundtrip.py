"""Acceptance: every essay of this book goes to Word for review (``make docx``) and comes back
through ``press import`` word for word — notes, sidebars, pull quotes, emphasis, language marks,
figures, tables, page references, author queries and the front matter included — and LibreOffice
opens every review document. (The press's own tests do the same on the fixture book.)"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from roundtrip import roundtrip

from press.book import load_book

ROOT = Path(__file__).resolve().parents[2]
MANUSCRIPT = ROOT / "manuscript"


# An author query around a table does not reach the review document yet (press.word.comments
# anchors block queries on paragraphs, headings and captions, not in table cells), so the essay
# with one comes back without it: known, and kept visible by the strict xfail below.
QUERIED_TABLES = ["sturen-op-waarden"]


@pytest.mark.xfail(strict=True, reason="a query around a table is lost on the way through Word")
def test_an_essay_with_a_queried_table_comes_back_from_word_word_for_word(tmp_path):
    dist = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "press.cli", "docx", "-m", str(MANUSCRIPT), "-d", str(dist),
                           "--only", ",".join(QUERIED_TABLES)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, SOURCE_DATE_EPOCH="1714521600"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert roundtrip(MANUSCRIPT, dist, tmp_path / "work", only=QUERIED_TABLES) == QUERIED_TABLES


def test_every_essay_of_the_book_comes_back_from_word_word_for_word(tmp_path):
    dist = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "press.cli", "docx", "-m", str(MANUSCRIPT), "-d", str(dist)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, SOURCE_DATE_EPOCH="1714521600"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    book = load_book(MANUSCRIPT)
    essays = [ch.id for ch in book.chapters if ch.authors]
    assert len(essays) == 11
    assert sorted(p.stem for p in (dist / "docx").glob("*.docx")) == sorted([*essays, book.slug])
    compared = [e for e in essays if e not in QUERIED_TABLES]
    assert roundtrip(MANUSCRIPT, dist, tmp_path / "work", only=compared) == compared
    out = tmp_path / "pdf"
    docs = sorted((dist / "docx").glob("*.docx"))
    lo = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                         "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)],
                        capture_output=True, text=True, timeout=900)
    assert lo.returncode == 0, lo.stdout + lo.stderr
    converted = {doc.stem for doc in docs if (out / f"{doc.stem}.pdf").is_file()}
    for doc in docs:
        if doc.stem in converted:
            assert len(PdfReader(out / f"{doc.stem}.pdf").pages) >= 1
    # LibreOffice cannot open a document with a comment inside a footnote (an author query in a
    # note): those, and only those, are the known failure below
    assert {doc.stem for doc in docs} - converted == {doc.stem for doc in docs if _comment_in_a_note(doc)}
    assert len(converted) >= 8, f"LibreOffice converted only {sorted(converted)}: {lo.stdout}{lo.stderr}"


def _comment_in_a_note(docx: Path) -> bool:
    with zipfile.ZipFile(docx) as z:
        return any(b"commentRangeStart" in z.read(n) for n in ("word/footnotes.xml", "word/endnotes.xml")
                   if n in z.namelist())


@pytest.mark.xfail(strict=True, reason="LibreOffice cannot open a review document with a comment inside a footnote")
def test_libreoffice_opens_the_review_documents_with_a_query_in_a_note(tmp_path):
    dist = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "press.cli", "docx", "-m", str(MANUSCRIPT), "-d", str(dist)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, SOURCE_DATE_EPOCH="1714521600"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = [d for d in sorted((dist / "docx").glob("*.docx")) if _comment_in_a_note(d)]
    assert docs
    out = tmp_path / "pdf"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)], capture_output=True, text=True, timeout=900)
    assert all((out / f"{d.stem}.pdf").is_file() for d in docs)
