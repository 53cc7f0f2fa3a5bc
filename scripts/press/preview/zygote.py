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


def _warm() -> None:
    from ..writers import pdf
    try:
        pdf.render_preview('<!DOCTYPE html><html lang="en"><body><h1>Warm</h1><p>up <em>a</em> '
                           '<strong>page</strong>.</p></body></html>', "file:///")
    except Exception:  # a style mistake shows with the first real job, not here
        pass


def _in_fork_server() -> bool:
    # multiprocessing runs its fork server as `python -c "from multiprocessing.forkserver import main; …"`
    return sys.argv[:1] == ["-c"] and multiprocessing.current_process().name == "MainProcess" \
        and "multiprocessing.forkserver" in sys.modules


if _in_fork_server():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .. import build, pipeline  # noqa: F401 — imported once, here, for every job
    from ..writers import epub, html  # noqa: F401
    from . import tasks  # noqa: F401
    _warm()
    gc.collect()
    gc.freeze()  # the jobs' collections leave the inherited objects alone (see press.workers)
