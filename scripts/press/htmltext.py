"""The text of HTML, read with lxml (the press's one HTML toolkit): what the font checks, the font
subsets and the HTML edition's search index see of a chapter or a whole document."""
from __future__ import annotations

import lxml.html


def text_of(html: str) -> str:
    """The text of an HTML fragment or document, entities resolved, a space where a tag stood
    (``a<b>c</b>`` reads "a c"); comments left out, the text of ``<style>`` and ``<title>`` kept."""
    if not html.strip():
        return html
    return " ".join(lxml.html.document_fromstring(html).itertext())
