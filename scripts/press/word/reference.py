"""The reference document that styles the review copies, made from the book's design tokens.

Takes the styles folder (``tokens.css``: the text and display faces, the sizes, the text, accent,
box and rule colours); returns the bytes of a ``reference.docx``: pandoc's own default reference
document (so every style pandoc's writer uses is there) with its styles set in the book's faces
and colours by python-docx, plus the styles the press's mapping writes: ``Sidebar`` and
``Sidebar Title`` (a shaded, ruled box), ``Pull Quote``, ``Part Title``, ``Chapter Subtitle``,
``Chapter Author`` (paragraphs), ``Page Reference`` and ``Pending`` (characters). Cached by the
tokens' and this module's content, written through ``press.cache`` (atomically).
"""
from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import docx
import tinycss2
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor

from .. import cache, pandoc
from ..pandoc import pandoc_path


def tokens(styles: Path) -> dict[str, str]:
    """The custom properties of ``tokens.css`` (``--font-text`` → ``"EB Garamond", …``)."""
    sheet = tinycss2.parse_stylesheet((styles / "tokens.css").read_text(encoding="utf-8"),
                                      skip_comments=True, skip_whitespace=True)
    out = {}
    for rule in sheet:
        if rule.type != "qualified-rule":
            continue
        for decl in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if decl.type == "declaration" and decl.name.startswith("--"):
                out[decl.name] = tinycss2.serialize(decl.value).strip()
    return out


def first_family(value: str) -> str:
    """The first family of a CSS font list."""
    for token in tinycss2.parse_component_value_list(value):
        if token.type == "string":
            return token.value
        if token.type == "ident":
            return token.value
    return value.split(",")[0].strip().strip("\"'")


def colour(value: str, default: str) -> RGBColor:
    value = (value or default).strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    try:
        return RGBColor.from_string(value.upper())
    except ValueError:
        return RGBColor.from_string(default.lstrip("#").upper())


def points(value: str, default: float) -> float:
    value = (value or "").strip()
    try:
        if value.endswith("pt"):
            return float(value[:-2])
        if value.endswith("px"):
            return float(value[:-2]) * 0.75
    except ValueError:
        pass
    return default


def _face(style, family: str) -> None:
    """Set a style's face for every script, replacing the theme's fonts pandoc's reference uses."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{key}"), family)


def _box(style, fill: str, rule: str) -> None:
    ppr = style.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:shd"):
        old = ppr.find(qn(tag))
        if old is not None:
            ppr.remove(old)
    sides = "".join(f'<w:{s} w:val="single" w:sz="6" w:space="6" w:color="{rule}"/>' for s in ("top", "left", "bottom", "right"))
    ppr.append(parse_xml(f"<w:pBdr {nsdecls('w')}>{sides}</w:pBdr>"))
    ppr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def _style(doc, name: str, kind, base: str | None = None):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
        if base:
            style.base_style = doc.styles[base]
        style.quick_style = True
        return style


def build(styles: Path) -> bytes:
    """A reference.docx in the book's faces and colours (uncached)."""
    tok = tokens(styles)
    text_face = first_family(tok.get("--font-text", "serif"))
    display_face = first_family(tok.get("--font-display", "sans-serif"))
    size = points(tok.get("--size-text", ""), 10.5)
    ink = colour(tok.get("--colour-text", ""), "#1b1b1b")
    accent = colour(tok.get("--colour-accent", ""), "#8a3b12")
    fill = str(colour(tok.get("--colour-box", ""), "#f3efe8"))
    rule = str(colour(tok.get("--colour-rule", ""), "#b9ab95"))
    base = subprocess.run([pandoc_path(), "--print-default-data-file", "reference.docx"],
                          capture_output=True, check=True).stdout
    doc = docx.Document(io.BytesIO(base))
    P, C = WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER
    normal = doc.styles["Normal"]
    _face(normal, text_face)
    normal.font.size = Pt(size)
    normal.font.color.rgb = ink
    for name in ("Title", "Subtitle", "Author", *(f"Heading {n}" for n in range(1, 7)), "Image Caption",
                 "Table Caption", "Abstract Title"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        _face(style, display_face)
        if name.startswith(("Title", "Heading")):
            style.font.color.rgb = accent
    part = _style(doc, "Part Title", P, "Title")
    part.paragraph_format.page_break_before = True
    _style(doc, "Chapter Subtitle", P, "Subtitle")
    _style(doc, "Chapter Author", P, "Author")
    sidebar = _style(doc, "Sidebar", P, "Body Text")
    _box(sidebar, fill, rule)
    sidebar.paragraph_format.left_indent = Pt(12)
    sidebar.paragraph_format.right_indent = Pt(12)
    title = _style(doc, "Sidebar Title", P, "Sidebar")
    _face(title, display_face)
    title.font.bold = True
    title.paragraph_format.keep_with_next = True
    pull = _style(doc, "Pull Quote", P, "Body Text")
    _face(pull, display_face)
    pull.font.size = Pt(round(size * 1.35, 1))
    pull.font.color.rgb = accent
    pull.paragraph_format.left_indent = Pt(36)
    pull.paragraph_format.right_indent = Pt(36)
    ref = _style(doc, "Page Reference", C, "Hyperlink")
    ref.font.color.rgb = accent
    pend = _style(doc, "Pending", C)
    pend.font.italic = True
    pend.font.highlight_color = WD_COLOR_INDEX.YELLOW
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reference_docx(styles: Path) -> Path:
    """The cached reference document's path for the styles in ``styles``."""
    h = hashlib.sha256()
    for data in ((styles / "tokens.css").read_bytes(), Path(__file__).read_bytes(), pandoc.pandoc_version().encode()):
        h.update(data)
        h.update(b"\0")
    path = cache.folder("word") / f"reference-{h.hexdigest()[:20]}.docx"
    if not path.exists():
        cache.write(path, build(styles))
    return path
