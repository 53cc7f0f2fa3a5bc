"""Sidebars: takes the chapter AST, returns it with every ``::: sidebar`` div turned into an
``<aside class="sidebar">`` named by its first heading (``aria-labelledby``), that title levelled
one below the section it stands in. A box the source prints without a title becomes a plain
``<div class="sidebar">`` (a box, not a landmark, so it needs no name). Reports DIV-002 for an
empty sidebar."""
from __future__ import annotations

import re

import panflute as pf

from . import inside_div, walk


def run(doc: pf.Doc, ctx) -> pf.Doc:
    cid = ctx.chapter.id
    count = [0]
    level = [1]

    def action(elem, doc):
        if isinstance(elem, pf.Header) and not inside_div(elem, {"sidebar"}):
            level[0] = elem.level
        if not (isinstance(elem, pf.Div) and "sidebar" in elem.classes):
            return None
        count[0] += 1
        blocks = list(elem.content)
        title = blocks[0] if blocks and isinstance(blocks[0], pf.Header) else None
        if not blocks:
            ctx.report("DIV-002", needle="sidebar")
            return []
        if title is None:
            attrs = f' id="{elem.identifier}"' if elem.identifier else ""
            return [pf.RawBlock(f'<div class="sidebar untitled"{attrs}>', format="html"), *blocks,
                    pf.RawBlock("</div>", format="html")]
        title.level = min(6, max(level[0], 1) + 1)
        if not title.identifier:
            title.identifier = f"{cid}-sidebar-{count[0]}"
        elif not re.search(r"[{\s]#" + re.escape(title.identifier) + r"[\s}]", ctx.chapter.body):
            # an automatic id: make it unique book-wide now, because aria-labelledby refers to it
            title.identifier = f"{cid}-{title.identifier}"
            if title.identifier == elem.identifier:
                title.identifier += "-title"
        for block in blocks:  # headings in a box belong to the box, not to the chapter's outline
            walk(block, lambda e, d: e.classes.append("boxed") if isinstance(e, pf.Header) else None)
        box_id = elem.identifier or f"{cid}-sidebar-{count[0]}-box"
        open_tag = (f'<aside class="sidebar" id="{box_id}" aria-labelledby="{title.identifier}">')
        return [pf.RawBlock(open_tag, format="html"), *blocks, pf.RawBlock("</aside>", format="html")]

    return walk(doc, action)
