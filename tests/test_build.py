"""The build as an editor meets it: outputs, no-op rebuilds, any manuscript folder, and a failed
build that leaves the previous good editions untouched."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import FIXTURE, press
from lxml import html as lhtml


def _snapshot(dist: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(dist)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in dist.rglob("*") if p.is_file()}


def test_fixture_book_builds_all_editions(fixture_book):
    assert zipfile.is_zipfile(fixture_book.epub)
    assert fixture_book.pdf.read_bytes().startswith(b"%PDF-")
    assert fixture_book.pdf_print.read_bytes().startswith(b"%PDF-")
    pages = sorted(p.name for p in fixture_book.html.glob("*.html"))
    assert pages == ["harbours.html", "index.html", "people.html", "preface.html", "tides.html"]


def test_outside_manuscript_builds_with_manuscript_and_dist(tmp_path):
    """A manuscript outside the repository, following the contract, builds all three editions."""
    book, dist = tmp_path / "elsewhere" / "book", tmp_path / "out"
    shutil.copytree(FIXTURE, book)
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 0, proc.stderr
    assert (dist / "tides-and-harbours.epub").exists() and (dist / "html" / "tides.html").exists()
    tides = lhtml.parse(str(dist / "html" / "tides.html"))
    hrefs = tides.xpath("//a[contains(@class, 'xref')]/@href")
    assert "harbours.html" in hrefs and "harbours.html#harbours-locks" in hrefs  # cross-chapter links
    assert tides.xpath("//aside[contains(@class, 'sidebar')]") and tides.xpath("//*[@role='doc-pullquote']")


def test_second_build_does_nothing_and_rewrites_nothing(tmp_path):
    dist = tmp_path / "dist"
    assert press("build", "-m", str(FIXTURE), "-d", str(dist)).returncode == 0
    before = _snapshot(dist)
    proc = press("build", "-m", str(FIXTURE), "-d", str(dist))
    assert proc.returncode == 0
    assert "Up to date" in proc.stdout
    assert _snapshot(dist) == before


def test_second_build_loads_neither_the_manuscript_nor_the_writers(tmp_path):
    """The no-op decides from the manifest and the bytes alone: the schema (jsonschema), the
    templates (jinja2) and pandoc's reader are never imported, which keeps it well under a second."""
    dist = tmp_path / "dist"
    assert press("build", "-m", str(FIXTURE), "-d", str(dist)).returncode == 0
    code = ("import sys; from pathlib import Path; from press.build import build; "
            f"status = build(Path({str(FIXTURE)!r}), Path({str(dist)!r})); "
            "print(status, sorted(m for m in ('jsonschema', 'jinja2', 'panflute', 'weasyprint') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert "Up to date" in proc.stdout and proc.stdout.strip().endswith("0 []"), proc.stdout + proc.stderr


def test_a_missing_edition_is_rebuilt(tmp_path):
    dist = tmp_path / "dist"
    assert press("build", "-m", str(FIXTURE), "-d", str(dist)).returncode == 0
    epub = next(dist.glob("*.epub"))
    epub.unlink()
    proc = press("build", "-m", str(FIXTURE), "-d", str(dist))
    assert proc.returncode == 0 and "Up to date" not in proc.stdout, proc.stdout
    assert zipfile.is_zipfile(epub)


def test_edit_rebuilds(tmp_path, fixture_copy):
    dist = tmp_path / "dist"
    assert press("build", "-m", str(fixture_copy), "-d", str(dist)).returncode == 0
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text().replace("twice a day", "three times a day"))
    proc = press("build", "-m", str(fixture_copy), "-d", str(dist))
    assert proc.returncode == 0 and "Up to date" not in proc.stdout
    assert "three times a day" in (dist / "html" / "harbours.html").read_text()


def test_failed_build_keeps_previous_editions(tmp_path, fixture_copy):
    dist = tmp_path / "dist"
    assert press("build", "-m", str(fixture_copy), "-d", str(dist)).returncode == 0
    before = _snapshot(dist)
    chapter = fixture_copy / "01-tides.md"
    chapter.write_text(chapter.read_text() + "\nA link to [nowhere](#no-such-place).\n")
    proc = press("build", "-m", str(fixture_copy), "-d", str(dist))
    assert proc.returncode == 1
    assert "01-tides.md:" in proc.stderr and "LINK-001" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _snapshot(dist) == before
    assert not [p for p in dist.rglob("*") if p.name.endswith(".part")]


def test_progress_lines_and_summary(tmp_path):
    proc = press("build", "-m", str(FIXTURE), "-d", str(tmp_path / "d"), "--force")
    assert proc.returncode == 0
    assert "PDF (screen and print) with WeasyPrint" in proc.stdout
    assert "tides-and-harbours.epub" in proc.stdout and "MB" in proc.stdout


def test_dump_ast_writes_every_filter_stage(tmp_path):
    dump = tmp_path / "ast"
    proc = press("build", "-m", str(FIXTURE), "-d", str(tmp_path / "d"), "--only", "html", "--dump-ast", str(dump))
    assert proc.returncode == 0, proc.stderr
    stages = sorted(p.name for p in (dump / "tides").iterdir())
    assert stages[0] == "00-pandoc.json" and any("notes" in s for s in stages) and any("xrefs" in s for s in stages)


def test_only_one_edition(tmp_path):
    dist = tmp_path / "d"
    assert press("build", "-m", str(FIXTURE), "-d", str(dist), "--only", "html").returncode == 0
    assert (dist / "html" / "index.html").exists()
    assert not (dist / "tides-and-harbours.epub").exists()


def test_clean_removes_outputs(tmp_path):
    dist = tmp_path / "d"
    assert press("build", "-m", str(FIXTURE), "-d", str(dist), "--only", "html").returncode == 0
    cache = tmp_path / "cache"
    proc = press("clean", "-d", str(dist), env={"PRESS_CACHE": str(cache)})
    assert proc.returncode == 0 and not dist.exists()
    assert os.path.isdir(FIXTURE)  # the manuscript is never touched


def test_the_command_leaves_at_once_with_its_exit_handlers_run_and_its_output_flushed(tmp_path):
    """``press`` (press.cli.run) skips the interpreter's teardown after a command: the exit
    handlers still run, everything printed is flushed, and the command's status is the process's."""
    code = ("import atexit, sys\nfrom press import cli\natexit.register(lambda: print('handlers ran'))\n"
            f"sys.argv = ['press', 'clean', '-m', {str(FIXTURE)!r}, '-d', {str(tmp_path / 'dist')!r}]\n"
            "print('before', end='')\ncli.run()\nprint('never here')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PRESS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("before") and "handlers ran" in proc.stdout and "never here" not in proc.stdout


def test_the_faces_are_checked_in_a_process_forked_as_the_build_starts(tmp_path, monkeypatch):
    """build._check_faces_beside checks every face fonts.yaml names in a forked process: once it has
    ended, each face's findings are in the fonts cache, where the build's own check reads them
    (here: without checking a face again), and the build's process has checked none itself."""
    from press import build, fonts
    from press.design import styles
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    checked = []
    real = fonts._validate
    monkeypatch.setattr(fonts, "_validate", lambda *a: checked.append(a) or real(*a))
    process = build._check_faces_beside()
    process.join(60)
    assert process.exitcode == 0 and checked == []  # the check ran in the other process
    faces = [f for f in fonts.faces(styles()) if f.path is not None]
    assert len(list((tmp_path / "cache" / "fonts").glob("valid-*.json"))) == len({f.path for f in faces}) > 0
    assert fonts.problems(styles()) == [] and checked == []  # read from the cache, not checked again
