"""The book-acceptance suite's fixture: this book (``manuscript/``), built once per test session."""
from __future__ import annotations

import pytest
from conftest import BOOK, Built, _build


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Built:
    dist = tmp_path_factory.mktemp("book-dist")
    _build(BOOK, dist)
    return Built(BOOK, dist, "het-gat-tussen-denken-en-doen")
