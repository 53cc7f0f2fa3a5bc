"""Checks on the built editions: what the manuscript rules cannot see until the editions exist.

Takes the book, the pipeline's chapters and the output folder; returns findings. The external
validators (EPUBCheck, Ace by DAISY, axe-core, the Nu HTML Checker) live in ``press.validators``;
the checks here read the outputs themselves: internal links in the split EPUB and HTML resolve,
the EPUB nav and the PDF outline list exactly the chapters and sections the manuscript has,
every index mark stands on a page of the print edition.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree
from lxml import html as lhtml

from .book import Book
from .build import Outputs
from .rules import Finding, finding

XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


EDITION_NAMES = {"epub": "EPUB", "pdf": "PDF", "html": "HTML edition"}


def tasks(book: Book, results, dist: Path, external: bool = True) -> tuple[list[Finding], list[tuple[str, object]]]:
    """The checks of the editions in ``dist``: (findings known now, [(name, function returning
    findings)] to run, side by side if the caller likes). An edition that was not built from
    this manuscript (the last build failed, or was not run) is not checked but reported
    (CHECK-002); with ``external``, a validator that cannot run is a finding too (CHECK-001)."""
    from .build import current_editions
    out = Outputs(dist, book.slug)
    current = current_editions(book.root, dist)
    now: list[Finding] = []
    for edition, name in EDITION_NAMES.items():
        if any(p.exists() for p in out.of(edition)) and not current.get(edition):
            now.append(finding("CHECK-002", str(out.of(edition)[0].name), 0, edition=name))
    todo: list[tuple[str, object]] = []
    if current.get("epub"):
        todo.append(("EPUB links and navigation", lambda: epub_links(out.epub) + epub_nav(book, results, out.epub)))
    if current.get("html"):
        todo.append(("HTML links", lambda: html_links(out.html)))
    if current.get("pdf"):
        todo.append(("PDF outline", lambda: pdf_outline(book, results, out.pdf)))
        todo.append(("index marks on pages", lambda: index_marks(results, out.dist / "reports" / "pagemap.json")))
    if external:
        from . import validators
        stale = {e for e in EDITION_NAMES if any(p.exists() for p in out.of(e)) and not current.get(e)}
        todo += [(name, task) for name, edition, task in validators.tasks(out) if edition not in stale]
    return now, todo


def outputs(book: Book, results, dist: Path, external: bool = True) -> list[Finding]:
    now, todo = tasks(book, results, dist, external)
    return now + [f for _, task in todo for f in task()]


def _resolve(files: dict[str, set[str]], base: str, href: str) -> bool:
    parts = urlparse(href)
    if parts.scheme or href.startswith("//"):
        return True
    target = unquote(parts.path)
    name = posixpath.normpath(posixpath.join(posixpath.dirname(base), target)) if target else base
    if name not in files:
        return False
    return not parts.fragment or unquote(parts.fragment) in files[name]


def epub_links(path: Path) -> list[Finding]:
    files: dict[str, set[str]] = {}
    docs = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            files[name] = set()
            if name.endswith(".xhtml"):
                tree = etree.fromstring(z.read(name))
                docs[name] = tree
                files[name] = set(tree.xpath("//@id"))
    found = []
    for name, tree in docs.items():
        for a in tree.xpath("//x:a[@href]", namespaces=XHTML):
            href = a.get("href")
            if not _resolve(files, name, href):
                found.append(finding("LINK-006", f"{path.name}!/{name}", a.sourceline or 0, url=href, edition="EPUB"))
    return found


def html_links(folder: Path) -> list[Finding]:
    files = {}
    pages = {}
    for p in folder.rglob("*"):
        if p.is_file():
            rel = p.relative_to(folder).as_posix()
            files[rel] = set()
            if p.suffix == ".html":
                tree = lhtml.parse(str(p))
                pages[rel] = tree
                files[rel] = set(tree.xpath("//@id"))
    found = []
    for name, tree in pages.items():
        for el in tree.xpath("//a[@href] | //link[@href] | //script[@src] | //img[@src]"):
            ref = el.get("href") or el.get("src")
            if ref.startswith("mailto:"):
                continue
            if not _resolve(files, name, ref):
                found.append(finding("LINK-006", f"{folder.name}/{name}", el.sourceline or 0, url=ref, edition="HTML"))
    return found


def expected_outline(book: Book, results, part_label=lambda number, title: title) -> list[tuple[int, str]]:
    """(level, title) of every part, chapter and section in reading order, as the manuscript has them."""
    from .writers.common import parts_view
    out = []

    def chapter(r, level):
        out.append((level, r.chapter.title))
        for s in r.ctx.data.sections:
            out.append((level + 1, s["title"]))
            out.extend((level + 2, c["title"]) for c in s["children"])

    for kind, item in parts_view(book, results):
        if kind == "part":
            out.append((1, part_label(item.number, item.title)))
            for r in item.chapters:
                chapter(r, 2)
        else:
            chapter(item, 1)
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def epub_nav(book: Book, results, path: Path) -> list[Finding]:
    from .writers.common import roman
    labels = results[0].ctx.labels
    with zipfile.ZipFile(path) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=XHTML)[0]
    listed = [(len(a.xpath("ancestor::x:ol", namespaces=XHTML)), _norm("".join(a.itertext())))
              for a in toc.xpath(".//x:a", namespaces=XHTML)]
    expected = [(lvl, _norm(t)) for lvl, t in expected_outline(
        book, results, lambda n, t: f"{labels['part']} {roman(n)}: {t}")]
    if listed != expected:
        return [finding("HEAD-004", f"{path.name}!/EPUB/nav.xhtml", 0, edition="EPUB",
                        found=_describe(listed, expected), expected=f"{len(expected)} entries")]
    return []


def _describe(found: list, expected: list) -> str:
    for i, (a, b) in enumerate(zip(found, expected)):
        if a != b:
            return f"“{a[1]}” (level {a[0]}) where “{b[1]}” (level {b[0]}) belongs, at entry {i + 1}"
    return f"{len(found)} entries"


def pdf_outline(book: Book, results, path: Path) -> list[Finding]:
    import pikepdf  # reads the outline in C++: a tenth of pypdf's time on this book
    listed = []

    def walk(items, level):
        for item in items:
            listed.append((level, _norm(item.title)))
            walk(item.children, level + 1)
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        walk(outline.root, 1)
    expected = [(lvl, _norm(t)) for lvl, t in expected_outline(book, results)]
    if listed != expected:
        return [finding("HEAD-004", path.name, 0, edition="PDF", found=_describe(listed, expected),
                        expected=f"{len(expected)} entries")]
    return []


def index_marks(results, pagemap_path: Path) -> list[Finding]:
    """INDEX-003 for every index mark (filters/index) that stands on no page of the print
    edition: the layout recorded no page for its id, so the index could print no number for it."""
    import json
    try:
        anchors = json.loads(pagemap_path.read_text(encoding="utf-8"))["anchors"]
    except (OSError, ValueError, KeyError):
        return []  # no page map: the PDF was not built (CHECK-002 says so)
    return [finding("INDEX-003", r.chapter.rel, line, term=term)
            for r in results for ident, term, line in r.ctx.data.index_marks if ident not in anchors]
