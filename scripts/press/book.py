"""The book as the manuscript describes it: ``book.yaml`` plus the chapter files it lists.

Takes a manuscript folder; returns a :class:`Book` (metadata, parts, chapters in reading order,
each with its front matter and Markdown body) or raises :class:`ManuscriptError` naming the file
and line of every contract violation found. Nothing here runs pandoc.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import schema, yamlerrors
from .rules import ManuscriptError, finding

REQUIRED = tuple(schema.BOOK["required"])
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
NOT_CHAPTERS = {"EDITORIAL.md", "README.md"}
TITLE_HEADING = re.compile(r"\A\s*# +(.+?)\s*$", re.M)
ROLES = schema.ROLES  # contributor role word → MARC relator code


@dataclass
class Chapter:
    path: Path          # the chapter file
    rel: str            # its path as the editor sees it (relative to the working folder if possible)
    id: str
    title: str
    subtitle: str | None
    authors: list[str]
    part: int | None    # index into Book.parts, or None outside parts
    body: str           # Markdown after the front matter
    body_line: int      # line number of the body's first line in the file
    meta: dict = field(default_factory=dict)
    source: str = ""    # the whole file, front matter included (pandoc reads the title from it)
    title_html: str = ""     # title and subtitle as HTML, set by the pipeline (titles may carry
    subtitle_html: str = ""  # markup such as [a phrase]{lang=en})
    generated: str = ""      # back matter the press writes: "bibliography" or "index" (no file of its own)
    contributors: list[dict] = field(default_factory=list)  # {"name", "role": MARC relator code}, in order
    first_published: str | None = None  # where the chapter first appeared, e.g. "Digicampus, 2020"


@dataclass
class Book:
    root: Path
    meta: dict
    parts: list[str]
    chapters: list[Chapter]
    library: object = None  # press.library.Library when book.yaml names a bibliography (set by the pipeline)

    @property
    def lang(self) -> str:
        return self.meta["lang"]

    @property
    def slug(self) -> str:
        return self.meta.get("slug") or slugify(self.meta["title"])


def slugify(text: str) -> str:
    import unicodedata
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "book"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


MAX_CHAPTER_MB = 4  # a long novel is about 3 MB in all; beyond this a file is a mistake, not a chapter


def read_text(path: Path, rel: str) -> str:
    """The file's text, or a FILE-001 error for anything that is not UTF-8 text (FILE-008 for a
    file too large to be a chapter: refused before it is read, so memory stays bounded)."""
    size = path.stat().st_size
    if size > MAX_CHAPTER_MB * 1_000_000:
        raise ManuscriptError([finding("FILE-008", rel, 0, size=f"{size / 1e6:.1f}", limit=MAX_CHAPTER_MB)])
    data = path.read_bytes()
    if b"\x00" in data:
        raise ManuscriptError([finding("FILE-001", rel, 0,
                                       detail="it looks like a binary file, not text (a Word file or an image named .md?)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ManuscriptError([finding("FILE-001", rel, line, detail=_encoding_detail(data, e.start))]) from None
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _encoding_detail(data: bytes, at: int) -> str:
    """What the editor will recognise: the word with the odd character, as an older encoding
    (Windows-1252, the usual one for a file saved by Word or Notepad) would show it."""
    start = max(data.rfind(b" ", 0, at), data.rfind(b"\n", 0, at)) + 1
    end = min(p for p in (data.find(b" ", at), data.find(b"\n", at), len(data)) if p >= 0)
    word = data[start:end][:40].decode("cp1252", "replace").strip()
    return f"'{word}' on this line is written in another encoding, probably Windows-1252 or Latin-1"


def _yaml_line(node, key: str) -> int:
    """Line (1-based) of a key in a composed YAML mapping node, or of the node itself."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return k.start_mark.line + 1
    return node.start_mark.line + 1 if node is not None else 0


MAX_YAML_KB = 256   # a book.yaml, a front matter block or a suppressions.yaml larger than this is a mistake
MAX_YAML_DEPTH = 20  # mappings and lists nested deeper than this are refused (the composer recurses)


class _Refused(yaml.MarkedYAMLError):
    """YAML the press will not build: ``code`` is the finding to report."""

    def __init__(self, code: str, mark, problem: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.code = code


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays text, checked by the press with a line
    number (PyYAML would raise a bare ValueError on 2024-13-45). Without anchors and aliases
    (``&a``, ``*a``: a manuscript needs none, and nine aliases nested nine deep make a "billion
    laughs" that fills memory when anything walks the data) and without deep nesting (YAML-001,
    YAML-002), refused while composing, before any value is built."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML-001", event.start_mark, "anchors and aliases are not allowed")
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused("YAML-002", event.start_mark, f"it is nested more than {MAX_YAML_DEPTH} levels deep")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _load_yaml(text: str, rel: str, code: str, offset: int = 0):
    """(data, node) of one YAML document; a ManuscriptError with ``code`` (its finding) or YAML-001/002
    at the file and line (``offset`` lines into the file) for YAML the press does not accept."""
    size = len(text.encode("utf-8"))
    if size > MAX_YAML_KB * 1000:
        raise ManuscriptError([finding("YAML-002", rel, offset + 1,
                                       detail=f"it is {size / 1000:.0f} kB, at most {MAX_YAML_KB} kB")])
    try:
        loader = _Loader(text)  # one parse: the node tree gives line numbers, the data is built from it
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        if isinstance(e, _Refused):  # YAML the press refuses (aliases, depth): its own finding
            line = e.problem_mark.line + 1 + offset
            raise ManuscriptError([finding(e.code, rel, line, **({} if e.code == "YAML-001" else {"detail": e.problem}))]) \
                from None
        line, detail = yamlerrors.explain(e, text)
        raise ManuscriptError([finding(code, rel, line + offset, detail=detail)]) from None
    return data, node


def load_yaml_file(path: Path, code: str = "YAML-003"):
    """Any other YAML file the press reads (suppressions.yaml, locales, fonts.yaml) with the same
    limits as book.yaml: its data, or a ManuscriptError naming the file and line. A text read
    before is not parsed again (the locales and fonts.yaml are read several times a build, 8 ms a
    parse): the caller gets its own copy of the data it gave."""
    rel = display_path(path)
    size = path.stat().st_size
    if size > MAX_YAML_KB * 1000:  # refused before it is read
        raise ManuscriptError([finding("YAML-002", rel, 0, detail=f"it is {size / 1000:.0f} kB, at most {MAX_YAML_KB} kB")])
    text = read_text(path, rel)
    key = (rel, code, text)
    data = _PARSED.get(key)  # one look-up: another thread may clear the table meanwhile
    if data is None:
        data = _load_yaml(text, rel, code)[0]
        if len(_PARSED) >= 32:
            _PARSED.clear()
        _PARSED[key] = data
    return copy.deepcopy(data)


_PARSED: dict[tuple[str, str, str], object] = {}  # (file, finding code, text) → its data, as parsed


def load_book(root: Path) -> Book:
    root = Path(root)
    book_file = root / "book.yaml"
    rel = display_path(book_file)
    if not book_file.is_file():
        raise ManuscriptError([finding("BOOK-001", rel)])
    meta, node = _load_yaml(read_text(book_file, rel), rel, "BOOK-002")
    if not isinstance(meta, dict):
        raise ManuscriptError([finding("BOOK-002", rel, 1, detail="it must be 'key: value' lines, such as 'title: …'")])
    errors = [_book_finding(p, rel) for p in schema.validate(meta, node, "book.yaml")]
    if errors:
        raise ManuscriptError(errors)
    meta = schema.normalise(meta, "book.yaml")
    wrong = isbn_problem(meta["identifier"])
    if wrong:
        raise ManuscriptError([finding("BOOK-012", rel, _yaml_line(node, "identifier"), isbn=wrong[0], digit=wrong[1])])
    for key in ("subtitle", "slug", "trim"):  # optional keys: present for templates, None when not given
        meta.setdefault(key, None)
    parts: list[str] = []
    entries = _contents(meta["contents"], node, parts)

    listed: dict[str, int] = {}
    chapters: list[Chapter] = []
    chapter_errors = []
    for name, part, entry_line in entries:
        if name in listed:
            chapter_errors.append(finding("BOOK-007", rel, entry_line, name=name))
            continue
        listed[name] = entry_line
        path = (root / name)
        if not path.is_file() or root.resolve() not in path.resolve().parents:
            chapter_errors.append(finding("BOOK-005", rel, entry_line, name=name))
            continue
        try:
            chapters.append(load_chapter(path, part))
        except ManuscriptError as e:
            chapter_errors.extend(e.findings)
    for path in sorted(root.glob("*.md")):
        if path.name not in listed and path.name not in NOT_CHAPTERS:
            chapter_errors.append(finding("BOOK-006", rel, _yaml_line(node, "contents"), name=path.name))
    seen: dict[str, Chapter] = {}
    for ch in chapters:
        if ch.id in seen:
            chapter_errors.append(finding("FILE-007", ch.rel, 1, id=ch.id, other=seen[ch.id].rel))
        seen[ch.id] = ch
    from . import design
    try:
        design.activate(root)  # the book's own design (design/), validated; the press's styles without one
    except ManuscriptError as e:
        chapter_errors.extend(e.findings)
    if chapter_errors:
        raise ManuscriptError(chapter_errors)
    chapters += generated_chapters(root, meta, chapters)
    return Book(root=root, meta=meta, parts=parts, chapters=chapters)


INDEX_MARK = re.compile(r"\{[^{}]*\.index\b[^{}]*\}")
GENERATED = {"bibliography": "bibliography", "index": "book-index"}  # kind → chapter id


def generated_chapters(root: Path, meta: dict, chapters: list[Chapter]) -> list[Chapter]:
    """The back matter the press writes after the last chapter: one bibliography for the whole
    book (``bibliography-at: book``) and the index (when a chapter marks a term ``{.index}``).
    Their bodies are filled by the book filters ``bibliography`` and ``index``."""
    from .context import labels_for
    labels = labels_for(meta["lang"])
    out = []
    wanted = {"bibliography": bool(meta.get("bibliography")) and meta.get("bibliography-at") == "book",
              "index": any(INDEX_MARK.search(ch.body) for ch in chapters)}
    for kind, cid in GENERATED.items():
        if not wanted[kind]:
            continue
        title = labels[kind]
        path = root / "book.yaml"
        out.append(Chapter(path=path, rel=display_path(path), id=cid, title=title, subtitle=None, authors=[],
                           part=None, body=f"# {title}\n", body_line=1, meta={}, source=f"# {title}\n",
                           generated=kind))
    return out


def _book_finding(p: schema.Problem, rel: str):
    """A schema problem in book.yaml as the finding an editor reads."""
    if p.kind == "yaml" or not p.key:
        return finding("BOOK-002", rel, p.line, detail=p.detail)
    if p.kind == "unknown":
        return finding("BOOK-011", rel, p.line, key=p.key, hint=p.detail)
    top = p.path[0] if p.path else ""
    if p.kind == "missing" and len(p.path) == 1 or p.kind == "empty" and p.key in REQUIRED and p.key != "contents":
        return finding("BOOK-003", rel, p.line if p.kind == "empty" else 1, key=p.key)
    if top == "contents" and p.kind == "empty" and len(p.path) == 1:
        return finding("BOOK-008", rel, p.line)
    if top == "contents" and len(p.path) >= 2 and (p.kind == "missing" or len(p.path) == 2):
        return finding("BOOK-010", rel, p.line, index=p.path[1] + 1)
    if top == "lang" and p.kind == "invalid":
        return finding("BOOK-004", rel, p.line, value=p.detail.rsplit(", not ", 1)[-1].strip("'"))
    return finding("BOOK-009", rel, p.line, key=p.key, detail=p.detail)


def _contents(contents: list, node, parts: list[str]) -> list[tuple[str, int | None, int]]:
    """Flatten a valid ``contents`` into (file name, part index or None, line in book.yaml); fills ``parts``."""
    out = []
    for i, item in enumerate(contents):
        iline = schema.node_at(node, ("contents", i))[1].start_mark.line + 1
        if isinstance(item, str):
            out.append((item, None, iline))
        elif "file" in item:
            out.append((item["file"], None, iline))
        else:
            parts.append(item["part"])
            for f in item["files"]:
                out.append((f, len(parts) - 1, iline))
    return out


def split_front_matter(text: str, rel: str) -> tuple[dict, str, int]:
    """(front matter, body, line number where the body starts)."""
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text, 1
    data, node = _load_yaml(m.group(1) or "", rel, "FILE-002", offset=1)
    if data is None:
        data = {}
    errors = [_front_matter_finding(p, rel) for p in schema.validate(data, node, "front matter", offset=1)]
    if errors:
        raise ManuscriptError(errors)
    return schema.normalise(data, "front matter"), text[m.end():], text[: m.end()].count("\n") + 1


def _front_matter_finding(p: schema.Problem, rel: str):
    if p.kind == "yaml" or not p.key:
        return finding("FILE-002", rel, p.line, detail=p.detail or "it must be 'key: value' lines")
    if p.kind == "unknown":
        return finding("FILE-009", rel, p.line, key=p.key, hint=p.detail)
    if p.kind == "missing":  # a key an entry needs ('name' of a contributor)
        return finding("FILE-004", rel, p.line, key=schema.path_label(p.path[:-1]) or p.key,
                       detail=f"it needs '{p.key}:'")
    if p.key == "title" and p.kind == "empty":
        return finding("FILE-003", rel, p.line)
    return finding("FILE-004", rel, p.line, key=p.key, detail=p.detail)


def chapter_id_from_name(name: str) -> str:
    return re.sub(r"^\d+[-_ ]*", "", Path(name).stem) or Path(name).stem


def load_chapter(path: Path, part: int | None) -> Chapter:
    rel = display_path(path)
    text = read_text(path, rel)
    fm, body, body_line = split_front_matter(text, rel)
    errors = []
    title = fm.get("title")
    opening = TITLE_HEADING.match(body)
    if title is None and opening:  # the title block at the top of the body: `# Title`
        title = plain_inline(opening.group(1))
    if not isinstance(title, str) or not title.strip():
        errors.append(finding("FILE-003", rel, 1))
    authors = fm.get("author", fm.get("authors", []))
    contributors, first_published = people(fm)
    cid = fm.get("id", chapter_id_from_name(path.name))
    if not re.fullmatch(schema.CHAPTER_ID, cid):
        errors.append(finding("FILE-004", rel, 1, key="id", detail="the file name gives no usable id: add 'id:' "
                              "(letters, digits, '-' and '_', starting with a letter)"))
    subtitle = fm.get("subtitle")
    if not body.strip():
        errors.append(finding("FILE-005", rel, body_line))
    if errors:
        raise ManuscriptError(errors)
    return Chapter(path=path, rel=rel, id=cid, title=title.strip(), subtitle=subtitle, authors=authors,
                   part=part, body=body, body_line=body_line, meta=fm, source=text, contributors=contributors,
                   first_published=first_published)


def people(fm: dict) -> tuple[list[dict], str | None]:
    """The front matter's ``contributors`` as ``{name, role}`` with the role's MARC relator code
    (a bare name is a contributor), and ``first_published`` as text. The schema has checked both."""
    out = []
    for item in fm.get("contributors") or []:
        if isinstance(item, str):
            item = {"name": item}
        role = str(item.get("role", "contributor")).strip().lower()
        out.append({"name": item["name"].strip(), "role": ROLES.get(role, role)})
    first = fm.get("first_published")
    return out, (str(first).strip() or None) if first is not None else None


def isbn_check_digit(digits: str) -> str:
    """The check digit of an ISBN-13 (12 digits given) or ISBN-10 (9 digits given)."""
    if len(digits) == 12:
        return str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10)
    value = -sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
    return "X" if value == 10 else str(value)


def isbn_problem(identifier: str) -> tuple[str, str] | None:
    """(the ISBN, the check digit it should have) when a urn:isbn: identifier's check digit is wrong."""
    if not identifier.lower().startswith("urn:isbn:"):
        return None
    isbn = identifier[len("urn:isbn:"):].upper()
    digit = isbn_check_digit(isbn[:-1])
    return None if isbn[-1] == digit else (isbn, digit)


def plain_inline(markdown: str) -> str:
    """A first, plain-text reading of a one-line Markdown title (the pipeline sets the exact one)."""
    text = re.sub(r"\{[^{}]*\}\s*$", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


def without_code_blocks(lines: list[str]) -> list[str]:
    """Markdown lines with every fenced code block (``` or ~~~, its fences included) blanked, for
    finding a word or an address on the line where a reader sees it."""
    out, fence = [], None
    for line in lines:
        marker = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and marker:
            fence = marker.group(1)[0] * 3
            out.append("")
        elif fence is not None:
            fence = None if line.strip().startswith(fence) else fence
            out.append("")
        else:
            out.append(line)
    return out
