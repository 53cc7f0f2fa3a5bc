"""Word comments and the manuscript's author queries.

Import: a comment becomes an author query where it stands: on the words it covers,
``[words]{.query text="comment"}``, or at its point (``[]{.query text="…"}``) when it covers
nothing or crosses a paragraph. A comment the export made on a block query comes back as that
block query (``::: {.query text="…"}`` around the blocks; ``::: query`` with the question as its
text); one the export spread over a table (from its caption, above it in Word, to its last cell)
comes back around the table. Export: the other way round, so an author answers queries in Word's
own margin; the comment's author is the book's publisher, its date the book's. Queries inside
notes: ``press.word.notequeries``."""
from __future__ import annotations

import re

import panflute as pf

from ..filters import elements
from . import inline_lists

START, END, CLASS = "comment-start", "comment-end", "query"


def _question(span: pf.Span) -> str:
    return re.sub(r"\s+", " ", pf.stringify(span)).strip()


def _is(elem, cls: str) -> bool:
    return isinstance(elem, pf.Span) and cls in elem.classes


def read(doc: pf.Doc, ctx) -> pf.Doc:
    _block_queries(doc, ctx)
    doc.walk(lambda e, d: _table_query(e, ctx))
    changed = True
    while changed:  # one comment at a time: a comment may lie within another's words
        changed = False
        for lst in inline_lists(doc):
            i = next((k for k, x in enumerate(lst) if _is(x, START)), None)
            if i is None:
                continue
            start = lst[i]
            cid = start.attributes.get("id")
            j = next((k for k, x in enumerate(lst) if _is(x, END) and x.attributes.get("id") == cid), None)
            words = list(lst[i + 1:j]) if j is not None else []
            query = pf.Span(*words, classes=[CLASS], attributes={"text": _question(start)})
            lst[i:(j + 1 if j is not None else i + 1)] = [query]
            ctx.count("comments → author queries")
            changed = True
            break
    for lst in inline_lists(doc):  # the ends of comments that crossed a paragraph
        lst[:] = [x for x in lst if not _is(x, END) and not _is(x, START)]
    return doc


def _block_queries(doc: pf.Doc, ctx) -> None:
    def action(elem, doc):
        if not (isinstance(elem, pf.Div) and elem.identifier.startswith(("press-query-", "press-qblock-"))):
            return None
        spans = []
        for lst in inline_lists(elem):
            spans += [x for x in lst if _is(x, START) or _is(x, END)]
        starts = [s for s in spans if _is(s, START)]
        if not starts:
            return None
        first = starts[0]
        cid = first.attributes.get("id")
        for s in spans:
            if s.attributes.get("id") == cid:
                s.container.remove(s)
        ctx.count("comments → author queries")
        if elem.identifier.startswith("press-qblock-"):
            return pf.Div(pf.Para(*_words(_question(first))), classes=[CLASS])
        content = [b for b in elem.content if not (isinstance(b, (pf.Para, pf.Plain)) and not b.content)]
        return pf.Div(*content, classes=[CLASS], attributes={"text": _question(first)})

    doc.walk(action)


def _table_query(elem, ctx):
    """A table with a comment from one of its paragraphs (the caption above it, a cell) to another
    becomes ``::: {.query text="…"}`` around the table: the export spans the whole table so."""
    if not isinstance(elem, pf.Table):
        return None
    spans = [e for e in elements(elem) if _is(e, START) or _is(e, END)]
    for start in (s for s in spans if _is(s, START)):
        end = next((s for s in spans if _is(s, END) and s.attributes.get("id") == start.attributes.get("id")), None)
        if end is None or end.container is start.container:
            continue  # a query on words within one paragraph stays there
        start.container.remove(start)
        end.container.remove(end)
        ctx.count("comments → author queries")
        return pf.Div(elem, classes=[CLASS], attributes={"text": _question(start)})
    return None


def _words(text: str) -> list:
    out = []
    for k, word in enumerate(text.split(" ")):
        if k:
            out.append(pf.Space())
        if word:
            out.append(pf.Str(word))
    return out


def _comment(ctx, question: str, inlines: list) -> list:
    cid = str(next(ctx.comments))
    author = str(ctx.book.meta.get("publisher") or "")
    start = pf.Span(*_words(question), classes=[START], attributes={"id": cid, "author": author, "date": ctx.date})
    return [start, *inlines, pf.Span(classes=[END], attributes={"id": cid})]


def _text_blocks(blocks: list) -> list:
    """The paragraphs and headings under ``blocks``, in reading order."""
    found = []
    for b in blocks:
        if isinstance(b, (pf.Para, pf.Plain, pf.Header)):
            found.append(b)
        elif isinstance(b, pf.Figure):
            found += _text_blocks(list(b.caption.content) if b.caption else [])
        elif isinstance(b, (pf.Div, pf.BlockQuote)):
            found += _text_blocks(list(b.content))
        elif isinstance(b, (pf.BulletList, pf.OrderedList)):
            found += _text_blocks([x for item in b.content for x in item.content])
        elif isinstance(b, pf.Table):  # Word's order: the caption (above the table), then the cells row by row
            found += _text_blocks(list(b.caption.content) if b.caption else [])
            rows = [*(b.head.content if b.head else []),
                    *(r for body in b.content for r in [*body.head, *body.content]),
                    *(b.foot.content if b.foot else [])]
            found += _text_blocks([x for row in rows for cell in row.content for x in cell.content])
    return found


def queried_words(span: pf.Span) -> list:
    """What a query span stands around: its words, inside a span of its own other classes, id and
    attributes when it has any (a query may also be an index mark or in another language)."""
    rest = [c for c in span.classes if c != CLASS]
    inner = list(span.content)
    if rest or span.identifier or set(span.attributes) - {"text"}:
        inner = [pf.Span(*inner, identifier=span.identifier, classes=rest,
                         attributes={k: v for k, v in span.attributes.items() if k != "text"})]
    return inner


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Span) and CLASS in elem.classes:
            return _comment(ctx, elem.attributes.get("text", ""), queried_words(elem))
        if isinstance(elem, pf.Div) and CLASS in elem.classes:
            if "text" not in elem.attributes:
                para = pf.Para(*_comment(ctx, pf.stringify(elem).strip(), []))
                return pf.Div(para, identifier=ctx.press_id("qblock"))
            blocks = list(elem.content)
            texts = _text_blocks(blocks)
            if texts:
                span = _comment(ctx, elem.attributes["text"], [])
                texts[0].content.insert(0, span[0])
                texts[-1].content.append(span[1])
            return pf.Div(*blocks, identifier=ctx.press_id("query"))
        return None

    return doc.walk(action)
