"""Raw HTML: takes the chapter AST, returns it with every raw HTML fragment that could run code or
load another page (script, iframe, event handlers, ``javascript:`` …) cleaned by nh3 (ammonia),
and every ``javascript:``/``data:`` link or image reduced to its text, raw ``<img>`` (images come
from Markdown, where they are checked and cleaned) and styles that load anything (``url()``)
removed; reports HTML-001 for each. A fragment is dangerous when the text says so (``DANGER``,
which reads it as it stands, whatever a parser would make of it) or when lxml, parsing it, finds an
element, an event handler, a style or an address that runs or loads something (``_parsed_danger``:
it sees through character references such as ``jav&#x09;ascript:``, which the text does not show).
Harmless raw HTML (``<b>``, ``<br>``) passes unchanged. ``clean_fragment`` is the second line of
defence: the pipeline runs each chapter's finished HTML through nh3 with the press's allowlist."""
from __future__ import annotations

import re

import nh3
import panflute as pf

from . import walk

TAGS_THAT_RUN = frozenset({"script", "iframe", "object", "embed", "frame", "frameset", "style", "link", "meta",
                           "base", "form", "img", "image", "svg", "video", "audio", "source", "picture", "track",
                           "input"})
DANGER = re.compile(r"<\s*(" + "|".join(sorted(TAGS_THAT_RUN)) + r")\b"
                    r"|\son[a-z]+\s*=|javascript:|vbscript:|data:text/html"
                    r"|\sstyle\s*=\s*(\"[^\"]*|'[^']*)(url\s*\(|image-set|expression|@import|\\)", re.I)
LOADS = re.compile(r"url\s*\(|image-set|expression|@import|\\|behavior|binding", re.I)
SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|/|\\)", re.I)
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.I)


C0_AND_SPACE = "".join(map(chr, range(0x21)))  # what a browser strips from both ends of an address
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "data", "background", "cite",
                            "srcset", "xlink:href", "ping"})


def _parsed_danger(raw: str) -> str | None:
    """What lxml reads in a raw fragment that would run code or load something, or None. An address
    is read as a browser reads it: tabs and line breaks inside it dropped, control characters and
    spaces around it ignored."""
    import lxml.etree

    from ..htmltext import fragment
    try:
        root = fragment(raw)
    except (lxml.etree.ParserError, ValueError):  # nothing but an end tag or white space
        return None
    for el in root.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction
            continue
        if el.tag.lower() in TAGS_THAT_RUN:
            return f"<{el.tag.lower()}"
        for name, value in el.attrib.items():
            name = name.lower()
            address = re.sub(r"[\t\n\r]", "", value).strip(C0_AND_SPACE)
            if name.startswith("on") or (name in URL_ATTRIBUTES and BAD_SCHEME.match(address)) or \
                    (name == "style" and LOADS.search(value)):
                return f"{name}={(address if name in URL_ATTRIBUTES else value.strip())[:30]}"
    return None


def _danger(raw: str) -> str | None:
    """The token that makes a raw fragment dangerous (the text's, else the parsed tree's), or None."""
    m = DANGER.search(raw)
    return m.group(0).strip() if m else _parsed_danger(raw)


def _describe(raw: str, token: str) -> str:
    return f"'{token}' in “{raw.strip()[:60]}”"


def run(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, (pf.RawBlock, pf.RawInline)):
            if elem.format not in ("html", "html5", "html4"):
                return [] if isinstance(elem, pf.RawInline) else []
            raw = elem.text
            token = _danger(raw)
            if token is None:
                return None
            ctx.report("HTML-001", needle=raw.strip().split("\n")[0][:40], detail=_describe(raw, token))
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

    return walk(doc, action)


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
