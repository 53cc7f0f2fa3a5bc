"""The chapter's title block: takes the chapter AST, returns it with the title and subtitle moved
into a marked block at the top that the pipeline renders apart from the body.

The title is the front matter's ``title`` or, when the front matter has none, the body's opening
level-1 heading (``# Title``), optionally followed by ``## Subtitle {.subtitle}``; the subtitle is
otherwise the front matter's ``subtitle``. Either way titles are Markdown, so a phrase in another
language keeps its ``lang``. Leaves the plain texts in ``ctx.data.title``/``.subtitle``."""
from __future__ import annotations

import panflute as pf

MARK_TITLE, MARK_SUBTITLE, MARK_BODY = "<!--press:title-->", "<!--press:subtitle-->", "<!--press:body-->"


def _inlines(value) -> list:
    if isinstance(value, pf.MetaInlines):
        return list(value.content)
    if isinstance(value, pf.MetaString):
        return [pf.Str(value.text)]
    if isinstance(value, pf.MetaBlocks) and value.content and hasattr(value.content[0], "content"):
        return list(value.content[0].content)
    return []


def run(doc: pf.Doc, ctx) -> pf.Doc:
    meta = doc.metadata.content
    title = _inlines(meta.get("title")) if "title" in meta else []
    subtitle = _inlines(meta.get("subtitle")) if "subtitle" in meta else []
    blocks = list(doc.content)
    if not title and blocks and isinstance(blocks[0], pf.Header) and blocks[0].level == 1:
        title = list(blocks.pop(0).content)
        if blocks and isinstance(blocks[0], pf.Header) and "subtitle" in blocks[0].classes:
            subtitle = list(blocks.pop(0).content)
    ctx.data.title = _plain(title) or ctx.chapter.title
    ctx.data.subtitle = _plain(subtitle) or None
    head = [pf.RawBlock(MARK_TITLE, format="html"), pf.Plain(*title)]
    if subtitle:
        head += [pf.RawBlock(MARK_SUBTITLE, format="html"), pf.Plain(*subtitle)]
    head.append(pf.RawBlock(MARK_BODY, format="html"))
    doc.content = head + blocks
    return doc


def _plain(inlines: list) -> str:
    return "".join(pf.stringify(x) for x in inlines).strip()


def split(html: str) -> tuple[str, str, str]:
    """(title HTML, subtitle HTML, body HTML) of a chapter fragment rendered with the marks."""
    head, _, body = html.partition(MARK_BODY)
    head = head.replace(MARK_TITLE, "")
    title, _, subtitle = head.partition(MARK_SUBTITLE)
    return title.strip(), subtitle.strip(), body.lstrip("\n")
