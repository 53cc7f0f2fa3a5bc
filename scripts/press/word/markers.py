"""Bookmarks and text boxes, from the marks ``docxprep`` wrote (``block-start:NAME`` …).

Import: a mark in a heading, a figure or a table is that element's id (the export writes every id
as a bookmark); marks around several blocks become a ``Div`` with that id and class ``press-range``
(a text box's: class ``press-box``), for the sidebar and query modules to recognise — those the
export made for itself (``press-…``) lose their id later. The block marks are then taken out; the
language marks stay for ``press.word.language``. Export: the sidebar, pull-quote and query modules
give their blocks ids, which pandoc writes as bookmarks; ids longer than Word allows, which pandoc
writes as a hash, are listed in the document property ``press-ids`` (see ``write``)."""
from __future__ import annotations

import hashlib

import panflute as pf

from ..filters import elements
from . import MARK as MARK_TEXT
from . import inline_lists, is_mark, marks

RANGE, BOX = "press-range", "press-box"
LONG_IDS = "press-ids"
RANGE_MARK = "press-range-mark"   # where a query's bookmark in a note starts or ends (docxprep's nq- marks)
KEEP = ("lang-", "xe-", "span-")  # inline marks for later modules (language, index entries, kept spans)


def _block_marks(block) -> list[tuple[str, str]]:
    """(kind, name) of the block marks under ``block``, in reading order: ("start", "fig-x") …"""
    out = []
    for lst in inline_lists(block):
        for x in lst:
            if is_mark(x):
                for m in marks(x):
                    kind, _, name = m.partition(":")
                    if kind in ("block-start", "box-start"):
                        out.append(("start", ("box:" if kind == "box-start" else "") + name))
                    elif kind in ("block-end", "box-end"):
                        out.append(("end", ("box:" if kind == "box-end" else "") + name))
    return out


def _ids(doc: pf.Doc) -> set[str]:
    """Headings, figures and tables take the name of a bookmark that starts in them; returns the
    names so used (they are no ranges)."""
    used: set[str] = set()
    for block in [e for e in elements(doc) if isinstance(e, pf.Block)]:
        if isinstance(block, (pf.Header, pf.Figure, pf.Table)):
            named = False
            for kind, name in _block_marks(block):
                if kind == "start" and not name.startswith("box:"):
                    if not named:  # pandoc gave every heading an id from its text (marks included)
                        block.identifier = "" if name.startswith("press-") else name
                        named = not name.startswith("press-")  # a range's mark (a query) names nothing
                    used.add(name)
        elif isinstance(block, pf.Para) and any(isinstance(x, pf.Image) for x in block.content):
            # a picture without a caption: pandoc made no figure, because of the mark beside it
            for kind, name in _block_marks(block):
                if kind == "start" and not name.startswith("box:"):
                    used.add(name)
                    block.content.insert(0, pf.Span(identifier=name, classes=["press-figure-id"]))
    return used




def _text_blocks(block) -> list:
    """The paragraphs and headings under ``block`` in reading order, notes' paragraphs left out."""
    def in_note(e):
        p = e.parent
        while p is not None and p is not block:
            if isinstance(p, pf.Note):
                return True
            p = p.parent
        return False
    return [e for e in elements(block) if isinstance(e, (pf.Para, pf.Plain, pf.Header)) and not in_note(e)]


def _has(block, kind: str, name: str) -> bool:
    return (kind, name) in _block_marks(block) if block is not None else False


def _whole(block, name: str) -> bool:
    """Whether the range ``name``, starting and ending in ``block``, covers all of it."""
    texts = _text_blocks(block)
    return bool(texts) and _has(texts[0], "start", name) and _has(texts[-1], "end", name)


def _group(blocks: list, used: set[str]) -> list:
    """Wrap each range of blocks between a start and an end mark into a Div, innermost first (the
    shortest; of two with the same blocks, the one that starts later)."""
    while True:
        events = [(i, kind, name) for i, b in enumerate(blocks) for kind, name in _block_marks(b)
                  if name not in used]
        opened: dict[str, tuple[int, int]] = {}
        ranges = []
        for order, (i, kind, name) in enumerate(events):
            if kind == "start":
                opened.setdefault(name, (i, order))
            elif name in opened and opened[name][0] <= i:
                first, when = opened.pop(name)
                if first < i or _whole(blocks[i], name):
                    ranges.append((i - first, -when, first, i, name))
        if not ranges:
            break
        _, _, start, end, name = min(ranges)
        box = name.startswith("box:")
        div = pf.Div(*blocks[start:end + 1], identifier="" if box else name, classes=[BOX if box else RANGE])
        used.add(name)
        blocks = blocks[:start] + [div] + blocks[end + 1:]
    for b in blocks:
        if isinstance(b, (pf.Div, pf.BlockQuote)):
            b.content = _group(list(b.content), used)
        elif isinstance(b, (pf.BulletList, pf.OrderedList)):
            for item in b.content:
                item.content = _group(list(item.content), used)
    return blocks


def bookmark_name(ident: str) -> str:
    """The name pandoc's docx writer gives the bookmark of ``ident``: Word allows 40 characters
    starting with a letter, so longer ids become 'X' and 39 hex digits of their SHA-1."""
    if ident[:1].isalpha() and len(ident) <= 40:
        return ident
    return "X" + hashlib.sha1(ident.encode("utf-8")).hexdigest()[1:]


def long_ids(doc: pf.Doc) -> list[str]:
    """The document's ids that Word cannot keep as they are (for the ``press-ids`` property)."""
    return sorted({e.identifier for e in elements(doc) if getattr(e, "identifier", "")
                   and bookmark_name(e.identifier) != e.identifier})


def _restore_long(doc: pf.Doc, ctx) -> None:
    """Ids and link targets that arrived as bookmark names are given back their full text, where
    the export listed them in the ``press-ids`` property."""
    known = {bookmark_name(i): i for i in str(ctx.properties.get(LONG_IDS, "")).split()}
    if not known:
        return
    for lst in inline_lists(doc):
        for x in lst:
            if is_mark(x):
                x.content = [pf.Str(MARK_TEXT.sub(lambda m: _long(m, known), pf.stringify(x)))]
    for e in elements(doc):
        if isinstance(e, pf.Link) and e.url.startswith("#") and e.url[1:] in known:
            e.url = "#" + known[e.url[1:]]


def _long(m, known: dict) -> str:
    kind, _, name = m.group(1).partition(":")
    return f"\u27e6{kind}:{known.get(name, name)}\u27e7" if name else m.group(0)


def read(doc: pf.Doc, ctx) -> pf.Doc:
    _restore_long(doc, ctx)
    used = _ids(doc)
    doc.content = _group(list(doc.content), used)
    for lst in inline_lists(doc):
        for x in list(lst):
            if is_mark(x):
                rest = [m for m in marks(x) if m.startswith(KEEP)]
                at = next(k for k, y in enumerate(lst) if y is x)
                lst[at:at + 1] = ([pf.Span(pf.Str("".join(f"\u27e6{m}\u27e7" for m in rest)), attributes=dict(x.attributes))]
                                  if rest else []) + _span_marks(x)
    _hoist(doc)
    return doc


def _span_marks(mark) -> list:
    """The marks of a query's bookmark in a note, as spans for ``press.word.notequeries``."""
    out = []
    for m in marks(mark):
        kind, _, name = m.partition(":")
        if kind in ("nq-start", "nq-end"):
            out.append(pf.Span(classes=[RANGE_MARK], attributes={"mark": kind[3:], "name": name}))
    return out


def _is_range_mark(x) -> bool:
    return isinstance(x, pf.Span) and RANGE_MARK in x.classes


def _partner(x) -> tuple[str, str]:
    return ("end" if x.attributes.get("mark") == "start" else "start", x.attributes.get("name", ""))


def _hoist(doc: pf.Doc) -> None:
    """A range mark first (or last) in a link, emphasis or span whose other end is outside it goes
    out before (after) it: LibreOffice saves a bookmark around a link starting inside the link."""
    moved = True
    while moved:
        moved = False
        for e in elements(doc):
            lst = getattr(e, "content", None)
            if not (isinstance(e, pf.Inline) and isinstance(lst, pf.ListContainer) and lst) or e.parent is None:
                continue
            outer = e.container
            if not isinstance(outer, pf.ListContainer):
                continue
            inside = {(x.attributes.get("mark"), x.attributes.get("name")) for x in lst if _is_range_mark(x)}
            at = next(k for k, x in enumerate(outer) if x is e)
            if _is_range_mark(lst[0]) and _partner(lst[0]) not in inside:
                x = lst.pop(0)
                outer.insert(at, x)
                moved = True
            elif _is_range_mark(lst[-1]) and _partner(lst[-1]) not in inside:
                x = lst.pop(-1)
                outer.insert(at + 1, x)
                moved = True
            if moved:
                break


def wrap(lst, a: int, b: int, make) -> None:
    """Replace the range marks at ``a`` and ``b`` of ``lst`` and what lies between by ``make(words)``.
    Another range's mark between them whose other end lies outside goes out: before the new span
    when it stands at its start (or is an end), after it when it stands at its end (or is a start).
    LibreOffice orders the marks at one place as it likes."""
    inner = list(lst[a + 1:b])
    lead = next((k for k, x in enumerate(inner) if not _is_range_mark(x)), len(inner))
    trail = len(inner) - next((k for k, x in enumerate(reversed(inner)) if not _is_range_mark(x)), len(inner))
    here = {(x.attributes.get("mark"), x.attributes.get("name")) for x in inner if _is_range_mark(x)}
    before, after, words = [], [], []
    for k, x in enumerate(inner):
        if not _is_range_mark(x) or _partner(x) in here:
            words.append(x)
        elif k < lead:
            before.append(x)
        elif k >= trail:
            after.append(x)
        else:
            (after if x.attributes.get("mark") == "start" else before).append(x)
    lst[a:b + 1] = before + make(words) + after


def write(doc: pf.Doc, ctx) -> pf.Doc:
    found = long_ids(doc)
    if found:
        doc.metadata[LONG_IDS] = pf.MetaString(" ".join(found))
    return doc
