"""Proofs that show what changed: the new screen PDF against the one the last ``press proofs`` kept.

    press proofs --since last      (make proofs-diff)

Every ``press proofs`` keeps its PDF and pagination report in ``DIST/proofs-last/`` (``keep``);
``--since last`` first compares the new PDF with that set, page by page, and writes
``DIST/proofs-diff/``:

- ``report.txt`` and ``report.json``: the page count before and after; every part and chapter
  opening that moved (from the two pagination reports); and every page that differs, as
  ``changed`` (its text differs from the same page before), ``moved`` (its text is the same as
  another page's before: content that only moved) or ``pixels`` (the same text, drawn
  differently: a colour, a face, a rule). Pages that are the same in text and pixels are not
  named, so a proofreader checks only the ones listed.
- ``page-NNN.png`` for every page named: before and after side by side, the differing pixels
  tinted red on both (PDFium renders through ``press.render``; Pillow compares and draws).

Pages are compared at ``DPI`` after rendering; text comes from PDFium's text layer.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from . import fsio, render

DPI = 60
THRESHOLD = 24   # a channel differing by more than this counts (anti-aliasing noise stays below)
TINT = (220, 30, 30)


@dataclass
class PageChange:
    page: int             # the page in the new PDF (or in the old one, for a page that is gone)
    kind: str             # changed, moved, pixels, added, removed
    before: int | None    # the page it is compared with
    pixels: int = 0       # how many pixels differ at DPI


def last_folder(dist: Path) -> Path:
    return dist / "proofs-last"


def keep(dist: Path, pdf: Path, pagination: Path) -> None:
    """Keep this proof set for the next ``--since last``."""
    with fsio.atomic_dir(last_folder(dist)) as folder:
        shutil.copyfile(pdf, folder / "book.pdf")
        shutil.copyfile(pagination, folder / "pagination.json")


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, whitespace folded and its folio left out (a page that only moved keeps its
    text but not its number)."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(str(pdf))
    try:
        out = []
        for number, page in enumerate(doc, 1):
            words = page.get_textpage().get_text_range().split()
            if str(number) in words:
                del words[len(words) - 1 - words[::-1].index(str(number))]
            out.append(" ".join(words))
            page.close()
        return out
    finally:
        doc.close()


def difference(old: Image.Image, new: Image.Image) -> Image.Image:
    """A mask ('L') of the pixels that differ between two renderings (sizes may differ)."""
    size = (max(old.width, new.width), max(old.height, new.height))
    a, b = (Image.new("RGB", size, "white"), Image.new("RGB", size, "white"))
    a.paste(old, (0, 0))
    b.paste(new, (0, 0))
    diff = ImageChops.difference(a, b).convert("L")
    return diff.point(lambda v: 255 if v > THRESHOLD else 0)


def highlighted(image: Image.Image, mask: Image.Image) -> Image.Image:
    """The page with its own ink where the two renderings differ drawn in red, on a faint red
    ground over the region that changed: what is new on the right, what went on the left."""
    mask = mask.crop((0, 0, image.width, image.height))
    ink = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    own = ImageChops.multiply(mask, ink)
    ground = mask.filter(ImageFilter.MaxFilter(9))
    out = Image.composite(Image.blend(image, Image.new("RGB", image.size, TINT), 0.12), image, ground)
    return Image.composite(Image.new("RGB", image.size, TINT), out, own)


def compare(old_pdf: Path, new_pdf: Path) -> list[PageChange]:
    old_text, new_text = page_texts(old_pdf), page_texts(new_pdf)
    where_before: dict[str, list[int]] = {}
    for number, text in enumerate(old_text, 1):
        where_before.setdefault(text, []).append(number)
    changes = []
    for number in range(1, len(new_text) + 1):
        if number > len(old_text):
            changes.append(PageChange(number, "added", None))
            continue
        old_img, new_img = render.pages(old_pdf, [number], DPI)[0], render.pages(new_pdf, [number], DPI)[0]
        pixels = sum(1 for v in difference(old_img, new_img).getdata() if v)
        text = new_text[number - 1]
        if text == old_text[number - 1]:
            if pixels:
                changes.append(PageChange(number, "pixels", number, pixels))
            continue
        earlier = [p for p in where_before.get(text, []) if p != number] if text else []
        changes.append(PageChange(number, "moved" if earlier else "changed", earlier[0] if earlier else number, pixels))
    changes += [PageChange(n, "removed", n) for n in range(len(new_text) + 1, len(old_text) + 1)]
    return changes


def moved_openings(old: dict, new: dict) -> list[dict]:
    """Parts and chapters whose first page differs between two pagination reports."""
    before = {(s["kind"], s["id"]): s for s in old.get("starts", []) if s["kind"] in ("part", "chapter")}
    out = []
    for s in new.get("starts", []):
        key = (s["kind"], s["id"])
        if key in before and before[key]["page"] != s["page"]:
            out.append({"kind": s["kind"], "id": s["id"], "title": s["title"],
                        "before": before[key]["page"], "after": s["page"]})
    return out


def side_by_side(old_pdf: Path, new_pdf: Path, change: PageChange) -> Image.Image:
    blank = None
    old = render.pages(old_pdf, [change.before], DPI * 2)[0] if change.before else None
    new = render.pages(new_pdf, [change.page], DPI * 2)[0] if change.kind != "removed" else None
    blank = Image.new("RGB", (old or new).size, (235, 235, 235))
    old, new = old or blank, new or blank
    mask = difference(old, new)
    gap = Image.new("RGB", (16, max(old.height, new.height)), "white")
    return render.spread([highlighted(old, mask), gap, highlighted(new, mask)])


def report_text(data: dict) -> str:
    out = [f"What changed since the last proofs: {data['pages_before']} → {data['pages_after']} pages"]
    if data["pages_after"] != data["pages_before"]:
        delta = data["pages_after"] - data["pages_before"]
        out.append(f"  the book is {abs(delta)} page{'s' if abs(delta) != 1 else ''} {'longer' if delta > 0 else 'shorter'}")
    out += ["", f"Openings that moved: {len(data['openings'])}"]
    out += [f"  {o['kind']:<8} {o['id']:<28} p. {o['before']} → p. {o['after']}" for o in data["openings"]]
    out += ["", f"Pages to check: {len(data['changes'])}"]
    for c in data["changes"]:
        what = {"changed": "text changed", "pixels": "same text, drawn differently", "added": "new page",
                "removed": "page gone", "moved": f"same text as p. {c['before']} before"}[c["kind"]]
        out.append(f"  p. {c['page']:>4}  {c['kind']:<8} {what}")
    return "\n".join(out) + "\n"


def write(dist: Path, new_pdf: Path, new_pagination: dict) -> dict | None:
    """Compare ``new_pdf`` with the kept set and write ``DIST/proofs-diff/``; None without a kept set."""
    last = last_folder(dist)
    if not (last / "book.pdf").exists():
        return None
    old_pdf = last / "book.pdf"
    old_pagination = json.loads((last / "pagination.json").read_text(encoding="utf-8"))
    changes = compare(old_pdf, new_pdf)
    data = {"pages_before": render.page_count(old_pdf), "pages_after": render.page_count(new_pdf),
            "openings": moved_openings(old_pagination, new_pagination),
            "changes": [asdict(c) for c in changes]}
    with fsio.atomic_dir(dist / "proofs-diff") as folder:
        fsio.write(folder / "report.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        fsio.write(folder / "report.txt", report_text(data))
        for change in changes:
            fsio.write(folder / f"page-{change.page:03d}.png", render.png_bytes(side_by_side(old_pdf, new_pdf, change)))
    return data
