"""After an edit the print edition lays out again only the units the edit touched (pdfunits) and
splices them into the last build's PDFs (press.weasy.splice). What a reader gets must not depend on it:
each test compares the spliced PDFs with a whole layout of the same edited book — every page's
text and boxes, the outline, the named destinations, the links, and every page's rendered pixels
(a shared font subset whose glyph id drew another glyph of the same width and text would pass
every other comparison) — and checks the structure tree."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import APPARATUS, FIXTURE, outline, press
from pypdf import PdfReader

import visual
from press import render
from press.writers import pdfunits

SLUG = "tides-and-harbours"
EPOCH = {"SOURCE_DATE_EPOCH": "1714521600"}


def facts(path: Path) -> dict:
    """What a reader of the PDF meets, page by page."""
    r = PdfReader(path)
    links = []
    for i, page in enumerate(r.pages):
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            uri = a["/A"].get("/URI") if a.get("/A") else None
            links.append((i, str(a.get("/Dest")), str(uri), str(a.get("/Contents"))))
    return {"pages": len(r.pages), "text": [p.extract_text() for p in r.pages], "outline": outline(r),
            "dests": {k: r.get_destination_page_number(v) for k, v in r.named_destinations.items()},
            "links": links, "boxes": [(list(map(float, p.mediabox)), list(map(float, p.trimbox))) for p in r.pages]}


def rendered_differences(a: Path, b: Path, dpi: float = 60) -> list[int]:
    """Pages (1-based) whose rendering by PDFium differs between two PDFs beyond anti-aliasing noise."""
    count = render.page_count(a)
    assert count == render.page_count(b)
    numbers = list(range(1, count + 1))
    return [n for n, x, y in zip(numbers, render.pages(a, numbers, dpi), render.pages(b, numbers, dpi))
            if x.size != y.size or visual.changed_mask(x, y).getbbox() is not None]


def shareable_subsets(path: Path) -> list[str]:
    """Font subsets that a larger subset of the same face in the file could replace (it has every
    glyph they show, with the same width and text): a spliced unit that brought its own copy for
    nothing. A unit that shows a glyph the book's subset lacks (a page number's figure no page had,
    a width WeasyPrint rounded otherwise) keeps its own."""
    from press.weasy.fontmerge import _face
    from visual import glyphs
    with pikepdf.open(path) as pdf:
        used, fonts = glyphs.used_gids(pdf)
        faces = {key: _face(font) for key, font in fonts.items()}
        out = []
        for key, font in fonts.items():
            name, mine = str(font.BaseFont).split("+", 1)[-1], faces[key]
            for other, other_font in fonts.items():
                theirs = faces[other]
                if other == key or mine is None or theirs is None or str(other_font.BaseFont).split("+", 1)[-1] != name:
                    continue
                if len(theirs.text) >= len(mine.text) and all(
                        theirs.widths.get(g) == mine.widths.get(g) and theirs.text.get(g) == mine.text.get(g)
                        for g in used.get(key, ())):
                    out.append(f"{font.BaseFont} {key} could share {other_font.BaseFont} {other}")
                    break
        return out


def structure_problems(path: Path) -> list[str]:
    """The file passes qpdf's check; every marked-content id reaches its element through the parent
    tree, every link annotation its Link element; no page object outside the page tree."""
    problems = []
    with pikepdf.open(path) as pdf:
        problems += pdf.check_pdf_syntax()  # qpdf's own check of the file
        pages = [p.obj for p in pdf.pages]
        kept = sum(1 for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Page")
        if kept != len(pages):
            problems.append(f"{kept - len(pages)} page object(s) outside the page tree")
        if "/StructTreeRoot" not in pdf.Root:
            return problems
        tree = {int(k): v for k, v in pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items()}
        if [int(p.StructParents) for p in pages] != list(range(len(pages))):
            problems.append("pages are not numbered 0…n-1 in the parent tree")

        def walk(elem):
            kids = elem.K if isinstance(elem.K, pikepdf.Array) else [elem.K]
            for kid in kids:
                if isinstance(kid, int):
                    if tree[int(elem.Pg.StructParents)][int(kid)].objgen != elem.objgen:
                        problems.append(f"MCID {kid} on a page maps to another element")
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    if tree[int(kid.Obj.StructParent)].objgen != elem.objgen:
                        problems.append("a link annotation maps to another element")
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
                    if kid.P.objgen != elem.objgen:
                        problems.append("an element's /P is not its parent")
                    walk(kid)
        walk(pdf.Root.StructTreeRoot.K[0])
    return problems


def build(book: Path, dist: Path, cache: Path, *extra: str):
    proc = press("build", "-m", str(book), "-d", str(dist), *extra, env={**EPOCH, "PRESS_CACHE": str(cache)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture
def book(tmp_path) -> Path:
    dest = tmp_path / "book"
    shutil.copytree(FIXTURE, dest)
    build(dest, tmp_path / "dist", tmp_path / "cache")
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_same_as_whole_layout(book: Path, tmp_path: Path, slug: str = SLUG) -> None:
    whole = tmp_path / "whole"
    build(book, whole, tmp_path / "whole-cache")
    for name in (f"{slug}.pdf", f"{slug}-print.pdf"):
        spliced, reference = facts(tmp_path / "dist" / name), facts(whole / name)
        for key in reference:
            assert spliced[key] == reference[key], f"{name}: {key} differs from a whole layout"
        assert rendered_differences(tmp_path / "dist" / name, whole / name) == [], f"{name}: pages look different"
        assert structure_problems(tmp_path / "dist" / name) == []
        # the spliced chapters share the book's font subsets instead of bringing their own
        assert shareable_subsets(tmp_path / "dist" / name) == []
    pagemap = lambda d: json.loads((d / "reports" / "pagemap.json").read_text())  # noqa: E731
    assert pagemap(tmp_path / "dist") == pagemap(whole)
    assert (tmp_path / "dist" / f"{slug}.epub").read_bytes() == (whole / f"{slug}.epub").read_bytes()


def test_pixels_tell_a_glyph_id_that_draws_another_glyph(book, tmp_path):
    """A font subset whose glyph for "e" draws an "o" keeps the text and the boxes: only the
    rendered pages show it, so the comparison with a whole layout renders them."""
    import io

    from fontTools.ttLib import TTFont
    good = tmp_path / "dist" / f"{SLUG}.pdf"
    bad = tmp_path / "tampered.pdf"
    with pikepdf.open(good) as pdf:
        font = next(f for p in pdf.pages for f in p.Resources.get("/Font", {}).values()
                    if str(f.BaseFont).endswith("+EB-Garamond"))
        descriptor = font.DescendantFonts[0].FontDescriptor
        program = TTFont(io.BytesIO(descriptor.FontFile3.read_bytes()))
        charstrings = program["CFF "].cff[0].CharStrings
        charstrings["e"] = charstrings["o"]
        data = io.BytesIO()
        program.save(data)
        descriptor.FontFile3.write(data.getvalue())
        pdf.save(bad)
    assert facts(bad) == facts(good)
    assert rendered_differences(bad, good)


@pytest.mark.parametrize("file, old, new, unit", [
    ("02-harbours.md", "The basin stays full", "The basin, as every harbour master knows, stays full", "harbours"),
    ("03-people.md", "More at", "More about the book at", "people"),  # the last unit: no blank page after it
])
def test_a_sentence_added_to_a_chapter_lays_out_that_chapter_only(book, tmp_path, file, old, new, unit):
    edit(book / file, old, new)
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    assert f"laid out again: {unit};" in proc.stdout
    assert_same_as_whole_layout(book, tmp_path)


def test_a_chapter_that_links_forward_is_laid_out_alone_with_the_right_page_numbers(book, tmp_path):
    edit(book / "01-tides.md", "The pull of the moon is the main cause", "The pull of the moon is, in the end, the main cause")
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    assert "laid out again: tides;" in proc.stdout
    assert_same_as_whole_layout(book, tmp_path)
    with pikepdf.open(tmp_path / "dist" / f"{SLUG}.pdf") as pdf:  # links to other units are named destinations
        uris = [str(a.A.URI) for p in pdf.pages for a in p.obj.get("/Annots", []) if "/A" in a]
        assert not [u for u in uris if u.startswith("press:")]


def test_two_edits_in_a_row_splice_into_a_spliced_book(book, tmp_path):
    edit(book / "02-harbours.md", "The basin stays full", "The basin stays quite full")
    build(book, tmp_path / "dist", tmp_path / "cache")
    edit(book / "01-tides.md", "The pull of the moon", "The steady pull of the moon")
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    assert "laid out again: tides;" in proc.stdout
    assert_same_as_whole_layout(book, tmp_path)


def test_an_edit_that_moves_index_marks_lays_out_its_chapter_and_the_index(tmp_path):
    """The index quotes the page of every mark: when an edit moves marks to other pages, the index
    is laid out again with the new numbers, as the last unit, and the rest of the book is kept."""
    book = tmp_path / "book"
    shutil.copytree(APPARATUS, book)
    build(book, tmp_path / "dist", tmp_path / "cache")
    pagemap = lambda: json.loads((tmp_path / "dist" / "reports" / "pagemap.json").read_text())  # noqa: E731
    before = pagemap()
    edit(book / "01-boards.md", "The [harbour boards]{.index} were founded",
         "A new sentence stands here. " * 16 + "The [harbour boards]{.index} were founded")
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    after = pagemap()
    assert before["pages"] == after["pages"] and after["anchors"]["boards-idx-2"] == before["anchors"]["boards-idx-2"] + 1, \
        "the fixture's layout changed: choose a number of sentences that moves a mark by a page"
    assert "laid out again: boards, book-index;" in proc.stdout
    assert_same_as_whole_layout(book, tmp_path, "harbour-law")


def test_an_edit_that_adds_pages_lays_out_the_whole_book(book, tmp_path):
    paragraph = "The tide turned again, and the quay filled with boats and voices. " * 12
    edit(book / "02-harbours.md", "The basin stays full", "\n\n".join([paragraph] * 8) + "\n\nThe basin stays full")
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    assert "laid out again" not in proc.stdout
    assert_same_as_whole_layout(book, tmp_path)


def test_force_lays_out_the_whole_book(book, tmp_path):
    edit(book / "02-harbours.md", "The basin stays full", "The basin stays full, always")
    proc = build(book, tmp_path / "dist", tmp_path / "cache", "--force")
    assert "laid out again" not in proc.stdout


def test_a_style_that_would_lay_a_unit_out_differently_rules_it_out():
    assert pdfunits.layout_key("<head>", "</html>", "p { color: red }", ["screen", "print"]) is not None
    for css in ("figure { counter-increment: fig }", "@page :first { margin: 0 }",
                "@page { @bottom-right { content: counter(pages) } }", "a::after { content: target-text(attr(href)) }"):
        assert pdfunits.layout_key("<head>", "</html>", css, ["screen", "print"]) is None
    a = pdfunits.layout_key("<head>", "</html>", "p { color: red }", ["screen", "print"])
    assert a != pdfunits.layout_key("<head>", "</html>", "p { color: blue }", ["screen", "print"])


HTML = ("<html><head></head><body>\n<!-- press-unit: front -->\n<nav><a href=\"#one\">1</a></nav>\n"
        "<!-- press-unit: one -->\n<article id=\"one\"><p id=\"a\">See <a href=\"#b\">b</a></p></article>\n"
        "<!-- press-unit: two -->\n<article id=\"two\"><p id=\"b\">B</p></article>\n</body></html>")


def test_a_moved_anchor_marks_the_units_that_quote_its_page_stale():
    record = {"key": "k", "pages": 9, "anchors": {"one": 3, "a": 3, "two": 7, "b": 7}, "margins": [""] * 9, "starts": {},
              "units": [{"id": "front", "key": "", "first": 1, "pages": 2, "refs": {"one": 3}},
                        {"id": "one", "key": "", "first": 3, "pages": 4, "refs": {"b": 7}},
                        {"id": "two", "key": "", "first": 7, "pages": 3, "refs": {}}]}
    for i, (_, body) in enumerate(pdfunits.split(HTML)[1]):
        record["units"][i]["key"] = pdfunits._sha(body)
    edited = HTML.replace('<p id="b">B</p>', '<p>New</p><p id="b">B</p>')
    plan = pdfunits.Plan(edited, record, "k")
    assert plan.ok and plan.dirty == {2}
    html = plan.html_of(1, "")
    assert 'href="press:b" data-page="7"' in html and "counter-reset: page 3" in html
    assert plan.accept(2, 3, {"two": 1, "b": 2}, ["", "", ""])   # b moved to the unit's second page
    assert plan.stale() == {1}                      # so chapter one's "(p. 7)" must become 8
    assert not plan.accept(2, 4, {"two": 1, "b": 2}, [""] * 4)  # a longer unit moves every later page
    assert not plan.accept(2, 3, {"two": 1, "b": 2}, ["", "Two", ""])  # a running head changed


def test_the_front_matter_or_half_the_book_changed_means_a_whole_layout():
    record = {"key": "k", "pages": 9, "anchors": {}, "margins": [""] * 9, "starts": {}, "units": [
        {"id": uid, "key": pdfunits._sha(body), "first": 1, "pages": 1, "refs": {}}
        for uid, body in pdfunits.split(HTML)[1]]}
    assert pdfunits.Plan(HTML, record, "k").ok
    assert not pdfunits.Plan(HTML.replace("<nav>", "<nav class='x'>"), record, "k").ok
    assert not pdfunits.Plan(HTML.replace(">B<", ">C<").replace("See", "Look"), record, "k").ok
    assert not pdfunits.Plan(HTML, record, "other stylesheets").ok


FILLER = "The harbour master walks the quay at dawn and counts the boats that came in with the night tide. "


def _harbours_with_keepers(book: Path, sentences: int) -> None:
    """Harbours grows a section "Lock keepers" after ``sentences`` sentences of filler, and the
    tides chapter (earlier in the book) quotes its page."""
    text = (FIXTURE / "02-harbours.md").read_text(encoding="utf-8")
    extra = "\n\n".join([FILLER * 6] * 4) + "\n\n" + FILLER * sentences + \
        "\n\n## Lock keepers {#harbours-keepers}\n\nThe keepers open the gates.\n\n"
    (book / "02-harbours.md").write_text(text.replace("[^1]: Some harbours", extra + "[^1]: Some harbours"),
                                         encoding="utf-8")
    tides = (FIXTURE / "01-tides.md").read_text(encoding="utf-8")
    (book / "01-tides.md").write_text(tides.replace(
        "and its [section on locks](#harbours-locks).",
        "and its [section on locks](#harbours-locks) and the [keepers](#harbours-keepers)."), encoding="utf-8")


def test_a_section_that_moves_a_page_lays_out_the_chapters_that_quote_it(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    _harbours_with_keepers(book, 20)
    build(book, tmp_path / "dist", tmp_path / "cache")
    before = json.loads((tmp_path / "dist" / "reports" / "pagemap.json").read_text())
    _harbours_with_keepers(book, 21)  # one sentence more: the section starts a page later
    proc = build(book, tmp_path / "dist", tmp_path / "cache")
    after = json.loads((tmp_path / "dist" / "reports" / "pagemap.json").read_text())
    assert before["pages"] == after["pages"] and \
        after["anchors"]["harbours-keepers"] == before["anchors"]["harbours-keepers"] + 1, \
        "the fixture's layout changed: choose filler counts that move the section by a page"
    assert "laid out again: tides, harbours;" in proc.stdout  # tides showed the old page number
    assert_same_as_whole_layout(book, tmp_path)


def test_a_running_head_carried_in_from_the_front_matter_means_a_whole_layout(book, tmp_path):
    """A string set once in the front matter and shown on every page: an essay laid out alone
    would lose it, so its heads differ from the book's and the whole book is laid out."""
    styles = tmp_path / "styles"
    shutil.copytree(Path(__file__).resolve().parents[1] / "scripts" / "press" / "styles", styles)
    with (styles / "print.css").open("a", encoding="utf-8") as css:
        css.write("\n.book-title { string-set: booktitle content(); }\n"
                  "@page :right { @bottom-right { content: string(booktitle); font-size: 7pt; } }\n")
    env = {**EPOCH, "PRESS_STYLES": str(styles)}

    def run(dist: str, cache: str):
        proc = press("build", "-m", str(book), "-d", str(tmp_path / dist), env={**env, "PRESS_CACHE": str(tmp_path / cache)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc
    run("dist", "cache")  # the styles changed: a whole layout, recorded
    edit(book / "02-harbours.md", "The basin stays full", "The basin stays full, always")
    proc = run("dist", "cache")
    assert "laid out again" not in proc.stdout
    run("whole", "whole-cache")
    text = facts(tmp_path / "dist" / f"{SLUG}.pdf")["text"]
    assert text == facts(tmp_path / "whole" / f"{SLUG}.pdf")["text"]
    assert sum("Tides and Harbours" in page for page in text) > 3  # the head is on the essays' pages


def test_the_splice_reads_each_fonts_text_from_its_tounicode_cmap(fixture_book):
    """The splice shares a unit's font with the book's only where both map each glyph to the same
    text: every letter a page shows must be among the texts read from that page's fonts' CMaps."""
    from press.weasy.fontmerge import _face
    reader, letters = PdfReader(fixture_book.pdf), set()
    with pikepdf.open(fixture_book.pdf) as pdf:
        for number in range(min(12, len(pdf.pages))):
            fonts = pdf.pages[number].Resources.get("/Font", pikepdf.Dictionary()).values()
            read = {bytes.fromhex(t).decode("utf-16-be") for f in fonts if (face := _face(f)) for t in face.text.values()}
            shown = set(reader.pages[number].extract_text()) - set(" \n\t")
            assert shown <= set("".join(read)), (number + 1, shown - set("".join(read)))
            letters |= shown
    assert len(letters) > 30  # the pages read show text

def test_layouts_leave_no_copies_of_the_fonts_in_the_temporary_folder(tmp_path):
    """WeasyPrint copies the @font-face files into a ``weasyprint-*`` folder per layout and removes
    it only when its configuration is collected, which a worker ending with ``os._exit`` never
    does: a whole layout and a spliced one must both leave the temporary folder as they found it."""
    dest, temp = tmp_path / "book", tmp_path / "tmp"
    shutil.copytree(FIXTURE, dest)
    temp.mkdir()
    env = {**EPOCH, "PRESS_CACHE": str(tmp_path / "cache"), "TMPDIR": str(temp)}
    for n in range(2):
        if n:
            edit(dest / "02-harbours.md", "The basin stays full", "The basin, as every harbour master knows, stays full")
        proc = press("build", "-m", str(dest), "-d", str(tmp_path / "dist"), "--only", "pdf", env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert sorted(p.name for p in temp.iterdir()) == []
    assert "laid out again: harbours;" in proc.stdout
