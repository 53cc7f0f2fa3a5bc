"""The font subsets of a PDF made of pieces laid out apart: a unit spliced into the book
(press.weasy.splice.splice), chunks joined into it (press.weasy.splice.join).

``share_fonts``: a piece's subset gives way to another of the same face that has every glyph it
uses, with the same width and text. ``one_subset_per_face`` (a joined book): the subsets of a face
are merged into one program (``merge``) where they can be, shared where they cannot.

Each piece of a chunked layout embeds its own subset of every face it uses, so the joined book
carries two or three subsets of the same face. WeasyPrint subsets with HarfBuzz keeping glyph
ids (``HB_SUBSET_FLAGS_RETAIN_GIDS``), so the subsets of one face are the same font with different
glyphs left empty: the glyphs one piece uses can be copied into another's program under the same
id, and every page can then use that one font. Takes the joined ``pikepdf.Pdf``; changes it in
place, and returns the number of font dictionaries it made unnecessary.

A subset is merged into the face's largest only when nothing could change on a page: the programs
are CFF (``FontFile3``, what this press's faces are), desubroutinised (no subroutines to carry),
with the same glyph names at the same ids and the same private dictionaries (the widths in the
charstrings count from them), no ``CIDSet``, and for every glyph both use the same width (``/W``;
WeasyPrint rounds a glyph's width at the size it first drew it in that document) and the same
text (``ToUnicode``). Anything else keeps its own subset: the file is larger, never different.
Given the faces' files (a join's ``files``), a face whose file gives back every piece's own subset
byte for byte is not merged program by program: its one subset is cut from the file again for all
the pieces' glyphs (press.weasy.resubset), the program a whole layout embeds, in milliseconds.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name


def one_subset_per_face(pdf: pikepdf.Pdf, pieces: list[list], files: dict | None = None) -> None:
    """Each piece brought its own subset of every face it uses: merge them (``merge``; ``files``:
    the faces' files by PostScript name, see there); where a face cannot be merged, a piece's subset
    gives way to another's that has every glyph it uses (as a spliced unit's does)."""
    pages = [p.obj for p in pdf.pages]
    faces: dict[str, list[_Face]] = {}
    for font in _fonts_of(pages).values():
        face = _face(font)
        if face is not None:
            faces.setdefault(str(font.BaseFont).split("+", 1)[-1], []).append(face)
    seen: set = set()
    merge(pdf, faces, [res for page in pages for res in _resources(page.get("/Resources"), seen)], files)
    for piece in pieces:
        share_fonts(pdf, piece)



def merge(pdf: pikepdf.Pdf, faces: dict[str, list], fonts_of_pages, files: dict | None = None) -> int:
    """``faces``: per face name, its fonts' ``_Face`` records.
    ``fonts_of_pages``: resource dictionaries to rewrite (``_resources`` over every page).
    ``files``: {PostScript name: font file} of the faces the book was laid out with. A face whose
    file gives back each piece's subset byte for byte (press.weasy.resubset) gets the subset of all
    their glyphs cut from it, as a whole layout would embed it; any other is merged program by
    program (fontTools)."""
    swap: dict[tuple, Dictionary] = {}
    cutters: dict = {}
    for records in faces.values():
        if len(records) < 2:
            continue
        merged = _from_file(records, files, cutters) if files else None
        if merged is None:
            merged = _from_programs(records)
        if merged is None or not merged[1]:
            continue
        base, taken, widths, text, program = merged
        _write_bytes(base.font, program)
        _write_widths(base.font, widths)
        _write_text(pdf, base.font, text)
        for other in taken:
            swap[other.font.objgen] = base.font
    if swap:
        for resources in fonts_of_pages:
            fonts = resources.get("/Font")
            for key, font in list(fonts.items()) if isinstance(fonts, Dictionary) else ():
                if font.objgen in swap:
                    fonts[key] = swap[font.objgen]
    return len(swap)


def _agreeing(base: _Face, others: list, fits=lambda other: True) -> tuple[dict, dict, list]:
    """The ``others`` whose every glyph has the width and text the ones taken before them give it
    (and that ``fits``), taken one by one into ``base``'s: returns the widths, the text, the taken."""
    widths, text, taken = dict(base.widths), dict(base.text), []
    for other in others:
        if not fits(other) or any(widths.get(g, w) != w for g, w in other.widths.items()) or \
                any(text.get(g, t) != t for g, t in other.text.items()):
            continue
        widths.update(other.widths)
        text.update(other.text)
        taken.append(other)
    return widths, text, taken


def _from_file(records: list, files: dict, cutters: dict) -> tuple | None:
    """A face's subsets merged by cutting the face's file again for the glyphs they all use (see
    ``merge``): (base, taken, widths, text, program) — nothing taken when no other agrees with the
    first — or None when the file does not give back every piece's own subset (another file,
    another HarfBuzz, a missing glyph)."""
    from fontTools.ttLib import TTFont

    from .resubset import Subsetter
    streams: dict[tuple, list] = {}
    for r in records:
        stream = _descriptor(r.font).get("/FontFile3")
        if stream is None or stream.get("/Subtype") != "/OpenType":
            return None
        streams.setdefault(stream.objgen, [stream, set()])[1].update(set(r.text) | set(r.widths))
    data = {key: stream.read_bytes() for key, (stream, _) in streams.items()}
    try:
        names = {TTFont(io.BytesIO(d), lazy=True)["name"].getDebugName(6) for d in data.values()}
    except Exception:
        return None
    path = files.get(names.pop()) if len(names) == 1 else None
    if path is None:
        return None
    if path not in cutters:
        try:
            cutters[path] = Subsetter(path)
        except OSError:
            cutters[path] = None
    cutter = cutters[path]
    if cutter is None or any(cutter.subset(gids) != data[key] for key, (_, gids) in streams.items()):
        return None
    base, *others = records
    widths, text, taken = _agreeing(base, others)
    if not taken:
        return base, [], widths, text, b""
    program = cutter.subset(set(widths) | set(text))
    return (base, taken, widths, text, program) if program is not None else None


def _from_programs(records: list) -> tuple | None:
    """A face's subsets merged program by program: the one with the most glyph ids takes the others'
    glyphs (fontTools); (base, taken, widths, text, program) or None."""
    programs = {id(r): _program(r.font) for r in records}
    usable = [r for r in records if programs[id(r)] is not None]
    if len(usable) < 2:
        return None
    base, *others = sorted(usable, key=lambda r: -len(programs[id(r)].getGlyphOrder()))
    program = programs[id(base)]
    widths, text, taken = _agreeing(base, others, lambda other: _compatible(program, programs[id(other)]))
    if not taken:
        return None
    for other in taken:
        _copy_glyphs(program, programs[id(other)], other.widths)
    data = io.BytesIO()
    program.save(data)
    return base, taken, widths, text, data.getvalue()


def _descriptor(font: Dictionary) -> Dictionary:
    return font.DescendantFonts[0].FontDescriptor


def _program(font: Dictionary):
    """The font's program as a fontTools font, when it is one this module can merge."""
    from fontTools.ttLib import TTFont
    descriptor = _descriptor(font)
    stream = descriptor.get("/FontFile3")
    if stream is None or stream.get("/Subtype") != "/OpenType" or "/CIDSet" in descriptor:
        return None
    try:
        # bounding boxes and the timestamp as the subset has them: recomputing the boxes runs every
        # charstring (HarfBuzz kept an empty one for each glyph id), most of the merge's time
        program = TTFont(io.BytesIO(stream.read_bytes()), recalcBBoxes=False, recalcTimestamp=False)
        top = program["CFF "].cff[0]
    except Exception:  # not an OpenType CFF font fontTools reads: keep it as it is
        return None
    if hasattr(top, "FDArray") or getattr(top.Private, "Subrs", None) or len(program["CFF "].cff.GlobalSubrs):
        return None
    return program


def _private(program) -> dict:
    private = program["CFF "].cff[0].Private
    return {k: v for k, v in private.rawDict.items() if k != "Subrs"}


def _compatible(a, b) -> bool:
    order_a, order_b = a.getGlyphOrder(), b.getGlyphOrder()
    return order_b == order_a[:len(order_b)] and _private(a) == _private(b) and \
        a["head"].unitsPerEm == b["head"].unitsPerEm


def _copy_glyphs(into, source, gids) -> None:
    order = source.getGlyphOrder()
    target, theirs = into["CFF "].cff[0].CharStrings, source["CFF "].cff[0].CharStrings
    metrics, their_metrics = into["hmtx"].metrics, source["hmtx"].metrics
    for gid in gids:
        name = order[int(gid)]
        charstring = theirs[name]
        charstring.decompile()
        charstring.private = into["CFF "].cff[0].Private
        target[name] = charstring
        metrics[name] = their_metrics[name]


def _write_bytes(font: Dictionary, program: bytes) -> None:
    stream = _descriptor(font).FontFile3
    stream.write(zlib.compress(program), filter=Name.FlateDecode)
    stream.Subtype = Name("/OpenType")


def _write_widths(font: Dictionary, widths: dict[int, float]) -> None:
    w = Array()
    for gid in sorted(widths):
        w.append(int(gid))
        w.append(Array([widths[gid]]))
    font.DescendantFonts[0].W = w


def _write_text(pdf: pikepdf.Pdf, font: Dictionary, text: dict[int, str]) -> None:
    """A ToUnicode CMap of single glyphs (``text``: glyph id → UTF-16BE hex), as WeasyPrint writes."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        block = items[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{gid:04x}> <{hex_text}>" for gid, hex_text in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    font.ToUnicode = pdf.make_stream(zlib.compress("\n".join(lines).encode("ascii")), Filter=Name.FlateDecode)


@dataclass
class _Face:
    font: Dictionary
    widths: dict[int, float]
    text: dict[int, str]


def _face(font: Dictionary) -> _Face | None:
    """A Type0 font's glyphs: widths (/W) and text (/ToUnicode), by glyph id."""
    if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font:
        return None
    widths: dict[int, float] = {}
    w = list(font.DescendantFonts[0].get("/W", []))
    i = 0
    while i < len(w):
        if isinstance(w[i + 1], Array):
            for k, width in enumerate(w[i + 1]):
                widths[int(w[i]) + k] = float(width)
            i += 2
        else:
            for cid in range(int(w[i]), int(w[i + 1]) + 1):
                widths[cid] = float(w[i + 2])
            i += 3
    text: dict[int, str] = {}
    # The CMap is PostScript; qpdf's content-stream tokeniser reads it: each ``endbfchar`` "operator"
    # gets the block's source and destination strings as its operands, in pairs.
    for operands, operator in pikepdf.parse_content_stream(font.ToUnicode):
        if str(operator) == "endbfchar":
            for src, dst in zip(operands[0::2], operands[1::2]):
                text[int.from_bytes(bytes(src), "big")] = bytes(dst).hex()
        elif str(operator) == "endbfrange" and operands:
            return None  # ranges are not written by WeasyPrint; do not guess
    return _Face(font, widths, text)


def _resources(resources, seen: set):
    """A page's resource dictionary and those of the form XObjects it draws, each once."""
    if not isinstance(resources, Dictionary):
        return
    if resources.is_indirect:
        if resources.objgen in seen:
            return
        seen.add(resources.objgen)
    yield resources
    for xobject in resources.get("/XObject", Dictionary()).values():
        if xobject.objgen not in seen and xobject.get("/Subtype") == "/Form":
            seen.add(xobject.objgen)
            yield from _resources(xobject.get("/Resources"), seen)


def _fonts_of(pages: list) -> dict:
    """Every font the pages use: {objgen: font}."""
    seen: set = set()
    return {font.objgen: font for page in pages for res in _resources(page.get("/Resources"), seen)
            for font in res.get("/Font", Dictionary()).values()}


def share_fonts(pdf: pikepdf.Pdf, new_pages: list) -> None:
    """The fonts of ``new_pages`` give way to a font of the other pages of the same face that has
    every glyph they use, with the same width and text (a spliced unit's, a joined piece's)."""
    new_ids = {p.objgen for p in new_pages}
    mine = _fonts_of(new_pages)
    theirs = _fonts_of([p.obj for p in pdf.pages if p.obj.objgen not in new_ids])
    by_name: dict[str, list[_Face]] = {}
    for font in theirs.values():
        face = _face(font)
        if face is not None:
            by_name.setdefault(str(font.BaseFont).split("+", 1)[-1], []).append(face)
    swap = {}
    for key, font in mine.items():
        face = _face(font)
        if face is None:
            continue
        for other in sorted(by_name.get(str(font.BaseFont).split("+", 1)[-1], []), key=lambda f: -len(f.widths)):
            if all(other.widths.get(cid) == w for cid, w in face.widths.items()) and \
                    all(other.text.get(cid) == t for cid, t in face.text.items()):
                swap[key] = other.font
                break
    seen: set = set()
    for page in new_pages:
        for res in _resources(page.get("/Resources"), seen):
            fonts = res.get("/Font")
            for key, font in list(fonts.items()) if isinstance(fonts, Dictionary) else ():
                if font.objgen in swap:
                    fonts[key] = swap[font.objgen]
