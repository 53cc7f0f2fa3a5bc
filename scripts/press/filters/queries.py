"""Author queries: the editor's questions for the author, kept in the manuscript where they arise.

Takes the chapter AST; returns it with every query taken out, so that no reader's edition ever
shows one, and leaves each query in ``ctx.data.queries`` (number, question, file line, and the
text around it) for ``press queries``. Reports QUERY-001 (a warning; an error for ``make
release``) for every open query and QUERY-002 for a query without a question.

- ``[queried words]{.query text="question"}``: the words stay, the question goes;
  ``[]{.query text="…"}`` asks at a point.
- ``::: {.query text="question"}`` around blocks: the blocks stay, the question goes.
- ``::: query`` with the question as its content: the whole block goes.

Answering a query means deleting its mark (the history is in git). When the chapter context is a
proof (``ctx.proof``), each query instead leaves empty inline anchors (``query-<chapter>-<n>``, and
``…-end`` after a queried passage) and a highlight around queried words: inline, so no block's
neighbours and no page of the book change. Queries are numbered 1…n per chapter in the order of
the printed page; the filter runs after the notes filter, so a query in a note counts where the
note's text is printed.
"""
from __future__ import annotations

import re

import panflute as pf

from . import elements

CLASS = "query"
MARK = re.compile(r"\{[^{}]*\.query\b[^{}]*\}|^:::+\s*query\b")
TEXT = re.compile(r'\btext="((?:[^"\\]|\\.)*)"')
CONTEXT_WORDS = 25


def run(doc: pf.Doc, ctx) -> pf.Doc:
    marks = _source_marks(ctx)
    found = [(elem, _record(elem)) for elem in elements(doc)  # children before their parents:
             if isinstance(elem, (pf.Span, pf.Div)) and CLASS in elem.classes]  # an inner query goes first
    order = sorted(range(len(found)), key=lambda i: _position(found[i][0]))
    for n, i in enumerate(order, 1):
        query = found[i][1]
        query.update(n=n, id=f"query-{ctx.chapter.id}-{n}", line=_line(query, marks, ctx))
        if not query["question"]:
            ctx.report("QUERY-002", line=query["line"])
        else:
            ctx.report("QUERY-001", line=query["line"], number=n, question=_short(query["question"]))
    for elem, query in found:
        _replace(elem, query, ctx.proof)
    ctx.data.queries = [found[i][1] for i in order]
    return doc


def _position(elem) -> list[int]:
    """The element's place in reading order: the indexes on the path from the document down."""
    path = []
    while elem.parent is not None:
        path.append(elem.index if elem.index is not None else 0)
        elem = elem.parent
    return path[::-1]


def _record(elem) -> dict:
    """The query's question and the text it concerns, from the tree before anything is removed."""
    inline = isinstance(elem, pf.Span)
    asked = "text" in elem.attributes  # the question is the attribute; else a block's content
    question = elem.attributes.get("text", "") if asked or inline else _plain(elem)
    passage = _plain(elem).strip() if asked or inline else ""
    alone = inline and not passage and isinstance(elem.parent, (pf.Para, pf.Plain)) and \
        all(x is elem or isinstance(x, (pf.Space, pf.SoftBreak)) for x in elem.parent.content)
    before, after = _around_block(elem.parent) if alone else _around_inline(elem) if inline else _around_block(elem)
    return {"question": re.sub(r"\s+", " ", question).strip(), "kind": "inline" if inline and not alone else "block",
            "asked": asked or inline, "alone": alone, "before": before, "text": _words(passage, 30), "after": after}


def _replace(elem, query: dict, proof: bool) -> None:
    """Take the query out of the tree: its content stays, unless it is the question itself; other
    markup on the same span or div (an id, ``lang``, another class) stays too. A point query alone
    in its paragraph takes the paragraph with it."""
    content = list(elem.content) if query["asked"] else []
    classes = [c for c in elem.classes if c != CLASS]
    attributes = {k: v for k, v in elem.attributes.items() if k != "text"}
    if classes or attributes or elem.identifier:
        content = [type(elem)(*content, identifier=elem.identifier, classes=classes, attributes=attributes)]
    if query["alone"] and not (classes or attributes or elem.identifier):
        elem, content = elem.parent, []
    if proof:
        content = _anchored(content, query)
    siblings = elem.container
    index = next(i for i, x in enumerate(siblings.list) if x is elem)  # .index is stale after an edit
    siblings[index:index + 1] = content
    if proof and not content:
        _anchor_near(siblings, index, query["id"])


def _anchored(content: list, query: dict) -> list:
    """Proof markup: queried words highlighted under the query's id; queried blocks get an empty
    anchor at the start of their first line and an end anchor after their last."""
    if query["kind"] == "inline":
        return [pf.Span(*content, identifier=query["id"], classes=["query-mark"])]
    first, last = _text_block(content, 0), _text_block(content, -1)
    if first is not None:
        first.content.insert(0, _anchor(query["id"]))
        last.content.append(_anchor(query["id"] + "-end"))
    return content


def _anchor(ident: str) -> pf.Span:
    return pf.Span(identifier=ident, classes=["query-anchor"])


def _anchor_near(siblings, index: int, ident: str) -> None:
    """A ``::: query`` block is gone: its anchor starts the next block that has a line of text,
    or else ends the block before it."""
    target = _text_block(list(siblings[index:]), 0)
    if target is not None:
        target.content.insert(0, _anchor(ident))
        return
    target = _text_block(list(siblings[:index]), -1)
    if target is not None:
        target.content.append(_anchor(ident))


def _text_block(blocks: list, end: int):
    """The first (``end`` 0) or last (-1) block under ``blocks`` with a line of text of its own; a
    figure's is its caption (an anchor beside the image would add a line)."""
    for block in (blocks if end == 0 else reversed(blocks)):
        if isinstance(block, (pf.Para, pf.Plain, pf.Header)):
            return block
        if isinstance(block, pf.Figure):
            inner = list(block.caption.content) if block.caption else []
        elif isinstance(block, pf.Table):  # its cells, from the head's first to the body's last
            rows = [row for part in (block.head, *block.content, block.foot) if part is not None for row in part.content]
            inner = [b for row in rows for cell in row.content for b in cell.content]
        elif isinstance(block, (pf.BulletList, pf.OrderedList)):
            inner = [b for item in block.content for b in item.content]
        elif isinstance(block, (pf.Div, pf.BlockQuote)):
            inner = list(block.content)
        else:
            continue
        found = _text_block(inner, end)
        if found is not None:
            return found
    return None


# --- the text around a query, for the list sent to the author ---------------------------------

def _around_inline(elem) -> tuple[str, str]:
    before, after, node = [], [], elem
    while node.parent is not None and not isinstance(node.parent, pf.Block):
        before, after, node = _split(node, before, after)
    if node.parent is not None:
        before, after, _ = _split(node, before, after)
    return _words("".join(before), CONTEXT_WORDS, last=True), _words("".join(after), CONTEXT_WORDS)


def _split(node, before: list, after: list):
    siblings = list(node.container)
    i = next(k for k, x in enumerate(siblings) if x is node)
    return [_plain(x) for x in siblings[:i]] + before, after + [_plain(x) for x in siblings[i + 1:]], node.parent


def _around_block(elem) -> tuple[str, str]:
    siblings = [b for b in elem.container if b is elem or not _is_question(b)] if elem.parent is not None else [elem]
    end = next((k for k, b in enumerate(siblings) if isinstance(b, pf.RawBlock) and 'class="endnotes"' in b.text), None)
    siblings = siblings[:end]  # the text around a query ends where the endnotes begin
    i = next((k for k, x in enumerate(siblings) if x is elem), 0)
    before = next((t for t in (_plain(b) for b in reversed(siblings[:i])) if t.strip()), "")
    after = next((t for t in (_plain(b) for b in siblings[i + 1:]) if t.strip()), "")
    return _words(before, CONTEXT_WORDS, last=True), _words(after, CONTEXT_WORDS)


def _is_question(block) -> bool:
    return isinstance(block, pf.Div) and CLASS in block.classes and "text" not in block.attributes


def _plain(elem) -> str:
    """The text a reader sees in ``elem``, without note calls and back links, blocks apart."""
    if isinstance(elem, pf.Superscript) and any(isinstance(x, pf.Link) and "noteref" in x.classes for x in elem.content):
        return ""
    if isinstance(elem, (pf.RawBlock, pf.RawInline)) or isinstance(elem, pf.Link) and "backlink" in elem.classes:
        return ""
    if isinstance(elem, (pf.Figure, pf.Table)):  # a figure or table is named by its caption
        return " ".join(_plain(b) for b in elem.caption.content) if elem.caption else ""
    if isinstance(elem, (pf.Div, pf.BlockQuote)):
        return " ".join(_plain(b) for b in elem.content)
    if isinstance(elem, (pf.BulletList, pf.OrderedList)):
        return " ".join(_plain(b) for item in elem.content for b in item.content)
    if isinstance(elem, pf.Block) or not hasattr(elem, "content") or isinstance(elem, pf.Note):
        return pf.stringify(elem) if not isinstance(elem, (pf.Para, pf.Plain, pf.Header)) else \
            "".join(_plain(x) for x in elem.content)
    return "".join(_plain(x) for x in elem.content)


def _words(text: str, n: int, last: bool = False) -> str:
    words = text.split()
    if len(words) <= n:
        return " ".join(words)
    return "… " + " ".join(words[-n:]) if last else " ".join(words[:n]) + " …"


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# --- where each query is in the file ------------------------------------------------------------

def _source_marks(ctx) -> list[tuple[int, str | None]]:
    """(file line, question or None) of every query mark in the chapter's Markdown, in file order."""
    out = []
    for i, line in enumerate(ctx.lines):
        for m in MARK.finditer(line):
            text = TEXT.search(m.group(0))
            out.append((ctx.chapter.body_line + i, text.group(1).replace('\\"', '"') if text else None))
    return out


def _line(query: dict, marks: list, ctx) -> int:
    """The line of the mark that asks this question (asked twice: the next unused one); for a
    ``::: query`` whose question is its content, the next unused mark without a ``text``."""
    for k, (line, question) in enumerate(marks):
        if (question is None and not query["asked"]) or \
                (question is not None and re.sub(r"\s+", " ", question).strip() == query["question"]):
            del marks[k]
            return line
    return marks.pop(0)[0] if marks else ctx.chapter.body_line
