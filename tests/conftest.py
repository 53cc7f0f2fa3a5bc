"""Shared fixtures: the fixture book and the project's own book, each built once per test session
into a temporary folder, and helpers that open the real outputs."""
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
MANUSCRIPT = ROOT / "manuscript"
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", help="rewrite the expected outputs of folder tests")


@pytest.fixture(scope="session")
def regen(request) -> bool:
    return request.config.getoption("--regen")


def press(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the command line as an editor would, capturing its output."""
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


@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> Built:
    dist = tmp_path_factory.mktemp("fixture-dist")
    _build(FIXTURE, dist)
    return Built(FIXTURE, dist, "tides-and-harbours")


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Built:
    dist = tmp_path_factory.mktemp("book-dist")
    _build(MANUSCRIPT, dist)
    return Built(MANUSCRIPT, dist, "het-gat-tussen-denken-en-doen")


@pytest.fixture(scope="session")
def edges_book(tmp_path_factory) -> Built:
    """The screen editions' edge cases (tests/fixtures/edges/book.yaml says which)."""
    dist = tmp_path_factory.mktemp("edges-dist")
    _build(EDGES, dist)
    return Built(EDGES, dist, "edges")


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
