"""Dashes: takes the chapter AST and returns it with the space before every spaced en dash made
a no-break space ("de gemeente – als overheidslaag – kan"), so that a dash ends a line and never
starts one, in every edition; reports TEXT-002 for every hyphen that stands between spaces as a
dash ("de gemeente - als overheidslaag - kan"): such a hyphen can end a line on its own and reads
as a word break, and the press does not guess whether it is a dash.

The hyphen is found in the AST (a ``-`` word between spaces or line breaks; code, lists and raw
HTML are not words), its line in the source by the same pattern in the same order."""
from __future__ import annotations

import re

import panflute as pf

from . import walk

GAPS = (pf.Space, pf.SoftBreak, pf.LineBreak)
DASHES = ("\u2013", "\u2014")  # en dash, em dash (spaced, as some styles set it)
NBSP = "\u00a0"
IN_SOURCE = re.compile(r"(?:(?<=\S)[ \t]+|^)-(?=[ \t]+\S|[ \t]*$)")


def _source_lines(ctx) -> list[int]:
    """File lines of the spaced hyphens in the chapter body, in order: not in code (fenced blocks,
    `inline`), not a list item's marker."""
    out, fence = [], None
    for i, text in enumerate(ctx.lines):
        opening = re.match(r"\s*(`{3,}|~{3,})", text)
        if opening and (fence is None or opening.group(1)[0] == fence):
            fence = None if fence else opening.group(1)[0]
            continue
        if fence:
            continue
        text = re.sub(r"`[^`]*`", "", text)
        for m in IN_SOURCE.finditer(text):
            if m.start() == 0 and (not text.strip("- \t") or _list_item(ctx.lines, i)):
                continue
            out.append(ctx.chapter.body_line + i)
    return out


def _list_item(lines: list[str], i: int) -> bool:
    """A line opening with "- " starts a list item unless it continues a paragraph's text."""
    prev = lines[i - 1].strip() if i > 0 else ""
    return not prev or prev.startswith(("- ", "* ", "+ ")) or re.match(r"\d+[.)]\s", prev) is not None


def _binds(gap) -> bool:
    """A space between a word and a dash that a space follows (or that ends the paragraph)."""
    before, dash = gap.prev, gap.next
    if before is None or isinstance(before, GAPS) or not isinstance(dash, pf.Str) or dash.text not in DASHES:
        return False
    return dash.next is None or isinstance(dash.next, GAPS)


def run(doc: pf.Doc, ctx) -> pf.Doc:
    found = [0]

    def action(elem, doc):
        if isinstance(elem, pf.Str) and elem.text == "-":
            before, after = elem.prev, elem.next
            if isinstance(before, GAPS) and (after is None or isinstance(after, GAPS)):
                found[0] += 1
        elif isinstance(elem, (pf.Space, pf.SoftBreak)) and _binds(elem):
            return pf.Str(NBSP)

    walk(doc, action)
    if found[0]:
        lines = _source_lines(ctx)
        for n in range(found[0]):
            ctx.report("TEXT-002", line=lines[n] if n < len(lines) else ctx.chapter.body_line)
    return doc
