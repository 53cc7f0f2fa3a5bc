"""The print edition after an edit: lay out again only the units the edit touched.

A unit is what a ``press-unit`` comment opens in the print HTML: the front matter, a part page or
a chapter; every unit opens on a recto. Takes the print HTML, the record of the last build (per
unit its content hash, first page, page count and the page numbers it quoted from other units;
every anchor's page) and that build's two PDFs; lays out each changed unit alone — its folios
continued from the page it opens on, its references to other units as literal page numbers —
and splices it into copies of the last PDFs (press.weasy.splice). Returns ``None`` whenever only a whole
layout is right: no record, a changed stylesheet or front matter, a unit whose page count
changed, running heads or folios that differ from the book's, page numbers that keep moving, or
more than half the book changed.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import cache, fsio
from ..htmltext import fragment, inner_html
from .indexpages import by_page, has_index

UNIT = re.compile(r"<!-- press-unit: ([\w.-]+) -->\n")
# Style that would lay a unit out differently alone than inside the book: counters other than
# the page's, first-page rules, the total page count, target-text.
UNSAFE = re.compile(r"counter-(?:reset|increment|set)|@page[^{]*:(?:first|nth)|counters?\(\s*pages|target-text")
ROUNDS = 3  # re-layouts allowed while quoted page numbers settle
KEEP = 6    # records (with their two PDFs) kept in the cache, the most recently used


def split(html: str) -> tuple[str, list[tuple[str, str]], str]:
    """(everything up to the first unit, [(unit id, unit HTML)], the closing tags)."""
    parts = UNIT.split(html)
    head, rest = parts[0], parts[1:]
    units = list(zip(rest[0::2], rest[1::2]))
    if not units:
        return head, [], ""
    last_id, last = units[-1]
    end = last.rindex("</body>")
    units[-1] = (last_id, last[:end])
    return head, units, last[end:]


def _sha(*texts: str) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _ids(root) -> set[str]:
    return {el.get("id") for el in root.iter() if el.get("id")}


def _links(root) -> list:
    """The elements under ``root`` that link to a place in the document (``href="#…"``)."""
    return [el for el in root.iter() if (el.get("href") or "").startswith("#") and len(el.get("href")) > 1]


def _outside(body: str) -> list[str]:
    """The ids a unit links to that it does not hold itself (their pages come from other units)."""
    root = fragment(body)
    own = _ids(root)
    return sorted({t for el in _links(root) if (t := el.get("href")[1:]) not in own})


def layout_key(head: str, tail: str, css: str, variants: list[str], reader: str = "") -> str | None:
    """What every unit's layout depends on besides its own text (and ``reader``: the code that reads
    the record's page starts from a layout); None when the style rules out laying units out alone."""
    if UNSAFE.search(css):
        return None
    from .. import toolchain
    return _sha(head, tail, css, ",".join(sorted(variants)), json.dumps(toolchain.versions(), sort_keys=True), reader)


def record_path(book_root: Path, targets: dict[str, Path]) -> Path:
    name = _sha(str(book_root.resolve()), *sorted(str(p.resolve()) for p in targets.values()))[:20]
    return cache.folder("pdf") / name / "record.json"


def load(path: Path, targets: dict[str, Path]) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for variant in targets:
        base = path.with_name(f"{variant}.pdf")
        if not base.exists() or record.get("bases", {}).get(variant) != _file_sha(base):
            return None
    return record


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(path: Path, html: str, key: str | None, anchors: dict[str, int], pages: int, margins: list[str] | None,
         outputs: dict[str, Path], starts: dict[str, dict] | None = None) -> None:
    """Record a good build (whole or spliced) and keep its PDFs as the next splice's base."""
    if key is None or margins is None:
        return
    _, units, _ = split(html)
    firsts = [1 if i == 0 else anchors.get(uid) for i, (uid, _) in enumerate(units)]
    if not units or None in firsts:
        return
    record_units = []
    for i, (uid, body) in enumerate(units):
        end = firsts[i + 1] if i + 1 < len(units) else pages + 1
        record_units.append({"id": uid, "key": _sha(body), "first": firsts[i], "pages": end - firsts[i],
                             "refs": {t: anchors.get(t) for t in _outside(body)}})
    path.parent.mkdir(parents=True, exist_ok=True)
    bases = {}
    for variant, out in outputs.items():
        base = path.with_name(f"{variant}.pdf")
        tmp = fsio.temp_beside(base)
        shutil.copyfile(out, tmp)
        fsio.publish(tmp, base)
        bases[variant] = _file_sha(base)
    cache.write(path, json.dumps({"key": key, "units": record_units, "anchors": anchors, "pages": pages,
                                  "margins": margins, "bases": bases, "starts": starts or {}}, sort_keys=True))
    _prune(path.parent.parent)


def _prune(folder: Path) -> None:
    """One record per book and output folder: keep the most recently written ones."""
    records = sorted((p for p in folder.iterdir() if (p / "record.json").exists()),
                     key=lambda p: (p / "record.json").stat().st_mtime, reverse=True)
    for old in records[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def _alone(head: str, body: str, tail: str, first: int | None, css: str = "", last: bool = True,
           end_id: str | None = None) -> str:
    """Units as a document of their own: folios from ``first`` and (unless they end the book) a
    closing element that opens the next recto, so a blank verso after them is laid out as in the
    book; the caller drops the closing element's page. ``end_id``: an id for the closing element
    (it stands on the page the next unit opens on)."""
    folios = "" if first is None else f"@page :first {{ counter-reset: page {first} }}\n"
    style = (f"<style>{folios}"
             f".press-unit-end {{ break-before: right; }}\n{css}</style>\n")
    ident = f' id="{end_id}"' if end_id else ""
    end = "" if last else f'<div class="press-unit-end"{ident}></div>\n'
    return head.replace("</head>", style + "</head>", 1) + body + end + tail


def unit_html(head: str, body: str, tail: str, first: int, anchors: dict[str, int], literal_css: str,
              last: bool) -> str:
    """One unit as a document of its own (``_alone``), its links to other units as ``press:<id>``
    with their page number; an index's locators set with the book's pages (a page not known yet is
    left out)."""
    root = fragment(body)
    by_page(root, {k: v for k, v in anchors.items() if isinstance(v, int)}, settled=True)
    own = _ids(root)
    for el in _links(root):
        target = el.get("href")[1:]
        if target not in own:
            el.set("href", f"press:{target}")
            el.set("data-page", str(anchors[target]))
    return _alone(head, inner_html(root), tail, first, literal_css, last)


@dataclass(frozen=True)
class IndexApart:
    """A book whose last unit is its index, as two documents (``index_apart``)."""
    before: str  # everything before the index, closed by the element that opens the next recto
    head: str
    index: str   # the index unit, its locators still links
    tail: str

    def index_html(self, anchors: dict[str, int], first: int) -> str:
        """The index as a document of its own: its numbers set from ``anchors`` (the pages of the
        document before it), its folios from ``first``; its locators link to the marks by their
        ids (the combined document resolves them)."""
        root = fragment(self.index)
        by_page(root, anchors)
        return _alone(self.head, inner_html(root), self.tail, first)


def index_apart(html: str) -> IndexApart | None:
    """A book whose last unit is its index and no other, in two documents: everything before the
    index, closed by the element that opens the next recto (its page the caller drops), and the
    index alone. The index comes last, so the book before it paginates as the whole book does; the
    index's numbers are then known before it is laid out, which saves laying the whole book out
    twice. None when the book has no index or it is not the last unit (lay it out whole, twice)."""
    head, units, tail = split(html)
    roots = [fragment(b) for _, b in units]
    if len(units) < 2 or not has_index(roots[-1]) or any(has_index(r) for r in roots[:-1]):
        return None
    uid, index = units[-1]
    body = "".join(f"<!-- press-unit: {u} -->\n{b}" for u, b in units[:-1])
    quoted = {el.get("href")[1:] for r in roots[:-1] for el in _links(r)} & _ids(roots[-1])  # the index's page
    if quoted - {uid}:
        return None  # a page inside the index is quoted: only the whole book knows it
    # the closing element stands on the page the index will open on: it carries the index's id
    before = _alone(head, body, tail, None, last=False, end_id=uid if quoted else None)
    return IndexApart(before, head, f"<!-- press-unit: {uid} -->\n{index}", tail)


class Plan:
    """Which units to lay out again, and the page numbers as they stand."""

    def __init__(self, html: str, record: dict | None, key: str | None):
        self.head, self.units, self.tail = split(html)
        self.record = record
        self.ok = (record is not None and key is not None and record.get("key") == key and "margins" in record
                   and "starts" in record and [u["id"] for u in record["units"]] == [uid for uid, _ in self.units])
        if not self.ok:
            self.dirty: set[int] = set()
            return
        self.anchors: dict[str, int] = dict(record["anchors"])
        self.starts: dict[str, dict] = dict(record["starts"])  # where each page begins (pagestarts)
        self.refs = [dict(u["refs"]) for u in record["units"]]  # the numbers each unit shows now
        self.dirty = {i for i, (_, body) in enumerate(self.units) if _sha(body) != record["units"][i]["key"]}
        if 0 in self.dirty or len(self.dirty) > len(self.units) // 2:
            self.ok = False

    def unit(self, i: int) -> dict:
        return self.record["units"][i]

    def html_of(self, i: int, literal_css: str) -> str | None:
        """The unit's document, or None when it links to an anchor the book no longer has."""
        body = self.units[i][1]
        targets = _outside(body)
        if any(t not in self.anchors for t in targets):
            return None
        self.refs[i] = {t: self.anchors[t] for t in targets}
        return unit_html(self.head, body, self.tail, self.unit(i)["first"], self.anchors, literal_css,
                         last=i == len(self.units) - 1)

    def accept(self, i: int, pages: int, anchors: dict[str, int], margins: list[str],
               starts: dict[str, dict] | None = None) -> bool:
        """Take a unit's new layout (anchors numbered from its first page); False when its page
        count changed, which moves every later page, or when its running heads or folios differ
        from the book's (an edited heading they quote, or style that carries a string in from an
        earlier unit, which a unit laid out alone cannot know)."""
        u = self.unit(i)
        if pages != u["pages"] or margins != self.record["margins"][u["first"] - 1:u["first"] - 1 + pages]:
            return False
        first, end = u["first"], u["first"] + u["pages"]
        self.anchors = {k: v for k, v in self.anchors.items() if not first <= v < end}
        self.anchors.update({name: first + page - 1 for name, page in anchors.items()})
        self.starts = {k: v for k, v in self.starts.items() if not first <= int(k) < end}
        self.starts.update({str(first + int(page) - 1): where for page, where in (starts or {}).items()})
        return True

    def stale(self) -> set[int]:
        """Units whose quoted page numbers no longer match the anchors."""
        return {i for i, refs in enumerate(self.refs)
                if any(self.anchors.get(t) != page for t, page in refs.items())}


def preview_unit(html: str, record: dict, unit_id: str, literal_css: str) -> dict | None:
    """For ``press preview``: the unit ``unit_id`` of the current print HTML as a document of its
    own, placed with the last good build's record (its first page, the pages it quotes) whatever
    changed since — a style, a template or its text — so that it shows at once while the whole
    book follows; a page number the record does not know yet shows as "?". Returns {"id",
    "first", "pages" (its page count in the record), "html", "last", "changed" (False when
    neither its HTML nor the layout key differ from the record, so its pages are the book's)}, or
    None when the HTML or the record has no such unit."""
    head, units, tail = split(html)
    index = next((i for i, (uid, _) in enumerate(units) if uid == unit_id), None)
    known = next((u for u in record.get("units", []) if u["id"] == unit_id), None)
    if index is None or known is None:
        return None
    body = units[index][1]
    anchors = dict(record["anchors"])
    anchors.update({t: "?" for t in _outside(body) if t not in anchors})
    last = index == len(units) - 1
    return {"id": unit_id, "first": known["first"], "pages": known["pages"], "last": last,
            "html": unit_html(head, body, tail, known["first"], anchors, literal_css, last),
            "changed": _sha(body) != known["key"]}
