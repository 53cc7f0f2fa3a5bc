"""The catalogue's static site and feeds, written into the output folder:

    index.html               every book: cover, title, authors, description
    books/<name>.html        a book's page: cover, description, authors, language, downloads
    books/<name>/            the book's own output folder (EPUB, PDF, HTML edition), as press build left it
    covers/<name>.png        the cover (the editions' cover.svg, else the PDF's first page), and <name>-thumb.png
    opds.xml, opds.json      the OPDS 1.2 and 2.0 feeds (press.catalogue.feeds)

A book appears when its output folder holds editions (a book whose build failed this time keeps
its last good editions, as ``press build`` leaves them). A book taken out of CATALOGUE.yaml is
taken off the site too (``retire``): its page, publication document, covers and editions, once the
feeds no longer list it; ``.catalogue.json`` names the books this output folder holds, so nothing
the catalogue did not write is ever removed. Templates: templates/catalogue/, with
HTML escaping on; labels in the catalogue's language (locales/*.yaml).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

from .. import fsio
from ..book import _load_yaml, read_text
from ..context import labels_for
from ..schema import CATALOGUE_NAME
from . import feeds

COVER_WIDTH, THUMB_WIDTH = 600, 200


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _stamp(path: Path) -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return _iso(int(epoch)) if epoch and epoch.isdigit() else _iso(path.stat().st_mtime)


def _meta(manuscript: Path) -> dict:
    from .. import schema
    rel = str(manuscript / "book.yaml")
    data, _ = _load_yaml(read_text(manuscript / "book.yaml", rel), rel, "BOOK-002")
    return schema.normalise(data, "book.yaml")


def _cover_image(dist: Path, pdf: Path | None):
    """The book's cover as an image: the editions' cover (``html/assets/cover.svg``) drawn by
    WeasyPrint on a page of its own size and rendered by PDFium, or else the PDF's first page."""
    from .. import render
    svg = dist / "html" / "assets" / "cover.svg"
    if svg.is_file():
        import weasyprint
        from lxml import etree
        root = etree.parse(str(svg), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        box = [float(v) for v in (root.get("viewBox") or "0 0 1600 2400").replace(",", " ").split()]
        w, h = box[2], box[3]
        page = (f"<style>@page {{ size: {w}px {h}px; margin: 0 }} img {{ display: block; width: {w}px; "
                f"height: {h}px }}</style><img src='{svg.as_uri()}' alt=''>")
        pdf_bytes = weasyprint.HTML(string=page, base_url=str(svg.parent)).write_pdf()
        return render.pages(pdf_bytes, [1], dpi=72 * COVER_WIDTH / (0.75 * w))[0]  # a CSS px is 0.75 pt
    width_pt = render.page_sizes(pdf)[0][0]
    return render.pages(pdf, [1], dpi=72 * COVER_WIDTH / width_pt)[0]


def _covers(dist: Path, pdf: Path | None, out: Path, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The cover and its thumbnail as PNG (drawn again only when the book's last build is newer)."""
    from PIL import Image

    from .. import render
    cover, thumb = out / "covers" / f"{name}.png", out / "covers" / f"{name}-thumb.png"
    stamp = (dist / ".press-manifest.json").stat().st_mtime
    if not (cover.exists() and thumb.exists() and cover.stat().st_mtime >= stamp):
        image = _cover_image(dist, pdf)
        fsio.write(cover, render.png_bytes(image))
        small = image.resize((THUMB_WIDTH, round(image.height * THUMB_WIDTH / image.width)), Image.LANCZOS)
        fsio.write(thumb, render.png_bytes(small))
    with Image.open(cover) as a, Image.open(thumb) as b:
        return a.size, b.size


def entries(books: list[tuple[str, Path, Path]], out: Path) -> list[dict]:
    """One entry per book with editions: ``books`` are (name, manuscript folder, output folder)."""
    from .runner import editions_in
    found = []
    for name, manuscript, dist in books:
        names = editions_in(dist)
        epub = next((n for n in names if n.endswith(".epub")), None)
        pdf = next((n for n in names if n.endswith(".pdf") and not n.endswith("-print.pdf")), None)
        if not (epub or pdf):
            continue
        try:
            meta = _meta(manuscript)
        except Exception:  # book.yaml broken since its last good build: list it without it
            continue
        rel = os.path.relpath(dist, out).replace(os.sep, "/")
        files = [(k, f"{rel}/{n}") for k, n in (("epub", epub), ("pdf", pdf)) if n]
        entry = {"name": name, "title": meta["title"], "subtitle": meta.get("subtitle"),
                 "authors": list(meta.get("authors") or []), "lang": meta["lang"],
                 "identifier": meta["identifier"], "publisher": meta.get("publisher") or "",
                 "date": meta.get("date"), "description": " ".join((meta.get("description") or "").split()),
                 "files": files, "page": f"books/{name}.html", "opds": f"books/{name}.json",
                 "html": f"{rel}/html/index.html" if "html" in names else None,
                 "updated": _stamp(dist / ".press-manifest.json"), "cover": None, "thumbnail": None}
        if pdf or (dist / "html" / "assets" / "cover.svg").is_file():
            entry["cover_size"], entry["thumbnail_size"] = _covers(dist, dist / pdf if pdf else None, out, name)
            entry["cover"], entry["thumbnail"] = f"covers/{name}.png", f"covers/{name}-thumb.png"
        found.append(entry)
    return sorted(found, key=lambda e: (e["title"].casefold(), e["name"]))


def write(catalogue, books: list[tuple[str, Path, Path]], out: Path) -> list[dict]:
    """The site and both feeds for ``books`` into ``out``; returns the entries listed."""
    from ..writers.common import environment
    found = entries(books, out)
    updated = max((e["updated"] for e in found), default=_iso(0))
    env = environment()
    from .. import l10n
    common = {"catalogue": catalogue, "labels": labels_for(catalogue.lang), "books": found,
              "date": lambda d: l10n.date(d, catalogue.lang) if d else "", "lang": catalogue.lang}
    fsio.write(out / "index.html", env.get_template("catalogue/index.html").render(**common, root=""))
    for entry in found:
        fsio.write(out / entry["page"], env.get_template("catalogue/book.html").render(**common, book=entry, root="../"))
        fsio.write(out / entry["opds"], feeds.publication_document(entry))
    fsio.write(out / "opds.xml", feeds.opds1(catalogue, found, updated))
    fsio.write(out / "opds.json", feeds.opds2(catalogue, found, updated))
    return found


RECORD = ".catalogue.json"  # the names of the books this output folder holds, written by ``retire``


def retire(out: Path, names: list[str]) -> list[str]:
    """Remove what the catalogue wrote for books it no longer names (``names``: every book of
    CATALOGUE.yaml now, built or not): their pages, publication documents, covers and output
    folders. Only books the last run recorded are touched, and only by the paths the catalogue
    gives them. Call it after the feeds are written, which no longer list them. Returns the
    books removed."""
    try:
        before = json.loads((out / RECORD).read_text(encoding="utf-8")).get("books", [])
    except (OSError, ValueError, AttributeError):
        before = []
    gone = sorted({n for n in before if isinstance(n, str) and re.fullmatch(CATALOGUE_NAME, n)} - set(names))
    for name in gone:
        for path in (out / "books" / f"{name}.html", out / "books" / f"{name}.json",
                     out / "covers" / f"{name}.png", out / "covers" / f"{name}-thumb.png"):
            path.unlink(missing_ok=True)
        folder = out / "books" / name
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    fsio.write(out / RECORD, json.dumps({"books": sorted(names)}, indent=1))
    return gone
