"""The index's locators as each edition shows them. The index filter writes, per entry, one link
per mark in reading order inside ``<span class="index-locators">``; this module turns them into

- page numbers (print, from the layout's anchors; EPUB, from the print edition's page map):
  one number per page, consecutive pages as a range — "12, 14–16" — each number a link to the
  first mark on its page;
- chapters (HTML, which has no pages): each chapter the term occurs in, a link to its first mark.

Marks that reach no page (INDEX-003) are left out here; ``missing`` names them for the check.
"""
from __future__ import annotations

import re
from html import escape

LOCATORS = re.compile(r'<span class="index-locators">(.*?)</span>', re.S)
LINK = re.compile(r'<a href="([^"]*)"[^>]*>')


def _target(href: str) -> str:
    return href.rsplit("#", 1)[-1]


def ranges(pages: list[int]) -> list[tuple[int, int]]:
    """Sorted distinct pages as (first, last) runs of consecutive numbers."""
    out: list[tuple[int, int]] = []
    for p in sorted(set(pages)):
        if out and p == out[-1][1] + 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}" class="index-locator">{escape(text)}</a>'


def by_page(html: str, anchors: dict[str, int], range_dash: str = "–", settled: bool = False) -> str:
    """Every entry's locators as merged page numbers ("12, 14–16"). ``settled`` marks them, so
    that ``has_index`` sees no numbers left to set (an index laid out alone, pdfunits)."""
    opening = '<span class="index-locators" data-settled="">' if settled else '<span class="index-locators">'

    def repl(m: re.Match) -> str:
        first: dict[int, str] = {}
        for href in LINK.findall(m.group(1)):
            page = anchors.get(_target(href))
            if page is not None:
                first.setdefault(page, href)
        parts = []
        for a, b in ranges(list(first)):
            parts.append(_link(first[a], str(a)) + ("" if a == b else range_dash + _link(first[b], str(b))))
        return opening + ", ".join(parts) + "</span>"
    return LOCATORS.sub(repl, html)


def by_chapter(html: str, chapter_of, title_of) -> str:
    """Every entry's locators as the chapters they occur in, each linked to its first mark."""
    def repl(m: re.Match) -> str:
        first: dict[str, str] = {}
        for href in LINK.findall(m.group(1)):
            first.setdefault(chapter_of(href), href)
        return '<span class="index-locators">' + ", ".join(_link(h, title_of(c)) for c, h in first.items()) + "</span>"
    return LOCATORS.sub(repl, html)


def targets(html: str) -> list[str]:
    """The ids every locator points at."""
    return [_target(h) for m in LOCATORS.finditer(html) for h in LINK.findall(m.group(1))]


def has_index(html: str) -> bool:
    """Whether ``html`` holds an index whose locators are still links, their numbers to be set."""
    return '<span class="index-locators">' in html
