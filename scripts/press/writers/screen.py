"""What the HTML edition adds for narrow screens (WCAG 1.4.10 reflow): wide content scrolls inside
its own region instead of widening the page.

Takes a chapter's HTML fragment (links already rewritten) and the book's root; returns it with

- every table inside ``<div class="scroll-region" role="region" tabindex="0">``, named by the
  table's caption (``aria-labelledby``) or, without one, by the label ``table``: a keyboard user
  can focus it and scroll, a screen reader announces it, and html.css draws shadows at the edges
  where more lies hidden;
- long words in headings with soft hyphens at their syllables (pyphen, the hyphenation
  dictionaries WeasyPrint uses, in the book's language): a title word wider than a phone breaks
  with a hyphen in every browser, not at an arbitrary letter (``soft_hyphens``);
- every SVG figure likewise, with ``--figure-scale`` on the image: the drawing's width over its
  smallest label's font size (both in the drawing's units), so that html.css can keep the drawing
  at least ``--figure-label-min × --figure-scale`` wide — its labels never shrink below
  ``--figure-label-min`` (tokens.css); on a narrow screen the drawing scrolls instead.

Fragments are edited with regular expressions over the pipeline's own, sanitised markup (no
nested tables or figures), so everything else stays byte for byte as the pipeline wrote it.
"""
from __future__ import annotations

import re
from html import escape, unescape
from pathlib import Path

import pyphen
from lxml import etree

HEADING = re.compile(r"(<h[1-6]\b[^>]*>)(.*?)(</h[1-6]>)", re.S)
LONG_WORD = re.compile(r"\w{12,}")  # shorter words fit a phone's line at any heading size
TABLE = re.compile(r"<table\b([^>]*)>(.*?)</table>", re.S)
FIGURE = re.compile(r"<figure\b([^>]*)>(.*?)</figure>", re.S)
IMG = re.compile(r'<img\b[^>]*\ssrc="([^"]+)"[^>]*>')
CAPTION = re.compile(r"<(caption|figcaption)\b([^>]*)>")
ID = re.compile(r'\sid="([^"]+)"')
SVG_NS = "{http://www.w3.org/2000/svg}"
DEFAULT_FONT_SIZE = 16.0   # CSS initial font-size, in the drawing's user units
UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


def soft_hyphens(html: str, lang: str) -> str:
    """Soft hyphens in the long words of ``html``'s text (not in its tags or entities)."""
    fallback = pyphen.language_fallback(lang.replace("-", "_"))
    if not fallback:
        return html
    dic = pyphen.Pyphen(lang=fallback)
    parts = re.split(r"(<[^>]+>|&[#\w]+;)", html)
    return "".join(p if p.startswith(("<", "&")) else LONG_WORD.sub(lambda m: dic.inserted(m.group(0), hyphen="\u00ad"), p)
                   for p in parts)


def hyphenate_headings(html: str, lang: str) -> str:
    return HEADING.sub(lambda m: m.group(1) + soft_hyphens(m.group(2), lang) + m.group(3), html)


def _region(inner: str, labelled_by: str | None, label: str) -> str:
    name = f'aria-labelledby="{labelled_by}"' if labelled_by else f'aria-label="{escape(label)}"'
    return f'<div class="scroll-region" role="region" tabindex="0" {name}>{inner}</div>'


def _named_caption(body: str, owner: str) -> tuple[str, str | None]:
    """Give the (fig)caption in ``body`` an id (``<owner>-caption`` unless it has one); return it."""
    found = CAPTION.search(body)
    if not found:
        return body, None
    own = ID.search(found.group(2))
    if own:
        return body, own.group(1)
    ident = f"{owner}-caption"
    tag = f'<{found.group(1)} id="{ident}"{found.group(2)}>'
    return body[:found.start()] + tag + body[found.end():], ident


def wide_regions(html: str, chapter_id: str, root: Path, labels: dict) -> str:
    """The fragment with its tables and SVG figures in scroll regions (see the module's docstring)."""
    count = [0]

    def owner(attrs: str, kind: str) -> str:
        own = ID.search(attrs)
        count[0] += 1
        return own.group(1) if own else f"{chapter_id}-{kind}-{count[0]}"

    def table(m: re.Match) -> str:
        body, caption = _named_caption(m.group(2), owner(m.group(1), "table"))
        return _region(f"<table{m.group(1)}>{body}</table>", caption, labels["table"])

    def figure(m: re.Match) -> str:
        body = m.group(2)
        img = IMG.search(body)
        scale = figure_scale(root / unescape(img.group(1))) if img else None
        if scale is None:
            return m.group(0)
        body, caption = _named_caption(body, owner(m.group(1), "figure"))
        img = IMG.search(body)
        sized = img.group(0).replace("<img ", f'<img style="--figure-scale: {scale:g}" ', 1)
        wrapped = _region(sized, caption, labels["figure"])
        return f"<figure{m.group(1)}>{body[:img.start()]}{wrapped}{body[img.end():]}</figure>"

    return FIGURE.sub(figure, TABLE.sub(table, html))


def _length(value: str | None, parent: float) -> float | None:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(px|pt|pc|mm|cm|in|em|%|)\s*", value or "")
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2)
    if unit == "em":
        return number * parent
    if unit == "%":
        return number / 100 * parent
    return number * UNITS[unit]


def _font_size(el, parent: float) -> float:
    style = dict(part.split(":", 1) for part in (el.get("style") or "").split(";") if ":" in part)
    style = {k.strip(): v for k, v in style.items()}
    size = _length(style.get("font-size"), parent) or _length(el.get("font-size"), parent)
    return size if size else parent


def figure_scale(path: Path) -> float | None:
    """An SVG's width (viewBox, else width) over the font size of its smallest text, both in the
    drawing's units; None for other images, drawings without text and files that do not parse."""
    if path.suffix.lower() != ".svg" or not path.is_file():
        return None
    from .. import images
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:  # the cleaned drawing the edition shows, not the manuscript's file
        svg = etree.fromstring(images.cleaned(path), parser)
    except (etree.XMLSyntaxError, OSError, images.ImageError):
        return None
    box = (svg.get("viewBox") or "").replace(",", " ").split()
    try:
        width = float(box[2]) if len(box) == 4 else _length(svg.get("width"), DEFAULT_FONT_SIZE)
    except ValueError:  # a viewBox that is not four numbers
        return None
    sizes: list[float] = []

    def walk(el, inherited: float) -> None:
        size = _font_size(el, inherited)
        if el.tag in (f"{SVG_NS}text", f"{SVG_NS}tspan") and "".join(el.itertext()).strip():
            sizes.append(size)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, size)
    walk(svg, DEFAULT_FONT_SIZE)
    if not width or not sizes or min(sizes) <= 0:
        return None
    return round(width / min(sizes), 2)
