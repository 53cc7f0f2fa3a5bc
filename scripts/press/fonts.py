"""The book's fonts: finds the faces ``styles/fonts.yaml`` names among the installed fonts, writes
their @font-face rules, subsets them to the characters a book uses (HarfBuzz; fontTools packs the
WOFF2) and checks that every character of the book has a glyph (PDF-002)."""
from __future__ import annotations

import hashlib
import io
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from fontTools.ttLib import TTFont

from . import cache
from .rules import finding


@dataclass(frozen=True)
class Face:
    family: str
    style: str
    weight: int
    file: str
    package: str
    path: Path | None

    @property
    def slug(self) -> str:
        return Path(self.file).stem


def faces(styles: Path) -> list[Face]:
    spec = yaml.safe_load((styles / "fonts.yaml").read_text(encoding="utf-8"))
    installed = _installed()
    return [Face(f["family"], f["style"], int(f["weight"]), f["file"], f["package"], installed.get(f["file"]))
            for f in spec["faces"]]


@lru_cache(maxsize=1)
def _installed() -> dict[str, Path]:
    try:
        out = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {Path(p).name: Path(p) for p in out.splitlines() if p}


def generic_families(styles: Path) -> dict[str, str]:
    """Which of the book's families stands in for a generic CSS family: the first names of
    ``--font-text`` (serif, and any family the book lacks) and ``--font-display`` (sans-serif) in
    tokens.css."""
    tokens = (styles / "tokens.css").read_text(encoding="utf-8")

    def first(var: str) -> str:
        m = re.search(rf"--{var}:\s*[\"']?([^,\"';]+)", tokens)
        return m.group(1).strip() if m else ""
    text, display = first("font-text"), first("font-display")
    return {"serif": text, "sans-serif": display or text, "default": text or display}


def missing(styles: Path) -> list[Face]:
    return [f for f in faces(styles) if f.path is None]


def font_face_css(styles: Path, url_of) -> str:
    """@font-face rules; ``url_of(face)`` gives each face's URL in the edition."""
    rules = []
    for f in faces(styles):
        if f.path is None:
            continue
        rules.append(f'@font-face {{ font-family: "{f.family}"; font-style: {f.style}; '
                     f'font-weight: {f.weight}; src: url("{url_of(f)}"); }}')
    return "\n".join(rules)


def book_characters(book, results) -> str:
    """Every character an edition of the book can show: its chapters, titles, metadata and labels
    (plus printable ASCII). Both e-editions subset to this one set, so they share the work."""
    from html import unescape
    parts = [unescape(re.sub(r"<[^>]+>", " ", r.html)) for r in results]
    for r in results:
        parts += [r.chapter.title, r.chapter.subtitle or "", " ".join(r.chapter.authors)]
    parts += [str(v) for v in book.meta.values() if isinstance(v, (str, list))] + book.parts
    if results:
        parts += [str(v) for v in results[0].ctx.labels.values()]
    return "".join(sorted(set("".join(parts)) | {chr(c) for c in range(0x20, 0x7F)} | set("IVXLCDM0123456789")))


def subset_font(face: Face, text: str, flavor: str | None = None) -> bytes:
    """The face reduced to the glyphs ``text`` needs (plus printable ASCII), as OTF or WOFF2
    (the WOFF2 is the same subset, compressed). Cached by face file and character set, so an edit
    that adds no new character costs nothing."""
    chars = "".join(sorted(set(text) | {chr(c) for c in range(0x20, 0x7F)}))
    key = hashlib.sha256(f"{face.path}|{face.path.stat().st_size}|{flavor}|{chars}".encode()).hexdigest()
    cached = cache.folder("fonts") / f"{key}.bin"
    if cached.exists():
        return cached.read_bytes()
    if flavor is None:
        data = _subset(face, chars)
    else:
        font = TTFont(io.BytesIO(subset_font(face, chars)))
        font.flavor = flavor
        out = io.BytesIO()
        font.save(out)
        data = out.getvalue()
    cache.write(cached, data)
    return data


def prepare(styles: Path, text: str) -> None:
    """Make (and cache) every face's subsets for ``text`` ahead of the writers that need them."""
    for face in faces(styles):
        if face.path is not None:
            subset_font(face, text, "woff2")


def _subset(face: Face, chars: str) -> bytes:
    """HarfBuzz's subsetter (uharfbuzz): the same glyph closure as fontTools' for these faces, in
    a few milliseconds instead of a few hundred per face. Keeps the default layout features plus
    the ones the styles use, every name record (licence and copyright included) and .notdef."""
    import uharfbuzz as hb
    face_hb = hb.Face(hb.Blob.from_file_path(str(face.path)))
    plan = hb.SubsetInput()
    plan.unicode_set.update(ord(c) for c in chars)
    features = plan.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG)
    features.update(int.from_bytes(tag.encode("ascii"), "big") for tag in FEATURES)
    plan.sets(hb.SubsetInputSets.NAME_ID).invert()
    plan.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    result = hb.subset(face_hb, plan)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.path}")
    return result.blob.data


FEATURES = ["onum", "lnum", "pnum", "tnum", "smcp", "c2sc", "case"]  # what the styles ask for


def licence_text(face: Face) -> str:
    copyright_file = Path("/usr/share/doc") / face.package / "copyright"
    if copyright_file.exists():
        return copyright_file.read_text(encoding="utf-8", errors="replace")
    return f"{face.family}: SIL Open Font License 1.1 (see https://openfontlicense.org)\n"


def uncovered(styles: Path, text: str, where: str) -> list:
    """PDF-002 findings for characters no text face can show."""
    cmaps = []
    for f in faces(styles):
        if f.path is not None:
            cmaps.append(set(TTFont(str(f.path), lazy=True).getBestCmap()))
    if not cmaps:
        return []
    out = []
    for ch in sorted(set(text)):
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Mn") or 0xFE00 <= ord(ch) <= 0xFE0F:
            continue  # spaces, controls, format characters and variation selectors need no glyph
        if not any(ord(ch) in cmap for cmap in cmaps):
            out.append(finding("PDF-002", where, 0, char=ch, codepoint=f"{ord(ch):04X}"))
    return out
