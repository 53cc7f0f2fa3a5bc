"""Hostile files beyond Markdown: images, YAML, fonts and oversized text, tried as a hostile
contributor would on copies of the fixture book. Every run is a real `press` process under a
2 GiB address-space limit (RLIMIT_AS, as `ulimit -v`) and a time-out; every case ends in a built
book with nothing active left in it, or in findings naming the right file (and line), never a
traceback. `scan` parses every SVG, XHTML and HTML file the editions contain, the EPUB's members
included, and the PDFs' actions."""
from __future__ import annotations

import re
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import lxml.html
import pikepdf
import pytest
from conftest import ROOT
from lxml import etree

MEMORY = 2 << 30   # bytes of address space for the press and every process it starts
TIMEOUT = 600      # seconds for one press run (the slowest case here takes about a minute)
SVG_NS = "{http://www.w3.org/2000/svg}"


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def press_limited(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The command line under the press's promised bounds: 2 GiB of address space, a time-out."""
    proc = subprocess.run([sys.executable, "-m", "press.cli", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=_limits, timeout=TIMEOUT)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
    return proc


def build(book: Path, dist: Path) -> subprocess.CompletedProcess:
    return press_limited("build", "-m", str(book), "-d", str(dist))


def check(book: Path) -> subprocess.CompletedProcess:
    return press_limited("check", "-m", str(book), "--no-validators", "-d", str(book / "no-dist"))


def findings(proc: subprocess.CompletedProcess, code: str) -> list[str]:
    """``path:line`` of each finding with ``code`` in the output."""
    return re.findall(rf"^\s*(\S+?): {code} ", proc.stdout + proc.stderr, re.M)


# ---------------------------------------------------------------------------------------------
# What the editions may not contain


EXTERNAL = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.I)


def _svg_problems(root, name: str) -> list[str]:
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, etree._Entity):
                out.append(f"{name}: entity {el.text}")
            continue
        local = etree.QName(el).localname
        if local in ("script", "foreignObject", "image", "feImage", "set", "animate", "a", "iframe"):
            out.append(f"{name}: <{local}>")
        for attr, value in el.attrib.items():
            a = etree.QName(attr).localname
            if a.lower().startswith("on"):
                out.append(f"{name}: {a}= on <{local}>")
            if a == "href" and not value.strip().startswith("#"):
                out.append(f"{name}: href={value!r}")
            if re.search(r"url\(\s*['\"]?(?!#)", value) or "javascript" in value.lower():
                out.append(f"{name}: {a}={value!r}")
        if local == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)|javascript", el.text or "", re.I):
            out.append(f"{name}: style sheet {el.text!r}")
    return out


def _page_problems(root, name: str) -> list[str]:
    """An HTML or XHTML page: only the press's own scripts (assets/), no handlers, nothing loaded
    from outside the edition, no javascript: links."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local == "script" and not (el.get("src") or "").startswith("assets/"):
            out.append(f"{name}: <script> {el.get('src')!r}")
        if local in ("iframe", "object", "embed", "foreignObject"):
            out.append(f"{name}: <{local}>")
        if local == "svg":
            out += _svg_problems(el, name)
        for attr, value in el.attrib.items():
            a = etree.QName(attr).localname
            if a.lower().startswith("on"):
                out.append(f"{name}: {a}= on <{local}>")
            if a in ("src", "srcset", "data", "poster") and EXTERNAL.match(value):
                out.append(f"{name}: {a}={value!r}")
            if a == "href" and local in ("link", "image", "use") and EXTERNAL.match(value):
                out.append(f"{name}: {a}={value!r} on <{local}>")
            if a == "href" and value.strip().lower().startswith(("javascript:", "vbscript:", "data:")):
                out.append(f"{name}: {a}={value!r}")
            if a == "style" and re.search(r"url\(|@import|expression", value, re.I):
                out.append(f"{name}: style={value!r}")
    return out


def _parse(name: str, data: bytes):
    if name.endswith(".html"):
        return lxml.html.document_fromstring(data)
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


def scan(dist: Path) -> list[str]:
    """Every active or external thing in the editions under ``dist`` (an empty list when clean)."""
    problems, seen = [], 0
    files = [(str(p.relative_to(dist)), p.read_bytes()) for p in dist.rglob("*") if p.is_file()]
    for epub in dist.glob("*.epub"):
        with zipfile.ZipFile(epub) as z:
            files += [(f"{epub.name}!/{n}", z.read(n)) for n in z.namelist()]
    for name, data in files:
        if name.endswith((".svg", ".xhtml", ".html")):
            seen += 1
            root = _parse(name, data)
            problems += _svg_problems(root, name) if name.endswith(".svg") else _page_problems(root, name)
    for pdf in dist.glob("*.pdf"):
        seen += 1
        with pikepdf.open(pdf) as doc:
            for obj in doc.objects:
                if isinstance(obj, pikepdf.Dictionary):
                    if obj.get("/S") in (pikepdf.Name.JavaScript, pikepdf.Name.Launch, pikepdf.Name.ImportData):
                        problems.append(f"{pdf.name}: action {obj.get('/S')}")
                    uri = str(obj.get("/URI", ""))
                    if uri.lower().startswith(("javascript:", "file:", "data:")):
                        problems.append(f"{pdf.name}: link {uri!r}")
                    if "/JS" in obj or "/EmbeddedFiles" in obj:
                        problems.append(f"{pdf.name}: {'/JS' if '/JS' in obj else '/EmbeddedFiles'}")
    assert seen > 10, "the scan found no editions to read"
    return problems


EVIL_SVG = """<?xml version="1.0"?>
<!DOCTYPE svg [ <!ENTITY secret SYSTEM "file:///etc/passwd"> <!ENTITY lol "lol"> ]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 300 120"
     width="300" height="120" onload="alert('svg')">
  <script type="text/javascript">alert(document.cookie)</script>
  <style>@import url("https://evil.example/x.css"); .sea { fill: #9cc3e6; }
    .moon { background: url(https://evil.example/t.png) } .star { fill: u\\72l(https://evil.example/e) }</style>
  <text x="10" y="20">&secret; &lol;</text>
  <a xlink:href="javascript:alert('link')"><circle class="sea" cx="80" cy="60" r="40" onclick="steal()"/></a>
  <foreignObject width="100" height="50"><body xmlns="http://www.w3.org/1999/xhtml">
    <iframe src="https://evil.example/"></iframe><script>alert('fo')</script></body></foreignObject>
  <use href="https://evil.example/sprite.svg#x"/>
  <image href="data:image/svg+xml;base64,PHN2Zy8+" width="10" height="10"/>
  <image xlink:href="../../../../etc/passwd"/>
  <animate attributeName="href" to="javascript:alert('anim')"/>
  <set attributeName="onmouseover" to="alert('set')"/>
  <circle cx="250" cy="60" r="15" fill="url(https://evil.example/paint)" style="fill: #ccc; behavior: url(x.htc)"/>
</svg>
"""


# "A billion laughs": ten entities, each ten of the one before; 10^10 characters if expanded.
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY e0 "lol">\n'
          + "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">\n' for i in range(1, 10))
          + ']>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>&e9;</text>'
          '<rect width="5" height="5"/></svg>\n')


def test_svg_with_scripts_and_external_references_is_cleaned_in_every_edition(tmp_path, fixture_copy):
    (fixture_copy / "images" / "evil.svg").write_text(EVIL_SVG, encoding="utf-8")
    chapter = fixture_copy / "02-harbours.md"
    text = chapter.read_text(encoding="utf-8") + "\n![An evil figure](images/evil.svg)\n\nAgain: ![again](images/evil.svg)\n"
    chapter.write_text(text, encoding="utf-8")
    lines = [i for i, line in enumerate(text.split("\n"), 1) if "images/evil.svg" in line]
    dist = tmp_path / "dist"
    proc = build(fixture_copy, dist)
    assert proc.returncode == 0, proc.stderr
    warned = findings(proc, "IMG-005")
    assert sorted(Path(w).name for w in warned) == sorted(f"02-harbours.md:{n}" for n in lines), proc.stderr
    from press import images
    removed = "; ".join(images.check(fixture_copy / "images" / "evil.svg").removed)
    for item in ("<script> element", "event handler onload=", "<foreignObject> element", "@import in <style>",
                 "entity reference &secret;", "(href on <use>)", "<image> element", "<animate> element",
                 "<set> element", "event handler onclick=", "<a> link", "CSS property behavior", "'https://evil.example/e'"):
        assert item in removed, item
    assert removed.split("; ")[0] in proc.stderr
    assert scan(dist) == []
    cleaned = (dist / "html" / "images" / "evil.svg").read_bytes()
    assert cleaned != EVIL_SVG.encode() and b"root:" not in cleaned
    with zipfile.ZipFile(dist / "tides-and-harbours.epub") as z:
        in_epub = z.read("EPUB/images/evil.svg")
    from press.writers import epub as epub_writer
    # both e-editions carry the same cleaned file; the EPUB's with its text drawn as outlines after cleaning
    assert in_epub == epub_writer._svg_outlined(cleaned)
    root = etree.fromstring(cleaned)
    assert root.find(f".//{SVG_NS}circle") is not None  # the drawing itself survives


def _png(width: int, height: int, body: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = body if body is not None else zlib.compress(b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


USE_BOMB = ('<svg xmlns="http://www.w3.org/2000/svg"><defs><circle id="a0" r="1"/>'
            + "".join(f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, 9))
            + '</defs><use href="#a8"/></svg>')
BAD_IMAGES = {  # file → what the reason must say
    "truncated.png": (_png(60, 60)[:70], "damaged"),
    "bomb.png": (_png(100_000, 100_000, zlib.compress(b"\x00" * 1000)), "pixels"),
    "named-wrong.jpg": (_png(10, 10), "PNG file, not JPEG"),
    "broken.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><g>', "not well-formed"),
    "not-svg.svg": (b"<html><body>hi</body></html>", "not an SVG document"),
    "use-bomb.svg": (USE_BOMB.encode(), "would draw more than"),
    "laughs.svg": (LAUGHS.encode(), "entity amplification"),  # libxml2 refuses it, unexpanded
}


def test_images_that_cannot_be_used_are_reported_at_every_use(tmp_path, fixture_copy):
    uses = {}
    for i, (name, (data, _)) in enumerate(BAD_IMAGES.items()):
        (fixture_copy / "images" / name).write_bytes(data)
        chapter = fixture_copy / ("02-harbours.md" if i % 2 else "03-people.md")
        text = chapter.read_text(encoding="utf-8")
        chapter.write_text(text + f"\n![Figure {i}](images/{name})\n", encoding="utf-8")
        uses[name] = [f"{chapter.name}:{len(text.split(chr(10))) + 1}"]
    other = fixture_copy / "01-tides.md"  # the same damaged image used in a second chapter
    text = other.read_text(encoding="utf-8")
    other.write_text(text + "\n![Once more](images/truncated.png)\n", encoding="utf-8")
    uses["truncated.png"].append(f"01-tides.md:{len(text.split(chr(10))) + 1}")
    dist = tmp_path / "dist"
    proc = build(fixture_copy, dist)
    assert proc.returncode == 1
    found = re.findall(r"(\S+): IMG-006 the image 'images/(\S+)' cannot be used: (.+)$", proc.stderr, re.M)
    assert sorted((Path(w).name, n) for w, n, _ in found) == sorted((u, n) for n, us in uses.items() for u in us)
    for _, name, reason in found:
        assert BAD_IMAGES[name][1] in reason, (name, reason)
    assert not dist.exists() or not list(dist.rglob("*.svg"))


@pytest.mark.parametrize("where", ["book.yaml", "front matter", "suppressions.yaml"])
def test_yaml_alias_bomb_is_refused_at_its_line(fixture_copy, where):
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    if where == "book.yaml":
        path = fixture_copy / "book.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text + "\n".join(bomb) + "\n", encoding="utf-8")
        line = len(text.split("\n"))
    elif where == "front matter":
        path = fixture_copy / "03-people.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", "---\n" + "\n".join(bomb) + "\n", 1), encoding="utf-8")
        line = 2
    else:
        path = fixture_copy / "suppressions.yaml"
        path.write_text("\n".join(bomb) + "\nsuppress: *a9\n", encoding="utf-8")
        line = 1
    proc = check(fixture_copy)
    assert proc.returncode == 1
    assert [Path(f).name for f in findings(proc, "YAML-001")] == [f"{path.name}:{line}"], proc.stdout + proc.stderr


def test_oversized_text_is_refused_with_findings(tmp_path, fixture_copy):
    """A 10,000-row table, a note 1 MB long and text nested 3,000 deep: each refused at its
    chapter (and line), in one run, within the bounds."""
    tides, harbours, people = (fixture_copy / n for n in ("01-tides.md", "02-harbours.md", "03-people.md"))
    text = tides.read_text(encoding="utf-8")
    rows = "".join(f"| {i} | row {i} |\n" for i in range(10_000))
    tides.write_text(text + "\n| n | text |\n|---|---|\n" + rows, encoding="utf-8")
    table_line = len(text.split("\n")) + 1
    text = harbours.read_text(encoding="utf-8")
    harbours.write_text(text + "\nA long note.[^long]\n\n[^long]: " + "Word " * 200_000 + "\n", encoding="utf-8")
    note_line = len(text.split("\n")) + 3
    people.write_text(people.read_text(encoding="utf-8") + "\n" + "> " * 3000 + "deep\n", encoding="utf-8")
    proc = check(fixture_copy)
    assert proc.returncode == 1
    assert [Path(f).name for f in findings(proc, "SIZE-001")] == [f"01-tides.md:{table_line}"]
    assert [Path(f).name for f in findings(proc, "SIZE-002")] == [f"02-harbours.md:{note_line}"]
    assert [Path(f).name for f in findings(proc, "SIZE-004")] == ["03-people.md"]
    dist = tmp_path / "dist"
    proc = build(fixture_copy, dist)
    assert proc.returncode == 1 and not dist.exists()


def test_image_over_the_size_limit_is_refused_unread(tmp_path, fixture_copy):
    from press.images import MAX_RASTER_MB
    big = fixture_copy / "images" / "huge.png"
    with big.open("wb") as fh:  # a sparse file: the size is real, the disk stays empty
        fh.truncate((MAX_RASTER_MB + 1) * 1_000_000)
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![Huge](images/huge.png)\n", encoding="utf-8")
    proc = check(fixture_copy)
    assert proc.returncode == 1
    assert len(findings(proc, "IMG-006")) == 1 and f"at most {MAX_RASTER_MB} MB" in proc.stdout


def test_raw_html_cannot_load_images_or_styles(tmp_path, fixture_copy):
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text(encoding="utf-8")
                       + '\n<img src="https://evil.example/pixel.png" alt="x"> and '
                         '<span style="background:url(https://evil.example/bg.png)">styled</span>\n',
                       encoding="utf-8")
    proc = check(fixture_copy)
    assert proc.returncode == 1 and len(findings(proc, "HTML-001")) == 2
    from press.book import load_book
    from press.pipeline import process
    results, _ = process(load_book(fixture_copy))
    html = "".join(r.html for r in results)
    assert "evil.example" not in html


def test_image_that_fails_late_is_reported_where_it_is_used(tmp_path, fixture_copy):
    """An image damaged after the check (between the filters and the writers): each edition stops
    with IMG-006 at the chapter line that uses it and the reason — not WeasyPrint's 'Failed to
    load image' against book.yaml with an empty reason."""
    from press.book import load_book
    from press.pipeline import process
    from press.rules import ManuscriptError
    from press.writers import epub, html, pdf
    book = load_book(fixture_copy)
    results, findings = process(book)
    assert findings == []
    (fixture_copy / "images" / "tide.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><g>', encoding="utf-8")
    line = next(i for i, t in enumerate((fixture_copy / "01-tides.md").read_text().split("\n"), 1) if "tide.svg" in t)
    for write in (lambda: pdf.write(book, results, {"screen": tmp_path / "a.pdf"}),
                  lambda: epub.write(book, results, tmp_path / "a.epub"),
                  lambda: html.write(book, results, tmp_path / "html", [])):
        with pytest.raises(ManuscriptError) as caught:
            write()
        assert [(Path(f.path).name, f.line, f.code) for f in caught.value.findings] == [("01-tides.md", line, "IMG-006")]
        assert "images/tide.svg" in caught.value.findings[0].message
        assert "not well-formed XML" in caught.value.findings[0].message
    assert not list(tmp_path.glob("a.*")) and not (tmp_path / "html").exists()
