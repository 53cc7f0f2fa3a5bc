"""A book's own design, layered on the press's: ``design/`` in the manuscript folder.

Takes a manuscript folder; returns the style folder the editions read (``styles()``), or raises
:class:`ManuscriptError` naming the file and line of everything in ``design/`` the press will not
use. A manuscript without ``design/`` gets the press's styles (``PRESS_STYLES``) unchanged.

What ``design/`` may hold (all optional; docs/designers.md):

- ``tokens.css``: ``:root { --token: value; }`` blocks that set the press's tokens (colours,
  faces, sizes, trim, margins, bleed) or new ``--book-*`` tokens; read after the press's tokens.
- ``book.css``: rules read after every edition's layer; ``print.css``, ``epub.css``,
  ``html.css``: after that edition's layer only (tokens → base → edition → book).
- ``fonts.yaml``: more faces, in the press's format; ``file:`` is either a file under ``design/``
  (any OpenType/TrueType font whose embedding bits allow embedding, with ``licence:`` the licence
  file beside it) or, with ``package:``, an installed font of that Debian package.

Everything there is untrusted: the CSS is parsed (tinycss2, WeasyPrint's own tokenizer) and may
load nothing (no ``@import``, ``url()`` or ``@font-face``: faces come through fonts.yaml), a token
must be one the press knows (DESIGN-002, with the closest name), font files must lie inside the
folder and pass ``fonts.validate`` (FONT-001/002). The layers are then written, merged with the
press's, into a folder in the cache named by their content hash, which the writers read exactly
as they read the press's own folder.

The active design is process-wide: ``book.load_book`` activates the design of the book it loads
(``activate``), so every writer and check of that run, and the worker processes it forks, read
the same layers.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

import tinycss2
import yaml

from . import cache, schema
from .rules import ManuscriptError, finding

EDITIONS = ("print.css", "epub.css", "html.css")
CSS_FILES = ("tokens.css", "book.css") + EDITIONS
MAX_CSS_KB = 256
OWN_TOKEN = re.compile(r"--book-[a-z0-9-]+")
_active: Path | None = None


def press_styles() -> Path:
    import press
    return press.STYLES


def styles() -> Path:
    """The style folder of the book being built: its merged design, or the press's own."""
    return _active if _active is not None else press_styles()


def activate(root: Path) -> Path:
    global _active
    _active = None  # a design that fails validation leaves no other book's design active
    _active = styles_for(root)
    return _active


def styles_for(root: Path) -> Path:
    """The style folder for the manuscript at ``root`` (validated and merged, see above)."""
    folder = Path(root) / "design"
    base = press_styles()
    if not folder.is_dir():
        return base
    problems, texts, faces = check(folder)
    if problems:
        raise ManuscriptError(problems)
    layers = {name: (base / name).read_text(encoding="utf-8")
              for name in ("tokens.css", "base.css", "print-bleed.css", "proof.css") + EDITIONS}
    layers["tokens.css"] += "\n/* the book's own tokens (design/tokens.css) */\n" + texts.get("tokens.css", "")
    for name in EDITIONS:
        for own in (name, "book.css"):
            if own in texts:
                layers[name] += f"\n/* the book's own layer (design/{own}) */\n" + texts[own]
    press_faces = yaml.safe_load((base / "fonts.yaml").read_text(encoding="utf-8"))["faces"]
    layers["fonts.yaml"] = yaml.safe_dump({"faces": [dict(f) for f in press_faces] + faces}, allow_unicode=True)
    digest = hashlib.sha256(repr(sorted(layers.items())).encode()).hexdigest()[:16]
    out = cache.folder("design") / digest
    if not (out / "fonts.yaml").exists():  # fonts.yaml last: its presence means the folder is whole
        for name in sorted(layers, key=lambda n: n == "fonts.yaml"):
            cache.write(out / name, layers[name].encode("utf-8"))
    return out.resolve()


def tokens(styles_folder: Path | None = None) -> dict[str, str]:
    """Every token's value as the editions see it (a later ``:root`` wins), e.g. for the cover."""
    text = ((styles_folder or styles()) / "tokens.css").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == ":root":
            for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
                if decl.type == "declaration":
                    out[decl.name] = tinycss2.serialize(decl.value).strip()
    return out


def resolved_tokens(styles_folder: Path | None = None) -> dict[str, str]:
    """``tokens()`` with ``var(--other)`` replaced by the other token's value (a few rounds)."""
    found = tokens(styles_folder)
    for _ in range(5):
        before = dict(found)
        found = {k: re.sub(r"var\((--[\w-]+)\)", lambda m, b=before: b.get(m.group(1), m.group(0)), v)
                 for k, v in before.items()}
    return found


# ---------------------------------------------------------------------------------------------
# Validation


def check(folder: Path) -> tuple[list, dict[str, str], list[dict]]:
    """(findings, the CSS files' texts, the faces of design/fonts.yaml as the press's fonts.yaml
    writes them) for a ``design/`` folder."""
    from .book import display_path, read_text
    problems, texts = [], {}
    known = set(tokens(press_styles()))
    for name in CSS_FILES:
        path = folder / name
        if not path.is_file():
            continue
        rel = display_path(path)
        if path.stat().st_size > MAX_CSS_KB * 1000:
            problems.append(finding("DESIGN-001", rel, 0, detail=f"the file is larger than {MAX_CSS_KB} kB"))
            continue
        try:
            text = read_text(path, rel)
        except ManuscriptError as e:
            problems += e.findings
            continue
        found = _css_problems(text, rel, tokens_file=name == "tokens.css", known=known)
        problems += found
        if not found:
            texts[name] = text
    faces = []
    if (folder / "fonts.yaml").is_file():
        found, faces = _fonts(folder)
        problems += found
    return problems, texts, faces


def _css_problems(text: str, rel: str, tokens_file: bool, known: set[str]) -> list:
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    out = []

    def bad(node, detail):
        out.append(finding("DESIGN-001", rel, getattr(node, "source_line", 0), detail=detail))

    for rule in rules:
        if rule.type == "error":
            bad(rule, f"the CSS cannot be read here ({rule.message})")
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("import", "font-face", "namespace"):
            bad(rule, f"@{rule.at_keyword} is not allowed: the design loads nothing"
                      + (" (declare faces in design/fonts.yaml)" if rule.lower_at_keyword == "font-face" else ""))
        elif tokens_file and (rule.type != "qualified-rule" or tinycss2.serialize(rule.prelude).strip() != ":root"):
            bad(rule, "tokens.css holds only ':root { --token: value; }' blocks; put other rules in book.css")
        else:
            out += _loads(rule, rel)
            if tokens_file:
                out += _token_problems(rule, rel, known)
    return out


def _loads(node, rel: str) -> list:
    """DESIGN-001 for every ``url()`` (and ``image-set()``/``src()``) inside ``node``."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        kind = getattr(n, "type", "")
        if kind == "url" or kind == "function" and n.lower_name in ("url", "image-set", "src"):
            out.append(finding("DESIGN-001", rel, n.source_line, detail="url() is not allowed: the design loads nothing"))
            continue
        for attr in ("prelude", "content", "arguments", "value"):
            child = getattr(n, attr, None)
            if isinstance(child, list):
                stack.extend(child)
    return sorted(out, key=lambda f: f.line)


def _token_problems(rule, rel: str, known: set[str]) -> list:
    out = []
    for decl in tinycss2.parse_declaration_list(rule.content or [], skip_comments=True, skip_whitespace=True):
        if decl.type == "error":
            out.append(finding("DESIGN-001", rel, decl.source_line, detail=f"the CSS cannot be read here ({decl.message})"))
        elif decl.type == "declaration" and decl.name not in known and not OWN_TOKEN.fullmatch(decl.name):
            close = difflib.get_close_matches(decl.name, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else "; a book's own token starts with '--book-'"
            out.append(finding("DESIGN-002", rel, decl.source_line, name=decl.name, hint=hint))
    return out


def _fonts(folder: Path) -> tuple[list, list[dict]]:
    from . import fonts
    from .book import _load_yaml, display_path, read_text
    path = folder / "fonts.yaml"
    rel = display_path(path)
    try:
        data, node = _load_yaml(read_text(path, rel), rel, "DESIGN-003")
    except ManuscriptError as e:
        return e.findings, []
    found = schema.validate(data, node, "fonts.yaml")
    if found:
        return [finding("DESIGN-003", rel, p.line, detail=_detail(p)) for p in found], []
    out, faces = [], []
    for i, face in enumerate(data["faces"]):
        line = schema.node_at(node, ("faces", i))[1].start_mark.line + 1
        entry = {k: face[k] for k in ("family", "style", "weight", "file")}
        if face.get("package"):
            entry["package"] = face["package"]
            faces.append(entry)
            continue
        file = (folder / face["file"])
        inside = folder.resolve() in file.resolve().parents
        if not inside or not file.is_file():
            out.append(finding("DESIGN-004", rel, line, file=face["file"]))
            continue
        licence = folder / face.get("licence", "")
        if "licence" not in face or folder.resolve() not in licence.resolve().parents or not licence.is_file():
            out.append(finding("DESIGN-005", rel, line, file=face["file"]))
            continue
        problems = fonts.validate(file)
        out += problems
        if not problems:
            entry.update(package="", path=str(file.resolve()), licence=str(licence.resolve()))
            faces.append(entry)
    return out, faces


def _detail(p: schema.Problem) -> str:
    if p.kind == "unknown":
        return f"'{p.key}' is not a key of a face{p.detail}"
    if p.kind == "missing":
        return f"'{p.key}' is missing"
    return f"{p.key}: {p.detail}" if p.key else p.detail
