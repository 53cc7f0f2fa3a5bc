"""Heading ids. pandoc's docx reader gives every heading an id made from its text, and the
bookmarks give back the ids the manuscript wrote; a heading whose id is the one pandoc's Markdown
reader would make from its text anyway is written without it (``## Aanpak``, not
``## Aanpak {#aanpak}``), so that only the ids an editor chose stand in the file. pandoc itself
says which ids those are: the headings are read once more without their ids. Import only."""
from __future__ import annotations

import io
import json

import panflute as pf

from ..filters import elements
from . import run_pandoc, to_markdown


def read(doc: pf.Doc, ctx) -> pf.Doc:
    headers = [e for e in elements(doc) if isinstance(e, pf.Header)]
    if not headers:
        return doc
    bare = [pf.Header(*h.content, level=h.level) for h in headers]
    markdown = to_markdown(bare, ctx.rel)
    ast = json.loads(run_pandoc(["-f", "markdown-citations", "-t", "json"], markdown.encode("utf-8"), ctx.rel))
    again = [e for e in elements(pf.load(io.StringIO(json.dumps(ast)))) if isinstance(e, pf.Header)]
    if len(again) == len(headers):
        for h, auto in zip(headers, again):
            if h.identifier == auto.identifier:
                h.identifier = ""
    return doc
