"""Spans with classes or attributes Word has no name for (``[words]{.cite key=tops2016}``, and any
other span the other modules leave: not a query, pending mark, index mark or plain language mark).

Export: the words inside a bookmark ``press_span_N``; the span's id, classes and attributes go in
the document property of the same name, as JSON (a value longer than Word keeps in one property,
255 characters, continues in ``press_span_N.2`` …). Bookmarks and custom properties survive Word
and LibreOffice, and an author who edits the words inside keeps the span.

Import: ``docxprep`` calls :func:`mark` with the names of those properties: each such bookmark
inside a paragraph becomes the marks ``span-start:NAME`` … ``span-end:NAME``; :func:`read` turns
them into the span again, exactly as the manuscript wrote it (a language mark covering exactly its
words is dropped: the span's own ``lang`` says it)."""
from __future__ import annotations

import json

import panflute as pf

from . import STYLE, closing, pair_marks, restore
from .package import parse

PREFIX = "press_span_"
CHUNK = 240           # Word keeps 255 characters of a text property
NATIVE = {"smallcaps", "underline", "mark", "comment-start", "comment-end", "anchor", "indexref"}
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _kept(elem) -> bool:
    if not isinstance(elem, pf.Span) or STYLE in elem.attributes:
        return False
    if set(elem.classes) & NATIVE:
        return False
    return bool(elem.classes) or bool(set(elem.attributes) - {"lang"})


def write(doc: pf.Doc, ctx) -> pf.Doc:
    found: dict[str, str] = {}

    def action(elem, doc):
        if not _kept(elem):
            return None
        name = f"{PREFIX}{next(ctx.ids)}"
        found[name] = json.dumps({"id": elem.identifier, "classes": list(elem.classes),
                                  "attributes": [[k, v] for k, v in elem.attributes.items()]},
                                 ensure_ascii=False, separators=(",", ":"))
        lang = {"lang": elem.attributes["lang"]} if "lang" in elem.attributes else {}
        return pf.Span(*elem.content, identifier=name, attributes=lang)

    doc = doc.walk(action)
    for name, value in found.items():
        chunks = [value[i:i + CHUNK] for i in range(0, len(value), CHUNK)]
        for n, chunk in enumerate(chunks, 1):
            doc.metadata[name if n == 1 else f"{name}.{n}"] = pf.MetaString(chunk)
    return doc


def stored(properties: dict) -> dict[str, dict]:
    """The kept spans a document's properties describe, by bookmark name."""
    out = {}
    for name, value in properties.items():
        if name.startswith(PREFIX) and "." not in name:
            text, n = str(value), 2
            while f"{name}.{n}" in properties:
                text += str(properties[f"{name}.{n}"])
                n += 1
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict):
                out[name] = data
    return out


def custom_properties(parts: dict[str, bytes]) -> dict[str, str]:
    """The custom properties of an unpacked package (name → text)."""
    data = parts.get("docProps/custom.xml")
    if not data:
        return {}
    out = {}
    for prop in parse(data, "docProps/custom.xml"):
        name = prop.get("name") if isinstance(prop.tag, str) else None
        if name:
            out[name] = "".join(prop.itertext())
    return out


def mark(tree, names: set[str], mark_run) -> None:
    """The bookmarks named in ``names`` that start and end in one paragraph, as marks."""
    for p in list(tree.iter(w("p"))):
        for start in list(p.iter(w("bookmarkStart"))):
            name = start.get(w("name"), "")
            if name not in names:
                continue
            end = next((b for b in p.iter(w("bookmarkEnd")) if b.get(w("id")) == start.get(w("id"))), None)
            if end is None:
                continue
            start.addprevious(mark_run(f"span-start:{name}"))
            end.addprevious(mark_run(f"span-end:{name}"))


def _span(words: list, data: dict) -> pf.Span:
    inner = list(words)
    attrs = [(str(k), str(v)) for k, v in data.get("attributes", [])]
    if "lang" in dict(attrs) and len(inner) == 1 and isinstance(inner[0], pf.Span) and not inner[0].identifier \
            and not inner[0].classes and set(inner[0].attributes) == {"lang"}:
        inner = list(inner[0].content)
    return pf.Span(*inner, identifier=str(data.get("id") or ""), classes=[str(c) for c in data.get("classes", [])],
                   attributes=dict(attrs))


def _build(items: list, known: dict, ctx, restored: list) -> list:
    def on_mark(items: list, i: int) -> tuple:
        kind, _, name = items[i][1].partition(":")
        j = closing(items, i, ("span", f"span-end:{name}")) if kind == "span-start" and name in known else None
        if j is None:
            return i, None
        return j, _span(_build(items[i + 1:j], known, ctx, restored), known[name])
    return pair_marks(items, on_mark, restored, ctx, "kept spans")


def read(doc: pf.Doc, ctx) -> pf.Doc:
    known = stored(ctx.properties)
    return restore(doc, "span-", lambda items, restored: _build(items, known, ctx, restored))
