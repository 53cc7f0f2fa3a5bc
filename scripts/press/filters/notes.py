"""Endnotes: takes the chapter AST with pandoc footnotes, returns it with each call replaced by a
numbered note reference (1…n in reading order, per chapter) and an endnotes section appended at
the end, every note linked back to its call. A ``[]{.pending}`` span in a note marks its text as
(partly) lost: it becomes a visible marker in the book's language. Reports NOTE-001…006; calls
and definitions are checked in the Markdown source too, because pandoc silently drops a note
nobody calls. Notes the citations filter made for a note style's citations (``citation-note``)
are numbered with the others."""
from __future__ import annotations

import re

import panflute as pf

from . import walk

CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)")
DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
CODE = re.compile(r"`[^`\n]*`")


def check_source(ctx) -> list[str]:
    """Check calls against definitions in the Markdown; return the called labels in order."""
    body = CODE.sub("", ctx.chapter.body)
    defined = DEFINITION.findall(body)
    calls = [m.group(1) for m in CALL.finditer(DEFINITION.sub("", body))]
    for label in sorted(set(calls) - set(defined), key=calls.index):
        ctx.report("NOTE-001", needle=f"[^{label}]", label=label)
    for label in sorted(set(defined) - set(calls), key=defined.index):
        ctx.report("NOTE-002", needle=f"[^{label}]:", label=label)
    seen = set()
    for label in calls:
        if label in seen:
            ctx.report("NOTE-005", needle=f"[^{label}]", label=label)
        seen.add(label)
    ordered = list(dict.fromkeys(c for c in calls if c in defined))
    for number, label in enumerate(ordered, 1):
        if label.isdigit() and int(label) != number:
            ctx.report("NOTE-006", needle=f"[^{label}]", label=label, number=number)
            break
    return ordered


def run(doc: pf.Doc, ctx) -> pf.Doc:
    labels = check_source(ctx)
    cid, words = ctx.chapter.id, ctx.labels
    notes = []
    own = [0]  # the editor's notes seen so far (citation notes take no label of the Markdown)

    def action(elem, doc):
        if not isinstance(elem, pf.Note):
            return None
        n = len(notes) + 1
        blocks = list(elem.content)
        if len(blocks) == 1 and isinstance(blocks[0], pf.Div) and "citation-note" in blocks[0].classes:
            elem.content = list(blocks[0].content)  # a citation the style puts in a note: no label of its own
            label = str(n)
        else:
            own[0] += 1
            label = labels[own[0] - 1] if own[0] <= len(labels) else str(n)
        pending = _mark_pending(elem, words["pending_note"])
        if not pf.stringify(elem).strip() and not pending:
            ctx.report("NOTE-003", needle=f"[^{label}]:", label=label)
        if pending:
            ctx.report("NOTE-004", needle=f"[^{label}]:", label=label)
        notes.append({"n": n, "label": label, "pending": pending, "blocks": list(elem.content)})
        link = pf.Link(pf.Str(str(n)), url=f"#{cid}-note-{n}", identifier=f"{cid}-ref-{n}",
                       classes=["noteref"], attributes={"role": "doc-noteref"})
        return pf.Superscript(link)

    doc = walk(doc, action)
    if notes:
        doc.content.extend(_section(cid, notes, words))
    ctx.data.notes = [{k: v for k, v in note.items() if k != "blocks"} for note in notes]
    return doc


def _mark_pending(note: pf.Note, text: str) -> bool:
    found = []

    def action(elem, doc):
        if isinstance(elem, pf.Span) and "pending" in elem.classes:
            found.append(elem)
            return pf.Span(pf.Str(text), classes=["pending"])

    walk(note, action)
    return bool(found)


def _section(cid: str, notes: list[dict], words: dict) -> list[pf.Block]:
    blocks: list[pf.Block] = [
        pf.RawBlock(f'<section class="endnotes" id="{cid}-endnotes" role="doc-endnotes" '
                    f'aria-labelledby="{cid}-endnotes-title">', format="html"),
        pf.Header(pf.Str(words["endnotes"]), level=2, identifier=f"{cid}-endnotes-title"),
        pf.RawBlock('<ol class="endnotes-list">', format="html"),
    ]
    for note in notes:
        n = note["n"]
        cls = "endnote pending" if note["pending"] else "endnote"
        content = note["blocks"] or [pf.Para()]
        back = pf.Link(pf.Str("↩"), url=f"#{cid}-ref-{n}", classes=["backlink"],
                       attributes={"role": "doc-backlink", "aria-label": f'{words["back_to_text"]} ({n})'})
        last = content[-1]
        if isinstance(last, (pf.Para, pf.Plain)):
            last.content.extend([pf.Space(), back])
        else:
            content.append(pf.Para(back))
        blocks.append(pf.RawBlock(f'<li id="{cid}-note-{n}" class="{cls}" value="{n}">', format="html"))
        blocks.extend(content)
        blocks.append(pf.RawBlock("</li>", format="html"))
    blocks.append(pf.RawBlock("</ol>\n</section>", format="html"))
    return blocks
