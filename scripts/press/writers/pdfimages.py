"""What WeasyPrint may load for the print edition, and what it could not load, as findings.

``fetcher`` is the layout's only way to files: the manuscript's images, cleaned by
``press.images`` (never the files' own bytes), and the faces in fonts.yaml. Anything else — a web
address, ``data:``, another file — is refused, an error in WeasyPrint's log and so a finding,
whatever slipped into the HTML or an SVG. ``log_findings`` turns WeasyPrint's log into findings:
an image it could not load or draw is IMG-006 at every line that uses it, with the reason.
"""
from __future__ import annotations

import re
from pathlib import Path

from .. import fonts, images
from ..book import Book, display_path
from ..rules import finding


def fetcher(base_url: str, styles: Path):
    """A WeasyPrint URL fetcher for a book whose manuscript folder is ``base_url``."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher, URLFetcherResponse
    root = Path(base_url).resolve()
    font_files = {f.path.resolve() for f in fonts.faces(styles) if f.path is not None}

    class BookFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise images.ImageError(f"the press loads nothing from outside the manuscript ({url[:80]})")
            path = Path(unquote(parsed.path)).resolve()
            if path in font_files:
                return URLFetcherResponse(url, path.read_bytes())
            if root not in path.parents or path.suffix.lower() not in images.MEDIA:
                raise images.ImageError("only the manuscript's SVG, PNG and JPEG images are loaded")
            return URLFetcherResponse(url, images.cleaned(path), {"Content-Type": images.MEDIA[path.suffix.lower()]})
    return BookFetcher()


FAILED_IMAGE = re.compile(r"Failed to (?:load|render SVG) image (?:at )?'?(file:[^'\s]*)'?:?\s*(.*)", re.S)


def log_findings(book: Book, messages: list[str], where: dict) -> list:
    """WeasyPrint's warnings as findings: an image it could not load or draw as IMG-006 at every
    line that uses the image (with WeasyPrint's reason), anything else as PDF-001."""
    from urllib.parse import unquote, urlparse
    root, out = book.root.resolve(), []
    for m in messages:
        hit = FAILED_IMAGE.match(m)
        path = Path(unquote(urlparse(hit.group(1)).path)).resolve() if hit else None
        if path is not None and root in path.parents:
            reason = re.sub(r"^(URLFetchingError: )?(ImageError: )?", "", hit.group(2).strip())
            out += images.findings_for(path.relative_to(root).as_posix(), reason or "WeasyPrint could not draw it",
                                       where, display_path(path))
        else:
            out.append(finding("PDF-001", display_path(book.root / "book.yaml"), 0, detail=m))
    return out
