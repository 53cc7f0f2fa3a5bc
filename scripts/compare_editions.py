"""Do two builds of a book give readers the same editions? For restructuring commits.

Usage: .venv/bin/python scripts/compare_editions.py OLD_DIST NEW_DIST [--dpi 50]

Compares every EPUB member and every file of the HTML edition byte for byte, and each PDF's
page count, boxes, text and rendered pixels (PDFium at --dpi; the PDF bytes themselves carry a
creation date and ids, so they are not compared). Prints one line per difference and exits 1
when there is any, 0 when a reader could not tell the builds apart. Build both with the same
SOURCE_DATE_EPOCH (e.g. `SOURCE_DATE_EPOCH=1714521600 make`) so that dates agree.
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import ImageChops
from pypdf import PdfReader

from press import render


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _compare_bytes(label: str, old: dict[str, bytes], new: dict[str, bytes]) -> list[str]:
    out = [f"{label}: only in old: {n}" for n in sorted(old.keys() - new.keys())]
    out += [f"{label}: only in new: {n}" for n in sorted(new.keys() - old.keys())]
    out += [f"{label}: differs: {n}" for n in sorted(old.keys() & new.keys()) if old[n] != new[n]]
    return out


def _compare_pdf(name: str, old: Path, new: Path, dpi: float) -> list[str]:
    a, b = PdfReader(old), PdfReader(new)
    if len(a.pages) != len(b.pages):
        return [f"{name}: {len(a.pages)} pages, now {len(b.pages)}"]
    out = []
    for i, (p, q) in enumerate(zip(a.pages, b.pages), start=1):
        for box in ("mediabox", "trimbox", "bleedbox"):
            if list(map(float, getattr(p, box))) != list(map(float, getattr(q, box))):
                out.append(f"{name}: page {i}: {box} differs")
        if p.extract_text() != q.extract_text():
            out.append(f"{name}: page {i}: text differs")
    numbers = list(range(1, len(a.pages) + 1))
    for n, x, y in zip(numbers, render.pages(old, numbers, dpi), render.pages(new, numbers, dpi)):
        if x.size != y.size or ImageChops.difference(x.convert("RGB"), y.convert("RGB")).getbbox():
            out.append(f"{name}: page {n}: rendered pixels differ")
    return out


def compare(old: Path, new: Path, dpi: float = 50) -> list[str]:
    out: list[str] = []
    names = {p.name for p in old.iterdir()} | {p.name for p in new.iterdir()}
    for name in sorted(names):
        a, b = old / name, new / name
        if name == "reports":
            continue
        if not a.exists() or not b.exists():
            out.append(f"{name}: only in {'new' if b.exists() else 'old'}")
        elif name.endswith(".epub"):
            out += _compare_bytes(name, _members(a), _members(b))
        elif name.endswith(".pdf"):
            out += _compare_pdf(name, a, b, dpi)
        elif a.is_dir():
            out += _compare_bytes(name, _tree(a), _tree(b))
        elif a.read_bytes() != b.read_bytes():
            out.append(f"{name}: differs")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--dpi", type=float, default=50)
    args = ap.parse_args(argv)
    differences = compare(args.old, args.new, args.dpi)
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s) between {args.old} and {args.new}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
