"""The press's cache folder (``PRESS_CACHE``, default ``.cache``): content-addressed files written
atomically, safe when threads or processes write the same entry at once."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def folder(name: str) -> Path:
    d = Path(os.environ.get("PRESS_CACHE", ".cache")) / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def write(path: Path, data: bytes | str) -> None:
    """Write ``path`` through a unique temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
