"""Hostile and damaged Word documents: whatever an author's .docx holds — a zip bomb, a huge
file, XML that is not well-formed or expands entities, a damaged or oversized picture, anything
at all — ``press import`` answers with a coded finding that names the file, exits 1, writes
nothing, and never shows a traceback."""
from __future__ import annotations

import hashlib
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import press
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from worddoc import AuthorDocument, png

from press.rules import ManuscriptError
from press.word import package
from press.word.importer import import_docx


def base_docx(path: Path, picture: bytes | None = None) -> Path:
    d = AuthorDocument("en-GB")
    d.styled("Lighthouses", "Title")
    d.paragraph("The keeper climbs the stairs.")
    if picture is not None:
        d.picture(picture, alt="The lamp.", caption="The lamp room")
    return d.save(path)


def rewritten(source: Path, target: Path, replace: dict[str, bytes] | None = None,
              add: dict[str, bytes] | None = None, method=zipfile.ZIP_DEFLATED) -> Path:
    """A copy of the package with parts replaced or added."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", method) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return target


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(manuscript: Path, docx: Path) -> list[str]:
    """The import run as an editor runs it: the findings it prints (``file: CODE``), after
    checking that it failed cleanly and left the manuscript as it was."""
    before = snapshot(manuscript)
    proc = press("import", str(docx), "-m", str(manuscript))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Error:" not in proc.stderr, proc.stderr
    assert "nothing was written" in proc.stderr
    assert snapshot(manuscript) == before
    return [f"{m.group(1)}: {m.group(2)}" for m in re.finditer(r"^(.*?): ([A-Z]+-\d{3}) ", proc.stderr, re.M)]


def test_a_file_over_the_size_limit_is_refused_unread(fixture_copy, tmp_path):
    huge = tmp_path / "huge.docx"
    with huge.open("wb") as fh:  # sparse: the size is real, the disk is not used
        fh.truncate(package.MAX_DOCX_MB * 1_000_000 + 1)
    found = refused(fixture_copy, huge)
    assert found == [f"{huge}: WORD-009"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(fixture_copy, tmp_path):
    source = base_docx(tmp_path / "source.docx")
    bomb = rewritten(source, tmp_path / "bomb.docx", add={"word/media/zeros.bin": bytes(64_000_000)})
    with zipfile.ZipFile(bomb) as z:
        assert z.getinfo("word/media/zeros.bin").compress_size < 100_000  # 64 MB in under 100 kB
    proc = press("import", str(bomb), "-m", str(fixture_copy))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{bomb}: WORD-009" in proc.stderr and "zip bomb" in proc.stderr
    assert "word/media/zeros.bin" in proc.stderr


def test_a_package_unpacking_beyond_the_limit_is_refused(fixture_copy, tmp_path, monkeypatch):
    source = base_docx(tmp_path / "source.docx")
    stored = rewritten(source, tmp_path / "big.docx", add={"word/media/noise.bin": bytes(3_000_000)},
                       method=zipfile.ZIP_STORED)  # stored: no ratio to catch, only the total
    monkeypatch.setattr(package, "MAX_UNPACKED_MB", 2)
    with pytest.raises(ManuscriptError) as caught:
        import_docx(stored, fixture_copy)
    [f] = caught.value.findings
    assert (f.code, f.path) == ("WORD-009", str(stored)) and "at most 2 MB" in f.message


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The package with ``name``'s unpacked size written as ``size`` in both of its headers."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if out[name_at:name_at + len(encoded)] == encoded:
                out[at + offset:at + offset + 4] = struct.pack("<I", size)
            at = out.find(signature, at + 4)
    return bytes(out)


def test_a_directory_that_understates_a_part_is_a_damaged_file(fixture_copy, tmp_path):
    source = base_docx(tmp_path / "source.docx")
    packed = rewritten(source, tmp_path / "packed.docx", add={"word/media/data.bin": bytes(20_000_000)})
    liar = tmp_path / "liar.docx"
    liar.write_bytes(_lie_about_size(packed.read_bytes(), "word/media/data.bin", 1000))
    with zipfile.ZipFile(liar) as z:
        assert z.getinfo("word/media/data.bin").file_size == 1000
    assert refused(fixture_copy, liar) == [f"{liar}: WORD-006"]


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>
<w:t>&lol9; &xxe;</w:t></w:r></w:p></w:body></w:document>"""


@pytest.mark.parametrize("part", ["word/document.xml", "docProps/core.xml", "word/_rels/document.xml.rels"])
def test_entity_declarations_are_refused_in_every_part(fixture_copy, tmp_path, part):
    source = base_docx(tmp_path / "source.docx")
    hostile = rewritten(source, tmp_path / "entities.docx", replace={part: ENTITY_BOMB})
    with pytest.raises(ManuscriptError) as caught:
        import_docx(hostile, fixture_copy)
    [f] = caught.value.findings
    assert (f.code, f.path) == ("WORD-006", str(hostile))
    assert f"its part {part} declares a DTD or entities" in f.message and "passwd" not in f.message


@pytest.mark.parametrize("part, data, says", [
    ("word/document.xml", b"<w:document xmlns:w='x'><w:body><w:p></w:document>", "not well-formed XML"),
    ("word/styles.xml", b"\x00\xff garbage", "not well-formed XML"),
    ("docProps/core.xml", b"<?xml version='1.0'?><cp:coreProperties", "not well-formed XML"),
    ("word/document.xml", b"<?xml version='1.0'?><other/>", "has no body"),
    ("word/document.xml", b"<a>" * 300 + b"</a>" * 300, "not well-formed XML"),  # deeper than libxml2 allows
])
def test_malformed_xml_names_the_part(fixture_copy, tmp_path, part, data, says):
    source = base_docx(tmp_path / "source.docx")
    broken = rewritten(source, tmp_path / "broken.docx", replace={part: data})
    with pytest.raises(ManuscriptError) as caught:
        import_docx(broken, fixture_copy)
    [f] = caught.value.findings
    assert (f.code, f.path) == ("WORD-006", str(broken)) and says in f.message and part in f.message


def test_not_a_zip_and_not_a_word_package(fixture_copy, tmp_path):
    text = tmp_path / "letter.docx"
    text.write_text("Dear editor, this is plain text with a .docx name.\n")
    assert refused(fixture_copy, text) == [f"{text}: WORD-006"]
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("content.xml", "<office/>")  # an OpenDocument file, say
    assert refused(fixture_copy, other) == [f"{other}: WORD-006"]


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says ``width`` × ``height`` and whose pixels are one compressed row."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("picture, says", [
    (png()[:60] + b"\0" * 200, "damaged"),                    # a PNG cut off and padded
    (_png_claiming(60_000, 60_000), "pixels"),                # a decompression bomb by its header
])
def test_a_picture_no_edition_could_use_stops_the_import(fixture_copy, tmp_path, picture, says):
    docx = base_docx(tmp_path / "pictures.docx", picture=png())
    with zipfile.ZipFile(docx) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    broken = rewritten(docx, tmp_path / "bad-picture.docx", replace={media[0]: picture})
    before = snapshot(fixture_copy)
    with pytest.raises(ManuscriptError) as caught:
        import_docx(broken, fixture_copy)
    [f] = caught.value.findings
    assert (f.code, f.path) == ("IMG-006", str(broken)) and says in f.message
    assert media[0].removeprefix("word/") in f.message
    assert snapshot(fixture_copy) == before
    proc = press("import", str(broken), "-m", str(fixture_copy))
    assert proc.returncode == 1 and f"{broken}: IMG-006" in proc.stderr and "Traceback" not in proc.stderr


def test_a_good_picture_still_comes_in(fixture_copy, tmp_path):
    """The checks refuse only what no edition could use: the same document with its picture intact
    imports (the cases above fail for the picture, not for the document)."""
    docx = base_docx(tmp_path / "pictures.docx", picture=png())
    path, placed, counts = import_docx(docx, fixture_copy)
    assert counts.get("figures") == 1 and (fixture_copy / "images" / f"{path.stem[3:]}-1.png").read_bytes() == png()


@pytest.fixture(scope="module")
def sound_docx(tmp_path_factory) -> bytes:
    return base_docx(tmp_path_factory.mktemp("sound") / "sound.docx", picture=png()).read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.floats(0.05, 1)))
def test_any_damage_is_a_finding_never_a_traceback(sound_docx, fixture_copy, tmp_path, flips, cut):
    data = bytearray(sound_docx)
    for where, value in flips:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[:int(cut * len(data))]
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(bytes(data))
    manuscript = tmp_path / "m"
    if not manuscript.exists():
        shutil.copytree(fixture_copy, manuscript)
    try:
        path, _, _ = import_docx(damaged, manuscript)
    except ManuscriptError as e:
        assert e.findings and all(f.path == str(damaged) for f in e.findings), [str(f) for f in e.findings]
        return
    path.unlink()  # a flip that zip and XML forgive: imported; clean up for the next example
    for p in (manuscript / "images").glob(f"{path.stem[3:]}-*"):
        p.unlink()
    (manuscript / "book.yaml").write_bytes((fixture_copy / "book.yaml").read_bytes())


def _custom_properties(**values: str) -> bytes:
    props = "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name="{name}">'
                    f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
                    for i, (name, value) in enumerate(values.items(), 2))
    return ('<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
            '2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"{props}</Properties>").encode()


YAML_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"


@pytest.mark.parametrize("front_matter, code", [
    (YAML_BOMB, "YAML-001"),                       # aliases: refused before anything is built
    ("title: [unclosed\n", "WORD-006"),            # not YAML at all
    ("k: " + "[" * 50 + "]" * 50 + "\n", "YAML-002"),  # nested past the press's YAML limit
])
def test_the_front_matter_property_is_read_as_yaml_from_outside(fixture_copy, tmp_path, front_matter, code):
    """A review copy's front matter travels in a document property; an edited or made-up one is
    read with the press's YAML limits and reported about the document, at no line of it."""
    source = base_docx(tmp_path / "source.docx")
    hostile = rewritten(source, tmp_path / "props.docx",
                        add={"docProps/custom.xml": _custom_properties(**{"press-front-matter": front_matter})})
    with pytest.raises(ManuscriptError) as caught:
        import_docx(hostile, fixture_copy)
    [f] = caught.value.findings
    assert (f.path, f.line, f.code) == (str(hostile), 0, code)
