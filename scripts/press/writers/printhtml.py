"""The print edition's HTML: the whole book as one document (``print/book.html``), every block
element given an id (``common.mark_blocks``), internal links as fragment links within it, and the
page-reference rules in the book's language."""
from __future__ import annotations

from ..book import Book
from ..htmltext import fragment, inner_html
from ..pipeline import ChapterResult
from .common import build_time, environment, local_href, mark_blocks, markup, parts_view, rewrite_links, roman


def book_html(book: Book, results: list[ChapterResult]) -> tuple[str, dict]:
    """The print HTML and, per chapter id, its block ids in order."""
    env = environment()
    labels = results[0].ctx.labels if results else {}
    blocks: dict[str, list[str]] = {}
    bodies: dict[str, str] = {}
    for r in results:
        root = fragment(r.html)
        rewrite_links(root, r.chapter.id, local_href)
        blocks[r.chapter.id] = mark_blocks(root, r.chapter.id)
        bodies[r.chapter.id] = inner_html(root)

    def part_title(r: ChapterResult) -> str:
        """The verso's running head: the chapter's part; a chapter outside the parts (a foreword, the
        back matter) has its own title on both pages."""
        return book.parts[r.chapter.part] if r.chapter.part is not None else r.chapter.title

    keywords = ", ".join(book.parts) if book.parts else book.meta["title"]
    html = env.get_template("print/book.html").render(
        book=book, meta=book.meta, labels=labels, items=parts_view(book, results), roman=roman,
        part_title=part_title, body=lambda r: markup(bodies[r.chapter.id]), label_css=label_css(labels),
        keywords=keywords, modified=build_time(book).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return html, blocks


def label_css(labels: dict):
    """Page references in the book's language: "(p. 117)" after a cross-reference, "p. 117" for a
    page reference (custom properties cannot be used inside `content` in WeasyPrint). A
    cross-reference with a page reference to the same place in its paragraph (``paged``) shows
    no number of its own: the page is printed once."""
    page = labels.get("page", "p.")
    return markup(f'a.xref:not(.pageref):not(.paged)::after {{ content: " ({page} " target-counter(attr(href), page) ")"; }}\n'
                  f'a.pageref::after {{ content: "{page} " target-counter(attr(href), page); }}')


def literal_label_css(labels: dict) -> str:
    """The same references when a unit is laid out alone: the page number comes with the link."""
    page = labels.get("page", "p.")
    return (f'a.xref:not(.pageref):not(.paged)[data-page]::after {{ content: " ({page} " attr(data-page) ")"; }}\n'
            f'a.pageref[data-page]::after {{ content: "{page} " attr(data-page); }}')
