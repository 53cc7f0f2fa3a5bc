"""Tracked changes. pandoc reads them all (``--track-changes=all``) as spans of class
``insertion``, ``deletion``, ``paragraph-insertion`` and ``paragraph-deletion``; a chapter must
not silently take one side. Without a decision the import stops with WORD-001, naming how many
changes and whose; with ``--accept-changes`` insertions stay and deletions go, with
``--reject-changes`` the other way round. A deleted paragraph mark joins its paragraph to the next
one. Import only: the review copies carry no changes."""
from __future__ import annotations

import panflute as pf

from ..rules import ManuscriptError, finding

KINDS = ("insertion", "deletion", "paragraph-insertion", "paragraph-deletion")


def _kind(elem) -> str | None:
    if isinstance(elem, pf.Span):
        return next((c for c in elem.classes if c in KINDS), None)
    return None


def read(doc: pf.Doc, ctx) -> pf.Doc:
    found = []
    doc.walk(lambda e, d: found.append(e) if _kind(e) else None)
    if not found:
        return doc
    if ctx.changes is None:
        authors = sorted({e.attributes.get("author", "") for e in found} - {""})
        raise ManuscriptError([finding("WORD-001", ctx.rel, 0, count=len(found),
                                       authors=", ".join(authors) or "unknown")])
    keep = "insertion" if ctx.changes == "accept" else "deletion"
    joins = []

    def action(elem, doc):
        kind = _kind(elem)
        if kind in ("insertion", "deletion"):
            return list(elem.content) if kind == keep else []
        if kind:
            # a paragraph mark inserted (and rejected) or deleted (and accepted) is gone
            gone = (kind == "paragraph-deletion") == (ctx.changes == "accept")
            block = elem
            while block is not None and not isinstance(block, pf.Block):
                block = block.parent
            if gone and isinstance(block, (pf.Para, pf.Plain)):
                joins.append(block)
            return []
        return None

    doc = doc.walk(action)
    for block in joins:
        siblings = block.container
        i = next((k for k, x in enumerate(siblings) if x is block), None)
        if i is not None and i + 1 < len(siblings) and isinstance(siblings[i + 1], (pf.Para, pf.Plain)):
            block.content.extend(list(siblings[i + 1].content))
            del siblings[i + 1]
    ctx.count(f"tracked changes {ctx.changes}ed", len(found))
    return doc
