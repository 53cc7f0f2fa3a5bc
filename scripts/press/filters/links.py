"""Links: takes the chapter AST, returns it unchanged, and reports every external address that is
not well-formed (LINK-004: a scheme and a host, no spaces, no line-break hyphen left in) and every
malformed ``mailto:`` address (LINK-005). Internal ``#id`` links are resolved later, book-wide,
by the xrefs filter."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import panflute as pf

from . import walk

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
HOST = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(:\d+)?$", re.I)


def url_problem(url: str) -> str | None:
    """Why an http(s) address is not well-formed, or None."""
    if re.search(r"\s", url):
        return "it contains a space"
    parts = urlparse(url)
    if parts.scheme not in ("http", "https"):
        return "it must start with https:// or http://"
    if not HOST.match(parts.netloc.rsplit("@", 1)[-1]):
        return f"'{parts.netloc}' is not a host name"
    if re.search(r"-/|/-|--$|-$", parts.path) and not parts.query:
        return "it looks like a line-break hyphen was left in"
    return None


def _needle(elem: pf.Link, ctx) -> str:
    """What to look for in the chapter to find a link's line: its address as written, else as pandoc
    decoded it (a character reference or a space in the source), else its text in brackets."""
    from urllib.parse import unquote
    for candidate in (elem.url[:40], unquote(elem.url)[:40], f"[{pf.stringify(elem)[:38]}"):
        if candidate.strip("[") and ctx.line_of(candidate):
            return candidate
    return elem.url[:40]


def run(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if not isinstance(elem, pf.Link):
            return None
        url = elem.url
        if url.startswith("#") or not url:
            return None
        if url.lower().startswith("mailto:"):
            if not EMAIL.match(url[7:].split("?")[0]):
                ctx.report("LINK-005", needle=_needle(elem, ctx), url=url)
            return None
        scheme = urlparse(url).scheme
        if scheme in ("http", "https"):
            problem = url_problem(url)
        else:
            problem = "a link must be #id (in this book), https://… or mailto:…"
        if problem:
            ctx.report("LINK-004", needle=_needle(elem, ctx), url=url, detail=problem)
        return None

    walk(doc, action)
    return doc
