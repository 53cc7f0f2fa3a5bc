"""Fenced divs: takes the chapter AST, returns it unchanged, and reports

- DIV-001 for every div whose classes the press does not know (a typo such as ``::: sidbar``
  would otherwise vanish silently into a plain <div>);
- DIV-003 for a block whose opening ``:::`` line is never closed (pandoc would close it at the
  end of the chapter, swallowing everything after it into the box), at the opening line;
- DIV-004 for a ``:::`` line that pandoc reads as text: a closing fence with no block open, or an
  opening fence right under a line of text (a block needs a blank line before it).

The fences are read from the chapter's source, line by line, the way pandoc reads them: code
blocks (fenced with ``` or ~~~, or indented outside a list) are skipped, block quotes' ``>`` and
list indentation are looked through.
"""
from __future__ import annotations

import re

import panflute as pf

from . import walk

KNOWN = ("sidebar", "pullquote", "query")
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
DIV_FENCE = re.compile(r"^(?P<colons>:{3,})\s*(?P<attrs>.*?)$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)]|[a-zA-Z][.)]|#[.)]|[IVXLCivxlc]+[.)])\s")


def fences(lines: list[str]) -> list[tuple[str, int, str]]:
    """Every problem with the ``:::`` fences of a chapter body: (code, index of the line, the
    fence as written); ``code`` is DIV-003 (never closed) or DIV-004 (read as text: "stray" when
    no block is open, "glued" when an opening line follows text without a blank line)."""
    out: list[tuple[str, int, str]] = []
    open_at: list[tuple[int, str]] = []
    code: str | None = None
    prev_blank, prev_fence, in_list = True, False, False
    for i, raw in enumerate(lines):
        line = re.sub(r"^(\s*>)+ ?", "", raw).expandtabs(4)
        if code is not None:  # inside a fenced code block: only its closing fence matters
            m = CODE_FENCE.match(line)
            if m and m.group(1)[0] == code[0] and len(m.group(1)) >= len(code) and not line.strip().strip(code[0]):
                code = None
            prev_blank, prev_fence = False, False
            continue
        if not line.strip():
            prev_blank, prev_fence = True, False
            continue
        indent = len(line) - len(line.lstrip(" "))
        if LIST_ITEM.match(line) and indent < 4:
            in_list = True
        elif indent == 0:
            in_list = False
        if indent >= 4 and prev_blank and not in_list:  # an indented code block
            prev_blank, prev_fence = False, False
            continue
        m = CODE_FENCE.match(line)
        if m:
            code = m.group(1)
            prev_blank, prev_fence = False, False
            continue
        m = DIV_FENCE.match(line.strip())
        if m and not m.group("attrs").strip(":"):  # a closing fence
            if open_at:
                open_at.pop()
            else:
                out.append(("DIV-004", i, "stray"))
            prev_blank, prev_fence = False, True
            continue
        if m:  # an opening fence: a block only after a blank line (or another fence)
            if prev_blank or prev_fence:
                open_at.append((i, line.strip()))
                prev_blank, prev_fence = False, True
            else:
                out.append(("DIV-004", i, "glued"))
                prev_blank, prev_fence = False, False
            continue
        prev_blank, prev_fence = False, False
    out += [("DIV-003", i, fence) for i, fence in open_at]
    return sorted(out, key=lambda x: x[1])


DETAIL = {"stray": "no block is open for it to close",
          "glued": "a block's opening line needs a blank line before it"}


def run(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if isinstance(elem, pf.Div) and elem.classes and not set(elem.classes) & set(KNOWN):
            cls = elem.classes[0]
            ctx.report("DIV-001", needle=cls, cls=cls, known=", ".join(KNOWN))

    walk(doc, action)
    for code, i, what in fences(ctx.lines):
        line = ctx.chapter.body_line + i
        if code == "DIV-003":
            ctx.report(code, line=line, fence=what)
        else:
            ctx.report(code, line=line, fence=ctx.lines[i].strip()[:40], detail=DETAIL[what])
    return doc
