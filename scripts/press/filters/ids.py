"""Identifiers, book-wide: takes every chapter's AST, returns them with automatic heading ids that
collide across chapters disambiguated (``aanpak``, ``aanpak-2``) and a registry of every id in
the book (``ctx.data.ids``: id → chapter id; ``ctx.data.ambiguous``: automatic ids that
several headings produced). Reports LINK-002 for an explicit id used twice."""
from __future__ import annotations

import re

import panflute as pf

from ..htmltext import ids_in
from . import elements

ID_ELEMENTS = (pf.Header, pf.Div, pf.Span, pf.Figure, pf.Table, pf.Link, pf.Image, pf.CodeBlock, pf.Code)


GIVEN = re.compile(r"(?<=[{\s])#([^\s}]+)(?=[\s}])")  # "{#aanpak .class}": an id the editor gave


def _given(body: str) -> set[str]:
    """The ids the editor wrote in a chapter's attribute blocks."""
    return set(GIVEN.findall(body))


def _explicit(ctx, ident: str, given: set[str]) -> bool:
    return ident in given or ident.startswith(f"{ctx.chapter.id}-")


def _ids(doc) -> list[tuple]:
    """(element, id) for every id in the chapter, in document order (raw HTML blocks may hold several)."""
    found = []
    for elem in elements(doc):
        if isinstance(elem, pf.RawBlock):  # ids the filters wrote as raw HTML (endnotes, asides)
            found.extend((elem, ident) for ident in ids_in(elem.text))
            continue
        ident = getattr(elem, "identifier", "")
        if ident and isinstance(elem, ID_ELEMENTS):
            found.append((elem, ident))
    return found


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    owner: dict[str, str] = {ctx.chapter.id: ctx.chapter.id for ctx in ctxs}   # id → chapter id
    where: dict[str, str] = {ctx.chapter.id: ctx.chapter.rel for ctx in ctxs}  # explicit id → file
    automatic: set[str] = set()   # ids first given automatically to a heading
    ambiguous: set[str] = set()   # automatic ids that several headings produced

    def explicit(elem, ident, ctx, given):
        if isinstance(elem, pf.Header) and not _explicit(ctx, ident, given):
            return
        if ident in where:
            same = where[ident] == ctx.chapter.rel
            ctx.report("LINK-002", needle="#" + ident, nth=2 if same else 1, id=ident, other=where[ident])
            return
        where[ident] = ctx.chapter.rel
        owner[ident] = ctx.chapter.id

    def auto(elem, ident, ctx, given):
        if not isinstance(elem, pf.Header) or _explicit(ctx, ident, given):
            return
        if ident in owner:  # taken by an explicit id or an earlier heading: make it unique
            if ident in automatic:
                ambiguous.add(ident)
            n = 2
            while f"{ident}-{n}" in owner:
                n += 1
            elem.identifier = f"{ident}-{n}"
        else:
            automatic.add(ident)
        owner[elem.identifier] = ctx.chapter.id

    found = [_ids(doc) for doc in docs]
    givens = [_given(ctx.chapter.body) for ctx in ctxs]
    for visit in (explicit, auto):
        for ids, ctx, given in zip(found, ctxs, givens):
            for elem, ident in ids:
                visit(elem, ident, ctx, given)
    for ctx in ctxs:
        ctx.data.ids = owner
        ctx.data.ambiguous = ambiguous
    return docs
