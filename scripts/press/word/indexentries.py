"""Index marks (``[words]{.index}``, ``term="…"``, sub-entries ``term="A!B"``, point marks
``[]{.index term="X"}``) as Word's own index entries.

Export: the marked words inside a bookmark (``press_ix_N``; ``press_ixt_N`` when the manuscript
gives a ``term`` that equals the words) followed by an XE field naming it with Word's page-range
switch, ``{ XE "Term" \\r press_ix_N }``; a sub-entry uses Word's colon (``"Gemeenten:Amsterdam"``;
a colon of the term's own is ``\\:``); a point mark is an XE field alone. The field is written as Word writes
it: ``w:fldChar`` begin, ``w:instrText``, end, every run hidden (``w:vanish``), so Word's Insert
Index lists the entries and LibreOffice reads them as index marks.

Import: ``docxprep`` calls :func:`mark` on every story: each XE field becomes a mark run
(``xe-start:K:TERM``, or ``xe-term:K:TERM`` for a given term, before its bookmark's start and
``xe-end:K`` before its end when the bookmark lies in the same paragraph, else ``xe-point:TERM``
where the field stands; TERM in the manuscript's form, percent-encoded), the field's runs are taken
out. LibreOffice saves the field without its ``\\r`` but inside the bookmark: a field without one in
or right after a press bookmark has that bookmark's words. :func:`read` turns the marks into spans,
with ``term=`` only where the term differs from the words; a language mark covering exactly the
words becomes the span's ``lang``."""
from __future__ import annotations

from urllib.parse import quote, unquote

import panflute as pf
from lxml import etree

from . import closing, pair_marks, restore

CLASS = "index"
BOOKMARK, GIVEN = "press_ix_", "press_ixt_"  # the second: a term the manuscript gives though it is the words
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# --- the term in Word's field syntax --------------------------------------------------------------

def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace(":", "\\:")


def xe_text(term: str) -> str:
    """The manuscript's term ("Gemeenten!Amsterdam") as an XE field's text ("Gemeenten:Amsterdam")."""
    main, bang, sub = term.partition("!")
    return _escape(main) + (":" + ":".join(_escape(s) for s in sub.split("!")) if bang else "")


def parse_instruction(instr: str) -> tuple[str, str | None] | None:
    """(term in the manuscript's form, bookmark of ``\\r`` or None) of an XE field's instruction,
    or None when it is not an XE field."""
    s = instr.strip()
    if not s[:2].upper() == "XE" or (len(s) > 2 and not s[2].isspace() and s[2] != '"'):
        return None
    i, n = 2, len(s)
    args: list[tuple[str, bool]] = []  # (token, was quoted)
    while i < n:
        if s[i].isspace():
            i += 1
            continue
        if s[i] == '"':
            i += 1
            buf, levels = [], []
            while i < n and s[i] != '"':
                if s[i] == "\\" and i + 1 < n:
                    buf.append(s[i + 1])
                    i += 2
                    continue
                if s[i] == ":":
                    levels.append("".join(buf))
                    buf = []
                else:
                    buf.append(s[i])
                i += 1
            i += 1
            levels.append("".join(buf))
            # LibreOffice writes an empty last level back ("Term: "): empty levels are no levels
            args.append(("!".join(x.strip() for x in levels if x.strip()), True))
        else:
            j = i
            while j < n and not s[j].isspace():
                j += 1
            args.append((s[i:j], False))
            i = j
    if not args:
        return None
    term = args[0][0]
    bookmark = None
    for k, (tok, quoted) in enumerate(args):
        if not quoted and tok.lower() == "\\r" and k + 1 < len(args):
            bookmark = args[k + 1][0]
    return term, bookmark


# --- export -----------------------------------------------------------------------------------------

def field(term: str, bookmark: str | None) -> pf.RawInline:
    """Word's XE field (hidden, as Word writes it) for ``term``, over ``bookmark`` if given."""
    instr = f' XE "{xe_text(term)}"' + (f" \\r {bookmark}" if bookmark else "") + " "
    hidden = "<w:rPr><w:vanish/></w:rPr>"
    xml = (f'<w:r>{hidden}<w:fldChar w:fldCharType="begin"/></w:r>'
           f'<w:r>{hidden}<w:instrText xml:space="preserve">{_xml(instr)}</w:instrText></w:r>'
           f'<w:r>{hidden}<w:fldChar w:fldCharType="end"/></w:r>')
    return pf.RawInline(xml, format="openxml")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write(doc: pf.Doc, ctx) -> pf.Doc:
    def action(elem, doc):
        if not (isinstance(elem, pf.Span) and CLASS in elem.classes):
            return None
        term = elem.attributes.get("term", pf.stringify(elem)).strip()
        if not pf.stringify(elem).strip() and not elem.content:
            return [field(term, None)]
        given = "term" in elem.attributes and term == pf.stringify(elem).strip()
        name = f"{GIVEN if given else BOOKMARK}{next(ctx.ids)}"
        rest = {k: v for k, v in elem.attributes.items() if k != "term"}
        inner = pf.Span(*elem.content, identifier=name, attributes=rest)
        if elem.identifier or [c for c in elem.classes if c != CLASS]:  # an id or class of its own: keep it
            inner = pf.Span(pf.Span(*elem.content, identifier=elem.identifier,
                                    classes=[c for c in elem.classes if c != CLASS], attributes=rest),
                            identifier=name)
        return [inner, field(term, name)]

    return doc.walk(action)


# --- import: the .docx ------------------------------------------------------------------------------

def mark(tree, mark_run) -> None:
    """Every XE field in ``tree`` (a story's XML) as marks (see the module's docstring)."""
    k = 0
    for p in list(tree.iter(w("p"))):
        for term, bookmark, runs in _fields(p):
            k += 1
            start = end = None
            if bookmark:
                start = next((b for b in p.iter(w("bookmarkStart")) if b.get(w("name")) == bookmark), None)
            else:  # LibreOffice writes the field back without its \r: the press's bookmark around it
                start = _around(p, runs[0])
            if start is not None:
                end = next((b for b in p.iter(w("bookmarkEnd")) if b.get(w("id")) == start.get(w("id"))), None)
            if start is not None and end is not None:
                kind = "xe-term" if start.get(w("name"), "").startswith(GIVEN) else "xe-start"
                start.addprevious(mark_run(f"{kind}:{k}:{quote(term, safe='')}"))
                end.addprevious(mark_run(f"xe-end:{k}"))
                runs[0].addprevious(etree.Comment("xe"))  # keeps the place; removed below
            else:
                runs[0].addprevious(mark_run(f"xe-point:{quote(term, safe='')}"))
            for r in runs:
                r.getparent().remove(r)
        for c in [c for c in p.iter(etree.Comment) if c.text == "xe"]:
            c.getparent().remove(c)


def _around(p, begin):
    """The press's index bookmark (``press_ix_…``) that ends inside the field starting at ``begin``
    or right before it: the field's own words, when LibreOffice dropped the field's ``\\r``."""
    elements = list(p.iter())  # held, so that each element keeps its proxy (and its id) meanwhile
    order = {id(el): n for n, el in enumerate(elements)}
    at = order[id(begin)]
    for start in p.iter(w("bookmarkStart")):
        if not start.get(w("name"), "").startswith((BOOKMARK, GIVEN)) or order[id(start)] > at:
            continue
        end = next((b for b in p.iter(w("bookmarkEnd")) if b.get(w("id")) == start.get(w("id"))), None)
        if end is not None and (order[id(end)] > at or end.getnext() is begin):
            return start
    return None


def _fields(p) -> list[tuple[str, str | None, list]]:
    """(term, bookmark, the field's elements) of each XE field in paragraph ``p``: complex fields
    (``w:fldChar`` begin … end) and simple ones (``w:fldSimple``)."""
    out = []
    for simple in p.iter(w("fldSimple")):
        parsed = parse_instruction(simple.get(w("instr"), ""))
        if parsed:
            out.append((*parsed, [simple]))
    stack: list[list] = []
    for r in [r for r in p.iter(w("r"))]:
        chars = r.findall(w("fldChar"))
        kind = chars[0].get(w("fldCharType")) if chars else None
        if kind == "begin":
            stack.append([[r], []])
            continue
        if not stack:
            continue
        stack[-1][0].append(r)
        if len(stack) == 1:
            stack[-1][1] += [t.text or "" for t in r.findall(w("instrText"))]
        if kind == "end":
            runs, instr = stack.pop()
            if stack:
                stack[-1][0].extend(runs)
                continue
            parsed = parse_instruction("".join(instr))
            if parsed:
                out.append((*parsed, runs))
    return out


# --- import: the AST --------------------------------------------------------------------------------

def _span(words: list, term: str, given: bool) -> pf.Span:
    inner = list(words)
    attrs: dict = {}
    if given or pf.stringify(pf.Span(*inner)).strip() != term:
        attrs["term"] = term
    if len(inner) == 1 and isinstance(inner[0], pf.Span) and not inner[0].identifier and not inner[0].classes \
            and set(inner[0].attributes) == {"lang"}:
        attrs["lang"] = inner[0].attributes["lang"]
        inner = list(inner[0].content)
    return pf.Span(*inner, classes=[CLASS], attributes=attrs)


def _build(items: list, ctx, restored: list) -> list:
    def on_mark(items: list, i: int) -> tuple:
        kind, _, rest = items[i][1].partition(":")
        if kind == "xe-point":
            return i, pf.Span(classes=[CLASS], attributes={"term": unquote(rest)})
        if kind in ("xe-start", "xe-term"):
            k, _, term = rest.partition(":")
            j = closing(items, i, ("xe", f"xe-end:{k}"))
            if j is None:  # the words' end is elsewhere (another paragraph): a mark at the place
                return i, pf.Span(classes=[CLASS], attributes={"term": unquote(term)})
            return j, _span(_build(items[i + 1:j], ctx, restored), unquote(term), kind == "xe-term")
        return i, None
    return pair_marks(items, on_mark, restored, ctx, "index entries")


def read(doc: pf.Doc, ctx) -> pf.Doc:
    return restore(doc, "xe-", lambda items, restored: _build(items, ctx, restored))
