"""Word in and Word out (press import, press docx), on the fixture book and on Word documents that
python-docx writes the way a word processor does (tests/worddoc.py)."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from conftest import FIXTURE, ROOT, press
from lxml import etree
from roundtrip import canonical, roundtrip, with_chapter
from worddoc import AuthorDocument, png

from press import render
from press.word import bookyaml, reference

EPOCH = {"SOURCE_DATE_EPOCH": "1714521600"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def author_document(path: Path) -> Path:
    """An author's chapter as Word keeps it: Title/Subtitle paragraphs and an author property, Word's
    heading styles, a footnote, a comment, a phrase marked Dutch, a shaded "Kader" box, a text box,
    a picture with alt text and a caption, a table, a quotation and a bulleted list."""
    d = AuthorDocument("en-GB")
    d.properties(title="Lighthouses", author="Cas Keeper")
    d.styled("Lighthouses", "Title")
    d.styled("Lights along the coast", "Subtitle")
    d.heading("The keepers", 1)
    p, runs = d.paragraph("Every night the keeper ", ("climbs", {"italic": True}), " the stairs. The Dutch call it ",
                          ("gezelligheid", {"lang": "nl-NL"}), " when the lamp is lit.")
    d.footnote(p, "A lighthouse has about a hundred steps.")
    d.comment(runs[1], "Is climbs the right verb here?", author="Ben Editor")
    d.kader_style()
    d.doc.add_paragraph(style="Kader").add_run("A night on the rock").bold = True
    d.styled("The storm lasted three days and the keeper stayed awake.", "Kader")
    d.heading("Lamps and lenses", 2)
    d.text_box(["The lens turns once a minute.", "Its light reaches the horizon."])
    d.picture(png(), alt="An orange rectangle standing for the lamp.", caption="The lamp room")
    d.table([["Light", "Range"], ["Lamp", "20 miles"]], caption="Ranges of the lights")
    d.styled("We kept the light burning every night.", "Quote")
    d.styled("oil", "List Bullet")
    d.styled("electricity", "List Bullet")
    d.paragraph("The last keeper left in 1990.")
    return d.save(path)


def import_(manuscript: Path, docx: Path, *args: str) -> subprocess.CompletedProcess:
    return press("import", str(docx), "-m", str(manuscript), *args)


def test_an_authors_word_document_becomes_a_chapter_that_builds_in_every_edition(fixture_copy, tmp_path):
    docx = author_document(tmp_path / "lighthouses.docx")
    proc = import_(fixture_copy, docx, "--after", "01-tides.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "it passes the manuscript's checks" in proc.stdout and "Traceback" not in proc.stderr
    chapter = fixture_copy / "04-lighthouses.md"
    text = chapter.read_text(encoding="utf-8")
    head = yaml.safe_load(text.split("---")[1])
    assert head == {"title": "Lighthouses", "subtitle": "Lights along the coast", "author": ["Cas Keeper"]}
    body = text.split("---", 2)[2]
    assert "## The keepers\n" in body and "### Lamps and lenses\n" in body and "# " not in body.replace("## ", "")
    assert "[*climbs*]{.query text=\"Is climbs the right verb here?\"}" in body
    assert "[gezelligheid]{lang=\"nl-NL\"}" in body
    assert "the stairs. The Dutch" in body and "lit.[^1]" in body and "[^1]: A lighthouse has about a hundred steps." in body
    assert "::: sidebar\n### A night on the rock\n\nThe storm lasted three days and the keeper stayed awake.\n:::" in body
    assert "::: sidebar\nThe lens turns once a minute.\n\nIts light reaches the horizon.\n:::" in body
    assert "![The lamp room](images/lighthouses-1.png){alt=\"An orange rectangle standing for the lamp.\"}" in body
    assert (fixture_copy / "images" / "lighthouses-1.png").read_bytes() == png()
    assert "| Light | Range    |" in body and ": Ranges of the lights" in body
    assert "> We kept the light burning every night." in body
    assert "- oil\n- electricity" in body
    listing = yaml.safe_load((fixture_copy / "book.yaml").read_text(encoding="utf-8"))
    assert listing["contents"][1]["files"] == ["01-tides.md", "04-lighthouses.md", "02-harbours.md"]
    dist = tmp_path / "dist"
    built = press("build", "-m", str(fixture_copy), "-d", str(dist), env=EPOCH)
    assert built.returncode == 0, built.stdout + built.stderr
    check = press("check", "-m", str(fixture_copy), "-d", str(dist), "--json")
    report = json.loads(check.stdout)
    assert report["summary"]["errors"] == 0, report["findings"]
    with zipfile.ZipFile(dist / "tides-and-harbours.epub") as z:
        xhtml = z.read("EPUB/lighthouses.xhtml").decode("utf-8")
    assert xhtml.count('<aside class="sidebar"') == 1 and xhtml.count('class="sidebar untitled"') == 1
    assert 'alt="An orange rectangle standing for the lamp."' in xhtml and 'lang="nl-NL"' in xhtml
    assert 'role="doc-endnotes"' in xhtml and "<table" in xhtml and "<blockquote" in xhtml
    html = (dist / "html" / "lighthouses.html").read_text(encoding="utf-8")
    assert "A night on the rock" in html and "images/lighthouses-1.png" in html
    from pypdf import PdfReader
    pdf_text = " ".join(page.extract_text() for page in PdfReader(dist / "tides-and-harbours.pdf").pages)
    assert "Lighthouses" in pdf_text and "The last keeper left in 1990." in pdf_text


def test_import_lists_what_the_editor_must_fix(fixture_copy, tmp_path):
    d = AuthorDocument("en-GB")
    d.heading("Harbour lights", 1)
    d.paragraph(("A bold line", {"bold": True}))
    d.paragraph("The light is green on starboard.")
    d.picture(png(colour="#00aa00"))  # no alt text, no caption
    docx = d.save(tmp_path / "lights.docx")
    proc = import_(fixture_copy, docx)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # IMG-004: an error remains
    text = (fixture_copy / "04-harbour-lights.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    bold = next(i for i, line in enumerate(lines, 1) if line == "**A bold line**")
    image = next(i for i, line in enumerate(lines, 1) if line.startswith("![](images/harbour-lights-1.png)"))
    out = proc.stdout
    assert f"tests/fixtures/book/04-harbour-lights.md:{bold}: WORD-002" not in out  # the copy is elsewhere
    rel = re.search(r"→ (\S+04-harbour-lights\.md)", out).group(1)
    assert f"{rel}:{bold}: WORD-002 " in out and "“A bold line”" in out
    assert f"{rel}:{image}: WORD-004 " in out and f"{rel}:{image}: IMG-004 " in out
    assert lines[image + 1].startswith("[]{.query text=")  # an author query beside the picture
    assert "import: 1 error(s)" in out and "Traceback" not in proc.stderr


def test_tracked_changes_are_refused_unless_accepted_or_rejected(fixture_copy, tmp_path):
    d = AuthorDocument("en-GB")
    d.styled("Changes", "Title")
    p, _ = d.paragraph("The keeper")
    d.tracked_insertion(p, " lit the lamp", author="Ada Writer")
    d.tracked_deletion(p, " slept", author="Ada Writer")
    docx = d.save(tmp_path / "changes.docx")
    before = {p.name: p.read_bytes() for p in fixture_copy.rglob("*") if p.is_file()}
    refused = import_(fixture_copy, docx)
    assert refused.returncode == 1
    assert re.search(r"changes\.docx: WORD-001 the document has 2 tracked change\(s\) \(by Ada Writer\)", refused.stderr)
    assert "nothing was written" in refused.stderr and "Traceback" not in refused.stderr
    assert {p.name: p.read_bytes() for p in fixture_copy.rglob("*") if p.is_file()} == before
    accepted = import_(fixture_copy, docx, "--accept-changes")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "The keeper lit the lamp\n" in (fixture_copy / "04-changes.md").read_text(encoding="utf-8")
    rejected = import_(fixture_copy, docx, "--reject-changes", "--name", "05-changes-rejected.md")
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert "The keeper slept\n" in (fixture_copy / "05-changes-rejected.md").read_text(encoding="utf-8")


def test_book_yaml_keeps_its_comments_and_layout():
    text = ("# the book\ntitle: \"X\"  # quoted\ncontents:\n  - file: 00-a.md   # first\n  - part: \"P\"\n"
            "    files: [01-b.md, 02-c.md]\n  - part: Q\n    files:\n      - 03-d.md\n  - file: 04-e.md\n")
    after_b = bookyaml.insert(text, "09-new.md", after="01-b.md")
    assert after_b == text.replace("[01-b.md, 02-c.md]", "[01-b.md, 09-new.md, 02-c.md]")
    assert bookyaml.insert(text, "09-new.md", before="01-b.md") == text.replace("[01-b.md,", "[09-new.md, 01-b.md,")
    assert bookyaml.insert(text, "09-new.md", after="00-a.md") == text.replace(
        "# first\n", "# first\n  - file: 09-new.md\n")
    assert bookyaml.insert(text, "09-new.md", after="03-d.md") == text.replace(
        "      - 03-d.md\n", "      - 03-d.md\n      - 09-new.md\n")
    assert bookyaml.insert(text, "09-new.md") == text + "  - file: 09-new.md\n"
    with pytest.raises(bookyaml.ListingError):
        bookyaml.insert(text, "09-new.md", after="99-none.md")


def test_the_review_documents_of_the_fixture_book(tmp_path):
    dist = tmp_path / "dist"
    proc = press("docx", "-m", str(FIXTURE), "-d", str(dist), env=EPOCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = sorted(p.name for p in (dist / "docx").iterdir())
    assert names == ["harbours.docx", "tides-and-harbours.docx", "tides.docx"]  # essays, then the book
    with zipfile.ZipFile(dist / "docx" / "tides.docx") as z:
        document = etree.fromstring(z.read("word/document.xml"))
        notes = etree.fromstring(z.read("word/footnotes.xml"))
        styles = etree.fromstring(z.read("word/styles.xml"))
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len([n for n in notes if n.get(f"{W}type") is None]) == 3  # three real footnotes
    style_of = {p: p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for p in document.iter(f"{W}p")
                if p.find(f"{W}pPr/{W}pStyle") is not None}
    text = {"".join(t.text or "" for t in p.iter(f"{W}t")): s for p, s in style_of.items()}
    assert text["Tides"] == "Title" and text["The moon and the sea"] == "Heading1"
    assert text["A story from the quay"] == "SidebarTitle" and text["Twice a day the sea rises and falls."] == "PullQuote"
    assert any(v == "Sidebar" for v in text.values())
    sidebar = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "Sidebar")
    assert sidebar.find(f"{W}pPr/{W}shd").get(f"{W}fill") == "F3EFE8"  # --colour-box
    assert any(r.find(f"{W}rPr/{W}lang") is not None and r.find(f"{W}rPr/{W}lang").get(f"{W}val") == "en-US"
               for r in document.iter(f"{W}r"))
    assert any(n.endswith(".svg") for n in media) and any(n.endswith(".png") for n in media)  # SVG + fallback
    first = {p.name: p.read_bytes() for p in (dist / "docx").iterdir()}
    again = press("docx", "-m", str(FIXTURE), "-d", str(dist), env=EPOCH)
    assert again.returncode == 0 and not list((dist / "docx").glob(".*"))  # nothing half-written left
    assert {p.name: p.read_bytes() for p in (dist / "docx").iterdir()} == first  # reproducible


def test_the_reference_document_follows_the_design_tokens(tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "scripts" / "press" / "styles", styles)
    tokens = styles / "tokens.css"
    tokens.write_text(tokens.read_text().replace("#8a3b12", "#123456").replace('"Inter"', '"Fira Sans"'))
    doc = docx.Document(io.BytesIO(reference.build(styles)))
    heading = doc.styles["Heading 1"]
    assert str(heading.font.color.rgb) == "123456"
    assert heading.element.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Fira Sans"
    assert doc.styles["Normal"].element.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "EB Garamond"
    for name in ("Sidebar", "Sidebar Title", "Pull Quote", "Page Reference", "Pending", "Part Title"):
        assert doc.styles[name] is not None


def test_the_fixture_book_comes_back_from_word_word_for_word(tmp_path):
    dist = tmp_path / "dist"
    assert press("docx", "-m", str(FIXTURE), "-d", str(dist), env=EPOCH).returncode == 0
    roundtrip(FIXTURE, dist, tmp_path / "work")


QUERIES = """---
title: "Queries and marks"
author: [Ada Writer]
id: queries                  # front matter beyond title and authors travels in a document property
---

[]{.query text="Is this the right opening?"}

## The harbour {#harbour-queries-with-an-explicit-id-longer-than-forty}

The lock keeper opens the [ravijn jaar]{.query text="One word?"} gates twice a day.[^1] The text []{.pending} is lost.

::: {.query text="Is this box in its place?"}
::: sidebar
### A story

The keeper remembers the storm, see [p. 4](#harbour-queries-with-an-explicit-id-longer-than-forty){.pageref}.

- one
- two
:::
:::

::: query
Was this paragraph joined across a page break?
:::

> “A quotation,” she said, in [plain English]{lang=en-US}.

[^1]: See the tables (2024[]{.query text="Where does the parenthesis close?"}. And []{.pending}
"""


def test_queries_pending_text_and_page_references_survive_the_round_trip(tmp_path):
    book = with_chapter(FIXTURE, tmp_path / "book", "04-queries.md", QUERIES)
    dist = tmp_path / "dist"
    proc = press("docx", "-m", str(book), "-d", str(dist), "--only", "queries", env=EPOCH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(dist / "docx" / "queries.docx") as z:
        comments = etree.fromstring(z.read("word/comments.xml"))
    questions = ["".join(c.itertext()) for c in comments]
    assert len(questions) == 5 and "One word?" in questions
    assert all(c.get(f"{W}author") == "Fixture Press" for c in comments)
    assert roundtrip(book, dist, tmp_path / "work", only=["queries"]) == ["queries"]


def test_libreoffice_converts_every_review_document(tmp_path):
    dist = tmp_path / "dist"
    assert press("docx", "-m", str(FIXTURE), "-d", str(dist), env=EPOCH).returncode == 0
    docs = sorted((dist / "docx").glob("*.docx"))
    out = tmp_path / "pdf"
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from pypdf import PdfReader
    for doc in docs:
        pdf = out / f"{doc.stem}.pdf"
        assert pdf.is_file(), proc.stdout + proc.stderr
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert "Twice a day" in text or "lock" in text
        assert render.page_count(pdf) >= 1


def test_a_revised_chapter_replaces_the_old_one_in_its_place(fixture_copy, tmp_path):
    dist = tmp_path / "dist"
    assert press("docx", "-m", str(fixture_copy), "-d", str(dist), "--only", "tides", env=EPOCH).returncode == 0
    listing = (fixture_copy / "book.yaml").read_bytes()
    original = canonical(fixture_copy / "01-tides.md")
    (fixture_copy / "01-tides.md").write_text("---\ntitle: \"Old\"\nauthor: [X]\n---\n\nOld text.\n", encoding="utf-8")
    proc = import_(fixture_copy, dist / "docx" / "tides.docx", "--replace", "01-tides.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replaces 01-tides.md" in proc.stdout
    assert canonical(fixture_copy / "01-tides.md") == original
    assert (fixture_copy / "book.yaml").read_bytes() == listing
    assert sorted(p.name for p in (fixture_copy / "images").iterdir()) == ["tide.svg"]  # no copy of the picture
    wrong = import_(fixture_copy, dist / "docx" / "tides.docx", "--replace", "07-nowhere.md")
    assert wrong.returncode == 1 and "WORD-008 --replace names '07-nowhere.md'" in wrong.stderr
