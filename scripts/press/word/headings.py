"""The chapter's title, subtitle and authors, and its headings.

Import: the title is the document's ``Title`` paragraph, else its first heading when that opens
the text, else the title in its properties (else the file's name, with WORD-003); the subtitle its
``Subtitle`` paragraph; the authors its ``Author`` paragraphs, else the author in its properties.
Headings keep their order and are moved so the top level used becomes ``##`` (the chapter title
is the only level 1). A paragraph that is a short line wholly in bold looks like a heading set by
hand: WORD-002 lists each, for the editor to decide. Export: title, subtitle and authors go into
the review copy's title block and properties; the rest of the front matter travels in a
document property (``press-front-matter``) so an import of the copy gets it back."""
from __future__ import annotations

from dataclasses import replace

import panflute as pf
import yaml

from . import inside
from .sidebars import TITLE

KEPT = ("title", "subtitle", "author", "lang", "press-ids")
FRONT_MATTER = "press-front-matter"


def _front_matter(text: str, rel: str) -> dict:
    """The front matter a review copy carries, read as the press reads any YAML from outside (no
    anchors or aliases, bounded size and depth); a problem is a finding about the document."""
    from ..book import _load_yaml
    from ..rules import ManuscriptError
    try:
        extra, _ = _load_yaml(text, rel, "WORD-006")
    except ManuscriptError as e:  # a line inside a document property means nothing to an editor
        raise ManuscriptError([replace(f, line=0) for f in e.findings]) from None
    return extra if isinstance(extra, dict) else {}


def meta_inlines(value) -> list:
    if isinstance(value, pf.MetaInlines):
        return list(value.content)
    if isinstance(value, pf.MetaString):
        return [pf.Str(value.text)] if value.text.strip() else []
    if isinstance(value, pf.MetaBlocks) and value.content and hasattr(value.content[0], "content"):
        return list(value.content[0].content)
    return []


def _names(value) -> list[str]:
    if isinstance(value, pf.MetaList):
        return [n for v in value.content for n in _names(v)]
    text = pf.stringify(value).strip() if value is not None else ""
    return [text] if text else []


def read(doc: pf.Doc, ctx) -> pf.Doc:
    meta = doc.metadata.content
    props = ctx.properties
    ctx.title = meta_inlines(meta.get("title")) if "title" in meta else []
    ctx.subtitle = meta_inlines(meta.get("subtitle")) if "subtitle" in meta else []
    ctx.authors = _names(meta.get("author")) if "author" in meta else []
    body = [b for b in doc.content]
    headers = [b for b in _headers(doc) if not inside(b, "sidebar")]
    boxed = [b for b in _headers(doc) if inside(b, "sidebar") and not b.attributes.pop(TITLE, None)]
    if not ctx.title and body and isinstance(body[0], pf.Header):
        first = body[0]
        alone = sum(1 for h in headers if h.level <= first.level) == 1
        if alone or not props.get("title") or props.get("title", "").strip() == pf.stringify(first).strip():
            ctx.title = list(first.content)
            doc.content.pop(0)
            headers = [h for h in headers if h is not first]
    if not ctx.title and props.get("title", "").strip():
        ctx.title = [pf.Str(props["title"].strip())]
    if not ctx.authors and props.get("author", "").strip():
        ctx.authors = [a.strip() for a in props["author"].split(";") if a.strip()]
    if props.get(FRONT_MATTER):
        ctx.front_matter = _front_matter(props[FRONT_MATTER], ctx.rel)
    if headers:
        shift = 2 - min(h.level for h in headers)
        for h in headers + boxed:  # a box's own headings move with the text's; its title stays ###
            h.level = max(2, min(6, h.level + shift))
        ctx.count("headings", len(headers))
    for block in doc.content:
        if isinstance(block, pf.Para) and _bold_line(block):
            text = pf.stringify(block).strip()
            ctx.report("WORD-002", f"**{text[:30]}", text=text)
    return doc


def _headers(doc) -> list:
    found = []
    doc.walk(lambda e, d: found.append(e) if isinstance(e, pf.Header) else None)
    return found


def _bold_line(para) -> bool:
    items = [x for x in para.content if not isinstance(x, (pf.Space, pf.SoftBreak))]
    text = pf.stringify(para).strip()
    return bool(items) and all(isinstance(x, pf.Strong) for x in items) and len(text.split()) <= 15 \
        and not text.endswith((".", ":", ";", ","))


def write(doc: pf.Doc, ctx) -> pf.Doc:
    meta = doc.metadata.content
    ch = ctx.chapter
    blocks = list(doc.content)
    if "title" not in meta and blocks and isinstance(blocks[0], pf.Header) and blocks[0].level == 1:
        meta["title"] = pf.MetaInlines(*blocks.pop(0).content)
        if blocks and isinstance(blocks[0], pf.Header) and "subtitle" in blocks[0].classes:
            meta["subtitle"] = pf.MetaInlines(*blocks.pop(0).content)
    doc.content = blocks
    extra = {k: v for k, v in ch.meta.items() if k not in KEPT and k != "authors"}
    for key in list(meta.keys()):
        if key not in KEPT:
            del meta[key]
    if ch.authors:
        meta["author"] = pf.MetaList(*[pf.MetaInlines(pf.Str(a)) for a in ch.authors])
    if extra:
        meta[FRONT_MATTER] = pf.MetaString(yaml.safe_dump(extra, allow_unicode=True, sort_keys=False).strip())
    meta["lang"] = pf.MetaString(ctx.book.lang)
    return doc
