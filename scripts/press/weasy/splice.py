"""Splicing re-laid-out units into a whole-book PDF (pikepdf).

Takes the book's PDF from the last build and, per edited unit (a chapter or a part page), a PDF of
that unit alone with the same number of pages, laid out at the same page numbers; returns the book
with those pages replaced. What WeasyPrint wrote page by page follows the pages: the structure
tree (WeasyPrint tags each page's content separately, so a page's elements are whole subtrees of
the Document element), the named destinations, the outline entries and the link annotations.
The parent tree (content and annotations → structure elements) is rebuilt for the whole book.
A unit's links to other units arrive as ``press:<id>`` URIs and leave as named destinations. A
unit's font subsets give way to the book's subset of the same face when that has every glyph the
unit uses, with the same widths and text (WeasyPrint keeps glyph ids in its subsets), so repeated
edits do not pile up copies of the fonts.

All of this relies on how WeasyPrint 70 writes PDFs, which is why it is part of ``press.weasy``:
the print writer splices only when ``weasy.can_splice()``, and checks the result (SpliceError:
the whole book is laid out instead).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from . import fontmerge

FOREIGN = "press:"  # how a unit laid out alone links to an anchor in another unit


class SpliceError(RuntimeError):
    """The PDFs do not fit together; the caller lays the whole book out instead."""


@dataclass
class Replacement:
    first: int       # 0-based index of the unit's first page in the book
    path: Path       # the unit's PDF: exactly the pages it replaces
    prefix: str      # made unique: structure element IDs (table headers) of this unit


def splice(base: Path, replacements: list[Replacement], out: Path) -> None:
    _rewrite(base, [r.path for r in replacements], out, lambda pdf, units: _splice(pdf, replacements, units))


def join(parts: list[Path], out: Path, nested: list[int], files: dict | None = None, check: bool = True) -> None:
    """Pieces of one book laid out apart (press.writers.pdfchunks), one after another, as one PDF:
    the first piece's catalogue (metadata, output intent, language) with every piece's pages, and
    what WeasyPrint wrote page by page joined as ``splice`` joins it. ``nested[i]``: how many of
    piece i's first pages hold chapters of a part opened in an earlier piece; their outline
    entries go under that part's entry (WeasyPrint put them at the top, not knowing the part).
    ``files``: the faces' files by PostScript name (fontmerge.merge). ``check=False``: the caller
    opens the file next and checks it there (``check_pages``)."""
    _rewrite(parts[0], parts[1:], out, lambda pdf, others: _join(pdf, others, nested, files), check)


def _rewrite(base: Path, others: list[Path], out: Path, work, check: bool = True) -> None:
    """``work(pdf, opened)`` changes the base PDF with the others open beside it; the result is
    saved to ``out`` and checked (``check_pages``)."""
    with pikepdf.open(base) as pdf:
        opened = [pikepdf.open(p) for p in others]
        try:
            work(pdf, opened)
            pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        finally:
            for other in opened:
                other.close()
    if check:
        with pikepdf.open(out) as saved:
            check_pages(saved)


def check_pages(saved: pikepdf.Pdf) -> None:
    """A spliced or joined PDF as saved (opened again: only what its objects reach): a page object
    outside the page tree means something of a page that was replaced or of a piece's own tree
    survived (SpliceError). Reading every object costs most of the check; a caller that saves the
    file again (pdfprint.derive) checks it there, where saving reads them anyway."""
    kept = sum(1 for o in saved.objects if isinstance(o, Dictionary) and o.get(Name.Type) == Name.Page)
    if kept != len(saved.pages):
        raise SpliceError(f"{kept - len(saved.pages)} page(s) outside the page tree still referenced")


def _join(pdf: pikepdf.Pdf, others: list[pikepdf.Pdf], nested: list[int], files: dict | None = None) -> None:
    tagged = "/StructTreeRoot" in pdf.Root
    entries: dict[tuple, tuple] = {}
    if tagged:
        parents = _parent_tree(pdf)
        for page in pdf.pages:
            entries[page.obj.objgen] = _page_entries(page.obj, parents)
    dests = _dests(pdf)
    outline = _outline(pdf)
    pieces = [[p.obj for p in pdf.pages]]
    for k, unit in enumerate(others, 1):
        if tagged != ("/StructTreeRoot" in unit.Root):
            raise SpliceError("the pieces are not tagged alike")
        at = len(pdf.pages)
        unit_parents = _parent_tree(unit) if tagged else {}
        if tagged:
            _prefix_ids(unit, f"piece{k}")
        for page in unit.pages:  # one by one, as splice inserts them (extend warns about what _join redoes)
            pdf.pages.append(page)
        new_pages = [pdf.pages[at + i].obj for i in range(len(unit.pages))]
        pieces.append(new_pages)
        if tagged:
            _unit_entries(pdf, unit, new_pages, unit_parents, entries)
            doc = _document(pdf)
            new = [copy_in(pdf, e) for e in _document(unit).K]
            doc.K = Array(list(doc.K) + new)
            _adopt(pdf, unit, new_pages, entries)
        for name, dest in _dests(unit).items():
            dests.setdefault(name, copy_in(pdf, dest))
        items = [_copy_item(pdf, item) for item in _outline(unit)]
        lead = {p.objgen for p in new_pages[:nested[k]]}
        while items and lead and _page_of(items[0].dest) in lead:
            if not outline:
                raise SpliceError("a part's chapters have no part to go under")
            outline[-1].children.append(items.pop(0))
        outline.extend(items)
    for page in pdf.pages:
        _foreign_links(page.obj)
    fontmerge.one_subset_per_face(pdf, pieces, files)
    _write_dests(pdf, dests)
    _write_outline(pdf, outline)
    if tagged:
        _write_parent_tree(pdf, entries)


def _unit_entries(pdf: pikepdf.Pdf, unit: pikepdf.Pdf, new_pages: list, unit_parents: dict, entries: dict) -> None:
    """The parent-tree entries of a unit's pages (content and annotations), copied to their pages in
    the book."""
    for src, page in zip(unit.pages, new_pages):
        nums, annots = _page_entries(src.obj, unit_parents)
        copied = {}
        for src_annot, dst_annot in zip(src.obj.get("/Annots", []), page.get("/Annots", [])):
            if src_annot.objgen in annots:
                copied[dst_annot.objgen] = copy_in(pdf, annots[src_annot.objgen])
        entries[page.objgen] = (copy_in(pdf, nums) if nums is not None else None, copied)


def _adopt(pdf: pikepdf.Pdf, unit: pikepdf.Pdf, new_pages: list, entries: dict) -> None:
    """The unit's elements whose parent is the unit's Document element become the book's: those
    in its /K, and those WeasyPrint leaves out of it (a margin box's NonStruct, reached only
    through the parent tree), which would otherwise keep the unit's whole tree — and the pages it
    names — in the file."""
    doc, theirs = _document(pdf), copy_in(pdf, _document(unit)).objgen
    seen: set = set()

    def up(elem) -> None:
        while isinstance(elem, Dictionary) and elem.objgen not in seen:
            seen.add(elem.objgen)
            parent = elem.get("/P")
            if parent is None:
                return
            if parent.objgen == theirs:
                elem.P = doc
                return
            elem = parent
    for page in new_pages:
        nums, annots = entries[page.objgen]
        for elem in list(nums or ()) + list(annots.values()):
            up(elem)
    for elem in doc.K:
        up(elem)


def _splice(pdf: pikepdf.Pdf, replacements: list[Replacement], units: list[pikepdf.Pdf]) -> None:
    tagged = "/StructTreeRoot" in pdf.Root
    old_parents = _parent_tree(pdf) if tagged else {}
    entries: dict[tuple, tuple] = {}  # page objgen → (StructParents array, {annot objgen: elem})
    if tagged:
        for page in pdf.pages:
            entries[page.obj.objgen] = _page_entries(page.obj, old_parents)
    dests = _dests(pdf)
    outline = _outline(pdf)
    for rep, unit in zip(replacements, units):
        count = len(unit.pages)
        if rep.first + count > len(pdf.pages):
            raise SpliceError("a unit reaches past the end of the book")
        old = {pdf.pages[rep.first + i].obj.objgen for i in range(count)}
        unit_parents = _parent_tree(unit) if tagged else {}
        if tagged:
            _prefix_ids(unit, rep.prefix)
        for i, page in enumerate(unit.pages):
            pdf.pages.insert(rep.first + i, page)
        new_pages = [pdf.pages[rep.first + i].obj for i in range(count)]
        del pdf.pages[rep.first + count:rep.first + 2 * count]
        for page in new_pages:
            _foreign_links(page)
        fontmerge.share_fonts(pdf, new_pages)
        if tagged:
            _unit_entries(pdf, unit, new_pages, unit_parents, entries)
            _replace_elements(pdf, unit, old)
            _adopt(pdf, unit, new_pages, entries)
        dests = {k: v for k, v in dests.items() if _page_of(v) not in old}
        for name, dest in _dests(unit).items():
            dests[name] = copy_in(pdf, dest)
        outline = _replace_outline(outline, old, [_copy_item(pdf, item) for item in _outline(unit)])
    _write_dests(pdf, dests)
    _write_outline(pdf, outline)
    if tagged:
        _write_parent_tree(pdf, entries)


# --- named destinations and links ---------------------------------------------------------------

def _dests(pdf: pikepdf.Pdf) -> dict[str, Array]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(k): v for k, v in pikepdf.NameTree(names.Dests).items()}


def _write_dests(pdf: pikepdf.Pdf, dests: dict[str, Array]) -> None:
    flat = Array()
    for name in sorted(dests):
        flat.append(String(name))
        flat.append(dests[name])
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pdf.make_indirect(Dictionary())
    pdf.Root.Names.Dests = pdf.make_indirect(Dictionary(Names=flat))


def _foreign_links(page: pikepdf.Dictionary) -> None:
    """``press:<id>`` URI links (to another unit) become links to the named destination ``<id>``."""
    for annot in page.get("/Annots", []):
        action = annot.get("/A")
        if action is not None and str(action.get("/URI", "")).startswith(FOREIGN):
            target = str(action.URI)[len(FOREIGN):]
            del annot["/A"]
            annot.Dest = String(target)
            if "/Contents" in annot:
                annot.Contents = String(target)


# --- the outline ----------------------------------------------------------------------------------

@dataclass
class Item:
    title: object
    dest: object
    closed: bool
    children: list = field(default_factory=list)


def _outline(pdf: pikepdf.Pdf) -> list[Item]:
    root = pdf.Root.get("/Outlines")

    def items(first) -> list[Item]:
        out, node = [], first
        while node is not None:
            out.append(Item(node.Title, node.Dest, int(node.get("/Count", 0)) < 0, items(node.get("/First"))))
            node = node.get("/Next")
        return out
    return items(root.get("/First")) if root is not None else []


def _copy_item(pdf: pikepdf.Pdf, item: Item) -> Item:
    return Item(item.title, copy_in(pdf, item.dest), item.closed, [_copy_item(pdf, c) for c in item.children])


def _replace_outline(items: list[Item], old: set, new: list[Item]) -> list[Item]:
    """The run of entries that point into the replaced pages, at whatever depth it lies, gives way
    to the unit's entries."""
    done = False

    def walk(items: list[Item]) -> list[Item]:
        nonlocal done
        out = []
        for item in items:
            if _page_of(item.dest) in old:
                if not done:
                    out.extend(new)
                    done = True
                continue
            if not done:
                item.children = walk(item.children)
            out.append(item)
        return out
    result = walk(items)
    if new and not done:
        raise SpliceError("the unit's outline entries have no place in the book's outline")
    return result


def _page_of(dest) -> tuple | None:
    return dest[0].objgen if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary) else None


def copy_in(pdf: pikepdf.Pdf, obj):
    """An object of another PDF (a unit's, a piece's, the printer's template) in ``pdf``: indirect
    objects through qpdf's foreign-object copier (which maps the other file's pages to their
    copies), direct arrays and dictionaries item by item."""
    if isinstance(obj, (Array, Dictionary, pikepdf.Stream)) and obj.is_indirect:
        return pdf.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([copy_in(pdf, x) for x in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({k: copy_in(pdf, v) for k, v in obj.items()})
    return obj


def _write_outline(pdf: pikepdf.Pdf, items: list[Item]) -> None:
    if not items:
        return

    def write(items: list[Item], parent) -> tuple[list, int]:
        count, objs = len(items), []
        for item in items:
            obj = pdf.make_indirect(Dictionary(Title=item.title, Dest=item.dest, Parent=parent))
            kids, kid_count = write(item.children, obj)
            obj.Count = -kid_count if item.closed else kid_count
            count += 0 if item.closed else kid_count
            if kids:
                obj.First, obj.Last = kids[0], kids[-1]
            if objs:
                obj.Prev = objs[-1]
                objs[-1].Next = obj
            objs.append(obj)
        return objs, count
    root = pdf.make_indirect(Dictionary(Type=Name.Outlines))
    tops, count = write(items, root)
    root.First, root.Last, root.Count = tops[0], tops[-1], count
    pdf.Root.Outlines = root


# --- the structure tree ------------------------------------------------------------------------

def _parent_tree(pdf: pikepdf.Pdf) -> dict[int, object]:
    tree = pdf.Root.StructTreeRoot.ParentTree
    return {int(k): v for k, v in pikepdf.NumberTree(tree).items()}


def _page_entries(page, parents: dict[int, object]) -> tuple[object, dict]:
    nums = parents.get(int(page["/StructParents"])) if "/StructParents" in page else None
    annots = {a.objgen: parents[int(a.StructParent)] for a in page.get("/Annots", [])
              if "/StructParent" in a and int(a.StructParent) in parents}
    return nums, annots


def _document(pdf: pikepdf.Pdf):
    kids = pdf.Root.StructTreeRoot.K
    return kids[0] if isinstance(kids, Array) else kids


def _replace_elements(pdf: pikepdf.Pdf, unit: pikepdf.Pdf, old: set) -> None:
    doc = _document(pdf)
    kept, at = Array(), None
    for elem in doc.K:
        if elem.get("/Pg") is not None and elem.Pg.objgen in old:
            at = len(kept) if at is None else at
            continue
        kept.append(elem)
    if at is None:
        raise SpliceError("no structure elements on the replaced pages")
    new = [copy_in(pdf, e) for e in _document(unit).K]
    for e in new:
        e.P = doc
    doc.K = Array(list(kept)[:at] + new + list(kept)[at:])


def _prefix_ids(unit: pikepdf.Pdf, prefix: str) -> None:
    """Table header IDs are numbered per file: keep them unique in the book."""
    for obj in unit.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == "/StructElem":
            if "/ID" in obj:
                obj.ID = String(f"{prefix}-{obj.ID}")
            headers = obj.get("/A", Dictionary()).get("/Headers") if isinstance(obj.get("/A"), Dictionary) else None
            if headers is not None:
                obj.A.Headers = Array([String(f"{prefix}-{h}") for h in headers])


def _write_parent_tree(pdf: pikepdf.Pdf, entries: dict[tuple, tuple]) -> None:
    """Page i has StructParents i; the annotations follow, numbered in page order."""
    nums = Array()
    pages = list(pdf.pages)
    annotations = []
    for i, page in enumerate(pages):
        mapped, annots = entries[page.obj.objgen]
        page.obj.StructParents = i
        nums.append(i)
        nums.append(mapped if mapped is not None else Array())
        for annot in page.obj.get("/Annots", []):
            if annot.objgen in annots:
                annotations.append((annot, annots[annot.objgen]))
    for key, (annot, elem) in enumerate(annotations, start=len(pages)):
        annot.StructParent = key
        nums.append(key)
        nums.append(elem)
    pdf.Root.StructTreeRoot.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
