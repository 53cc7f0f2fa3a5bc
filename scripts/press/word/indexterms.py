"""Index terms (``[words]{.index}``, ``[words]{.index term="…"}``) and citations
(``[words]{.cite key=…}``), which Word has no mark for that pandoc writes. Export: each becomes a
bookmark ``press-ix-N`` around its words (a phrase in another language keeps its language mark
inside); its classes and other attributes (``term``, ``key``) travel in the document property of
the same name. Import (after ``press.word.language``): the words between the marks ``docxprep``
made of such a bookmark become the span again, with the classes and attributes of its property.
Authors do not see them; Word and LibreOffice keep them when they save (LibreOffice 7.4 ends one a
letter early after a comment in its paragraph: see ``_to_word_end``)."""
from __future__ import annotations

import json
import re

import panflute as pf

from ..filters import elements
from .markers import RANGE_MARK, wrap

CLASSES = ("index", "cite")
PREFIX = "press-ix-"


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if not (isinstance(elem, pf.Span) and any(c in elem.classes for c in CLASSES)):
            return None
        name = ctx.press_id("ix")
        rest = {k: v for k, v in elem.attributes.items() if k != "lang"}
        doc.metadata[name] = pf.MetaString(json.dumps(
            {"id": elem.identifier, "classes": list(elem.classes), "attributes": rest}, ensure_ascii=False))
        inner = list(elem.content)
        if "lang" in elem.attributes:
            inner = [pf.Span(*inner, attributes={"lang": elem.attributes["lang"]})]
        return pf.Span(*inner, identifier=name)

    return doc.walk(action)


def read(doc: pf.Doc, ctx) -> pf.Doc:
    saved_by_libreoffice = b"LibreOffice" in (ctx.media.get("docProps/app.xml") or b"")
    done = True
    while done:  # one at a time, innermost lists first: an index term may lie within another span
        done = False
        for e in elements(doc):
            lst = getattr(e, "content", None)
            if not isinstance(lst, pf.ListContainer):
                continue
            starts = [k for k, x in enumerate(lst) if _mark(x, "start")]
            for a in starts:
                name = lst[a].attributes["name"]
                b = next((k for k in range(a + 1, len(lst)) if _mark(lst[k], "end") and lst[k].attributes["name"] == name),
                         None)
                if b is None:
                    continue
                if saved_by_libreoffice:
                    b = _to_word_end(lst, b)
                prop = ctx.properties.get(name)
                wrap(lst, a, b, lambda words, prop=prop: _span(words, prop))
                ctx.count("index terms and citations")
                done = True
                break
            if done:
                break
    for e in elements(doc):  # the marks of ranges that did not close in their paragraph
        lst = getattr(e, "content", None)
        if isinstance(lst, pf.ListContainer) and any(_mark(x, "start") or _mark(x, "end") for x in lst):
            lst[:] = [x for x in lst if not (_mark(x, "start") or _mark(x, "end"))]
    return doc


def _to_word_end(lst, b: int) -> int:
    """LibreOffice (7.4) saves a bookmark that follows a comment in its paragraph ending a letter
    early for each such comment ("[harbour boar]d"); an index term ends where its word ends, so the
    end mark moves there. Returns the end mark's new place."""
    before, after = lst[b - 1] if b else None, lst[b + 1] if b + 1 < len(lst) else None
    if not (isinstance(before, pf.Str) and isinstance(after, pf.Str) and before.text[-1:].isalnum()):
        return b
    m = re.match(r"\w+", after.text)
    if not m:
        return b
    lst.insert(b, pf.Str(m.group()))
    rest = after.text[m.end():]
    if rest:
        after.text = rest
    else:
        del lst[b + 2]
    return b + 1


def _mark(x, kind: str) -> bool:
    return (isinstance(x, pf.Span) and RANGE_MARK in x.classes and x.attributes.get("mark") == kind
            and x.attributes.get("name", "").startswith(PREFIX))


def _span(words: list, prop) -> list:
    """The span of ``words`` its property describes (the words alone without one)."""
    try:
        extra = json.loads(prop) if prop else None
    except ValueError:
        extra = None
    if not isinstance(extra, dict) or not isinstance(extra.get("classes"), list):
        return words
    attributes = {str(k): str(v) for k, v in (extra.get("attributes") or {}).items()}
    if len(words) == 1 and isinstance(words[0], pf.Span) and list(words[0].attributes) == ["lang"] \
            and not words[0].classes and not words[0].identifier:
        attributes["lang"] = words[0].attributes["lang"]   # the phrase's language, on the span itself
        words = list(words[0].content)
    return [pf.Span(*words, identifier=str(extra.get("id") or ""), classes=[str(c) for c in extra["classes"]],
                    attributes=attributes)]
