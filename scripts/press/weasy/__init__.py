"""The one place the press reaches into WeasyPrint's internals (its box tree, how it writes PDFs):
this package, with ``splice`` for the PDFs.

WeasyPrint's public API lays a document out (``HTML.render``), lists its pages with their size and
anchors (``Document.pages``, ``Page.anchors``) and writes a PDF (``write_pdf``, with a
``finisher``). Everything else the press needs is not public and may change in any release:

- the laid-out box tree (``Page._page_box``, ``weasyprint.formatting_structure.boxes``): where each
  page begins to the word (``press.writers.pagestarts``), every line of the body for the pagination
  report (``press.proofs``), each page's text area (``press.queries``), the running heads and
  folios a unit laid out alone must repeat exactly (``margins``);
- how WeasyPrint writes a PDF, which the splice of re-laid-out units relies on
  (``press.weasy.splice``): each page's content tagged as whole subtrees of the Document
  element, a parent tree numbered page by page, ``ToUnicode`` maps of single characters, and glyph
  ids kept in font subsets;
- the temporary folder of a font configuration (``FontConfiguration._folder``).

This package was written against ``WRITTEN_FOR`` (the version requirements.lock pins). When another
version is installed, or ``PRESS_WEASYPRINT_INTERNALS=off`` is set, ``internals()`` is False: it
says so once on stderr, and each caller takes its safe way instead — the print edition is laid
out whole (no splicing), no margin-box check, no page starts for the EPUB's page-break markers
(they go at the start of each page's first block, from the anchors), a pagination report without
line flags, query marks placed from the anchors. The editions stay correct, only slower or
plainer. docs/architecture.md ("WeasyPrint's internals") lists the upstream issues that would make
each of these public.
"""
from __future__ import annotations

import functools
import os
import shutil
import sys
from importlib import metadata

WRITTEN_FOR = "70.0"   # the WeasyPrint version these internals were read from (requirements.lock)
SWITCH = "PRESS_WEASYPRINT_INTERNALS"


@functools.cache
def internals() -> bool:
    """Whether the internals below may be used: the installed WeasyPrint is the one this module
    was written for and ``PRESS_WEASYPRINT_INTERNALS`` is not ``off``. Says once why not."""
    reason = None
    if os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        reason = f"{SWITCH}=off"
    else:
        try:
            installed = metadata.version("weasyprint")
        except metadata.PackageNotFoundError:
            installed = "none"
        if installed != WRITTEN_FOR:
            reason = f"WeasyPrint {installed} is installed, the press was written for {WRITTEN_FOR}"
    if reason:
        print(f"press: not using WeasyPrint's internals ({reason}): the print edition is laid out whole, "
              "without the margin-box check; page starts and proof flags are left out", file=sys.stderr)
    return reason is None


def reset() -> None:
    """Read the version and the switch again (tests)."""
    internals.cache_clear()


def load() -> None:
    """Import WeasyPrint without asking ``ctypes.util.find_library`` for its libraries on Linux.
    WeasyPrint tries each library under several names (``libgobject-2.0-0``, ``gobject-2.0-0``,
    ``gobject-2.0``, ``libgobject-2.0.so.0`` …) and cffi looks up each name that is not a file name
    with find_library, which runs ``ldconfig -p``, then gcc, then ld: 0.2 s of the 0.45 s the import
    takes, in 40 processes. Every list holds the Linux file name (``libgobject-2.0.so.0``), which cffi
    gives the dynamic loader directly, so with find_library answering "not found" while WeasyPrint
    loads, each library is loaded by that name: the same libraries (a missing one fails as it did)."""
    if "weasyprint" in sys.modules:
        return
    import ctypes.util
    original = ctypes.util.find_library
    if sys.platform.startswith("linux"):
        ctypes.util.find_library = lambda name: None
    try:
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = original


# --- the box tree ------------------------------------------------------------------------------

class Box:
    """A laid-out box, as the press reads it: its element, whether it is generated content, its
    kind (a line, a replaced element such as an image, or a box holding others), the text of a
    line, and where it ends on the page. Children leave out the margin boxes (running heads)."""
    __slots__ = ("box",)

    def __init__(self, box):
        self.box = box

    @property
    def element(self):
        return self.box.element

    @property
    def generated(self) -> bool:
        """``::before``, ``::after``, ``::marker`` and the like."""
        return "::" in (self.box.element_tag or "")

    @property
    def marker(self) -> bool:
        return "::marker" in (self.box.element_tag or "")

    @property
    def line(self) -> bool:
        from weasyprint.formatting_structure import boxes
        return isinstance(self.box, boxes.LineBox)

    @property
    def replaced(self) -> bool:
        from weasyprint.formatting_structure import boxes
        return isinstance(self.box, boxes.BlockReplacedBox)

    def texts(self, generated: bool = True) -> list[str]:
        """The text of every text box inside, in order; ``generated=False`` leaves generated text out."""
        from weasyprint.formatting_structure import boxes
        return [t.text for t in self.box.descendants() if isinstance(t, boxes.TextBox)
                and (generated or "::" not in (t.element_tag or ""))]

    @property
    def hyphen(self) -> str:
        """The character the layout adds where it breaks a word."""
        return self.box.style["hyphenate_character"]

    @property
    def bottom(self) -> float:
        return self.box.position_y + self.box.margin_height()

    @property
    def children(self) -> list[Box]:
        from weasyprint.formatting_structure import boxes
        return [Box(c) for c in getattr(self.box, "children", [])
                if isinstance(c, boxes.Box) and not isinstance(c, boxes.MarginBox)]


class PageArea:
    """A page's box tree and its text area (in CSS pixels)."""

    def __init__(self, page):
        box = page._page_box  # WeasyPrint's own tests' way in; no public API (Kozea/WeasyPrint#265)
        self.root = Box(box)
        self.left, self.top = box.content_box_x(), box.content_box_y()
        self.width, self.height = box.width, box.height


def pages(doc) -> list[PageArea] | None:
    """Each page's boxes and text area; None when the internals are not to be used."""
    if not internals():
        return None
    return [PageArea(page) for page in doc.pages]


def margins(doc) -> list[str] | None:
    """Each page's margin boxes as text (running heads, folios): what a unit laid out alone must
    repeat exactly. None when the internals are not to be used (then no unit is laid out alone)."""
    if not internals():
        return None
    from weasyprint.formatting_structure import boxes

    def text(box) -> str:
        if isinstance(box, boxes.TextBox):
            return box.text
        return "".join(text(c) for c in getattr(box, "children", ()))
    return [" | ".join(text(b) for b in page._page_box.children if isinstance(b, boxes.MarginBox))
            for page in doc.pages]


# --- how WeasyPrint writes PDFs ------------------------------------------------------------------

def can_splice() -> bool:
    """Whether a unit's PDF may be spliced into the book's (press.weasy.splice relies on how
    WeasyPrint tags pages, numbers its parent tree, writes ToUnicode maps and keeps glyph ids)."""
    return internals()


def quicker_page_references() -> None:
    """pydyf's ``PDF.page_references`` builds the tuple of every page's reference each time it is
    read, and WeasyPrint reads it once per tagged element and link: for this book's screen PDF
    7,800 times over 125 pages (0.09 s of the 2.1 s it takes to write). Kept here as pydyf's own, built again only
    when a page was added (pydyf only appends to ``Kids``); the PDF is byte for byte the same."""
    if not internals():
        return
    import pydyf
    if getattr(pydyf.PDF.page_references.fget, "press", False):
        return

    def page_references(pdf):
        kids = pdf.pages["Kids"]
        known = pdf.__dict__.get("_press_page_references")
        if known is None or known[0] != len(kids):
            known = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
            pdf.__dict__["_press_page_references"] = known
        return known[1]
    page_references.press = True
    pydyf.PDF.page_references = property(page_references)


def drop_font_copies(config) -> None:
    """Remove the copies of the @font-face files WeasyPrint made for a font configuration (it
    removes them only when the configuration is collected; Kozea/WeasyPrint#2090). Without the
    internals the copies stay until then."""
    if not internals():
        return
    folder = getattr(config, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        config._folder = None  # its own clean-up, when it is collected, has nothing left to do


def quicker_crop_marks() -> None:
    """WeasyPrint draws a printer's crop marks (``marks: crop``) by building an SVG for every page,
    parsing it and drawing it through its SVG renderer into a group of its own: 2.7 ms a page, a
    tenth of writing the printer's file. The marks of pages of one size are the same drawing, so
    the marks' image is made once per drawing and its first page's operators and graphics states
    are given to the next pages' groups unchanged: the PDF is byte for byte the same. The marks
    are told from other images by the one place WeasyPrint's drawing module makes an SVG image
    (``draw_background``); any other image is drawn as WeasyPrint draws it."""
    if not internals():
        return
    from xml.etree import ElementTree

    import pydyf
    from weasyprint import draw
    from weasyprint.images import SVGImage
    if getattr(draw.draw_background_image, "press", False):
        return
    original = draw.draw_background_image

    class Marks(SVGImage):
        """The crop marks' image for one page size, with what drawing it wrote (once drawn)."""
        drawn: tuple[tuple, list, dict] | None = None  # (size, operators, graphics states)

    made: dict[bytes, Marks] = {}  # the marks' SVG → its image

    def marks(tree, base_url, url_fetcher, context):
        key = ElementTree.tostring(tree)
        if key not in made:
            made[key] = Marks(tree, base_url, url_fetcher, context)
        return made[key]

    def draw_background_image(stream, layer, style):
        image = layer.image
        if not isinstance(image, Marks) or not layer.unbounded or layer.repeat != ("no-repeat", "no-repeat") \
                or 0 in layer.size:
            return original(stream, layer, style)
        (position_x, position_y), (positioning_x, positioning_y) = layer.position, layer.positioning_area[:2]
        with stream.artifact():  # draw_background_image's own steps for an unbounded, unrepeated image
            group = stream.add_group(*stream.page_rectangle)
            group.transform(e=position_x + positioning_x, f=position_y + positioning_y)
            if image.drawn is None or image.drawn[0] != tuple(layer.size):
                start = len(group.stream)
                image.draw(group, *layer.size, style)
                resources = group._resources
                if not any(resources[name] for name in ("XObject", "Pattern", "Shading")):
                    image.drawn = (tuple(layer.size), group.stream[start:], dict(resources["ExtGState"]))
            else:
                _, operators, states = image.drawn
                group.stream.extend(operators)
                group._resources["ExtGState"].update({k: pydyf.Dictionary(v) for k, v in states.items()})
            stream.draw_x_object(group.id)
    draw_background_image.press = True
    draw.draw_background_image = draw_background_image
    draw.SVGImage = marks  # draw_background's only image: the marks
