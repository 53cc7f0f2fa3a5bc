"""Every character the PDFs show is drawn by the embedded font as that character: a bullet is not
a raised "A". The text a PDF gives when copied comes from its ToUnicode map, what a reader sees
from the embedded font program; ``visual.glyphs`` compares the program with the font file it was
cut from (see there). And the fonts the PDF layouts may use are the declared ones: installed faces
under the same family name (another optical size) are hidden from WeasyPrint."""
from __future__ import annotations

from pathlib import Path

import pytest

from press import STYLES, fonts
from press.writers import pdfrender as pdf_writer
from visual import glyphs

DECLARED = {f.file for f in fonts.faces(STYLES)}


@pytest.fixture(scope="module")
def built(fixture_book):
    """The fixture book; the acceptance suite runs these tests on this book (tests/acceptance)."""
    return fixture_book


@pytest.mark.parametrize("variant", ["pdf", "pdf_print"])
def test_every_glyph_is_drawn_as_its_character_from_a_declared_face(built, variant):
    assert glyphs.problems(getattr(built, variant), DECLARED) == []


def test_a_bullet_in_running_text_and_in_a_list_is_a_bullet(tmp_path):
    """A document made here with the press's fonts and styles: the bullet's glyph is the face's."""
    html = ("<html lang='en'><body><p>a • b · c – d</p><ul><li>one</li><li>two</li></ul>"
            "<p class='chapter-authors'>Ada Writer 1234</p><p><strong>bold •</strong> <em>italic •</em></p></body></html>")
    doc = pdf_writer.layout_document(html, str(tmp_path) + "/")
    out = tmp_path / "bullets.pdf"
    doc.write_pdf(out)
    assert glyphs.problems(out, DECLARED) == []
    import pikepdf
    with pikepdf.open(out) as pdf:
        used, fonts_used = glyphs.used_gids(pdf)
        shown = {ch for key, font in fonts_used.items() for g in used.get(key, ()) for ch in glyphs.to_unicode(font).get(g, "")}
    assert "•" in shown


def test_the_checker_catches_a_glyph_drawn_from_another_file(tmp_path):
    """A subset whose bullet id draws another glyph fails (the defect this guards against)."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont
    doc = pdf_writer.layout_document("<html><body><p>a • b</p></body></html>", str(tmp_path) + "/")
    good = tmp_path / "good.pdf"
    doc.write_pdf(good)
    bad = tmp_path / "bad.pdf"
    with pikepdf.open(good) as pdf:
        used, fonts_used = glyphs.used_gids(pdf)
        key, font = next((k, f) for k, f in fonts_used.items() if "•" in glyphs.to_unicode(f).values())
        bullet = next(g for g, t in glyphs.to_unicode(font).items() if t == "•")
        descriptor = font.DescendantFonts[0].FontDescriptor
        program = TTFont(io.BytesIO(descriptor.FontFile3.read_bytes()))
        order = program.getGlyphOrder()
        charstrings = program["CFF "].cff[0].CharStrings
        charstrings[order[bullet]] = charstrings["A"]   # the bullet's id now draws an "A"
        data = io.BytesIO()
        program.save(data)
        descriptor.FontFile3.write(data.getvalue())
        pdf.save(bad)
    assert glyphs.problems(good, DECLARED) == []
    assert any("'•'" in p for p in glyphs.problems(bad, DECLARED))


def test_other_files_of_a_declared_family_style_and_weight_are_masked(monkeypatch, tmp_path):
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path))
    declared = {f.file: f for f in fonts.faces(STYLES)}
    regular = declared["EBGaramond12-Regular.otf"]
    monkeypatch.setattr(fonts, "faces", lambda styles: [regular])
    monkeypatch.setattr(fonts, "_fc_entries", lambda: [
        (regular.path, ["EB Garamond", "EB Garamond 12"], "0", "80"),
        (Path("/fonts/EBGaramond08-Regular.otf"), ["EB Garamond", "EB Garamond 08"], "0", "80"),
        (Path("/fonts/EBGaramond08-Italic.otf"), ["EB Garamond", "EB Garamond 08"], "100", "80"),
        (Path("/fonts/EBGaramond-VF.ttf"), ["EB Garamond"], "0", "[40 210]"),
        (Path("/fonts/Other-Regular.otf"), ["Other"], "0", "80"),
    ])
    assert fonts.masked(STYLES) == [Path("/fonts/EBGaramond-VF.ttf"), Path("/fonts/EBGaramond08-Regular.otf")]
    conf = fonts.fontconfig_file(STYLES).read_text()
    assert "<glob>/fonts/EBGaramond08-Regular.otf</glob>" in conf and "Italic" not in conf
    assert "<include" in conf


@pytest.mark.parametrize("book", ["book", "apparatus"])
def test_the_editions_show_no_character_the_sources_and_the_press_do_not_hold(book, tmp_path, monkeypatch):
    """A build subsets the web fonts to ``fonts.source_characters`` (the book's own text and the
    characters the press writes, PRESS_CHARACTERS) before the pipeline ends; what the editions show
    must not go beyond it (notes, an index, citations, smart typography), or that early work is lost:
    the set then differs, and the subsets are made again after the pipeline."""
    from conftest import ROOT

    from press import pipeline
    from press.book import load_book
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path))
    loaded = load_book(ROOT / "tests" / "fixtures" / book)
    results, _ = pipeline.process(loaded, jobs=1)
    beyond = set(fonts.book_characters(loaded, results)) - set(fonts.source_characters(loaded))
    assert not beyond, f"add {sorted(beyond)} to fonts.PRESS_CHARACTERS (or they come from the sources)"
