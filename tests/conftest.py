"""Shared fixtures: the fixture book, built once per test session into a temporary folder, and
helpers that open the real outputs.

Two suites share this file. The press's own suite (``tests/*.py``) proves the press on the fixture
book and on manuscripts made in the tests; it never reads ``manuscript/``, so an editor who improves
the book cannot break it: a guard fails any of its tests that opens a file there or runs the press
on it. The book-acceptance suite (``tests/acceptance/``) states editorial facts about this book and
builds it (its ``real_book`` fixture)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from press.build import Outputs

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "book"
EDGES = ROOT / "tests" / "fixtures" / "edges"
APPARATUS = ROOT / "tests" / "fixtures" / "apparatus"  # citations, bibliographies and an index
BOOK = ROOT / "manuscript"          # this book: only the acceptance suite may read it
ACCEPTANCE = ROOT / "tests" / "acceptance"
READS_A_MANUSCRIPT = {"build", "check", "proofs", "offprints", "queries", "linkcheck", "bench", "preview", "docx", "import"}
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", help="rewrite the expected outputs of folder tests")


@pytest.fixture(scope="session")
def regen(request) -> bool:
    return request.config.getoption("--regen")


# --- the guard: the press's own suite never reads this book ----------------------------------------

_GUARD = {"on": False}
_BOOK_PREFIX = os.path.join(str(BOOK), "")


def _in_book(path) -> bool:
    try:
        text = os.path.abspath(os.fsdecode(path))
    except TypeError:
        return False
    return text == str(BOOK) or text.startswith(_BOOK_PREFIX)


def _audit(event: str, args: tuple) -> None:
    if _GUARD["on"] and event in ("open", "os.listdir", "os.scandir") and args and \
            isinstance(args[0], (str, bytes, os.PathLike)) and _in_book(args[0]):
        raise PermissionError(f"the press's own tests must not read this book ({args[0]}); "
                              "facts about the book belong in tests/acceptance/")


sys.addaudithook(_audit)


def guard_command(args, cwd: Path) -> None:
    """A command the press's own suite runs must name its manuscript, and not this book."""
    if not _GUARD["on"]:
        return
    named = [a for a in args if _in_book(Path(cwd, a))]
    assert not named, f"the press's own tests must not run the press on this book: {named}"
    if args and args[0] in READS_A_MANUSCRIPT and Path(cwd).resolve() == ROOT:
        assert "-m" in args or "--manuscript" in args, f"`press {args[0]}` without -m would read manuscript/"


def _of_the_press(path) -> bool:
    return path is not None and Path(str(path)).suffix == ".py" and ACCEPTANCE not in Path(str(path)).parents


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The guard holds while a module of the press's suite is imported..."""
    _GUARD["on"] = _of_the_press(getattr(collector, "path", None))
    yield
    _GUARD["on"] = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """... and from a test's setup (its module and session fixtures too) to the end of its teardown."""
    _GUARD["on"] = _of_the_press(item.path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    _GUARD["on"] = False


def press(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the command line as an editor would, capturing its output."""
    guard_command(args, cwd)
    return subprocess.run([sys.executable, "-m", "press.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


class Built(Outputs):
    """The outputs of a build (paths from press.build.Outputs), plus readers for tests."""

    def __init__(self, manuscript: Path, dist: Path, slug: str):
        super().__init__(dist, slug)
        self.manuscript = manuscript

    def epub_xml(self, name: str):
        with zipfile.ZipFile(self.epub) as z:
            return etree.fromstring(z.read(name))

    def epub_names(self) -> list[str]:
        with zipfile.ZipFile(self.epub) as z:
            return z.namelist()


def _build(manuscript: Path, dist: Path) -> subprocess.CompletedProcess:
    proc = press("build", "-m", str(manuscript), "-d", str(dist), env={"SOURCE_DATE_EPOCH": "1714521600"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _built(tmp_path_factory, book: Path, slug: str) -> Built:
    """``book`` built once into a folder of the session's."""
    dist = tmp_path_factory.mktemp(f"{slug}-dist")
    _build(book, dist)
    return Built(book, dist, slug)


@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> Built:
    return _built(tmp_path_factory, FIXTURE, "tides-and-harbours")


@pytest.fixture(scope="session")
def edges_book(tmp_path_factory) -> Built:
    """The screen editions' edge cases (tests/fixtures/edges/book.yaml says which)."""
    return _built(tmp_path_factory, EDGES, "edges")


EXAMPLE = ROOT / "examples" / "second-book"


@pytest.fixture(scope="session")
def example_book(tmp_path_factory) -> Built:
    """The second example book (its own design in design/), copied outside the repository and built."""
    book = tmp_path_factory.mktemp("elsewhere") / "harbour-lights"
    shutil.copytree(EXAMPLE, book)
    return _built(tmp_path_factory, book, "harbour-lights")


@pytest.fixture(scope="session")
def apparatus_book(tmp_path_factory) -> Built:
    """The apparatus fixture (citations in an author-date style, an index), built once."""
    return _built(tmp_path_factory, APPARATUS, "harbour-law")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (tests/browser.py), one for the session."""
    from browser import Browser
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def fixture_copy(tmp_path) -> Path:
    """A writable copy of the fixture book, for tests that break it."""
    dest = tmp_path / "book"
    shutil.copytree(FIXTURE, dest)
    return dest


def outline(reader) -> list[tuple[int, str, int]]:
    """(level, title, page) of every outline entry, in order."""
    out = []

    def walk(entries, level):
        for e in entries:
            if isinstance(e, list):
                walk(e, level + 1)
            else:
                out.append((level, e.title, reader.get_destination_page_number(e) + 1))
    walk(reader.outline, 1)
    return out
