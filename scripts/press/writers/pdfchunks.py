"""A clean build's print edition laid out in parallel: the book in chunks, one per worker.

Takes the print HTML and a number of workers; returns the same page map a whole layout returns
(pages, anchors, running heads, page starts) and writes both PDFs — or returns ``None`` when only
a whole layout is right, and the caller lays the book out whole.

The units (press.writers.pdfunits: the front matter, part pages, chapters; each opens on a recto)
are dealt into as many runs of about equal length as there are workers. Each run is laid out as a
document of its own, closed by an element that opens the next recto (its page is dropped), in its
own worker; the chunks settle their page numbers together while they are laid out
(press.weasy.chunks): a chunk reports its page count and anchors when WeasyPrint's rounds have
settled, this process answers with the pages before it and the pages of the anchors it quotes from
other chunks, and the chunk lays out again only the pages whose quoted numbers moved. When every
answer agrees, each chunk makes its running heads and folios and writes its screen PDF, the PDFs
are joined (press.weasy.splice.join), and the printer's PDF is derived from the joined book
(press.writers.pdfprint.derive). A book whose last unit is its index has the index laid out last,
alone, with every page known (as a whole layout does, pdfunits.index_apart).

Nothing here is a guess the reader could see: when a chunk fails, logs a warning, or the rounds
do not settle (``ROUNDS``), the whole book is laid out instead, and the warnings are reported
from that layout.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import sys
import tempfile
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .. import workers
from ..htmltext import fragment
from . import pdfprint, pdfunits
from .indexpages import has_index

MIN_CHARS = 150_000   # a book shorter than this is laid out whole (two layouts cost more than one)
CHUNK_CHARS = 60_000  # no chunk shorter than this on a machine with many cores: each costs a layout's set-up
SWITCH = "PRESS_CHUNKS"  # "off": always one whole layout; "always": chunks whatever the book's length
ROUNDS = 6            # reports per chunk before the chunks are taken not to settle
UNSAFE = ("running(", "element(")
OUT_OF_ROOM = (MemoryError, RecursionError, BrokenProcessPool)  # running elements carry from page to page: one layout only


@dataclass
class Chunk:
    units: list[int]          # indices into the book's units
    html: str                 # the chunk as a document of its own
    ghosts: list[str]         # ids it links to that other chunks (or the index) hold
    closed: bool              # ends with the element that opens the next recto (page dropped)
    nested: str | None        # the first unit's part, when it opens inside one (the outline nests it)


@dataclass
class Layout:
    head: str
    units: list[tuple[str, str]]
    tail: str
    chunks: list[Chunk]
    index: int | None         # the index unit, laid out last; None when the book has none


def plan(html: str, css: str, jobs: int, min_chars: int | None = None) -> Layout | None:
    """The chunks for ``jobs`` workers, or None when the book is laid out whole: one worker, a
    short book, style that a chunk alone cannot lay out as the book does (pdfunits.layout_key
    decides that for units; running elements here), an index that is not the last unit."""
    switch = os.environ.get(SWITCH, "").strip().lower()
    if jobs < 2 or switch == "off" or any(s in css for s in UNSAFE):
        return None
    if switch == "always":
        min_chars = 0
    head, units, tail = pdfunits.split(html)
    if not units:
        return None
    index = None
    if has_index(fragment(units[-1][1])):
        if pdfunits.index_apart(html) is None:
            return None
        index = len(units) - 1
    body = list(range(len(units) if index is None else index))
    sizes = [len(units[i][1]) for i in body]
    if sum(sizes) < (MIN_CHARS if min_chars is None else min_chars) or len(body) < 2:
        return None
    most = len(body) if switch == "always" or min_chars is not None else max(2, sum(sizes) // CHUNK_CHARS)
    runs = _deal(sizes, min(jobs, len(body), most))
    chunks = []
    for k, run in enumerate(runs):
        last = k == len(runs) - 1 and index is None
        text = "".join(f"<!-- press-unit: {units[i][0]} -->\n{units[i][1]}" for i in run)
        ghosts = pdfunits._outside(text)  # ids it links to and does not hold
        chunks.append(Chunk(run, pdfunits._alone(head, text, tail, None, last=last), ghosts, not last,
                            _part_of(units[run[0]][1])))
    return Layout(head, units, tail, chunks, index)


def _deal(sizes: list[int], n: int) -> list[list[int]]:
    """Consecutive runs of the units, ``n`` of them, each as close to an equal share as the unit
    boundaries allow (the front matter is in the first)."""
    total, runs, run, done = sum(sizes), [], [], 0
    for i, size in enumerate(sizes):
        left = len(sizes) - i
        share = total * (len(runs) + 1) / n
        if run and len(runs) < n - 1 and (done + size / 2 > share or left <= n - 1 - len(runs)):
            runs.append(run)
            run = []
        run.append(i)
        done += size
    runs.append(run)
    return runs


def _part_of(body: str) -> str | None:
    """A chapter inside a part: its part's title (from the chapter's data-part-title)."""
    root = fragment(body)
    first = next(iter(root), None)
    if first is not None and "in-part" in (first.get("class") or "").split():
        return first.get("data-part-title") or ""
    return None


def lay_out(layout: Layout, base_url: str, temps: dict[str, Path], identifier: bytes, meanwhile,
            literal_css: str, scratch: Path, when_laid_out=None) -> dict | None:
    """Lay the chunks out in parallel, settle their page numbers, lay the index out, and join the
    pieces into ``temps`` ({"screen": path, "print": path}). Returns the page map (as
    ``pdf._whole`` does), or None: lay the book out whole instead. ``when_laid_out(page map)``
    runs in this process while a worker joins the pieces (the join may still fail: None)."""
    from ..weasy import splice
    from .pdfrender import render_both, render_chunk
    chunks = layout.chunks
    reports = [os.pipe() for _ in chunks]   # chunk → this process
    answers = [os.pipe() for _ in chunks]   # this process → chunk
    work = Path(tempfile.mkdtemp(prefix="chunks-", dir=scratch))
    pool = None
    try:
        # one worker per chunk, all at once (they wait for each other's numbers), and one for the index
        pool = workers.pool(len(chunks) + (layout.index is not None), memory=workers.LAYOUT_MEMORY)
        # each piece writes the screen's file; the printer's is derived from the joined book, with the
        # template the first chunk writes (pdfprint.derive)
        outs = [{"screen": str(work / f"{k}-screen.pdf")} for k in range(len(chunks))]
        outs[0]["leaf"] = str(work / "leaf.pdf")
        futures = [pool.submit(render_chunk, c.html, base_url, outs[k], identifier, c.ghosts,
                               (reports[k][1], answers[k][0]), c.closed)
                   for k, c in enumerate(chunks)]
        meanwhile()  # the workers are forked by now
        settled = _settle(layout, futures, [r for r, _ in reports], [w for _, w in answers])
        if settled is None:
            for future in futures:  # a chunk's error, if one ended in an error: said, and re-raised if fatal
                if future.done() and future.exception() is not None:
                    return _failed(future.exception())
            return None
        anchors, total = settled
        pieces = [outs[k] for k in range(len(chunks))]
        index_future = None
        if layout.index is not None:
            uid, body = layout.units[layout.index]
            html = pdfunits.unit_html(layout.head, body, layout.tail, total + 1, anchors, literal_css, last=True)
            pieces.append({"screen": str(work / "index-screen.pdf")})
            index_future = pool.submit(render_both, html, base_url, pieces[-1], identifier, plain=True)
        try:
            results = [f.result() for f in futures]
            index = index_future.result() if index_future is not None else None
        except Exception as e:
            return _failed(e)
        if index is not None:
            results.append({**index, "shift": total})
        for r in results:  # each piece counted its pages from its first: the book's numbers
            if "failed" not in r:
                r["anchors"] = {k: v + r["shift"] for k, v in r["anchors"].items()}
                if r["starts"] is not None:
                    r["starts"] = {str(int(k) + r["shift"]): v for k, v in r["starts"].items()}
        if any("failed" in r or r["log"] or r["margins"] is None for r in results):
            return None
        nested = [0] + [_nested_pages(layout, c, r) for c, r in zip(chunks[1:], results[1:])]
        nested += [0] * (len(pieces) - len(nested))
        pages = sum(r["pages"] for r in results)
        joining = pool.submit(_join, [p["screen"] for p in pieces], {v: str(p) for v, p in temps.items()}, nested,
                              outs[0]["leaf"], -pages % pdfprint.MULTIPLE)
        merged: dict[str, int] = {}
        for r in results:
            for k, v in r["anchors"].items():
                merged.setdefault(k, v)
        starts = None if any(r["starts"] is None for r in results) else \
            {k: v for r in results for k, v in r["starts"].items()}
        laid = {"pages": pages, "anchors": merged, "starts": starts,
                "margins": [m for r in results for m in r["margins"]], "relaid": None, "chunks": len(chunks)}
        if when_laid_out is not None:
            when_laid_out(laid)  # this process works while a worker joins the pieces
        joining.result()
        pool.shutdown()
        pool = None
        return laid
    except splice.SpliceError:
        return None
    finally:
        for fd in [fd for pair in reports + answers for fd in pair]:
            os.close(fd)
        if pool is not None:
            workers.stop(pool)
        shutil.rmtree(work, ignore_errors=True)


def _join(screens: list[str], temps: dict[str, str], nested: list[int], leaf: str, leaves: int) -> None:
    """The pieces' screen files joined into the book's (runs in a worker process; the first piece's
    catalogue and metadata are the book's, the join writes a deterministic /ID), and the printer's
    file derived from it with ``leaves`` blank leaves after the last page."""
    from ..design import styles
    from ..fonts import postscript_files
    from ..weasy import splice
    deriving = "print" in temps  # the joined file is checked where the printer's is derived from it
    splice.join([Path(s) for s in screens], Path(temps["screen"]), nested, postscript_files(styles()),
                check=not deriving)
    if deriving:
        pdfprint.derive(temps["screen"], leaf, temps["print"], leaves, check=splice.check_pages)


def _failed(error: BaseException) -> None:
    """A chunk's error: out of memory or nesting depth is the whole layout's too (PDF-004, raised);
    anything else is said, and the whole layout does what it can and reports it."""
    if isinstance(error, OUT_OF_ROOM):
        raise error
    print(f"press: laying the book out in chunks failed ({type(error).__name__}: {error}); laying it out whole",
          file=sys.stderr)
    return None


def _settle(layout: Layout, futures, reads: list[int], writes: list[int]) -> tuple[dict[str, int], int] | None:
    """Answer the chunks' reports until every chunk was laid out with the pages before it and the
    pages of the anchors it quotes as they now stand; then tell each it is done (with the named
    strings the chunks before it left). Returns (every anchor's page, the chunks' page count), or
    None after telling them to stop (a chunk failed, or the numbers kept moving)."""
    chunks = layout.chunks
    used = [(0, {g: 0 for g in c.ghosts}) for c in chunks]
    reports: list[dict | None] = [None] * len(chunks)
    buffers = [b""] * len(chunks)
    waiting = set(range(len(chunks)))
    rounds = 0

    def stop():
        for fd in writes:
            _tell(fd, {"abort": True})
        return None
    while True:
        while waiting:
            ready, _, _ = select.select([reads[k] for k in waiting], [], [], 0.2)
            for fd in ready:
                k = reads.index(fd)
                buffers[k] += os.read(fd, 1 << 20)
                while b"\n" in buffers[k]:
                    line, buffers[k] = buffers[k].split(b"\n", 1)
                    message = json.loads(line)
                    if "failed" in message:
                        return stop()
                    reports[k] = message
                    waiting.discard(k)
            if any(futures[k].done() for k in waiting):
                return stop()  # it ended without reporting: an error
        starts, anchors, strings, carried, page = [], {}, {}, [], 1
        for k, c in enumerate(chunks):
            starts.append(page - 1)
            carried.append(dict(strings))
            strings.update(reports[k]["strings"])
            for name, local in reports[k]["anchors"].items():
                anchors.setdefault(name, local + page - 1)
            page += reports[k]["pages"] - (1 if c.closed else 0)
        total = page - 1
        if layout.index is not None:
            anchors.setdefault(layout.units[layout.index][0], total + 1)
        wanted = []
        for k, c in enumerate(chunks):
            if any(g not in anchors for g in c.ghosts):
                return stop()  # a link to an anchor no chunk holds: the whole layout reports it
            wanted.append((starts[k], {g: anchors[g] for g in c.ghosts}))
        again = [k for k in range(len(chunks)) if wanted[k] != used[k]]
        if not again:
            for k, fd in enumerate(writes):
                _tell(fd, {"done": True, "carried": carried[k]})
            return anchors, total
        rounds += 1
        if rounds > ROUNDS:
            return stop()
        for k in again:
            _tell(writes[k], {"shift": wanted[k][0], "ghosts": wanted[k][1]})
            used[k] = wanted[k]
            waiting.add(k)


def _tell(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass  # the chunk has ended


def _nested_pages(layout: Layout, chunk: Chunk, result: dict) -> int:
    """How many of a chunk's first pages belong to chapters of a part opened in an earlier chunk
    (their outline entries go under that part's)."""
    if chunk.nested is None:
        return 0
    for i in chunk.units:
        uid, body = layout.units[i]
        if _part_of(body) is None and uid in result["anchors"]:
            return result["anchors"][uid] - result["shift"] - 1
    return result["pages"]
