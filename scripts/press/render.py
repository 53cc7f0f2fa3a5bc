"""PDF pages as images, through PDFium (``pypdfium2``) and Pillow: the proofs, the visual tests and
anything else that shows a page as a reader sees it render here. PDFium comes inside the wheel (no
system package, no process per page: a page of this book renders in a few milliseconds, where
``pdftoppm`` started a process for each), and Pillow joins pages into spreads.

Takes a PDF (a file, or its bytes: the preview keeps its pages in memory) and 1-based page numbers;
returns Pillow images (RGB, white paper) or writes a PNG.
"""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from . import fsio


def _open(pdf: Path | bytes):
    import pypdfium2 as pdfium
    return pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))


def pages(pdf_path: Path | bytes, numbers: list[int], dpi: float = 100) -> list[Image.Image]:
    """The pages ``numbers`` (1-based) of ``pdf_path`` at ``dpi``, as RGB images."""
    doc = _open(pdf_path)
    try:
        out = []
        for n in numbers:
            if not 1 <= n <= len(doc):
                raise ValueError(f"page {n} is not in 1–{len(doc)} of {_name(pdf_path)}")
            page = doc[n - 1]
            try:
                bitmap = page.render(scale=dpi / 72, fill_color=(255, 255, 255, 255))
                out.append(bitmap.to_pil().convert("RGB"))
            finally:
                page.close()
        return out
    finally:
        doc.close()


def _name(pdf: Path | bytes) -> str:
    return "the PDF in memory" if isinstance(pdf, bytes) else str(pdf)


def page_count(pdf_path: Path | bytes) -> int:
    doc = _open(pdf_path)
    try:
        return len(doc)
    finally:
        doc.close()


def page_sizes(pdf_path: Path | bytes) -> list[tuple[float, float]]:
    """Every page's width and height in points, as a viewer shows it."""
    doc = _open(pdf_path)
    try:
        return [doc.get_page_size(i) for i in range(len(doc))]
    finally:
        doc.close()


def spread(images: list[Image.Image]) -> Image.Image:
    """Images side by side, tops aligned, on white (a verso and its recto)."""
    if len(images) == 1:
        return images[0]
    width, height = sum(i.width for i in images), max(i.height for i in images)
    out = Image.new("RGB", (width, height), "white")
    x = 0
    for image in images:
        out.paste(image, (x, 0))
        x += image.width
    return out


def png_bytes(image: Image.Image, compress_level: int = 6) -> bytes:
    """PNG data without timestamps or other metadata: the same pixels give the same bytes
    (``compress_level`` 1 is several times quicker to write and a little larger: the preview)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=compress_level)
    return buf.getvalue()


def write_png(pdf_path: Path, numbers: list[int], out: Path, dpi: float = 100) -> None:
    """One PNG of ``numbers`` (several pages side by side, as a spread), written atomically."""
    fsio.write(out, png_bytes(spread(pages(pdf_path, numbers, dpi))))
