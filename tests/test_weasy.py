"""WeasyPrint's internals are used only through ``press.weasy``, only with the WeasyPrint version it
was written for, and never needed for correct editions: a build of the fixture book with the
adapter switched off (``PRESS_WEASYPRINT_INTERNALS=off``, as when another version is installed)
gives the same PDFs — pages, text, links, the contents' page numbers — and an EPUB page-list whose
markers stand at the start of each page's first block."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
import test_print
from conftest import FIXTURE, NS, ROOT, Built, press
from pages import page_words
from pypdf import PdfReader

from press import weasy

SAY = "not using WeasyPrint's internals"


@pytest.fixture
def fresh():
    weasy.reset()
    yield
    weasy.reset()


def test_written_for_the_pinned_version():
    pinned = re.search(r"^weasyprint==(\S+)", (ROOT / "requirements.lock").read_text(), re.M).group(1)
    assert weasy.WRITTEN_FOR == pinned


def test_another_version_or_the_switch_turns_the_internals_off_and_says_so_once(fresh, monkeypatch, capsys):
    assert weasy.internals() is True
    assert SAY not in capsys.readouterr().err
    weasy.reset()
    monkeypatch.setattr(weasy.metadata, "version", lambda name: "71.0")
    assert weasy.internals() is False and weasy.internals() is False
    err = capsys.readouterr().err
    assert err.count(SAY) == 1 and "WeasyPrint 71.0 is installed" in err
    monkeypatch.undo()
    weasy.reset()
    monkeypatch.setenv(weasy.SWITCH, "off")
    assert weasy.internals() is False and not weasy.can_splice()


def test_callers_take_their_fallback_without_the_internals(fresh, monkeypatch, tmp_path):
    from press import proofs
    from press.writers import pagestarts, pdfrender
    doc = pdfrender.layout_document("<html lang='en'><body><p id='a'>one two</p></body></html>", str(tmp_path) + "/")
    assert weasy.margins(doc) is not None and pagestarts.first_words(doc)["1"]["word"] == "one"
    assert proofs.read_lines(doc)[0][0].text == "one two"
    monkeypatch.setenv(weasy.SWITCH, "off")
    weasy.reset()
    assert weasy.pages(doc) is None and weasy.margins(doc) is None
    assert pagestarts.first_words(doc) is None
    assert proofs.read_lines(doc) == ([], [])


def _texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _links(path: Path) -> list[list[str]]:
    """Per page, each link annotation's target: a named destination or a URI."""
    with pikepdf.open(path) as pdf:
        out = []
        for page in pdf.pages:
            targets = []
            for a in page.obj.get("/Annots", []):
                if a.get("/Subtype") != "/Link":
                    continue
                action = a.get("/A")
                targets.append(str(action.URI) if action is not None and "/URI" in action else str(a.get("/Dest", action)))
            out.append(targets)
        return out


def test_a_build_without_the_internals_gives_correct_editions(fixture_book, tmp_path):
    dist = tmp_path / "dist"
    proc = press("build", "-m", str(FIXTURE), "-d", str(dist), "--force",
                 env={"SOURCE_DATE_EPOCH": "1714521600", weasy.SWITCH: "off"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(SAY) == 1  # said once, not once per worker
    for name in (fixture_book.pdf.name, fixture_book.pdf_print.name):
        old, new = fixture_book.dist / name, dist / name
        assert len(PdfReader(new).pages) == len(PdfReader(old).pages), name
        assert _texts(new) == _texts(old), name
        assert _links(new) == _links(old), name
    old_map = json.loads((fixture_book.dist / "reports" / "pagemap.json").read_text())
    new_map = json.loads((dist / "reports" / "pagemap.json").read_text())
    assert new_map["anchors"] == old_map["anchors"]
    without = Built(FIXTURE, dist, fixture_book.slug)
    # the contents' printed page numbers are the chapters' real start pages
    test_print.test_contents_page_numbers_are_the_real_start_pages(without)
    # the EPUB's page-list still names every page with text after the contents, in order, each
    # at a page-break marker (at the start of a block: without the internals there are no words)
    nav = without.epub_xml("EPUB/nav.xhtml")
    entries = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    numbers = [int(a.text) for a in entries]
    reader = PdfReader(without.pdf)
    with_text = [n for n in range(new_map["anchors"]["toc"] + 1, len(reader.pages) + 1)
                 if page_words(reader, n)]
    assert numbers == sorted(numbers) and set(with_text) <= set(numbers)
    for a in entries:
        name, frag = a.get("href").split("#")
        span = without.epub_xml(f"EPUB/{name}").xpath(f"//*[@id='{frag}']")[0]
        assert span.get("role") == "doc-pagebreak" and span.get("aria-label") == f"Page {a.text}"


def test_no_private_weasyprint_attribute_outside_the_adapter():
    found = subprocess.run(["grep", "-rn", r"_page_box\|formatting_structure\|\._folder", "scripts/press"],
                           cwd=ROOT, capture_output=True, text=True, check=False).stdout.splitlines()
    assert [line for line in found if not line.startswith("scripts/press/weasy/")] == [], sys.version


def test_page_references_are_kept_until_a_page_is_added():
    """pydyf builds the references of every page each time WeasyPrint reads them; the press keeps
    them between reads (weasy.quicker_page_references), and a page added since must be among them."""
    import pydyf
    weasy.quicker_page_references()
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert first is pdf.page_references and len(first) == 3  # kept: the same tuple
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    refs = pdf.page_references
    assert len(refs) == 4 and refs[:3] == first
    kids = pdf.pages["Kids"]
    assert refs == tuple(f"{n} 0 R".encode() for n in kids[::3])  # what pydyf's own property gives


MARKS = """
import sys
sys.path.insert(0, "scripts")
import weasyprint
from press import weasy
if sys.argv[1] == "quicker":
    weasy.quicker_crop_marks()
page = "<p>x</p><p style='break-before:page'>y</p>"
svg = ("data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
       "<rect width='5' height='5'/></svg>")
html = ("<style>@page { size: 100mm 150mm; bleed: 6mm; marks: crop cross } @page wide { size: 200mm 150mm }"
        "@page plain { marks: crop } .w { page: wide } .p { page: plain }</style>" + page * 4
        + "<p class=w>wide</p><p class=p>crop only</p>" + page * 2
        + f"<img src=\\"{svg}\\"><div style=\\"height: 20px; background: url(&quot;{svg}&quot;) no-repeat\\">b</div>")
sys.stdout.buffer.write(weasyprint.HTML(string=html).write_pdf(pdf_identifier=b"0" * 16))
"""


def test_crop_marks_drawn_once_a_size_give_the_same_pdf():
    """press.weasy.quicker_crop_marks gives the pages' crop marks (of several page sizes, with and
    without crosses, beside other SVG images) WeasyPrint's own drawing, byte for byte; each page
    still has its marks' group (a PDF without the marks would differ from WeasyPrint's)."""
    def pdf(how):
        return subprocess.run([sys.executable, "-c", MARKS, how], cwd=ROOT, capture_output=True, check=True).stdout
    import io
    plain, quicker = pdf("plain"), pdf("quicker")
    assert plain == quicker
    pages = pikepdf.open(io.BytesIO(quicker)).pages
    assert len(pages) > 8 and len({float(page.MediaBox[2]) for page in pages}) == 2  # two page sizes
    for page in pages:
        assert any(b"re" not in x.read_bytes() and x.read_bytes().count(b" l") >= 8 for x in page.Resources.XObject.values())


LIBRARIES = """
import ctypes.util, json, re, sys
sys.path.insert(0, "scripts")
asked = []
original = ctypes.util.find_library
ctypes.util.find_library = lambda name: asked.append(name) or original(name)
if sys.argv[1] == "press":
    from press import weasy
    weasy.load()
else:
    import weasyprint
maps = open("/proc/self/maps").read()
names = "gobject|pango|pangoft2|harfbuzz|harfbuzz-subset|fontconfig"
loaded = sorted(set(re.findall(rf"\\S*/lib(?:{names})[-.\\w]*\\.so[.\\d]*", maps)))
print(json.dumps({"asked": len(asked), "loaded": loaded}))
"""


def test_weasyprint_loads_the_same_libraries_without_searching_for_them():
    """press.weasy.load imports WeasyPrint without find_library (ldconfig, gcc and ld run for each
    name it tries) and ends with the same libraries loaded as WeasyPrint's own import."""
    def run(how):
        out = subprocess.run([sys.executable, "-c", LIBRARIES, how], cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    own, press_ = run("own"), run("press")
    assert own["asked"] > 0 and press_["asked"] == 0
    assert len(own["loaded"]) >= 6 and press_["loaded"] == own["loaded"], (own, press_)


def test_a_face_is_cut_from_its_file_as_weasyprint_cuts_it(tmp_path):
    """press.weasy.resubset gives back, for the glyphs a document draws, the very subset WeasyPrint
    embedded (the join relies on it to merge the chunks' subsets of a face), and nothing for a
    glyph id the face does not have."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont

    from press import STYLES, fonts
    from press.weasy import fontmerge
    from press.weasy.resubset import Subsetter
    from press.writers import pdfrender
    doc = pdfrender.layout_document('<html lang="nl"><body><h1>Het gat</h1><p>tussen <em>denken</em> en '
                                    '<strong>doen</strong>, 1234.</p></body></html>', "file:///", "screen")
    out = tmp_path / "x.pdf"
    doc.write_pdf(out)
    files = fonts.postscript_files(STYLES)
    checked = 0
    with pikepdf.open(out) as pdf:
        for font in pdf.pages[0].obj.Resources.Font.values():
            face = fontmerge._face(font)
            program = font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()
            cutter = Subsetter(files[TTFont(io.BytesIO(program), lazy=True)["name"].getDebugName(6)])
            assert cutter.subset(set(face.text) | set(face.widths)) == program
            assert cutter.subset({cutter.glyphs}) is None
            checked += 1
    assert checked >= 2
