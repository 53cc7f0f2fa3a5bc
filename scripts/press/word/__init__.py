"""Word in, Word out: authors' .docx files into the manuscript (``press import``), and the
manuscript back to .docx for review (``press docx``).

pandoc reads and writes the .docx; the press maps between pandoc's Word AST and the manuscript
contract in small modules, one concern each, every one with a ``read(doc, ctx)`` (Word → manuscript,
run in the order of ``IMPORT``) and, where Word needs help to show the concern, a ``write(doc, ctx)``
(manuscript → Word, in the order of ``EXPORT``). ``docxprep`` makes visible what pandoc's reader
drops (bookmarks between paragraphs, text boxes, language marks) before it reads the file.
"""
from __future__ import annotations

import io
import re
import subprocess

import panflute as pf

from ..filters import elements

STYLE = "custom-style"
MARK_STYLE = "PressMark"
MARK = re.compile("\u27e6([^\u27e7]*)\u27e7")
PRESS_ID = "press-"  # ids the export gives blocks only to find them again; never kept


def style_of(elem) -> str:
    """The Word style pandoc's ``+styles`` reader put on a Div or Span, lower case ('' if none)."""
    return str(getattr(elem, "attributes", {}).get(STYLE, "")).strip().lower()


def is_mark(elem) -> bool:
    return isinstance(elem, pf.Span) and elem.attributes.get(STYLE) == MARK_STYLE


def marks(elem) -> list[str]:
    """The marks a PressMark span carries, in order (adjacent marks arrive as one span)."""
    return MARK.findall(pf.stringify(elem))


def unwrap(elem) -> list:
    """A Div's or Span's content, for replacing it in its parent list."""
    return list(elem.content)


def inline_lists(elem):
    """Every list of inlines under ``elem`` (paragraphs, headings, emphasis, captions …)."""
    return [e.content for e in elements(elem)
            if isinstance(e, (pf.Inline, pf.Para, pf.Plain, pf.Header, pf.MetaInlines))
            and isinstance(getattr(e, "content", None), pf.ListContainer) and all(isinstance(x, pf.Inline) for x in e.content)]


def group_styled(blocks: list, role_of, role: str, make) -> list:
    """Replace each run of consecutive blocks whose Word style has ``role`` (``role_of(block)``)
    by ``make(blocks)``; a list between two such blocks belongs to the run (list paragraphs keep
    their own style in Word)."""
    out: list = []
    run: list = []
    pending: list = []
    for b in blocks:
        if role_of(b) == role:
            run += pending + [b]
            pending = []
        elif run and isinstance(b, (pf.BulletList, pf.OrderedList)):
            pending.append(b)
        else:
            if run:
                out.append(make(run))
                run = []
            out += pending + [b]
            pending = []
    if run:
        out.append(make(run))
    return out + pending


def block_lists(doc: pf.Doc) -> list:
    """Every list of blocks in the document: the body, divs, quotes, list items, notes."""
    return [e.content for e in elements(doc) if isinstance(e, (pf.Doc, pf.Div, pf.BlockQuote, pf.ListItem, pf.Note,
                                                                pf.TableCell))]


def inside(elem, cls: str) -> bool:
    """Whether ``elem`` stands inside a Div of class ``cls``."""
    p = elem.parent
    while p is not None:
        if isinstance(p, pf.Div) and cls in p.classes:
            return True
        p = p.parent
    return False


WRITER = ["-t", "markdown-smart-simple_tables-multiline_tables", "--wrap=none"]


def run_pandoc(args: list[str], data: bytes, rel: str, code: str = "WORD-006") -> bytes:
    """pandoc's output for ``data`` on its input, within the press's time and memory bounds for
    Word documents; a failure is the finding ``code`` about ``rel`` (running out of either bound,
    WORD-009)."""
    from ..pandoc import pandoc_path
    from ..rules import ManuscriptError, finding
    from .package import PANDOC_MEMORY, PANDOC_TIMEOUT, pandoc_limits
    try:
        proc = subprocess.run([pandoc_path(), *pandoc_limits(), *args], input=data, capture_output=True,
                              timeout=PANDOC_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ManuscriptError([finding("WORD-009", rel, 0, detail=f"pandoc took longer than {PANDOC_TIMEOUT} s "
                                                                   "on it")]) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "Heap exhausted" in err or "out of memory" in err:
            raise ManuscriptError([finding("WORD-009", rel, 0, detail=f"pandoc needed more than {PANDOC_MEMORY}B "
                                                                       "of memory for it")])
        detail = err.strip().splitlines()
        raise ManuscriptError([finding(code, rel, 0, detail="; ".join(detail[-2:]) or "pandoc failed")])
    return proc.stdout


def to_markdown(blocks: list, rel: str) -> str:
    """Blocks as the manuscript's Markdown (pandoc's writer: ATX headings, fenced divs, pipe tables,
    ``[^n]`` notes at the end, one paragraph a line, curly quotes kept)."""
    buf = io.StringIO()
    pf.dump(pf.Doc(*blocks), buf)
    return run_pandoc(["-f", "json", *WRITER], buf.getvalue().encode("utf-8"), rel).decode("utf-8")


def pair_marks(items: list, on_mark, restored: list, ctx, counted: str) -> list:
    """Inlines interleaved with marks (tuples, from ``split_marks``) → inlines: each mark is
    handed to ``on_mark(items, i)``, which returns the index it consumed up to (``i`` itself, or
    the index of the mark that closes it) and the span the mark stands for (None: nothing here).
    Each span goes in the mark's place and into ``restored``, and is counted as ``counted``."""
    out: list = []
    i = 0
    while i < len(items):
        if isinstance(items[i], tuple):
            i, span = on_mark(items, i)
            if span is not None:
                out.append(span)
                restored.append(span)
                ctx.count(counted)
        else:
            out.append(items[i])
        i += 1
    return out


def closing(items: list, i: int, end) -> int | None:
    """The index after ``i`` of the mark ``end`` (None when the paragraph does not hold it)."""
    return next((n for n in range(i + 1, len(items)) if items[n] == end), None)


def carries(x, prefix: str) -> bool:
    """Whether ``x`` is a mark span with a mark of the kind ``prefix`` names ("xe-", "span-")."""
    return is_mark(x) and any(m.startswith(prefix) for m in marks(x))


def split_marks(lst: list, prefix: str) -> list:
    """The list with each mark span that carries marks of the kind ``prefix`` names split into one
    item per such mark (a (kind, mark) tuple: ("xe", "xe-start:3")); its other marks stay a span."""
    kind = prefix.rstrip("-")
    out: list = []
    for x in lst:
        if not carries(x, prefix):
            out.append(x)
            continue
        other = [m for m in marks(x) if not m.startswith(prefix)]
        out += [(kind, m) for m in marks(x) if m.startswith(prefix)]
        if other:
            out.append(pf.Span(pf.Str("".join(f"\u27e6{m}\u27e7" for m in other)), attributes=dict(x.attributes)))
    return out


def restore(doc: pf.Doc, prefix: str, build) -> pf.Doc:
    """Every list of inlines in ``doc`` that holds marks of the kind ``prefix`` names rebuilt by
    ``build(items, restored)`` from its items (``split_marks``; ``build`` hands ``restored`` to
    ``pair_marks``, which keeps each span it restores there), and the formatting Word split around
    those spans joined again (``rejoin``)."""
    for lst in inline_lists(doc):
        if any(carries(x, prefix) for x in lst):
            restored: list = []
            lst[:] = build(split_marks(list(lst), prefix), restored)
            rejoin(lst, restored)
    return doc


FORMATTING = (pf.Emph, pf.Strong, pf.Underline, pf.Strikeout, pf.SmallCaps, pf.Superscript, pf.Subscript)


def rejoin(lst: list, restored: list) -> None:
    """Emphasis (or other formatting) that Word's runs split around a span the import restored,
    joined again: ``*the [keepers]{.index} guild*`` arrives as ``*the* [*keepers*]{.index} *guild*``.
    A restored span whose words are all in one formatting, beside the same formatting (or across a
    space), goes inside it; an empty one (a point mark) between two of the same joins them."""
    ours = {id(s) for s in restored}
    i = 0
    while i < len(lst):
        x = lst[i]
        if id(x) not in ours or not isinstance(x, pf.Span):
            i += 1
            continue
        inner = x.content[0] if len(x.content) == 1 and isinstance(x.content[0], FORMATTING) else None
        kind = type(inner) if inner is not None else None
        left = _neighbour(lst, i, -1, kind)
        right = _neighbour(lst, i, 1, kind)
        if kind is None and not x.content and left is not None and right is not None \
                and type(lst[left]) is type(lst[right]):
            kind = type(lst[left])
        elif kind is None or (left is None and right is None):
            i += 1
            continue
        if inner is not None:
            x.content = list(inner.content)
        merged = list(lst[left].content) + list(lst[left + 1:i]) if left is not None else []
        merged.append(x)
        if right is not None:
            merged += list(lst[i + 1:right]) + list(lst[right].content)
        start, end = (left if left is not None else i), (right if right is not None else i)
        lst[start:end + 1] = [kind(*merged)]
        i = start + 1


def _neighbour(lst: list, i: int, step: int, kind) -> int | None:
    """The index of the formatting element beside ``lst[i]`` (directly or across one space)."""
    for k in (i + step, i + 2 * step):
        if not 0 <= k < len(lst):
            return None
        y = lst[k]
        if isinstance(y, FORMATTING) and (kind is None or type(y) is kind):
            return k
        if not isinstance(y, pf.Space) or k != i + step:
            return None
    return None
