"""What the screen tests measure in a browser (tests/browser.py), shared by the press's tests
(test_screen.py, on the fixture books) and the acceptance tests (test_book_screens.py).

- ``wider_pages``: the pages of an HTML edition that scroll sideways at a width (WCAG 1.4.10).
- ``figure_labels``: every text label of every SVG figure on a page, as a reader sees it — its
  contrast measured in pixels (the label drawn, against the same figure drawn without it, at every
  scroll position of the figure's region) and its rendered font size.
"""
from __future__ import annotations

import base64
from pathlib import Path

from browser import Browser, contrast
from lxml import etree
from PIL import ImageChops

SVG = "{http://www.w3.org/2000/svg}"


def wider_pages(browser: Browser, html: Path, width: int, scheme: str = "light") -> dict[str, int]:
    """{page name: its width in CSS pixels} for every page of ``html`` wider than ``width``."""
    wide = {}
    for page in sorted(html.glob("*.html")):
        browser.open(page, width, scheme)
        if browser.scroll_width() > width:
            wide[page.name] = browser.scroll_width()
    return wide


def _font_sizes(svg) -> list[tuple[int, float]]:
    """(index among the drawing's <text> elements, font size in user units) of each label."""
    out = []

    def walk(el, size: float) -> None:
        value = el.get("font-size")
        size = float(value.removesuffix("px")) if value else size
        if el.tag == f"{SVG}text":
            out.append((len(out), size))
        for child in el:
            if isinstance(child.tag, str):
                walk(child, size)
    walk(svg, 16.0)
    return out


def _data_uri(svg) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(etree.tostring(svg)).decode()


def figure_labels(browser: Browser, page: Path, width: int, scheme: str) -> list[dict]:
    """[{figure, text, contrast, size}] for the SVG figures of one HTML page at a width and scheme.
    A figure that scrolls inside its region is measured at every scroll position it has."""
    browser.open(page, width, scheme)
    out = []
    count = browser.run("return document.querySelectorAll('figure img').length")
    for i in range(count):
        src = browser.run("return document.querySelectorAll('figure img')[arguments[0]].getAttribute('src')", i)
        if not src.endswith(".svg"):
            continue
        svg = etree.parse(str(page.parent / src)).getroot()
        view = [float(v) for v in svg.get("viewBox").split()] if svg.get("viewBox") else [0, 0, float(svg.get("width"))]
        inner, positions = browser.run("""
            const img = document.querySelectorAll('figure img')[arguments[0]];
            const region = img.closest('.scroll-region'), s = getComputedStyle(img);
            const inner = img.getBoundingClientRect().width - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
            const positions = [0];
            if (region) {
              const step = region.clientWidth - 40, last = region.scrollWidth - region.clientWidth;
              for (let x = step; x < last; x += step) positions.push(x);
              if (last > 0) positions.push(last);
            }
            return [inner, positions];""", i)
        scale = inner / view[2]
        shown = _shots(browser, i, positions)
        texts = svg.findall(f".//{SVG}text")
        for (index, size), text in zip(_font_sizes(svg), texts):
            hidden = etree.fromstring(etree.tostring(svg))
            hidden.findall(f".//{SVG}text")[index].set("visibility", "hidden")
            _show(browser, i, _data_uri(hidden))
            measured = max(_label_contrast(a, b) for a, b in zip(shown, _shots(browser, i, positions)))
            out.append({"figure": src, "text": "".join(text.itertext()).strip(), "size": round(size * scale, 1),
                        "contrast": round(measured, 2)})
        _show(browser, i, src)
    return out


def _shots(browser: Browser, i: int, positions: list[int]) -> list:
    """The i-th figure (its region, scrolled to each position, or the image) as images."""
    images = []
    for x in positions:
        box = browser.run("""
            const img = document.querySelectorAll('figure img')[arguments[0]];
            const region = img.closest('.scroll-region');
            if (region) region.scrollLeft = arguments[1];
            const r = (region || img).getBoundingClientRect();
            return [r.left + scrollX, r.top + scrollY, r.width, r.height];""", i, x)
        images.append(browser.screenshot(clip={"x": box[0], "y": box[1], "width": box[2], "height": box[3]}))
    return images


def _show(browser: Browser, i: int, uri: str) -> None:
    """Draw the i-th figure from ``uri``, and wait until it is painted."""
    browser.run("const img = document.querySelectorAll('figure img')[arguments[0]]; img.src = arguments[1];"
                "return img.decode().then(() => new Promise(r => requestAnimationFrame(() => r(true))))", i, uri)


def _label_contrast(shown, without) -> float:
    """The contrast of a label: its strongest ink against what lies behind it (the same pixels
    with the label hidden). A label that changes no pixel has none (1.0)."""
    diff = ImageChops.difference(shown, without).convert("L")
    box = diff.getbbox()
    if box is None:
        return 1.0
    best = 1.0
    for y in range(box[1], box[3]):
        for x in range(box[0], box[2]):
            if diff.getpixel((x, y)) > 24:
                best = max(best, contrast(shown.getpixel((x, y)), without.getpixel((x, y))))
    return best
