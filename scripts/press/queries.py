"""Author queries, for the proofreader and the authors: ``make queries``.

    press queries [-m MANUSCRIPT] [-d DIST]

Takes the manuscript and lays the print edition out once more as a proof, with every open author
query (``[…]{.query text="…"}``, ``::: query``; see ``filters/queries.py``) anchored where it was
asked. The anchors are empty inline elements, so the proof has the print edition's pages; the marks
are drawn over those pages afterwards (a second WeasyPrint document, one sheet per marked page,
laid over the proof with pikepdf). Writes, all at once, into ``DIST/queries/``:

- ``<slug>-proof.pdf``: the book with each query numbered in the outer margin beside its line
  ("AV 3"), a caret under the point asked about, the queried words highlighted and a bar beside a
  queried passage;
- ``queries.md`` and ``queries.pdf``: the list per chapter, for sending to the authors: for each
  query its number, proof page, file and line, the text around it and the question, with room for
  the answer.

Labels come from the book's language. Answering a query means deleting its mark in the manuscript.
Returns the exit status: 0 (also with no open queries), 1 for a manuscript with errors.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from . import fonts, fsio, pandoc, pipeline, weasy
from .book import Book, load_book
from .cli import manuscript_options
from .design import styles
from .writers import pdfrender, printhtml, printstyle
from .writers.common import byline, environment, markup

SUMMARY = "author queries: a proof PDF with margin marks and the list per chapter (Markdown, PDF)"

MM = 96 / 25.4          # CSS pixels per millimetre (WeasyPrint's anchors are in CSS pixels)
LABEL_GAP = 11          # px between two margin labels on one side of a page
PROOF_LAYER = "proof.css"


def layout(book: Book, results):
    """The proof layout: the print edition's HTML and styles (the screen variant, as ``press
    proofs``; an index set with its page numbers), with the proof layer, which only colours (it
    never moves a line)."""
    html, _ = printhtml.book_html(book, results)
    return pdfrender.layout_book(html, str(book.root.resolve()) + "/", extra=(PROOF_LAYER,))


def locate(doc) -> tuple[dict, list[dict]]:
    """Every anchor's (page, x, top, bottom) and each page's size and text area, in CSS pixels."""
    where: dict[str, tuple] = {}
    for number, page in enumerate(doc.pages, 1):
        for name, pos in page.anchors.items():
            where.setdefault(name, (number, pos[0], pos[1], pos[3]))
    areas = weasy.pages(doc)  # WeasyPrint has no public API for the text area
    if areas is not None:
        pages = [{"width": page.width, "height": page.height, "left": a.left, "right": a.left + a.width,
                  "top": a.top, "bottom": a.top + a.height} for page, a in zip(doc.pages, areas)]
    else:  # without its internals: the text area as far as the anchors reach, on every page
        xs = [x for _, x, _, _ in where.values()] or [0.0]
        ys = [y for _, _, y, _ in where.values()] + [b for *_, b in where.values()] or [0.0]
        pages = [{"width": page.width, "height": page.height, "left": min(xs), "right": max(xs),
                  "top": min(ys), "bottom": max(ys)} for page in doc.pages]
    return where, pages


def marks(queries: list[dict], where: dict, pages: list[dict], label: str) -> dict[int, list[dict]]:
    """Per page: the margin labels, carets and bars to draw, each {kind, x, y, (h), text}."""
    out: dict[int, list[dict]] = {}
    taken: dict[tuple[int, str], list[float]] = {}
    for q in queries:
        if q["id"] not in where:
            continue
        number, x, top, bottom = where[q["id"]]
        side = "right" if number % 2 else "left"   # the outer margin: right on a recto
        y = top
        while any(abs(y - other) < LABEL_GAP for other in taken.get((number, side), [])):
            y += LABEL_GAP
        taken.setdefault((number, side), []).append(y)
        page = pages[number - 1]
        lx = page["right"] + 4 * MM if side == "right" else 2 * MM
        out.setdefault(number, []).append({"kind": "label", "x": lx, "y": y, "text": f"{label} {q['n']}"})
        if q["kind"] == "inline" or not q["text"]:
            out[number].append({"kind": "caret", "x": x - 3, "y": bottom - 1})
        end = where.get(q["id"] + "-end")
        if end:
            for n in range(number, end[0] + 1):
                p = pages[n - 1]
                bx = p["right"] + 1.5 * MM if n % 2 else p["left"] - 1.5 * MM
                y0 = top if n == number else p["top"]
                y1 = end[3] if n == end[0] else p["bottom"]
                out.setdefault(n, []).append({"kind": "bar", "x": bx, "y": y0, "h": max(2.0, y1 - y0)})
    return out


def overlay_html(book: Book, drawn: dict[int, list[dict]], pages: list[dict]) -> str:
    """One sheet per marked page, the size of the page, with the marks absolutely placed."""
    env = environment()
    sheets = [{"page": n, "items": drawn[n]} for n in sorted(drawn)]
    size = pages[0] if pages else {"width": 0, "height": 0}
    return env.get_template("print/query-overlay.html").render(lang=book.lang, sheets=sheets, size=size)


def draw(book: Book, doc, drawn: dict, pages: list[dict], out: Path) -> None:
    """Write the proof PDF: the laid-out book with the marks laid over its pages."""
    import pikepdf
    from weasyprint import CSS, HTML

    config = printstyle.font_configuration()
    faces = fonts.font_face_css(styles(), lambda f: f.path.as_uri())
    base = fsio.temp_name(out, ".book")
    over = fsio.temp_name(out, ".marks")
    try:
        doc.write_pdf(str(base))
        if drawn:
            sheet = HTML(string=overlay_html(book, drawn, pages))
            layers = [CSS(string=faces, font_config=config)] + \
                [CSS(filename=str(styles() / name)) for name in ("tokens.css", PROOF_LAYER)]
            sheet.render(stylesheets=layers, font_config=config).write_pdf(str(over))
        with pikepdf.open(base) as proof:
            if drawn:
                with pikepdf.open(over) as marked:
                    for sheet_index, number in enumerate(sorted(drawn)):
                        proof.pages[number - 1].add_overlay(marked.pages[sheet_index])
                    proof.save(out)
            else:
                proof.save(out)
    finally:
        base.unlink(missing_ok=True)
        over.unlink(missing_ok=True)


# --- the list for the authors --------------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|])")


def _md(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", text)


def chapters(results, where: dict) -> list[dict]:
    """The queries per chapter, in reading order, each with its proof page."""
    out = []
    for r in results:
        asked = r.ctx.data.queries
        if asked:
            labels = r.ctx.labels
            out.append({"id": r.chapter.id, "title": r.chapter.title, "byline": byline(r.chapter, labels),
                        "file": r.chapter.rel,
                        "queries": [dict(q, page=where.get(q["id"], (None,))[0]) for q in asked]})
    return out


def markdown(book: Book, listed: list[dict], labels: dict, proof_name: str) -> str:
    """The list as Markdown: a section per chapter, a numbered entry per query."""
    total = sum(len(c["queries"]) for c in listed)
    lines = [f"# {labels['queries_title']}", "",
             f"*{_md(book.meta['title'])}* · {labels['queries_proof']} `{proof_name}` · "
             f"{labels['queries_open'].format(n=total)}", ""]
    if not listed:
        lines += [labels["queries_none"], ""]
    for c in listed:
        lines += [f"## {_md(c['title'])}", ""]
        if c["byline"]:
            lines += [_md(c["byline"]), ""]
        for q in c["queries"]:
            page = f"{labels['page']} {q['page']}" if q["page"] else labels["queries_no_page"]
            lines += [f"### {labels['query_mark']} {q['n']} · {page}", "",
                      f"{_md(c['file'])}, {labels['line']} {q['line']}", ""]
            here = f"**{_md(q['text'])}**" if q["text"] else f"**[{labels['query_mark']} {q['n']}]**"
            quoted = " ".join(x for x in (_md(q["before"]), here, _md(q["after"])) if x)
            lines += [f"> {quoted}", "", _md(q["question"]), "", f"{labels['queries_answer']}:", "", "---", ""]
    return "\n".join(lines).rstrip("-\n") + "\n"


def list_pdf(book: Book, md: str, out: Path, labels: dict) -> None:
    """The list as a PDF: the Markdown through pandoc, laid out with the book's fonts."""
    from weasyprint import CSS, HTML

    body = pandoc.ast_to_html(pandoc.markdown_to_ast(md, "queries.md"), "queries.md")
    html = environment().get_template("print/queries.html").render(
        lang=book.lang, title=f"{labels['queries_title']} — {book.meta['title']}", body=markup(body))
    sheets = printstyle.stylesheets() + [CSS(filename=str(styles() / PROOF_LAYER))]
    HTML(string=html, base_url=str(book.root.resolve()) + "/").render(stylesheets=sheets).write_pdf(str(out))


def write(book: Book, folder: Path, jobs: int = 4) -> dict:
    """Lay out the proof and write the three files into ``folder`` together; returns a summary."""
    results, findings = pipeline.process(book, jobs=jobs, proof=True)
    pipeline.require_clean(findings)
    labels = results[0].ctx.labels if results else {}
    asked = [q for r in results for q in r.ctx.data.queries]
    doc = layout(book, results) if asked else None
    where, pages = locate(doc) if doc is not None else ({}, [])
    proof_name = f"{book.slug}-proof.pdf"
    listed = chapters(results, where)
    md = markdown(book, listed, labels, proof_name)
    with fsio.atomic_dir(folder) as tmp:
        if doc is not None:
            draw(book, doc, marks(asked, where, pages, labels["query_mark"]), pages, tmp / proof_name)
        (tmp / "queries.md").write_text(md, encoding="utf-8")
        list_pdf(book, md, tmp / "queries.pdf", labels)
        (tmp / "queries.json").write_text(json.dumps(listed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    anchors = {k: v[0] for k, v in where.items() if not k.startswith("query-")}
    return {"queries": len(asked), "chapters": len(listed), "pages": len(pages), "anchors": anchors,
            "unplaced": [q["id"] for c in listed for q in c["queries"] if q["page"] is None]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press queries",
                                 description=SUMMARY)
    manuscript_options(ap)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args(argv)
    book = load_book(args.manuscript)
    folder = args.dist / "queries"
    done = write(book, folder, args.jobs)
    print(f"Author queries in {folder}/: {done['queries']} open in {done['chapters']} chapter(s)")
    for name in (f"{book.slug}-proof.pdf", "queries.md", "queries.pdf"):
        if (folder / name).exists():
            print(f"  {name}")
    pagemap = args.dist / "reports" / "pagemap.json"
    if done["queries"] and pagemap.exists():
        built = json.loads(pagemap.read_text(encoding="utf-8")).get("anchors", {})
        moved = sorted(k for k, page in built.items() if done["anchors"].get(k, page) != page)
        if moved or built and len(done["anchors"]) < len(built):
            print(f"  note: the proof paginates differently from {args.dist}/{book.slug}.pdf "
                  "(built from another version of the manuscript? run `make pdf`)")
    for ident in done["unplaced"]:
        print(f"  note: query {ident} has no page (a mark in a place the print edition does not show)")
    return 0
