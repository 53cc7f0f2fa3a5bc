"""Broken and hostile manuscripts: each gets a one-line error naming the file (and line), a
non-zero exit, no traceback, and the output folder keeps its last good editions."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, press


@pytest.fixture
def built(tmp_path, fixture_copy):
    """A copy of the fixture book with good editions already in its output folder."""
    dist = tmp_path / "dist"
    assert press("build", "-m", str(fixture_copy), "-d", str(dist)).returncode == 0
    return fixture_copy, dist


def _state(dist: Path) -> dict:
    return {str(p.relative_to(dist)): p.read_bytes() for p in sorted(dist.rglob("*")) if p.is_file()}


def _fails_cleanly(book: Path, dist: Path, *where: str) -> str:
    before = _state(dist)
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for text in where:
        assert text in proc.stderr, proc.stderr
    assert _state(dist) == before  # nothing lost, nothing half-written
    return proc.stderr


def test_file_that_is_not_utf8(built):
    book, dist = built
    (book / "02-harbours.md").write_bytes("---\ntitle: Harbours\n---\n\nCaf\xe9 au lait\n".encode("latin-1"))
    _fails_cleanly(book, dist, "02-harbours.md:5: FILE-001")


def test_binary_file_named_md(built):
    book, dist = built
    (book / "02-harbours.md").write_bytes(bytes(range(256)) * 4)
    _fails_cleanly(book, dist, "02-harbours.md", "FILE-001", "binary")


def test_invalid_yaml_in_book_yaml(built):
    book, dist = built
    text = (book / "book.yaml").read_text()
    (book / "book.yaml").write_text(text.replace("lang: en-GB", "lang: [en-GB"))
    _fails_cleanly(book, dist, "book.yaml:", "BOOK-002")


def test_invalid_yaml_in_front_matter(built):
    book, dist = built
    (book / "02-harbours.md").write_text('---\ntitle: "Harbours\nauthor: [x\n---\n\nText.\n')
    _fails_cleanly(book, dist, "02-harbours.md:", "FILE-002")


def test_empty_manuscript(tmp_path, built):
    _, dist = built
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails_cleanly(empty, dist, "book.yaml", "BOOK-001")
    (empty / "book.yaml").write_text("")
    _fails_cleanly(empty, dist, "book.yaml", "BOOK-002")


def test_chapter_listed_twice(built):
    book, dist = built
    text = (book / "book.yaml").read_text()
    (book / "book.yaml").write_text(text.replace("  - file: 03-people.md", "  - file: 03-people.md\n  - file: 00-preface.md"))
    _fails_cleanly(book, dist, "book.yaml:", "BOOK-007", "00-preface.md")


@pytest.mark.parametrize("src", ["../../../../etc/passwd", "/etc/passwd", "images/escape.svg"])
def test_image_path_leaving_the_manuscript_is_refused(built, src):
    book, dist = built
    outside = book.parent / "secret.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>secret</text></svg>')
    (book / "images" / "escape.svg").symlink_to(outside)
    chapter = book / "02-harbours.md"
    chapter.write_text(chapter.read_text() + f"\n![Escape]({src})\n")
    _fails_cleanly(book, dist, "02-harbours.md:", "IMG-002")
    for p in dist.rglob("*"):
        if p.is_file():
            assert b"secret" not in p.read_bytes() and b"root:x:0" not in p.read_bytes()


def test_huge_chapter_fails_cleanly_without_reading_it(built):
    book, dist = built
    (book / "02-harbours.md").write_text("---\ntitle: Huge\n---\n\n" + ("Lorem ipsum dolor sit amet. " * 400_000))
    started = time.monotonic()
    _fails_cleanly(book, dist, "02-harbours.md", "FILE-008")
    assert time.monotonic() - started < 60  # refused up front, not after parsing 11 MB


def test_raw_html_never_reaches_an_edition(tmp_path, fixture_copy):
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text() + '\n<script>alert("x")</script>\n\n<p onmouseover="steal()">Hover</p>\n\n'
                       '[Click](javascript:alert(1)) <iframe src="https://example.org/x"></iframe>\n')
    proc = press("check", "-m", str(fixture_copy), "--no-validators")
    assert proc.returncode == 1 and proc.stdout.count("HTML-001") == 4, proc.stdout
    dist = tmp_path / "dist"
    assert press("build", "-m", str(fixture_copy), "-d", str(dist)).returncode == 1  # errors stop the build
    # The sanitiser itself, on what would have been written:
    from press.book import load_book
    from press.pipeline import process
    results, _ = process(load_book(fixture_copy))
    html = "".join(r.html for r in results).lower()
    for bad in ("<script", "onmouseover", "javascript:", "<iframe"):
        assert bad not in html


def test_interrupted_pdf_render_leaves_no_partial_file(built):
    book, dist = built
    chapter = book / "02-harbours.md"
    chapter.write_text(chapter.read_text() + "\nA changed sentence, so the PDF is rendered again.\n")
    before = _state(dist)
    proc = subprocess.Popen([sys.executable, "-m", "press.cli", "build", "-m", str(book), "-d", str(dist)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until the renderers are at work: their temporary files appear in dist/
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(dist.glob(".*.part")) and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the build finished before the signal arrived")
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not [p for p in dist.rglob("*") if p.name.endswith(".part")]
    assert _state(dist) == before


def test_template_mistake_names_the_template_and_line(tmp_path):
    """A designer's syntax error in a template: file and line, no traceback, nothing written."""
    import shutil
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "scripts" / "press" / "templates", templates)
    page = templates / "html" / "chapter.html"
    page.write_text(page.read_text().replace("{% endblock %}", "{% endblok %}", 1))
    proc = press("build", "-m", str(ROOT / "tests" / "fixtures" / "book"), "-d", str(tmp_path / "d"),
                 "--only", "html", env={"PRESS_TEMPLATES": str(templates)})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "chapter.html:" in proc.stderr and "template error" in proc.stderr
    assert not (tmp_path / "d" / "html").exists()


def test_a_chapter_that_changes_its_page_count_builds_without_a_worker_traceback(built):
    """After an edit the changed chapter is laid out alone; when its page count changed, its
    worker is stopped and the whole book laid out. The stopped worker used to print
    'Process ForkProcess-1 … KeyboardInterrupt: signal 15' under a good build."""
    book, dist = built
    chapter = book / "02-harbours.md"
    for n in range(2):  # the first edit may be laid out whole; the second is spliced or stopped
        more = f"A paragraph added in round {n}, long enough to need a page of its own. " * 14
        chapter.write_text(chapter.read_text() + "\n" + "\n\n".join([more] * 6) + "\n")
        proc = press("build", "-m", str(book), "-d", str(dist))
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "ForkProcess" not in proc.stderr, proc.stderr
