"""The two suites stay apart: the press's own tests never read this book (``manuscript/``), so an
editor who improves the book cannot break them; facts about the book live in tests/acceptance/."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import BOOK, ROOT, guard_command

from press.book import load_book

HERE = Path(__file__).parent


def test_opening_the_book_fails_a_press_test():
    with pytest.raises(PermissionError, match="must not read this book"):
        (BOOK / "book.yaml").read_text(encoding="utf-8")
    with pytest.raises(PermissionError):
        load_book(BOOK)


def test_running_the_press_on_the_book_fails_a_press_test():
    with pytest.raises(AssertionError, match="must not run the press on this book"):
        guard_command(("check", "-m", "manuscript"), ROOT)
    with pytest.raises(AssertionError, match="without -m would read manuscript/"):
        guard_command(("build", "-d", "dist"), ROOT)
    guard_command(("build", "-m", "tests/fixtures/book", "-d", "dist"), ROOT)  # another book is fine


def test_no_press_test_names_the_book():
    """The press's test modules never name the book or the acceptance suite's built copy of it."""
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == "test_suites.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "conftest"
                    for a in n.names}
        fixtures = {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
        assert "BOOK" not in imported and "real_book" not in fixtures, path.name
