"""The rules about limits and fonts that a small case folder cannot show (files too large to keep
in the repository, fonts the machine must find, a layout that runs out of memory): each fires
once, at the right file (and line), and an input just inside the limit does not."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE, ROOT, press
from fontTools.ttLib import TTFont
from test_rules import CASES_DIR, covers, where

from press import fonts
from press.check import collect
from press.rules import ManuscriptError


@pytest.fixture
def case(tmp_path, monkeypatch) -> Path:
    """A clean one-chapter Dutch manuscript (the SPELL-001 case with its one misspelling fixed)."""
    work = tmp_path / "case"
    shutil.copytree(CASES_DIR / "IMG-001", work, ignore=shutil.ignore_patterns("expected.txt"))
    chapter = work / "01-hoofdstuk.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("\n![Een cirkel](images/weg.svg)\n", ""),
                       encoding="utf-8")
    monkeypatch.chdir(work)
    assert collect(Path("."), None) == []
    return work


@covers("SIZE-002")
def test_note_too_long(case):
    from press.filters.limits import MAX_NOTE_KB
    chapter = case / "01-hoofdstuk.md"
    text = chapter.read_text(encoding="utf-8")
    words = "het weer en de zee " * (MAX_NOTE_KB * 1000 // 19)
    chapter.write_text(text + "\nEen noot.[^1]\n\n[^1]: " + words + "\n", encoding="utf-8")
    assert collect(Path("."), None) == []  # just inside the limit
    chapter.write_text(text + "\nEen noot.[^1]\n\n[^1]: " + words + "de zee " * 20 + "\n", encoding="utf-8")
    found = collect(Path("."), None)
    assert [where(f) for f in found] == [f"01-hoofdstuk.md:{len(text.split(chr(10))) + 3}: SIZE-002"]
    assert f"at most {MAX_NOTE_KB} kB" in found[0].message and "[^1]" in found[0].message


@covers("SIZE-003")
def test_book_too_large(case):
    from press.pipeline import MAX_BOOK_MB
    paragraph = "Dit is een korte tekst over het weer en de zee.\n\n"
    for n, name in ((2, "tweede"), (3, "derde")):
        (case / f"0{n}-{name}.md").write_text(
            f"---\ntitle: Hoofdstuk {n}\n---\n\n" + paragraph * (MAX_BOOK_MB * 1_000_000 // len(paragraph) // 2),
            encoding="utf-8")
    (case / "book.yaml").write_text((case / "book.yaml").read_text(encoding="utf-8")
                                    + "  - file: 02-tweede.md\n  - file: 03-derde.md\n", encoding="utf-8")
    found = collect(Path("."), None)
    assert [where(f) for f in found] == ["book.yaml: SIZE-003"]
    assert f"at most {MAX_BOOK_MB} MB" in found[0].message


@covers("SIZE-004")
def test_text_nested_too_deeply(case):
    from press.pandoc import MAX_DEPTH
    chapter = case / "01-hoofdstuk.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + "\n" + "> " * (MAX_DEPTH - 5) + "diep\n", encoding="utf-8")
    assert collect(Path("."), None) == []
    chapter.write_text(text + "\n" + "> " * (MAX_DEPTH + 1) + "diep\n", encoding="utf-8")
    assert [where(f) for f in collect(Path("."), None)] == ["01-hoofdstuk.md: SIZE-004"]


@covers("YAML-003")
def test_a_press_yaml_file_that_is_not_yaml(case, tmp_path):
    """The press's own YAML (fonts.yaml in a designer's copy of the styles) is read with the same
    limits and reported at its line, never as a traceback."""
    import shutil
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "scripts" / "press" / "styles", styles)
    (styles / "fonts.yaml").write_text("faces:\n  - {family: [x\n", encoding="utf-8")
    proc = press("build", "-m", str(case), "-d", str(tmp_path / "d"), env={"PRESS_STYLES": str(styles)}, cwd=case)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "fonts.yaml:2: YAML-003 the file is not valid YAML" in proc.stderr, proc.stderr



def test_a_press_yaml_file_read_again_is_its_text_now_and_the_callers_own(tmp_path):
    """load_yaml_file parses a text it read before only once, but every caller gets its own data
    (changing it changes nothing for the next), and a file changed since gives its new data, even
    with the same size, and its error at its line."""
    from press.book import load_yaml_file
    f = tmp_path / "labels.yaml"
    f.write_text("a: 1\nb: [x]\n", encoding="utf-8")
    first = load_yaml_file(f)
    first["b"].append("y")
    assert load_yaml_file(f) == {"a": 1, "b": ["x"]}
    f.write_text("a: 2\nb: [x]\n", encoding="utf-8")  # the same size, written at once
    assert load_yaml_file(f) == {"a": 2, "b": ["x"]}
    f.write_text("a: 2\nb: [x\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as e:
        load_yaml_file(f)
    assert "labels.yaml:2: YAML-003 the file is not valid YAML" in str(e.value), str(e.value)


@covers("YAML-001", "YAML-002")
def test_yaml_limits_in_every_yaml_file(case):
    """Anchors and oversize are refused in suppressions.yaml too, before the file is used."""
    from press.book import MAX_YAML_KB
    (case / "suppressions.yaml").write_text("suppress:\n  - &s {code: SPELL-001, reason: ok}\n  - *s\n",
                                            encoding="utf-8")
    proc = press("check", "-m", str(case), "--no-validators", cwd=case)
    assert proc.returncode == 1 and "suppressions.yaml:2: YAML-001" in proc.stdout, proc.stdout
    (case / "suppressions.yaml").write_text("# " + "x" * MAX_YAML_KB * 1000 + "\nsuppress: []\n", encoding="utf-8")
    proc = press("check", "-m", str(case), "--no-validators", cwd=case)
    assert proc.returncode == 1 and "suppressions.yaml:1: YAML-002" in proc.stdout, proc.stdout


def _face_file() -> Path:
    return next(f.path for f in fonts.faces(ROOT / "scripts" / "press" / "styles") if f.path is not None)


@covers("FONT-001")
def test_damaged_font_is_a_finding(tmp_path, monkeypatch):
    good = _face_file()
    assert fonts.validate(good) == []
    broken = tmp_path / "Broken-Regular.otf"
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    garbage = tmp_path / "Garbage-Regular.otf"
    garbage.write_bytes(b"OTTO" + bytes(2000))
    # a table fontTools opens lazily and never reads (GPOS) overwritten: the sanitizer finds it
    damaged = tmp_path / "Damaged-Regular.otf"
    gpos = TTFont(str(good), lazy=True).reader.tables["GPOS"]
    damaged.write_bytes(data[:gpos.offset] + b"\xff" * 64 + data[gpos.offset + 64:])
    for path, reason in ((broken, "fontTools cannot read it"), (garbage, "lacks the table(s)"),
                         (damaged, "the OpenType Sanitizer says: GPOS: Bad version")):
        found = fonts.validate(path)
        assert [f.code for f in found] == ["FONT-001"] and found[0].path.endswith(path.name)
        assert reason in found[0].message
    # used by the press: the PDF writer stops with the finding, not a traceback from HarfBuzz
    from press.book import load_book
    from press.pipeline import process
    from press.writers import pdf
    installed = dict(fonts._installed())
    installed["EBGaramond12-Regular.otf"] = broken
    monkeypatch.setattr(fonts, "_installed", lambda: installed)
    book = load_book(FIXTURE)
    results, _ = process(book)
    with pytest.raises(ManuscriptError) as caught:
        pdf.write(book, results, {"screen": tmp_path / "out.pdf"})
    assert [(f.code, Path(f.path).name) for f in caught.value.findings] == [("FONT-001", "Broken-Regular.otf")]
    assert not (tmp_path / "out.pdf").exists()


def test_a_stopped_font_check_is_not_taken_for_a_damaged_font(tmp_path, monkeypatch):
    """An interrupted build stops the sanitizer with its process group: that is no verdict on the
    font, and nothing is cached that would fail the next build with FONT-001."""
    import subprocess
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    face = tmp_path / "Face-Regular.otf"
    face.write_bytes(_face_file().read_bytes())
    real = subprocess.run

    def stopped(args, **kwargs):
        return subprocess.CompletedProcess(args, -15, b"", b"")
    monkeypatch.setattr(fonts.subprocess, "run", stopped)
    with pytest.raises(InterruptedError):
        fonts.validate(face)
    monkeypatch.setattr(fonts.subprocess, "run", real)
    import ots  # a sanitizer that cannot run is the machine's fault, said as such, and no verdict either
    monkeypatch.setattr(ots, "OTS_SANITIZE", str(tmp_path / "missing" / "ots-sanitize"))
    with pytest.raises(OSError, match="OpenType Sanitizer .* cannot run.*make setup"):
        fonts.validate(face)
    monkeypatch.undo()
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    assert fonts.validate(face) == []


@covers("FONT-002")
def test_font_that_forbids_embedding(tmp_path):
    """A face whose licence bits say "restricted": found by fontconfig like any installed font,
    refused by the build with a finding naming the font file."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    font = TTFont(str(_face_file()))
    font["OS/2"].fsType = 0x0002
    font.save(str(folder / "Restricted-Regular.otf"))
    assert [f.code for f in fonts.validate(folder / "Restricted-Regular.otf")] == ["FONT-002"]
    font["OS/2"].fsType = 0x0008  # editable embedding: allowed
    font.save(str(tmp_path / "Editable-Regular.otf"))
    assert fonts.validate(tmp_path / "Editable-Regular.otf") == []
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f"<dir>{folder}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "scripts" / "press" / "styles", styles)
    spec = styles / "fonts.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("file: EBGaramond12-Regular.otf",
                                                             "file: Restricted-Regular.otf"), encoding="utf-8")
    proc = press("build", "-m", str(FIXTURE), "-d", str(tmp_path / "dist"),
                 env={"PRESS_STYLES": str(styles), "FONTCONFIG_FILE": str(conf), "PRESS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if " FONT-002 " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{folder / 'Restricted-Regular.otf'}: FONT-002"), proc.stderr
    assert "0x0002" in errors[0] and not (tmp_path / "dist").exists()


def _greedy_layout(*args, **kwargs):
    """A layout that needs a gigabyte (run in the forked worker, under the press's limit)."""
    return len(bytearray(1 << 30))


def _crashing_layout(*args, **kwargs):
    """A layout whose C library gives up on a failed allocation and aborts the process."""
    import faulthandler
    import os
    faulthandler.disable()  # pytest's crash report would only add noise
    os.abort()


@covers("PDF-004")
@pytest.mark.parametrize("layout", [_greedy_layout, _crashing_layout])
def test_layout_that_runs_out_of_memory(tmp_path, monkeypatch, layout):
    """The layout worker runs under workers.LAYOUT_MEMORY of address space; a layout that needs
    more (MemoryError) or dies of it (a C library's abort) is PDF-004, not a traceback."""
    from press import workers
    from press.book import load_book
    from press.pipeline import process
    from press.writers import pdf
    book = load_book(FIXTURE)
    results, _ = process(book)
    size = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmSize:")) * 1024
    monkeypatch.setattr(workers, "LAYOUT_MEMORY", size + (256 << 20))
    monkeypatch.setattr(pdf, "render_both", layout)
    with pytest.raises(ManuscriptError) as caught:
        pdf.write(book, results, {"screen": tmp_path / "a.pdf", "print": tmp_path / "b.pdf"}, incremental=False)
    assert [(Path(f.path).name, f.code) for f in caught.value.findings] == [("book.yaml", "PDF-004")]
    assert ("GiB of memory" if layout is _greedy_layout else "stopped") in caught.value.findings[0].message
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()


@covers("SIZE-005")
def test_images_with_too_many_pixels_in_all(case, monkeypatch):
    from PIL import Image

    from press import images
    (case / "images").mkdir()
    chapter = case / "01-hoofdstuk.md"
    for n in (1, 2):
        Image.new("RGB", (40, 30), "white").save(case / "images" / f"beeld{n}.png")
        chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n![Beeld {n}](images/beeld{n}.png)\n", encoding="utf-8")
    monkeypatch.setattr(images, "MAX_BOOK_PIXELS", 2 * 40 * 30)
    assert collect(Path("."), None) == []  # exactly the budget
    monkeypatch.setattr(images, "MAX_BOOK_PIXELS", 2 * 40 * 30 - 1)
    found = collect(Path("."), None)
    assert [where(f) for f in found] == ["book.yaml: SIZE-005"]
