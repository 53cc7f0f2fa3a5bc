"""Laying a stretch of the book out apart from the rest, at page numbers learnt while it is laid out.

A clean build lays the book out in chunks, one per worker (press.writers.pdfchunks), and none of
them knows at the start on which page it opens, nor on which pages the other chunks' anchors fall
(the contents quote every chapter's page). WeasyPrint settles page numbers that depend on the
layout itself in rounds (``layout_document`` lays out every page, then again only the pages whose
quoted numbers changed, until nothing changes); ``settling`` takes part in those rounds:

- Before the boxes are built, every id the chunk links to but does not hold is entered in
  WeasyPrint's target collector as a *ghost*: a target that is known, on a page given from
  outside (at first 0), so ``target-counter()`` finds it instead of dropping the content.
- When WeasyPrint's own rounds have settled, ``report(pages, anchors, strings)`` is called with
  the chunk's page count, the page of each of its anchors (counted from its own first page) and
  the last value of every named string (``string-set``). It returns ``(shift, ghosts)``: how many
  pages come before the chunk and the pages of the ghosts, or ``None`` when everything agrees.
- A new shift moves every page counter WeasyPrint keeps (each page's state, each anchor's cached
  page, each quoting box's) by the difference; a ghost's new page is written into its target.
  The pages holding a quote of a moved number are marked changed, so WeasyPrint lays out those
  pages again in its next round — and only those, unless their lines then break differently.
- When everything agrees, the margin boxes (running heads, folios) are made as usual from the
  shifted counters; a named string no page of the chunk has set yet takes the value the chunks
  before it left (``carried``, given with the last answer).

``Aborted`` leaves the layout when the coordinator gives up (another chunk failed). All of this is
WeasyPrint 70's pagination (``weasyprint.layout.make_all_pages``, ``page_maker``, the target
collector); like the rest of ``press.weasy`` it is used only when ``internals()`` says so.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from types import SimpleNamespace


class Aborted(RuntimeError):
    """The coordinator stopped the layout (another chunk failed or the rounds did not settle)."""


@dataclass
class Status:
    shift: int = 0
    ghosts: dict[str, int] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    done: bool = False   # the last report was answered with "everything agrees"


@contextlib.contextmanager
def settling(ghosts: list[str], report):
    """Patch WeasyPrint for one layout in this process (a worker's); yields the Status."""
    import weasyprint.document as document
    import weasyprint.layout as layout
    from weasyprint.css.targets import TargetCollector, TargetLookupItem

    status = Status(ghosts={g: 0 for g in ghosts})
    original_pages = layout.make_all_pages

    class Collector(TargetCollector):
        def __init__(self):
            super().__init__()
            for name, page in status.ghosts.items():
                item = TargetLookupItem("up-to-date")
                item.target_box = SimpleNamespace(cached_counter_values={})
                item.cached_page_counter_values = {"page": [page]}
                self.target_lookup_items[name] = item

    def make_all_pages(context, root_box, html, pages):
        made = []
        for page in original_pages(context, root_box, html, pages):
            made.append(page)
            yield page
        if status.done or _changed(context):
            return  # WeasyPrint lays out again anyway; report once its own rounds have settled
        while True:
            answer = report(len(made), _anchors(context), _strings(made))
            if answer is None:
                status.done = True
                _carry(context, status.carried)
                return
            shift, ghosts = answer
            changed = {n: p for n, p in ghosts.items() if status.ghosts.get(n) != p}
            _move(context, shift - status.shift, changed, set(status.ghosts))
            status.shift = shift
            status.ghosts.update(ghosts)
            if _changed(context):
                return  # WeasyPrint's next round lays out the marked pages; then report again
            # nothing quotes a moved number: the pages stand, report them again at once

    layout.make_all_pages = make_all_pages
    document.TargetCollector = Collector
    try:
        yield status
    finally:
        layout.make_all_pages = original_pages
        document.TargetCollector = TargetCollector


def _anchors(context) -> dict[str, int]:
    """Each anchor's page (1 = the chunk's first), as WeasyPrint cached them while paginating."""
    found: dict[str, int] = {}
    for number, entry in enumerate(context.page_maker[:-1], 1):
        for name in entry[-1].get("anchors", ()):
            found.setdefault(name, number)
    return found


def _strings(pages) -> dict[str, str]:
    """The last value each named string is set to on these pages."""
    last: dict[str, str] = {}
    for page in pages:
        for box in page.descendants():
            sets = box.string_set
            if sets and sets != "none":
                for name, text in sets:
                    last[name] = text
    return last


def _changed(context) -> bool:
    return any(entry[-1]["content_changed"] for entry in context.page_maker)


def _move(context, delta: int, ghosts: dict[str, int], ghost_names: set[str]) -> None:
    """Shift every page counter by ``delta`` and give ``ghosts`` (the ghosts whose page changed)
    their pages; mark the pages that quote a moved number for WeasyPrint's next round."""
    collector = context.target_collector
    if delta:
        for i, entry in enumerate(context.page_maker):
            counters, scopes = entry[3][1], entry[3][2]
            if counters.get("page"):
                counters["page"][-1] += delta
            elif i == 0:  # before the first page: the counter starts here
                counters["page"] = [delta]
                scopes[-1].add("page")
        for name, item in collector.target_lookup_items.items():
            if name not in ghost_names and item.cached_page_counter_values.get("page"):
                item.cached_page_counter_values["page"][-1] += delta
    for name, page in ghosts.items():
        item = collector.target_lookup_items[name]
        item.cached_page_counter_values = {**item.cached_page_counter_values, "page": [page]}
    own = delta != 0
    for (box, token), item in collector.counter_lookup_items.items():
        if delta and item.cached_page_counter_values.get("page"):
            item.cached_page_counter_values["page"][-1] += delta
        if token != "content" or item.page_maker_index is None or item.page_maker_index >= len(context.page_maker):
            continue
        quoted = _quoted(box, item)
        if (own and ("page" in item.missing_counters or any(t not in ghost_names for t in quoted))) or \
                any(t in ghosts for t in quoted):
            context.page_maker[item.page_maker_index][-1]["content_changed"] = True
            item.parse_again(item.cached_page_counter_values)


def _quoted(box, item) -> set[str]:
    """The anchors a box's content quotes a counter of. WeasyPrint keys a ``target-counter(attr(href))``
    by None (it names the target only once the attribute is read): read the box's href for it."""
    names = {name for name in item.missing_target_counters if name}
    if None in item.missing_target_counters:
        href = box.element.get("href") if box.element is not None else None
        if href and href.startswith("#"):
            names.add(href[1:])
    return names


def _carry(context, carried: dict[str, str]) -> None:
    """Named strings not set yet on a page of the chunk take what the chunks before it left."""
    if not carried:
        return
    original = context.get_string_set_for

    def get_string_set_for(page, name, keyword="first"):
        found = original(page, name, keyword)
        if found or keyword == "all-once" or name not in carried:
            return found
        store = context.string_set[name]
        if any(number in store for number in range(1, context.current_page + 1)):
            return found  # set on this page or before it, in this chunk
        return (carried[name],)
    context.get_string_set_for = get_string_set_for
