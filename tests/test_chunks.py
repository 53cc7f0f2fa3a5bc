"""A clean build lays the book out in chunks, in parallel (press.writers.pdfchunks), settling page
numbers between them while they are laid out (press.weasy.chunks) and joining their PDFs
(press.weasy.splice.join). A reader must not be able to tell: each test compares the joined PDFs
with one whole layout of the same book — every page's text, boxes and rendered pixels, the
outline, the named destinations, the links, the structure tree — and the page map and EPUB."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import APPARATUS, FIXTURE, press
from test_incremental import (
    EPOCH,
    assert_same_as_whole_layout,
    edit,
    facts,
    rendered_differences,
    shareable_subsets,
    structure_problems,
)

from press.writers import pdfchunks

STYLES = Path(__file__).resolve().parents[1] / "scripts" / "press" / "styles"


def built(book: Path, dist: Path, chunks: str, jobs: int = 2, env: dict | None = None):
    proc = press("build", "-m", str(book), "-d", str(dist), "-j", str(jobs),
                 env={**EPOCH, "PRESS_CACHE": str(dist.parent / f"{dist.name}-cache"), pdfchunks.SWITCH: chunks,
                      **(env or {})})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def programs(path: Path) -> dict[str, set[bytes]]:
    """The embedded font programs of each face (BaseFont without its subset tag)."""
    out: dict[str, set[bytes]] = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.obj.get("/Resources", {}).get("/Font", {}).values():
                stream = font.DescendantFonts[0].FontDescriptor.get("/FontFile3") if "/DescendantFonts" in font else None
                if stream is not None:
                    out.setdefault(str(font.BaseFont).split("+", 1)[-1], set()).add(stream.read_bytes())
    return out


def pdfium_text(path: Path) -> list[str]:
    """Each page's text as PDFium (Chrome's PDF engine) extracts it."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(path)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def assert_same_books(chunked: Path, whole: Path) -> None:
    """WeasyPrint writes a glyph's width as rounded at the size it first drew it in that document,
    and moves the next glyph by the difference: a chunk that first meets a figure in a note call
    rather than in a folio writes another width and another offset, and draws the same page.
    pypdf guesses spaces from those offsets (one space or two); PDFium reads the same text. So
    pypdf's text is compared with runs of spaces as one, PDFium's exactly, and the pixels."""
    import re
    names = sorted(p.name for p in whole.glob("*.pdf"))
    assert len(names) == 2
    for name in names:
        a, b = facts(chunked / name), facts(whole / name)
        for key in b:
            if key == "text":
                a[key], b[key] = ([re.sub(" +", " ", t) for t in x[key]] for x in (a, b))
            assert a[key] == b[key], f"{name}: {key} differs from a whole layout"
        assert pdfium_text(chunked / name) == pdfium_text(whole / name)
        assert rendered_differences(chunked / name, whole / name) == [], f"{name}: pages look different"
        assert structure_problems(chunked / name) == []
        # one subset per face: each piece's glyphs were merged into one program (weasy.fontmerge)
        assert shareable_subsets(chunked / name) == []
        with pikepdf.open(chunked / name) as pdf:  # every link to another chunk became a named destination
            assert not [a for p in pdf.pages for a in p.obj.get("/Annots", []) if "/A" in a
                        and str(a.A.get("/URI", "")).startswith("press:")]
        # a face merged into one subset has the very program a whole layout embeds (cut from its
        # file again: press.weasy.resubset)
        mine, theirs = programs(chunked / name), programs(whole / name)
        merged = {face for face, found in mine.items() if len(found) == 1}
        assert merged and all(mine[face] == theirs.get(face) for face in merged), name
    pagemap = lambda d: json.loads((d / "reports" / "pagemap.json").read_text())  # noqa: E731
    assert pagemap(chunked) == pagemap(whole)
    epub = next(whole.glob("*.epub")).name
    assert (chunked / epub).read_bytes() == (whole / epub).read_bytes()


@pytest.mark.parametrize("source, jobs", [(FIXTURE, 2), (FIXTURE, 3), (APPARATUS, 2)],
                         ids=["book-2", "book-3", "apparatus-with-index-2"])
def test_a_book_laid_out_in_chunks_is_the_book_laid_out_whole(tmp_path, source, jobs):
    book = tmp_path / "book"
    shutil.copytree(source, book)
    proc = built(book, tmp_path / "chunked", "always", jobs)
    assert f"laid out in {jobs} chunks, in parallel" in proc.stdout
    whole = built(book, tmp_path / "whole", "off", jobs)
    assert "laid out in" not in whole.stdout
    assert_same_books(tmp_path / "chunked", tmp_path / "whole")


def test_an_edit_after_a_chunked_build_splices_into_it(tmp_path):
    """The joined PDFs are the next edit's base: the edited chapter is laid out alone and spliced
    in, which fails when anything of the chunks' own structure trees (a margin box's element
    WeasyPrint keeps out of the Document's /K) still names the replaced pages."""
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    env = {**EPOCH, "PRESS_CACHE": str(tmp_path / "cache"), pdfchunks.SWITCH: "always"}
    first = press("build", "-m", str(book), "-d", str(tmp_path / "dist"), "-j", "3", env=env)
    assert "laid out in 3 chunks" in first.stdout, first.stdout + first.stderr
    edit(book / "02-harbours.md", "The basin stays full", "The basin, as every harbour master knows, stays full")
    proc = press("build", "-m", str(book), "-d", str(tmp_path / "dist"), "-j", "3", env=env)
    assert "laid out again: harbours;" in proc.stdout, proc.stdout + proc.stderr
    assert_same_as_whole_layout(book, tmp_path)


def test_the_fixture_opens_a_chunk_inside_a_part():
    """The cases above cover a chunk that opens with a chapter of a part begun in the chunk before
    (its outline entries must go under the part's, its running head carries the part's title)."""
    from press.book import load_book
    from press.pipeline import process
    from press.writers.printhtml import book_html
    from press.writers.printstyle import stylesheet_text
    book = load_book(FIXTURE)
    html = book_html(book, process(book, jobs=1)[0])[0]
    layout = pdfchunks.plan(html, stylesheet_text(), 3, min_chars=0)
    assert layout is not None and any(c.nested is not None for c in layout.chunks[1:]), \
        "the fixture's chapters changed: choose a number of chunks that splits its part"


def test_a_running_head_set_once_carries_into_every_chunk(tmp_path):
    """A named string set once, in the front matter, and shown on every right-hand page: a chunk
    laid out alone never sets it, so it takes what the chunks before it left."""
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    with (styles / "print.css").open("a", encoding="utf-8") as css:
        css.write("\n.book-title { string-set: booktitle content(); }\n"
                  "@page :right { @bottom-right { content: string(booktitle); font-size: 7pt; } }\n")
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    env = {"PRESS_STYLES": str(styles)}
    assert "laid out in 3 chunks" in built(book, tmp_path / "chunked", "always", 3, env).stdout
    built(book, tmp_path / "whole", "off", 3, env)
    text = facts(tmp_path / "chunked" / "tides-and-harbours.pdf")["text"]
    assert sum("Tides and Harbours" in page for page in text) > 3
    assert_same_books(tmp_path / "chunked", tmp_path / "whole")


def test_page_numbers_quoted_across_chunks_settle(tmp_path):
    """The contents (first chunk) quote every chapter's page and a chapter quotes a section of a
    later one: each chunk starts with every number unknown (0) and none of them may remain."""
    book = tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    built(book, tmp_path / "chunked", "always", 3)
    pagemap = json.loads((tmp_path / "chunked" / "reports" / "pagemap.json").read_text())
    text = facts(tmp_path / "chunked" / "tides-and-harbours.pdf")["text"]
    contents = next(page for page in text if "Contents" in page)
    assert str(pagemap["anchors"]["people"]) in contents
    assert "(p. 0)" not in "".join(text) and "p. 0" not in "".join(text)


@pytest.mark.parametrize("why, css, jobs, min_chars", [
    ("one worker", "", 1, 0),
    ("a short book", "", 2, None),
    ("running elements", ".x { position: running(head) }", 2, 0),
])
def test_what_rules_chunks_out(why, css, jobs, min_chars):
    html = ("<html><head></head><body>\n" + "".join(
        f"<!-- press-unit: u{i} -->\n<article id=\"u{i}\"><p>{'word ' * 50}</p></article>\n" for i in range(4))
        + "</body></html>")
    assert pdfchunks.plan(html, css, jobs, min_chars) is None, why
    assert pdfchunks.plan(html, "", 2, 0) is not None


def test_the_switch_turns_chunks_off_and_on(monkeypatch):
    html = ("<html><head></head><body>\n" + "".join(
        f"<!-- press-unit: u{i} -->\n<article id=\"u{i}\"><p>{'word ' * 50}</p></article>\n" for i in range(4))
        + "</body></html>")
    monkeypatch.setenv(pdfchunks.SWITCH, "off")
    assert pdfchunks.plan(html, "", 2, 0) is None
    monkeypatch.setenv(pdfchunks.SWITCH, "always")
    assert pdfchunks.plan(html, "", 2) is not None  # whatever its length


def test_units_are_dealt_into_runs_of_about_equal_length():
    assert pdfchunks._deal([10, 10, 10, 10], 2) == [[0, 1], [2, 3]]
    assert pdfchunks._deal([1, 40, 10, 10, 10, 10], 2) == [[0, 1], [2, 3, 4, 5]]
    assert pdfchunks._deal([5, 5, 5], 3) == [[0], [1], [2]]
    assert pdfchunks._deal([100, 1, 1], 3) == [[0], [1], [2]]  # never an empty run
    for sizes in ([3, 1, 4, 1, 5, 9, 2, 6], [1] * 20, [50, 1, 1, 1, 50]):
        for n in (2, 3, 4):
            runs = pdfchunks._deal(sizes, n)
            assert [i for run in runs for i in run] == list(range(len(sizes))) and len(runs) == n and all(runs)


def test_chunks_that_do_not_settle_give_way_to_a_whole_layout(tmp_path, monkeypatch):
    """When the chunks' numbers keep moving (here: no second round allowed) the chunks are told
    to stop, their workers end, nothing is left behind, and the build lays the book out whole."""
    monkeypatch.setattr(pdfchunks, "ROUNDS", 0)
    from press.book import load_book
    from press.pipeline import process
    from press.writers.printhtml import book_html, literal_label_css
    from press.writers.printstyle import stylesheet_text
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    book = load_book(FIXTURE)
    results = process(book, jobs=1)[0]
    html = book_html(book, results)[0]
    layout = pdfchunks.plan(html, stylesheet_text(), 2, min_chars=0)
    temps = {"screen": tmp_path / "s.pdf", "print": tmp_path / "p.pdf"}
    ran = []
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    before = living_children()  # other tests' servers may run beside this one
    outcome = pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: ran.append(1),
                                literal_label_css(results[0].ctx.labels), scratch)
    assert outcome is None and ran == [1]
    assert not any(scratch.iterdir()) and not any(t.exists() for t in temps.values())
    assert living_children() <= before, "a chunk's worker outlived the layout"


def living_children() -> set[str]:
    """This process's children that are running (not zombies waiting to be reaped)."""
    out = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(os.getpid()) and fields[0] != "Z":
            out.add(pid)
    return out


def test_many_cores_do_not_cut_a_book_into_tiny_chunks():
    """Each chunk costs a layout's set-up (the style sheets, the fonts): a book gets no more chunks
    than it has CHUNK_CHARS of text, whatever the number of cores (unless chunks are asked for)."""
    def book(units: int, chars: int) -> str:
        unit = f"<p>{'word ' * (chars // 5)}</p>"
        return ("<html><head></head><body>\n" + "".join(
            f"<!-- press-unit: u{i} -->\n<article id=\"u{i}\">{unit}</article>\n" for i in range(units))
            + "</body></html>")
    half = book(8, pdfchunks.CHUNK_CHARS // 2)   # 4 × CHUNK_CHARS in all, above MIN_CHARS
    assert 4 * pdfchunks.CHUNK_CHARS >= pdfchunks.MIN_CHARS
    assert len(pdfchunks.plan(half, "", 64).chunks) == 4
    assert len(pdfchunks.plan(half, "", 3).chunks) == 3
    assert len(pdfchunks.plan(half, "", 64, min_chars=0).chunks) == 8  # asked for: one per unit


def broken_chunk(*args, **kwargs):
    raise ValueError("a broken chunk")


def test_a_chunk_that_fails_gives_way_to_a_whole_layout(tmp_path, monkeypatch, capfd):
    """An error in a chunk's worker is said on stderr, the other chunks are stopped, and None
    tells the caller to lay the book out whole."""
    from press.writers import pdfrender
    monkeypatch.setattr(pdfrender, "render_chunk", broken_chunk)
    from press.book import load_book
    from press.pipeline import process
    from press.writers.printhtml import book_html, literal_label_css
    from press.writers.printstyle import stylesheet_text
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    book = load_book(FIXTURE)
    results = process(book, jobs=1)[0]
    layout = pdfchunks.plan(book_html(book, results)[0], stylesheet_text(), 2, min_chars=0)
    temps = {"screen": tmp_path / "s.pdf", "print": tmp_path / "p.pdf"}
    outcome = pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: None,
                                literal_label_css(results[0].ctx.labels), tmp_path)
    assert outcome is None
    assert "laying the book out in chunks failed (ValueError: a broken chunk); laying it out whole" in capfd.readouterr().err
    assert not any(t.exists() for t in temps.values())


def chunked_layout(tmp_path, monkeypatch):
    """The fixture's print HTML planned in two chunks, with what ``lay_out`` takes besides."""
    from press.book import load_book
    from press.pipeline import process
    from press.writers.printhtml import book_html, literal_label_css
    from press.writers.printstyle import stylesheet_text
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    book = load_book(FIXTURE)
    results = process(book, jobs=1)[0]
    layout = pdfchunks.plan(book_html(book, results)[0], stylesheet_text(), 2, min_chars=0)
    temps = {"screen": tmp_path / "s.pdf", "print": tmp_path / "p.pdf"}
    return layout, temps, literal_label_css(results[0].ctx.labels)


def test_the_pages_are_told_while_a_worker_joins_the_pieces(tmp_path, monkeypatch):
    """``when_laid_out`` runs in the build's process while a worker joins the chunks' files: here it
    waits for the joined file to appear, which it could not if the join came after it."""
    import time
    layout, temps, literal_css = chunked_layout(tmp_path, monkeypatch)
    seen = []

    def when_laid_out(laid):
        deadline = time.monotonic() + 60
        while not temps["screen"].exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append((laid["pages"], temps["screen"].exists()))
    outcome = pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: None, literal_css,
                                tmp_path, when_laid_out)
    assert outcome is not None and seen == [(outcome["pages"], True)]
    with pikepdf.open(temps["print"]) as pdf:  # the printer's file was derived in the worker too
        assert len(pdf.pages) >= outcome["pages"]


def test_a_page_map_that_was_not_the_last_is_told_again(tmp_path, monkeypatch):
    """The chunks told their page map, then their join failed and the book was laid out whole: the
    last page map ``when_laid_out`` gets is the one the build returns (the EPUB is written again)."""
    from press.book import load_book
    from press.pipeline import process
    from press.writers import pdf
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(pdfchunks.SWITCH, "always")

    def joined_badly(*args):
        when_laid_out = args[-1]
        when_laid_out({"pages": 1, "anchors": {}, "starts": None})  # told, then the join fails
        return None
    monkeypatch.setattr(pdfchunks, "lay_out", joined_badly)
    book = load_book(FIXTURE)
    results = process(book, jobs=1)[0]
    told = []
    pagemap = pdf.write(book, results, {"screen": tmp_path / "s.pdf", "print": tmp_path / "p.pdf"},
                        when_laid_out=told.append)
    assert [t["pages"] for t in told] == [1, pagemap["pages"]] and pagemap["pages"] > 1
    assert told[-1] == {k: pagemap[k] for k in ("pages", "anchors", "blocks", "starts")}


@pytest.mark.parametrize("variants", [("screen", "print"), ("screen",)])
def test_a_joined_book_with_a_page_outside_its_page_tree_gives_way_to_a_whole_layout(tmp_path, monkeypatch, variants):
    """The joined file is checked for page objects outside its page tree (something of a piece's
    own tree that survived): where the printer's file is derived from it (the check reads the file
    there) and, without a printer's file, after the join. Either way the chunks give way (None)."""
    from press.weasy import splice
    real = splice._join

    def join_leaving_a_page(pdf, others, nested, files=None):
        real(pdf, others, nested, files)
        stray = dict(pdf.pages[0].obj.items())  # a copy of a page's object, outside the page tree
        pdf.Root["/Stray"] = pdf.make_indirect(pikepdf.Dictionary(stray))
    monkeypatch.setattr(splice, "_join", join_leaving_a_page)
    layout, temps, literal_css = chunked_layout(tmp_path, monkeypatch)
    temps = {v: temps[v] for v in variants}
    outcome = pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: None, literal_css,
                                tmp_path)
    assert outcome is None
    if "print" in temps:
        assert not temps["print"].exists()  # the check came before the printer's file was written


def test_faces_whose_files_cannot_be_cut_again_are_merged_program_by_program(tmp_path, monkeypatch):
    """Without the faces' files (or when a file does not give back a piece's subset), the join
    merges the pieces' programs glyph by glyph (fontTools): still one subset per face, the same pages."""
    from press import fonts
    layout, temps, literal_css = chunked_layout(tmp_path, monkeypatch)
    outcome = pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: None, literal_css,
                                tmp_path)
    assert outcome is not None
    cut = tmp_path / "cut.pdf"
    shutil.copyfile(temps["screen"], cut)
    monkeypatch.setattr(fonts, "postscript_files", lambda styles: {})  # the join's worker forks after this
    (tmp_path / "again").mkdir()
    temps = {v: tmp_path / "again" / p.name for v, p in temps.items()}
    assert pdfchunks.lay_out(layout, str(FIXTURE.resolve()) + "/", temps, b"0" * 32, lambda: None, literal_css,
                             tmp_path) is not None
    merged = programs(temps["screen"])
    assert shareable_subsets(temps["screen"]) == [] and any(len(found) == 1 for found in merged.values())
    assert merged != programs(cut)  # fontTools' programs, not HarfBuzz's
    assert rendered_differences(temps["screen"], cut) == []
