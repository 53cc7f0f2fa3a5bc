"""Page references (``[p. 116](#fig-x){.pageref}``). Export: the link keeps its text — the page
number as the manuscript writes it, since a review copy has pages of its own — set in the
character style ``Page Reference`` so the import knows it again. Import: a link whose text is in
that style is a page reference."""
from __future__ import annotations

import panflute as pf

from . import STYLE, style_of

CLASS, STYLE_NAME = "pageref", "Page Reference"


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Link):
            inner = [x for x in elem.content if not isinstance(x, pf.Space)]
            if inner and all(isinstance(x, pf.Span) and style_of(x) == STYLE_NAME.lower() for x in inner):
                elem.content = [y for x in elem.content for y in (x.content if isinstance(x, pf.Span) else [x])]
                if CLASS not in elem.classes:
                    elem.classes.append(CLASS)
                ctx.count("page references")
        return None

    return doc.walk(action)


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Link) and CLASS in elem.classes:
            elem.content = [pf.Span(*elem.content, attributes={STYLE: STYLE_NAME})]
        return None

    return doc.walk(action)
