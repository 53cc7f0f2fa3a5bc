"""HTML read and rewritten with lxml (the press's one HTML toolkit): the text that the font checks,
the font subsets and the HTML edition's search index see, and fragments to rewrite by element."""
from __future__ import annotations

from html import unescape

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
    """An HTML fragment parsed into a ``<div>`` that holds it, to read and rewrite with lxml. White
    space before the first element, which libxml2's parser drops, is kept."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    lead = unescape(html.split("<", 1)[0])
    if root.text is None and lead:  # only white space (no-break spaces too) stood there
        root.text = lead
    return root


# The HTML standard's serialisation of a fragment ("Serializing HTML fragments"), which html5ever
# (nh3's parser, and so every chapter the pipeline hands the writers) follows: lxml's own writes a
# no-break space as a character and quotes a value holding '"' with "'", so a fragment read and
# written again by lxml would not keep the pipeline's bytes.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr", "basefont", "bgsound", "frame", "keygen", "param"})
RAW_TEXT = frozenset({"style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext"})
_TEXT = str.maketrans({"&": "&amp;", "\u00a0": "&nbsp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans({"&": "&amp;", "\u00a0": "&nbsp;", '"': "&quot;", "<": "&lt;", ">": "&gt;"})


def _write(el, out: list[str]) -> None:
    """``el`` itself and what it holds (its tail left to the caller)."""
    if isinstance(el.tag, str):
        out.append(f"<{el.tag}")
        for name, value in el.attrib.items():
            out.append(f' {name}="{value.translate(_ATTR)}"')
        out.append(">")
        if el.tag not in VOID:
            _inner(el, out)
            out.append(f"</{el.tag}>")
    elif el.tag is lxml.etree.Comment:
        out.append(f"<!--{el.text or ''}-->")


def _inner(el, out: list[str]) -> None:
    """What ``el`` holds: its text and each child with its tail (unescaped inside raw-text elements)."""
    raw = el.tag in RAW_TEXT

    def text(t: str | None) -> str:
        return (t or "") if raw else (t or "").translate(_TEXT)
    out.append(text(el.text))
    for child in el:
        _write(child, out)
        out.append(text(child.tail))


def put_first(el, attrs: dict) -> None:
    """``attrs`` set as ``el``'s first attributes, before those it keeps (an id the press adds is
    written first, as pandoc writes ids)."""
    rest = [(k, v) for k, v in el.attrib.items() if k not in attrs]
    el.attrib.clear()
    for k, v in [*attrs.items(), *rest]:
        el.set(k, v)


def ids_in(html: str) -> list[str]:
    """The ids of the elements in an HTML fragment, in document order (a lone end tag holds none)."""
    if not html.strip():
        return []
    try:
        return [el.get("id") for el in fragment(html).iter() if el.get("id")]
    except lxml.etree.ParserError:
        return []


def outer_html(el) -> str:
    """``el`` itself and what it holds, as HTML (its tail left out)."""
    out: list[str] = []
    _write(el, out)
    return "".join(out)


def inner_html(el) -> str:
    """What ``el`` holds, as HTML, serialised as the HTML standard and html5ever do (the
    element's own tag and tail left out): a fragment read with ``fragment`` and written with this
    keeps its bytes wherever nothing in it was changed."""
    out: list[str] = []
    _inner(el, out)
    return "".join(out)
