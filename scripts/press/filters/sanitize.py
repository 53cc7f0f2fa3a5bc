"""Raw HTML: takes the chapter AST, returns it with every raw HTML fragment that could run code or
load another page (script, iframe, event handlers, ``javascript:`` …) cleaned by nh3 (ammonia),
and every ``javascript:``/``data:`` link or image reduced to its text, raw ``<img>`` (images come
from Markdown, where they are checked and cleaned) and styles that load anything (``url()``)
removed; reports HTML-001 for each.
Harmless raw HTML (``<b>``, ``<br>``) passes unchanged. ``clean_fragment`` is the second line of
defence: the pipeline runs each chapter's finished HTML through nh3 with the press's allowlist."""
from __future__ import annotations

import re

import nh3
import panflute as pf

DANGER = re.compile(r"<\s*(script|iframe|object|embed|frame|frameset|style|link|meta|base|form"
                    r"|img|image|svg|video|audio|source|picture|track|input)\b"
                    r"|\son[a-z]+\s*=|javascript:|vbscript:|data:text/html"
                    r"|\sstyle\s*=\s*(\"[^\"]*|'[^']*)(url\s*\(|image-set|expression|@import|\\)", re.I)
LOADS = re.compile(r"url\s*\(|image-set|expression|@import|\\|behavior|binding", re.I)
SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|/|\\)", re.I)
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.I)


def _describe(raw: str) -> str:
    m = DANGER.search(raw)
    token = m.group(0).strip() if m else raw[:40]
    return f"'{token}' in “{raw.strip()[:60]}”"


def run(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, (pf.RawBlock, pf.RawInline)):
            if elem.format not in ("html", "html5", "html4"):
                return [] if isinstance(elem, pf.RawInline) else []
            raw = elem.text
            if not DANGER.search(raw):
                return None
            ctx.report("HTML-001", needle=raw.strip().split("\n")[0][:40], detail=_describe(raw))
            clean = nh3.clean(raw, tags=RAW_TAGS, link_rel=None, url_schemes=SCHEMES, attribute_filter=_attribute)
            if not clean.strip():
                return []
            return type(elem)(clean, format="html")
        style = elem.attributes.get("style", "") if hasattr(elem, "attributes") else ""
        if style and LOADS.search(style):  # <span style="background:url(…)">, read by pandoc as a Span
            ctx.report("HTML-001", needle=style[:30], detail=f"the style '{style[:40]}'")
            del elem.attributes["style"]
        if isinstance(elem, (pf.Link, pf.Image)) and BAD_SCHEME.match(elem.url):
            ctx.report("HTML-001", needle=elem.url[:30], detail=f"the address '{elem.url[:40]}'")
            if isinstance(elem, pf.Link):
                return pf.Span(*elem.content)
            return pf.Str(pf.stringify(elem))
        return None

    return doc.walk(action)


SCHEMES = {"http", "https", "mailto"}
RAW_TAGS = set(nh3.ALLOWED_TAGS) - {"img"}  # raw HTML gets no images: `![alt](images/…)` is checked and cleaned


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """No style that loads anything (``url()``, ``image-set``, ``@import``, escapes that could hide
    them) and no image from outside the manuscript (an ``<img>`` src with a scheme or an absolute path)."""
    if attribute == "style" and LOADS.search(value):
        return None
    if element == "img" and attribute == "src" and SCHEME.match(value):
        return None
    return value
TAGS = set(nh3.ALLOWED_TAGS) | {"section"}
COMMON = {"id", "class", "lang", "role", "title", "aria-label", "aria-labelledby", "aria-describedby",
          "aria-hidden", "data-chapter", "data-title", "style", "dir"}
ATTRIBUTES = {tag: set(COMMON) for tag in TAGS}
for tag, extra in nh3.ALLOWED_ATTRIBUTES.items():
    ATTRIBUTES.setdefault(tag, set(COMMON)).update(extra)
ATTRIBUTES["li"] |= {"value"}
ATTRIBUTES["ol"] |= {"type", "reversed"}
ATTRIBUTES["a"] |= {"rel", "data-ref-kind"}  # a page reference's kind of target (filters/pagerefs)


def clean_fragment(html: str) -> str:
    """The finished chapter HTML through nh3: only the tags, attributes and URL schemes the
    editions use survive, whatever a manuscript managed to smuggle past the AST."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel=None,
                     strip_comments=True, clean_content_tags={"script", "style"}, attribute_filter=_attribute)
