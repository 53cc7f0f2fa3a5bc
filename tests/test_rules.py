"""Every check rule fires, at the right file and line, and only when it should.

- ``tests/rules/<CODE>/`` holds a small manuscript that breaks rule CODE exactly once and
  ``expected.txt`` with the findings ``press check`` must report (``file:line: CODE``, the file
  relative to the case folder, no line when the rule has none). Regenerate after a deliberate
  change with ``pytest tests/test_rules.py --regen`` and review the diff before committing.
- A case of ``press import`` (the WORD-… rules) also holds the Word document: ``import.docx``, or
  ``word.markdown`` that pandoc turns into one first (tracked changes, bold lines and pictures are
  all pandoc Markdown can say), and ``import.args`` with the command's options; what counts is what
  the import itself reports.
- The rules about the built editions (HEAD-004, LINK-006, LINK-007, EPUB-001, EPUB-002, HTML-002,
  HTML-003, PDF-001, PDF-002) are proved on damaged copies of the fixture book's real outputs,
  each next to the undamaged original, which must pass.
- Every code registered in ``press.rules`` must have a folder or an explicit test here, and a line
  in ``docs/checks.md``; the clean fixture book must produce no finding at all.
"""
from __future__ import annotations

import http.server
import json
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURE, ROOT, press

from press import validate, validators
from press.book import load_book
from press.check import collect
from press.pipeline import process
from press.rules import RULES, ManuscriptError

CASES_DIR = Path(__file__).parent / "rules"


def _cases() -> list[Path]:
    """``rules/<CODE>/`` and, for further cases of one rule, ``rules/<CODE>/<case>/``."""
    out = []
    for folder in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        if (folder / "expected.txt").exists():
            out.append(folder)
        out += sorted(p for p in folder.iterdir() if p.is_dir() and (p / "expected.txt").exists())
    return out


CASES = _cases()


def code_of(case: Path) -> str:
    return case.name if case.parent == CASES_DIR else case.parent.name
EXPLICIT: dict[str, list[str]] = {}  # code → the explicit tests that prove it


def covers(*codes: str):
    """Register a test as the proof that ``codes`` fire (see test_every_rule_has_a_test)."""
    def mark(fn):
        for code in codes:
            EXPLICIT.setdefault(code, []).append(fn.__name__)
        return fn
    return mark


def where(f) -> str:
    return f"{f.path}:{f.line}: {f.code}" if f.line else f"{f.path}: {f.code}"


@pytest.fixture(scope="session")
def pandoc_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pandoc-cache")


# ---------------------------------------------------------------------------------------------
# Manuscript rules: one folder each


def _case_files(folder: str, names: list[str]) -> list[str]:
    """What a case folder holds besides its manuscript: the expected findings and further cases."""
    return [n for n in names if n in ("expected.txt", "messages.txt") or (Path(folder, n) / "expected.txt").exists()]


@pytest.mark.parametrize("case", CASES, ids=[c.relative_to(CASES_DIR).as_posix() for c in CASES])
def test_rule_fires_once_at_file_and_line(case: Path, tmp_path, monkeypatch, regen, pandoc_cache):
    """``expected.txt``: where the rule fires; ``messages.txt`` (where present): the whole line an
    editor reads, so a message that speaks parser or Python fails the test."""
    work = tmp_path / "case"
    shutil.copytree(case, work, ignore=_case_files)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PRESS_CACHE", str(pandoc_cache))
    if (work / "word.markdown").exists() or (work / "import.docx").exists():
        findings = sorted(set(import_findings(work)))
    else:
        findings = sorted(set(collect(Path("."), None)))
    for f in findings:
        assert f.message and "{" not in f.message.replace("{.pending}", "")  # the text renders whole
    found = "".join(where(f) + "\n" for f in findings)
    expected = case / "expected.txt"
    if regen:
        expected.write_text(found, encoding="utf-8")
    assert found == expected.read_text(encoding="utf-8")
    messages = case / "messages.txt"
    if messages.exists():
        said = "".join(f"{f}\n" for f in findings)
        if regen:
            messages.write_text(said, encoding="utf-8")
        assert said == messages.read_text(encoding="utf-8")
        assert "Traceback" not in said and "<block" not in said
    assert [f.code for f in findings] == [code_of(case)], "the case must break its own rule, exactly once"


def import_findings(work: Path) -> list:
    """What ``press import`` reports for the case's Word document, imported into the case."""
    import subprocess

    from press import pandoc
    from press.word.importer import import_docx
    source = work / "word.markdown"
    if source.exists():
        subprocess.run([pandoc.pandoc_path(), str(source), "-f", "markdown", "-o", "import.docx",
                        f"--resource-path={work}"], check=True, capture_output=True)
        source.unlink()
    args = (work / "import.args").read_text(encoding="utf-8").split() if (work / "import.args").exists() else []
    options = {"--after": "after", "--before": "before", "--name": "name"}
    kw = {options[args[i]]: args[i + 1] for i in range(0, len(args), 2) if args[i] in options}
    try:
        _, placed, _ = import_docx(Path("import.docx"), Path("."), **kw)
    except ManuscriptError as e:
        return e.findings
    return placed


def test_every_case_folder_names_a_rule():
    assert not [c.name for c in CASES if code_of(c) not in RULES]


# ---------------------------------------------------------------------------------------------
# Rules about the built editions, on damaged copies of the fixture book's outputs


@pytest.fixture(scope="module")
def fixture_pipeline():
    book = load_book(FIXTURE)
    results, findings = process(book)
    assert findings == []
    return book, results


def rewrite_epub(src: Path, dest: Path, member: str, edit) -> str:
    """Copy an EPUB with one member's text changed; returns the new text of that member."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    new = ""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                new = edit(data.decode("utf-8"))
                assert new != data.decode("utf-8"), "the damage did not apply"
                data = new.encode("utf-8")
            zout.writestr(info, data)
    return new


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


@covers("HEAD-004")
def test_epub_nav_missing_a_section(fixture_book, fixture_pipeline, tmp_path):
    book, results = fixture_pipeline
    assert validate.epub_nav(book, results, fixture_book.epub) == []
    damaged = tmp_path / fixture_book.epub.name
    rewrite_epub(fixture_book.epub, damaged, "EPUB/nav.xhtml", lambda t: re.sub(
        r'<li><a href="tides.xhtml#reading-a-tide-table">Reading a tide table</a></li>\n', "", t))
    found = validate.epub_nav(book, results, damaged)
    assert [where(f) for f in found] == [f"{damaged.name}!/EPUB/nav.xhtml: HEAD-004"]
    assert "Reading a tide table" in found[0].message


@covers("HEAD-004")
def test_pdf_outline_missing_a_chapter(fixture_book, fixture_pipeline, tmp_path):
    book, results = fixture_pipeline
    assert validate.pdf_outline(book, results, fixture_book.pdf) == []
    damaged = tmp_path / fixture_book.pdf.name
    with pikepdf.open(fixture_book.pdf) as pdf:
        with pdf.open_outline() as outline:
            assert outline.root.pop().title == "The people"
        pdf.save(damaged)
    found = validate.pdf_outline(book, results, damaged)
    assert [where(f) for f in found] == [f"{damaged.name}: HEAD-004"]
    assert "PDF" in found[0].message


@covers("LINK-006")
def test_epub_link_to_a_missing_file(fixture_book, tmp_path):
    assert validate.epub_links(fixture_book.epub) == []
    damaged = tmp_path / fixture_book.epub.name
    text = rewrite_epub(fixture_book.epub, damaged, "EPUB/tides.xhtml", lambda t: t.replace(
        'href="#fig-tides-diagram" class="xref paged">diagram', 'href="gone.xhtml#fig" class="xref paged">diagram', 1))
    found = validate.epub_links(damaged)
    line = line_of(text, 'href="gone.xhtml#fig"')
    assert [where(f) for f in found] == [f"{damaged.name}!/EPUB/tides.xhtml:{line}: LINK-006"]
    assert "gone.xhtml#fig" in found[0].message and "EPUB" in found[0].message


@covers("LINK-006")
def test_html_link_to_a_missing_anchor(fixture_book, tmp_path):
    assert validate.html_links(fixture_book.html) == []
    site = tmp_path / "html"
    shutil.copytree(fixture_book.html, site)
    page = site / "people.html"
    text = page.read_text(encoding="utf-8").replace('href="index.html"', 'href="tides.html#no-such-id"', 1)
    page.write_text(text, encoding="utf-8")
    found = validate.html_links(site)
    line = line_of(text, "tides.html#no-such-id")
    assert [where(f) for f in found] == [f"html/people.html:{line}: LINK-006"]


@covers("EPUB-001")
def test_epubcheck_reports_invalid_xhtml(fixture_book, tmp_path):
    damaged = tmp_path / "damaged" / fixture_book.epub.name
    text = rewrite_epub(fixture_book.epub, damaged, "EPUB/tides.xhtml", lambda t: t.replace(
        '<p id="pb-tides-4">', '<p id="pb-tides-4"><blink>now</blink>', 1))
    found = validators.epubcheck(damaged, tmp_path / "epubcheck.json")
    line = line_of(text, "<blink>")
    assert [where(f) for f in found] == [f"{damaged.name}!/EPUB/tides.xhtml:{line}: EPUB-001"]
    assert "blink" in found[0].message and "RSC-005" in found[0].message
    assert json.loads((tmp_path / "epubcheck.json").read_text())["messages"]  # the raw report is kept


@covers("EPUB-002")
def test_ace_reports_an_image_without_alt(fixture_book, tmp_path):
    damaged = tmp_path / "damaged" / fixture_book.epub.name
    rewrite_epub(fixture_book.epub, damaged, "EPUB/tides.xhtml", lambda t: re.sub(r' alt="A circle[^"]*"', "", t))
    found = validators.ace(damaged, tmp_path / "ace")
    assert [where(f) for f in found] == [f"{damaged.name}!/EPUB/tides.xhtml: EPUB-002"]
    assert "image-alt" in found[0].message and "critical" in found[0].message


PAGE = """<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>Proef</title>
</head>
<body>
<main>
<h1>Proef</h1>
{body}
</main>
</body>
</html>
"""


@covers("HTML-002")
def test_axe_reports_an_image_without_alt(tmp_path):
    (tmp_path / "clean.html").write_text(PAGE.format(body="<p>Tekst.</p>"), encoding="utf-8")
    (tmp_path / "beeld.html").write_text(PAGE.format(body='<p><img src="cirkel.png"></p>'), encoding="utf-8")
    found = validators.axe([tmp_path / "clean.html", tmp_path / "beeld.html"], tmp_path / "axe.json")
    assert [where(f) for f in found] == ["html/beeld.html: HTML-002"]
    assert "image-alt" in found[0].message


@covers("HTML-003")
def test_vnu_reports_invalid_html(tmp_path):
    body = "<p>Tekst.</p>\n<span><div>Een blok in een span.</div></span>"
    (tmp_path / "clean.html").write_text(PAGE.format(body="<p>Tekst.</p>"), encoding="utf-8")
    (tmp_path / "fout.html").write_text(PAGE.format(body=body), encoding="utf-8")
    found = validators.vnu([tmp_path / "clean.html", tmp_path / "fout.html"], tmp_path / "vnu.json")
    line = line_of(PAGE.format(body=body), "<span><div>")
    assert [where(f) for f in found] == [f"html/fout.html:{line}: HTML-003"]
    assert "div" in found[0].message


@covers("PDF-001")
def test_weasyprint_warning_fails_the_pdf(tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "scripts" / "press" / "styles", styles)
    with (styles / "print.css").open("a", encoding="utf-8") as fh:
        fh.write("\n.chapter-title { colour: red; }\n")
    dist = tmp_path / "dist"
    proc = press("build", "-m", str(FIXTURE.relative_to(ROOT)), "-d", str(dist), "--only", "pdf", "-q",
                 env={"PRESS_STYLES": str(styles)})
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if " PDF-001 " in line]
    assert len(errors) == 1 and errors[0].startswith("tests/fixtures/book/book.yaml: PDF-001 WeasyPrint reported: ")
    assert "colour: red" in errors[0] and "Traceback" not in proc.stderr
    assert not list(dist.glob("*.pdf")) and not list(dist.glob(".*.part"))  # nothing half-written


@covers("PDF-002")
def test_character_no_font_can_show(fixture_copy, tmp_path, monkeypatch):
    from press.writers import pdf
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("low water.", "low water (漢).", 1),
                       encoding="utf-8")
    book = load_book(fixture_copy)
    results, findings = process(book)
    assert findings == []
    out = tmp_path / "book.pdf"
    with pytest.raises(ManuscriptError) as caught:
        pdf.write(book, results, {"screen": out})
    assert sorted((f.code, dict(f.fields)["char"], dict(f.fields)["codepoint"]) for f in caught.value.findings) \
        == [("PDF-002", "漢", "6F22")]
    assert all(f.path.endswith("book.yaml") for f in caught.value.findings)
    assert not out.exists()


@covers("PDF-003")
def test_font_not_installed(fixture_pipeline, tmp_path, monkeypatch):
    from press.writers import pdf
    book, results = fixture_pipeline
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "scripts" / "press" / "styles", styles)
    with (styles / "fonts.yaml").open("a", encoding="utf-8") as fh:
        fh.write('  - {family: "Nowhere Serif", style: normal, weight: 400, file: NowhereSerif-Regular.otf, '
                 "package: fonts-nowhere}\n")
    import press
    from press import design
    monkeypatch.setattr(press, "STYLES", styles)   # the press's styles, as PRESS_STYLES sets them
    monkeypatch.setattr(design, "_active", None)    # the fixture book has no design/ of its own
    out = tmp_path / "book.pdf"
    with pytest.raises(ManuscriptError) as caught:
        pdf.write(book, results, {"screen": out})
    assert [(f.path, f.code) for f in caught.value.findings] == [(str(styles / "fonts.yaml"), "PDF-003")]
    assert "NowhereSerif-Regular.otf" in caught.value.findings[0].message
    assert "fonts-nowhere" in caught.value.findings[0].message
    assert not out.exists()


@covers("WORD-005")
def test_a_word_document_that_cannot_be_written(tmp_path, monkeypatch):
    from press import pandoc
    from press.word import exporter
    failing = tmp_path / "pandoc"
    failing.write_text('#!/bin/sh\ncase " $* " in *" -t docx "*) echo "pandoc: cannot write docx" >&2; exit 64;; esac\n'
                       'exec "$REAL" "$@"\n')  # pandoc that reads Markdown but cannot write Word
    failing.chmod(0o755)
    monkeypatch.setenv("REAL", pandoc.pandoc_path())
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pandoc, "_PANDOC", str(failing))
    book = load_book(FIXTURE)
    with pytest.raises(ManuscriptError) as caught:
        exporter.write(book, tmp_path / "docx", only=["tides"])
    assert [where(f) for f in caught.value.findings] == ["tests/fixtures/book/01-tides.md: WORD-005"]
    assert "cannot write docx" in caught.value.findings[0].message
    assert not list((tmp_path / "docx").glob("*"))  # nothing half-written


@covers("FILE-008")
def test_chapter_too_large_is_refused_unread(tmp_path, monkeypatch):
    from press.book import MAX_CHAPTER_MB
    work = tmp_path / "case"
    shutil.copytree(CASES_DIR / "SPELL-001", work, ignore=shutil.ignore_patterns("expected.txt"))
    chapter = work / "01-hoofdstuk.md"
    paragraph = "Dit is een korte tekst over het weer en de zee.\n\n"
    with chapter.open("a", encoding="utf-8") as fh:
        fh.write(paragraph * (MAX_CHAPTER_MB * 1_000_000 // len(paragraph) + 1))
    monkeypatch.chdir(work)
    found = collect(Path("."), None)
    assert [where(f) for f in found] == ["01-hoofdstuk.md: FILE-008"]
    assert f"at most {MAX_CHAPTER_MB} MB" in found[0].message


class _Site(http.server.BaseHTTPRequestHandler):
    """A local web site: /ok answers, /missing is 404, /no-head refuses HEAD, /slow never answers
    in time."""

    def do_HEAD(self):
        self._answer(head=True)

    def do_GET(self):
        self._answer(head=False)

    def _answer(self, head: bool):
        if self.path == "/slow":
            time.sleep(3)
        status = {"/ok": 200, "/slow": 200}.get(self.path, 405 if head and self.path == "/no-head" else 404)
        if self.path == "/no-head" and not head:
            status = 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if not head:
            self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LINKS_BOOK = """title: "Links"
lang: nl
authors: [Test]
publisher: Test
date: 2024-01-01
identifier: "urn:uuid:00000000-0000-4000-8000-000000000000"
rights: "Test"
description: "Test."
contents:
  - file: 01-links.md
"""
LINKS_CHAPTER = """---
title: "Links"
---

Zie <{site}/ok> en [de pagina die weg is]({site}/missing).

Een server die HEAD weigert: <{site}/no-head>. In code telt het niet: `{site}/missing`.

[Mail](mailto:redactie@example.org) en [intern](#links) worden niet gecontroleerd.

Nog eens [weg]({site}/missing), en [traag]({site}/slow).
"""


@covers("LINK-007")
def test_linkcheck_reports_dead_addresses(local_site, tmp_path, monkeypatch, capsys):
    from press import linkcheck
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.yaml").write_text(LINKS_BOOK, encoding="utf-8")
    (book / "01-links.md").write_text(LINKS_CHAPTER.format(site=local_site), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    dist = tmp_path / "dist"
    status = linkcheck.main(["-m", "book", "-d", str(dist), "--timeout", "0.5"])
    out = capsys.readouterr().out
    assert status == 0
    assert sorted(re.findall(r"^  (\S+:\d+): LINK-007 the web address '(\S+)' did not answer: (.*)  \[warning\]$",
                             out, re.M)) == [
        ("book/01-links.md:11", f"{local_site}/missing", "HTTP 404 Not Found"),
        ("book/01-links.md:11", f"{local_site}/slow", "no answer within 0.5 s"),
        ("book/01-links.md:5", f"{local_site}/missing", "HTTP 404 Not Found")]
    report = json.loads((dist / "reports" / "linkcheck.json").read_text(encoding="utf-8"))
    assert {a["url"].rsplit("/", 1)[1]: a["ok"] for a in report["addresses"]} == \
        {"ok": True, "missing": False, "no-head": True, "slow": False}
    assert report["summary"] == {"checked": 4, "failed": 2}
    assert linkcheck.main(["-m", "book", "-d", str(dist), "--timeout", "0.5", "--strict"]) == 1


@covers("INDEX-003")
def test_index_mark_on_no_page(apparatus_book, tmp_path):
    """An index mark whose id the print layout placed on no page (the page map of the real build
    of the apparatus fixture, then a copy with one mark's page taken away)."""
    book = load_book(apparatus_book.manuscript)
    results, findings = process(book)
    assert findings == []
    pagemap = apparatus_book.dist / "reports" / "pagemap.json"
    assert validate.index_marks(results, pagemap) == []
    data = json.loads(pagemap.read_text(encoding="utf-8"))
    del data["anchors"]["locks-idx-3"]
    damaged = tmp_path / "pagemap.json"
    damaged.write_text(json.dumps(data), encoding="utf-8")
    found = validate.index_marks(results, damaged)
    source = (apparatus_book.manuscript / "02-locks.md").read_text(encoding="utf-8")
    assert [where(f) for f in found] == [f"{book.chapters[1].rel}:{line_of(source, 'Élysée lock')}: INDEX-003"]
    assert "Élysée lock" in found[0].message


# ---------------------------------------------------------------------------------------------
# Completeness


def test_every_rule_has_a_test():
    import importlib
    for module in sorted(Path(__file__).parent.glob("test_*.py")):  # their @covers, when run alone too
        importlib.import_module(module.stem)
    untested = sorted(set(RULES) - {code_of(c) for c in CASES} - set(EXPLICIT))
    assert not untested, f"rules without a test: {untested}; add tests/rules/<CODE>/ or an explicit test"
    assert not set(EXPLICIT) - set(RULES)


def test_docs_explain_every_rule():
    doc = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([A-Z]+-\d{3})` \|", doc, re.M)
    assert sorted(listed) == sorted(RULES), "docs/checks.md must list each code in press.rules once"
    for code, rule in RULES.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{code}` |"))
        assert f"| {rule.severity} |" in row, f"{code}: severity in docs/checks.md differs from press.rules"


def test_clean_fixture_book_has_no_findings(fixture_book, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(fixture_book.dist, dist)  # the validators write their reports into DIST
    proc = press("check", "-m", str(FIXTURE), "-d", str(dist), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] == [] and report["suppressed"] == []
    assert (dist / "reports" / "epubcheck.json").exists() and (dist / "reports" / "vnu.json").exists()
