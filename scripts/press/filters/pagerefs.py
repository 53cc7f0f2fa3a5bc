"""Page references: takes every chapter's AST after the xrefs filter, returns them with each
``[…](#id){.pageref}`` link emptied — the text the editor typed inside it ("p. 116") never
reaches a reader — and tagged with the kind of place it points at (``data-ref-kind``: figure,
table, section, chapter or other), from which each edition writes what it shows:

- print: the real page number, from the layout ("p. 86"; CSS ``target-counter``);
- EPUB and HTML: a link whose text names the place in the book's language ("see the figure");
- an offprint: the page in the book, "in *Title*, p. 86", when the place is in another essay.

A cross-reference to the same place in the same paragraph as a page reference is marked
``paged``: print shows the page number once, not "(p. 86) (p. 86)". Reports LINK-008 for a page
reference that does not point at a place in this book (``#id``).
"""
from __future__ import annotations

import panflute as pf

from . import ancestor, elements

KINDS = ("figure", "table", "section", "chapter", "other")


def _kinds(docs: list[pf.Doc], ctxs: list) -> dict[str, str]:
    """Every id in the book → the kind of element that carries it."""
    kinds: dict[str, str] = {}
    for doc, ctx in zip(docs, ctxs):
        kinds[ctx.chapter.id] = "chapter"
        for elem in elements(doc):
            ident = getattr(elem, "identifier", "")
            if not ident or ident in kinds:
                continue
            if isinstance(elem, pf.Figure) or isinstance(elem, pf.Image):
                kinds[ident] = "figure"
            elif isinstance(elem, pf.Table):
                kinds[ident] = "table"
            elif isinstance(elem, pf.Header):
                kinds[ident] = "section"
            else:
                kinds[ident] = "other"
    return kinds


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    kinds = _kinds(docs, ctxs)
    for doc, ctx in zip(docs, ctxs):
        paged: dict[int, set[str]] = {}  # block → targets of its page references
        links = [e for e in elements(doc) if isinstance(e, pf.Link)]
        for link in links:
            if "pageref" not in link.classes:
                continue
            if not link.url.startswith("#") or len(link.url) < 2:
                ctx.report("LINK-008", needle=f"]({link.url}", url=link.url)
                continue
            target = link.url[1:]
            link.content = []
            link.attributes["data-ref-kind"] = kinds.get(target, "other")
            paged.setdefault(id(ancestor(link, pf.Block)), set()).add(target)
        for link in links:
            if "xref" in link.classes and "pageref" not in link.classes \
                    and link.url[1:] in paged.get(id(ancestor(link, pf.Block)), ()):
                link.classes.append("paged")
    return docs
