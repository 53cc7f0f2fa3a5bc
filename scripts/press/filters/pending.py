"""Pending text outside notes: takes the chapter AST, returns it with every ``[]{.pending}`` span
in the body (text the source lost) replaced by a visible marker in the book's language, and
reports TEXT-001 for each. Pending notes are the notes filter's concern; it runs first."""
from __future__ import annotations

import panflute as pf

from . import walk


def run(doc: pf.Doc, ctx) -> pf.Doc:
    marker = ctx.labels["pending_text"]
    count = [0]

    def action(elem, doc):
        if isinstance(elem, pf.Span) and "pending" in elem.classes and not pf.stringify(elem).strip():
            count[0] += 1  # body spans come before the note definitions in the file
            ctx.report("TEXT-001", needle="{.pending}", nth=count[0])
            return pf.Span(pf.Str(marker), classes=["pending"])

    return walk(doc, action)
