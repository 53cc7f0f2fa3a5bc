"""The printer's PDF: what the press promises a printer (docs/designers.md, "The print PDF"),
applied to WeasyPrint's output of the book's layout.

- Page boxes. The TrimBox is the page; the BleedBox lies ``--bleed`` (tokens.css, 3 mm) beyond it;
  the MediaBox lies a further ``--slug`` (10 mm) beyond that. print-bleed.css asks WeasyPrint for
  bleed + slug as its CSS ``bleed`` and for ``marks: crop``: WeasyPrint draws each crop mark from
  the media edge halfway towards the trim, so the marks stand in the slug, outside the bleed, on
  the lines of the trim. WeasyPrint puts the BleedBox at most 10 pt beyond the trim whatever the
  CSS says; ``finish`` sets it to the designer's bleed.
- A stable document id: WeasyPrint's PDF/X metadata carries a random one (rewritten with pikepdf).
- The screen file from the same layout: ``cut_to_trim`` leaves only the trimmed page; and the
  printer's file from the screen's (``derive``): the boxes given back, the tags dropped, the
  PDF/X-4 catalogue taken from a one-page file WeasyPrint writes with the book's metadata
  (``template``).
- Page count. Blank leaves (no folio, no running head; crop marks) follow the last page of the
  book, up to a multiple of 4 (``derive``'s ``leaves``): a printer folds sheets of 4, 8 or 16
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


def template(doc, base_url: str, out: str, identifier: bytes) -> None:
    """The printer's file for a one-page document, a blank leaf, with the book's metadata
    (``doc.metadata``): what ``derive`` takes the printer's catalogue (PDF/X-4 metadata, the
    output intent, the document information) and blank leaves from."""
    from .pdfrender import layout_document
    from .printstyle import VARIANT_OPTIONS
    leaf = layout_document(BLANK_LEAF, base_url, "print")
    leaf.metadata = doc.metadata
    leaf.write_pdf(out, pdf_identifier=identifier, finisher=finish, **VARIANT_OPTIONS["print"])
    fixed_document_id(out, identifier)


def derive(screen: str, leaf: str, out: str, leaves: int = 0, check=None) -> None:
    """The printer's file from the screen's: both are written from one layout made with the
    printer's bleed, so the screen's pages are the printer's cut to the trim (``cut_to_trim``) —
    the bleed and the crop marks are in their content, outside the trim. Each page gets back its
    media box (the trim with bleed and slug) and its bleed box, as the leaf's; the tags go (the
    structure tree, each page's and link's place in it: a printer's file is not read aloud); the
    catalogue takes the leaf's metadata (PDF/X-4, with a fixed document id) and output intent, the
    trailer its document information; ``leaves`` blank leaves follow the last page. Saved as PDF 1.6
    (PDF/X-4) with an /ID from the content. Writing the printer's file with WeasyPrint took as long
    as the screen's (1.9 s for this book); this takes a tenth of a second. ``check(pdf)`` is given
    the screen's file as opened, before anything changes (a joined book's page check, splice.check_pages)."""
    import pikepdf

    from ..weasy.splice import copy_in
    tmp = fsio.temp_beside(Path(out))
    try:
        with pikepdf.open(screen) as pdf, pikepdf.open(leaf) as model:
            if check is not None:
                check(pdf)
            first = model.pages[0].obj
            boxes = {k: [float(v) for v in first[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox")}
            media = [m - t for m, t in zip(boxes["/MediaBox"], boxes["/TrimBox"])]
            bleed = [b - t for b, t in zip(boxes["/BleedBox"], boxes["/TrimBox"])]
            root = pdf.Root
            for key in ("/StructTreeRoot", "/MarkInfo", "/ViewerPreferences"):
                if key in root:
                    del root[key]
            for page in pdf.pages:
                obj = page.obj
                trim = [float(v) for v in obj.TrimBox]
                obj.MediaBox = pikepdf.Array([t + d for t, d in zip(trim, media)])
                obj.BleedBox = pikepdf.Array([t + d for t, d in zip(trim, bleed)])
                for key in ("/StructParents", "/Tabs"):
                    if key in obj:
                        del obj[key]
                for annot in obj.get("/Annots", []):
                    for key in ("/StructParent", "/Contents"):
                        if key in annot:
                            del annot[key]
            root.Metadata = pdf.copy_foreign(model.Root.Metadata)
            root.OutputIntents = copy_in(pdf, model.Root.OutputIntents)
            pdf.trailer.Info = copy_in(pdf, model.trailer.Info)
            if leaves:
                blank = pdf.copy_foreign(first)
                for _ in range(leaves):  # one page object each, sharing the leaf's content and resources
                    pdf.pages.append(pikepdf.Page(pdf.make_indirect(pikepdf.Dictionary(dict(blank.items())))))
            pdf.save(tmp, deterministic_id=True, force_version="1.6",
                     object_stream_mode=pikepdf.ObjectStreamMode.generate)
        fsio.publish(tmp, Path(out))
    finally:
        Path(tmp).unlink(missing_ok=True)


def cut_to_trim(document, pdf) -> None:
    """WeasyPrint finisher: pages laid out with the printer's bleed show only the trimmed page
    (MediaBox = TrimBox, no BleedBox) — the screen file, from the same layout."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "TrimBox" in obj:
            obj["MediaBox"] = obj["TrimBox"]
            obj.pop("BleedBox", None)
