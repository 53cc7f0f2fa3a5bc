"""The code's own shape, asserted: writers that depend on ``common`` and the data but never on each
other, typed chapter data that survives the cache whole, a loaded Book that no build mutates, and
style and template folders read where they are set."""
from __future__ import annotations

import ast
import copy
import shutil
from pathlib import Path

import pytest
from conftest import APPARATUS, FIXTURE

from press.book import load_book
from press.context import ChapterData
from press.pipeline import process

PRESS = Path(__file__).resolve().parent.parent / "scripts" / "press"
WRITERS = PRESS / "writers"
# The edition writers; the modules beside them (common, and the helpers named after the writer
# they serve, pdfunits, pdfsplice …) are not writers of their own.
EDITIONS = {"epub", "html", "pdf"}


def _imported_writers(path: Path) -> set[str]:
    """The sibling modules of writers/ that ``path`` imports, whatever the import's form."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # from . import x / from .x import y
                names |= {module.split(".")[0]} if module else {a.name for a in node.names}
            elif node.level == 2 and module == "writers":  # from ..writers import x
                names |= {a.name for a in node.names}
            elif module.startswith("press.writers."):
                names.add(module.split(".")[2])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[2] for a in node.names if a.name.startswith("press.writers.")}
    return names


def test_no_writer_imports_a_sibling_writer():
    """Each edition writer depends on ``common`` and its own helpers, never on another writer."""
    for path in sorted(WRITERS.glob("*.py")):
        if path.stem == "__init__":
            continue
        own = {w for w in EDITIONS if path.stem.startswith(w)}  # pdfprint, pdfunits …: the PDF writer's parts
        siblings = _imported_writers(path) & EDITIONS - own
        assert not siblings, f"{path.name} imports the writer(s) {sorted(siblings)}: move what they share to common.py"


# --- typed chapter data, the same from the cache; the loaded Book left alone -----------------------

def _chapters(results) -> list[tuple]:
    """What the writers get of each chapter: its HTML, its titles, its data and its findings."""
    return [(r.html, r.chapter.title, r.chapter.subtitle, r.chapter.title_html, r.chapter.subtitle_html,
             r.ctx.data, [(f.code, f.path, f.line, f.fields) for f in r.ctx.findings]) for r in results]


@pytest.mark.parametrize("fixture", [FIXTURE, APPARATUS], ids=["book", "apparatus"])
def test_a_cached_build_gives_the_chapter_data_of_a_fresh_one(fixture, tmp_path, monkeypatch):
    """Fresh, from the chapters' cached records, and from the book's cached result: the same
    chapters, data (the id registry included) and findings each time."""
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    fresh, _ = process(load_book(fixture), jobs=1)
    assert all(isinstance(r.ctx.data, ChapterData) for r in fresh)
    assert any(r.ctx.data.ids for r in fresh) and any(r.ctx.data.sections for r in fresh)
    from_book_cache, _ = process(load_book(fixture), jobs=1)
    shutil.rmtree(tmp_path / "cache" / "books")
    from_chapter_cache, _ = process(load_book(fixture), jobs=1)
    assert _chapters(from_book_cache) == _chapters(fresh)
    assert _chapters(from_chapter_cache) == _chapters(fresh)


@pytest.mark.parametrize("fixture", [FIXTURE, APPARATUS], ids=["book", "apparatus"])
def test_the_pipeline_leaves_the_loaded_book_as_it_was(fixture, tmp_path, monkeypatch):
    """The loaded Book and its Chapters are never mutated, fresh or from the cache: the results
    carry derived ones (the library loaded, the titles as the text has them)."""
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    book = load_book(fixture)
    before = copy.deepcopy(book)
    for _ in range(2):  # fresh, then from the cache
        results, _ = process(book, jobs=1)
        assert book == before
        assert all(r.chapter is not ch for r, ch in zip(results, book.chapters))
    if fixture == APPARATUS:
        assert results[0].ctx.book.library is not None and book.library is None


# --- no process-wide side effects; the style and template folders read where they are set ----------

def test_no_module_copies_the_style_or_template_folder():
    """``from press import STYLES`` copies the folder into the importing module, where patching
    ``press.STYLES`` no longer reaches it: every reader goes through the module attribute."""
    for path in sorted(PRESS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module in ("press", None) or node.module == "writers.common"):
                copied = {a.name for a in node.names} & {"STYLES", "TEMPLATES"}
                assert not copied, f"{path.relative_to(PRESS)}:{node.lineno} copies {sorted(copied)}"


def test_patching_press_styles_and_templates_reaches_every_reader(tmp_path, monkeypatch):
    import press
    from press import build, design
    from press.writers import common
    styles, templates = tmp_path / "styles", tmp_path / "templates"
    shutil.copytree(press.STYLES, styles)
    shutil.copytree(press.TEMPLATES, templates)
    (tmp_path / "book").mkdir()
    before = build.inputs_fingerprint(tmp_path / "book")
    monkeypatch.setattr(press, "STYLES", styles)
    monkeypatch.setattr(press, "TEMPLATES", templates)
    assert design.press_styles() == styles
    assert common.environment().loader.searchpath == [str(templates)]
    assert build.inputs_fingerprint(tmp_path / "book") == before  # the same files, read from the copies
    (styles / "tokens.css").write_text((styles / "tokens.css").read_text() + "\n/* changed */\n")
    changed = build.inputs_fingerprint(tmp_path / "book")
    (templates / "html" / "base.html").write_text((templates / "html" / "base.html").read_text() + "\n")
    assert len({before, changed, build.inputs_fingerprint(tmp_path / "book")}) == 3


def test_templates_are_compiled_once_and_again_when_their_file_changes(tmp_path, monkeypatch):
    """One jinja2 environment per templates folder in a process (a template compiled once), and a
    template whose file changed is read again, not served from that environment's cache."""
    import os

    import press
    from press.writers import common
    templates = tmp_path / "templates"
    shutil.copytree(press.TEMPLATES, templates)
    monkeypatch.setattr(press, "TEMPLATES", templates)
    env = common.environment()
    assert common.environment() is env
    page = templates / "epub" / "cover.xhtml"
    first = env.get_template("epub/cover.xhtml")
    assert env.get_template("epub/cover.xhtml") is first  # compiled once
    page.write_text("<p>{{ meta.title }} changed</p>", encoding="utf-8")
    os.utime(page, (page.stat().st_atime, page.stat().st_mtime + 5))
    assert common.environment().get_template("epub/cover.xhtml").render(meta={"title": "T"}) == "<p>T changed</p>"
    monkeypatch.setattr(press, "TEMPLATES", press.PACKAGE / "templates")
    assert common.environment() is not env


def test_a_build_leaves_the_signal_handlers_alone(fixture_book):
    """Signals are the command line's (press.cli): a build called as a function changes none."""
    import signal

    from press.build import build
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    assert build(FIXTURE, fixture_book.dist, quiet=True) == 0
    assert {s: signal.getsignal(s) for s in handlers} == handlers


def test_the_ast_walkers_know_every_part_of_every_panflute_element():
    """press.filters walks panflute's trees by the public names of the parts that hold elements
    (PARTS, LEAVES); panflute keeps its own list in a private attribute. They must agree for every
    element class, so a panflute that changes its structure fails here, not in a book."""
    import inspect

    import panflute as pf

    from press.filters import parts
    for name, cls in inspect.getmembers(pf, inspect.isclass):
        if not issubclass(cls, pf.Element) or inspect.isabstract(cls) or cls in (pf.Element, pf.Block, pf.Inline, pf.MetaValue):
            continue
        sample = cls.__new__(cls)
        assert parts(sample) == tuple(cls._children), name


def test_each_command_says_what_it_does_in_one_place():
    """A tool's one-line SUMMARY (in its own module) is what `press --help` lists for it."""
    import importlib
    import os
    import subprocess
    import sys

    from press import cli
    wide = dict(os.environ, COLUMNS="400")  # argparse wraps help at the terminal's width, hyphens too
    shown = " ".join(subprocess.run([sys.executable, "-m", "press.cli", "--help"], capture_output=True, text=True,
                                    check=True, env=wide).stdout.split())
    for name, module in cli.TOOLS.items():
        summary = importlib.import_module(f"press.{module}").SUMMARY
        assert f"{name} {summary}" in shown, name
