"""The manuscript's images, checked and cleaned before any edition sees them.

Takes an image file; returns a :class:`Checked`: the cleaned bytes the editions use (never the
original file's), what cleaning removed (IMG-005) or why the image cannot be used (IMG-006).
SVG goes through ``press.svgclean`` (an allowlist rewrite). PNG and JPEG are decoded by Pillow
within a pixel limit — the header is read and the size checked before any pixel is, then
``verify()`` (checksums) and a full ``load()`` — and encoded again from the pixels: metadata,
trailing bytes and anything smuggled after the image data are gone; the orientation is applied;
the colour profile stays. Results are cached by the file's content (``.cache/images``), so every
chapter and every edition gets the same bytes for the work of one decode.

``uses(results)`` lists where the chapters use each image (``chapter:line``), so a failure that
shows up late — in WeasyPrint, or a file changed during a build — is reported there too.
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, svgclean

MAX_SVG_MB = 5        # a detailed map is about 1 MB; beyond this an SVG is refused unread
MAX_RASTER_MB = 32    # a full-page photograph at 300 dpi is about 10 MB as JPEG
MAX_PIXELS = 40_000_000  # 7,300 × 5,500: an A3 page at 400 dpi; decoding takes at most 160 MB
MAX_BOOK_PIXELS = 400_000_000  # all the book's images: ten of the largest laid out in 0.9 GiB
OUT_OF_MEMORY = "it is too large to decode within the press's memory limit"
FORMATS = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
MEDIA = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass
class Checked:
    data: bytes | None                  # the cleaned image; None when it cannot be used
    reason: str = ""                    # why it cannot be used
    removed: list[str] = field(default_factory=list)  # what cleaning took out (SVG)
    pixels: int = 0                     # a raster image's width × height (0 for SVG)

    @property
    def ok(self) -> bool:
        return self.data is not None


class ImageError(Exception):
    """An image cannot be used; the message is the reason (for WeasyPrint's log and IMG-006)."""


def _version() -> str:
    import lxml
    import PIL
    h = hashlib.sha256(f"{PIL.__version__}|{lxml.__version__}".encode())
    for module in (__file__, svgclean.__file__):
        h.update(Path(module).read_bytes())
    return h.hexdigest()[:16]


_VERSION: str | None = None


def check(path: Path) -> Checked:
    """The image at ``path``, checked and cleaned (cached by content)."""
    global _VERSION
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        return Checked(None, "the editions show only SVG, PNG and JPEG")
    limit = MAX_SVG_MB if kind == "SVG" else MAX_RASTER_MB
    try:
        size = path.stat().st_size
        if size > limit * 1_000_000:
            return Checked(None, f"the file is {size / 1e6:.1f} MB; an {kind} image may be at most {limit} MB")
        data = path.read_bytes()
    except OSError as e:
        return Checked(None, f"it cannot be read ({e.strerror})")
    _VERSION = _VERSION or _version()
    key = hashlib.sha256(data + f"|{kind}|{_VERSION}".encode()).hexdigest()
    folder = cache.folder("images")
    record_path, bin_path = folder / f"{key}.json", folder / f"{key}.bin"
    if cache.hit(record_path) and (cache.hit(bin_path) or not json.loads(record_path.read_text())["ok"]):
        record = json.loads(record_path.read_text())
        return Checked(bin_path.read_bytes() if record["ok"] else None, record["reason"], record["removed"],
                       record["pixels"])
    result = _clean(data, kind)
    if result.reason == OUT_OF_MEMORY:
        return result  # this machine's trouble, not the file's: not remembered
    if result.ok:
        cache.write(bin_path, result.data)
    cache.write(record_path, json.dumps({"ok": result.ok, "reason": result.reason, "removed": result.removed,
                                         "pixels": result.pixels}))
    return result


def check_bytes(data: bytes, kind: str) -> Checked:
    """An image that is not yet a file of the manuscript (a picture in an author's Word document),
    checked and cleaned as ``check`` would (``kind``: 'SVG', 'PNG' or 'JPEG'; not cached)."""
    limit = MAX_SVG_MB if kind == "SVG" else MAX_RASTER_MB
    if len(data) > limit * 1_000_000:
        return Checked(None, f"it is {len(data) / 1e6:.1f} MB; an {kind} image may be at most {limit} MB")
    return _clean(data, kind)


def _clean(data: bytes, kind: str) -> Checked:
    try:
        if kind == "SVG":
            cleaned, removed = svgclean.clean(data)
            return Checked(cleaned, removed=removed)
        cleaned, pixels = _clean_raster(data, kind)
        return Checked(cleaned, pixels=pixels)
    except (svgclean.Refused, ImageError) as e:
        return Checked(None, str(e))
    except MemoryError:
        return Checked(None, OUT_OF_MEMORY)
    except RecursionError:
        return Checked(None, "it is nested too deeply")


def _clean_raster(data: bytes, kind: str) -> tuple[bytes, int]:
    from PIL import Image, ImageOps
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=["PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"])
            if probe.format != kind:
                raise ImageError(f"it is a {probe.format} file, not {kind} as its name says")
            width, height = probe.size
            if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                raise ImageError(f"it is {width:,} × {height:,} pixels; at most {MAX_PIXELS:,} pixels are allowed")
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=[kind])
            image.load()
            turned = image.getexif().get(0x0112, 1) not in (0, 1)  # EXIF orientation
            upright = ImageOps.exif_transpose(image) if turned else image
    except ImageError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageError(f"it is not a {kind} image (Pillow cannot identify it)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"it has more than {MAX_PIXELS:,} pixels") from None
    except MemoryError:
        raise
    except Exception as e:  # any decoder failure on a hostile file is a reason, not a crash
        raise ImageError(f"it is damaged ({type(e).__name__}: {e})") from None
    out = io.BytesIO()
    image.info.pop("comment", None)  # no text of the file's own travels on
    options = {"icc_profile": image.info.get("icc_profile")} if image.info.get("icc_profile") else {}
    if kind == "JPEG":
        if upright is image:  # unrotated: re-use the file's quantisation, no second generation loss
            upright.save(out, "JPEG", quality="keep", subsampling="keep", **options)
        else:
            upright.save(out, "JPEG", quality=95, **options)
    else:
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
        if "dpi" in image.info:
            options["dpi"] = image.info["dpi"]
        upright.save(out, "PNG", **options)
    return out.getvalue(), width * height


def cleaned(path: Path) -> bytes:
    """The cleaned bytes of the image at ``path`` for an edition; ImageError when it cannot be used."""
    result = check(path)
    if not result.ok:
        raise ImageError(result.reason)
    return result.data


def for_edition(root: Path, rel: str, results) -> bytes:
    """The cleaned bytes of the manuscript's image ``rel`` for a writer; a ManuscriptError with
    IMG-006 at every line that uses it when it cannot be used (it changed since it was checked)."""
    from .book import display_path
    from .rules import ManuscriptError
    try:
        return cleaned(root / rel)
    except ImageError as e:
        raise ManuscriptError(findings_for(rel, str(e), uses(results), display_path(root / rel))) from None


def uses(results) -> dict[str, list[tuple[str, int]]]:
    """Image path (relative to the manuscript) → every (chapter file, line) that shows it."""
    out: dict[str, list[tuple[str, int]]] = {}
    for r in results:
        for rel, line in r.ctx.data.image_uses:
            out.setdefault(rel, []).append((r.chapter.rel, line))
    return out


def findings_for(rel: str, reason: str, where: dict[str, list[tuple[str, int]]], fallback: str) -> list:
    """IMG-006 at every place that uses the image ``rel`` (or at ``fallback`` when none is known)."""
    from .rules import finding
    places = where.get(rel) or [(fallback, 0)]
    return [finding("IMG-006", path, line, src=rel, reason=reason) for path, line in places]
