"""What the preview page shows of the PDF: the last good build's screen PDF, page by page, with
the units laid out for the preview since (``tasks.visible``) laid over their pages, and PNG
images of those pages rendered on demand by PDFium (``press.render``).

Every page is named by its source (one PDF held in memory, numbered) and its index there, so an
image's address never changes meaning: the page asks for ``/__page/<source>.<index>.png`` and may
cache it for good, and after an update it fetches only the pages whose names changed. Rendered
images are kept in a small cache of bounded size; sources no longer shown are dropped.
"""
from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from .. import render

KEEP_IMAGES = 96  # rendered PNGs kept in memory (a few screens of pages at two widths)
MAX_WIDTH = 2400


@dataclass
class Source:
    id: int
    data: bytes
    sizes: list[tuple[float, float]]
    digest: str = field(default="")


@dataclass
class Overlay:
    unit: str
    seq: int
    source: Source


class Pages:
    """The page list shown, thread-safe: the watch loop changes it, the server's threads read it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pdfium = threading.Lock()  # PDFium is not thread-safe: one rendering at a time
        self.ids = itertools.count(1)
        self.base: Source | None = None
        self.base_seq = 0
        self.units: list[dict] = []
        self.overlays: dict[str, Overlay] = {}
        self.sources: dict[int, Source] = {}
        self.images: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self.entries: list[dict] = []

    def _source(self, data: bytes) -> Source:
        with self.pdfium:
            sizes = render.page_sizes(data)
        return Source(next(self.ids), data, sizes, hashlib.sha256(data).hexdigest())

    def set_base(self, data: bytes | None, units: list[dict], seq: int) -> bool:
        """A good build's PDF (seq: the last change it includes). Overlays of changes it includes
        go. Returns whether anything shown changed."""
        with self.lock:
            same = data is not None and self.base is not None and self.base.digest == hashlib.sha256(data).hexdigest()
            stale = [u for u, o in self.overlays.items() if o.seq <= seq]
            if same and not stale and units == self.units:
                self.base_seq = max(self.base_seq, seq)
                return False
        source = self.base if same else (self._source(data) if data is not None else None)
        with self.lock:
            self.base, self.base_seq, self.units = source, max(self.base_seq, seq), units
            for u in stale:
                del self.overlays[u]
            self._arrange()
        return True

    def drop(self, seq: int) -> bool:
        """A build with changes up to ``seq`` failed: the units laid out for them go (the page
        shows the last good pages under the error)."""
        with self.lock:
            stale = [u for u, o in self.overlays.items() if o.seq <= seq]
            for u in stale:
                del self.overlays[u]
            if stale:
                self._arrange()
            return bool(stale)

    def overlay(self, unit: str, data: bytes, seq: int) -> bool:
        """A unit laid out for the preview (after change ``seq``) over its pages in the book."""
        source = self._source(data)
        with self.lock:
            if seq <= self.base_seq or not any(u["id"] == unit for u in self.units):
                return False
            self.overlays[unit] = Overlay(unit, seq, source)
            self._arrange()
        return True

    def _arrange(self) -> None:
        entries: list[dict] = []
        if self.base is not None:
            pages = [(self.base, i) for i in range(len(self.base.sizes))]
            owner = [None] * len(pages)
            for u in self.units:
                for p in range(u["first"] - 1, min(u["first"] - 1 + u["pages"], len(pages))):
                    owner[p] = u["id"]
            for u in sorted(self.units, key=lambda u: -u["first"]):  # from the back: offsets stay valid
                o = self.overlays.get(u["id"])
                if o is not None:
                    start = u["first"] - 1
                    pages[start:start + u["pages"]] = [(o.source, i) for i in range(len(o.source.sizes))]
                    owner[start:start + u["pages"]] = [u["id"]] * len(o.source.sizes)
            for (source, i), unit in zip(pages, owner):
                w, h = source.sizes[i]
                entries.append({"src": f"{source.id}.{i}", "w": round(w, 2), "h": round(h, 2), "unit": unit,
                                "fresh": source is not self.base})
        self.entries = entries
        self.sources = {s.id: s for s in ([self.base] if self.base else []) + [o.source for o in self.overlays.values()]}

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.entries)

    def unit_at(self, index: int) -> str | None:
        with self.lock:
            return self.entries[index]["unit"] if 0 <= index < len(self.entries) else None

    def png(self, name: str, width: int) -> bytes | None:
        """The page ``<source>.<index>`` as a PNG ``width`` pixels wide; None when it is not shown."""
        try:
            sid, index = (int(x) for x in name.split("."))
        except ValueError:
            return None
        width = max(100, min(MAX_WIDTH, width))
        key = (sid, index, width)
        with self.lock:
            source = self.sources.get(sid)
            if source is None or not 0 <= index < len(source.sizes):
                return None
            if key in self.images:
                self.images.move_to_end(key)
                return self.images[key]
        dpi = 72 * width / source.sizes[index][0]
        with self.pdfium:
            image = render.pages(source.data, [index + 1], dpi=dpi)[0]
        data = render.png_bytes(image, compress_level=1)
        with self.lock:
            self.images[key] = data
            while len(self.images) > KEEP_IMAGES:
                self.images.popitem(last=False)
        return data
