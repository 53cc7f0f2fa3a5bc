"""The book's bibliography: with ``bibliography-at: book``, takes every chapter's AST and writes
one bibliography — every work the chapters cite, formatted by pandoc's citeproc in the book's
style and language — into the generated ``bibliography`` chapter at the back (press.book adds
it); the chapters' citations link there (``bibliography-ref-KEY``, see the citations filter).
With either placement, reports CITE-003 (a warning, at the entry's line in the library) for an
entry that no chapter cites.
"""
from __future__ import annotations

import io
import json

import panflute as pf

from .. import pandoc
from ..rules import finding


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    lib = ctxs[0].book.library if ctxs else None
    if lib is None:
        return docs
    cited = list(dict.fromkeys(k for c in ctxs for k in c.data.cites))
    for key, (rel, line) in lib.keys.items():
        if key not in cited:
            ctxs[0].findings.append(finding("CITE-003", rel, line, key=key))
    target = next((i for i, c in enumerate(ctxs) if c.chapter.generated == "bibliography"), None)
    known = [k for k in cited if k in lib.keys]
    if target is None or not known:
        return docs
    ctx = ctxs[target]
    source = "---\nnocite: |\n  " + ", ".join(f"@{k}" for k in known) + "\n---\n\n::: {#refs}\n:::\n"
    ast = pandoc.markdown_to_ast(source, ctx.chapter.rel, citations=True)
    out, _ = pandoc.citeproc(json.dumps(ast), lib.pandoc_args(ctx.book.lang), lib.fingerprint, ctx.chapter.rel)
    refs = pf.load(io.StringIO(out))
    for block in refs.content:
        if isinstance(block, pf.Div) and block.identifier == "refs":
            block.identifier = "bibliography-refs"
            block.classes.append("bibliography")
            for entry in block.content:
                if isinstance(entry, pf.Div) and entry.identifier.startswith("ref-"):
                    entry.identifier = f"bibliography-{entry.identifier}"
            docs[target].content.append(block)
    return docs
