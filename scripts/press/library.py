"""The reference library and the citation style a book names (``bibliography``, ``citation-style``,
``bibliography-at`` in book.yaml), read and checked once per build before any chapter is.

Takes a :class:`press.book.Book`; returns a :class:`Library` — the files' absolute paths, every
entry's key and line, the CSL style's file (None: pandoc's built-in Chicago author-date) and a
fingerprint for the chapter cache — or raises ManuscriptError: CITE-005 (no such file), CITE-002
(an entry that does not parse, at its own line), CITE-004 (no such style). Styles by name come
from Debian's ``citation-style-language-styles`` (the CSL project's repository, installed by
set-up); a ``.csl`` file in the manuscript folder is used instead when the name ends in ``.csl``.
pandoc's citeproc carries the CSL locales itself, so the book's ``lang`` is all it needs.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .book import Book, _load_yaml, display_path, read_text
from .rules import ManuscriptError, finding

STYLES_DIR = Path("/usr/share/citation-style-language/styles")  # Debian: citation-style-language-styles
BUILTIN_STYLE = "chicago-author-date"  # pandoc's default, built in: needs no style file
BIBTEX_ENTRY = re.compile(r"^\s*@(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.M)


@dataclass
class Library:
    files: list[Path]
    style: Path | None          # None: pandoc's built-in default style
    style_name: str
    placement: str              # "chapter" or "book"
    keys: dict[str, tuple[str, int]] = field(default_factory=dict)  # key → (file as shown, line)
    fingerprint: str = ""

    def pandoc_args(self, lang: str) -> list[str]:
        args = ["--citeproc", "-M", f"lang={lang}", "-M", "link-citations=true"]
        for f in self.files:
            args += ["--bibliography", str(f)]
        if self.style is not None:
            args += ["--csl", str(self.style)]
        return args


def load(book: Book) -> Library | None:
    """The book's library, checked; None when book.yaml names no bibliography."""
    names = book.meta.get("bibliography")
    if not names:
        return None
    book_rel = display_path(book.root / "book.yaml")
    line = _line_of_key(book.root / "book.yaml", "bibliography")
    errors, files = [], []
    for name in names:
        path = book.root / name
        if not path.is_file() or book.root.resolve() not in path.resolve().parents:
            errors.append(finding("CITE-005", book_rel, line, name=name))
        else:
            files.append(path)
    style_name = book.meta.get("citation-style") or BUILTIN_STYLE
    try:  # no style named: pandoc's own copy of the default, whatever styles the machine has
        style = _style(book, style_name) if book.meta.get("citation-style") else None
    except ManuscriptError as e:
        errors += e.findings
        style = None
    keys: dict[str, tuple[str, int]] = {}
    h = hashlib.sha256(json.dumps([style_name, book.meta.get("bibliography-at", "chapter")]).encode())
    for path in files:
        try:
            for key, where in _entries(path).items():
                keys.setdefault(key, where)
        except ManuscriptError as e:
            errors += e.findings
        h.update(path.read_bytes())
    if errors:
        raise ManuscriptError(errors)
    if style is not None:
        h.update(style.read_bytes())
    return Library(files=[p.resolve() for p in files], style=style.resolve() if style else None,
                   style_name=style_name, placement=book.meta.get("bibliography-at") or "chapter",
                   keys=keys, fingerprint=h.hexdigest())


def _line_of_key(path: Path, key: str) -> int:
    for i, text in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if text.startswith(f"{key}:"):
            return i
    return 0


def _style(book: Book, name: str) -> Path | None:
    book_rel = display_path(book.root / "book.yaml")
    line = _line_of_key(book.root / "book.yaml", "citation-style")
    if name.endswith(".csl"):
        path = book.root / name
        if path.is_file() and book.root.resolve() in path.resolve().parents:
            return path
        raise ManuscriptError([finding("CITE-004", book_rel, line, name=name,
                                       hint="there is no such .csl file in the manuscript folder")])
    installed = STYLES_DIR / f"{name}.csl"
    if installed.is_file():
        return installed
    if name == BUILTIN_STYLE:
        return None
    known = sorted(p.stem for p in STYLES_DIR.glob("*.csl")) if STYLES_DIR.is_dir() else []
    if not known:
        hint = "the CSL styles are not installed: run `make setup` (Debian: citation-style-language-styles)"
    else:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
            "the names are those of the CSL styles (zotero.org/styles), such as 'apa' or 'chicago-note-bibliography'"
    raise ManuscriptError([finding("CITE-004", book_rel, line, name=name, hint=hint)])


def _entries(path: Path) -> dict[str, tuple[str, int]]:
    """Every entry's key → (file, line), or CITE-002 at the line that does not parse."""
    rel = display_path(path)
    text = read_text(path, rel)
    suffix = path.suffix.lower()
    if suffix in (".bib", ".bibtex"):
        entries = [(m.group(2), text[: m.start(2)].count("\n") + 1) for m in BIBTEX_ENTRY.finditer(text)
                   if m.group(1).lower() not in ("string", "preamble", "comment")]
        _pandoc_reads(path, rel, "biblatex" if suffix == ".bib" else "bibtex", entries)
        return {key: (rel, line) for key, line in entries}
    if suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ManuscriptError([finding("CITE-002", rel, e.lineno, detail=f"not valid JSON ({e.msg})")]) from None
    else:
        data, _ = _load_yaml(text, rel, "CITE-002")
        items = data.get("references") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        raise ManuscriptError([finding("CITE-002", rel, 1, detail="a CSL library is a list of entries, "
                                       "each with an 'id'")])
    lines = text.split("\n")
    out = {}
    for item in items:
        key = item["id"]
        at = next((n for n, s in enumerate(lines, 1) if re.search(r"\bid\b\W+" + re.escape(key) + r"\b", s)), 1)
        out[key] = (rel, at)
    return out


def _pandoc_reads(path: Path, rel: str, fmt: str, entries: list[tuple[str, int]]) -> None:
    """pandoc's own reading of a BibTeX file; a failure is reported at the entry it stopped in: the
    first whose braces do not balance (pandoc stops only where the next entry begins), else the
    entry around the line pandoc names."""
    from .pandoc import pandoc_path
    proc = subprocess.run([pandoc_path(), "-f", fmt, "-t", "csljson", str(path)], capture_output=True)
    if proc.returncode == 0:
        return
    err = proc.stderr.decode("utf-8", "replace")
    where = [int(n) for n in re.findall(r"line (\d+)", err)]
    said = [x.strip() for x in err.splitlines()[1:2] if x.strip()]
    problem = said[0] if said else "it is not complete"
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, (key, line) in enumerate(entries):
        end = entries[i + 1][1] - 1 if i + 1 < len(entries) else len(lines)
        text = "\n".join(lines[line - 1:end])
        if text.count("{") != text.count("}"):
            raise ManuscriptError([finding("CITE-002", rel, line, detail=f"the braces of the entry '{key}' do not "
                                           "pair up: an opening brace lacks its closing one, or the other way round")])
    inside = [(key, line) for key, line in entries if where and line <= where[0]]
    if inside:
        key, line = inside[-1]
        raise ManuscriptError([finding("CITE-002", rel, line, detail=f"the entry '{key}' does not parse ({problem}): "
                                       "check its quotes, commas and '=' signs")])
    raise ManuscriptError([finding("CITE-002", rel, where[0] if where else 0, detail=problem)])
