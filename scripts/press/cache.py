"""The press's cache folder (``PRESS_CACHE``, default ``.cache``): content-addressed files written
atomically (``press.fsio``), safe when threads or processes write the same entry at once.

An entry's modification time says when a build last used it: ``hit()`` touches an entry it finds,
so ``prune()`` can remove the least recently used ones when a long session (``press preview``)
has written more than a bound."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .fsio import write  # noqa: F401 — the cache's writer is the press's one atomic writer

# The content-addressed folders: an entry is found again only while its input is the same, so an
# edit leaves the old one behind. (``pdf`` keeps its own few records: writers/pdfunits.py.)
ENTRIES = ("pandoc", "filtered", "books", "fonts", "images")


def root() -> Path:
    return Path(os.environ.get("PRESS_CACHE", ".cache"))


def folder(name: str) -> Path:
    d = root() / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def hit(path: Path) -> bool:
    """Whether the entry exists; when it does, it is marked as used now (its modification time)."""
    try:
        os.utime(path)
        return True
    except OSError:
        return False


def size(path: Path | None = None) -> int:
    """Bytes in the cache (or in one of its folders), counted file by file."""
    total = 0
    for dirpath, _, files in os.walk(path or root()):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def prune(limit: int, keep_since: float) -> int:
    """Remove the least recently used entries of the content-addressed folders until they hold at
    most ``limit`` bytes together; an entry used at or after ``keep_since`` (a build's start, in
    ``time.time()``'s clock) always stays, so the working set of the current book survives even a
    bound smaller than it. Temporary files an interrupted writer left behind go too. Returns the
    number of bytes removed."""
    entries = []
    for name in ENTRIES:
        d = root() / name
        if not d.is_dir():
            continue
        for entry in os.scandir(d):
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, entry.path, entry.name.startswith(".")))
    removed = 0
    for mtime, nbytes, path, temporary in sorted(entries):
        if temporary and mtime < keep_since:  # left by an interrupted writer (a busy one is newer)
            removed += _remove(path, nbytes)
    total = sum(nbytes for _, nbytes, _, temporary in entries if not temporary)
    for mtime, nbytes, path, temporary in sorted(entries):
        if total <= limit:
            break
        if temporary or mtime >= keep_since:
            continue
        freed = _remove(path, nbytes)
        total -= freed
        removed += freed
    return removed


def _remove(path: str, nbytes: int) -> int:
    try:
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        return 0
    return nbytes
