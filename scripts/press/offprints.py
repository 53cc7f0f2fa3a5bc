"""Offprints: one PDF per essay, the way the firm sends a single essay to a client.

    press offprints [-m MANUSCRIPT] [-d DIST] [--only ID,ID] [-j JOBS]

Takes the manuscript; writes ``DIST/offprints/<chapter-id>.pdf`` for every essay (a chapter with
authors): a title page (book title, essay title, subtitle, authors, publisher), a colophon on its
verso (date, rights, identifier), then the essay opening on a recto with the book's running heads
(verso: the book's title, recto: the essay's) and its own endnotes. Laid out from
``templates/print/offprint.html`` with the print edition's style layers and rendered by the PDF
writer's renderer as a tagged PDF/UA-1 file, the essays in parallel. Every file is written under
a temporary name and renamed into place only when all offprints rendered without a WeasyPrint
warning (PDF-001); a failed run leaves ``DIST/offprints/`` as it was. Returns the exit status.
"""
from __future__ import annotations

import argparse
import hashlib
import os
from html import escape
from pathlib import Path

from . import fonts, fsio, pipeline, workers
from .book import Book, load_book
from .cli import manuscript_options
from .design import styles
from .htmltext import fragment, inner_html, text_of
from .pipeline import ChapterResult
from .rules import ManuscriptError, finding
from .writers import pdfrender, printhtml
from .writers.common import build_time, environment, local_href, mark_blocks, markup, rewrite_links

SUMMARY = "one PDF per essay with its own title page"

TEMPLATE = "print/offprint.html"


def essays(results: list[ChapterResult]) -> list[ChapterResult]:
    """The chapters that get an offprint: those with authors (essays, not front or back matter)."""
    return [r for r in results if r.chapter.authors]


def in_book(book: Book, labels: dict, page: int | None) -> str:
    """"in <cite>Title</cite>, p. 42": where a place in another essay stands in the book."""
    title = f"<cite>{escape(book.meta['title'])}</cite>"
    if page is None:
        return escape(labels["in_book_unpaged"]).replace("{title}", title)
    return escape(labels["in_book"]).replace("{title}", title).format(page=escape(labels["page"]), n=page)


def elsewhere(book: Book, r: ChapterResult, pages: dict[str, int]):
    """The chapter's fragment (``htmltext.fragment``) with each link into another chapter made text
    that names the book, with the page there ("in Het gat…, p. 42"): the offprint does not hold
    its target."""
    root = fragment(r.html)
    for a in list(root.iter("a")):
        chapter, href = a.get("data-chapter"), a.get("href") or ""
        if chapter is None or chapter == r.chapter.id or not href.startswith("#"):
            continue
        where, classes = in_book(book, r.ctx.labels, pages.get(href[1:])), (a.get("class") or "").split()
        text = where if "pageref" in classes else inner_html(a) if "paged" in classes \
            else f"{inner_html(a)} ({where})"  # paged: its page reference follows
        span = fragment(f'<span class="xref-elsewhere">{text}</span>')[0]
        span.tail = a.tail
        a.getparent().replace(a, span)
    return root


def offprint_html(book: Book, r: ChapterResult, pages: dict[str, int] | None = None) -> str:
    """The offprint's HTML: the same chapter markup, block ids and page references as the book;
    ``pages``: the book's page of every id (its page map), for references to other essays."""
    labels = r.ctx.labels

    root = elsewhere(book, r, pages or {})
    rewrite_links(root, r.chapter.id, local_href)
    mark_blocks(root, r.chapter.id)
    body = inner_html(root)
    part = book.parts[r.chapter.part] if r.chapter.part is not None else book.meta["title"]
    return environment().get_template(TEMPLATE).render(
        book=book, meta=book.meta, labels=labels, r=r, keywords=f"{book.meta['title']}, {part}",
        part_title=lambda _: book.meta["title"], body=lambda _: markup(body), label_css=printhtml.label_css(labels),
        modified=build_time(book).strftime("%Y-%m-%dT%H:%M:%SZ"))


def write(book: Book, results: list[ChapterResult], folder: Path, jobs: int = 2,
          only: list[str] | None = None, pages: dict[str, int] | None = None) -> dict[str, dict]:
    """Render the offprints into ``folder``; returns {chapter id: {"path", "pages", "opening"}}.
    Without ``only``, offprints of chapters that are no longer essays are removed."""
    chosen = [r for r in essays(results) if only is None or r.chapter.id in only]
    where = str(book.root / "book.yaml")
    htmls = {r.chapter.id: offprint_html(book, r, pages) for r in chosen}
    lacking = fonts.uncovered(styles(), " ".join(text_of(h) for h in htmls.values()), where)
    if lacking:
        raise ManuscriptError(lacking)
    folder.mkdir(parents=True, exist_ok=True)
    base_url = str(book.root.resolve()) + "/"
    targets = {cid: folder / f"{cid}.pdf" for cid in htmls}
    temps = {cid: fsio.temp_name(p) for cid, p in targets.items()}  # created by WeasyPrint, removed below
    try:
        with workers.running(max(1, min(jobs, len(htmls)))) as pool:
            futures = {cid: pool.submit(pdfrender.render, html, base_url, "screen", str(temps[cid]),
                                        _identifier(book, cid)) for cid, html in htmls.items()}
            outcome = {cid: f.result() for cid, f in futures.items()}
        messages = sorted({f"{cid}: {m}" for cid, o in outcome.items() for m in o["log"]})
        if messages:
            raise ManuscriptError([finding("PDF-001", where, 0, detail=m) for m in messages])
        for cid, path in targets.items():
            fsio.publish(temps[cid], path)
    finally:
        for t in temps.values():
            t.unlink(missing_ok=True)
    if only is None:
        for stale in sorted(folder.glob("*.pdf")):
            if stale.stem not in targets:
                stale.unlink()
    return {cid: {"path": targets[cid], "pages": o["pages"], "opening": o["anchors"].get(cid)}
            for cid, o in outcome.items()}


def _book_pages(args) -> dict[str, int]:
    """The book's page of every id, from its print edition (built first if it is not current)."""
    import json

    from .build import build
    build(args.manuscript, args.dist, ["pdf"], quiet=True, jobs=args.jobs)
    pagemap = json.loads((args.dist / "reports" / "pagemap.json").read_text(encoding="utf-8"))
    return pagemap["anchors"]


def _identifier(book: Book, cid: str) -> bytes:
    return hashlib.sha256(f"{book.meta['identifier']}#{cid}".encode()).hexdigest()[:32].encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press offprints", description=SUMMARY)
    manuscript_options(ap)
    ap.add_argument("--only", help="comma-separated chapter ids (default: every essay)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args(argv)
    book = load_book(args.manuscript)
    only = [c.strip() for c in args.only.split(",") if c.strip()] if args.only else None
    results, findings = pipeline.process(book, jobs=args.jobs)
    pipeline.require_clean(findings)
    known = {r.chapter.id for r in essays(results)}
    unknown = sorted(set(only or []) - known)
    if unknown:
        print(f"press offprints: not an essay: {', '.join(unknown)} (essays: {', '.join(sorted(known))})")
        return 2
    if not known:
        print("press offprints: the book has no essays (chapters with authors); nothing to do")
        return 0
    written = write(book, results, args.dist / "offprints", jobs=args.jobs, only=only, pages=_book_pages(args))
    print(f"Offprints in {args.dist / 'offprints'}/:")
    for info in written.values():
        print(f"  {info['path'].name:<44} {info['pages']:3d} pages, essay from p. {info['opening']}")
    return 0
