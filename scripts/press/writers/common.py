"""What the three edition writers share: the jinja2 environment, the book's view model, internal
link rewriting for split or single-document editions, block ids, the build time (atomic output
comes from ``press.fsio``)."""
from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

import press

from .. import l10n
from ..book import Book
from ..fsio import atomic_dir, atomic_file  # noqa: F401 — the one way outputs are written
from ..htmltext import put_first
from ..pipeline import ChapterResult


def cover_svg(meta: dict, height: int = 2400) -> str:
    """The front cover (templates/epub/cover.svg) in the design's colours and display face: the
    EPUB's cover image, the HTML edition's thumbnail and the print cover's front panel."""
    import textwrap

    from ..design import resolved_tokens
    return environment().get_template("epub/cover.svg").render(meta=meta, tokens=resolved_tokens(), height=height,
                                                                title_lines=textwrap.wrap(meta["title"], 20))


def environment() -> jinja2.Environment:
    """The templates' environment, one per templates folder in a process: a template is compiled
    once (8 ms for the print book's) and compiled again only when its file changes (jinja2 checks)."""
    return _environment(str(press.TEMPLATES))


@functools.cache
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["join_names"] = join_names
    env.filters["byline"] = byline
    env.filters["long_date"] = l10n.date  # {{ meta.date | long_date(lang) }}: "4 April 2025"
    env.filters["isbn"] = isbn
    return env


def precompile(*names: str) -> None:
    """Compile the templates ``names`` (and what they include) ahead of their first use."""
    env = environment()
    for name in names:
        env.get_template(name)


def isbn(identifier: str) -> str:
    """The ISBN of a ``urn:isbn:`` identifier, or "" (a UUID identifies the file, not the book a
    reader asks for: it stays in the metadata, out of the colophon)."""
    return identifier[len("urn:isbn:"):] if identifier.lower().startswith("urn:isbn:") else ""


def join_names(names: list[str], word_and: str) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {word_and} " + names[-1]


def byline(chapter, labels: dict, first_published: bool = True) -> str:
    """The chapter's byline as the book prints it: the authors, then each contributor role with its
    label in the book's language ("Frank van Erkel met bijdragen van Eric Lugtmeijer"), then where
    the chapter first appeared, in parentheses. Empty for a chapter without authors or contributors."""
    words = [join_names(chapter.authors, labels["and"])] if chapter.authors else []
    roles: dict[str, list[str]] = {}
    for person in chapter.contributors:
        roles.setdefault(person["role"], []).append(person["name"])
    for role, names in roles.items():
        words.append(f'{labels[f"role_{role}"]} {join_names(names, labels["and"])}')
    line = " ".join(words)
    if first_published and chapter.first_published and line:
        line += f" ({chapter.first_published})"
    return line


def rewrite_links(root, current: str, href_of) -> None:
    """Every internal link under ``root`` (an ``<a>`` the xrefs filter gave ``data-chapter``) pointed
    where the edition keeps its target, ``href_of(chapter_id, target_id, current)``; the
    ``data-chapter`` attribute, the pipeline's note to the writers, goes."""
    for a in root.iter("a"):
        chapter, href = a.get("data-chapter"), a.get("href") or ""
        if chapter is not None and href.startswith("#"):
            a.set("href", href_of(chapter, href[1:], current))
            del a.attrib["data-chapter"]


def fill_pagerefs(root, labels: dict) -> None:
    """The e-editions' page references (emptied by the pagerefs filter): a link whose text names
    the place it points at, in the book's language ("see the figure"), no page number."""
    for a in root.iter("a"):
        kind = a.get("data-ref-kind")
        if kind is not None and not len(a) and not (a.text or "").strip():
            a.text = labels.get(f"pageref_{kind}", labels["pageref_other"])


@dataclass
class PartView:
    index: int
    number: int
    title: str
    id: str
    chapters: list


def parts_view(book: Book, results: list[ChapterResult]) -> list:
    """The reading order as a list of items: ("chapter", result) or ("part", PartView)."""
    items: list = []
    for r in results:
        part = r.chapter.part
        if part is None:
            items.append(("chapter", r))
            continue
        if not (items and items[-1][0] == "part" and items[-1][1].index == part):
            items.append(("part", PartView(part, part + 1, book.parts[part], f"part-{part + 1}", [])))
        items[-1][1].chapters.append(r)
    return items


def roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def markup(html: str) -> Markup:
    return Markup(html)


BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figure", "table", "aside", "pre")


def mark_blocks(root, cid: str) -> list[str]:
    """Give every block element under ``root`` an id (``pb-<chapter>-<n>``, its first attribute)
    unless it has one; return the ids in order. The print and EPUB writers call this on the same
    fragment, so ids match between editions."""
    order: list[str] = []
    count = 0
    for el in root.iter(*BLOCKS):
        ident = el.get("id")
        if not ident:
            count += 1
            ident = f"pb-{cid}-{count}"
            put_first(el, {"id": ident})
        order.append(ident)
    return order


def local_href(chapter: str, target: str, current: str) -> str:
    """``rewrite_links``'s target in an edition that is one document (the print HTML, an offprint)."""
    return f"#{target}"


def build_time(book: Book) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the book's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.fromisoformat(book.meta["date"])
