"""Size limits: takes the chapter AST, returns it with every table and note that exceeds the press's
limits replaced by an empty paragraph (so the later filters and the layout never spend their time
on it), and reports SIZE-001 (a table with more than MAX_TABLE_ROWS rows or MAX_TABLE_CELLS
cells) and SIZE-002 (a note longer than MAX_NOTE_KB of text). The limits keep every edition of a
book within the time and memory stated in docs/manuscript-format.md: a 10,000-row table took the
PDF layout four minutes and 2 GiB."""
from __future__ import annotations

import re

import panflute as pf

from . import notes as notes_filter
from . import walk

MAX_TABLE_ROWS = 1_000
MAX_TABLE_CELLS = 10_000
MAX_NOTE_KB = 64


def _rows(table: pf.Table) -> list:
    rows = list(table.head.content) if table.head else []
    for body in table.content:
        rows += list(body.head) + list(body.content)
    if table.foot:
        rows += list(table.foot.content)
    return rows


def _table_line(ctx, rows: list) -> int:
    """The line of the table's first row (a pipe or simple table), or 0."""
    cells = [pf.stringify(c).strip() for c in rows[0].content][:2] if rows else []
    if not cells or not all(cells):
        return 0
    return ctx.line_matching(r"^\s*\|?\s*" + r"\s*\|?\s*".join(re.escape(c) for c in cells))


def run(doc: pf.Doc, ctx) -> pf.Doc:
    body = notes_filter.CODE.sub("", ctx.chapter.body)
    calls = [m.group(1) for m in notes_filter.CALL.finditer(notes_filter.DEFINITION.sub("", body))]
    defined = set(notes_filter.DEFINITION.findall(body))
    labels = list(dict.fromkeys(c for c in calls if c in defined))
    count = {"tables": 0, "notes": 0}

    def action(elem, doc):
        if isinstance(elem, pf.Table):
            count["tables"] += 1
            rows = _rows(elem)
            cells = sum(len(r.content) for r in rows)
            if len(rows) > MAX_TABLE_ROWS or cells > MAX_TABLE_CELLS:
                ctx.report("SIZE-001", line=_table_line(ctx, rows), rows=f"{len(rows):,}", cells=f"{cells:,}",
                           max_rows=f"{MAX_TABLE_ROWS:,}", max_cells=f"{MAX_TABLE_CELLS:,}")
                return pf.Para()
        elif isinstance(elem, pf.Note):
            count["notes"] += 1
            n = count["notes"]
            size = len(pf.stringify(elem).encode("utf-8"))
            if size > MAX_NOTE_KB * 1000:
                label = labels[n - 1] if n <= len(labels) else str(n)
                ctx.report("SIZE-002", needle=f"[^{label}]:", label=label, size=f"{size / 1000:,.0f}",
                           limit=MAX_NOTE_KB)
                return pf.Note(pf.Para(pf.Str("…")))
        return None

    return walk(doc, action)
