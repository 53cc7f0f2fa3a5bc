"""Pending text (``[]{.pending}``: words the source lost). Export: the marker the editions print,
in the book's language, set in the character style ``Pending`` (highlighted) so the author sees
what is missing. Import: text in that style is the pending mark again, whatever it says."""
from __future__ import annotations

import panflute as pf

from . import STYLE, style_of

CLASS, STYLE_NAME = "pending", "Pending"


def _in_note(elem) -> bool:
    p = elem.parent
    while p is not None:
        if isinstance(p, pf.Note):
            return True
        p = p.parent
    return False


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Span) and style_of(elem) == STYLE_NAME.lower():
            ctx.count("pending marks")
            return pf.Span(classes=[CLASS])
        return None

    return doc.walk(action)


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Span) and CLASS in elem.classes and not pf.stringify(elem).strip():
            label = ctx.labels["pending_note" if _in_note(elem) else "pending_text"]
            return pf.Span(pf.Str(label), attributes={STYLE: STYLE_NAME})
        return None

    return doc.walk(action)
