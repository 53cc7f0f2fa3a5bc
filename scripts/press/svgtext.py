"""Text in SVG figures, drawn with the book's own faces as outlines.

An SVG shown through ``<img>`` is an isolated document: it cannot use the fonts the EPUB embeds,
so a reading system draws its ``<text>`` with whatever it has (a bold serif in Foliate, a box edge
touched). ``outline(svg, faces)`` replaces every ``<text>`` with the glyph outlines of the face
the text asks for (its ``font-family`` list, matched against ``styles/fonts.yaml``; a generic or
unknown family takes the book's display or text face), shaped by HarfBuzz (kerning, ligatures),
placed by ``x``/``y``/``dx``/``dy``, ``text-anchor`` and ``letter-spacing``. The paths keep the
text's paint (``fill``, ``stroke``, ``class``, ``style``), so a stylesheet that colours them keeps
working. What it cannot place (``textPath``, per-glyph ``rotate``, ``textLength``) stays text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from . import svgclean

SVG = "http://www.w3.org/2000/svg"
FONT_PROPS = ("font-family", "font-size", "font-weight", "font-style", "text-anchor", "letter-spacing")
POSITION = ("x", "y", "dx", "dy")
UNSUPPORTED = ("textPath", "rotate", "textLength", "lengthAdjust")
OUTLINE_CLASS = "press-text"  # marks the outlines of one former <text> element


@dataclass(frozen=True)
class Style:
    family: tuple[str, ...]
    size: float
    weight: int
    italic: bool
    anchor: str
    spacing: float


def outline(svg: bytes, faces: list, generic: dict[str, str]) -> bytes:
    """The SVG with its text as outlines. ``faces``: the book's faces (press.fonts.Face, installed
    ones); ``generic``: which family stands in for ``serif``, ``sans-serif`` and an unknown family."""
    faces = [f for f in faces if f.path is not None]
    root = etree.fromstring(svg, svgclean.parser())  # no entities, DTD or network, as svgclean reads
    texts = [t for t in root.iter(f"{{{SVG}}}text") if _supported(t)]
    if not texts or not faces:
        return svg
    for text in texts:
        group = etree.Element(f"{{{SVG}}}g", _paint(text))
        group.set("class", " ".join(filter(None, [OUTLINE_CLASS, text.get("class")])))
        for attrs, d in _draw(text, faces, generic):
            if d:
                etree.SubElement(group, f"{{{SVG}}}path", {**attrs, "d": d})
        group.tail = text.tail
        text.getparent().replace(text, group)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _supported(text) -> bool:
    if any(el.tag == f"{{{SVG}}}textPath" for el in text.iter()):
        return False
    if any(el.tag != f"{{{SVG}}}tspan" for el in text.iterdescendants() if isinstance(el.tag, str)):
        return False
    return not any(el.get(a) is not None for el in text.iter() for a in UNSUPPORTED)


def _declared(el) -> dict[str, str]:
    """An element's own presentation attributes and ``style`` declarations (style wins)."""
    out = {k: v for k, v in el.attrib.items() if k in FONT_PROPS}
    for decl in (el.get("style") or "").split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            if k.strip() in FONT_PROPS:
                out[k.strip()] = v.strip()
    return out


def _style(el) -> Style:
    chain = [el, *el.iterancestors()][::-1]
    size, spacing, values = 16.0, 0.0, {}
    for node in chain:
        own = _declared(node)
        if "font-size" in own:
            size = _length(own["font-size"], size, size)
        if "letter-spacing" in own:
            spacing = 0.0 if own["letter-spacing"] == "normal" else _length(own["letter-spacing"], size, spacing)
        values.update(own)
    family = tuple(f.strip().strip("\"'") for f in values.get("font-family", "serif").split(",") if f.strip())
    weight = {"normal": 400, "bold": 700, "bolder": 700, "lighter": 300}.get(values.get("font-weight", "normal"))
    if weight is None:
        weight = int(float(values["font-weight"])) if re.fullmatch(r"\d+(\.\d+)?", values["font-weight"]) else 400
    italic = values.get("font-style", "normal") in ("italic", "oblique")
    return Style(family, size, weight, italic, values.get("text-anchor", "start"), spacing)


def _length(value: str, em: float, default: float) -> float:
    m = re.fullmatch(r"\s*(-?[\d.]+)\s*(px|pt|em|%)?\s*", value)
    if not m:
        return default
    number, unit = float(m.group(1)), m.group(2)
    return {"pt": number * 4 / 3, "em": number * em, "%": number * em / 100}.get(unit, number)


def _paint(el) -> dict[str, str]:
    """What an element says besides font and position: fill, stroke, style (font properties taken
    out: the outlines carry them), class and the like."""
    out = {}
    for k, v in el.attrib.items():
        if k in FONT_PROPS or k in POSITION or k == "class" or k.startswith("{"):
            continue
        if k == "style":
            v = ";".join(d for d in v.split(";") if ":" in d and d.split(":", 1)[0].strip() not in FONT_PROPS)
            if not v:
                continue
        out[k] = v
    if el.get("class") and el.tag != f"{{{SVG}}}text":
        out["class"] = el.get("class")
    return out


def _first(el, name: str) -> float | None:
    value = el.get(name)
    if value is None:
        return None
    parts = re.split(r"[\s,]+", value.strip())
    return _length(parts[0], 16.0, 0.0) if parts and parts[0] else None


def _runs(text):
    """(element, string) in document order: the text's own text, each tspan's, each tail."""
    def walk(el):
        yield el, el.text or ""
        for child in el:
            if isinstance(child.tag, str):
                yield from walk(child)
            yield el, child.tail or ""
    return [(el, s) for el, s in walk(text)]


def _collapse(runs):
    """SVG's default white-space handling across the runs: newlines and tabs become spaces, runs of
    spaces one space, none at the start or the end of the text."""
    out, prev_space = [], True
    for el, s in runs:
        s = re.sub(r"[\n\r]", "", s).replace("\t", " ")
        s = re.sub(" +", " ", s)
        if prev_space and s.startswith(" "):
            s = s[1:]
        if s:
            prev_space = s.endswith(" ")
        out.append((el, s))
    for i in range(len(out) - 1, -1, -1):
        el, s = out[i]
        if s:
            out[i] = (el, s.rstrip(" "))
            break
    return out


def _draw(text, faces, generic):
    """[(path attributes, path data)] for the runs of one <text>, anchored chunk by chunk (an
    absolute x or y starts a new chunk, as in SVG)."""
    pen_x = (_first(text, "x") or 0.0) + (_first(text, "dx") or 0.0)
    pen_y = (_first(text, "y") or 0.0) + (_first(text, "dy") or 0.0)
    chunks: list[list] = [[]]  # runs: (attributes, [(glyph, font path, x, y, size)], advance, anchor)
    seen = {text}
    for el, s in _collapse(_runs(text)):
        if el not in seen:  # a tspan's own text: its position applies from here
            seen.add(el)
            x, y = _first(el, "x"), _first(el, "y")
            if x is not None or y is not None:
                pen_x, pen_y = (x if x is not None else pen_x), (y if y is not None else pen_y)
                chunks.append([])
            pen_x += _first(el, "dx") or 0.0
            pen_y += _first(el, "dy") or 0.0
        if not s:
            continue
        style = _style(el)
        face = pick_face(faces, style, generic)
        glyphs, advance = _shape(face.path, s, style)
        placed = [(name, face.path, pen_x + gx, pen_y - gy, style.size) for name, gx, gy in glyphs]
        chunks[-1].append((_paint(el) if el is not text else {}, placed, advance, style.anchor))
        pen_x += advance
    out = []
    for chunk in chunks:
        if not chunk:
            continue
        width = sum(run[2] for run in chunk)
        shift = {"middle": -width / 2, "end": -width}.get(chunk[0][3], 0.0)
        out.extend((attrs, _path(placed, shift)) for attrs, placed, _, _ in chunk)
    return out


def pick_face(faces, style: Style, generic: dict[str, str]):
    """The face CSS font matching would choose among the book's faces: the first family in the
    list that the book has (a generic name, or none known, maps through ``generic``), the right
    style, the nearest weight."""
    families = {f.family.lower() for f in faces}
    wanted = next((name for name in style.family if name.lower() in families), None)
    if wanted is None:
        key = next((name.lower() for name in style.family if name.lower() in generic), "default")
        wanted = generic.get(key) or generic["default"]
    candidates = [f for f in faces if f.family.lower() == wanted.lower()] or faces
    styled = [f for f in candidates if (f.style == "italic") == style.italic] or candidates
    return min(styled, key=lambda f: (abs(f.weight - style.weight), -f.weight if style.weight >= 500 else f.weight))


@lru_cache(maxsize=16)
def _font(path: Path):
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont
    tt = TTFont(str(path), lazy=True)
    face = hb.Face(hb.Blob.from_file_path(str(path)))
    return tt, hb.Font(face), face.upem, tt.getGlyphOrder()


def _shape(path: Path, s: str, style: Style):
    """HarfBuzz's glyphs for a string: (glyph name, x, y) in user units from the run's start, and
    the run's advance (letter-spacing after every cluster, ligatures off when it is set, as CSS)."""
    import uharfbuzz as hb
    _, font, upem, order = _font(path)
    buf = hb.Buffer()
    buf.add_str(s)
    buf.guess_segment_properties()
    features = {"kern": True, "liga": not style.spacing, "clig": not style.spacing}
    hb.shape(font, buf, features)
    scale = style.size / upem
    x, out = 0.0, []
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
        out.append((order[info.codepoint], x + pos.x_offset * scale, pos.y_offset * scale))
        x += pos.x_advance * scale + style.spacing
    return out, x


def _path(placed, shift: float) -> str:
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    parts = []
    for name, path, x, y, size in placed:
        tt, _, upem, _ = _font(path)
        glyphs = tt.getGlyphSet()
        pen = SVGPathPen(glyphs, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
        s = size / upem
        glyphs[name].draw(TransformPen(pen, (s, 0, 0, -s, x + shift, y)))
        parts.append(pen.getCommands())
    return "".join(parts)
