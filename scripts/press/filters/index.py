"""The back-of-book index: takes every chapter's AST, returns them with each index mark numbered
and the index written into the generated ``book-index`` chapter (press.book adds it when a
chapter marks a term).

A mark is a span: ``[Ketensamenwerking]{.index}`` (the words are the term),
``[ZBO's]{.index term="zelfstandige bestuursorganen"}`` (the term given), a sub-entry
``term="Gemeenten!Amsterdam"``; ``index: see / see-also`` in book.yaml adds cross-references.
Each mark gets the id ``<chapter>-idx-<n>`` (unless it has one). Entries are sorted with the
Unicode Collation Algorithm (pyuca: diacritics and case after the letters, as a dictionary
sorts), grouped by initial letter. Every entry lists one locator link per mark, in reading order
(``span.index-locators``); each edition turns them into what it shows (press.writers.indexpages):
the print edition the merged page numbers of the layout ("12, 14–16"), the EPUB the same numbers
(the print edition's page list), the HTML edition the chapters. Keeps ``ctx.data.index_marks``
([id, term, line]) for the check that every mark reaches a page (INDEX-003). Reports INDEX-001
(a mark without a term), INDEX-002 (a sub-entry whose main entry is never marked on its own)
and INDEX-004 (a cross-reference to a term that is never marked).
"""
from __future__ import annotations

import threading
import unicodedata

import panflute as pf

from ..book import display_path
from ..rules import finding
from . import elements

_COLLATOR: list = []
_READING = threading.Lock()


def collator():
    """The Unicode collation table, read once per process (a tenth of a second: the preview's
    fork server reads it before it forks any job, a build in a thread while pandoc parses; a caller
    that comes meanwhile waits for that reading rather than reading it again)."""
    with _READING:
        if not _COLLATOR:
            from pyuca import Collator
            _COLLATOR.append(Collator())
        return _COLLATOR[0]


def sort_key(term: str):
    return (collator().sort_key(term.casefold()), collator().sort_key(term))


def letter(term: str) -> str:
    """The group an entry goes in: its first letter without diacritics, upper case ("É" → "E")."""
    base = unicodedata.normalize("NFD", term.lstrip("'’\"‘“("))[:1].upper()
    return base if base.isalpha() else "#"


def _term(span: pf.Span) -> str:
    return span.attributes.get("term", pf.stringify(span)).strip()


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    target = next((i for i, c in enumerate(ctxs) if c.chapter.generated == "index"), None)
    entries: dict[str, dict] = {}   # main term → {"locs": [(chapter, id)], "subs": {sub: [(chapter, id)]}}
    on_own: set[str] = set()
    for doc, ctx in zip(docs, ctxs):
        ctx.data.index_marks = []
        if ctx.chapter.generated:
            continue
        n = 0
        for span in [e for e in elements(doc) if isinstance(e, pf.Span) and "index" in e.classes]:
            term = _term(span)
            needle = f'term="{span.attributes["term"]}"' if "term" in span.attributes else pf.stringify(span) + "]{"
            line = ctx.line_of(needle) or ctx.line_of(".index")
            main, _, sub = term.partition("!")
            main, sub = main.strip(), sub.strip()
            if not main or ("!" in term and not sub):
                ctx.findings.append(finding("INDEX-001", ctx.chapter.rel, line))
                continue
            n += 1
            if not span.identifier:
                span.identifier = f"{ctx.chapter.id}-idx-{n}"
            entry = entries.setdefault(main, {"locs": [], "subs": {}, "line": (ctx.chapter.rel, line)})
            if sub:
                entry["subs"].setdefault(sub, []).append((ctx.chapter.id, span.identifier))
            else:
                entry["locs"].append((ctx.chapter.id, span.identifier))
                on_own.add(main)
            ctx.data.index_marks.append([span.identifier, term, line])
    report = ctxs[target].findings if target is not None else []
    for main, entry in entries.items():
        if main not in on_own:
            rel, line = entry["line"]
            report.append(finding("INDEX-002", rel, line, term=f"{main}!{next(iter(entry['subs']))}", main=main))
    cross = _cross_references(ctxs[0].book, entries, report) if ctxs else {}
    if target is not None:
        docs[target].content.extend(_blocks(entries, cross, ctxs[target].labels))
    return docs


def _cross_references(book, entries: dict, report: list) -> dict[str, list[tuple[str, str]]]:
    """term → [("see" or "see_also", other term)] from book.yaml's ``index``; INDEX-004 for a term
    that is never marked."""
    config = book.meta.get("index") or {}
    rel = display_path(book.root / "book.yaml")
    lines = (book.root / "book.yaml").read_text(encoding="utf-8").split("\n")

    def line_of(term: str) -> int:
        return next((i for i, s in enumerate(lines, 1) if term in s and ":" in s), 0)
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, key in (("see", "see"), ("see_also", "see-also")):
        for term, targets in (config.get(key) or {}).items():
            for other in [targets] if isinstance(targets, str) else targets:
                missing = [t for t in ([other] if kind == "see" else [term, other]) if t not in entries]
                if missing:
                    report.append(finding("INDEX-004", rel, line_of(term), term=term, target=missing[0]))
                    continue
                out.setdefault(term, []).append((kind, other))
    return out


def _locators(locs: list[tuple[str, str]]) -> pf.Span:
    inlines: list = []
    for _cid, ident in locs:
        if inlines:
            inlines += [pf.Str(","), pf.Space()]
        inlines.append(pf.Link(pf.Str("→"), url=f"#{ident}", classes=["index-locator"]))
    return pf.Span(*inlines, classes=["index-locators"])


def _line(term: str, locs: list, refs: list, labels: dict, ids: dict) -> list:
    inlines: list = [pf.Span(pf.Str(term), classes=["index-term"])]
    if locs:
        inlines += [pf.Str(","), pf.Space(), _locators(locs)]
    also = False  # related terms share one "see also": "Tides, 3; see also Locks; Quays"
    for kind, other in refs:
        word = labels["index_see"] if kind == "see" else labels["index_see_also"]
        sep = [pf.Str(";" if kind == "see_also" and len(inlines) > 1 else ","), pf.Space()]
        label = [] if kind == "see_also" and also else [pf.Emph(*_words(word)), pf.Space()]
        also = also or kind == "see_also"
        inlines += sep + label + [pf.Link(*_words(other), url=f"#{ids[other]}",
                                          classes=["index-xref-preferred" if kind == "see" else "index-xref-related"])]
    return inlines


def _words(text: str) -> list:
    out: list = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append(pf.Space())
        out.append(pf.Str(word))
    return out


def _letter_id(group: str, blocks: list) -> str:
    return f"book-index-{group}" if group.isascii() and group.isalpha() else f"book-index-group-{len(blocks)}"


def _blocks(entries: dict, cross: dict, labels: dict) -> list[pf.Block]:
    terms = sorted(set(entries) | {t for t in cross if t not in entries}, key=sort_key)
    ids = {t: f"book-index-{i}" for i, t in enumerate(terms, 1)}
    blocks: list[pf.Block] = [pf.RawBlock('<section class="index" role="doc-index">', format="html")]
    group = None
    for term in terms:
        if letter(term) != group:
            if group is not None:
                blocks.append(pf.RawBlock("</ul>", format="html"))
            group = letter(term)
            blocks.append(pf.Header(pf.Str(group), level=2, identifier=_letter_id(group, blocks),
                                    classes=["index-letter"]))
            blocks.append(pf.RawBlock('<ul class="index-entry-list">', format="html"))
        entry = entries.get(term, {"locs": [], "subs": {}})
        blocks.append(pf.RawBlock(f'<li class="index-entry" id="{ids[term]}">', format="html"))
        blocks.append(pf.Plain(*_line(term, entry["locs"], cross.get(term, []), labels, ids)))
        if entry["subs"]:
            blocks.append(pf.RawBlock('<ul class="index-entry-list">', format="html"))
            for sub in sorted(entry["subs"], key=sort_key):
                blocks.append(pf.RawBlock('<li class="index-entry">', format="html"))
                blocks.append(pf.Plain(*_line(sub, entry["subs"][sub], [], labels, ids)))
                blocks.append(pf.RawBlock("</li>", format="html"))
            blocks.append(pf.RawBlock("</ul>", format="html"))
        blocks.append(pf.RawBlock("</li>", format="html"))
    if group is not None:
        blocks.append(pf.RawBlock("</ul>", format="html"))
    blocks.append(pf.RawBlock("</section>", format="html"))
    return blocks
