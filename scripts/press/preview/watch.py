"""Watching the manuscript, the styles and the templates: ``watchfiles`` (inotify on Linux, no
polling) in a thread, each batch of changes as one set of paths in a queue.

A batch closes when no event came for ``STEP_MS``, so an editor's atomic save (write a temporary
file, rename it over the real one) and a ``git checkout`` that rewrites many files arrive as one
batch; a temporary file that came and went within the batch is left out, as are editors' backup
and swap files and anything under the output folder or the cache.
"""
from __future__ import annotations

import queue
import threading
from pathlib import Path

import watchfiles

STEP_MS = 60        # quiet time that closes a batch
DEBOUNCE_MS = 1600  # a batch closes after this long even if events keep coming
EDITIONS = ("pdf", "epub", "html")


class Filter(watchfiles.DefaultFilter):
    """watchfiles' default (VCS folders, caches, ``~`` and swap files), plus the output folder
    and the cache when they lie inside a watched folder, and ``.part``/``.tmp`` files."""

    def __init__(self, ignore: list[Path]):
        super().__init__(ignore_paths=[str(p) for p in ignore])

    def __call__(self, change, path: str) -> bool:
        return super().__call__(change, path) and not path.endswith((".part", ".tmp", ".swx"))


def settle(changes: set[tuple[watchfiles.Change, str]]) -> set[Path]:
    """The paths a batch really changed: without files that were added and are gone again (an
    atomic save's temporary file) and without folders that still exist (their files report)."""
    added = {p for c, p in changes if c == watchfiles.Change.added}
    out = set()
    for _, p in changes:
        path = Path(p)
        if path.exists():
            if not path.is_dir():
                out.add(path)
        elif p not in added:
            out.add(path)
    return out


class Watcher:
    """Batches of changed paths (``set[Path]``) in ``self.batches`` until ``stop()``."""

    def __init__(self, roots: list[Path], ignore: list[Path], batches: queue.Queue | None = None):
        self.roots = [r for r in dict.fromkeys(roots) if r.is_dir()]
        self.filter = Filter(ignore)
        self.batches = batches if batches is not None else queue.Queue()
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="press-preview-watch", daemon=True)

    def start(self) -> Watcher:
        self.thread.start()
        self.ready.wait(timeout=10)
        return self

    def _run(self) -> None:
        for changes in watchfiles.watch(*self.roots, watch_filter=self.filter, debounce=DEBOUNCE_MS, step=STEP_MS,
                                        stop_event=self.stopping, rust_timeout=500, yield_on_timeout=True,
                                        raise_interrupt=False):
            self.ready.set()  # the first (empty) batch: the watches are in place
            paths = settle(changes)
            if paths:
                self.batches.put(("changes", paths))

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)


def under(p: Path, base: Path) -> bool:
    try:
        p.relative_to(base)
        return True
    except ValueError:
        return False


def changed_editions(paths: set[Path], manuscript: Path, styles: Path, templates: Path) -> set[str]:
    """Which editions the changed files feed."""
    out: set[str] = set()
    for p in paths:
        if under(p, styles):
            out |= {"html.css": {"html"}, "epub.css": {"epub"}, "print.css": {"pdf"},
                    "print-bleed.css": {"pdf"}}.get(p.name, set(EDITIONS))
        elif under(p, templates):
            top = p.relative_to(templates).parts[0]
            out |= {"html": {"html"}, "print": {"pdf"}}.get(top, set())
            if top == "epub":  # the HTML edition shows the EPUB's cover too
                out |= {"epub", "html"} if p.name == "cover.svg" else {"epub"}
            elif top not in ("html", "print"):
                out |= set(EDITIONS)
        else:
            out |= set(EDITIONS)
    return out
