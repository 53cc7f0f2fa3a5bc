"""``press preview``: build, watch the manuscript, styles and templates, and show the book as it
changes, on 127.0.0.1.

Takes a manuscript folder (``-m``) and an output folder (``-d``). Builds once, then watches the
manuscript, ``PRESS_STYLES`` and ``PRESS_TEMPLATES`` with ``watchfiles`` (inotify, no polling);
saves in quick succession — an editor's atomic save, a ``git checkout`` of many files — are one
change. After a change that feeds the PDF, the unit (essay, part page or front matter) the
designer is looking at is laid out alone with the book's page numbers and shown at once; the
whole book follows in the background (the normal incremental build of the editions the change
feeds: a chapter, ``book.yaml``, ``tokens.css``/``base.css`` or ``fonts.yaml`` all of them;
``print.css`` or a print template the PDF; ``html.css`` or an HTML template the HTML edition; after
a failed build the editions that failed too) and replaces it when done (``engine.py``).

The page (``server.py``) shows the PDF's pages as images rendered by PDFium on the server, loaded
as they come near the screen and swapped in place when the server pushes a change (server-sent
events), so the scroll position stays; a button switches to the HTML edition at phone and desktop
widths side by side. A failed build prints its ``file:line: CODE message`` lines in the terminal
and over the last good pages (builds are atomic: the output folder keeps the last good one).
Every job runs in a process of its own and the cache is pruned to ``--cache-mb`` after each build,
so memory and ``.cache`` stay bounded however long it runs; Ctrl-C stops it.

``--once`` builds, asks its own server for /__status once, prints the JSON and exits (0 when the
build was good, 1 otherwise).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import urllib.request

from ..book import display_path as _rel
from ..cli import manuscript_options
from . import jobs
from .engine import Preview, memory  # noqa: F401 — the preview's parts, for tests and the bench
from .server import server
from .watch import Watcher, changed_editions  # noqa: F401

SUMMARY = "build, watch and serve a live preview on 127.0.0.1"


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    from .. import cache
    ap = argparse.ArgumentParser(prog="press preview", description=__doc__.split("\n\n")[0])
    manuscript_options(ap)
    ap.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (a free one if it is taken)")
    ap.add_argument("--only", default="pdf,html", help="editions to keep built (default: pdf,html)")
    ap.add_argument("--cache-mb", type=float, default=64, help="prune the cache to this size after each build")
    ap.add_argument("--once", action="store_true", help="build, answer one status request, exit")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    preview = Preview(args.manuscript, args.dist, [e.strip() for e in args.only.split(",") if e.strip()],
                      cache_limit=int(args.cache_mb * 2**20))
    httpd = server(preview, 0 if args.once else args.port)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    watcher = None
    try:
        if not args.once:  # watching from the start: an edit during the first build is not lost
            watcher = Watcher([preview.manuscript, preview.styles, preview.templates],
                              ignore=[preview.dist, cache.root().resolve()], batches=preview.inbox).start()
        preview.build()
        if args.once:
            with urllib.request.urlopen(url + "__status", timeout=10) as r:
                status = json.loads(r.read())
            status.pop("pages", None)
            print(json.dumps(status))
            return 0 if status["ok"] else 1
        print(f"\npreview: {url}  (watching {_rel(preview.manuscript)}, {_rel(preview.styles)}, "
              f"{_rel(preview.templates)}; Ctrl-C stops)", flush=True)
        while True:
            preview.step(timeout=1.0)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        print("\npreview: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if watcher is not None:
            watcher.stop()
        preview.close()
        jobs.shutdown()
        httpd.shutdown()
        httpd.server_close()
