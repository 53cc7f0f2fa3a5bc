"""What reading systems (Apple Books, and the WebKit readers of its family) need from the EPUB,
read from the built file: the display options that let Apple Books use the book's fonts; style
rules for dark themes; text in SVG figures drawn with the faces the EPUB embeds; an in-book
contents page of parts and chapters beside a navigation document of every level; headings kept
with their text and titles not hyphenated; no spaced hyphen left as a dash. How they look and
measure in WebKit itself: tests/test_webkit.py."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import lxml.html
import pytest
import tinycss2
from conftest import NS
from fontTools.ttLib import TTFont
from lxml import etree

from press import svgtext
from press.fonts import Face

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
DARK_SIGNALS = ['@media (prefers-color-scheme: dark)', ':root[__ibooks_internal_theme*="Night"]',
                ':root[__ibooks_internal_theme*="Gray"]', ':root[style*="readium-night-on"]']
ACCENTED = [".sidebar > h2", ".sidebar > h3", ".sidebar > h4", ".sidebar > h5", ".sidebar .boxed", "span.pending"]


def _css(built) -> str:
    with zipfile.ZipFile(built.epub) as z:
        return z.read("EPUB/css/book.css").decode("utf-8")


def rules(css: str) -> list[tuple[str, str, dict[str, str]]]:
    """(media condition or "", one selector, declarations) for every rule of a style sheet."""
    out = []

    def walk(nodes, media):
        for node in nodes:
            if node.type == "at-rule" and node.lower_at_keyword == "media" and node.content is not None:
                walk(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True),
                     " ".join(tinycss2.serialize(node.prelude).split()))
            elif node.type == "qualified-rule":
                decls = {d.lower_name: " ".join(tinycss2.serialize(d.value).split())
                         for d in tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
                         if d.type == "declaration"}
                for selector in tinycss2.serialize(node.prelude).split(","):
                    out.append((media, " ".join(selector.split()), decls))
    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), "")
    return out


def test_apple_books_display_options_say_specified_fonts(fixture_book):
    """Apple Books shows a book's embedded fonts only with this file; it lives in META-INF, outside
    the package (EPUBCheck passes: test_epub.py)."""
    name = "META-INF/com.apple.ibooks.display-options.xml"
    assert name in fixture_book.epub_names()
    options = fixture_book.epub_xml(name)
    assert options.tag == "display_options"
    assert options.xpath("platform[@name='*']/option[@name='specified-fonts']/text()") == ["true"]
    opf = fixture_book.epub_xml("EPUB/content.opf")
    assert not [h for h in opf.xpath("//opf:item/@href", namespaces=NS) if "com.apple" in h]


@pytest.mark.parametrize("signal", DARK_SIGNALS)
def test_dark_themes_reset_the_accent_colours(fixture_book, signal):
    """Each way a reading system says it is dark gives box titles and pending markers the
    reader's text colour, and muted text its full strength."""
    found = {}
    for media, selector, decls in rules(_css(fixture_book)):
        if signal.startswith("@media") and media == signal.removeprefix("@media ") and "color" in decls:
            found[selector] = decls["color"]
        elif selector.startswith(signal + " ") and "color" in decls:
            found[selector.removeprefix(signal + " ")] = decls["color"]
    assert {s: found.get(s) for s in ACCENTED} == {s: "inherit" for s in ACCENTED}


def test_headings_keep_with_their_text_and_titles_do_not_hyphenate(fixture_book):
    declared: dict[str, dict] = {}
    for media, selector, decls in rules(_css(fixture_book)):
        if not media:
            declared.setdefault(selector, {}).update(decls)
    for h in ("h2", "h3", "h4"):
        assert {k: declared[h].get(k) for k in ("break-after", "page-break-after", "-webkit-column-break-after")} \
            == dict.fromkeys(("break-after", "page-break-after", "-webkit-column-break-after"), "avoid")
        assert declared[h]["-webkit-column-break-inside"] == "avoid"
        after = declared[f"{h}::after"]  # WebKit's columns ignore break-after: room for the next lines
        assert after["display"] == "block" and after["height"] == after["margin-bottom"].lstrip("-")
    for selector in (".chapter-title", ".chapter-subtitle", ".pullquote", ".part-heading", ".book-title"):
        assert declared[selector]["hyphens"] == declared[selector]["-webkit-hyphens"] == "none", selector


# ---------------------------------------------------------------------------------------------
# Text in SVG figures


def _embedded_faces(built, dest: Path) -> list[Face]:
    """The @font-face rules of the EPUB's style sheet, each with its font file from the EPUB."""
    faces = []
    with zipfile.ZipFile(built.epub) as z:
        for rule in re.findall(r"@font-face\s*\{([^}]*)\}", _css(built)):
            family = re.search(r'font-family:\s*"([^"]+)"', rule).group(1)
            style = re.search(r"font-style:\s*(\w+)", rule).group(1)
            weight = int(re.search(r"font-weight:\s*(\d+)", rule).group(1))
            src = re.search(r'url\("\.\./([^"]+)"\)', rule).group(1)
            path = dest / Path(src).name
            path.write_bytes(z.read(f"EPUB/{src}"))
            faces.append(Face(family, style, weight, path.name, "", path))
    return faces


def _font_families(text, root) -> list[str]:
    for el in [text, *text.iterancestors()]:
        value = el.get("font-family") or (re.search(r"font-family:\s*([^;]+)", el.get("style") or "") or [None, None])[1]
        if value:
            return [f.strip().strip("\"'") for f in value.split(",")]
    return ["serif"]


def test_svg_text_is_drawn_with_the_faces_the_epub_embeds(fixture_book, tmp_path):
    """An SVG shown through <img> cannot reach the EPUB's fonts, so its text becomes outlines.
    Every text of the manuscript's figure resolves, by its font-family, to a face the EPUB embeds
    (with every character in the subset), and the figure in the EPUB holds exactly the outlines
    that face draws; no text is left that names a font the SVG does not carry itself."""
    faces = _embedded_faces(fixture_book, tmp_path)
    generic = {"serif": "EB Garamond", "sans-serif": "Inter", "default": "EB Garamond"}
    svgs = [n for n in fixture_book.epub_names() if n.endswith(".svg")]
    assert "EPUB/images/tide.svg" in svgs and "EPUB/images/cover.svg" in svgs
    with zipfile.ZipFile(fixture_book.epub) as z:
        for name in svgs:  # what is left as text must name a font embedded in the SVG itself
            root = etree.fromstring(z.read(name))
            own = " ".join(s.text or "" for s in root.iter(f"{SVG}style"))
            for text in root.iter(f"{SVG}text"):
                families = _font_families(text, root)
                assert any(re.search(rf"@font-face\s*{{[^}}]*{re.escape(f)}[^}}]*data:", own) for f in families), \
                    (name, families, "".join(text.itertext()))
        built = z.read("EPUB/images/tide.svg")
    source = (fixture_book.manuscript / "images" / "tide.svg").read_bytes()
    texts = list(etree.fromstring(source).iter(f"{SVG}text"))
    for text in texts:
        face = svgtext.pick_face(faces, svgtext._style(text), generic)
        assert face.family in _font_families(text, None), (face.family, _font_families(text, None))
        cmap = TTFont(io.BytesIO(face.path.read_bytes())).getBestCmap()
        assert all(ord(c) in cmap for c in "".join(text.itertext()).strip()), "".join(text.itertext())
    outlines = etree.fromstring(built).xpath("//svg:g[contains(@class, 'press-text')]", namespaces={"svg": SVG[1:-1]})
    assert len(outlines) == len(texts) == 2
    assert svgtext.outline(source, faces, generic) == built  # drawn by the embedded faces, glyph for glyph


def test_outlines_follow_family_weight_anchor_and_tspans(tmp_path):
    """The conversion itself: the first family the book has wins, bold takes the bold face, an
    anchor in the middle centres the text, tspans start new chunks, paint stays on the paths."""
    from press import STYLES, fonts
    faces = fonts.faces(STYLES)
    generic = fonts.generic_families(STYLES)
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" font-family="Nope, Inter">'
           b'<text x="100" y="40" text-anchor="middle" font-size="20" fill="#123456" class="label">Hi</text>'
           b'<text x="10" y="80" font-weight="bold" font-size="20">A<tspan x="150" fill="red">B</tspan></text>'
           b'<text x="0" y="0"><textPath href="#p">kept</textPath></text></svg>')
    out = etree.fromstring(svgtext.outline(svg, faces, generic))
    groups = out.findall(f"{SVG}g")
    assert [g.get("class") for g in groups] == ["press-text label", "press-text"]
    assert groups[0].get("fill") == "#123456" and groups[0].get("text-anchor") is None
    xs = [float(v) for v in re.findall(r"[ML](-?[\d.]+)", groups[0][0].get("d"))]
    assert abs((min(xs) + max(xs)) / 2 - 100) < 3  # centred on x=100
    first, second = groups[1]
    assert second.get("fill") == "red" and min(float(v) for v in re.findall(r"[ML](-?[\d.]+)", second.get("d"))) >= 150
    assert [t.xpath("string()") for t in out.iter(f"{SVG}text")] == ["kept"]  # a text path stays text
    bold = svgtext.pick_face(faces, svgtext._style(etree.fromstring(svg)[1]), generic)
    assert (bold.family, bold.weight) == ("Inter", 700)


# ---------------------------------------------------------------------------------------------
# Contents


def _depth(ol, level=1) -> int:
    inner = ol.xpath("x:li/x:ol", namespaces=NS)
    return max([level] + [_depth(o, level + 1) for o in inner])


def test_the_contents_page_lists_parts_and_chapters_the_nav_every_level(fixture_book):
    opf = fixture_book.epub_xml("EPUB/content.opf")
    spine = [opf.xpath(f"//opf:item[@id='{i}']/@href", namespaces=NS)[0]
             for i in opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)]
    assert spine[:4] == ["cover.xhtml", "titlepage.xhtml", "contents.xhtml", "preface.xhtml"]
    assert "nav.xhtml" not in spine  # the navigation document serves the reading system's panel
    page = fixture_book.epub_xml("EPUB/contents.xhtml")
    lists = page.xpath("//x:nav[@role='doc-toc']/x:ol", namespaces=NS)
    assert len(lists) == 1 and _depth(lists[0]) == 2
    entries = [(len(a.xpath("ancestor::x:ol", namespaces=NS)), " ".join(a.xpath("string()").split()))
               for a in lists[0].xpath(".//x:a", namespaces=NS)]
    assert entries == [(1, "Preface"), (1, "Part I Water"), (2, "Tides Ada Writer"),
                       (2, "Harbours Ben Editor and Ada Writer"), (1, "The people")]
    part = page.xpath("//x:li[@class='contents-part']/x:a/x:span[@class='contents-part-number']", namespaces=NS)
    assert [p.text for p in part] == ["Part I"]  # a part is marked as one, apart from its title
    nav = fixture_book.epub_xml("EPUB/nav.xhtml")
    toc = nav.xpath("//x:nav[@epub:type='toc']/x:ol", namespaces=NS)[0]
    assert _depth(toc) == 4  # part › chapter › section › subsection
    assert "Gates and basins" in toc.xpath("string()") and "Gates and basins" not in lists[0].xpath("string()")
    assert nav.xpath("//x:nav[@epub:type='landmarks']//x:a[@epub:type='toc']/@href", namespaces=NS) == ["contents.xhtml"]


# ---------------------------------------------------------------------------------------------
# Dashes


def spaced_hyphens(epub: Path) -> list[str]:
    """Every hyphen between spaces in the EPUB's text, with some context."""
    found = []
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                body = etree.fromstring(z.read(name)).find("{http://www.w3.org/1999/xhtml}body")
                text = "".join(body.itertext())
                found += [f"{name}: …{text[max(0, m.start() - 30):m.end() + 30]}…"
                          for m in re.finditer(r"(?<=\s)-(?=\s)", text)]
    return found


def test_no_spaced_hyphen_is_left_as_a_dash(fixture_book):
    assert spaced_hyphens(fixture_book.epub) == []


def test_a_spaced_hyphen_would_be_found(tmp_path):
    """The search above finds what TEXT-002 reports (a hyphen between spaces), and only that."""
    epub = tmp_path / "t.epub"
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr("EPUB/a.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>de gemeente - als laag -'
                   '\nkan</p><p>een woord-met-streepjes en een\u00a0– streep</p></body></html>')
    assert len(spaced_hyphens(epub)) == 2


def _texts(built) -> dict[str, str]:
    """The body text of every XHTML file of the EPUB and every page of the HTML edition."""
    out = {}
    with zipfile.ZipFile(built.epub) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                out[name] = "".join(etree.fromstring(z.read(name)).find(f"{XHTML}body").itertext())
    for page in sorted(built.html.glob("*.html")):
        body = lxml.html.fromstring(page.read_bytes()).find("body")
        out[f"html/{page.name}"] = "".join(body.itertext())
    return out
