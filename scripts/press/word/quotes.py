"""Quotations and pull quotes.

Import: paragraphs in a quotation style (Word's ``Quote``, ``Intense Quote``, ``Block Text``,
``Citaat`` or one the book names) become a block quote (``>``), consecutive ones one quote;
paragraphs in a pull-quote style (``Pull Quote``, ``Streamer``, or the book's) become
``::: pullquote``. Export: pandoc writes block quotes in ``Block Text``; a pull quote goes into the
reference document's ``Pull Quote`` style, inside a bookmark."""
from __future__ import annotations

import panflute as pf

from . import STYLE, block_lists, group_styled, style_of, unwrap
from .markers import RANGE


def _role(ctx, block) -> str | None:
    return ctx.role(style_of(block)) if isinstance(block, pf.Div) and style_of(block) else None


def _content(blocks: list) -> list:
    out = []
    for b in blocks:
        inner = unwrap(b) if isinstance(b, pf.Div) and style_of(b) else [b]
        for x in inner:  # pandoc may already have read the paragraph as a block quote
            out += unwrap(x) if isinstance(x, pf.BlockQuote) else [x]
    return out


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def ranges(elem, doc):
        if isinstance(elem, pf.Div) and RANGE in elem.classes and elem.identifier.startswith("press-pullquote-"):
            ctx.count("pull quotes")
            return pf.Div(*_content(list(elem.content)), classes=["pullquote"])
        return None

    doc = doc.walk(ranges)

    def quote(run):
        ctx.count("quotations")
        return pf.BlockQuote(*_content(run))

    def pull(run):
        ctx.count("pull quotes")
        return pf.Div(*_content(run), classes=["pullquote"])

    for lst in block_lists(doc):
        lst[:] = group_styled(list(lst), lambda b: _role(ctx, b), "pullquote", pull)
        lst[:] = group_styled(list(lst), lambda b: _role(ctx, b), "quote", quote)
    return doc


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Div) and "pullquote" in elem.classes:
            return pf.Div(*elem.content, identifier=elem.identifier or ctx.press_id("pullquote"),
                          attributes={STYLE: "Pull Quote"})
        return None

    return doc.walk(action)
