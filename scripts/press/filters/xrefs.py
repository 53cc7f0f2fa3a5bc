"""Cross-references: takes every chapter's AST and the id registry, returns them with each
internal link ``#id`` tagged with the chapter that holds its target (``data-chapter``), so each
edition can write the right href (``#id`` in the single-document PDF, ``file.xhtml#id`` in the
split EPUB and HTML). Reports LINK-001 (no such id) and LINK-003 (an ambiguous automatic id)."""
from __future__ import annotations

import panflute as pf

from . import elements


def run(docs: list[pf.Doc], ctxs: list) -> list[pf.Doc]:
    for doc, ctx in zip(docs, ctxs):
        ids, ambiguous = ctx.data.ids, ctx.data.ambiguous

        for elem in elements(doc):
            if not isinstance(elem, pf.Link) or not elem.url.startswith("#"):
                continue
            target = elem.url[1:]
            if target in ambiguous:
                ctx.report("LINK-003", needle=f"(#{target})", target=target)
            elif target not in ids:
                ctx.report("LINK-001", needle=f"(#{target})", target=target)
            else:
                elem.attributes["data-chapter"] = ids[target]
                if not {"noteref", "backlink", "citation-link", "index-locator", "index-xref-preferred",
                        "index-xref-related"} & set(elem.classes):
                    elem.classes.append("xref")
    return docs
