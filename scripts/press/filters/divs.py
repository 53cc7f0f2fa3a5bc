"""Fenced divs: takes the chapter AST, returns it unchanged, and reports DIV-001 for every div
whose classes the press does not know (a typo such as ``::: sidbar`` would otherwise vanish
silently into a plain <div>)."""
from __future__ import annotations

import panflute as pf

KNOWN = ("sidebar", "pullquote", "query")


def run(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Div) and elem.classes and not set(elem.classes) & set(KNOWN):
            cls = elem.classes[0]
            ctx.report("DIV-001", needle=cls, cls=cls, known=", ".join(KNOWN))

    doc.walk(action)
    return doc
