"""Figures and images: takes the chapter AST, returns it with every image's alt text made explicit
(the caption doubles as alt text unless ``alt="…"`` is given). Reports IMG-001 (missing file),
IMG-002 (a path leaving the manuscript folder — absolute, ``..``, a URL or a symlink pointing out;
such a file is never read), IMG-003 (unsupported format), IMG-004 (no alt text), and, from
``press.images`` which checks and cleans every image, IMG-005 (an SVG that lost scripts, handlers
or external references) and IMG-006 (an image that cannot be used, with the reason) at every
line that uses the image. Leaves the list of images to copy in ``ctx.data.images`` and where
each is used in ``ctx.data.image_uses`` ([path, line] pairs)."""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import panflute as pf

from .. import images as checker
from . import walk

FORMATS = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def inside(root: Path, src: str) -> Path | None:
    """The file ``src`` names inside ``root``, or None when it would leave the folder."""
    if urlparse(src).scheme or src.startswith(("/", "\\")) or PurePosixPath(src).is_absolute():
        return None
    path = (root / unquote(src))
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return None
    base = root.resolve()
    if resolved != base and base not in resolved.parents:
        return None
    return resolved


def run(doc: pf.Doc, ctx) -> pf.Doc:
    root = ctx.book.root
    images = ctx.data.images
    image_uses = ctx.data.image_uses
    seen: dict[str, int] = {}  # needle → occurrences so far (the nth use of the same path)

    def caption_of(img: pf.Image) -> str:
        parent = img.parent
        while parent is not None and not isinstance(parent, pf.Figure):
            parent = parent.parent
        if isinstance(parent, pf.Figure) and parent.caption:
            return pf.stringify(parent.caption).strip()
        return pf.stringify(img).strip()

    def action(elem, doc):
        if not isinstance(elem, pf.Image):
            return None
        src = elem.url
        needle = f"({src}"
        seen[needle] = seen.get(needle, 0) + 1
        nth = seen[needle]
        path = inside(root, src)
        if path is None:
            ctx.report("IMG-002", needle=needle, src=src)
            return pf.Str(caption_of(elem) or "")
        if path.suffix.lower() not in FORMATS:
            ctx.report("IMG-003", needle=needle, src=src)
        elif not path.is_file():
            ctx.report("IMG-001", needle=needle, src=src)
        else:
            rel = path.relative_to(root.resolve()).as_posix()
            line = ctx.line_of(needle, nth=nth)
            result = checker.check(path)
            if not result.ok:
                ctx.report("IMG-006", line=line, src=rel, reason=result.reason)
            else:
                if result.removed:
                    ctx.report("IMG-005", line=line, src=rel, removed=_listing(result.removed))
                if rel not in images:
                    images.append(rel)
                image_uses.append([rel, line])
        explicit = elem.attributes.pop("alt", "").strip()
        alt = explicit or caption_of(elem)
        if not alt:
            ctx.report("IMG-004", needle=needle, src=src)
        if explicit:  # pandoc writes alt from the image's own inlines
            elem.content = [pf.Str(explicit)]
        return None

    return walk(doc, action)


def _listing(items: list[str], most: int = 12) -> str:
    shown = "; ".join(items[:most])
    return shown + (f"; and {len(items) - most} more" if len(items) > most else "")
