"""The HTML edition: a small static site in ``html/`` — a download page with the contents, one page
per chapter, local fonts and styles, and a prebuilt search index read by a few lines of plain
JavaScript. Nothing is requested from outside the folder; it works from file:// and any server.

Takes the pipeline's chapters and the paths of the finished EPUB and PDF (copied into
``downloads/``); the folder is built under a temporary name and swapped into place whole.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

from .. import ASSETS, fonts, images, l10n
from ..book import Book
from ..design import styles
from ..htmltext import fragment, inner_html
from ..pipeline import ChapterResult
from . import indexpages
from .common import atomic_dir, byline, cover_svg, environment, fill_pagerefs, markup, parts_view, rewrite_links, roman
from .screen import hyphenate_headings, soft_hyphens, wide_regions

CSS_LAYERS = ["tokens.css", "base.css", "html.css"]


def _href(chapter: str, target: str, current: str) -> str:
    if chapter == current:
        return f"#{target}"
    return f"{chapter}.html" if target == chapter else f"{chapter}.html#{target}"


# What the search leaves out of titles and text: note numbers and back links (they read as stray
# digits and arrows: "Wijkgericht werken 7").
NOISE = {"noteref", "backlink"}


def search_index(results: list[ChapterResult], bodies: dict[str, str]) -> list[dict]:
    """One entry per section (an h2 or h3 with an id starts one): its title, its page address and
    its plain text; a chapter's first entry also names its authors (searched and shown beside the
    title)."""
    entries = []
    for r in results:
        sections = _sections(bodies[r.chapter.id])
        first = {"title": r.chapter.title, "href": f"{r.chapter.id}.html", "text": sections[0][2]}
        if r.chapter.authors or r.chapter.contributors:  # the byline: contributors are found too
            first["authors"] = byline(r.chapter, r.ctx.labels, first_published=False)
        entries.append(first)
        for ident, title, text in sections[1:]:
            entries.append({"title": f"{r.chapter.title}: {title}", "href": f"{r.chapter.id}.html#{ident}", "text": text})
    return [e for e in entries if e["text"] or e.get("authors")]


def _sections(body: str) -> list[tuple[str, str, str]]:
    """The chapter body's text cut where a heading with an id begins: [(id, title, text)], the
    first one (the text before any such heading) without id or title."""
    root = fragment(body)
    for a in root.xpath("//a[@class]"):
        if NOISE & set(a.get("class").split()):
            sup = a.getparent()
            bare = sup.tag == "sup" and len(sup) == 1 and not (sup.text or "").strip() and not (a.tail or "").strip()
            (sup if bare else a).drop_tree()  # the note number's <sup> with it; the tail stays
    sections: list[list] = [["", "", []]]

    def walk(el) -> None:
        if el.tag in ("h2", "h3") and el.get("id"):
            sections.append([el.get("id"), _plain(" ".join(el.itertext())), []])
        elif isinstance(el.tag, str):  # an element (comments and processing instructions hold no text)
            sections[-1][2].append(el.text or "")
            for child in el:
                walk(child)
        sections[-1][2].append(el.tail or "")
    walk(root)
    return [(ident, title, _plain(" ".join(texts))) for ident, title, texts in sections]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def write(book: Book, results: list[ChapterResult], target: Path, downloads: list[tuple[Path, str]]) -> None:
    pages(book, results, target)(downloads)


def pages(book: Book, results: list[ChapterResult], target: Path):
    """The edition's chapter pages, assets and search index, written under a temporary name beside
    ``target``; returns ``finish(downloads)``, which copies the finished EPUB and PDF into
    ``downloads/``, writes the download page that lists them, and swaps the folder into place. A
    build writes the pages while its PDF's pieces are joined (press.build); the download page waits
    for the files it lists."""
    env = environment()
    labels = results[0].ctx.labels
    meta = book.meta
    items = parts_view(book, results)
    common = {"lang": book.lang, "meta": meta, "labels": labels}
    with contextlib.ExitStack() as stack:  # the folder stays open for finish(), as atomic_dir writes it
        out = stack.enter_context(atomic_dir(target))
        _pages(book, results, out, env, common)
        written = stack.pop_all()

    def finish(downloads: list[tuple[Path, str]]) -> None:
        with written:
            files = []
            for path, label in downloads:
                if path.exists():
                    shutil.copyfile(path, out / "downloads" / path.name)
                    files.append({"name": path.name, "label": label, "size": l10n.size(path.stat().st_size, book.lang)})
            page = env.get_template("html/index.html").render(items=items, roman=roman, downloads=files, **common)
            (out / "index.html").write_text(page, encoding="utf-8")
    return finish


def _pages(book: Book, results: list[ChapterResult], out: Path, env, common: dict) -> None:
    labels, meta = common["labels"], common["meta"]
    (out / "assets").mkdir()
    (out / "images").mkdir()
    (out / "downloads").mkdir()
    titles = {r.chapter.id: r.chapter.title for r in results}

    bodies, shown = {}, {}  # a chapter's HTML as the search index reads it, and as its page shows it
    for r in results:
        root = fragment(r.html)
        rewrite_links(root, r.chapter.id, _href)
        indexpages.by_chapter(root, lambda h: h.split(".html")[0] if ".html" in h else "",
                              lambda c: titles.get(c, ""))  # each chapter a term occurs in
        fill_pagerefs(root, labels)
        wide_regions(root, r.chapter.id, book.root, labels)
        bodies[r.chapter.id] = inner_html(root)
        hyphenate_headings(root, book.lang)
        shown[r.chapter.id] = inner_html(root)
    _assets(out / "assets", fonts.book_characters(book, results), meta)
    chapter_tpl = env.get_template("html/chapter.html")
    for i, r in enumerate(results):
        ch = r.chapter
        prev = results[i - 1].chapter if i > 0 else None
        nxt = results[i + 1].chapter if i + 1 < len(results) else None
        page = chapter_tpl.render(
            chapter=ch, body=markup(shown[ch.id]), prev=prev, next=nxt,
            title_html=markup(soft_hyphens(ch.title_html, book.lang)),
            part_title=book.parts[ch.part] if ch.part is not None else None,
            part_number=roman(ch.part + 1) if ch.part is not None else None, **common)
        (out / f"{ch.id}.html").write_text(page, encoding="utf-8")
        for rel in r.ctx.data.images:  # the cleaned image, never the manuscript's file
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(images.for_edition(book.root, rel, results))
    index = json.dumps(search_index(results, bodies), ensure_ascii=False, separators=(",", ":"))
    (out / "assets" / "search-index.js").write_text(f"window.BOOK_INDEX = {index};\n", encoding="utf-8")


def _assets(folder: Path, text: str, meta: dict) -> None:
    faces = [f for f in fonts.faces(styles()) if f.path is not None]
    css = [fonts.font_face_css(styles(), lambda f: f"{f.slug}.woff2")]
    css += [(styles() / name).read_text(encoding="utf-8") for name in CSS_LAYERS]
    (folder / "book.css").write_text("\n".join(css), encoding="utf-8")
    for f in faces:
        (folder / f"{f.slug}.woff2").write_bytes(fonts.subset_font(f, text, flavor="woff2"))
    shutil.copyfile(ASSETS / "search.js", folder / "search.js")
    cover = cover_svg(meta)
    (folder / "cover.svg").write_text(cover, encoding="utf-8")
