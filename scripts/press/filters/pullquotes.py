"""Pull quotes: takes the chapter AST, returns it with every ``::: pullquote`` div turned into an
``<aside class="pullquote" role="doc-pullquote">``. A pull quote repeats the text, never adds:
reports QUOTE-001 when its words do not occur in the chapter outside pull quotes."""
from __future__ import annotations

import re

import panflute as pf

from . import walk

QUOTES = str.maketrans({c: "" for c in "‘’“”'\"«»„…"})


def normal(text: str) -> str:
    text = text.translate(QUOTES).lower()
    return " ".join(re.findall(r"\w+", text))


def run(doc: pf.Doc, ctx) -> pf.Doc:
    quotes = []

    def collect(elem, doc):
        if isinstance(elem, pf.Div) and "pullquote" in elem.classes:
            quotes.append(elem)

    walk(doc, collect)
    if not quotes:
        return doc
    body = normal(" ".join(pf.stringify(b) for b in doc.content if b not in quotes))

    def action(elem, doc):
        if not (isinstance(elem, pf.Div) and "pullquote" in elem.classes):
            return None
        text = normal(pf.stringify(elem))
        if text and text not in body:
            shown = pf.stringify(elem).strip()
            ctx.report("QUOTE-001", needle=shown[:30], text=shown[:60])
        attrs = f' id="{elem.identifier}"' if elem.identifier else ""
        return [pf.RawBlock(f'<aside class="pullquote" role="doc-pullquote"{attrs}>', format="html"),
                *elem.content, pf.RawBlock("</aside>", format="html")]

    return walk(doc, action)
