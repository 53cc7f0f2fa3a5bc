"""The round trip manuscript → Word → manuscript: a chapter's text in a canonical form, to compare
an original with its import word for word.

Both files are read by pandoc as the press reads them; the form keeps every word, note, sidebar,
pull quote, quotation, emphasis, language mark, link, page reference, pending mark, author query,
heading (level and explicit id), figure (caption, alt text, id and the picture's bytes) and table
cell, and the title, subtitle, authors and other front matter. It ignores what Word cannot keep and
the reader never sees: line wrapping of the source, a table's column widths and alignment, a
picture's file name (its content counts), the quoting style of YAML."""
from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import panflute as pf
import yaml

from press import pandoc
from press.book import load_book, load_chapter
from press.word import WRITER, bookyaml, run_pandoc, to_markdown


def canonical(path: Path) -> str:
    ch = load_chapter(path, None)
    doc = pf.load(io.StringIO(json.dumps(pandoc.markdown_to_ast(ch.source, ch.rel))))
    meta = doc.metadata.content
    title = list(meta["title"].content) if "title" in meta else []
    subtitle = list(meta["subtitle"].content) if "subtitle" in meta else []
    blocks = list(doc.content)
    if blocks and isinstance(blocks[0], pf.Header) and blocks[0].level == 1:  # the title in the body
        title = list(blocks.pop(0).content)
        if blocks and isinstance(blocks[0], pf.Header) and "subtitle" in blocks[0].classes:
            subtitle = list(blocks.pop(0).content)
    doc.content = blocks
    root = path.parent

    def normal(elem, doc):
        if isinstance(elem, pf.SoftBreak):
            return pf.Space()
        if isinstance(elem, pf.Image):
            data = (root / elem.url).read_bytes() if (root / elem.url).is_file() else b"missing " + elem.url.encode()
            elem.url = "sha256:" + hashlib.sha256(data).hexdigest()[:16]
            for key in ("width", "height"):
                elem.attributes.pop(key, None)
        if isinstance(elem, pf.Table):
            elem.colspec = [("AlignDefault", "ColWidthDefault") for _ in elem.colspec]
        return None

    doc = doc.walk(normal)
    buf = io.StringIO()
    pf.dump(doc, buf)
    body = run_pandoc(["-f", "json", *WRITER], buf.getvalue().encode("utf-8"), ch.rel).decode("utf-8")
    head = {"title": to_markdown([pf.Plain(*title)], ch.rel).strip(),
            "subtitle": to_markdown([pf.Plain(*subtitle)], ch.rel).strip() if subtitle else None, "authors": ch.authors,
            **{k: v for k, v in ch.meta.items() if k not in ("title", "subtitle", "author", "authors")}}
    return yaml.safe_dump(head, allow_unicode=True, sort_keys=True) + "\n" + body


def with_chapter(manuscript: Path, dest: Path, name: str, text: str) -> Path:
    """A copy of ``manuscript`` at ``dest`` with a chapter ``name`` (``text``) added at the end of
    its book.yaml, as an editor adds one."""
    shutil.copytree(manuscript, dest)
    (dest / name).write_text(text, encoding="utf-8")
    listing = dest / "book.yaml"
    listing.write_text(bookyaml.insert(listing.read_text(encoding="utf-8"), name), encoding="utf-8")
    return dest


def without(manuscript: Path, dest: Path, name: str) -> Path:
    """A copy of ``manuscript`` at ``dest`` without the chapter ``name`` (file and listing)."""
    shutil.copytree(manuscript, dest)
    (dest / name).unlink()
    data = yaml.safe_load((dest / "book.yaml").read_text(encoding="utf-8"))
    contents = []
    for item in data["contents"]:
        if isinstance(item, dict) and "files" in item:
            item["files"] = [f for f in item["files"] if f != name]
            if item["files"]:
                contents.append(item)
        elif not (isinstance(item, dict) and item.get("file") == name) and item != name:
            contents.append(item)
    data["contents"] = contents
    (dest / "book.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert name not in bookyaml.listed(data)
    return dest


def roundtrip(manuscript: Path, dist: Path, work: Path, only: list[str] | None = None) -> list[str]:
    """Import every essay's review document (``DIST/docx/<id>.docx``, from ``press docx``) into a
    copy of the book without that essay, as an editor would (``press import``); the new chapter
    must equal the original in canonical form. Returns the ids of the essays compared."""
    book = load_book(manuscript)
    essays = [ch for ch in book.chapters if ch.authors and (only is None or ch.id in only)]
    assert essays
    root = Path(__file__).resolve().parents[1]
    for ch in essays:
        copy = without(manuscript, work / ch.id, ch.path.name)
        proc = subprocess.run([sys.executable, "-m", "press.cli", "import", str(dist / "docx" / f"{ch.id}.docx"),
                               "-m", str(copy), "--name", ch.path.name], cwd=root, capture_output=True, text=True,
                              env=dict(os.environ))
        assert (copy / ch.path.name).is_file(), proc.stdout + proc.stderr
        original, imported = canonical(ch.path), canonical(copy / ch.path.name)
        assert imported == original, "".join(difflib.unified_diff(
            original.splitlines(True), imported.splitlines(True), f"{ch.rel}", f"{ch.id}.docx → import"))
    return [ch.id for ch in essays]
