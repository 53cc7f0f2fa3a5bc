"""Imported once by the preview's fork server (``jobs.CONTEXT``'s preload), never by the preview
itself: the press, pandoc's wrapper and WeasyPrint are imported, and WeasyPrint lays out one
small page with the book's fonts (fontconfig's cache, Pango, the user agent's stylesheet), so
that every job forked from here starts warm — the visible part of a book is laid out in a
fraction of a second instead of after an import of a second or more. SIGINT is ignored here, so
the jobs forked from this process inherit that: Ctrl-C reaches the preview alone, which stops
its jobs itself (the fork server restores the handlers it found after this import)."""
from __future__ import annotations

import gc
import multiprocessing
import signal
import sys

# Every face and the common elements of a chapter, in the two languages the press's books use:
# each font, its shaping caches and the hyphenation dictionaries are loaded once, here.
_TEXT = ("Het gat tussen denken en doen — “aanhalingen”, ‘enkel’, 1234567890 % & é ë ï ö ü à. "
         "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz. The quick brown fox jumps over the lazy dog.")
_WARM = "".join(
    f'<section class="chapter" lang="{lang}"><h1>{_TEXT}</h1><p class="subtitle">{_TEXT}</p><h2>{_TEXT}</h2>'
    f"<h3>{_TEXT}</h3><p>{_TEXT} <em>{_TEXT}</em> <strong>{_TEXT}</strong> <strong><em>{_TEXT}</em></strong> "
    f"<small>{_TEXT}</small></p><blockquote><p>{_TEXT}</p></blockquote><aside class=\"sidebar\"><h2>{_TEXT}</h2>"
    f"<p>{_TEXT}</p></aside><ol><li>{_TEXT}</li></ol><table><tr><th>{_TEXT}</th><td>{_TEXT}</td></tr></table></section>"
    for lang in ("nl", "en"))


def _warm() -> None:
    from ..writers import pdfrender
    try:
        pdfrender.render_preview(f'<!DOCTYPE html><html lang="en"><body>{_WARM}</body></html>', "file:///")
    except Exception:  # a style mistake shows with the first real job, not here
        pass


def _in_fork_server() -> bool:
    # multiprocessing runs its fork server as `python -c "from multiprocessing.forkserver import main; …"`
    return sys.argv[:1] == ["-c"] and multiprocessing.current_process().name == "MainProcess" \
        and "multiprocessing.forkserver" in sys.modules


if _in_fork_server():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .. import build, pipeline  # noqa: F401 — imported once, here, for every job
    from ..filters import index
    from ..writers import epub, html  # noqa: F401
    from . import tasks  # noqa: F401
    _warm()
    index.collator()
    gc.collect()
    gc.freeze()  # the jobs' collections leave the inherited objects alone (see press.workers)
