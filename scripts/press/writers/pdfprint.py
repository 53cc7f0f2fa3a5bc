"""The printer's PDF: what the press promises a printer (docs/designers.md, "The print PDF"),
applied to WeasyPrint's output of the book's layout.

- Page boxes. The TrimBox is the page; the BleedBox lies ``--bleed`` (tokens.css, 3 mm) beyond it;
  the MediaBox lies a further ``--slug`` (10 mm) beyond that. print-bleed.css asks WeasyPrint for
  bleed + slug as its CSS ``bleed`` and for ``marks: crop``: WeasyPrint draws each crop mark from
  the media edge halfway towards the trim, so the marks stand in the slug, outside the bleed, on
  the lines of the trim. WeasyPrint puts the BleedBox at most 10 pt beyond the trim whatever the
  CSS says; ``finish`` sets it to the designer's bleed.
- A stable document id: WeasyPrint's PDF/X metadata carries a random one.
- Page count. ``with_blank_leaves`` appends blank leaves (no folio, no running head; crop marks)
  after the last page of the book, up to a multiple of 4: a printer folds sheets of 4, 8 or 16
  pages, and says where blanks go when they are left to it. Only a whole book gets them.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from .common import STYLES

MULTIPLE = 4      # the print PDF's page count is a multiple of this
BLANK_LEAF = '<!DOCTYPE html><html><body><div class="blank-leaf"></div></body></html>'
UNITS_PT = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "px": 0.75}


def token_pt(name: str) -> float:
    """A length token of tokens.css (``--bleed``, ``--slug``) in PDF points."""
    text = (STYLES / "tokens.css").read_text(encoding="utf-8")
    found = re.search(rf"{re.escape(name)}\s*:\s*([\d.]+)(mm|cm|in|pt|px)\s*;", text)
    if not found:
        raise ValueError(f"tokens.css has no length {name}")
    return float(found.group(1)) * UNITS_PT[found.group(2)]


def finish(document, pdf) -> None:
    """WeasyPrint finisher for the printer's file: each page's BleedBox at the designer's bleed."""
    bleed = token_pt("--bleed")
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "TrimBox" in obj:
            left, top, right, bottom = (float(v) for v in obj["TrimBox"])
            obj["BleedBox"] = type(obj["TrimBox"])([left - bleed, top - bleed, right + bleed, bottom + bleed])


def with_blank_leaves(doc, base_url: str):
    """The laid-out book with blank leaves after its last page, up to a multiple of MULTIPLE."""
    short = -len(doc.pages) % MULTIPLE
    if not short:
        return doc
    from .pdf import layout_document
    leaf = layout_document(BLANK_LEAF, base_url, "print").pages[0]
    return doc.copy(list(doc.pages) + [leaf] * short)


def fixed_document_id(path: str, identifier: bytes) -> None:
    """WeasyPrint's PDF/X metadata carries a random xmpMM:DocumentID; write one derived from the
    book instead (same length, so every byte offset in the file stays valid)."""
    data = Path(path).read_bytes()
    stable = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, identifier.decode())}".encode()
    fixed = re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, data)
    if fixed != data:  # the second half of the file /ID was a hash of the random version: redo it
        blank = re.sub(rb"(/ID \[\([0-9a-f]{32}\) \()[0-9a-f]{32}", rb"\g<1>" + b"0" * 32, fixed)
        digest = hashlib.md5(blank).hexdigest().encode()
        fixed = re.sub(rb"(/ID \[\([0-9a-f]{32}\) \()[0-9a-f]{32}", rb"\g<1>" + digest, fixed)
        Path(path).write_bytes(fixed)
