"""Footnotes and endnotes. pandoc reads both as notes and the Markdown writer numbers them
``[^1]`` … in reading order, the text at the end of the file, as the manuscript has them (Word's
endnotes and footnotes alike become the chapter's endnotes). Import: what Word adds around a note's
text (its paragraph style, the empty reference mark and the space after it) goes. Export: pandoc
writes notes as real Word footnotes."""
from __future__ import annotations

import panflute as pf

from . import style_of

# the empty run Word (… Reference) or LibreOffice (… Characters, … Anchor) puts before a note's text
REFERENCE_STYLES = {f"{kind} {what}" for kind in ("footnote", "endnote") for what in ("reference", "characters", "anchor")}


def _clean(blocks: list) -> list:
    out = []
    for b in blocks:
        if isinstance(b, pf.Div) and style_of(b):
            out += _clean(list(b.content))
        else:
            out.append(b)
    first = out[0] if out else None
    if isinstance(first, (pf.Para, pf.Plain)):
        inl = list(first.content)
        while inl and (isinstance(inl[0], pf.Space) or isinstance(inl[0], pf.Span) and not pf.stringify(inl[0])
                       and style_of(inl[0]) in REFERENCE_STYLES):
            inl.pop(0)
        first.content = inl
    return out


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Note):
            elem.content = _clean(list(elem.content))
            ctx.count("notes")
        return None

    return doc.walk(action)
