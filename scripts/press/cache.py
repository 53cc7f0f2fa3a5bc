"""The press's cache folder (``PRESS_CACHE``, default ``.cache``): content-addressed files written
atomically (``press.fsio``), safe when threads or processes write the same entry at once."""
from __future__ import annotations

import os
from pathlib import Path

from .fsio import write  # noqa: F401 — the cache's writer is the press's one atomic writer


def folder(name: str) -> Path:
    d = Path(os.environ.get("PRESS_CACHE", ".cache")) / name
    d.mkdir(parents=True, exist_ok=True)
    return d
