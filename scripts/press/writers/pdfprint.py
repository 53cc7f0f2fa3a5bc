"""The printer's PDF: what the press promises a printer (docs/designers.md, "The print PDF"),
applied to WeasyPrint's output of the book's layout.

- Page boxes. The TrimBox is the page; the BleedBox lies ``--bleed`` (tokens.css, 3 mm) beyond it;
  the MediaBox lies a further ``--slug`` (10 mm) beyond that. print-bleed.css asks WeasyPrint for
  bleed + slug as its CSS ``bleed`` and for ``marks: crop``: WeasyPrint draws each crop mark from
  the media edge halfway towards the trim, so the marks stand in the slug, outside the bleed, on
  the lines of the trim. WeasyPrint puts the BleedBox at most 10 pt beyond the trim whatever the
  CSS says; ``finish`` sets it to the designer's bleed.
- A stable document id: WeasyPrint's PDF/X metadata carries a random one (rewritten with pikepdf).
- The screen file from the same layout: ``cut_to_trim`` leaves only the trimmed page.
- Page count. ``with_blank_leaves`` appends blank leaves (no folio, no running head; crop marks)
  after the last page of the book, up to a multiple of 4: a printer folds sheets of 4, 8 or 16
  pages, and says where blanks go when they are left to it. Only a whole book gets them.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from .. import fsio
from ..design import styles

MULTIPLE = 4      # the print PDF's page count is a multiple of this
BLANK_LEAF = '<!DOCTYPE html><html><body><div class="blank-leaf"></div></body></html>'
UNITS_PT = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "px": 0.75}


def token_pt(name: str) -> float:
    """A length token of tokens.css (``--bleed``, ``--slug``) in PDF points."""
    text = (styles() / "tokens.css").read_text(encoding="utf-8")
    found = (re.findall(rf"{re.escape(name)}\s*:\s*([\d.]+)(mm|cm|in|pt|px)\s*;", text) or [None])[-1]
    if not found:  # the last one counts: a book's own tokens follow the press's (press.design)
        raise ValueError(f"tokens.css has no length {name}")
    return float(found[0]) * UNITS_PT[found[1]]


def finish(document, pdf) -> None:
    """WeasyPrint finisher for the printer's file: each page's BleedBox at the designer's bleed."""
    bleed = token_pt("--bleed")
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "TrimBox" in obj:
            left, top, right, bottom = (float(v) for v in obj["TrimBox"])
            obj["BleedBox"] = type(obj["TrimBox"])([left - bleed, top - bleed, right + bleed, bottom + bleed])


def with_blank_leaves(doc, base_url: str, before: int = 0):
    """The laid-out book with blank leaves after its last page, up to a multiple of MULTIPLE
    (``before``: the book's pages before ``doc``'s, when it is the last piece of the book)."""
    short = -(before + len(doc.pages)) % MULTIPLE
    if not short:
        return doc
    from .pdfrender import layout_document
    leaf = layout_document(BLANK_LEAF, base_url, "print").pages[0]
    return doc.copy(list(doc.pages) + [leaf] * short)


def fixed_document_id(path: str, identifier: bytes) -> None:
    """WeasyPrint's PDF/X metadata carries a random xmpMM:DocumentID (WeasyPrint has no option for
    it; Kozea/WeasyPrint#640): write one derived from the book instead. pikepdf rewrites the file;
    the first half of its /ID (WeasyPrint's ``pdf_identifier``, from the book) stays, the second
    becomes a digest of the content, so the same book gives the same file."""
    import pikepdf
    stable = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, identifier.decode())}"
    tmp = fsio.temp_beside(Path(path))
    try:
        with pikepdf.open(path) as pdf:
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                if "xmpMM:DocumentID" not in meta:
                    return
                meta["xmpMM:DocumentID"] = stable
            pdf.save(tmp, deterministic_id=True)
        fsio.publish(tmp, Path(path))
    finally:
        Path(tmp).unlink(missing_ok=True)


def cut_to_trim(document, pdf) -> None:
    """WeasyPrint finisher: pages laid out with the printer's bleed show only the trimmed page
    (MediaBox = TrimBox, no BleedBox) — the screen file, from the same layout."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "TrimBox" in obj:
            obj["MediaBox"] = obj["TrimBox"]
            obj.pop("BleedBox", None)
