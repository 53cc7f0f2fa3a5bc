"""A chapter as the book filters see it from another chapter: a small AST (its "stub") that holds,
in the order the filters walk them (``filters.elements``), only what they read across chapters —
each id with the kind of element that carries it, the ids in raw HTML (endnotes, boxes), and the
index marks with their words. The book filters build the same book-wide tables (ids, kinds of
places, index entries) from stubs as from the whole chapters.

Takes a chapter's AST after the chapter filters (``of``); the pipeline keeps the stub in the
chapter's cached record. ``press preview`` lays out the page the designer looks at after an edit:
it runs the book filters over that chapter whole and every other one as its stub, a fraction of
the work, and gets that chapter's HTML exactly as the whole pipeline makes it
(tests/test_pipeline_focus.py compares them for every chapter of the fixture books).
"""
from __future__ import annotations

from html import escape

import panflute as pf

from .filters import elements
from .filters.ids import ID_ELEMENTS
from .htmltext import ids_in


def _placeholder(elem):
    """A block that stands for ``elem`` to the book filters, or None for an element they do not
    read; raises LookupError for an element with an id whose kind a stub cannot stand for."""
    if isinstance(elem, pf.RawBlock):
        ids = ids_in(elem.text)
        return pf.RawBlock("".join(f'<a id="{escape(i)}"></a>' for i in ids), format=elem.format) if ids else None
    if isinstance(elem, pf.Span) and "index" in elem.classes:
        return pf.Plain(pf.Span(pf.Str(pf.stringify(elem)), identifier=elem.identifier, classes=list(elem.classes),
                                attributes=dict(elem.attributes)))
    ident = getattr(elem, "identifier", "")
    if not ident:
        return None
    if isinstance(elem, pf.Header):
        return pf.Header(level=elem.level, identifier=ident, classes=list(elem.classes),
                         attributes=dict(elem.attributes))
    if isinstance(elem, pf.Figure):
        return pf.Figure(identifier=ident)
    if isinstance(elem, pf.Table):
        return pf.Table(pf.TableBody(), identifier=ident)
    if isinstance(elem, pf.Image):
        return pf.Plain(pf.Image(url=elem.url, identifier=ident))
    if isinstance(elem, ID_ELEMENTS):  # to the filters "another place with an id", as a span is
        return pf.Plain(pf.Span(identifier=ident))
    raise LookupError(type(elem).__name__)


def of(doc: pf.Doc) -> pf.Doc | None:
    """The stub of a chapter's AST, or None when it holds an element with an id a stub cannot
    stand for (the chapter is then read whole)."""
    try:
        blocks = [p for p in (_placeholder(e) for e in elements(doc)) if p is not None]
    except LookupError:
        return None
    return pf.Doc(*blocks)
