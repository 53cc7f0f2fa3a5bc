"""Author queries inside notes. LibreOffice cannot open a .docx with a comment inside a footnote
(Word can), and reviewers use both; so a query in a note reaches Word as a comment on the note's
reference mark in the text, and finds its way back into the note on import.

Export: each ``[words]{.query text="…"}`` inside a note becomes a bookmark ``press-nq-N`` around
the same words in the footnote (empty for a query at a point), and a comment whose range spans the
note's reference mark, its text the question after the book's label for the note's number: "(in
noot 3) Hoort hier een haakje?" (``note_query`` in ``press/locales``). Import (after
``press.word.markers``, which turns ``docxprep``'s marks of those bookmarks into
``press-range-mark`` spans): a comment that opens with that label, in any language the press
knows, is taken off the reference mark and put in the note it covers (else the note of that
number) around the words between its bookmark's marks — the note's first, second … bookmark for
its first, second … comment — or, when the bookmark is gone, around the text of the note's first
paragraph. Word and LibreOffice keep the comment's range and the bookmarks in footnotes when they
save the file (LibreOffice renames those bookmarks ``…_Copy_1``, which ``docxprep`` undoes)."""
from __future__ import annotations

import re
from itertools import islice

import panflute as pf

from ..book import load_yaml_file
from ..context import LOCALES
from ..filters import elements, in_reading_order
from . import style_of
from .comments import CLASS, END, START, _comment, _is, _question, queried_words
from .markers import RANGE_MARK, wrap
from .notes import REFERENCE_STYLES

BOOKMARK = "press-nq-"


def _preorder(elem):
    """The elements under ``elem`` in reading order (a span before the spans inside it)."""
    return islice(in_reading_order(elem), 1, None)


def _at(elem) -> int:
    """``elem``'s place in its list (panflute's ``index`` is where it was when last looked up)."""
    return next(k for k, x in enumerate(elem.container) if x is elem)


def write(doc: pf.Doc, ctx) -> pf.Doc:
    for note in [e for e in elements(doc) if isinstance(e, pf.Note)]:
        n = next(ctx.notes)
        queries = [e for e in _preorder(note) if isinstance(e, pf.Span) and CLASS in e.classes]
        if not queries:
            continue
        label = ctx.labels["note_query"].format(n=n)
        ranges = []
        for q in queries:
            q.container[_at(q)] = pf.Span(*queried_words(q), identifier=ctx.press_id("nq"))
            ranges.append(_comment(ctx, f"({label}) {q.attributes.get('text', '')}", []))
        lst, at = note.container, _at(note)
        lst[at:at + 1] = [r[0] for r in ranges] + [note] + [r[1] for r in reversed(ranges)]
    return doc


def _labels() -> list[re.Pattern]:
    out = []
    for path in sorted(LOCALES.glob("*.yaml")):
        template = str(load_yaml_file(path).get("note_query") or "")
        if "{n}" in template:
            out.append(re.compile(r"\(\s*" + re.escape(template).replace(re.escape("{n}"), r"(\d+)")
                                  + r"\s*\)\s*", re.I))
    return out


def _label(start: pf.Span, labels: list[re.Pattern]) -> tuple[int, str] | None:
    """(note number, question) of a comment made on a note's reference mark; None for another."""
    text = _question(start)
    for pattern in labels:
        m = pattern.match(text)
        if m:
            return int(m.group(1)), text[m.end():]
    return None


def read(doc: pf.Doc, ctx) -> pf.Doc:
    labels = _labels()
    notes = [e for e in elements(doc) if isinstance(e, pf.Note)]
    for start in [e for e in _preorder(doc) if _is(e, START)]:
        found = _label(start, labels)
        if found is None:
            continue
        number, question = found
        lst, i = start.container, _at(start)
        cid = start.attributes.get("id")
        j = next((k for k in range(i + 1, len(lst)) if _is(lst[k], END) and lst[k].attributes.get("id") == cid), None)
        note = next((x for x in lst[i + 1:j] if isinstance(x, pf.Note)), None) \
            or next((x for x in lst[i + 1:] if isinstance(x, pf.Note)), None) \
            or (notes[number - 1] if 0 < number <= len(notes) else None)
        if note is None:
            continue  # no note to put it in: it stays a query where it stands
        if j is not None:
            del lst[j]
        del lst[i]
        _place(note, question)
        ctx.count("comments → author queries")
    for lst in [e.content for e in elements(doc) if isinstance(getattr(e, "content", None), pf.ListContainer)
                and any(_ours(x) for x in e.content)]:
        lst[:] = [x for x in lst if not _ours(x)]
    return doc


def _ours(x) -> bool:
    """Whether ``x`` is the mark of a query's bookmark in a note."""
    return isinstance(x, pf.Span) and RANGE_MARK in x.classes and x.attributes.get("name", "").startswith(BOOKMARK)


def _place(note: pf.Note, question: str) -> None:
    """The query in ``note`` around the words of its first bookmark not yet taken (a comment made on a
    note's reference mark before another is the query that comes first in it), else around its
    first paragraph's text."""
    marks = [e for e in _preorder(note) if _ours(e)]
    if marks:
        name = next((m.attributes["name"] for m in marks if m.attributes.get("mark") == "start"), None)
        first = next((m for m in marks if m.attributes["name"] == name and m.attributes["mark"] == "start"), None)
        last = next((m for m in marks if m.attributes["name"] == name and m.attributes["mark"] == "end"), None)
        if first is not None and last is not None and last.container is first.container and _at(last) > _at(first):
            wrap(first.container, _at(first), _at(last),
                 lambda words: [pf.Span(*words, classes=[CLASS], attributes={"text": question})])
            return
        for m in marks:
            if m.attributes["name"] == name or name is None:
                del m.container[_at(m)]
    para = next((e for e in _preorder(note) if isinstance(e, (pf.Para, pf.Plain))), None)
    if para is None:
        note.content.append(pf.Para(pf.Span(classes=[CLASS], attributes={"text": question})))
        return
    inl = para.content
    lead = 0
    while lead < len(inl) and _reference(inl[lead]):
        lead += 1
    inl[lead:] = [pf.Span(*inl[lead:], classes=[CLASS], attributes={"text": question})]


def _reference(x) -> bool:
    """Whether ``x`` is what Word puts before a note's text: its reference mark, or the space after."""
    return isinstance(x, pf.Space) or (isinstance(x, pf.Span) and not pf.stringify(x) and style_of(x) in REFERENCE_STYLES)
