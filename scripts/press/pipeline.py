"""The pipeline: manuscript → AST (pandoc, cached) → filters → HTML fragments for the writers.

This module is the one place that lists the filters, in the order they run. Chapter filters see
one chapter; book filters see all chapters at once (ids must be unique book-wide, links cross
chapters). ``dump`` writes the AST after every filter as JSON, to see what each one did.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import panflute as pf

from . import cache, library, pandoc, stubs, workers
from .book import Book, display_path
from .context import ChapterContext, ChapterData, labels_for
from .filters import (
    bibliography,
    citations,
    dashes,
    divs,
    figures,
    headings,
    ids,
    index,
    limits,
    links,
    notes,
    outline,
    pagerefs,
    pending,
    pullquotes,
    queries,
    sanitize,
    sidebars,
    titleblock,
    xrefs,
)
from .rules import ManuscriptError, finding

CHAPTER_FILTERS = [
    limits,      # oversized tables and notes refused before anything else reads them  SIZE-001/002
    titleblock,  # title and subtitle (front matter or the opening `# Title`) set apart from the body
    sanitize,    # raw HTML cleaned, script/event handlers/javascript: removed      HTML-001
    divs,        # unknown ::: classes flagged                                        DIV-001
    headings,    # heading levels and empty headings                                  HEAD-00x
    citations,   # [@key] formatted by citeproc (in notes or text), the chapter's bibliography  CITE-001
    notes,       # footnotes → numbered endnotes per chapter, pending notes           NOTE-00x
    pending,     # text the source lost, marked in the body                           TEXT-001
    queries,     # author queries: out of every reader's edition, marks in proofs    QUERY-001/002
    dashes,      # a no-break space before a spaced en dash; a spaced hyphen as a dash  TEXT-002
    figures,     # image paths confined to the manuscript, alt text                   IMG-00x
    sidebars,    # ::: sidebar → <aside> named by its title                           DIV-002
    pullquotes,  # ::: pullquote → doc-pullquote, must repeat the text                QUOTE-001
    links,       # external and mailto: addresses well-formed                         LINK-004/005
]
BOOK_FILTERS = [
    bibliography,  # the book's one bibliography (bibliography-at: book), unused entries    CITE-003
    index,       # {.index} marks numbered, the index's entries sorted in the book's language  INDEX-00x
    ids,         # ids unique book-wide, automatic heading ids disambiguated          LINK-002
    xrefs,       # #id links resolved to the chapter that holds the target            LINK-001/003
    pagerefs,    # {.pageref} links emptied, tagged with their target's kind           LINK-008
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
    return pandoc.as_doc(ast)


def _to_json(doc: pf.Doc) -> str:
    return pandoc.as_json(doc)


def _to_ast(doc: pf.Doc) -> dict:
    return json.loads(_to_json(doc))


def _dump(dump_dir: Path | None, ctx: ChapterContext, step: int, name: str, doc: pf.Doc) -> None:
    if dump_dir is None:
        return
    folder = dump_dir / ctx.chapter.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{step:02d}-{name}.json").write_text(json.dumps(_to_ast(doc), ensure_ascii=False, indent=1),
                                                    encoding="utf-8")


def _filters_version() -> str:
    """A hash of the code the chapter filters run: a changed filter invalidates the cache."""
    global _VERSION
    if _VERSION is None:
        h = hashlib.sha256()
        here = Path(__file__).parent
        for path in sorted([*(here / "filters").glob("*.py"), here / "context.py", here / "pipeline.py",
                            here / "images.py", here / "svgclean.py", here / "htmltext.py", here / "stubs.py",
                            *(here / "locales").glob("*.yaml")]):
            h.update(path.read_bytes())
        _VERSION = h.hexdigest()
    return _VERSION


_VERSION = None


def _images(root: Path) -> list:
    """Names and content hashes of the manuscript's non-text files: a chapter's figure checks
    depend on them (read in blocks: a huge file costs time, not memory)."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix.lower() not in (".md", ".yaml", ".txt"):
            with p.open("rb") as fh:
                out.append((p.relative_to(root).as_posix(), hashlib.file_digest(fh, "sha256").hexdigest()))
    return out


def _chapter_key(ctx: ChapterContext, images: list) -> str:
    ch, root = ctx.chapter, ctx.book.root
    library_key = ctx.book.library.fingerprint if ctx.book.library is not None else None
    blob = json.dumps([_filters_version(), pandoc.pandoc_version(), ch.id, ch.source or ch.body, ch.body_line,
                       ctx.book.lang, str(root.resolve()), images, library_key, ch.generated, ctx.proof], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _chapter_record(ctx: ChapterContext, key: str, dump_dir: Path | None) -> str:
    """pandoc and the chapter filters for one chapter, as a JSON record (AST, findings, data),
    cached by the chapter's text, its images and the filters' code: an unchanged chapter costs a
    read. Runs in a worker process when several chapters need the work."""
    path = cache.folder("filtered") / f"{key}.json"
    if dump_dir is None and cache.hit(path):
        return path.read_text(encoding="utf-8")
    doc = _to_doc(pandoc.markdown_to_ast(_markdown(ctx), ctx.chapter.rel, citations=ctx.book.library is not None))
    _dump(dump_dir, ctx, 0, "pandoc", doc)
    for step, flt in enumerate(CHAPTER_FILTERS, 1):
        doc = flt.run(doc, ctx)
        _dump(dump_dir, ctx, step, flt.__name__.rsplit(".", 1)[-1], doc)
    stub = stubs.of(doc)
    # the ASTs as pandoc's JSON text inside the record: the book stage decodes each once, into panflute
    record = json.dumps({"ast": _to_json(doc), "data": ctx.data.to_json(),
                         "findings": [(f.code, f.line, dict(f.fields)) for f in ctx.findings],
                         "stub": _to_json(stub) if stub is not None else None}, ensure_ascii=False)
    cache.write(path, record)
    return record


MAX_BOOK_MB = 3  # the chapters' Markdown in all: this book repeated to 2.99 MB, 1,387 pages, laid out within PDF-004's 2 GiB


def _record_of(ctx: ChapterContext, key: str, dump_dir: Path | None) -> str:
    """The record of ``ctx``'s chapter, made on a fresh context (the caller's gets it applied)."""
    return _chapter_record(ChapterContext(book=ctx.book, chapter=ctx.chapter, labels=ctx.labels, proof=ctx.proof),
                           key, dump_dir)


def _applied(ctx: ChapterContext, record: str) -> dict:
    """A chapter's record read, its findings and data given to its context (the AST not yet decoded)."""
    data = json.loads(record)
    ctx.findings.extend(finding(code, ctx.chapter.rel, line, **fields) for code, line, fields in data["findings"])
    ctx.data = ChapterData.from_json(data["data"])
    return data


def _decoded(data: dict, whole: bool = True) -> pf.Doc:
    """A chapter's filtered AST from its record, or with ``whole`` false its stub (``press.stubs``)
    when it has one."""
    return pandoc.doc_from_json(data["ast"] if whole or data.get("stub") is None else data["stub"])


def _records(ctxs: list[ChapterContext], keys: list[str], dump_dir: Path | None, jobs: int,
             on_forked=None, alongside: tuple | None = None) -> tuple[list, object, object]:
    """Every chapter's record. Chapters that need pandoc and the filters run in forked worker
    processes (the filters are Python: threads would share one core); cached ones are read here.
    ``on_forked()`` runs once no more processes will be forked (a build starts threads there).
    Returns the records, and the pool and future of ``alongside`` when a worker runs it still
    (the caller waits for it and shuts the pool down), else None and None."""
    todo = [i for i, k in enumerate(keys) if dump_dir is not None or not cache.hit(cache.folder("filtered") / f"{k}.json")]
    records: dict[int, str | ManuscriptError] = {}
    pool = beside = None
    if len(todo) > 1 and jobs > 1:
        pool = workers.pool(min(jobs, len(todo)))
        try:
            if on_forked is not None:
                on_forked()
            groups = _groups(todo, [len(_markdown(ctxs[i])) for i in todo], min(jobs, len(todo)))
            futures = [pool.submit(_group_records, [ctxs[i] for i in g], [keys[i] for i in g], dump_dir) for g in groups]
            beside = pool.submit(*alongside) if alongside is not None else None
            for group, future in zip(groups, futures):
                records.update(zip(group, future.result()))
        except BaseException:
            workers.stop(pool)
            raise
        if beside is None:
            pool.shutdown()
            pool = None
    else:
        if on_forked is not None:
            on_forked()
        records = dict(zip(todo, _group_records([ctxs[i] for i in todo], [keys[i] for i in todo], dump_dir)))
    return ([records[i] if i in records else _outcome(lambda i=i: _record_of(ctxs[i], keys[i], dump_dir))
             for i in range(len(keys))], pool, beside)


def _markdown(ctx: ChapterContext) -> str:
    return ctx.chapter.source or ctx.chapter.body


def _groups(items: list[int], sizes: list[int], n: int) -> list[list[int]]:
    """``items`` in ``n`` groups of about equal size in all (the largest first, each to the group
    with least so far), each in the book's order."""
    groups: list[list[int]] = [[] for _ in range(n)]
    totals = [0] * n
    for size, item in sorted(zip(sizes, items), key=lambda p: -p[0]):
        k = totals.index(min(totals))
        groups[k].append(item)
        totals[k] += size
    return [sorted(g) for g in groups if g]


def _group_records(ctxs: list[ChapterContext], keys: list[str], dump_dir: Path | None) -> list:
    """The records of several chapters (``_record_of``), their Markdown read by one pandoc process
    (``pandoc.prefetch``); each a record or the ManuscriptError that stopped it."""
    if ctxs:  # one book: one library, or none
        pandoc.prefetch(markdowns=[_markdown(c) for c in ctxs], citations=ctxs[0].book.library is not None)
    return [_outcome(lambda c=c, k=k: _record_of(c, k, dump_dir)) for c, k in zip(ctxs, keys)]


def _outcome(get):
    """A chapter's record, or the ManuscriptError that stopped it (the other chapters go on)."""
    try:
        return get()
    except ManuscriptError as e:
        return e


def process(book: Book, dump_dir: Path | None = None, jobs: int = 4, on_forked=None, proof: bool = False,
            focus: str | None = None, alongside: tuple | None = None) -> tuple[list[ChapterResult], list]:
    """Run the whole pipeline; returns the chapters' results and every finding (errors included).
    ``on_forked()`` is called once the pipeline has forked whatever worker processes it needs.
    ``alongside``: ``(function, *args)``, picklable, run by the first chapter worker that is free
    (the build's web-font subsets) while this process runs the book filters, a core the pipeline
    would leave idle; waited for before the results are returned, its errors ignored (whatever it
    was to make is made again when it is needed).
    ``proof``: a proofreader's copy, with author queries marked (``press queries``), never an edition.
    ``focus``: the id of the one chapter whose HTML the caller needs (``press preview``'s visible
    page): the book filters read every other chapter as its stub (``press.stubs``), and the other
    results hold no HTML and plain titles; their findings are the chapter filters' only.

    Raises ManuscriptError only when pandoc cannot read a chapter; every other problem is
    returned as a finding, so one run reports them all. ``book`` is left as it was loaded: the
    results hold a derived Book (its library loaded) and Chapters (their titles as the text has them)."""
    total = sum(len((ch.source or ch.body).encode("utf-8")) for ch in book.chapters)
    if total > MAX_BOOK_MB * 1_000_000:
        raise ManuscriptError([finding("SIZE-003", display_path(book.root / "book.yaml"), 0,
                                       size=f"{total / 1e6:.1f}", limit=MAX_BOOK_MB)])
    book = replace(book, library=library.load(book))  # CITE-002/004/005 stop here, before any chapter is read
    labels = labels_for(book.lang)
    ctxs = [ChapterContext(book=book, chapter=ch, labels=labels, proof=proof) for ch in book.chapters]
    images = _images(book.root)
    keys = [_chapter_key(c, images) for c in ctxs]
    book_key = hashlib.sha256(json.dumps([keys, book.meta, book.parts,
                                          [c.chapter.part for c in ctxs]], default=str).encode()).hexdigest()
    book_cache = cache.folder("books") / f"{book_key}.json"
    if dump_dir is None and cache.hit(book_cache):  # nothing in the book changed: a CSS edit costs a read
        for k in keys:  # the chapters' records stay in use (cache.prune keeps what was used last)
            cache.hit(cache.folder("filtered") / f"{k}.json")
        if on_forked is not None:
            on_forked()
        return _restore(book_cache, ctxs)
    records, pool, beside = _records(ctxs, keys, dump_dir, jobs, on_forked, alongside)
    try:
        out = _book_stage(book, ctxs, records, dump_dir, jobs, focus, book_cache)
    except BaseException:
        if pool is not None:
            workers.stop(pool)
        raise
    if pool is not None:
        with contextlib.suppress(Exception):
            beside.result()
        pool.shutdown()
    return out


def _book_stage(book: Book, ctxs: list[ChapterContext], records: list, dump_dir: Path | None, jobs: int,
                focus: str | None, book_cache: Path) -> tuple[list[ChapterResult], list]:
    """The chapters' records applied, the book filters run over them all, each chapter's HTML."""
    failed = [r for r in records if isinstance(r, ManuscriptError)]
    if failed:  # a chapter pandoc could not read: report it with every other chapter's errors
        errors = [f for e in failed for f in e.findings]
        for ctx, record in zip(ctxs, records):
            if isinstance(record, str):
                errors += [f for code, line, fields in json.loads(record)["findings"]
                           if (f := finding(code, ctx.chapter.rel, line, **fields)).severity == "error"]
        raise ManuscriptError(errors)
    if focus is not None and not any(c.chapter.id == focus and not c.chapter.generated for c in ctxs):
        focus = None  # a part page, the front or back matter: the whole pipeline
    whole = [focus is None or ctx.chapter.id == focus or bool(ctx.chapter.generated) for ctx in ctxs]
    applied = [_applied(ctx, record) for ctx, record in zip(ctxs, records)]
    # what a book filter can do from the chapters' data alone (the bibliography's citeproc, a pandoc
    # run) goes on in a thread while the ASTs are decoded
    early = [threading.Thread(target=flt.prepare, args=(ctxs,)) for flt in BOOK_FILTERS if hasattr(flt, "prepare")]
    for thread in early:
        thread.start()
    docs = [_decoded(data, w) for data, w in zip(applied, whole)]
    for thread in early:
        thread.join()
    _image_budget(book, ctxs)
    for step, flt in enumerate(BOOK_FILTERS, len(CHAPTER_FILTERS) + 1):
        docs = flt.run(docs, ctxs)
        for ctx, doc in zip(ctxs, docs):
            _dump(dump_dir, ctx, step, flt.__name__.rsplit(".", 1)[-1], doc)
    texts = [_to_json(doc) if focus is None or ctx.chapter.id == focus else None for doc, ctx in zip(docs, ctxs)]
    wanted = [i for i, t in enumerate(texts) if t is not None]
    batches = _groups(wanted, [len(texts[i]) for i in wanted], max(1, min(jobs, len(wanted))))
    with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:  # one pandoc process per batch
        list(pool.map(lambda batch: pandoc.prefetch(asts=[texts[i] for i in batch]), batches))
    htmls = [pandoc.ast_to_html(t, ctx.chapter.rel) if t is not None else None for t, ctx in zip(texts, ctxs)]
    bodies, titles = [], []
    for ctx, html in zip(ctxs, htmls):
        if html is None:  # a chapter out of focus
            titles.append({"title": ctx.data.title, "subtitle": ctx.data.subtitle, "title_html": escape(ctx.data.title),
                           "subtitle_html": escape(ctx.data.subtitle or "")})
            bodies.append("")
            continue
        title, subtitle, body = titleblock.split(html)
        titles.append({"title": ctx.data.title, "subtitle": ctx.data.subtitle,
                       "title_html": sanitize.clean_fragment(title),
                       "subtitle_html": sanitize.clean_fragment(subtitle) if subtitle else ""})
        bodies.append(sanitize.clean_fragment(body))
    _titled(book, ctxs, titles)
    results = [ChapterResult(ctx, html) for ctx, html in zip(ctxs, bodies)]
    if dump_dir is None and focus is None:
        _store(book_cache, results)
    return results, [f for ctx in ctxs for f in ctx.findings]


def _image_budget(book: Book, ctxs: list[ChapterContext]) -> None:
    """SIZE-005 when the images the book uses have more pixels in all than the editions can take."""
    from . import images
    used = {rel for ctx in ctxs for rel in ctx.data.images}
    pixels = sum(images.check(book.root / rel).pixels for rel in sorted(used))
    if pixels > images.MAX_BOOK_PIXELS:
        raise ManuscriptError([finding("SIZE-005", display_path(book.root / "book.yaml"), 0,
                                       pixels=f"{pixels / 1e6:,.0f}", limit=f"{images.MAX_BOOK_PIXELS / 1e6:,.0f}")])


TITLES = ("title", "subtitle", "title_html", "subtitle_html")  # what the pipeline gives each Chapter


def _titled(book: Book, ctxs: list[ChapterContext], titles: list[dict]) -> None:
    """Each context's chapter derived with its titles as the text has them (``titles``), and a book
    of those chapters for them all: the loaded Book and Chapters stay as they were."""
    for ctx, fields in zip(ctxs, titles):
        ctx.chapter = replace(ctx.chapter, **fields)
    derived = replace(book, chapters=[ctx.chapter for ctx in ctxs])
    for ctx in ctxs:
        ctx.book = derived


def _store(path: Path, results: list[ChapterResult]) -> None:
    record = [{"html": r.html, **{k: getattr(r.chapter, k) for k in TITLES}, "data": r.ctx.data.to_json(),
               "findings": [(f.code, f.line, dict(f.fields), f.path) for f in r.ctx.findings]} for r in results]
    cache.write(path, json.dumps(record, ensure_ascii=False))


def _restore(path: Path, ctxs: list[ChapterContext]) -> tuple[list[ChapterResult], list]:
    record = json.loads(path.read_text(encoding="utf-8"))
    _titled(ctxs[0].book if ctxs else None, ctxs, [{k: rec[k] for k in TITLES} for rec in record])
    results = []
    for ctx, rec in zip(ctxs, record):
        ctx.data = ChapterData.from_json(rec["data"])
        ctx.findings.extend(finding(code, path, line, **fields) for code, line, fields, path in rec["findings"])
        results.append(ChapterResult(ctx, rec["html"]))
    return results, [f for ctx in ctxs for f in ctx.findings]


def errors_of(findings: list) -> list:
    return [f for f in findings if f.severity == "error"]


def require_clean(findings: list) -> None:
    errs = errors_of(findings)
    if errs:
        raise ManuscriptError(errs)
