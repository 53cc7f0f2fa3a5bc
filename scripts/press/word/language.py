"""Phrases in another language. Import: the runs Word marks with another language than most of
the document's text (``docxprep`` marks them ``lang-start:TAG`` … ``lang-end``) become
``[phrase]{lang=TAG}``. Export: nothing to do — pandoc writes a span's ``lang`` as Word's
language mark, and the book's language as the document's."""
from __future__ import annotations

import panflute as pf

from . import inline_lists, is_mark, marks


def read(doc: pf.Doc, ctx) -> pf.Doc:
    for lst in inline_lists(doc):
        if not any(is_mark(x) for x in lst):
            continue
        out, open_tag, held = [], None, []
        for x in list(lst):
            if not is_mark(x):
                (held if open_tag else out).append(x)
                continue
            for m in marks(x):
                if m == "lang-end" and open_tag:
                    out.extend(_span(held, open_tag))
                    ctx.count("phrases in another language")
                    open_tag, held = None, []
                elif m.startswith("lang-start:"):
                    if open_tag:
                        out.extend(_span(held, open_tag))
                    open_tag, held = m.split(":", 1)[1], []
                elif not m.startswith("lang-"):  # another module's mark (an index entry's …) stays
                    (held if open_tag else out).append(pf.Span(pf.Str(f"\u27e6{m}\u27e7"), attributes=dict(x.attributes)))
        if open_tag:
            out.extend(_span(held, open_tag))
        lst[:] = out
    return doc


def _span(inlines: list, tag: str) -> list:
    """The phrase, its spaces outside the span (``[a phrase]{lang=en}``, not ``[a phrase ]``)."""
    inner = list(inlines)
    lead = []
    while inner and isinstance(inner[0], (pf.Space, pf.SoftBreak)):
        lead.append(inner.pop(0))
    trail = []
    while inner and isinstance(inner[-1], (pf.Space, pf.SoftBreak)):
        trail.insert(0, inner.pop())
    if not inner:
        return lead + trail
    return [*lead, pf.Span(*inner, attributes={"lang": tag}), *trail]
