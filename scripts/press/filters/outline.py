"""Outline, book-wide and last: takes every chapter's final AST, returns it unchanged and leaves
the chapter's sections in ``ctx.data.sections`` — level-2 headings with their level-3 children,
final ids, outside sidebars and pull quotes, not the index's letters — for the EPUB nav, the HTML contents and the checks
that the navigation lists exactly what the manuscript has."""
from __future__ import annotations

import panflute as pf


def _in_box(elem) -> bool:
    """Headings in sidebars are marked "boxed" by the sidebars filter (the div is raw HTML by now)."""
    return "boxed" in elem.classes


def _is_noteref(elem) -> bool:
    return isinstance(elem, pf.Superscript) and any(isinstance(x, pf.Link) and "noteref" in x.classes
                                                    for x in elem.content)


def plain_title(header: pf.Header) -> str:
    """The heading's text without note calls ("Wijkgericht werken", not "Wijkgericht werken7")."""
    return "".join(pf.stringify(c) for c in header.content if not _is_noteref(c)).strip()


def sections(doc: pf.Doc) -> list[dict]:
    out: list[dict] = []
    for block in doc.content:
        if isinstance(block, pf.Header) and block.level in (2, 3) and not _in_box(block) \
                and not block.identifier.endswith("-endnotes-title") and "index-letter" not in block.classes:
            title = plain_title(block)
            block.attributes["data-title"] = title  # the PDF's bookmark label (print.css)
            item = {"id": block.identifier, "title": title, "children": []}
            if block.level == 2 or not out:
                out.append(item)
            else:
                out[-1]["children"].append(item)
    return out


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    for doc, ctx in zip(docs, ctxs):
        ctx.data.sections = sections(doc)
    return docs
