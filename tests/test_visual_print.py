"""The fixture book's PDF pages as a reader sees them, compared with approved images
(tests/visual/approved/print-*.png): the title page (and the printer's, with its slug and crop
marks), a spread with a sidebar, a figure, an essay opening, the endnotes, a list. A changed glyph
(a bullet drawn as an "A"), a box pushed to the next page or a moved crop mark fails; review the
written ``.new.png`` and ``.diff.png`` and approve a new look with ``pytest --regen``."""
from __future__ import annotations

import json

import pytest

from press import render
from visual import assert_looks_like

DPI = 60   # small approved images; a glyph that changes still changes dozens of pixels


def _pages(built) -> dict[str, tuple[str, list[int]]]:
    anchors = json.loads((built.dist / "reports" / "pagemap.json").read_text())["anchors"]
    sidebar = anchors["tides"]   # the opening carries the sidebar; its verso is the page before it
    return {
        "title": ("pdf", [anchors["toc"] - 2]),
        "print-title": ("pdf_print", [anchors["toc"] - 2]),
        "sidebar-spread": ("pdf", [sidebar - 1 if sidebar % 2 else sidebar, (sidebar - 1 if sidebar % 2 else sidebar) + 1]),
        "figure": ("pdf", [anchors["fig-tides-diagram"]]),
        "essay-opening": ("pdf", [anchors["harbours"]]),
        "endnotes": ("pdf", [anchors["tides-endnotes-title"]]),
        "list": ("pdf", [anchors["people"]]),
    }


@pytest.mark.parametrize("name", ["title", "print-title", "sidebar-spread", "figure", "essay-opening", "endnotes", "list"])
def test_fixture_book_pages_look_as_approved(fixture_book, regen, name):
    variant, numbers = _pages(fixture_book)[name]
    image = render.spread(render.pages(getattr(fixture_book, variant), numbers, DPI))
    assert_looks_like(image, f"print-{name}", regen)
