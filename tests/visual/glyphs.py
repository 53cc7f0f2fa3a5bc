"""Does each embedded font draw what the text says? For the glyph tests.

A PDF's text is glyph ids in an embedded font program plus a ToUnicode map that says which
characters each id stands for. Copying text reads the map, a reader sees the program: when the two
disagree (the bullet "•" of one font file drawn from another file's glyph table, a raised "A"),
no text test notices. ``problems(pdf)`` reads every embedded font back with fontTools, finds the
installed file it was cut from (by its PostScript name, else by its outlines), and checks, for
every glyph id the page content uses:

- the embedded outline equals the original file's outline at the same glyph id (WeasyPrint keeps
  glyph ids when it subsets), and
- the original file's glyph at that id is the character the ToUnicode map names, or a form of it
  the font's substitutions reach (old-style figures, small capitals, ligatures).
"""
from __future__ import annotations

import io
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont


@lru_cache(maxsize=1)
def installed() -> dict[str, Path]:
    """PostScript name → file of every installed font."""
    out = subprocess.run(["fc-list", "--format", "%{postscriptname}\t%{file}\n"], capture_output=True, text=True,
                         check=True).stdout
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


@lru_cache(maxsize=16)
def original(path: str) -> TTFont:
    return TTFont(path, lazy=False)


def outline(font: TTFont, gid: int):
    name = font.getGlyphOrder()[gid]
    pen = DecomposingRecordingPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(pen)
    return [(op, tuple((round(x, 2), round(y, 2)) for x, y in pts)) for op, pts in pen.value]


@lru_cache(maxsize=16)
def substitutions(path: str) -> dict[str, set[str]]:
    """glyph → glyphs one GSUB step makes of it (single, multiple, alternate, ligature: the first
    component leads to the ligature). Contextual lookups only call these."""
    font = original(path)
    edges: dict[str, set[str]] = {}
    if "GSUB" not in font:
        return edges
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            if lookup.LookupType == 7:
                sub = sub.ExtSubTable
            kind = sub.LookupType if hasattr(sub, "LookupType") else lookup.LookupType
            if kind == 1:
                for a, b in sub.mapping.items():
                    edges.setdefault(a, set()).add(b)
            elif kind == 2:
                for a, bs in sub.mapping.items():
                    edges.setdefault(a, set()).update(bs)
            elif kind == 3:
                for a, bs in sub.alternates.items():
                    edges.setdefault(a, set()).update(bs)
            elif kind == 4:
                for first, ligatures in sub.ligatures.items():
                    edges.setdefault(first, set()).update(lig.LigGlyph for lig in ligatures)
    return edges


def reachable(path: str, text: str) -> set[str]:
    font = original(path)
    cmap = font.getBestCmap()
    todo = [cmap[ord(c)] for c in text if ord(c) in cmap]
    seen = set(todo)
    edges = substitutions(path)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def to_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    """glyph id (CID, Identity-mapped) → text, from the font's ToUnicode CMap."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return {}
    data = cmap.read_bytes().decode("latin-1")
    out: dict[int, str] = {}

    def text(hexes: str) -> str:
        raw = bytes.fromhex(hexes)
        return raw.decode("utf-16-be", errors="replace")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            out[int(src, 16)] = text(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(int(dst, 16) + i)
    return out


def _streams(pdf: pikepdf.Pdf):
    """(content stream owner, its fonts) for every page and every form XObject it draws."""
    seen: set = set()

    def visit(owner, resources):
        if owner.objgen != (0, 0) and owner.objgen in seen:
            return
        seen.add(owner.objgen)
        resources = resources if resources is not None else pikepdf.Dictionary()
        yield owner, resources.get("/Font", pikepdf.Dictionary())
        for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
            if xobject.get("/Subtype") == "/Form":
                yield from visit(xobject, xobject.get("/Resources"))
    for page in pdf.pages:
        yield from visit(page.obj, page.obj.get("/Resources"))


def used_gids(pdf: pikepdf.Pdf) -> tuple[dict[tuple, set[int]], dict[tuple, pikepdf.Dictionary]]:
    """(font object id → glyph ids the content shows with it (two-byte Identity codes), font object
    id → font) over pages and the form XObjects they draw."""
    used: dict[tuple, set[int]] = {}
    fonts: dict[tuple, pikepdf.Dictionary] = {}
    for owner, resources in _streams(pdf):
        current = None
        for operands, op in pikepdf.parse_content_stream(owner):
            name = str(op)
            if name == "Tf":
                f = resources.get(str(operands[0]))
                current = f.objgen if f is not None else None
                if f is not None:
                    fonts[f.objgen] = f
            elif name in ("Tj", "'", '"', "TJ") and current is not None:
                strings = operands[0] if name == "TJ" else [operands[-1]]
                for s in strings:
                    if isinstance(s, pikepdf.String):
                        raw = bytes(s)
                        used.setdefault(current, set()).update(
                            int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2))
    return used, fonts


def embedded_program(font: pikepdf.Dictionary) -> TTFont | None:
    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    for key in ("/FontFile3", "/FontFile2"):
        if key in descriptor:
            return TTFont(io.BytesIO(descriptor[key].read_bytes()))
    return None


def _source(embedded: TTFont, gids: set[int]) -> str | None:
    """The installed file a subset was cut from: by PostScript name, else the one whose outlines match."""
    name = embedded["name"].getDebugName(6) if "name" in embedded else None
    if name and name in installed():
        return installed()[name]
    for path in installed().values():
        if not path.endswith((".otf", ".ttf")):
            continue
        font = original(path)
        n = len(font.getGlyphOrder())
        if all(g < n and outline(font, g) == outline(embedded, g) for g in gids):
            return path
    return None


def problems(pdf_path: Path, allowed: set[str] | None = None) -> list[str]:
    """Every glyph drawn as something other than its text, as readable lines. ``allowed``: the
    font files the book may embed (fonts.yaml); a subset of any other file is a problem too."""
    out: list[str] = []
    with pikepdf.open(pdf_path) as pdf:
        used, fonts = used_gids(pdf)
        for objgen, font in fonts.items():
            if font.get("/Subtype") != "/Type0" or objgen not in used:
                continue
            base = str(font.BaseFont)
            embedded = embedded_program(font)
            if embedded is None:
                out.append(f"{base}: not embedded")
                continue
            unicode = to_unicode(font)
            gids = {g for g in used[objgen] if g and unicode.get(g, "").strip()}
            source = _source(embedded, gids)
            if source is None:
                out.append(f"{base}: cut from no installed font file")
                continue
            if allowed is not None and Path(source).name not in allowed:
                out.append(f"{base}: cut from {Path(source).name}, which fonts.yaml does not declare")
            ref = original(source)
            order = ref.getGlyphOrder()
            for gid in sorted(gids):
                text = unicode[gid]
                if gid >= len(order) or outline(embedded, gid) != outline(ref, gid):
                    out.append(f"{base}: glyph {gid} for {text!r} is not {Path(source).name}'s glyph {gid}")
                elif order[gid] not in reachable(source, text):
                    out.append(f"{base}: {text!r} (U+{ord(text[0]):04X}) is drawn as {order[gid]!r} of {Path(source).name}")
    return out
