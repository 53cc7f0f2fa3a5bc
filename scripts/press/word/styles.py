"""What is left of Word's styles once the other modules took what they mean: pandoc's ``+styles``
reader wraps every styled paragraph in a Div and every styled run in a Span with the style's name
(``Body Text``, ``First Paragraph``, ``Hyperlink`` …); those wrappers go, their content stays.
So do the block ranges nobody claimed and the anchors (Word bookmarks inside a paragraph) that no
link points at; pictures lose the size Word gave them, tables their column widths. Import only."""
from __future__ import annotations

import panflute as pf

from . import STYLE, style_of
from .markers import BOX, RANGE

LOOSE = ("body text", "first paragraph")  # pandoc writes a loose list's items in these


def read(doc: pf.Doc, ctx) -> pf.Doc:
    targets = set()
    doc.walk(lambda e, d: targets.add(e.url[1:]) if isinstance(e, pf.Link) and e.url.startswith("#") else None)

    def action(elem, doc):
        if isinstance(elem, pf.Div) and isinstance(elem.parent, pf.ListItem) and len(elem.parent.content) == 1 \
                and style_of(elem) and style_of(elem) not in LOOSE and len(elem.content) == 1 \
                and isinstance(elem.content[0], pf.Para):
            return pf.Plain(*elem.content[0].content)  # Word's list paragraphs: a tight list
        if isinstance(elem, pf.Div) and (style_of(elem) or set(elem.classes) & {RANGE, BOX}):
            if set(elem.classes) - {RANGE, BOX} or (elem.identifier and not elem.identifier.startswith("press-")
                                                     and RANGE not in elem.classes):
                elem.attributes.pop(STYLE, None)
                return None
            return list(elem.content)
        if isinstance(elem, pf.Span):
            if "anchor" in elem.classes and elem.identifier not in targets and not elem.content:
                return []
            if style_of(elem):
                elem.attributes.pop(STYLE, None)
                if not (elem.identifier or elem.classes or elem.attributes):
                    return list(elem.content)
        if isinstance(elem, (pf.Image, pf.Table, pf.Figure)):
            for key in ("width", "height", STYLE):
                elem.attributes.pop(key, None)
        if isinstance(elem, pf.Table):
            elem.colspec = [(align, "ColWidthDefault") for align, _ in elem.colspec]
        if isinstance(elem, pf.Span) and "anchor" in elem.classes:
            elem.classes.remove("anchor")
        return None

    return doc.walk(action)
