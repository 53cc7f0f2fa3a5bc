"""Index marks and other attributed spans through Word (press docx, press import): index marks
become Word's own index entries (a bookmark and an XE field), references kept as written and other
spans a bookmark described in a document property; the import gives the manuscript's spans back."""
from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURE, press
from lxml import etree
from roundtrip import canonical, roundtrip, with_chapter, without

from press.word import indexentries

EPOCH = {"SOURCE_DATE_EPOCH": "1714521600"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SPANS = """---
title: "Marks and references"
author: [Ada Writer]
---

## The locks

The [lock keeper]{.index} opens the [ZBOs]{.index term="zelfstandige bestuursorganen"} gates.
In [Middelburg]{.index term="Harbours!Middelburg"} the quay is old, as in [Vlissingen]{.index term="Harbours!Vlissingen"}.
[]{.index term="Omgevingswet"}A new law came, see [Tops and Tromp (2016), The back of the Netherlands]{.cite key=tide2016}.
The [common ground]{.index lang=en} of *the [keepers]{.index term="Lock keepers: their guild"} and the town*.

Notes too.[^1] And [any other span]{#own-span .aside data-source="SOURCE"} keeps its id, classes and attributes.

[^1]: As [Board (2015)]{.cite key=board2015} and the [harbour act]{.index} say, and [Locks]{.index term="Locks"}.
"""


LONG = "a description longer than one Word document property keeps, " * 5  # over 255 characters
SPANS = SPANS.replace("SOURCE", LONG.strip())


def _export(tmp_path: Path) -> tuple[Path, Path]:
    book = with_chapter(FIXTURE, tmp_path / "book", "04-spans.md", SPANS)
    dist = tmp_path / "dist"
    proc = press("docx", "-m", str(book), "-d", str(dist), "--only", "spans", env=EPOCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return book, dist / "docx" / "spans.docx"


def _fields(xml: bytes) -> list[tuple[str, str | None, bool]]:
    """(instruction, the bookmarked words or None, hidden) of every complex field, as Word reads them."""
    root = etree.fromstring(xml)
    out = []
    for p in root.iter(f"{W}p"):
        runs = list(p.iter(f"{W}r"))
        for i, r in enumerate(runs):
            begin = r.find(f"{W}fldChar")
            if begin is None or begin.get(f"{W}fldCharType") != "begin":
                continue
            instr, hidden, k = "", True, i
            while True:
                rk = runs[k]
                hidden &= rk.find(f"{W}rPr/{W}vanish") is not None
                instr += "".join(t.text or "" for t in rk.findall(f"{W}instrText"))
                end = rk.find(f"{W}fldChar")
                if end is not None and end.get(f"{W}fldCharType") == "end":
                    break
                k += 1
            words = None
            if "\\r" in instr:
                name = instr.split("\\r")[1].split()[0]
                words = _bookmarked(p, name)
            out.append((instr.strip(), words, hidden))
    return out


def _bookmarked(p, name: str) -> str | None:
    start = next((b for b in p.iter(f"{W}bookmarkStart") if b.get(f"{W}name") == name), None)
    if start is None:
        return None
    text, inside = "", False
    for el in p.iter():
        if el is start:
            inside = True
        elif el.tag == f"{W}bookmarkEnd" and el.get(f"{W}id") == start.get(f"{W}id"):
            return text
        elif inside and el.tag == f"{W}t":
            text += el.text or ""
    return None


def test_index_marks_are_words_index_entries(tmp_path):
    _, docx = _export(tmp_path)
    with zipfile.ZipFile(docx) as z:
        body, notes = z.read("word/document.xml"), z.read("word/footnotes.xml")
    fields = _fields(body)
    assert all(hidden for _, _, hidden in fields)
    entries = {(instr.split('"')[1] if '"' in instr else instr, words) for instr, words, _ in fields}
    assert ("lock keeper", "lock keeper") in entries
    assert ("zelfstandige bestuursorganen", "ZBOs") in entries
    assert ("Harbours:Middelburg", "Middelburg") in entries          # Word's sub-entry colon
    assert ("Omgevingswet", None) in entries                           # a point mark: no bookmark
    assert ('Lock keepers\\: their guild', "keepers") in entries       # a colon of the term's own
    assert all(instr.startswith('XE "') for instr, _, _ in fields)
    assert [(i.split('"')[1], words) for i, words, _ in _fields(notes)] == [("harbour act", "harbour act"), ("Locks", "Locks")]


def test_index_marks_and_kept_references_come_back_from_word(tmp_path):
    book, docx = _export(tmp_path)
    assert roundtrip(book, docx.parent.parent, tmp_path / "work", only=["spans"]) \
        == ["spans"]
    text = canonical(tmp_path / "work" / "spans" / "04-spans.md")
    assert '[Tops and Tromp (2016), The back of the Netherlands]{.cite key="tide2016"}' in text
    assert '[Middelburg]{.index term="Harbours!Middelburg"}' in text
    assert '[]{.index term="Omgevingswet"}' in text
    assert f'[any other span]{{#own-span .aside data-source="{LONG.strip()}"}}' in text


@pytest.mark.parametrize("instr,expected", [
    (' XE "Gemeenten:Amsterdam" \\r press_ix_3 ', ("Gemeenten!Amsterdam", "press_ix_3")),
    ('XE "Omgevingswet"', ("Omgevingswet", None)),
    (' XE "Noot\\: iets \\"x\\"" \\b ', ('Noot: iets "x"', None)),
    (' TOC \\o "1-3" ', None),
])
def test_xe_instructions_are_read_as_word_writes_them(instr, expected):
    assert indexentries.parse_instruction(instr) == expected


def test_index_entries_and_kept_references_survive_libreoffice(tmp_path):
    """LibreOffice reads XE fields as index marks and writes them back (without Word's \\r, but
    inside the press's bookmark), and keeps bookmarks and document properties: a review copy saved
    by LibreOffice still comes back with its index marks and references."""
    book, docx = _export(tmp_path)
    out = tmp_path / "lo"
    lo = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                         "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(docx)],
                        capture_output=True, text=True, timeout=300)
    assert lo.returncode == 0 and (out / docx.name).is_file(), lo.stdout + lo.stderr
    with zipfile.ZipFile(out / docx.name) as z:
        xml = z.read("word/document.xml")
    terms = {instr.split('"')[1] for instr, _, _ in _fields(xml) if instr.startswith("XE")}
    assert {"lock keeper: ", "zelfstandige bestuursorganen: ", "Harbours:Middelburg: ", "Omgevingswet: "} <= terms
    copy = without(book, tmp_path / "work", "04-spans.md")
    proc = press("import", str(out / docx.name), "-m", str(copy), "--name", "04-spans.md")
    assert (copy / "04-spans.md").is_file(), proc.stdout + proc.stderr
    text = canonical(copy / "04-spans.md")
    for span in ('The [lock keeper]{.index} opens the [ZBOs]{.index term="zelfstandige bestuursorganen"} gates.',
                 '[Middelburg]{.index term="Harbours!Middelburg"}', '[]{.index term="Omgevingswet"}A new law',
                 '[Tops and Tromp (2016), The back of the Netherlands]{.cite key="tide2016"}',
                 '[Board (2015)]{.cite key="board2015"} and the [harbour act]{.index} say',
                 '[Locks]{.index term="Locks"}'):
        assert span in text, text
