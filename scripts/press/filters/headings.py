"""Headings: takes the chapter AST, returns it unchanged, and reports empty headings (HEAD-002),
level-1 headings in a chapter body (HEAD-003) and skipped levels (HEAD-001). The chapter title is
level 1, so the body starts at level 2. Headings inside sidebars are their titles, levelled by the
sidebar filter, and are not checked here."""
from __future__ import annotations

import panflute as pf

from . import elements, inside_div


def run(doc: pf.Doc, ctx) -> pf.Doc:
    prev = 1
    for elem in [e for e in elements(doc) if isinstance(e, pf.Header)]:
        text = pf.stringify(elem).strip()
        needle = "#" * elem.level + " " + text[:30] if text else "#" * elem.level
        if not text:
            ctx.report("HEAD-002", line=ctx.line_matching(rf"^#{{{elem.level}}}\s*(\{{[^}}]*\}})?\s*$"))
            continue
        if inside_div(elem, {"sidebar", "pullquote"}):
            continue
        if elem.level == 1:
            ctx.report("HEAD-003", needle=needle)
        elif elem.level > prev + 1:
            ctx.report("HEAD-001", needle=needle, prev=prev, level=elem.level)
        prev = max(elem.level, 2) if elem.level > 1 else 1
    return doc


