"""Outline, book-wide and last: takes every chapter's final AST, returns it unchanged and leaves
the chapter's sections in ``ctx.data["sections"]`` — level-2 headings with their level-3 children,
final ids, outside sidebars and pull quotes — for the EPUB nav, the HTML contents and the checks
that the navigation lists exactly what the manuscript has."""
from __future__ import annotations

import panflute as pf


def _in_box(elem) -> bool:
    p = elem.parent
    while p is not None:
        if isinstance(p, pf.Div) and set(p.classes) & {"sidebar", "pullquote"}:
            return True
        p = p.parent
    return False


def sections(doc: pf.Doc) -> list[dict]:
    out: list[dict] = []
    for block in doc.content:
        if isinstance(block, pf.Header) and block.level in (2, 3) and not _in_box(block) \
                and not block.identifier.endswith("-endnotes-title"):
            item = {"id": block.identifier, "title": pf.stringify(block).strip(), "children": []}
            if block.level == 2 or not out:
                out.append(item)
            else:
                out[-1]["children"].append(item)
    return out


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    for doc, ctx in zip(docs, ctxs):
        ctx.data["sections"] = sections(doc)
    return docs
