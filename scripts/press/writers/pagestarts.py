"""Where each printed page begins, to the word: read from WeasyPrint's line boxes, so the EPUB can
put its page-break markers at the first word of every page, also when a page begins in the middle
of a paragraph (``press.writers.epub``).

``first_words(doc)`` takes a laid-out WeasyPrint document and returns, per page number (as a
string, for JSON) that has body text or an image on it, where it begins::

    {"chapter": "tides",         # the chapter (article) it stands in, or None (front matter, part page)
     "id": "pb-tides-3",         # the nearest element with an id around the page's first line
     "tag": "p", "n": 0,         # the line's block element: the n-th <tag> inside that element (0: itself)
     "offset": 412,              # characters other than white space before the page, in that block
     "word": "harbour"}          # the page's first word, for people and tests

Offsets count the block's own text as the source has it (``squeeze``): generated text (``::before``, ``::after``,
list markers) is not counted, and a hyphen WeasyPrint adds where it breaks a word is recognised as
not being in the source. A line that cannot be found in its block's text gets no offset (None):
the marker then goes at the start of the block. Reading the boxes uses WeasyPrint's box tree, as
``press.proofs.read_lines`` does, through ``press.weasy`` (WeasyPrint has no public API for line
boxes); without WeasyPrint's internals there are no page starts (None) and the EPUB puts each
page's marker at the start of its first block.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

SPACE = re.compile(r"[\s\u00ad]+")  # white space, and soft hyphens (never shown unless a line breaks there)


def reader_key() -> str:
    """A hash of this module: page starts a build recorded with other code are read again."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def squeeze(text: str) -> str:
    """Text as offsets count it: without white space or soft hyphens."""
    return SPACE.sub("", text)


class _Block:
    """The running position in one block element's source text, line by line."""

    def __init__(self, element):
        self.source = squeeze("".join(element.itertext()))
        self.pos = 0

    def place(self, line: str, hyphen: str) -> int | None:
        """The offset of ``line`` (squeezed) in the block, from where the last line ended."""
        for probe in (line[:24], line[:8], line[:3]):
            at = self.source.find(probe, self.pos) if probe else -1
            if at >= 0:
                length = len(line)
                if hyphen and line.endswith(hyphen) and not self.source.startswith(line, at):
                    length -= len(hyphen)  # a hyphen the layout added where it broke a word
                self.pos = at + length
                return at
        return None


def first_words(doc) -> dict[str, dict] | None:
    from .. import weasy

    areas = weasy.pages(doc)
    if areas is None:
        return None
    out: dict[str, dict] = {}
    blocks: dict[int, _Block] = {}
    anchors: dict[int, object] = {}

    def entry(page: int, element, named, chapter, offset: int | None, word: str) -> None:
        if str(page) in out:
            return
        anchor = named if named is not None else element
        n = 0
        if anchor is not element:
            same = [e for e in anchor.iter() if isinstance(e.tag, str) and _tag(e) == _tag(element)]
            n = next((i for i, e in enumerate(same) if e is element), 0)
        out[str(page)] = {"chapter": chapter, "id": anchor.get("id"), "tag": _tag(element), "n": n,
                          "offset": offset, "word": word}

    def walk(box: weasy.Box, page: int, named, chapter) -> None:
        element = box.element
        if element is not None and not box.generated:
            if element.get("id"):
                named = element
            if _tag(element) == "article" and "chapter" in (element.get("class") or "").split():
                chapter = element.get("id")
        if box.line:
            if box.generated or element is None or named is None:
                return
            texts = box.texts(generated=False)
            line = squeeze("".join(texts))
            if not line:
                return
            block = blocks.setdefault(id(element), _Block(element))
            anchors[id(element)] = element  # keep the element alive while its id() is a key
            repeat = block.pos > 0
            offset = block.place(line, box.hyphen)
            if offset is None and repeat:
                return  # a table's header row repeated at the top of the page: the page begins below it
            words = "".join(texts).split()
            entry(page, element, named, chapter, offset, words[0] if words else "")
            return
        if box.replaced and named is not None:
            entry(page, named, named, chapter, 0, "")
            return
        for child in box.children:
            walk(child, page, named, chapter)

    for number, area in enumerate(areas, 1):
        walk(area.root, number, None, None)
    return out
