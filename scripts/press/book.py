"""The book as the manuscript describes it: ``book.yaml`` plus the chapter files it lists.

Takes a manuscript folder; returns a :class:`Book` (metadata, parts, chapters in reading order,
each with its front matter and Markdown body) or raises :class:`ManuscriptError` naming the file
and line of every contract violation found. Nothing here runs pandoc.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .rules import ManuscriptError, finding

REQUIRED = ("title", "lang", "authors", "publisher", "date", "identifier", "rights", "description")
# BCP 47: language, optional script, region and variants (no private-use-only tags).
LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?(-([a-zA-Z\d]{5,8}|\d[a-zA-Z\d]{3}))*$")
IDENTIFIER = re.compile(r"^urn:(isbn:(97[89])?\d{9}[\dX]|uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
                        re.I)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
NOT_CHAPTERS = {"EDITORIAL.md", "README.md"}
TRIM = re.compile(r"\d+(\.\d+)?(mm|cm|in|pt) \d+(\.\d+)?(mm|cm|in|pt)")
TITLE_HEADING = re.compile(r"\A\s*# +(.+?)\s*$", re.M)
# Contributor roles in a chapter's front matter: the word an editor writes → the MARC relator code
# (https://id.loc.gov/vocabulary/relators) the EPUB's metadata and the locale's byline labels use.
ROLES = {"contributor": "ctb", "editor": "edt", "translator": "trl", "illustrator": "ill",
         "photographer": "pht", "interviewer": "ivr"}


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
    contributors: list[dict] = field(default_factory=list)  # {"name", "role": MARC relator code}, in order
    first_published: str | None = None  # where the chapter first appeared, e.g. "Digicampus, 2020"


@dataclass
class Book:
    root: Path
    meta: dict
    parts: list[str]
    chapters: list[Chapter]

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
        raise ManuscriptError([finding("FILE-001", rel, 0, detail="it looks like a binary file")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ManuscriptError([finding("FILE-001", rel, line, detail=f"byte 0x{data[e.start]:02x} at line {line}")]) from None
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _yaml_line(node, key: str) -> int:
    """Line (1-based) of a key in a composed YAML mapping node, or of the node itself."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return k.start_mark.line + 1
    return node.start_mark.line + 1 if node is not None else 0


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays text, checked by the press with a line
    number (PyYAML would raise a bare ValueError on 2024-13-45)."""


_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _load_yaml(text: str, rel: str, code: str, offset: int = 0):
    try:
        loader = _Loader(text)  # one parse: the node tree gives line numbers, the data is built from it
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        context = getattr(e, "context", None) or ""
        # an unclosed quote or bracket: where it opens; otherwise where the parser gave up
        opened = context.startswith(("while scanning a quoted", "while parsing a flow"))
        mark = getattr(e, "context_mark", None) if opened else getattr(e, "problem_mark", None)
        line = (mark.line + 1 + offset) if mark else offset + 1
        detail = (getattr(e, "problem", None) or str(e)).strip()
        raise ManuscriptError([finding(code, rel, line, detail=detail)]) from None
    return data, node


def load_book(root: Path) -> Book:
    root = Path(root)
    book_file = root / "book.yaml"
    rel = display_path(book_file)
    if not book_file.is_file():
        raise ManuscriptError([finding("BOOK-001", rel)])
    meta, node = _load_yaml(read_text(book_file, rel), rel, "BOOK-002")
    if not isinstance(meta, dict):
        raise ManuscriptError([finding("BOOK-002", rel, 1, detail="it must be a mapping of keys to values")])
    errors = []
    for key in REQUIRED + ("contents",):
        if meta.get(key) in (None, "", []) and not (key == "contents" and meta.get(key) == []):
            errors.append(finding("BOOK-003", rel, 1, key=key))
    line = lambda key: _yaml_line(node, key)  # noqa: E731
    if meta.get("lang") and not LANG_TAG.match(str(meta["lang"])):
        errors.append(finding("BOOK-004", rel, line("lang"), value=meta["lang"]))
    if meta.get("date") is not None:
        d = meta["date"]
        if isinstance(d, str):
            try:
                d = _dt.date.fromisoformat(d)
            except ValueError:
                errors.append(finding("BOOK-009", rel, line("date"), key="date", detail="write it as YYYY-MM-DD"))
        if isinstance(d, _dt.date):
            meta["date"] = d.isoformat()
    if meta.get("identifier") and not IDENTIFIER.match(str(meta["identifier"])):
        errors.append(finding("BOOK-009", rel, line("identifier"), key="identifier",
                              detail="use urn:isbn:… (13 digits) or urn:uuid:…"))
    for key in ("subtitle", "slug", "trim"):  # optional keys: present for templates, None when not given
        meta.setdefault(key, None)
    if isinstance(meta.get("authors"), str):
        meta["authors"] = [meta["authors"]]
    for key in ("title", "subtitle", "publisher", "rights", "description", "slug"):
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            errors.append(finding("BOOK-009", rel, line(key), key=key, detail="it must be text"))
    if meta.get("trim") is not None and not TRIM.fullmatch(str(meta["trim"])):
        errors.append(finding("BOOK-009", rel, line("trim"), key="trim",
                              detail="width and height with a unit, for example '170mm 240mm'"))
    if meta.get("slug") and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(meta["slug"])):
        errors.append(finding("BOOK-009", rel, line("slug"), key="slug", detail="lower-case letters, digits and hyphens only"))
    contents = meta.get("contents")
    if contents == []:
        errors.append(finding("BOOK-008", rel, line("contents")))
    parts: list[str] = []
    entries = _contents(contents if isinstance(contents, list) else [], node, rel, errors, parts)
    if errors:
        raise ManuscriptError(errors)

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
            chapter_errors.append(finding("BOOK-006", rel, line("contents"), name=path.name))
    seen: dict[str, Chapter] = {}
    for ch in chapters:
        if ch.id in seen:
            chapter_errors.append(finding("FILE-007", ch.rel, 1, id=ch.id, other=seen[ch.id].rel))
        seen[ch.id] = ch
    if chapter_errors:
        raise ManuscriptError(chapter_errors)
    return Book(root=root, meta=meta, parts=parts, chapters=chapters)


def _contents(contents: list, node, rel: str, errors: list, parts: list[str]) -> list[tuple[str, int | None, int]]:
    """Flatten ``contents`` into (file name, part index or None, line in book.yaml); fills ``parts``."""
    cnode = None
    if isinstance(node, yaml.MappingNode):
        cnode = next((v for k, v in node.value if k.value == "contents"), None)
    out = []
    for i, item in enumerate(contents):
        inode = cnode.value[i] if isinstance(cnode, yaml.SequenceNode) else None
        iline = inode.start_mark.line + 1 if inode is not None else 0
        if isinstance(item, str) and item.endswith(".md"):
            out.append((item, None, iline))
        elif isinstance(item, dict) and isinstance(item.get("file"), str):
            out.append((item["file"], None, iline))
        elif isinstance(item, dict) and isinstance(item.get("part"), str) and isinstance(item.get("files"), list) \
                and all(isinstance(f, str) for f in item["files"]):
            parts.append(item["part"])
            for f in item["files"]:
                out.append((f, len(parts) - 1, iline))
        else:
            errors.append(finding("BOOK-010", rel, iline, index=i + 1))
    return out


def split_front_matter(text: str, rel: str) -> tuple[dict, str, int]:
    """(front matter, body, line number where the body starts)."""
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text, 1
    data, _ = _load_yaml(m.group(1) or "", rel, "FILE-002", offset=1)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ManuscriptError([finding("FILE-002", rel, 2, detail="it must be a mapping of keys to values")])
    return data, text[m.end():], text[: m.end()].count("\n") + 1


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
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        errors.append(finding("FILE-004", rel, 1, key="author", detail="a name or a list of names"))
        authors = []
    contributors, first_published = people(fm, rel, errors)
    cid = fm.get("id", chapter_id_from_name(path.name))
    if not isinstance(cid, str) or not re.fullmatch(r"[A-Za-z][\w-]*", cid):
        errors.append(finding("FILE-004", rel, 1, key="id", detail="letters, digits, '-' and '_', starting with a letter"))
    subtitle = fm.get("subtitle")
    if subtitle is not None and not isinstance(subtitle, str):
        errors.append(finding("FILE-004", rel, 1, key="subtitle", detail="it must be text"))
    if not body.strip():
        errors.append(finding("FILE-005", rel, body_line))
    if errors:
        raise ManuscriptError(errors)
    return Chapter(path=path, rel=rel, id=cid, title=title.strip(), subtitle=subtitle, authors=authors,
                   part=part, body=body, body_line=body_line, meta=fm, source=text, contributors=contributors,
                   first_published=first_published)


def people(fm: dict, rel: str, errors: list) -> tuple[list[dict], str | None]:
    """The front matter's ``contributors`` (each ``{name: …, role: …}``, or a bare name for a
    contributor) and ``first_published``; a wrong value is a FILE-004 error added to ``errors``."""
    out: list[dict] = []
    given = fm.get("contributors", [])
    role_words = ", ".join(ROLES)
    for item in given if isinstance(given, list) else [None]:
        if isinstance(item, str):
            item = {"name": item}
        name = item.get("name") if isinstance(item, dict) else None
        role = str(item.get("role", "contributor")).strip().lower() if isinstance(item, dict) else ""
        code = ROLES.get(role, role if role in ROLES.values() else None)
        if not isinstance(name, str) or not name.strip() or code is None \
                or not set(item) <= {"name", "role"}:
            errors.append(finding("FILE-004", rel, 1, key="contributors",
                                  detail=f"a list of {{name: …, role: …}} with a role among {role_words}"))
            return [], None
        out.append({"name": name.strip(), "role": code})
    first = fm.get("first_published")
    if first is not None and not isinstance(first, (str, int)):
        errors.append(finding("FILE-004", rel, 1, key="first_published", detail="it must be text"))
        first = None
    return out, (str(first).strip() or None) if first is not None else None


def plain_inline(markdown: str) -> str:
    """A first, plain-text reading of a one-line Markdown title (the pipeline sets the exact one)."""
    text = re.sub(r"\{[^{}]*\}\s*$", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()
