"""``press docx``: the manuscript as Word documents, for authors to review in their own tool.

    press docx [-m MANUSCRIPT] [-d DIST] [--only ID,ID]

Takes the manuscript; writes ``DIST/docx/<chapter-id>.docx`` for every essay (a chapter with
authors) and ``DIST/docx/<book-slug>.docx`` with the whole book. Each chapter's Markdown is read by
pandoc (the same cached AST the editions start from) and the mapping modules in ``EXPORT`` mark
what Word has no name for (sidebars, pull quotes, queries, pending text, page references); pandoc's
docx writer then writes the document with real Word footnotes, the figures with their alt text
and captions, a language mark on every phrase in another language, the author queries as Word
comments, and the styles of a reference document made from the book's design tokens
(``press.word.reference``). In an essay's document the chapter title is the ``Title`` and its
``##`` sections are ``Heading 1``; in the book's, parts and chapters open with ``Part Title`` and
``Heading 1``. Every file is written under a temporary name and renamed into place
(``press.fsio``); documents of essays that are no longer essays are removed.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
from pathlib import Path

import panflute as pf

from .. import fsio, pandoc
from ..book import Book, Chapter, display_path, load_book
from ..cli import manuscript_options
from ..context import labels_for
from ..design import styles
from ..pandoc import pandoc_path
from ..rules import ManuscriptError, finding
from ..writers.common import build_time
from . import (
    STYLE,
    comments,
    headings,
    indexentries,
    keptspans,
    markers,
    notequeries,
    package,
    pagerefs,
    pending,
    quotes,
    reference,
    sidebars,
)
from .context import ExportContext

SUMMARY = "a Word document per essay and one of the whole book, for review"

EXPORT = [
    headings,   # title, subtitle, authors and the rest of the front matter into the properties
    notequeries,  # queries in notes → comments on the notes' reference marks, bookmarks in the notes
    comments,   # author queries → Word comments (block queries inside a bookmark)
    sidebars,   # ::: sidebar → Sidebar / Sidebar Title paragraphs inside a bookmark
    quotes,     # ::: pullquote → Pull Quote paragraphs inside a bookmark
    pagerefs,   # {.pageref} links → text in the Page Reference style
    pending,    # []{.pending} → the editions' marker in the Pending style
    indexentries,  # [words]{.index} → a bookmark and Word's XE field over it
    keptspans,  # [words]{.cite key=…} and other spans → a bookmark described in a document property
    markers,    # ids longer than Word's bookmarks allow, listed in a document property
]


def chapter_doc(book: Book, ch: Chapter, labels: dict, shared: ExportContext | None = None) -> pf.Doc:
    """A chapter's AST, mapped for Word."""
    doc = pf.load(io.StringIO(json.dumps(pandoc.markdown_to_ast(ch.source or ch.body, ch.rel))))
    ctx = ExportContext(book=book, chapter=ch, labels=labels, root=book.root,
                        date=build_time(book).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if shared is not None:
        ctx.ids, ctx.comments, ctx.notes = shared.ids, shared.comments, shared.notes
    for step in EXPORT:
        doc = step.write(doc, ctx)
    return doc


def _write(doc: pf.Doc, target: Path, book: Book, rel: str, shift: int) -> None:
    buf = io.StringIO()
    pf.dump(doc, buf)
    tmp = fsio.temp_name(target)  # pandoc creates it; removed below whatever happens
    try:
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(build_time(book).timestamp())))
        try:
            proc = subprocess.run([pandoc_path(), *package.pandoc_limits(), "-f", "json", "-t", "docx", "-o", str(tmp),
                                   f"--reference-doc={reference.reference_docx(styles())}",
                                   f"--resource-path={book.root.resolve()}", f"--shift-heading-level-by={shift}"],
                                  input=buf.getvalue().encode("utf-8"), capture_output=True, env=env,
                                  timeout=package.PANDOC_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise ManuscriptError([finding("WORD-005", rel, 0, detail=f"pandoc took longer than "
                                                                       f"{package.PANDOC_TIMEOUT} s")]) from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ManuscriptError([finding("WORD-005", rel, 0, detail="; ".join(detail[-2:]) or "pandoc failed")])
        fsio.publish(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def essays(book: Book) -> list[Chapter]:
    return [ch for ch in book.chapters if ch.authors]


def _styled(style: str, inlines: list) -> pf.Div:
    return pf.Div(pf.Para(*inlines), attributes={STYLE: style})


def book_doc(book: Book, labels: dict) -> pf.Doc:
    """The whole book in one document: parts, chapters with their title blocks, ids made unique."""
    shared = ExportContext(book=book, chapter=None, labels=labels, root=book.root)
    blocks: list = []
    part = None
    seen: set[str] = set()
    kept: dict = {}  # the kept spans' document properties (press.word.keptspans), from every chapter
    for ch in book.chapters:
        if ch.part is not None and ch.part != part:
            blocks.append(_styled("Part Title", [pf.Str(book.parts[ch.part])]))
        part = ch.part
        doc = chapter_doc(book, ch, labels, shared)
        meta = doc.metadata.content
        kept.update({k: v for k, v in meta.items() if k.startswith(keptspans.PREFIX)})
        blocks.append(pf.Header(*(_inl(meta.get("title")) or [pf.Str(ch.title)]), level=1, identifier=ch.id))
        if "subtitle" in meta:
            blocks.append(_styled("Chapter Subtitle", _inl(meta["subtitle"])))
        if ch.authors:
            blocks.append(_styled("Chapter Author", [pf.Str(", ".join(ch.authors))]))
        for elem in _with_ids(doc):
            while elem.identifier in seen:
                elem.identifier += "-2"
            seen.add(elem.identifier)
        blocks += list(doc.content)
    out = pf.Doc(*blocks)
    meta = out.metadata
    meta["title"] = pf.MetaInlines(pf.Str(book.meta["title"]))
    if book.meta.get("subtitle"):
        meta["subtitle"] = pf.MetaInlines(pf.Str(book.meta["subtitle"]))
    meta["author"] = pf.MetaList(*[pf.MetaInlines(pf.Str(a)) for a in book.meta["authors"]])
    meta["lang"] = pf.MetaString(book.lang)
    for k, v in kept.items():
        meta[k] = v
    return out


def _inl(value) -> list:
    return headings.meta_inlines(value) if value is not None else []


def _with_ids(doc: pf.Doc) -> list:
    from ..filters import elements
    return [e for e in elements(doc) if getattr(e, "identifier", "") and isinstance(e, (pf.Block, pf.Span))]


def write(book: Book, folder: Path, only: list[str] | None = None) -> list[Path]:
    """The review documents in ``folder``; returns their paths."""
    labels = labels_for(book.lang)
    chosen = [ch for ch in essays(book) if only is None or ch.id in only]
    written = []
    for ch in chosen:
        target = folder / f"{ch.id}.docx"
        _write(chapter_doc(book, ch, labels), target, book, ch.rel, shift=-1)
        written.append(target)
    if only is None:
        target = folder / f"{book.slug}.docx"
        _write(book_doc(book, labels), target, book, display_path(book.root / "book.yaml"), shift=0)
        written.append(target)
        keep = {p.name for p in written}
        for stale in sorted(folder.glob("*.docx")):
            if stale.name not in keep:
                stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press docx", description=SUMMARY)
    manuscript_options(ap)
    ap.add_argument("--only", help="comma-separated chapter ids (default: every essay and the whole book)")
    args = ap.parse_args(argv)
    book = load_book(args.manuscript)
    only = [c.strip() for c in args.only.split(",") if c.strip()] if args.only else None
    known = {ch.id for ch in essays(book)}
    unknown = sorted(set(only or []) - known)
    if unknown:
        print(f"press docx: not an essay: {', '.join(unknown)} (essays: {', '.join(sorted(known))})")
        return 2
    folder = args.dist / "docx"
    written = write(book, folder, only)
    print(f"Word documents in {folder}/:")
    for path in written:
        print(f"  {path.name:<48} {path.stat().st_size / 1024:6.0f} KB")
    return 0
