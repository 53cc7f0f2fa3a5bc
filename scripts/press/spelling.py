"""Spelling (SPELL-001, warnings): hunspell with the dictionary of the book's language.

Takes a :class:`~press.book.Book`; returns one SPELL-001 finding per unknown word per file, at the
line where the word first occurs. The words come from pandoc's reading of each chapter (the same
AST the pipeline starts from, cached), so code, raw HTML, link targets, web and e-mail addresses
are never checked, and neither is text marked as another language (``[living labs]{lang=en}``).
The front matter's title and subtitle and book.yaml's title, subtitle, description and part
titles are checked too. Words listed in the manuscript's ``words.txt`` (one per line, ``#`` starts
a comment) are accepted: names, loanwords, the book's own coinages.

All words of the book go to one hunspell process (``hunspell -L``, one word per line). When
hunspell or a dictionary for the book's language is missing, the spelling is not checked and
that is a warning (SPELL-002) with the command that installs it (the Debian package from
``press.system``); a hunspell that fails is a CHECK-001 error ("did not run").
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .book import Book, display_path, read_text, without_code_blocks
from .rules import Finding, finding

WORDS_FILE = "words.txt"
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
OPTIONAL_PART = re.compile(r"(?<!\w)\([^\W\d_]+\)[^\W\d_]+(?:['’\-][^\W\d_]+)*")
DOMAIN = re.compile(r"\S*\w\.[^\W\d_]{2,}\S*")
# Dictionaries to try per primary language when the tag itself (nl-BE → nl_BE) is not installed.
PREFERRED = {"nl": ["nl_NL", "nl"], "en": ["en_GB", "en_US", "en"], "de": ["de_DE", "de"],
             "fr": ["fr_FR", "fr"]}
# Masked before a word's line is looked up: other-language spans, code, addresses, link targets,
# attribute blocks.
MASKS = [re.compile(p) for p in (r"\[[^\[\]]*\]\{[^{}]*\blang=[^{}]*\}", r"`[^`]*`", r"<[^<>\s]+>",
                                 r"\]\([^)]*\)", r"https?://\S+", r"\S+@\S+\.\w+", r"\{[^{}]*\}")]
# Languages that mark emphasis with an acute accent on any vowel (Dutch: "dat is écht zo").
EMPHASIS_ACCENTS = {"nl"}
EMPHASIS = str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")


def dictionary_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("DICPATH", "").split(os.pathsep) if p]
    return extra + [Path("/usr/share/hunspell"), Path("/usr/share/myspell"), Path("/usr/share/myspell/dicts")]


def dictionary(lang: str) -> Path | None:
    """The hunspell dictionary (path without .dic/.aff) for a BCP 47 tag, or None."""
    primary = lang.split("-")[0].lower()
    names = []
    if "-" in lang:
        names.append(f"{primary}_{lang.split('-')[1].upper()}")
    names += PREFERRED.get(primary, [primary])
    for name in names:
        for folder in dictionary_dirs():
            if (folder / f"{name}.dic").is_file() and (folder / f"{name}.aff").is_file():
                return folder / name
    for folder in dictionary_dirs():  # any regional variant of the language
        for dic in sorted(folder.glob(f"{primary}_*.dic")) if folder.is_dir() else []:
            if dic.with_suffix(".aff").is_file():
                return dic.with_suffix("")
    return None


def load_words(root: Path) -> set[str]:
    """The manuscript's ``words.txt``: one word a line, ``#`` starts a comment."""
    path = root / WORDS_FILE
    if not path.is_file():
        return set()
    words = set()
    for line in read_text(path, display_path(path)).splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.replace("’", "'"))
    return words


def _primary(lang: str) -> str:
    return str(lang).split("-")[0].lower()


def texts_of(ast: dict, lang: str) -> list[str]:
    """The reader's text in a pandoc JSON AST (the title and subtitle in its metadata included),
    leaving out code, raw HTML, addresses and text in another language than ``lang``."""
    import panflute as pf

    from . import pandoc
    from .filters import in_reading_order
    primary = _primary(lang)
    skipped = (pf.Code, pf.RawInline, pf.Math, pf.Cite, pf.CodeBlock, pf.RawBlock)

    def pruned(e) -> bool:  # an element whose text is not the reader's, in this language
        return isinstance(e, skipped) or isinstance(e, (pf.Span, pf.Div)) and \
            _primary(e.attributes.get("lang", lang)) != primary or \
            isinstance(e, pf.Link) and bool({"uri", "email"} & set(e.classes))

    doc = pandoc.as_doc(ast)
    meta = doc.metadata.content
    out: list[str] = []
    for part in [meta[k] for k in ("title", "subtitle") if k in meta] + list(doc.content):
        for e in in_reading_order(part, pruned):
            if pruned(e):
                continue
            if isinstance(e, pf.Str):
                if "://" not in e.text and "@" not in e.text and not e.text.startswith("www."):
                    out.append(e.text)
            elif isinstance(e, pf.MetaString):
                out.append(e.text)
            elif isinstance(e, (pf.Link, pf.Image)):
                out.extend(v for k, v in e.attributes.items() if k == "alt")
    return out


def tokens(texts) -> list[str]:
    """The words of the texts. A word followed by a full stop is kept with it (``bijv.``): the
    dictionary knows abbreviations with their stop. Left out: the first part of a suspended
    compound (``onderzoeks- en actierichtingen``: no dictionary can judge it alone), words
    joined to a number (``24-uurs``) and domain names (``digicampus.tech``). An optional part
    in brackets stays with its word: ``(beleids)regels`` is right when ``beleidsregels`` or
    ``regels`` is."""
    out = []
    for text in texts:
        text = DOMAIN.sub(" ", text)
        out.extend(OPTIONAL_PART.findall(text))
        text = OPTIONAL_PART.sub(" ", text)
        for m in WORD.finditer(text):
            word, before, after = m.group(0), text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 2]
            if len(word) < 2 or before[-1:].isdigit() or before[-1:] == "-" and before[:1].isdigit() \
                    or after[:1] == "-" and after[1:2] in ("", " ", "\u00a0"):
                continue
            out.append(word + "." if after[:1] == "." else word)
    return out


def plain(text: str, lang: str) -> str:
    """A title written in YAML as text: other-language spans left out, attribute blocks removed."""
    primary = _primary(lang)

    def span(m: re.Match) -> str:
        return m.group(1) if _primary(m.group(2)) == primary else " "
    text = re.sub(r"\[([^\[\]]*)\]\{[^}]*\blang=[\"']?([\w-]+)[^}]*\}", span, text)
    return re.sub(r"\{[^{}]*\}", " ", text)


class HunspellFailed(Exception):
    pass


def unknown(words: set[str], dic: Path) -> set[str]:
    """The words hunspell does not know: one process for all of them, one word a line; ``-L``
    echoes the lines that hold an unknown word. Raises HunspellFailed when it does not run."""
    order = {w.replace("’", "'"): w for w in words}
    if not order:
        return set()
    feed = "".join(f"{w}\n" for w in sorted(order))
    try:
        proc = subprocess.run(["hunspell", "-d", str(dic), "-L", "-i", "UTF-8"], input=feed.encode("utf-8"),
                              capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise HunspellFailed(str(e)) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HunspellFailed(f"exit status {proc.returncode}: {err[-1] if err else 'it printed nothing'}")
    return {order[line] for line in proc.stdout.decode("utf-8", "replace").split("\n") if line in order}


def _accepted(word: str, words: set[str]) -> bool:
    w = word.replace("’", "'")
    return w in words or w[:1].lower() + w[1:] in words or w.lower() in words


def _variants(word: str, lang: str) -> list[str]:
    """Spellings of a word that make it correct if the dictionary knows any of them: without its
    full stop; with or without an optional part in brackets; in Dutch, without the acute accents
    that mark emphasis (``écht``, ``Eén``)."""
    if word.startswith("("):  # (beleids)regels
        optional, rest = word[1:].split(")", 1)
        return _variants(optional + rest, lang) + _variants(rest, lang)
    forms = [word, word[:-1]] if word.endswith(".") else [word]
    if _primary(lang) in EMPHASIS_ACCENTS:
        forms += [f.translate(EMPHASIS) for f in forms if f.translate(EMPHASIS) != f]
    return forms


def masked(lines: list[str]) -> list[str]:
    """The lines with code blocks, other-language spans, code, addresses, link targets and
    attribute blocks blanked, so a word is found where the reader sees it."""
    out = []
    for text in without_code_blocks(lines):
        for mask in MASKS:
            text = mask.sub(lambda m: " " * len(m.group(0)), text)
        out.append(text)
    return out


def _line_of(word: str, views: tuple[list[str], list[str]], default: int) -> tuple[int, str]:
    """(line, the word as written) of the word's first occurrence: where the reader sees it if
    possible (the masked lines), anywhere otherwise."""
    apostrophe = "['\u2019]"
    body = re.escape(word.replace("’", "'")).replace("'", apostrophe)
    end = r"(?![\w'\u2019-])" if word.endswith(".") else r"(?![\w'\u2019.-])"
    pattern = re.compile(r"(?<![\w'\u2019-])" + body + end)
    for lines in views:
        for n, text in enumerate(lines, 1):
            m = pattern.search(text)
            if m:
                return n, m.group(0)
    return default, word


def not_checked(book: Book, hunspell: bool) -> Finding:
    """SPELL-002: why the spelling was not checked, and the command that fixes it."""
    from .system import dictionary_package
    rel = display_path(book.root / "book.yaml")
    line = _lang_line(book.root / "book.yaml")
    package = dictionary_package(book.lang)
    missing = ([] if hunspell else ["hunspell"]) + ([package] if package else [])
    what = f"hunspell and a dictionary for '{book.lang}' are" if not hunspell else \
        f"no hunspell dictionary for '{book.lang}' is"
    if missing:
        remedy = f"install with `sudo apt-get install {' '.join(missing)}` (or run `make tools`)"
    else:
        remedy = (f"Debian has no hunspell dictionary for '{book.lang}': put its .dic and .aff files in a folder "
                  "named in DICPATH")
    return finding("SPELL-002", rel, line, what=what, remedy=remedy)


def _lang_line(book_yaml: Path) -> int:
    try:
        lines = book_yaml.read_text(encoding="utf-8").split("\n")
    except OSError:
        return 0
    return next((i for i, text in enumerate(lines, 1) if re.match(r"lang\s*:", text)), 0)


def check(book: Book) -> list[Finding]:
    """SPELL-001 for every word of the book the dictionary and ``words.txt`` do not know; SPELL-002
    when there is no hunspell or dictionary to ask; CHECK-001 when hunspell fails."""
    dic = dictionary(book.lang)
    if not shutil.which("hunspell") or dic is None:
        return [not_checked(book, bool(shutil.which("hunspell")))]
    from . import pandoc
    words = load_words(book.root)
    book_file = book.root / "book.yaml"
    book_texts = [book.meta.get(k) or "" for k in ("title", "subtitle", "description")] + list(book.parts)
    files = [(display_path(book_file), read_text(book_file, display_path(book_file)).split("\n"), 1,
              tokens(plain(str(t), book.lang) for t in book_texts))]
    for ch in book.chapters:
        if ch.generated:  # the press's own bibliography and index: no text of the editor's
            continue
        source = getattr(ch, "source", "")  # the whole file, so pandoc reads the title as Markdown
        ast = pandoc.markdown_to_ast(source or ch.body, ch.rel)
        texts = ([] if source else [plain(ch.title, book.lang), plain(ch.subtitle or "", book.lang)]) \
            + texts_of(ast, book.lang)
        files.append((ch.rel, read_text(ch.path, ch.rel).split("\n"), ch.body_line, tokens(texts)))
    candidates = {w for *_, toks in files for w in toks if not _accepted(w.rstrip("."), words)}
    forms = {f for w in candidates for f in _variants(w, book.lang)}
    forms |= {p for f in forms if "-" in f for p in f.split("-") if len(p) > 1}
    try:
        bad = unknown(forms, dic)
    except HunspellFailed as e:
        return [finding("CHECK-001", display_path(book_file), 0, tool="the spelling check (hunspell)", detail=str(e))]

    def wrong(word: str) -> bool:
        if _accepted(word.rstrip("."), words) or not all(f in bad for f in _variants(word, book.lang)):
            return False
        parts = word.rstrip(".").split("-")  # a hyphenated compound of known words and the book's own
        return len(parts) == 1 or not all(len(p) < 2 or _accepted(p, words) or not wrong(p) for p in parts)

    found = []
    for rel, lines, default, toks in files:
        views = (masked(lines), lines)
        seen = set()
        for w in toks:
            base = w.rstrip(".")
            if base in seen or w not in candidates or not wrong(w):
                continue
            seen.add(base)
            line, written = _line_of(w, views, default)
            found.append(finding("SPELL-001", rel, line, word=written.rstrip(".")))
    return found
