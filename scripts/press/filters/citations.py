"""Citations: takes the chapter AST with pandoc citations (``[@key, p. 12]``, ``@key``; read as
such only when book.yaml names a bibliography) and returns it formatted by pandoc's citeproc in
the book's citation style and language (press.library).

- A note style (Chicago notes) turns each citation in the running text into a note of its own:
  those notes are marked ``citation-note`` so the notes filter numbers them with the editor's
  notes without taking a label of the Markdown's; a citation inside a note stays there.
- An author-date style writes the citation in the text, linked to its bibliography entry.
- The bibliography: with ``bibliography-at: chapter`` (the default) a section at the end of the
  chapter, under a heading in the book's language; with ``book``, nothing here (the bibliography
  filter writes one for the whole book). DOIs and URLs are links.

A reference kept as the author wrote it — ``[Tops en Tromp (2016) De achterkant van
Nederland]{.cite key=tops2016}`` — cites the work without citeproc rewriting it: the words stay
as they are, linked to the work's bibliography entry (unless they hold a link of their own, such
as the web address they cite), and the work is listed in the bibliography (pandoc's ``nocite``).

Ids citeproc writes (``ref-KEY``, ``refs``) get the chapter's id in front, so two chapters may
cite the same work. Keeps ``ctx.data.cites``: the keys cited, for the unused-entry check.
Reports CITE-001 for a key that is not in the library, CITE-006 for a kept reference without a key.
"""
from __future__ import annotations

import io

import panflute as pf

from .. import pandoc
from . import elements

OWN = "press-own-note"     # an editor's note, marked while citeproc runs
GENERATED = "citation-note"  # a note citeproc made for a citation in the running text
KEPT = "cite"                # a reference kept as written: [words]{.cite key=KEY}


def run(doc: pf.Doc, ctx) -> pf.Doc:
    lib = ctx.book.library
    ctx.data.cites = []
    if lib is None or ctx.chapter.generated:
        return doc
    cites = [c.id for e in elements(doc) if isinstance(e, pf.Cite) for c in e.citations]
    kept = [_key(e) for e in elements(doc) if isinstance(e, pf.Span) and KEPT in e.classes]
    ctx.data.cites = list(dict.fromkeys(cites + [k for k in kept if k]))
    if not cites and not kept:
        return doc
    for key in dict.fromkeys(cites):
        if key not in lib.keys:
            ctx.report("CITE-001", needle=f"@{key}", key=key)
    for n, key in enumerate(kept):
        if not key:
            ctx.report("CITE-006", needle=".cite", nth=kept[:n + 1].count(""))
        elif key not in lib.keys:
            ctx.report("CITE-001", needle=key, nth=kept[:n + 1].count(key), key=key)
    prefix = ctx.chapter.id if lib.placement == "chapter" else "bibliography"
    if not cites and lib.placement == "book":  # nothing for citeproc to write here: no pandoc run
        _link_kept(doc, lib.keys)
        _prefix_ids(doc, prefix, lib.keys)
        return doc
    only_kept = [k for k in dict.fromkeys(kept) if k in lib.keys and k not in cites]
    if only_kept:
        doc.metadata["nocite"] = pf.MetaInlines(*[pf.Cite(pf.Str(f"@{k}"), citations=[pf.Citation(k)])
                                                  for k in only_kept])
    notes = [e for e in elements(doc) if isinstance(e, pf.Note)]
    for note in notes:
        note.content = [pf.Div(*note.content, classes=[OWN])]
    args = lib.pandoc_args(ctx.book.lang)
    if lib.placement == "book":
        args += ["-M", "suppress-bibliography=true"]
    out, _warnings = pandoc.citeproc(pandoc.as_json(doc), args, lib.fingerprint, ctx.chapter.rel)
    doc = pf.load(io.StringIO(out))
    if "nocite" in doc.metadata.content:
        del doc.metadata.content["nocite"]
    _mark_notes(doc)
    _link_kept(doc, lib.keys)
    _prefix_ids(doc, prefix, lib.keys)
    if lib.placement == "chapter":
        _heading(doc, ctx)
    return doc


def _key(span: pf.Span) -> str:
    return span.attributes.get("key", "").strip().lstrip("@")


def _link_kept(doc: pf.Doc, known) -> None:
    """A kept reference's words link to its entry (``#ref-KEY``, prefixed with the others);
    words that hold a link already (the web address cited) stay as they are."""
    for span in [e for e in elements(doc) if isinstance(e, pf.Span) and KEPT in e.classes]:
        key = _key(span)
        if key in known and not any(isinstance(e, pf.Link) for e in elements(span)):
            span.content = [pf.Link(*span.content, url=f"#ref-{key}")]


def _mark_notes(doc: pf.Doc) -> None:
    for note in [e for e in elements(doc) if isinstance(e, pf.Note)]:
        blocks = list(note.content)
        if len(blocks) == 1 and isinstance(blocks[0], pf.Div) and OWN in blocks[0].classes:
            note.content = list(blocks[0].content)
        else:
            note.content = [pf.Div(*blocks, classes=[GENERATED])]


def _prefix_ids(doc: pf.Doc, prefix: str, known) -> None:
    """``ref-KEY`` → ``<prefix>-ref-KEY`` in ids and links; the bibliography's ``refs`` likewise.
    A citation of a key the library lacks (CITE-001) keeps its text and loses its link."""
    for elem in list(elements(doc)):
        if isinstance(elem, pf.Div) and (elem.identifier == "refs" or elem.identifier.startswith("ref-")):
            elem.identifier = f"{prefix}-{elem.identifier}"
        elif isinstance(elem, pf.Link) and elem.url.startswith("#ref-"):
            if elem.url[len("#ref-"):] not in known:
                at = elem.parent.content.index(elem)
                elem.parent.content[at:at + 1] = list(elem.content)
                continue
            elem.url = f"#{prefix}-{elem.url[1:]}"
            elem.classes.append("citation-link")  # not a cross-reference: no "(p. 12)" in print


def _heading(doc: pf.Doc, ctx) -> None:
    """The chapter's bibliography under a heading ("Bibliography", "Literatuur")."""
    for i, block in enumerate(doc.content):
        if isinstance(block, pf.Div) and block.identifier == f"{ctx.chapter.id}-refs":
            block.classes.append("bibliography")
            doc.content.insert(i, pf.Header(pf.Str(ctx.labels["bibliography"]), level=2,
                                            identifier=f"{ctx.chapter.id}-bibliography"))
            return
