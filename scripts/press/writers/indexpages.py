"""The index's locators as each edition shows them. The index filter writes, per entry, one link
per mark in reading order inside ``<span class="index-locators">``; this module turns them into

- page numbers (print, from the layout's anchors; EPUB, from the print edition's page map):
  one number per page, consecutive pages as a range — "12, 14–16" — each number a link to the
  first mark on its page;
- chapters (HTML, which has no pages): each chapter the term occurs in, a link to its first mark.

Marks that reach no page (INDEX-003) are left out. Each edition's fragment is read and rewritten
as an lxml tree (``htmltext.fragment``).
"""
from __future__ import annotations

from lxml import etree


def _target(href: str) -> str:
    return href.rsplit("#", 1)[-1]


def _open(root) -> list:
    """The entries' locator spans under ``root`` whose numbers are still to be set (the index
    filter's ``<span class="index-locators">``; one laid out alone is marked ``data-settled``)."""
    return [s for s in root.iter("span") if dict(s.attrib) == {"class": "index-locators"}]


def _hrefs(span) -> list[str]:
    return [a.get("href") for a in span.iter("a") if a.get("href") is not None]


def _fill(span, pieces: list) -> None:
    """``span``'s content replaced by ``pieces``: text, and (href, text) for a locator link."""
    for child in list(span):
        span.remove(child)
    span.text, last = None, None
    for piece in pieces:
        if isinstance(piece, str):
            if last is None:
                span.text = (span.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        else:
            last = etree.SubElement(span, "a", {"href": piece[0], "class": "index-locator"})
            last.text = piece[1]


def ranges(pages: list[int]) -> list[tuple[int, int]]:
    """Sorted distinct pages as (first, last) runs of consecutive numbers."""
    out: list[tuple[int, int]] = []
    for p in sorted(set(pages)):
        if out and p == out[-1][1] + 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _joined(groups: list[list]) -> list:
    return [piece for i, group in enumerate(groups) for piece in ([", "] if i else []) + group]


def by_page(root, anchors: dict[str, int], range_dash: str = "–", settled: bool = False) -> None:
    """Every entry's locators under ``root`` as merged page numbers ("12, 14–16"). ``settled``
    marks them, so that ``has_index`` sees no numbers left to set (an index laid out alone,
    pdfunits)."""
    for span in _open(root):
        first: dict[int, str] = {}
        for href in _hrefs(span):
            page = anchors.get(_target(href))
            if page is not None:
                first.setdefault(page, href)
        _fill(span, _joined([[(first[a], str(a))] + ([] if a == b else [range_dash, (first[b], str(b))])
                             for a, b in ranges(list(first))]))
        if settled:
            span.set("data-settled", "")


def by_chapter(root, chapter_of, title_of) -> None:
    """Every entry's locators under ``root`` as the chapters they occur in, each linked to its
    first mark."""
    for span in _open(root):
        first: dict[str, str] = {}
        for href in _hrefs(span):
            first.setdefault(chapter_of(href), href)
        _fill(span, _joined([[(h, title_of(c))] for c, h in first.items()]))


def has_index(root) -> bool:
    """Whether ``root`` holds an index whose locators are still links, their numbers to be set."""
    return bool(_open(root))
