"""A build replaces every edition or none, and a failed build tells the truth about which.

Each edition's writer is made to fail in turn (in the process, and once through a broken template
as a designer would break it); the output folder must stay byte-identical and the message must
say that nothing was replaced and name what is still there. Putting the editions in place is made
to fail too: undone, or, when even that fails, reported file by file — and checked against the
files."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE, ROOT, press

from press import cli, fsio

SLUG = "tides-and-harbours"
EDITIONS = [f"{SLUG}.pdf", f"{SLUG}-print.pdf", f"{SLUG}.epub", "html/"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the fixture book and its editions, built once for the module (so later layouts
    can splice into the last one, as after an editor's edit)."""
    root = tmp_path_factory.mktemp("site")
    book, dist = root / "book", root / "dist"
    shutil.copytree(FIXTURE, book)
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 0, proc.stderr
    return book, dist


def state(dist: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dist)): p.read_bytes() for p in sorted(dist.rglob("*")) if p.is_file()}


def edit(book: Path, words: str) -> None:
    chapter = book / "03-people.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")


def build(book: Path, dist: Path, capsys) -> tuple[int, str]:
    status = cli.main(["build", "-m", str(book), "-d", str(dist), "-q"])
    return status, capsys.readouterr().err


def assert_nothing_replaced(err: str, dist: Path, before: dict) -> None:
    assert state(dist) == before
    assert not [p for p in dist.parent.iterdir() if p.name.startswith(f".{dist.name}.")]  # no staging left
    said = err.strip().splitlines()[-1]
    assert said.startswith("press: ") and f"no edition was replaced: {dist}/ is as it was" in said, err
    for name in EDITIONS:
        assert f"{dist}/{name}" in said, (name, said)


@pytest.mark.parametrize("edition", ["pdf", "epub", "html"])
def test_a_writer_that_fails_leaves_every_edition(site, edition, monkeypatch, capsys):
    book, dist = site
    edit(book, f"A sentence so that the {edition} writer runs again.")
    before = state(dist)
    module = __import__(f"press.writers.{edition}", fromlist=["write"])

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    for entry in ("write", "pages"):  # the HTML edition's build writes its pages, then its download page
        if hasattr(module, entry):
            monkeypatch.setattr(module, entry, broken)
    status, err = build(book, dist, capsys)
    assert status == 1
    assert "No space left on device" in err
    assert_nothing_replaced(err, dist, before)


def test_a_broken_epub_template_after_the_pdf_was_made(site, tmp_path):
    """The issue's case: the PDFs are made, then the EPUB's template fails. The new PDFs must not
    stand beside the old EPUB (whose page-list would disagree with them)."""
    book, dist = site
    edit(book, "Another sentence, for the broken template.")
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "scripts" / "press" / "templates", templates)
    page = templates / "epub" / "chapter.xhtml"
    page.write_text(page.read_text(encoding="utf-8") + "{{ no_such_value.at_all }}\n", encoding="utf-8")
    before = state(dist)
    proc = press("build", "-m", str(book), "-d", str(dist), env={"PRESS_TEMPLATES": str(templates)})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # the EPUB is written once the pages are known (pdf.write's when_laid_out): after the layout
    assert re.search(r"chapter\.xhtml:\d+: template error: 'no_such_value' is undefined", proc.stderr)
    assert_nothing_replaced(proc.stderr, dist, before)


def fail_during_swap(monkeypatch, fails) -> None:
    """Make ``os.replace`` fail while the editions are put in place, when ``fails(src, dst)``."""
    real_swap, real_replace = fsio.swap_in, fsio.os.replace

    def replace(src, dst):
        if fails(Path(src), Path(dst)):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    def swap_in(pairs, backup):
        with monkeypatch.context() as m:
            m.setattr(fsio.os, "replace", replace)
            real_swap(pairs, backup)
    monkeypatch.setattr(fsio, "swap_in", swap_in)


def test_a_failed_swap_is_undone(site, monkeypatch, capsys):
    """The PDFs are in place when the EPUB's rename fails: they get their old versions back."""
    book, dist = site
    edit(book, "A sentence for a swap that fails half-way.")
    before = state(dist)
    fail_during_swap(monkeypatch, lambda src, dst: dst == dist / f"{SLUG}.epub" and src.name == f"{SLUG}.epub")
    status, err = build(book, dist, capsys)
    assert status == 1 and "Input/output error" in err and "Traceback" not in err
    assert_nothing_replaced(err, dist, before)


def test_a_swap_that_cannot_be_undone_says_exactly_what_is_new(site, monkeypatch, capsys):
    """The EPUB's rename fails, and so does giving the screen PDF its old version back."""
    book, dist = site
    edit(book, "A sentence for a swap that fails and cannot be undone.")
    before = state(dist)
    fail_during_swap(monkeypatch, lambda src, dst: dst == dist / f"{SLUG}.epub" and src.name == f"{SLUG}.epub"
                     or dst == dist / f"{SLUG}.pdf" and src.name.startswith("0-"))
    status, err = build(book, dist, capsys)
    assert status == 1 and "Traceback" not in err
    said = err.strip().splitlines()[-1]
    m = re.search(r"only some editions were replaced: new (.*?); as before: (.*)\.$", said)
    assert m, said
    new = [p.strip() for p in m.group(1).split(",")]
    kept = [p.strip() for p in m.group(2).split(",")]
    assert new == [f"{dist}/{SLUG}.pdf"]
    after = state(dist)
    assert after[f"{SLUG}.pdf"] != before[f"{SLUG}.pdf"]  # what it says is new, is new
    for path in kept:  # and what it says is as before, is
        rel = str(Path(path.rstrip("/")).relative_to(dist))
        assert {k: v for k, v in after.items() if k == rel or k.startswith(rel + "/")} == \
            {k: v for k, v in before.items() if k == rel or k.startswith(rel + "/")}, rel
    assert set(after) == set(before)


def test_after_failures_a_build_puts_everything_in_place(site):
    book, dist = site
    edit(book, "A last sentence; this build succeeds.")
    proc = press("build", "-m", str(book), "-d", str(dist))
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((dist / ".press-manifest.json").read_text())
    assert len({manifest[e] for e in ("pdf", "epub", "html")}) == 1
    from pypdf import PdfReader
    pagemap = json.loads((dist / "reports" / "pagemap.json").read_text())
    assert pagemap["pages"] == len(PdfReader(dist / f"{SLUG}.pdf").pages)
    assert not [p for p in dist.parent.iterdir() if p.name.startswith(f".{dist.name}.")]
