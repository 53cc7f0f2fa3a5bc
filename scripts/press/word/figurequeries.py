"""Import: a query on a figure. A block query around a figure reaches Word as a comment over the
whole of the figure's caption (Word keeps no block around a picture); once ``figures`` has made
the figure, such a comment (``comments`` made it a query span) becomes ``::: {.query text="…"}``
around the figure again. Takes and returns the document."""
from __future__ import annotations

import panflute as pf

from .comments import CLASS, _is


def read(doc: pf.Doc, ctx) -> pf.Doc:
    doc.walk(_figure_queries)
    return doc


def _figure_queries(elem, doc):
    if not isinstance(elem, pf.Figure) or elem.caption is None:
        return None
    caption = [b for b in elem.caption.content if isinstance(b, (pf.Plain, pf.Para))]
    if len(caption) != 1 or len(caption[0].content) != 1 or not _is(caption[0].content[0], CLASS):
        return None
    question = caption[0].content[0].attributes.get("text", "")

    def unwrap(x, doc):  # the same query, on the caption and on the image's own copy of it
        if isinstance(x, pf.Span) and _is(x, CLASS) and x.attributes.get("text", "") == question:
            return list(x.content)
        return None

    elem.walk(unwrap)
    return pf.Div(elem, classes=[CLASS], attributes={"text": question})

