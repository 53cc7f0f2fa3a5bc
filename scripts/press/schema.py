"""The manuscript's schema, in one place: every key of ``book.yaml``, of a chapter's front matter
and of ``suppressions.yaml`` — its type, what it means, what the press checks — as JSON Schema
(validated by the ``jsonschema`` library). The same entries are the documentation: the key
tables in ``docs/manuscript-format.md`` are generated from them (``markdown_table``) and a test
keeps the two equal.

Takes parsed YAML and its node tree (for line numbers); returns :class:`Problem` s in an
editor's words — an unknown key with the closest known one ("did you mean 'subtitle'?"), a wrong
type as what was expected and what was found — each at the line of the key or value it is about.
``press.book`` and ``press.check`` turn them into findings with their own codes. Nothing here
raises for any value a YAML file can hold.

Adding a key is one entry in a ``properties`` mapping below: ``key(meaning, kind)`` with a
``kind`` from the helpers (``TEXT``, ``NAMES``, ``DATE``, …) or a schema of its own with an
``expected`` phrase ("a list of names"), which is what an editor reads when the value is wrong.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import yaml
from jsonschema import Draft202012Validator

# BCP 47: language, optional script, region and variants (no private-use-only tags).
LANG_TAG = r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?(-([a-zA-Z\d]{5,8}|\d[a-zA-Z\d]{3}))*$"
IDENTIFIER = r"^(?i:urn:(isbn:(97[89])?\d{9}[\dX]|uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))$"
TRIM = r"^\d+(\.\d+)?(mm|cm|in|pt) \d+(\.\d+)?(mm|cm|in|pt)$"
SLUG = r"^[a-z0-9][a-z0-9-]*$"
CHAPTER_ID = r"^[A-Za-z][\w-]*$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
# What an author's Word paragraph style can stand for when a chapter is imported (press.word).
WORD_ROLES = ("sidebar", "pullquote", "quote")

# Value kinds: a schema and the phrase an editor reads when a value is not of that kind.
TEXT = {"type": "string", "minLength": 1, "expected": "text"}
OPTIONAL_TEXT = {"type": ["string", "null"], "expected": "text"}
NAME = {"type": "string", "minLength": 1, "expected": "a name"}
NAMES = {"type": "array", "items": NAME, "expected": "a name or a list of names, such as [Ada Writer, Ben Editor]",
         "single": True}  # one name may be written without the list brackets
DATE = {"type": "string", "pattern": DATE_RE, "format": "date", "expected": "a date written YYYY-MM-DD, such as 2025-04-04"}
# Contributor roles in a chapter's front matter: the word an editor writes → the MARC relator code
# (https://id.loc.gov/vocabulary/relators) the EPUB's metadata and the locale's byline labels use.
ROLES = {"contributor": "ctb", "editor": "edt", "translator": "trl", "illustrator": "ill",
         "photographer": "pht", "interviewer": "ivr"}
MD_FILE = {"type": "string", "pattern": r"\.md$", "expected": "a chapter file name ending in .md"}


BIB_FILE = {"type": "string", "pattern": r"(?i)\.(bib|bibtex|json|ya?ml)$",
            "expected": "a file name ending in .bib, .json or .yaml"}
BIB_FILES = {"type": "array", "items": BIB_FILE, "minItems": 1, "single": True,
             "expected": "a bibliography file (.bib, .json, .yaml) or a list of them"}


def key(meaning: str, kind: dict, **extra) -> dict:
    """One key: what it means (the documentation) and the kind of value it takes."""
    return {**kind, **extra, "description": meaning}


def record(properties: dict, required: tuple = (), expected: str = "a list of 'key: value' lines") -> dict:
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": list(required), "expected": expected}


CONTENTS_FILE = record({
    "file": key("A chapter file in the manuscript folder.", MD_FILE),
}, ("file",))
CONTENTS_PART = record({
    "part": key("The part's title, on its part page and in the contents.", TEXT),
    "files": key("The part's chapter files, in reading order.",
                 {"type": "array", "items": MD_FILE, "minItems": 1, "expected": "a list of chapter files, such as "
                  "[01-a.md, 02-b.md]"}),
}, ("part", "files"))
CONTENTS_ENTRY = {
    "if": {"type": "string"}, "then": MD_FILE,
    "else": {"if": {"type": "object", "required": ["part"]}, "then": CONTENTS_PART, "else": CONTENTS_FILE},
    "expected": "'- file: NAME.md' or '- part: TITLE' with its files",
}

COVER = record({
    "paper": key("The interior's paper, for the spine's width: white (444 pages per inch), cream (400) or coated (426).",
                 {"type": "string", "enum": ["white", "cream", "coated"], "expected": "white, cream or coated"}),
    "ppi": key("Pages per inch of the printer's paper (its caliper), instead of paper: the spine is pages ÷ ppi inches.",
               {"type": "integer", "minimum": 100, "maximum": 2000, "expected": "a number of pages per inch, such as 444"}),
    "price": key("The price add-on beside the barcode (EAN-5): 5 digits, the first the currency (5 = US dollars: "
                 "52495 is $24.95).",
                 {"type": "string", "pattern": r"^\d{5}$", "expected": "5 digits in quotes, such as '52495'"}),
    "logo": key("The publisher's logo on the back cover: an SVG, PNG or JPEG image in the manuscript folder.",
                {"type": "string", "pattern": r"(?i)\.(svg|png|jpe?g)$", "expected": "an image file such as images/logo.svg"}),
})

BOOK = record({
    "title": key("The book's title: cover, title page, metadata, file names (see slug).", TEXT),
    "subtitle": key("The subtitle, under the title on the cover and the title page.", OPTIONAL_TEXT),
    "lang": key("The book's language as a BCP 47 tag: hyphenation, labels, spelling dictionary.",
                {"type": "string", "pattern": LANG_TAG, "expected": "a language tag such as 'nl' or 'en-GB'"}),
    "authors": key("The book's authors or editors, as the title page and the metadata name them.", NAMES),
    "publisher": key("The publisher, on the title page and in the metadata.", TEXT),
    "date": key("The publication date.", DATE),
    "identifier": key("The book's unique identifier: its ISBN as urn:isbn:…, or a urn:uuid:….",
                      {"type": "string", "pattern": IDENTIFIER,
                       "expected": "urn:isbn: with the 13 digits of the ISBN, or urn:uuid:…"}),
    "rights": key("The copyright line, on the colophon and in the metadata.", TEXT),
    "description": key("One paragraph about the book: the download page and the EPUB's metadata.", TEXT),
    "slug": key("The editions' file name (default: from the title).",
                {"type": ["string", "null"], "pattern": SLUG, "expected": "lower-case letters, digits and hyphens"}),
    "trim": key("The print edition's page size, width then height (default: the design's).",
                {"type": ["string", "null"], "pattern": TRIM,
                 "expected": "width and height with a unit, such as '170mm 240mm'"}),
    "word_styles": key("The authors' Word paragraph styles and what they are, for `make import` "
                       "(see docs/word.md).",
                       {"type": ["object", "null"], "additionalProperties": {"enum": list(WORD_ROLES)},
                        "expected": "Word style names with sidebar, pullquote or quote, "
                                    "such as {Kadertekst: sidebar}"}),
    "bibliography": key("The reference library the citations ([@key, p. 12]) come from: a BibTeX (.bib), "
                        "BibLaTeX (.bib), CSL-JSON (.json) or CSL-YAML (.yaml) file in the manuscript folder, "
                        "or a list of them.", BIB_FILES),
    "citation-style": key("How citations and the bibliography are written: the name of a CSL style (such as "
                          "chicago-note-bibliography, apa) or a .csl file in the manuscript folder "
                          "(default: chicago-author-date).",
                          {"type": "string", "pattern": r"^[\w.-]+$",
                           "expected": "a style's name such as 'apa' or a file name such as 'house.csl'"}),
    "bibliography-at": key("Where the bibliography goes: 'chapter' (at the end of each chapter that cites, the "
                           "default) or 'book' (one bibliography at the back of the book).",
                           {"enum": ["chapter", "book"], "expected": "'chapter' or 'book'"}),
    "index": key("The back-of-book index's cross-references: 'see' (a term → the term to look under) and "
                 "'see-also' (a term → related terms). The index itself comes from the marks in the text "
                 "([term]{.index}).", record({
                     "see": key("A term that has no page numbers of its own → the term to look under.",
                                {"type": "object", "additionalProperties": TEXT,
                                 "expected": "'term: other term' lines"}),
                     "see-also": key("A term → related terms (a name or a list).",
                                     {"type": "object", "additionalProperties": NAMES,
                                      "expected": "'term: [other term, …]' lines"}),
                 }, expected="'see:' and 'see-also:' lines")),
    "cover": key("The print cover (`make cover`): paper, price and logo.", COVER),
    "contents": key("The reading order: chapter files, and parts with their files.",
                    {"type": "array", "items": CONTENTS_ENTRY, "minItems": 1,
                     "expected": "a list of chapters, one '- file: NAME.md' a line"}),
}, ("title", "lang", "authors", "publisher", "date", "identifier", "rights", "description", "contents"))

FRONT_MATTER = record({
    "title": key("The chapter's title (or write it as the body's opening '# Title').", TEXT),
    "subtitle": key("The chapter's subtitle.", OPTIONAL_TEXT),
    "author": key("Who wrote the chapter; leave it out for front and back matter. "
                  "A chapter with authors is an essay (it gets an offprint).", NAMES),
    "authors": key("The same as author.", NAMES),
    "id": key("The chapter's id for links (default: the file name without its number and .md).",
              {"type": "string", "pattern": CHAPTER_ID,
               "expected": "letters, digits, '-' and '_', starting with a letter"}),
})

CONTRIBUTOR = {
    "if": {"type": "string"}, "then": NAME,
    "else": record({
        "name": key("The contributor's name.", NAME),
        "role": key("What they did (default: contributor): " + ", ".join(ROLES) + ".",
                    {"type": "string", "pattern": "^(?i:" + "|".join([*ROLES, *ROLES.values()]) + ")$",
                     "expected": "one of " + ", ".join(ROLES)}),
    }, ("name",), expected="a name, or '{name: …, role: …}'"),
    "expected": "a name, or '{name: …, role: …}'",
}
FRONT_MATTER["properties"].update({
    "contributors": key("Who contributed to the chapter besides its authors, each as '{name: …, role: …}' "
                        "(role: " + ", ".join(ROLES) + "); the byline names them after the authors "
                        "(\"met bijdragen van …\").",
                        {"type": "array", "items": CONTRIBUTOR, "single": True,
                         "expected": "a list of contributors, such as [{name: Cas Helper, role: contributor}]"}),
    "first_published": key("Where the chapter was first published, as the byline shows it "
                           "('Digicampus, 2020').",
                           {"type": ["string", "integer"], "minLength": 1, "expected": "text"}),
})

SUPPRESSION = record({
    "code": key("The finding's code, as `make check` prints it (LINK-001).",
                {"type": "string", "expected": "a finding's code such as 'LINK-001'", "known_code": True}),
    "file": key("Only findings in this file (its path ends with this).", TEXT),
    "line": key("Only findings at this line.", {"type": "integer", "minimum": 1, "expected": "a line number"}),
    "reason": key("Why the finding is accepted: printed with every suppressed finding.",
                  {"type": "string", "pattern": r"\S", "expected": "a written reason"}),
}, ("code", "reason"), expected="'code:' and 'reason:' lines")
SUPPRESSIONS = record({
    "suppress": key("The accepted findings, one entry each (the file may also be that list alone).",
                    {"type": "array", "items": SUPPRESSION, "expected": "a list of suppressions, each with code and reason"}),
})

FACE = record({
    "family": key("The family name the tokens use (--font-text, --font-display).", TEXT),
    "style": key("normal or italic.", {"type": "string", "enum": ["normal", "italic"], "expected": "normal or italic"}),
    "weight": key("The weight, 100 to 900 (400 regular, 700 bold).",
                  {"type": "integer", "minimum": 100, "maximum": 900, "expected": "a weight from 100 to 900"}),
    "file": key("The font file: a path under design/ (OpenType or TrueType), or with package: an installed file's name.",
                {"type": "string", "pattern": r"(?i)\.(otf|ttf)$", "expected": "a font file name ending in .otf or .ttf"}),
    "licence": key("The licence file under design/ (a font file under design/ needs one).", TEXT),
    "package": key("The Debian package that installs the file (instead of a file under design/).", TEXT),
}, ("family", "style", "weight", "file"), expected="'family:', 'style:', 'weight:' and 'file:'")
FONTS = record({
    "faces": key("The book's own font faces, one entry each.",
                 {"type": "array", "items": FACE, "minItems": 1, "expected": "a list of faces"}),
}, ("faces",))

# A publisher's catalogue.yaml (press catalogue, docs/catalogue.md).
CATALOGUE_NAME = r"^[a-z0-9][a-z0-9._-]*$"

CATALOGUE_BOOK = record({
    "path": key("The manuscript folder (with its book.yaml), relative to the catalogue file.", TEXT),
    "git": key("A git repository to clone (any URL git accepts, or a local repository).", TEXT),
    "ref": key("The tag, branch or commit of the git repository to build.", TEXT),
    "folder": key("The manuscript folder inside the git repository (default: its top).", TEXT),
    "name": key("The book's name in the catalogue: its folder in the output and in the summary "
                "(default: the folder's or the repository's name).",
                {"type": "string", "pattern": CATALOGUE_NAME,
                 "expected": "lower-case letters, digits, '.', '-' or '_', such as 'tides-2024'"}),
}, expected="'- path: FOLDER' or '- git: URL' with its ref")
CATALOGUE_BOOK = {**CATALOGUE_BOOK, "oneOf": [{"required": ["path"], "not": {"required": ["git"]}},
                                              {"required": ["git", "ref"], "not": {"required": ["path"]}}]}

CATALOGUE = record({
    "title": key("The catalogue's title: the site's index page and the feeds' title.", TEXT),
    "publisher": key("The publisher: the feeds' author and the site's footer.", TEXT),
    "base_url": key("Where the site will be published (the feeds' links are absolute under it).",
                    {"type": "string", "pattern": r"^https?://[^\s]+$",
                     "expected": "a web address such as https://books.example.org/"}),
    "lang": key("The catalogue's language (BCP 47): the site's labels.",
                {"type": "string", "pattern": LANG_TAG, "expected": "a language tag such as 'nl' or 'en'"}),
    "id": key("The feeds' permanent identifier (default: derived from base_url).",
              {"type": "string", "pattern": r"^(urn|https?):\S+$", "expected": "a URN or a web address"}),
    "books": key("The books, each a manuscript folder or a git repository.",
                 {"type": "array", "items": CATALOGUE_BOOK, "minItems": 1, "expected": "a list of books"}),
}, ("title", "publisher", "base_url", "lang", "books"))

SCHEMAS = {"book.yaml": BOOK, "front matter": FRONT_MATTER, "suppressions.yaml": SUPPRESSIONS, "fonts.yaml": FONTS,
           "catalogue.yaml": CATALOGUE}


@dataclass(frozen=True)
class Problem:
    kind: str           # "unknown" key, "invalid" value, "empty" value, "missing" key, "yaml" (not valid YAML)
    line: int
    key: str            # the key as the editor wrote it ("authors"; "contents entry 3")
    detail: str = ""    # what was expected and what was found, or the suggestion
    path: tuple = field(default=(), compare=False)
    expected: str = ""  # an invalid value: what the key takes ("a line number")
    found: str = ""     # and what it holds ("'abc'")


# ---------------------------------------------------------------------------------------------
# Values and lines in an editor's words


def describe(value) -> str:
    """A found value as an editor would name it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{'yes' if value else 'no'}' (YAML reads it as true/false: put it in quotes)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}…'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a list of 'key: value' lines"
    return type(value).__name__


def suggestion(word: str, known) -> str:
    """"; did you mean 'subtitle'?" for the closest known word, else the known words."""
    known = sorted(known)
    close = difflib.get_close_matches(str(word).lower(), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; the keys here are: {', '.join(known)}" if known else ""


def node_at(node, path) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(key node, value node) at a data path in a composed YAML tree; the deepest one found."""
    key_node = None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and _same_key(k, step)]
            if not found:
                break
            key_node, node = found[-1]  # YAML keeps the last of repeated keys
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            key_node, node = None, node.value[step]
        else:
            break
    return key_node, node


def _same_key(node: yaml.ScalarNode, step) -> bool:
    """Whether a key node is the data's key ``step``: YAML reads ``true:``, ``yes:`` or ``1:`` as
    a boolean or a number, which the data holds as such (and an editor's message shows as 'True')."""
    if isinstance(step, str) or node.value == str(step):
        return node.value == str(step)
    try:
        return yaml.safe_load(node.value) == step and type(yaml.safe_load(node.value)) is type(step)
    except yaml.YAMLError:
        return False


def _line(node) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def duplicate_keys(node, offset: int = 0) -> list[Problem]:
    """Keys given twice in one mapping: YAML would keep the last silently."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        out.append(Problem("yaml", _line(k) + offset, k.value,
                                           f"the key '{k.value}' is given twice (also on line {seen[k.value] + offset}); "
                                           "keep one"))
                    else:
                        seen[k.value] = _line(k)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return sorted(out, key=lambda p: p.line)


# ---------------------------------------------------------------------------------------------
# Validation


def path_label(path) -> str:
    """'authors', 'contents entry 3', 'contents entry 3, files'."""
    out = []
    for step in path:
        if isinstance(step, int):
            out.append(f"entry {step + 1}")
        else:
            out.append(("," if out and out[-1].startswith("entry") else "") + str(step))
    return " ".join(out).replace(" ,", ", ")


def _normalised(data, schema: dict):
    """A copy of the data with a single value where a list may be given alone (``single``) wrapped
    in a list, so ``authors: Ada`` validates as ``authors: [Ada]``."""
    if isinstance(data, dict) and schema.get("type") == "object":
        props, other = schema.get("properties", {}), schema.get("additionalProperties")
        return {k: (_normalised(v, props[k]) if k in props else _normalised(v, other) if isinstance(other, dict)
                    else v) for k, v in data.items()}
    if schema.get("single") and isinstance(data, str):
        return [data]
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        return [_normalised(v, schema["items"]) for v in data]
    return data


def normalise(data, which: str):
    """The data as the press reads it once valid (single names as lists)."""
    return _normalised(data, SCHEMAS[which])


def _expected(error) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return schema.get("expected") or "a different value"


def validate(data, node, which: str, offset: int = 0, known_codes=()) -> list[Problem]:
    """Every problem with ``data`` (parsed from the YAML ``node``) against the schema ``which``
    (``book.yaml``, ``front matter``, ``suppressions.yaml``). ``offset``: lines before the YAML
    (front matter starts on line 2). ``known_codes``: the codes a suppression may name."""
    schema = SCHEMAS[which]
    problems = duplicate_keys(node, offset) if node is not None else []
    root_path: tuple = ()
    if which == "suppressions.yaml" and isinstance(data, list):  # the list alone
        data, root_path = {"suppress": data}, ("suppress",)
    if not isinstance(data, dict):
        return problems + [Problem("invalid", _line(node) + offset if node is not None else 1, "",
                                   f"it must be 'key: value' lines, not {describe(data)}")]
    data = _normalised(data, schema)
    seen_paths = set()
    for error in sorted(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                        .iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        yaml_path = path[1:] if root_path and path[:1] == root_path else path
        key_node, value_node = node_at(node, yaml_path)
        where = lambda n: (_line(n) or _line(node)) + offset  # noqa: E731
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            for extra in sorted(set(error.instance) - set(known), key=str):
                k_node, _ = node_at(node, (*yaml_path, extra))
                problems.append(Problem("unknown", where(k_node or value_node), str(extra),
                                        suggestion(extra, known), path + (extra,)))
            continue
        if path in seen_paths:  # one problem per value is enough (if/then may report two)
            continue
        seen_paths.add(path)
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            for k in missing:
                problems.append(Problem("missing", where(value_node), k, "", path + (k,)))
            continue
        value = error.instance
        line = where(value_node if value_node is not None else key_node)
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            problems.append(Problem("empty", line, path_label(path), "it is empty", path))
        else:
            subject, label = "it", path_label(path)
            if path and isinstance(path[-1], int):  # an item of a list: the list's key, the item's number
                subject, label = f"entry {path[-1] + 1}", path_label(path[:-1])
            detail = f"{subject} must be {_expected(error)}, not {describe(value)}"
            plain_text = "string" in str(error.schema.get("type")) and not {"pattern", "format"} & set(error.schema)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and plain_text:
                detail += " (put it in quotes to make it text)"
            problems.append(Problem("invalid", line, label, detail, path, _expected(error), describe(value)))
    if known_codes and isinstance(data.get("suppress"), list):
        for i, entry in enumerate(data["suppress"]):
            code = entry.get("code") if isinstance(entry, dict) else None
            if isinstance(code, str) and code not in known_codes:
                _, v = node_at(node, (i, "code") if root_path else ("suppress", i, "code"))
                close = difflib.get_close_matches(code.upper(), sorted(known_codes), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else "; `make check` prints each finding's code"
                problems.append(Problem("invalid", _line(v) + offset, f"suppress entry {i + 1}, code",
                                        f"'{code}' is not a code of the press{hint}", ("suppress", i, "code")))
    unknown_in = {p.path[:-1] for p in problems if p.kind == "unknown"}
    problems = [p for p in problems if not (p.kind == "missing" and p.path[:-1] in unknown_in)]  # a misspelt key
    return sorted(problems, key=lambda p: (p.line, p.key))


# ---------------------------------------------------------------------------------------------
# Documentation


def _kind(schema: dict) -> str:
    return schema.get("expected", "")


def rows(which: str) -> list[tuple[str, bool, str, str]]:
    """(key, required, value, meaning) for every key of a schema, nested entries as ``a[].b``."""
    out = []

    def walk(schema: dict, prefix: str):
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            out.append((prefix + name, name in required, _kind(prop), prop.get("description", "")))
            if prop.get("type") == "object":
                walk(prop, f"{prefix}{name}.")
            items = prop.get("items")
            if isinstance(items, dict):
                for sub in _records(items):
                    walk(sub, f"{prefix}{name}[].")

    walk(SCHEMAS[which], "")
    seen, unique = set(), []
    for row in out:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    return unique


def _records(schema: dict) -> list[dict]:
    """The object schemas an item may be (following if/then/else)."""
    if schema.get("type") == "object":
        return [schema]
    found = []
    for k in ("then", "else"):
        if isinstance(schema.get(k), dict):
            found += _records(schema[k])
    return found


def markdown_table(which: str) -> str:
    lines = ["| key | required | value | meaning |", "| --- | --- | --- | --- |"]
    for name, required, kind, meaning in rows(which):
        lines.append(f"| `{name}` | {'yes' if required else 'no'} | {kind} | {meaning} |")
    return "\n".join(lines) + "\n"


DOC_BLOCK = re.compile(r"(<!-- schema: (?P<which>[\w. ]+?) -->\n)(?P<table>.*?)(<!-- /schema -->)", re.S)


def document(text: str) -> str:
    """A document's schema tables (between ``<!-- schema: NAME -->`` and ``<!-- /schema -->``)
    regenerated from the schema."""
    return DOC_BLOCK.sub(lambda m: m.group(1) + markdown_table(m.group("which")) + m.group(4), text)
