"""The pipeline: manuscript → AST (pandoc, cached) → filters → HTML fragments for the writers.

This module is the one place that lists the filters, in the order they run. Chapter filters see
one chapter; book filters see all chapters at once (ids must be unique book-wide, links cross
chapters). ``dump`` writes the AST after every filter as JSON, to see what each one did.
"""
from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import panflute as pf

from . import pandoc
from .book import Book
from .context import ChapterContext, labels_for
from .filters import (divs, figures, headings, ids, links, notes, outline, pending, pullquotes, sanitize,
                      sidebars, xrefs)
from .rules import ManuscriptError

CHAPTER_FILTERS = [
    sanitize,    # raw HTML cleaned, script/event handlers/javascript: removed      HTML-001
    divs,        # unknown ::: classes flagged                                        DIV-001
    headings,    # heading levels and empty headings                                  HEAD-00x
    notes,       # footnotes → numbered endnotes per chapter, pending notes           NOTE-00x
    pending,     # text the source lost, marked in the body                           TEXT-001
    figures,     # image paths confined to the manuscript, alt text                   IMG-00x
    sidebars,    # ::: sidebar → <aside> named by its title                           DIV-002
    pullquotes,  # ::: pullquote → doc-pullquote, must repeat the text                QUOTE-001
    links,       # external and mailto: addresses well-formed                         LINK-004/005
]
BOOK_FILTERS = [
    ids,         # ids unique book-wide, automatic heading ids disambiguated          LINK-002
    xrefs,       # #id links resolved to the chapter that holds the target            LINK-001/003
    outline,     # each chapter's sections (h2/h3 outside boxes) for navigation
]


@dataclass
class ChapterResult:
    ctx: ChapterContext
    html: str  # the chapter body as an HTML5 fragment (no title block: templates add it)

    @property
    def chapter(self):
        return self.ctx.chapter


def _to_doc(ast: dict) -> pf.Doc:
    return pf.load(io.StringIO(json.dumps(ast)))


def _to_ast(doc: pf.Doc) -> dict:
    out = io.StringIO()
    pf.dump(doc, out)
    return json.loads(out.getvalue())


def _dump(dump_dir: Path | None, ctx: ChapterContext, step: int, name: str, doc: pf.Doc) -> None:
    if dump_dir is None:
        return
    folder = dump_dir / ctx.chapter.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{step:02d}-{name}.json").write_text(json.dumps(_to_ast(doc), ensure_ascii=False, indent=1),
                                                    encoding="utf-8")


def process(book: Book, dump_dir: Path | None = None, jobs: int = 4) -> tuple[list[ChapterResult], list]:
    """Run the whole pipeline; returns the chapters' results and every finding (errors included).

    Raises ManuscriptError only when pandoc cannot read a chapter; every other problem is
    returned as a finding, so one run reports them all."""
    labels = labels_for(book.lang)
    ctxs = [ChapterContext(book=book, chapter=ch, labels=labels) for ch in book.chapters]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        asts = list(pool.map(lambda c: pandoc.markdown_to_ast(c.chapter.body, c.chapter.rel), ctxs))
    docs = []
    for ctx, ast in zip(ctxs, asts):
        doc = _to_doc(ast)
        _dump(dump_dir, ctx, 0, "pandoc", doc)
        for step, flt in enumerate(CHAPTER_FILTERS, 1):
            doc = flt.run(doc, ctx)
            _dump(dump_dir, ctx, step, flt.__name__.rsplit(".", 1)[-1], doc)
        docs.append(doc)
    for step, flt in enumerate(BOOK_FILTERS, len(CHAPTER_FILTERS) + 1):
        docs = flt.run(docs, ctxs)
        for ctx, doc in zip(ctxs, docs):
            _dump(dump_dir, ctx, step, flt.__name__.rsplit(".", 1)[-1], doc)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        htmls = list(pool.map(lambda dc: pandoc.ast_to_html(_to_ast(dc[0]), dc[1].chapter.rel), zip(docs, ctxs)))
    htmls = [sanitize.clean_fragment(h) for h in htmls]
    findings = [f for ctx in ctxs for f in ctx.findings]
    return [ChapterResult(ctx, html) for ctx, html in zip(ctxs, htmls)], findings


def errors_of(findings: list) -> list:
    return [f for f in findings if f.severity == "error"]


def require_clean(findings: list) -> None:
    errs = errors_of(findings)
    if errs:
        raise ManuscriptError(errs)
