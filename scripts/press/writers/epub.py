"""The EPUB3 edition, packaged with ebooklib.

Takes the pipeline's chapters and the print edition's page map; writes ``<slug>.epub`` with one
XHTML document per chapter and per part title page, a contents page of parts and chapters in the
reading order, a navigation document for the reading system's panel (toc of every level,
landmarks and a page-list with the print edition's page numbers), a generated SVG cover, subset
fonts with their licences (and Apple Books' display options, so it uses them), SVG figures with
their text as outlines of those faces, and EPUB Accessibility 1.1 metadata. The zip is written
reproducibly: ``mimetype`` first and stored, entries in a fixed order, every timestamp from
SOURCE_DATE_EPOCH (or the book's date).
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from ebooklib import epub
from lxml import etree

from .. import fonts, images, svgtext
from ..book import Book, slugify
from ..design import styles
from ..htmltext import fragment
from ..pipeline import ChapterResult
from . import common, indexpages, pagebreaks
from .common import atomic_file, build_time, environment, fill_pagerefs, mark_blocks, markup, parts_view, rewrite_links, roman

EPUB_TYPES = [  # (tag, class) → epub:type; the same semantics the ARIA roles carry
    ("a", "noteref", "noteref"), ("a", "backlink", "backlink"), ("section", "endnotes", "endnotes"),
    ("li", "endnote", "endnote"), ("aside", "pullquote", "pullquote"),
    # EPUB Indexes 1.0 (the index filter's classes)
    ("section", "index", "index"), ("ul", "index-entry-list", "index-entry-list"), ("li", "index-entry", "index-entry"),
    ("span", "index-term", "index-term"), ("span", "index-locators", "index-locator-list"),
    ("a", "index-locator", "index-locator"), ("a", "index-xref-preferred", "index-xref-preferred"),
    ("a", "index-xref-related", "index-xref-related"),
]
CSS_LAYERS = ["tokens.css", "base.css", "epub.css"]
MEDIA = images.MEDIA


def _href(chapter: str, target: str, current: str) -> str:
    if chapter == current:
        return f"#{target}"
    return f"{chapter}.xhtml" if target == chapter else f"{chapter}.xhtml#{target}"


def _bibliography_sections(root, labels: dict) -> None:
    """citeproc's bibliography (a list: role list, entries listitem) goes into a section of EPUB
    type ``bibliography`` with the matching ARIA role, labelled by its heading when one stands
    right before it (a chapter's "Literatuur"), else by the label itself (the book's, whose
    chapter title is the heading)."""
    for div in [el for el in root.iter("div") if "bibliography" in (el.get("class") or "").split()]:
        section = etree.Element("section", {"data-epub-type": "bibliography", "role": "doc-bibliography"})
        heading = div.getprevious()
        div.addprevious(section)
        if heading is not None and heading.tag in ("h2", "h3") and (heading.get("id") or "").endswith("-bibliography"):
            section.set("aria-labelledby", heading.get("id"))
            section.append(heading)
        else:
            section.set("aria-label", labels["bibliography"])
        section.append(div)
        section.tail, div.tail = div.tail, None


def chapter_body(r: ChapterResult, markers: list[tuple[tuple, list[int]]], labels: dict,
                 locate=None) -> tuple[str, list[int]]:
    """The chapter's fragment as XHTML: epub:type added, links split per document, and the page-break
    markers placed (``markers``: [(where, page numbers)], see ``page_markers``). Returns the XHTML and
    the page numbers whose place it could not find (they go at the chapter's start). ``locate``:
    how the index's locators read (press.writers.indexpages)."""
    root = fragment(r.html)
    rewrite_links(root, r.chapter.id, _href)
    if locate is not None:
        locate(root)
    fill_pagerefs(root, labels)
    mark_blocks(root, r.chapter.id)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        classes = (el.get("class") or "").split()
        for tag, cls, etype in EPUB_TYPES:
            if el.tag == tag and cls in classes:
                el.set("data-epub-type", etype)
    _bibliography_sections(root, labels)
    lost: list[int] = []
    for where, numbers in reversed(markers):  # from the end, so earlier offsets stay valid
        if where == HEAD or not pagebreaks.place(root, where, [_pagebreak_element(n, labels) for n in numbers]):
            lost[:0] = numbers
    _keep_headings_together(root)
    out = "".join(etree.tostring(child, method="xml", encoding="unicode") for child in root)
    out = (root.text or "") + out
    return out.replace('data-epub-type="', 'epub:type="'), lost


HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def _keep_headings_together(root) -> None:
    """A heading directly followed by another heading or by a figure goes into one unbreakable
    block with it (a run of headings and the figure after them, page-break markers between them
    included). A paginating reader would otherwise leave the first heading at a column's foot:
    WebKit ignores break-after: avoid, and an image cannot break; it keeps an unbreakable block
    whole where the block fits."""
    def is_break(el) -> bool:
        return el.tag == "span" and "pagebreak" in (el.get("class") or "").split()

    for heading in list(root.iter(*HEADINGS)):
        parent = heading.getparent()
        if parent is None or parent.get("class") == "keep-together":
            continue  # already inside a run that starts earlier
        group, nxt = [heading], heading.getnext()
        while nxt is not None and (is_break(nxt) or nxt.tag in HEADINGS):
            group.append(nxt)
            nxt = nxt.getnext()
        if nxt is not None and nxt.tag == "figure":
            group.append(nxt)
        while group and is_break(group[-1]):
            group.pop()
        if sum(1 for el in group if not is_break(el)) < 2:
            continue
        keep = etree.Element("div", {"class": "keep-together"})
        heading.addprevious(keep)
        last, after = group[-1], group[-1].tail
        for el in group:
            keep.append(el)  # with its tail
        last.tail, keep.tail = None, after


def to_xhtml(html: str) -> str:
    """An HTML fragment (as pandoc and nh3 write it) re-serialised as well-formed XHTML."""
    if not html:
        return ""
    root = fragment(html)
    return (root.text or "") + "".join(etree.tostring(c, method="xml", encoding="unicode") for c in root)


def _pagebreak_markup(numbers: list[int], labels: dict) -> str:
    return "".join(
        f'<span id="page-{n}" role="doc-pagebreak" epub:type="pagebreak" aria-label="{labels["page_label"].format(n=n)}" '
        f'class="pagebreak"></span>' for n in numbers)


def _pagebreak_element(n: int, labels: dict):
    return etree.Element("span", {"id": f"page-{n}", "role": "doc-pagebreak", "data-epub-type": "pagebreak",
                                  "aria-label": labels["page_label"].format(n=n), "class": "pagebreak"})


HEAD = ("head",)  # a page that begins in a chapter's heading: its marker opens the chapter's document


def page_markers(pagemap: dict | None, chapters: list[str], parts: list[str]) -> dict[str, list[tuple[tuple, list[int]]]]:
    """Per chapter or part id: [(where, page numbers)] in reading order. ``where`` is HEAD or
    (element id, tag, n, offset) as ``press.writers.pagestarts`` records the first word of a page;
    pages without text (blank versos) go with the next page that has some. Without that record
    (an older page map), each page goes at the start of the first block that begins on it."""
    if not pagemap:
        return {}
    firsts = pagemap.get("starts")
    if firsts is None:
        return _block_markers(pagemap, chapters, parts)
    anchors, known = pagemap["anchors"], set(chapters)
    part_at = {anchors[p]: p for p in parts if p in anchors}
    out: dict[str, list[tuple[tuple, list[int]]]] = {}
    pending: list[int] = []
    for page in range(1, pagemap["pages"] + 1):
        pending.append(page)
        if page in part_at:
            out.setdefault(part_at[page], []).append((HEAD, pending))
        elif str(page) in firsts:
            first = firsts[str(page)]
            if first["chapter"] in known:
                where = HEAD if first["id"] in (first["chapter"], f"{first['chapter']}-title") else \
                    (first["id"], first["tag"], first["n"], first["offset"])
                out.setdefault(first["chapter"], []).append((where, pending))
        else:
            continue  # a blank page: its marker goes with the next page's
        pending = []
    return out


def _block_markers(pagemap: dict, chapters: list[str], parts: list[str]) -> dict[str, list[tuple[tuple, list[int]]]]:
    """Without page starts: each page at the start of the first block that begins on it; a page on
    which none begins (a paragraph runs on to the chapter's end) goes with the chapter's last block
    start; a part page at its heading."""
    anchors, out = pagemap["anchors"], {}
    part_at = {anchors[p]: p for p in parts if p in anchors}
    openings = sorted({anchors[c] for c in chapters if c in anchors} | set(part_at)) + [pagemap["pages"] + 1]
    for page, part in part_at.items():
        out[part] = [(HEAD, [page])]
    for cid in chapters:
        pages = [(anchors[i], i) for i in pagemap["blocks"].get(cid, []) if i in anchors]
        start = anchors.get(cid, pages[0][0] if pages else 1)
        seen = start - 1
        for page, ident in pages:
            if page > seen:
                out.setdefault(cid, []).append(((ident, None, 0, 0), list(range(seen + 1, page + 1))))
                seen = page
        end = next(o for o in openings + [seen + 1] if o > start) - 1
        if cid in out and end > seen:
            out[cid][-1][1].extend(range(seen + 1, end + 1))
    return out


def contributors(results: list[ChapterResult]) -> dict[str, list[str]]:
    """Everyone who wrote or contributed to a chapter → their MARC relator roles (``aut`` for a
    chapter's authors, the front matter's role for its contributors), in reading order, each once."""
    people: dict[str, list[str]] = {}
    for r in results:
        for name, role in [(a, "aut") for a in r.chapter.authors] + \
                [(c["name"], c["role"]) for c in r.chapter.contributors]:
            roles = people.setdefault(name, [])
            if role not in roles:
                roles.append(role)
    return people


def write(book: Book, results: list[ChapterResult], target: Path, pagemap: dict | None = None) -> None:
    env = environment()
    labels = results[0].ctx.labels
    lang = book.lang
    meta = book.meta
    items = parts_view(book, results)
    eb = epub.EpubBook()
    eb.set_identifier(meta["identifier"])
    eb.set_title(meta["title"])
    eb.set_language(lang)
    for i, author in enumerate(meta["authors"]):
        eb.add_author(author, uid=f"creator-{i + 1}")
    for key in ("publisher", "rights", "description", "date"):
        eb.add_metadata("DC", key, str(meta[key]).strip())
    for i, (name, roles) in enumerate(contributors(results).items(), 1):
        eb.add_metadata("DC", "contributor", name, {"id": f"contributor-{i}"})
        for role in roles:
            eb.add_metadata(None, "meta", role, {"refines": f"#contributor-{i}", "property": "role",
                                                 "scheme": "marc:relators"})
    _accessibility(eb, labels, has_images=any(r.ctx.data.images for r in results), pagemap=pagemap, meta=meta)

    doc = env.get_template("epub/document.xhtml")
    spine, documents = [], []

    def add(name: str, title: str, content: str, body_type: str | None = None, props=None):
        xhtml = doc.render(lang=lang, title=title, content=markup(content), body_type=body_type)
        etree.fromstring(xhtml.encode("utf-8"))  # fail here, not in a reader, on malformed XHTML
        item = epub.EpubItem(uid=name.replace(".", "-"), file_name=name, media_type="application/xhtml+xml",
                             content=xhtml.encode("utf-8"))
        item.properties = list(props or [])
        eb.add_item(item)
        documents.append(item)
        return item

    cover_svg = common.cover_svg(meta)
    cover_img = epub.EpubItem(uid="cover-image", file_name="images/cover.svg", media_type="image/svg+xml",
                              content=_svg_outlined(cover_svg.encode("utf-8")))
    cover_img.properties = ["cover-image"]
    eb.add_item(cover_img)
    spine.append(add("cover.xhtml", meta["title"], env.get_template("epub/cover.xhtml").render(meta=meta)))
    spine.append(add("titlepage.xhtml", meta["title"],
                     env.get_template("epub/titlepage.xhtml").render(meta=meta, labels=labels), "frontmatter"))
    nav_at = len(spine)
    page_hrefs: list[tuple[int, str]] = []
    titles = {x.chapter.id: x.chapter.title for x in results}
    locate = (lambda root: indexpages.by_page(root, pagemap["anchors"])) if pagemap else \
        (lambda root: indexpages.by_chapter(root, lambda h: h.split(".xhtml")[0] if ".xhtml" in h else "",
                                            lambda c: titles.get(c, "")))
    markers = page_markers(pagemap, [r.chapter.id for r in results], [item.id for kind, item in items if kind == "part"])
    for kind, item in items:
        chapters = item.chapters if kind == "part" else [item]
        if kind == "part":
            numbers = [n for _, ns in markers.get(item.id, []) for n in ns]
            page_hrefs.extend((n, f"{item.id}.xhtml#page-{n}") for n in numbers)
            spine.append(add(f"{item.id}.xhtml", item.title, env.get_template("epub/part.xhtml").render(
                part=item, labels=labels, roman=roman, pagebreak=markup(_pagebreak_markup(numbers, labels)))))
        for r in chapters:
            placed = markers.get(r.chapter.id, [])
            page_hrefs.extend((n, f"{r.chapter.id}.xhtml#page-{n}") for _, ns in placed for n in ns)
            part_title = book.parts[r.chapter.part] if r.chapter.part is not None else None
            text, opening = chapter_body(r, placed, labels, locate)
            body = env.get_template("epub/chapter.xhtml").render(
                chapter=r.chapter, title_html=markup(to_xhtml(r.chapter.title_html)),
                subtitle_html=markup(to_xhtml(r.chapter.subtitle_html)), labels=labels, part_title=part_title,
                body=markup(text), pagebreak=markup(_pagebreak_markup(sorted(opening), labels)))
            kind = "backmatter" if r.chapter.generated else "bodymatter"  # the bibliography and the index
            spine.append(add(f"{r.chapter.id}.xhtml", r.chapter.title, body, kind))
    with_notes = [r for r in results if r.ctx.data.notes]
    first = results[0].chapter.id if results else "cover"
    nav = env.get_template("epub/nav.xhtml").render(
        items=items, labels=labels, roman=roman, with_notes=with_notes, first_chapter=first,
        back_matter=[r for r in results if r.chapter.generated],  # the bibliography and the index (landmarks)
        pages=sorted(page_hrefs), sections_of=lambda r: r.ctx.data.sections)
    add("nav.xhtml", labels["contents"], nav, None, ["nav"])  # the reading system's panel: every level
    contents = env.get_template("epub/contents.xhtml").render(items=items, labels=labels, roman=roman)
    spine.insert(nav_at, add("contents.xhtml", labels["contents"], contents))  # the page: parts and essays

    _fonts_and_css(eb, fonts.book_characters(book, results))
    for r in results:
        for rel in r.ctx.data.images:
            name = f"images/{Path(rel).name}" if not rel.startswith("images/") else rel
            if eb.get_item_with_href(name) is None:
                img = epub.EpubItem(uid=re.sub(r"[^A-Za-z0-9]", "-", name), file_name=name,
                                    media_type=MEDIA[Path(rel).suffix.lower()],
                                    content=_image_bytes(book.root, rel, results))
                eb.add_item(img)
    eb.spine = spine
    stamp = build_time(book)
    with atomic_file(target) as fh:
        tmp = Path(fh.name).with_suffix(".unpacked")
        epub.write_epub(str(tmp), eb, {"mtime": stamp, "epub3_pages": False, "play_order": {"enabled": False}})
        normalise_zip(tmp, fh, stamp, lang)
        tmp.unlink()


def _svg_outlined(svg: bytes) -> bytes:
    """An SVG image's text as outlines of the book's faces: an SVG shown through <img> cannot use
    the fonts the EPUB embeds (press.svgtext)."""
    return svgtext.outline(svg, fonts.faces(styles()), fonts.generic_families(styles()))


def _image_bytes(root: Path, rel: str, results) -> bytes:
    """The manuscript's image as the EPUB carries it: cleaned first (press.images, the allowlist
    that every edition's images pass), then an SVG's text drawn as outlines of the cleaned file."""
    data = images.for_edition(root, rel, results)
    return _svg_outlined(data) if Path(rel).suffix.lower() == ".svg" else data


def _accessibility(eb, labels: dict, has_images: bool, pagemap, meta: dict) -> None:
    def prop(name, value, **extra):
        eb.add_metadata(None, "meta", value, {"property": name, **extra})
    prop("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA")
    prop("a11y:certifiedBy", meta["publisher"])
    prop("schema:accessMode", "textual")
    if has_images:
        prop("schema:accessMode", "visual")
    prop("schema:accessModeSufficient", "textual")
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if pagemap:
        features += ["printPageNumbers", "pageNavigation"]
    if has_images:
        features.append("alternativeText")
    for f in features:
        prop("schema:accessibilityFeature", f)
    prop("schema:accessibilityHazard", "none")
    prop("schema:accessibilitySummary", labels["accessibility_summary"])
    if pagemap:
        prop("pageBreakSource", meta["identifier"])


def _fonts_and_css(eb, text: str) -> None:
    faces = [f for f in fonts.faces(styles()) if f.path is not None]
    face_css = fonts.font_face_css(styles(), lambda f: f"../fonts/{f.slug}.otf")
    css = "\n".join([face_css] + [(styles() / name).read_text(encoding="utf-8") for name in CSS_LAYERS])
    eb.add_item(epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css", content=css.encode()))
    licences = {}
    for f in faces:
        eb.add_item(epub.EpubItem(uid=f"font-{f.slug}", file_name=f"fonts/{f.slug}.otf", media_type="font/otf",
                                  content=fonts.subset_font(f, text)))
        licences.setdefault(f.package or slugify(f.family), fonts.licence_text(f))
    for package, licence in licences.items():
        eb.add_item(epub.EpubItem(uid=f"licence-{package}", file_name=f"fonts/{package}-LICENCE.txt",
                                  media_type="text/plain", content=licence.encode("utf-8")))


def _fix_package(data: bytes, lang: str) -> bytes:
    """What ebooklib cannot be told: the package's xml:lang, and no spine@toc without an NCX."""
    root = etree.fromstring(data)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    for spine in root.iter("{http://www.idpf.org/2007/opf}spine"):
        spine.attrib.pop("toc", None)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# Apple Books shows a book's own fonts only when the container says so (a file outside the package
# document, so not in the manifest; other reading systems ignore it).
APPLE_DISPLAY_OPTIONS = ("META-INF/com.apple.ibooks.display-options.xml", b"""\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<display_options>
  <platform name="*">
    <option name="specified-fonts">true</option>
  </platform>
</display_options>
""")


def normalise_zip(source: Path, out, stamp: dt.datetime, lang: str) -> None:
    """Rewrite ebooklib's zip reproducibly: mimetype first and stored, then META-INF (with Apple's
    display options added), the package document and everything else in name order, all with the
    same timestamp and permissions."""
    date_time = (max(stamp.year, 1980),) + stamp.timetuple()[1:6]
    added = dict([APPLE_DISPLAY_OPTIONS])
    with zipfile.ZipFile(source) as zin:
        names = zin.namelist() + [n for n in added if n not in zin.namelist()]
        order = sorted(names, key=lambda n: (n != "mimetype", not n.startswith("META-INF"), not n.endswith(".opf"), n))
        with zipfile.ZipFile(out, "w") as zout:
            for name in order:
                info = zipfile.ZipInfo(name, date_time=date_time)
                info.external_attr = 0o644 << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
                data = added[name] if name in added else zin.read(name)
                if name.endswith(".opf"):
                    data = _fix_package(data, lang)
                zout.writestr(info, data, compresslevel=9 if name != "mimetype" else None)
