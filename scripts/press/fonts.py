"""The book's fonts: finds the faces ``styles/fonts.yaml`` names among the installed fonts, writes
their @font-face rules, subsets them to the characters a book uses (HarfBuzz; fontTools packs the
WOFF2) and checks that every character of the book has a glyph (PDF-002).

For WeasyPrint it also writes a fontconfig configuration (``fontconfig_file``) in which the
styles' family names mean the declared files and nothing else. Debian's fonts-ebgaramond installs
two optical sizes, EB Garamond 08 and 12, under the one family name "EB Garamond" with the same
style and weight but different glyph orders; fontconfig offered the 08 for the text, Pango fell
back to the 12 for a character the 08 lacks (the bullet "•"), and WeasyPrint, which names an
embedded font after its family, style and weight, wrote both into one font: the 12's glyph id of
the bullet drawn from the 08's file, a small raised "A". WeasyPrint's own @font-face rules do not
mask installed faces of the same name (a TODO in its ``add_font_face``), so the press does it."""
from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

from . import cache
from .book import load_yaml_file
from .rules import finding


@dataclass(frozen=True)
class Face:
    family: str
    style: str
    weight: int
    file: str
    package: str
    path: Path | None
    licence: Path | None = None   # a book's own face (design/fonts.yaml): its licence file

    @property
    def slug(self) -> str:
        return Path(self.file).stem


def faces(styles: Path) -> list[Face]:
    spec = load_yaml_file(styles / "fonts.yaml")
    installed = _installed()
    return [Face(f["family"], f["style"], int(f["weight"]), f["file"], f.get("package", ""),
                 (Path(f["path"]) if Path(f["path"]).is_file() else None) if f.get("path") else installed.get(f["file"]),
                 Path(f["licence"]) if f.get("licence") else None)
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


@lru_cache(maxsize=1)
def _fc_entries() -> list[tuple[Path, list[str], str, str]]:
    """(file, family names, slant, weight) of every installed face, as fontconfig lists them."""
    try:
        out = subprocess.run(["fc-list", "--format", r"%{file}\t%{family}\t%{slant}\t%{weight}\n"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    rows = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) == 4:
            rows.append((Path(fields[0]), [f.replace("\\,", ",") for f in re.split(r"(?<!\\),", fields[1])],
                         fields[2], fields[3]))
    return rows


def _weight_matches(weight: str, wanted: str) -> bool:
    """fontconfig's weight of a face (a number, or "[lo hi]" for a variable font) covers ``wanted``."""
    if weight == wanted:
        return True
    found = re.fullmatch(r"\[(\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\]", weight)
    return bool(found) and float(found.group(1)) <= float(wanted) <= float(found.group(2))


def masked(styles: Path) -> list[Path]:
    """Installed files that would answer to a declared face's family, slant and weight but are not
    its file (another optical size, another version of the face): hidden from the PDF's layouts."""
    entries = _fc_entries()
    declared = {f.path: f for f in faces(styles) if f.path is not None}
    out: set[Path] = set()
    for path, face in declared.items():
        own = next((e for e in entries if e[0] == path), None)
        if own is None:
            continue
        for other, families, slant, weight in entries:
            if other not in declared and face.family in families and slant == own[2] and _weight_matches(weight, own[3]):
                out.add(other)
    return sorted(out)


def fontconfig_file(styles: Path) -> Path:
    """A fontconfig configuration: the system's (``FONTCONFIG_FILE`` or fonts.conf), with the
    ``masked`` files rejected. Written once into the cache; WeasyPrint's layouts read it."""
    from xml.sax.saxutils import escape
    system = os.environ.get("FONTCONFIG_FILE") or "fonts.conf"   # a relative name: fontconfig's own folder
    globs = "".join(f"<glob>{escape(str(p))}</glob>" for p in masked(styles))
    xml = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
           f'<fontconfig><include ignore_missing="yes">{escape(system)}</include>'
           f'<selectfont><rejectfont>{globs}</rejectfont></selectfont></fontconfig>\n')
    path = (cache.folder("fontconfig") / f"{hashlib.sha256(xml.encode()).hexdigest()[:16]}.conf").resolve()
    if not path.exists():
        cache.write(path, xml.encode())
    return path


def missing(styles: Path) -> list[Face]:
    return [f for f in faces(styles) if f.path is None]


def problems(styles: Path) -> list:
    """Every face fonts.yaml names must be installed (PDF-003) and usable (``validate``)."""
    from .book import display_path
    out = [finding("PDF-003", display_path(styles / "fonts.yaml"), 0, file=f.file, package=f.package)
           for f in missing(styles)]
    for f in faces(styles):
        if f.path is not None:
            out += validate(f.path)
    return out


MAX_FONT_MB = 50  # a CJK face with every weight's glyphs is about 20 MB
TABLES = ("cmap", "head", "hhea", "hmtx", "maxp", "name", "OS/2", "post")
RESTRICTED, NO_SUBSETTING, BITMAP_ONLY = 0x0002, 0x0100, 0x0200  # OS/2 fsType bits


def validate(path: Path) -> list:
    """Findings for a font file before the press loads it: FONT-001 when fontTools cannot read it,
    it lacks what a text face needs or the OpenType Sanitizer finds it damaged; FONT-002 when its
    embedding bits (OS/2 fsType) forbid embedding it or subsetting it — the editions embed
    subsets. Cached by path, size and time."""
    import json

    import fontTools
    import ots

    from .book import display_path
    where = display_path(path)
    try:
        st = path.stat()
    except OSError as e:
        return [finding("FONT-001", where, 0, reason=f"it cannot be read ({e.strerror})")]
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{fontTools.version}|{ots.__version__}|3"
                         .encode()).hexdigest()
    cached = cache.folder("fonts") / f"valid-{key}.json"
    if cached.exists():
        return [finding(code, where, 0, **fields) for code, fields in json.loads(cached.read_text())]
    found = _validate(path, st.st_size)
    cache.write(cached, json.dumps(found))
    return [finding(code, where, 0, **fields) for code, fields in found]


def _validate(path: Path, size: int) -> list:
    if size > MAX_FONT_MB * 1_000_000:
        return [("FONT-001", {"reason": f"it is {size / 1e6:.0f} MB; a font file may be at most {MAX_FONT_MB} MB"})]
    try:
        font = TTFont(str(path), lazy=True)  # the table directory, and below only the tables asked for
        absent = [t for t in TABLES if t not in font]
        if not any(t in font for t in ("glyf", "CFF ", "CFF2")):
            absent.append("glyf or CFF")
        if absent:
            return [("FONT-001", {"reason": f"it lacks the table(s) {', '.join(absent)} every text font has"})]
        if not font.getBestCmap():
            return [("FONT-001", {"reason": "it maps no character to a glyph"})]
        fs_type = int(font["OS/2"].fsType)
    except MemoryError:
        return [("FONT-001", {"reason": "it is too large to read within the press's memory limit"})]
    except Exception as e:  # fontTools raises many kinds on a damaged file; each is a reason, not a crash
        return [("FONT-001", {"reason": f"fontTools cannot read it ({type(e).__name__}: {str(e)[:120]})"})]
    damage = sanitizer_error(path)
    if damage:
        return [("FONT-001", {"reason": f"it is damaged (the OpenType Sanitizer says: {damage})"})]
    refused = [text for bit, text in ((RESTRICTED, "embedding (restricted licence)"),
                                      (NO_SUBSETTING, "subsetting"), (BITMAP_ONLY, "embedding its outlines"))
               if fs_type & bit]
    if refused:
        return [("FONT-002", {"fs_type": f"0x{fs_type:04X}", "what": " or ".join(refused)})]
    return []


SANITIZER_TIMEOUT = 60  # seconds; the sanitizer reads a 20 MB face in well under one


def sanitizer_error(path: Path) -> str | None:
    """What the OpenType Sanitizer (OTS, the checker Chrome and Firefox run on every web font
    before using it) finds wrong with the file, or None when it passes. OTS parses every table
    the way a renderer would and refuses overruns, bad offsets and impossible values: a damaged
    or hostile face stops here with its reason, not later in HarfBuzz, Pango or a reader's
    browser. It is C++ and takes milliseconds per face where reading every table with fontTools
    took up to 0.2 s."""
    import ots
    try:
        done = subprocess.run([ots.OTS_SANITIZE, str(path)], capture_output=True,
                              timeout=SANITIZER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"it took longer than {SANITIZER_TIMEOUT} s"
    except OSError as e:  # the machine's fault, not the font's: say which tool and how to get it back
        raise OSError(f"the OpenType Sanitizer ({ots.OTS_SANITIZE}) cannot run: {e.strerror or e}; "
                      "`make setup` installs it") from None
    if done.returncode == 0:
        return None
    if done.returncode < 0:  # stopped by a signal (an interrupted build): no verdict, and none cached
        raise InterruptedError(f"the OpenType Sanitizer was stopped (signal {-done.returncode})")
    said = [line.strip() for line in (done.stderr + done.stdout).decode("utf-8", "replace").splitlines()
            if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in said if line.startswith("ERROR:")]
    return "; ".join(dict.fromkeys(errors or said))[:200] or f"exit {done.returncode}"


def font_face_css(styles: Path, url_of) -> str:
    """@font-face rules; ``url_of(face)`` gives each face's URL in the edition."""
    rules = []
    for f in faces(styles):
        if f.path is None:
            continue
        rules.append(f'@font-face {{ font-family: "{f.family}"; font-style: {f.style}; '
                     f'font-weight: {f.weight}; src: url("{url_of(f)}"); }}')
    return "\n".join(rules)


# Characters the press writes into a book's text itself: pandoc's typography (curly quotes and
# apostrophes, dashes and the ellipsis for ' " -- --- ...), a no-break space before a spaced dash
# (press.filters.dashes), a note's way back (↩, which pandoc's HTML writer follows with U+FE0E,
# text presentation), the index's locator (→). A character missing here costs a build its early
# font subsets (tests/test_glyphs.py says which), never a glyph.
PRESS_CHARACTERS = "‘’“”–—…\u00a0↩\ufe0e→"


def source_characters(book) -> str:
    """The characters of the book's own text — its chapters' Markdown, book.yaml's values and part
    titles, the labels in its language — and the press's own (PRESS_CHARACTERS), plus printable
    ASCII: known before the pipeline runs, so a build makes its web-font subsets for them while the
    book filters run (press.pipeline's ``alongside``)."""
    from .context import labels_for
    parts = [PRESS_CHARACTERS] + [ch.source or ch.body for ch in book.chapters]
    parts += [str(v) for v in book.meta.values() if isinstance(v, (str, list))] + list(book.parts)
    parts += [str(v) for v in labels_for(book.lang).values()]
    return _charset(parts)


def book_characters(book, results) -> str:
    """The characters the e-editions' fonts are subset to: every character an edition of the book
    can show (its chapters, titles, metadata and labels) and every one its own text holds
    (``source_characters``: almost always the same set, and then the subsets made before the
    pipeline ended are the ones used). Both e-editions subset to this one set, so they share the work."""
    from .htmltext import text_of
    parts = [source_characters(book)] + [text_of(r.html) for r in results]
    for r in results:  # the labels and book.yaml's values are among the source's characters
        parts += [r.chapter.title, r.chapter.subtitle or "", " ".join(r.chapter.authors),
                  " ".join(c["name"] for c in r.chapter.contributors), r.chapter.first_published or ""]
    return _charset(parts)


def _charset(parts: list[str]) -> str:
    return "".join(sorted(set("".join(parts)) | {chr(c) for c in range(0x20, 0x7F)} | set("IVXLCDM0123456789")))


SUBSETTER = 3  # part of a subset's cache key: raise it when a change to the code below changes the bytes
#               (2: WOFF2 subsets keep the face's date, not the time of saving; 3: brotli quality 10)
WOFF2_QUALITY = 10  # brotli's quality for WOFF2: measured on this book's seven faces, 11 (fontTools'
#                     default) saves 0.4 % of the bytes (560 of 154,000) and takes twice the time (0.65 s)


class _Brotli:
    """brotli as fontTools' WOFF2 writer calls it, compressing at ``WOFF2_QUALITY``."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def compress(self, data, **options):
        return self.real.compress(data, **{"quality": WOFF2_QUALITY, **options})


def _woff2_quality() -> None:
    from fontTools.ttLib import woff2
    if not isinstance(woff2.brotli, _Brotli):
        woff2.brotli = _Brotli(woff2.brotli)


def subset_font(face: Face, text: str, flavor: str | None = None) -> bytes:
    """The face reduced to the glyphs ``text`` needs (plus printable ASCII), as OTF or WOFF2
    (the WOFF2 is the same subset, compressed). Cached by face file and character set, so an edit
    that adds no new character costs nothing."""
    import fontTools
    chars = "".join(sorted(set(text) | {chr(c) for c in range(0x20, 0x7F)}))
    key = hashlib.sha256(f"{face.path}|{face.path.stat().st_size}|{flavor}|{chars}|{fontTools.version}|{SUBSETTER}"
                         .encode()).hexdigest()
    cached = cache.folder("fonts") / f"{key}.bin"
    if cache.hit(cached):
        return cached.read_bytes()
    if flavor is None:
        data = _subset(face, chars)
    else:
        font = TTFont(io.BytesIO(subset_font(face, chars)), recalcTimestamp=False)  # reproducible bytes
        font.flavor = flavor
        _woff2_quality()
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


def postscript_files(styles: Path) -> dict[str, Path]:
    """The declared faces' files by PostScript name (name ID 6): what a PDF's embedded subset is
    named inside (press.weasy.fontmerge cuts a merged subset from the file again)."""
    found = {}
    for face in faces(styles):
        if face.path is not None:
            try:
                found.setdefault(TTFont(str(face.path), lazy=True)["name"].getDebugName(6), face.path)
            except Exception:  # checked before any layout (fonts.problems): nothing to merge from here
                continue
    return found


def licence_text(face: Face) -> str:
    if face.licence is not None:  # a book's own face: the licence file beside it (press.design)
        return face.licence.read_text(encoding="utf-8", errors="replace")
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
