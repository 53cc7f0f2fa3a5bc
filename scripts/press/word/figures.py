"""Pictures and figures.

Import: every picture in the document is saved under ``images/`` with a name from the chapter's id
(``images/<id>-1.png`` …), or, when the manuscript already has a file with the same bytes, points
at that file. PNG, JPEG and SVG stay as they are; GIF, BMP, TIFF and WebP are converted to PNG;
anything else (Word's EMF/WMF drawings) is saved as it is and the check's IMG-003 asks for a PNG
or SVG. The pictures come from outside, so each goes through the editions' own image checks
(``press.images``: size, pixel count, a full decode, the SVG allowlist) before it is written; one
that fails them stops the import (IMG-006 about the Word document, naming the picture's part).
A picture with a caption paragraph is a figure (the caption is its caption, Word's alt text its
``alt``); one without alt text is reported (WORD-004) and gets an author query, because the press
does not invent a description. Export: pandoc embeds the pictures (the manuscript's
folder is its resource path) with their alt text and captions."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import PurePosixPath

import panflute as pf

from .. import images
from ..filters import ancestor
from . import style_of, unwrap

KEEP = {"png": ".png", "jpeg": ".jpg", "svg": ".svg"}
CONVERT = {"gif", "bmp", "tiff", "webp"}
CHECKED = {"png": "PNG", "jpeg": "JPEG", "svg": "SVG"}  # press.images' names of the kinds it checks


def kind(data: bytes) -> str | None:
    head = data[:512].lstrip()
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(b"<?xml") and b"<svg" in data[:4096] or head.startswith(b"<svg"):
        return "svg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def to_png(data: bytes) -> bytes:
    """A GIF, BMP, TIFF or WebP picture as PNG, decoded within the editions' pixel limit;
    ``images.ImageError`` when it cannot be."""
    import warnings

    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["GIF", "BMP", "TIFF", "WEBP"]) as im:
                width, height = im.size
                if width * height > images.MAX_PIXELS or width <= 0 or height <= 0:
                    raise images.ImageError(f"it is {width:,} × {height:,} pixels; at most "
                                            f"{images.MAX_PIXELS:,} pixels are allowed")
                out = io.BytesIO()
                im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
                return out.getvalue()
    except images.ImageError:
        raise
    except MemoryError:
        raise images.ImageError(images.OUT_OF_MEMORY) from None
    except Exception as e:  # any decoder failure on a file from outside is a reason, not a crash
        raise images.ImageError(f"it is damaged ({type(e).__name__}: {e})") from None


def _store(ctx, url: str) -> str:
    """The manuscript path for the picture pandoc names ``url`` (saved in ``ctx.images``)."""
    data = ctx.media.get(f"word/{url}", ctx.media.get(url))
    if data is None:
        return url
    digest = hashlib.sha256(data).hexdigest()
    if digest in ctx.existing:  # the book's own picture, byte for byte (checked where the book uses it)
        return ctx.existing[digest]
    found = kind(data)
    ext = KEEP.get(found)
    try:
        if found in CONVERT:
            data, ext, found = to_png(data), ".png", "png"
        if ext is not None:
            checked = images.check_bytes(data, CHECKED[found])
            if not checked.ok:
                raise images.ImageError(checked.reason)
    except images.ImageError as e:
        ctx.refused.append((url, str(e)))
        return url
    if ext is None:
        suffix = PurePosixPath(url).suffix.lower()  # a name from the package: letters and digits only
        ext = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"
    digest = hashlib.sha256(data).hexdigest()
    if digest in ctx.existing:
        return ctx.existing[digest]
    n = len(ctx.images) + 1
    path = f"images/{ctx.chapter_id}-{n}{ext}"
    ctx.images[path] = data
    ctx.existing[digest] = path
    return path


def read(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Figure):
            caption = [x for b in _plain_blocks(list(elem.caption.content) if elem.caption else [])
                       for x in b.content]
            elem.caption = pf.Caption(pf.Plain(*caption)) if caption else pf.Caption()
            ctx.count("figures")
            return None
        if not isinstance(elem, pf.Image):
            return None
        elem.url = _store(ctx, elem.url)
        elem.title = ""
        alt = pf.stringify(elem).strip()
        figure = ancestor(elem, pf.Figure)
        if figure is None and isinstance(elem.parent, (pf.Para, pf.Plain)) and len(elem.parent.content) == 1:
            # a picture alone without a caption: its alt text stays alt text, never a caption
            if alt:
                elem.attributes["alt"] = alt
            elem.content = []
        if not alt:
            ctx.report("WORD-004", f"({elem.url})", src=elem.url)
            ctx.queries_after.append((figure or elem.parent, ctx.labels.get("word_alt_query", "")))
        return None

    ctx.queries_after = []
    doc = doc.walk(action)
    for block, question in ctx.queries_after:
        siblings = block.container
        i = next((k for k, x in enumerate(siblings) if x is block), None)
        if i is not None and question:
            siblings.insert(i + 1, pf.Para(pf.Span(classes=["query"], attributes={"text": question})))
    return doc




def _plain_blocks(blocks: list) -> list:
    out = []
    for b in blocks:
        if isinstance(b, pf.Div) and style_of(b):
            out += _plain_blocks(unwrap(b))
        elif isinstance(b, (pf.Para, pf.Plain)):
            out.append(b)
    return out
