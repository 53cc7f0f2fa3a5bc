"""The book's bibliography: with ``bibliography-at: book``, takes every chapter's AST and writes
one bibliography — every work the chapters cite, formatted by pandoc's citeproc in the book's
style and language — into the generated ``bibliography`` chapter at the back (press.book adds
it); the chapters' citations link there (``bibliography-ref-KEY``, see the citations filter).
With either placement, reports CITE-003 (a warning, at the entry's line in the library) for an
entry that no chapter cites.
"""
from __future__ import annotations

import io

import panflute as pf

from .. import pandoc
from ..rules import finding


def _cited(ctxs: list) -> list[str]:
    return list(dict.fromkeys(k for c in ctxs for k in c.data.cites))


def _formatted(ctxs: list) -> tuple[int, str] | None:
    """The bibliography chapter's index and the works the chapters cite as citeproc formats them
    (pandoc's AST as JSON text; cached), or None when the book has no bibliography to write."""
    lib = ctxs[0].book.library if ctxs else None
    target = next((i for i, c in enumerate(ctxs) if c.chapter.generated == "bibliography"), None)
    known = [k for k in _cited(ctxs) if lib is not None and k in lib.keys]
    if target is None or not known:
        return None
    ctx = ctxs[target]
    source = "---\nnocite: |\n  " + ", ".join(f"@{k}" for k in known) + "\n---\n\n::: {#refs}\n:::\n"
    out, _ = pandoc.citeproc(source, lib.pandoc_args(ctx.book.lang), lib.fingerprint, ctx.chapter.rel,
                             reader=pandoc.CITING_READER)  # read and formatted in one run of pandoc
    return target, out


def prepare(ctxs: list) -> None:
    """Run citeproc for the bibliography from the chapters' data alone (their cited keys), so that
    ``run`` finds it cached: the pipeline calls this in a thread while it decodes the chapters' ASTs.
    Its errors are left for ``run``, which meets them again."""
    try:
        _formatted(ctxs)
    except Exception:
        pass


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    lib = ctxs[0].book.library if ctxs else None
    if lib is None:
        return docs
    cited = _cited(ctxs)
    for key, (rel, line) in lib.keys.items():
        if key not in cited:
            ctxs[0].findings.append(finding("CITE-003", rel, line, key=key))
    formatted = _formatted(ctxs)
    if formatted is None:
        return docs
    target, out = formatted
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
