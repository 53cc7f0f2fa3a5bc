"""Proofs and the pagination report: what a proofreader looks at before the book goes to print.

    press proofs [-m MANUSCRIPT] [-d DIST] [--pages 11,12-13] [--dpi 100] [--since last]

Takes the built book (``DIST/<slug>.pdf`` and ``DIST/reports/pagemap.json``, written by every
build) and lays the same print HTML out again with WeasyPrint, to read its line boxes: exact where
text extracted from a PDF has to guess which lines form a paragraph. A fresh layout whose anchors
differ from the page map means the PDF is out of date, and nothing is written. Writes

- ``DIST/proofs/*.png``: pages rendered by PDFium (``press.render``) from the screen PDF. By default the first
  essay opening (``essay-opening.png``), the first spread with a sidebar, verso and recto side by
  side (``sidebar-spread.png``) and the first endnotes page (``endnotes.png``); with ``--pages``
  the pages named (``page-011.png``).
- ``DIST/reports/pagination.json`` and a readable ``pagination.txt``: the page each part, chapter
  and section starts on, the first and last words of every page, and flags for widows, orphans,
  more than two stacked hyphens, headings and sidebar titles stranded at a page foot, and split
  sidebars. Everything is sorted and free of timestamps, so a change that moves pages shows up as
  a diff of pagination.json.

Every run keeps its PDF and report in ``DIST/proofs-last/``; ``--since last`` first compares the
new PDF with them and writes ``DIST/proofs-diff/`` (press.proofdiff: the pages that changed, side
by side, and the openings that moved).

Returns the exit status: 0, or 1 when the PDF is missing or out of date.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass

from . import render
from .cli import manuscript_options
from .fsio import atomic_dir, atomic_file

SUMMARY = "render chosen PDF pages to PNG and write the pagination report"

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
HYPHENS = ("-", "\u2010", "\u2011", "\u00ad")
KINDS = ("widow", "orphan", "hyphens", "stranded-heading", "stranded-sidebar-title", "split-sidebar", "short-page")
SHORT = 0.5   # a page filled less than this, in the middle of a chapter, is flagged "short-page"


@dataclass(frozen=True)
class Line:
    """One line box of the laid-out book (or a block image, with ``tag`` "img" and no text)."""
    page: int                  # 1-based
    block: str                 # the block element's id, or a path from the nearest id
    tag: str                   # p, li, h2, td, img, …
    text: str
    chapter: str | None = None  # id of the chapter (article) it stands in
    sidebar: str | None = None  # id of the sidebar it stands in
    bottom: float = 0.0        # where the line ends, as a fraction of the page's text area height


# --- reading the layout ------------------------------------------------------------------------

def layout(book, results):
    """Lay out the print HTML as the PDF writer does (the screen variant; the printer's bleed does
    not move anything inside the trim; a book with an index twice, its numbers from the first).
    Returns the WeasyPrint document."""
    from .writers import pdfrender, printhtml

    html, _ = printhtml.book_html(book, results)
    return pdfrender.layout_book(html, str(book.root.resolve()) + "/")


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def read_lines(doc) -> tuple[list[Line], list[dict]]:
    """Every line of the body (running heads and folios left out) in reading order, and the starts:
    the page of every part, chapter, contents and section (h2/h3 outside boxes), endnotes. Read
    from WeasyPrint's box tree through ``press.weasy``; without its internals both are empty (the
    report then has no flags and no starts)."""
    from . import weasy

    areas = weasy.pages(doc)
    if areas is None:
        return [], []

    lines: list[Line] = []
    starts: list[dict] = []
    names: dict = {}
    unnamed: dict[tuple, int] = {}
    started: set = set()

    def name_of(element, named: str) -> str:
        if element not in names:
            ident = element.get("id")
            if not ident:
                key = (named, _tag(element))
                unnamed[key] = unnamed.get(key, 0) + 1
                ident = f"{named}>{_tag(element)}[{unnamed[key]}]"
            names[element] = ident
        return names[element]

    def start(page: int, element, ident: str, chapter, sidebar) -> None:
        if element in started or not element.get("id"):
            return
        started.add(element)
        tag, cls = _tag(element), _classes(element)
        entry = None
        if tag == "article" and "chapter" in cls:
            title = next((e for e in element.iter() if _tag(e) == "h1"), None)
            entry = {"kind": "chapter", "title": (title.get("data-title") if title is not None else None) or _text(title)}
        elif tag == "section" and "part-title" in cls:
            entry = {"kind": "part", "title": element.get("data-part-title", "")}
        elif tag == "nav" and "toc" in cls:
            entry = {"kind": "contents", "title": _text(next((e for e in element.iter() if _tag(e) == "h1"), None))}
        elif tag in ("h2", "h3") and chapter and not sidebar:
            endnotes = ident.endswith("-endnotes-title")
            entry = {"kind": "endnotes" if endnotes else "section", "level": int(tag[1]),
                     "title": element.get("data-title") or _text(element), "chapter": chapter}
        if entry:
            starts.append({"page": page, "id": ident, **entry})

    def bottom(box: weasy.Box) -> float:
        return round((box.bottom - area[0]) / area[1], 2)

    def walk(box: weasy.Box, page: int, named: str, chapter, sidebar) -> None:
        element = box.element
        if element is not None and not box.generated:
            if element.get("id"):
                named = element.get("id")
            cls = _classes(element)
            if _tag(element) == "article" and "chapter" in cls:
                chapter = element.get("id")
            if "sidebar" in cls and _tag(element) in ("aside", "div"):
                sidebar = name_of(element, named)
            start(page, element, named, chapter, sidebar)
        if box.line:
            if box.marker:
                return
            text = "".join(box.texts()).strip()
            if text:
                lines.append(Line(page, name_of(element, named), _tag(element), text, chapter, sidebar, bottom(box)))
            return
        if box.replaced:
            lines.append(Line(page, name_of(element, named), "img", "", chapter, sidebar, bottom(box)))
            return
        for child in box.children:
            walk(child, page, named, chapter, sidebar)

    area = [0.0, 1.0]
    for number, page in enumerate(areas, 1):
        area[:] = [page.top, page.height]
        walk(page.root, number, "", None, None)
    return lines, starts


def _text(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip() if element is not None else ""


# --- flags -------------------------------------------------------------------------------------

def flags(lines: list[Line]) -> list[dict]:
    """The flags, sorted by page: widows, orphans, hyphen stacks, stranded headings and sidebar
    titles, split sidebars and short pages (see KINDS)."""
    out: list[dict] = []

    def flag(kind: str, line: Line, **extra) -> None:
        out.append({"page": line.page, "kind": kind, "block": line.block, "text": line.text, **extra})

    blocks: dict[str, list[Line]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line)
    for ls in blocks.values():
        if ls[0].tag in HEADINGS or ls[0].tag == "img":
            continue
        pages = sorted({line.page for line in ls})
        if len(pages) < 2:
            continue
        first = [line for line in ls if line.page == pages[0]]
        last = [line for line in ls if line.page == pages[-1]]
        if len(first) == 1:
            flag("orphan", first[0])   # a paragraph's first line alone at a page foot
        if len(last) == 1:
            flag("widow", last[0])     # a paragraph's last line alone at a page head

    run: list[Line] = []
    for line in lines + [Line(0, "", "", "")]:
        if run and (line.block != run[-1].block or not line.text.endswith(HYPHENS)):
            if len(run) > 2:   # more than two consecutive lines of a paragraph end in a hyphen
                out.append({"page": run[0].page, "kind": "hyphens", "block": run[0].block, "lines": len(run),
                            "text": " / ".join(_words(r.text, 1, last=True) for r in run)})
            run = []
        if line.text.endswith(HYPHENS):
            run.append(line)

    last_on: dict[int, Line] = {}
    for line in lines:
        last_on[line.page] = line
    final = max(last_on, default=0)
    for page, line in last_on.items():
        if page != final and line.tag in HEADINGS and line.chapter:
            flag("stranded-sidebar-title" if line.sidebar else "stranded-heading", line)

    boxes: dict[str, list[int]] = {}
    for line in lines:
        if line.sidebar:
            boxes.setdefault(line.sidebar, []).append(line.page)
    for box, pages in boxes.items():
        if len(set(pages)) > 1:
            out.append({"page": min(pages), "kind": "split-sidebar", "block": box, "text": "",
                        "pages": sorted(set(pages))})
    fill: dict[int, float] = {}
    for line in lines:
        fill[line.page] = max(fill.get(line.page, 0.0), line.bottom)
    chapter_of = {page: line.chapter for page, line in last_on.items()}
    for page, line in last_on.items():
        if line.chapter and chapter_of.get(page + 1) == line.chapter and fill[page] < SHORT:
            out.append({"page": page, "kind": "short-page", "block": line.block, "text": line.text,
                        "fill": fill[page]})   # a box or figure that did not fit left a gap
    return sorted(out, key=lambda f: (f["page"], KINDS.index(f["kind"]), f["block"]))


# --- the report --------------------------------------------------------------------------------

def _words(text: str, n: int, last: bool = False) -> str:
    words = text.split()
    return " ".join(words[-n:] if last else words[:n])


def report(lines: list[Line], starts: list[dict], pages: int, title: str, pdf_name: str) -> dict:
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    where: dict[int, str] = {}
    current = "front"
    part_pages = {s["page"]: s["id"] for s in starts if s["kind"] == "part"}
    for number in range(1, pages + 1):
        chapters = [line.chapter for line in by_page.get(number, []) if line.chapter]
        if chapters:
            current = chapters[0]
        elif number in part_pages:
            current = part_pages[number]
        where[number] = current
    page_list = []
    for number in range(1, pages + 1):
        texts = [line.text for line in by_page.get(number, []) if line.text]
        entry = {"page": number, "in": where[number], "lines": len(texts),
                 "first": _words(texts[0], 4) if texts else "", "last": _words(texts[-1], 4, last=True) if texts else ""}
        page_list.append(entry)
    found = flags(lines)
    counts = {kind: sum(1 for f in found if f["kind"] == kind) for kind in KINDS}
    return {"title": title, "pdf": pdf_name, "pages": pages, "starts": starts, "flag_counts": counts,
            "flags": found, "page_list": page_list}


def report_text(data: dict) -> str:
    out = [f"Pagination of “{data['title']}” — {data['pages']} pages ({data['pdf']})", "", "Starts"]
    for s in data["starts"]:
        indent = "  " if s["kind"] in ("section", "endnotes") else ""
        label = f"{indent}{s['kind']}"
        name = s["title"] if indent else f"{s['id']}: {s['title']}"
        out.append(f"  p. {s['page']:>4}  {label:<12} {indent}{name}")
    counts = ", ".join(f"{k} {n}" for k, n in data["flag_counts"].items())
    out += ["", f"Flags: {len(data['flags'])} ({counts})"]
    for f in data["flags"]:
        more = f" (pages {', '.join(map(str, f['pages']))})" if "pages" in f else ""
        more += f" ({f['lines']} lines)" if "lines" in f else ""
        more += f" (filled to {f['fill']:.0%})" if "fill" in f else ""
        out.append(f"  p. {f['page']:>4}  {f['kind']:<22} {f['block']}{more}  “{f['text'][:60]}”")
    out += ["", "Pages (first words … last words)"]
    for p in data["page_list"]:
        body = f"{p['first']} … {p['last']}" if p["lines"] else "(blank)"
        out.append(f"  p. {p['page']:>4}  {p['in']:<30} {body}")
    return "\n".join(out) + "\n"


# --- proofs ------------------------------------------------------------------------------------

def default_proofs(data: dict, essays: list[str]) -> dict[str, list[int]]:
    """{file stem: pages}: the first essay opening, the first spread with a sidebar (preferably
    not on an opening page), the first endnotes page."""
    chosen: dict[str, list[int]] = {}
    openings = {s["page"] for s in data["starts"] if s["kind"] == "chapter"}
    first = next((s["page"] for s in data["starts"] if s["kind"] == "chapter" and s["id"] in essays), None)
    if first:
        chosen["essay-opening"] = [first]
    sidebar = next((p for p in data["sidebar_pages"] if p not in openings), None) or next(iter(data["sidebar_pages"]), None)
    if sidebar:
        verso = sidebar if sidebar % 2 == 0 else sidebar - 1
        chosen["sidebar-spread"] = [p for p in (verso, verso + 1) if 1 <= p <= data["pages"]]
    notes = next((s["page"] for s in data["starts"] if s["kind"] == "endnotes"), None)
    if notes:
        chosen["endnotes"] = [notes]
    return chosen


def parse_pages(spec: str, pages: int) -> list[int]:
    out: list[int] = []
    for item in (i.strip() for i in spec.split(",") if i.strip()):
        lo, _, hi = item.partition("-")
        first, last = int(lo), int(hi or lo)
        if not 1 <= first <= last <= pages:
            raise ValueError(f"page {item} is not in 1–{pages}")
        out.extend(range(first, last + 1))
    return sorted(set(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press proofs", description=SUMMARY)
    manuscript_options(ap)
    ap.add_argument("--pages", help="pages to render, e.g. 11,14-15 (default: an essay opening, a sidebar spread, endnotes)")
    ap.add_argument("--dpi", type=int, default=100)
    ap.add_argument("--since", choices=["last"], help="compare with the proofs the last run kept (DIST/proofs-diff/)")
    args = ap.parse_args(argv)
    from . import pipeline
    from .book import load_book

    book = load_book(args.manuscript)
    pdf_path = args.dist / f"{book.slug}.pdf"
    pagemap_path = args.dist / "reports" / "pagemap.json"
    if not pdf_path.exists() or not pagemap_path.exists():
        print(f"press proofs: {pdf_path} or {pagemap_path} is missing; build the PDF first (make pdf)", file=sys.stderr)
        return 1
    pagemap = json.loads(pagemap_path.read_text())
    results, findings = pipeline.process(book)
    pipeline.require_clean(findings)
    doc = layout(book, results)
    anchors = {}
    for number, page in enumerate(doc.pages, 1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    if anchors != pagemap.get("anchors") or len(doc.pages) != pagemap.get("pages"):
        print(f"press proofs: {pdf_path} is out of date (a fresh layout paginates differently); "
              f"rebuild it first (make pdf)", file=sys.stderr)
        return 1
    lines, starts = read_lines(doc)
    data = report(lines, starts, len(doc.pages), book.meta["title"], pdf_path.name)
    try:
        chosen = ({f"page-{p:03d}": [p] for p in parse_pages(args.pages, len(doc.pages))} if args.pages else
                  default_proofs({**data, "sidebar_pages": [line.page for line in lines if line.sidebar]},
                                 [r.chapter.id for r in results if r.chapter.authors]))
    except ValueError as e:
        print(f"press proofs: --pages: {e}", file=sys.stderr)
        return 2
    with atomic_dir(args.dist / "proofs") as folder:
        for stem, pages in chosen.items():
            render.write_png(pdf_path, pages, folder / f"{stem}.png", args.dpi)
    reports = args.dist / "reports"
    with atomic_file(reports / "pagination.json", "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")
    with atomic_file(reports / "pagination.txt", "w") as fh:
        fh.write(report_text(data))
    print(f"Proofs in {args.dist / 'proofs'}/:")
    for stem, pages in chosen.items():
        print(f"  {stem + '.png':<24} p. {', '.join(map(str, pages))}")
    counts = ", ".join(f"{n} {k}" for k, n in data["flag_counts"].items() if n)
    print(f"Pagination report: {reports / 'pagination.txt'} ({data['pages']} pages; flags: {counts or 'none'})")
    from . import proofdiff
    if args.since:
        diff = proofdiff.write(args.dist, pdf_path, data)
        if diff is None:
            print("No earlier proofs to compare with: these are kept for the next `press proofs --since last`.")
        else:
            print(f"What changed: {args.dist / 'proofs-diff' / 'report.txt'} ({diff['pages_before']} → "
                  f"{diff['pages_after']} pages; {len(diff['changes'])} page(s) to check, "
                  f"{len(diff['openings'])} opening(s) moved)")
    proofdiff.keep(args.dist, pdf_path, reports / "pagination.json")  # the set the next --since last compares with
    return 0
