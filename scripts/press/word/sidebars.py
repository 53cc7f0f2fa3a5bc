"""Sidebars (``::: sidebar``): boxed stories beside the text.

Import: a text box; paragraphs in a sidebar style (``Kader``, ``Sidebar``, ``Kadertitel``,
``Sidebar Title`` or one the book names in ``word_styles``), consecutive ones forming one box and
a list between them belonging to it; and the box the export wrote (a bookmark around it). Its
title is a heading at its top, a paragraph in a title style, or a short first line set wholly in
bold (in an author's box), and becomes ``###``. Export: a box becomes paragraphs in the reference
document's shaded ``Sidebar`` style, its title in ``Sidebar Title``, all inside a bookmark so the
import finds the whole box again, lists included."""
from __future__ import annotations

import panflute as pf

from . import STYLE, block_lists, group_styled, style_of, unwrap
from .markers import BOX, RANGE

TITLE_STYLES = ("sidebar title", "kadertitel")
TITLE = "press-box-title"  # marks a box's title heading until the headings module has levelled the rest
CLASS = "sidebar"


def _role(ctx, block) -> str | None:
    return ctx.role(style_of(block)) if isinstance(block, pf.Div) and style_of(block) else None


def _flatten(ctx, blocks: list) -> tuple[list, bool]:
    """The box's blocks without their style wrappers; whether the first was a title paragraph."""
    out, titled = [], False
    for k, b in enumerate(blocks):
        if _role(ctx, b) == "sidebar":
            if k == 0 and style_of(b) in TITLE_STYLES:
                titled = True
            out += unwrap(b)
        else:
            out.append(b)
    return out, titled


def _box(ctx, blocks: list, identifier: str = "", exported: bool = False) -> pf.Div:
    blocks, titled = _flatten(ctx, blocks)
    if blocks:
        first = blocks[0]
        if isinstance(first, pf.Header):
            first.level = 3
            first.attributes[TITLE] = "1"
        elif isinstance(first, (pf.Para, pf.Plain)) and (titled or (not exported and _bold_line(first))):
            inlines = list(first.content)
            if not titled:
                inlines = unwrap(inlines[0])
            blocks[0] = pf.Header(*inlines, level=3, attributes={TITLE: "1"})
    ctx.count("sidebars")
    return pf.Div(*blocks, identifier="" if identifier.startswith("press-") else identifier, classes=[CLASS])


def _bold_line(para) -> bool:
    items = [x for x in para.content if not isinstance(x, (pf.Space, pf.SoftBreak))]
    return len(items) == 1 and isinstance(items[0], pf.Strong) and len(pf.stringify(para).split()) <= 12


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def ranges(elem, doc):
        if isinstance(elem, pf.Div) and BOX in elem.classes:
            return _box(ctx, list(elem.content))
        if isinstance(elem, pf.Div) and RANGE in elem.classes and elem.content \
                and (_role(ctx, elem.content[0]) == "sidebar" or elem.identifier.startswith("press-sidebar-")):
            return _box(ctx, list(elem.content), elem.identifier, exported=elem.identifier.startswith("press-"))
        return None

    doc = doc.walk(ranges)
    for lst in block_lists(doc):
        lst[:] = group_styled(list(lst), lambda b: _role(ctx, b), "sidebar", lambda run: _box(ctx, run))
    return doc


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if not (isinstance(elem, pf.Div) and CLASS in elem.classes):
            return None
        blocks = list(elem.content)
        if blocks and isinstance(blocks[0], pf.Header):
            blocks[0] = pf.Div(pf.Para(*blocks[0].content), attributes={STYLE: "Sidebar Title"})
        return pf.Div(*blocks, identifier=elem.identifier or ctx.press_id("sidebar"), attributes={STYLE: "Sidebar"})

    return doc.walk(action)
