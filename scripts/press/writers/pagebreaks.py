"""Placing the EPUB's page-break markers at the first word of each printed page.

``place(root, where, spans)`` takes a chapter fragment (an lxml tree), a place as
``press.writers.pagestarts`` records it — (element id, tag, n, offset): the n-th ``tag`` inside
the element with that id (``tag`` None: the element itself), and the number of characters other
than white space before the page in it — and the marker elements; it inserts them there and
returns False when the element is not in the fragment.

A marker goes inside the paragraph, before the page's first word, so it neither separates two
paragraphs (which would cost the second its first-line indent, ``p + p``) nor opens a page late.
A page that opens with a figure, table, box or list, or inside a heading, gets its marker just
before that block. Text a
print layout leaves out (a page reference's link text, whose number the print edition generates)
is not counted.
"""
from __future__ import annotations

from .pagestarts import SPACE

BLOCKS = {"figure", "table", "blockquote", "aside", "section", "div", "ol", "ul", "dl", "pre", "hr"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}  # a marker inside one would join the heading's name
INLINE = {"a", "em", "strong", "span", "sup", "sub", "b", "i", "small", "abbr", "cite", "q", "code", "mark", "u", "s"}


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _slots(el):
    """(element, "text" or "tail", string) in document order inside ``el``."""
    if el.text:
        yield el, "text", el.text
    for child in el:
        if not isinstance(child.tag, str):
            pass
        elif not (child.tag == "a" and "pageref" in _classes(child)):
            yield from _slots(child)
        if child.tail:
            yield child, "tail", child.tail


def _insert_before(el, spans) -> None:
    parent = el.getparent()
    at = parent.index(el)
    for i, span in enumerate(spans):
        span.tail = None
        parent.insert(at + i, span)


def _insert_in_text(owner, at: int, spans) -> None:
    text = owner.text or ""
    rest, owner.text = text[at:], text[:at] or None
    for i, span in enumerate(spans):
        owner.insert(i, span)
    spans[-1].tail = rest or None


def _insert_in_tail(owner, at: int, spans) -> None:
    rest, owner.tail = owner.tail[at:], owner.tail[:at] or None
    parent = owner.getparent()
    start = parent.index(owner) + 1
    for i, span in enumerate(spans):
        parent.insert(start + i, span)
    spans[-1].tail = rest or None


def place(root, where: tuple, spans: list) -> bool:
    ident, tag, n, offset = where
    found = root.xpath("//*[@id=$i]", i=ident)
    if not found or not spans:
        return False
    target = found[0]
    if tag is not None:
        same = list(target.iter(tag))  # the element itself first, when it is a <tag>
        target = same[n] if n < len(same) else target
    offset = offset or 0
    if target.tag in ("th", "caption") and offset == 0:  # a page opening with a table: before the table
        table = next((a for a in target.iterancestors("table")), None)
        target = table if table is not None else target
    if (offset == 0 and target.tag in BLOCKS or target.tag in HEADINGS) and target.getparent() is not None:
        _insert_before(target, spans)
        return True
    count = 0
    for owner, kind, text in _slots(target):
        for i, ch in enumerate(text):
            if SPACE.match(ch):
                continue
            if count == offset:
                while i > 0 and not SPACE.match(text[i - 1]):
                    i -= 1  # a page that opens with the end of a hyphenated word: before the word
                if kind == "text":
                    if i == 0 and owner is not target and owner.tag in INLINE:
                        _insert_before(owner, spans)  # before the link or emphasis, not inside it
                    else:
                        _insert_in_text(owner, i, spans)
                else:
                    _insert_in_tail(owner, i, spans)
                return True
            count += 1
    # the offset lies beyond the text (the source changed): the start of the block
    if target.tag in BLOCKS and target.getparent() is not None:
        _insert_before(target, spans)
    else:
        _insert_in_text(target, 0, spans)
    return True
