"""What the HTML edition adds for narrow screens (WCAG 1.4.10 reflow): wide content scrolls inside
its own region instead of widening the page.

Takes a chapter's fragment (an lxml tree, links already rewritten) and the book's root, and gives it

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

Fragments are edited as lxml trees (``htmltext.fragment``) and written as the HTML standard
serialises them (``htmltext.inner_html``), so everything else stays byte for byte as the pipeline
wrote it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyphen
from lxml import etree

from ..htmltext import fragment, inner_html, put_first

LONG_WORD = re.compile(r"\w{12,}")  # shorter words fit a phone's line at any heading size
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
SVG_NS = "{http://www.w3.org/2000/svg}"
DEFAULT_FONT_SIZE = 16.0   # CSS initial font-size, in the drawing's user units
UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


def _hyphenator(lang: str):
    fallback = pyphen.language_fallback(lang.replace("-", "_"))
    return pyphen.Pyphen(lang=fallback) if fallback else None


def _hyphenate(el, dic) -> None:
    """Soft hyphens in the long words of the text ``el`` holds (its own tail left alone)."""
    def words(text: str | None) -> str | None:
        return LONG_WORD.sub(lambda m: dic.inserted(m.group(0), hyphen="\u00ad"), text) if text else text
    el.text = words(el.text)
    for child in el.iterdescendants():
        if isinstance(child.tag, str):  # an element; a comment's text is not the reader's
            child.text = words(child.text)
        child.tail = words(child.tail)


def soft_hyphens(html: str, lang: str) -> str:
    """Soft hyphens in the long words of ``html``'s text (not in its tags or attributes)."""
    dic = _hyphenator(lang)
    if dic is None:
        return html
    root = fragment(html)
    _hyphenate(root, dic)
    return inner_html(root)


def hyphenate_headings(root, lang: str) -> None:
    """Soft hyphens in the long words of every heading under ``root``."""
    dic = _hyphenator(lang)
    if dic is not None:
        for heading in root.iter(*HEADINGS):
            _hyphenate(heading, dic)


def _region(el, labelled_by: str | None, label: str) -> None:
    """``el`` wrapped in a scroll region named by the element ``labelled_by`` or by ``label``."""
    name = {"aria-labelledby": labelled_by} if labelled_by else {"aria-label": label}
    region = etree.Element("div", {"class": "scroll-region", "role": "region", "tabindex": "0", **name})
    el.addprevious(region)
    region.tail, el.tail = el.tail, None
    region.append(el)


def _named_caption(el, owner: str) -> str | None:
    """Give the (fig)caption in ``el`` an id (``<owner>-caption`` unless it has one); return it."""
    caption = next((c for c in el.iterdescendants("caption", "figcaption")), None)
    if caption is None:
        return None
    if caption.get("id") is None:
        put_first(caption, {"id": f"{owner}-caption"})
    return caption.get("id")


def wide_regions(root, chapter_id: str, book_root: Path, labels: dict) -> None:
    """The tables and SVG figures under ``root`` put in scroll regions (see the module's docstring)."""
    count = [0]

    def owner(el, kind: str) -> str:
        count[0] += 1
        return el.get("id") or f"{chapter_id}-{kind}-{count[0]}"

    for table in list(root.iter("table")):
        _region(table, _named_caption(table, owner(table, "table")), labels["table"])
    for figure in list(root.iter("figure")):
        img = next((i for i in figure.iter("img") if i.get("src") is not None), None)
        scale = figure_scale(book_root / img.get("src")) if img is not None else None
        if scale is None:
            continue
        caption = _named_caption(figure, owner(figure, "figure"))
        put_first(img, {"style": f"--figure-scale: {scale:g}"})
        _region(img, caption, labels["figure"])


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
