"""The pandoc filters, one concern each. Their order lives in ``press.pipeline``, nowhere else.

Every chapter filter is a module with ``run(doc, ctx) -> doc`` (a panflute Doc and a
``ChapterContext``); every book filter has ``run(docs, ctxs)`` over all chapters at once.
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


def elements(elem):
    """Every element under ``elem`` and then ``elem`` itself, in the order panflute's ``walk``
    visits them (children first), without rebuilding every list on the way as ``walk`` does:
    for filters that read the tree or change elements in place (several times faster)."""
    for name in elem._children:
        child = getattr(elem, name)
        if child is None:
            continue
        if isinstance(child, pf.ListContainer):
            for item in child:
                yield from elements(item)
        elif isinstance(child, pf.DictContainer):
            for item in child.values():
                yield from elements(item)
        else:
            yield from elements(child)
    yield elem
