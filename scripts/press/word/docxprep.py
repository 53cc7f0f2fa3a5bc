"""What pandoc's docx reader does not keep, made visible to it before it reads the file.

Takes a .docx as bytes; returns a copy in which a few things the reader drops are written as
*marks*: runs in the character style ``PressMark`` whose text names what they mark. With
``+styles`` pandoc reads each as ``Span {custom-style="PressMark"} [Str "…"]``, in place, and the
mapping modules (``press.word.markers``, ``press.word.language``) turn them back into structure
and take them out. The file itself is never changed. Marked are:

- ``block-start:NAME`` / ``block-end:NAME``: a bookmark around whole paragraphs (pandoc writes one
  for every id: a heading's, a figure's, a table's, a sidebar's), at the start of the first
  paragraph inside it and the end of the last. The reader ignores bookmarks between paragraphs,
  and gives a heading a new id made from its text (and points links at that) for one inside.
- ``box-start:N`` / ``box-end:N``: the first and last paragraph of a text box, whose paragraphs
  the reader otherwise sets among the body's as if they were not boxed.
- ``lang-start:TAG`` / ``lang-end``: runs whose language mark (``w:lang``) differs from the
  language of most of the document's text: a phrase in another language.

- ``xe-start:K:TERM`` / ``xe-end:K`` / ``xe-point:TERM``: Word's index entries (XE fields, which
  the reader would make ``indexref`` spans without the words), see ``press.word.indexentries``.
- ``span-start:NAME`` / ``span-end:NAME``: bookmarks inside a paragraph that a document property
  describes as a span of the manuscript's (``press.word.keptspans``).

- ``nq-start:NAME`` / ``nq-end:NAME``: the bookmarks (``press-nq-…``) around the words of an
  author query in a note, which the export anchored on the note's reference mark
  (``press.word.notequeries``).

A comment at a point that has only its reference (as LibreOffice saves one) is given an empty
range there, which pandoc's reader needs to read it.

Pictures that Word stores as SVG with a PNG beside it (for old Word) are read as the SVG.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections import Counter

from lxml import etree

from . import indexentries, keptspans, package

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ASVG = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
MARK_STYLE = "PressMark"
OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦…⟧: a mark's text; adjacent marks may arrive as one span
NOTE_QUERY = "press-nq-"   # bookmarks of queries in notes (press.word.notequeries)
COPIED = re.compile(r"(_Copy_\d+)+$")   # LibreOffice renames the bookmarks in notes when it saves
STORIES = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def prepare(data: bytes) -> bytes:
    """The .docx with its marks (see the module's docstring); raises ``package.PackageError`` for a
    file that is not a Word document the press can read safely."""
    names, parts = package.unpack(data)
    return prepare_parts(names, parts)


def prepare_parts(names: list[str], parts: dict[str, bytes]) -> bytes:
    """The same, from parts already unpacked and checked by ``package.unpack`` (not changed)."""
    parts = dict(parts)
    styles = package.parse(parts["word/styles.xml"], "word/styles.xml") if "word/styles.xml" in parts else None
    trees = {n: package.parse(parts[n], n) for n in STORIES if n in parts}
    langs = _Languages(styles, trees.values())
    body = trees["word/document.xml"].find(w("body"))
    if body is None:
        raise package.PackageError("WORD-006", "its word/document.xml has no body (w:body): not a Word document")
    _mark_bookmarks(body)
    for tree in trees.values():
        _mark_note_query_bookmarks(tree)
        _range_point_comments(tree)
    for n, box in enumerate(trees["word/document.xml"].iter(w("txbxContent")), 1):
        _mark_range(box, f"box-start:{n}", f"box-end:{n}")
    for tree in trees.values():
        for p in tree.iter(w("p")):
            langs.mark(p)
        _prefer_svg(tree)
    kept = set(keptspans.stored(keptspans.custom_properties(parts)))
    for tree in trees.values():  # after the language marks, so that they nest inside these
        indexentries.mark(tree, mark_run)
        keptspans.mark(tree, kept, mark_run)
    if styles is not None:
        _add_mark_style(styles)
        parts["word/styles.xml"] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
    for n, tree in trees.items():
        parts[n] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in names:
            zout.writestr(n, parts[n])
    return out.getvalue()


def mark_run(text: str) -> etree._Element:
    r = etree.Element(w("r"))
    rpr = etree.SubElement(r, w("rPr"))
    etree.SubElement(rpr, w("rStyle")).set(w("val"), MARK_STYLE)
    t = etree.SubElement(r, w("t"))
    t.text = f"{OPEN}{text}{CLOSE}"
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return r


def _insert_first(p: etree._Element, run: etree._Element, after: int = 0) -> None:
    """``run`` at the start of paragraph ``p`` (after its properties and ``after`` earlier marks)."""
    ppr = p.find(w("pPr"))
    p.insert((0 if ppr is None else list(p).index(ppr) + 1) + after, run)


def _paragraphs(el: etree._Element) -> list:
    """The paragraphs of a body-level element in reading order (a table's, or itself), without the
    paragraphs of text boxes inside it."""
    if el.tag == w("p"):
        return [el]
    return [p for p in el.iter(w("p")) if not any(a.tag == w("txbxContent") for a in p.iterancestors())]


def _mark_range(container: etree._Element, start: str, end: str) -> None:
    paras = [p for child in container for p in _paragraphs(child)]
    if paras:
        _insert_first(paras[0], mark_run(start))
        paras[-1].append(mark_run(end))


def _mark_bookmarks(body: etree._Element) -> None:
    """Bookmarks between the body's paragraphs (and tables) become marks in the paragraphs they
    enclose, in the bookmarks' order (an outer one's start mark before an inner one's). Word's own
    hidden bookmarks (``_Toc…``, ``_GoBack``) are left alone."""
    children = list(body)
    names: dict[str, str] = {}
    placed: dict = {}  # paragraph → how many start marks it got so far
    for i, el in enumerate(children):
        if el.tag == w("bookmarkStart"):
            name = el.get(w("name"), "")
            if not name or name.startswith("_"):
                continue
            names[el.get(w("id"))] = name
            end = next((k for k in range(i + 1, len(children)) if children[k].tag == w("bookmarkEnd")
                        and children[k].get(w("id")) == el.get(w("id"))), len(children))
            inside = [p for c in children[i + 1:end] for p in _paragraphs(c)]
            # the first paragraph with text: a mark beside a lone picture would unmake its figure
            first = next((p for p in inside if _has_text(p)), inside[0] if inside else None)
            if first is not None:
                _insert_first(first, mark_run(f"block-start:{name}"), after=placed.get(first, 0))
                placed[first] = placed.get(first, 0) + 1
        elif el.tag == w("bookmarkEnd") and el.get(w("id")) in names:
            name = names.pop(el.get(w("id")))
            before = next((p for c in reversed(children[:i]) for p in _paragraphs(c)[-1:]), None)
            if before is not None:
                before.append(mark_run(f"block-end:{name}"))


def _range_point_comments(tree: etree._Element) -> None:
    """A comment at a point, which LibreOffice saves as its reference alone (no range), is given an
    empty range before its reference: pandoc's reader reads a comment only from its range."""
    ranged = {e.get(w("id")) for e in tree.iter(w("commentRangeStart"))}
    for ref in list(tree.iter(w("commentReference"))):
        cid = ref.get(w("id"))
        run = ref.getparent()
        if cid in ranged or run is None or run.tag != w("r"):
            continue
        for tag in ("commentRangeStart", "commentRangeEnd"):
            run.addprevious(etree.Element(w(tag), {w("id"): cid}))


def _mark_note_query_bookmarks(tree: etree._Element) -> None:
    """The bookmarks of queries in notes (``press-nq-…``) become marks where they start and end."""
    ends = {e.get(w("id")): e for e in tree.iter(w("bookmarkEnd"))}
    for start in list(tree.iter(w("bookmarkStart"))):
        name = start.get(w("name"), "")
        if not name.startswith(NOTE_QUERY) or next(start.iterancestors(w("p")), None) is None:
            continue
        name = COPIED.sub("", name)
        start.addprevious(mark_run(f"nq-start:{name}"))
        end = ends.get(start.get(w("id")))
        if end is not None and next(end.iterancestors(w("p")), None) is not None:
            end.addnext(mark_run(f"nq-end:{name}"))


class _Languages:
    """Language marks: the language of each run (its own ``w:lang``, else its character style's,
    else its paragraph style's, else the document's default) and the language of most text."""

    def __init__(self, styles, trees):
        self.style_lang: dict[str, str | None] = {}
        self.default = None
        if styles is not None:
            d = styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}/{w('lang')}")
            self.default = d.get(w("val")) if d is not None else None
            based, own = {}, {}
            for s in styles.iter(w("style")):
                sid = s.get(w("styleId"))
                lang = s.find(f"{w('rPr')}/{w('lang')}")
                own[sid] = lang.get(w("val")) if lang is not None else None
                b = s.find(w("basedOn"))
                based[sid] = b.get(w("val")) if b is not None else None
            for sid in own:
                seen, cur = set(), sid
                while cur and cur not in seen and own.get(cur) is None:
                    seen.add(cur)
                    cur = based.get(cur)
                self.style_lang[sid] = own.get(cur) if cur else None
        count: Counter = Counter()
        for tree in trees:
            for p in tree.iter(w("p")):
                for r, lang in self._runs(p):
                    count[lang] += len(_text(r))
        self.main = _norm(count.most_common(1)[0][0]) if count else _norm(self.default)

    def _runs(self, p) -> list[tuple]:
        ppr_style = p.find(f"{w('pPr')}/{w('pStyle')}")
        plang = self.style_lang.get(ppr_style.get(w("val"))) if ppr_style is not None else None
        out = []
        for r in p.iter(w("r")):
            if next((a for a in r.iterancestors(w("p"))), None) is not p:
                continue  # a run of a text box's paragraph inside this one
            if not _text(r):
                out.append((r, None))
                continue
            own = r.find(f"{w('rPr')}/{w('lang')}")
            lang = own.get(w("val")) if own is not None and own.get(w("val")) else None
            if lang is None:
                rstyle = r.find(f"{w('rPr')}/{w('rStyle')}")
                lang = self.style_lang.get(rstyle.get(w("val"))) if rstyle is not None else None
            out.append((r, lang or plang or self.default))
        return out

    def mark(self, p) -> None:
        """Marks around each stretch of runs in another language than the document's; spaces
        between two runs of a stretch belong to it."""
        runs = [(r, _norm(lang) if lang else None) for r, lang in self._runs(p)]
        groups: list[list] = []
        for r, lang in runs:
            blank = lang is None or not _text(r).strip()
            cur = groups[-1] if groups else None
            if blank:
                if cur is not None and cur[0] is not None and r.getparent() is cur[1][0].getparent():
                    cur[2].append(r)  # pending spaces: kept if the stretch goes on
                elif cur is not None:
                    groups.append([None, [r], []])
                continue
            if cur is not None and cur[0] == lang and r.getparent() is cur[1][0].getparent():
                cur[1].extend(cur[2] + [r])
                cur[2].clear()
            else:
                groups.append([lang, [r], []])
        for lang, members, _ in groups:
            if lang is None or lang == self.main or lang in ("x-none", "zxx"):
                continue
            first, last = members[0], members[-1]
            first.addprevious(mark_run(f"lang-start:{lang}"))
            last.addnext(mark_run("lang-end"))


def _has_text(p) -> bool:
    return any((t.text or "").strip() for t in p.iter(w("t")))


def _norm(lang: str | None) -> str | None:
    return lang.replace("_", "-") if lang else None


def _text(r) -> str:
    return "".join(t.text or "" for t in r if t.tag in (w("t"), w("delText")))


def _prefer_svg(tree) -> None:
    for blip in tree.iter(f"{{{A}}}blip"):
        svg = next(iter(blip.iter(f"{{{ASVG}}}svgBlip")), None)
        if svg is not None and svg.get(f"{{{R}}}embed"):
            blip.set(f"{{{R}}}embed", svg.get(f"{{{R}}}embed"))


def _add_mark_style(styles) -> None:
    if any(s.get(w("styleId")) == MARK_STYLE for s in styles.iter(w("style"))):
        return
    s = etree.SubElement(styles, w("style"))
    s.set(w("type"), "character")
    s.set(w("customStyle"), "1")
    s.set(w("styleId"), MARK_STYLE)
    etree.SubElement(s, w("name")).set(w("val"), MARK_STYLE)
