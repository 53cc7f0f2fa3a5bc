"""The pandoc filters, one concern each. Their order lives in ``press.pipeline``, nowhere else.

Every chapter filter is a module with ``run(doc, ctx) -> doc`` (a panflute Doc and a
``ChapterContext``); every book filter has ``run(docs, ctxs)`` over all chapters at once, and may
have ``prepare(ctxs)``: work it can do from the chapters' data alone (their ``ctx.data``), which the
pipeline runs in a thread while it decodes the chapters' ASTs (the bibliography's citeproc).
"""
from __future__ import annotations

import panflute as pf


def inside_div(elem, classes: set[str]) -> bool:
    """Whether ``elem`` stands inside a fenced div with one of ``classes`` (a sidebar, a pull quote)."""
    p = elem.parent
    while p is not None:
        if isinstance(p, pf.Div) and set(p.classes) & classes:
            return True
        p = p.parent
    return False


def ancestor(elem, kind):
    """The nearest element of type ``kind`` that holds ``elem`` (its paragraph, figure …), or None."""
    p = elem.parent
    while p is not None and not isinstance(p, kind):
        p = p.parent
    return p


def _children(elem, names):
    """The elements ``elem`` holds under its parts ``names``, in that order, each attached to its
    place (``parent``, ``location``, ``index``) as panflute's own item access does."""
    for name in names:
        child = getattr(elem, name)
        if isinstance(child, pf.ListContainer):
            i = 0
            while i < len(child.list):  # by index, as panflute iterates: items an action adds are seen
                yield _item(child, i)
                i += 1
        elif isinstance(child, pf.DictContainer):
            yield from child.values()
        elif child is not None:
            yield child


def _item(container: pf.ListContainer, i: int):
    """``container[i]`` attached to its place (``parent``, ``location``, ``index``), as panflute's
    item access does, without its generic checks: the walks below read every element this way."""
    item = container.list[i]
    item.parent, item.location, item.index = container.parent, container.location, i
    return item


# The parts of a panflute element that hold other elements, in panflute's order (its ``walk``'s),
# by their public names; every other element holds its children in ``content``, and these hold
# none. tests/test_structure.py checks the table against panflute's own (private) lists, so a new
# panflute that changes them fails a test, not a book.
PARTS = {pf.Caption: ("content", "short_caption"), pf.Citation: ("prefix", "suffix"),
         pf.Cite: ("content", "citations"), pf.DefinitionItem: ("term", "definitions"),
         pf.Doc: ("metadata", "content"), pf.Figure: ("content", "caption"),
         pf.Table: ("head", "content", "foot", "caption"), pf.TableBody: ("content", "head")}
LEAVES = (pf.Str, pf.Space, pf.SoftBreak, pf.LineBreak, pf.Code, pf.CodeBlock, pf.RawBlock, pf.RawInline,
          pf.Math, pf.HorizontalRule, pf.Null, pf.MetaBool, pf.MetaString)


def parts(elem) -> tuple[str, ...]:
    """The names of ``elem``'s parts that hold elements (see PARTS)."""
    found = PARTS.get(type(elem))
    if found is None:
        found = PARTS[type(elem)] = () if isinstance(elem, LEAVES) else ("content",)
    return found


def walk(elem, action, doc=None):
    """``elem.walk(action, doc)`` as panflute does it — children first, then ``action(elem, doc)``,
    whose answer replaces the element (None keeps it, a list splices its items in, [] removes
    it) — without rebuilding every list on the way: panflute builds each container anew after
    walking it, which was most of what the chapter filters cost; here a container is rebuilt (by
    panflute's own setter, as its walk does) only when an action answered for one of its items.
    Returns what the action answered for ``elem`` itself, or ``elem``."""
    if doc is None:
        doc = elem.doc
    for name in parts(elem):
        child = getattr(elem, name)
        if isinstance(child, pf.ListContainer):
            answers, changed, i = [], False, 0
            while i < len(child.list):  # as panflute iterates: by index, each item attached to its place
                item = _item(child, i)
                out = walk(item, action, doc)
                if out is not item:
                    changed = True
                answers.append(out)
                i += 1
            if changed:
                setattr(elem, name, [x for out in answers for x in (out if type(out) is list else (out,))])
        elif isinstance(child, pf.DictContainer):
            setattr(elem, name, child.walk(action, doc))
        elif child is not None:
            out = walk(child, action, doc)
            if out is not child:
                setattr(elem, name, out)
    altered = action(elem, doc)
    return elem if altered is None else altered


def elements(elem):
    """Every element under ``elem`` and then ``elem`` itself, in the order panflute's ``walk``
    visits them (children first), without rebuilding every list on the way as ``walk`` does:
    for filters that read the tree or change elements in place (several times faster). Each
    element is attached to its place (``parent``, ``index``) as panflute's own iteration does."""
    stack = [(elem, iter(_children(elem, parts(elem))))]
    while stack:
        node, children = stack[-1]
        child = next(children, _END)
        if child is _END:
            stack.pop()
            yield node
        elif isinstance(child, LEAVES):
            yield child
        else:
            stack.append((child, iter(_children(child, parts(child)))))


_END = object()


# pandoc's own order of an element's parts where panflute lists them otherwise (a caption before
# the figure or table it names, a table body's head rows before its rows): the reading order.
_READING_ORDER = {pf.Figure: ("caption", "content"), pf.Table: ("caption", "head", "content", "foot"),
                  pf.TableBody: ("head", "content"), pf.Caption: ("short_caption", "content")}


def in_reading_order(elem, prune=None):
    """``elem`` and then every element under it in reading order, parents before their children
    (as pandoc's JSON lists them); the children of an element ``prune(element)`` is true for are
    left out. For readers of the text: the spelling check, the link check."""
    yield elem
    if prune is None or not prune(elem):
        for child in _children(elem, _READING_ORDER.get(type(elem)) or parts(elem)):
            yield from in_reading_order(child, prune)
