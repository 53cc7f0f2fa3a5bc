"""HTML read and rewritten with lxml (the press's one HTML toolkit): the text that the font checks,
the font subsets and the HTML edition's search index see, and fragments to rewrite by element."""
from __future__ import annotations

from html import escape

import lxml.etree
import lxml.html


def text_of(html: str) -> str:
    """The text of an HTML fragment or document, entities resolved, a space where a tag stood
    (``a<b>c</b>`` reads "a c"); comments left out, the text of ``<style>`` and ``<title>`` kept."""
    if not html.strip():
        return html
    try:
        return " ".join(lxml.html.document_fromstring(html).itertext())
    except lxml.etree.ParserError:  # only end tags or comments ("</aside>"): nothing to read
        return ""


def fragment(html: str):
    """An HTML fragment parsed into a ``<div>`` that holds it, to read and rewrite with lxml."""
    return lxml.html.fragment_fromstring(html, create_parent="div")


def inner_html(el) -> str:
    """What ``el`` holds, as HTML (lxml's serialisation; the element's own tag and tail left out)."""
    return escape(el.text or "", quote=False) + "".join(lxml.html.tostring(c, encoding="unicode") for c in el)
