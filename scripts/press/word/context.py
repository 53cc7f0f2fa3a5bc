"""What the Word mapping modules may know besides the AST, one context per direction."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ..book import Book, Chapter
from ..schema import WORD_ROLES

# Word paragraph styles the press knows by name (lower case), and what each becomes. A book adds
# its own in book.yaml (``word_styles: {Kadertekst: sidebar}``) or the command line (``--style``).
STYLES = {
    "kader": "sidebar", "sidebar": "sidebar", "sidebar title": "sidebar", "kadertitel": "sidebar",
    "pull quote": "pullquote", "pullquote": "pullquote", "streamer": "pullquote",
    "quote": "quote", "intense quote": "quote", "block text": "quote", "citaat": "quote",
}
ROLES = WORD_ROLES


@dataclass
class ImportContext:
    rel: str                       # the .docx as the editor named it
    lang: str                      # the book's language
    changes: str | None = None     # "accept" or "reject" tracked changes; None refuses them
    styles: dict[str, str] = field(default_factory=lambda: dict(STYLES))
    media: dict[str, bytes] = field(default_factory=dict)     # the package's files, by name
    existing: dict[str, str] = field(default_factory=dict)    # sha256 → images/… already in the book
    properties: dict = field(default_factory=dict)             # the document's properties
    chapter_id: str | None = None
    title: list = field(default_factory=list)      # inlines
    subtitle: list = field(default_factory=list)   # inlines
    authors: list[str] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)            # further keys (from a press export)
    images: dict[str, bytes] = field(default_factory=dict)     # images/… to write
    placed: list = field(default_factory=list)     # (code, needle, fields): findings in the new file
    counts: dict = field(default_factory=dict)     # what was mapped, for the summary
    labels: dict = field(default_factory=dict)     # the book's language's labels (locales/)
    queries_after: list = field(default_factory=list)  # (block, question): queries to add after blocks
    refused: list = field(default_factory=list)    # (picture, reason): pictures no edition could use

    def report(self, code: str, needle: str, **fields) -> None:
        """A finding about the new chapter, at the line where ``needle`` is written."""
        self.placed.append((code, needle, fields))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def role(self, style: str) -> str | None:
        return self.styles.get(style.strip().lower())


# Word comments are numbered from here. LibreOffice (7.4) shows the footnotes after a comment with
# the text of the note before them when the comment's number is not above every footnote's (pandoc
# numbers footnotes and bookmarks from 1); Word does not mind the numbers.
COMMENT_IDS = 1_000_000


@dataclass
class ExportContext:
    book: Book
    chapter: Chapter | None
    labels: dict
    root: Path
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    comments: itertools.count = field(default_factory=lambda: itertools.count(COMMENT_IDS))
    notes: itertools.count = field(default_factory=lambda: itertools.count(1))   # Word numbers them through
    date: str = "2024-01-01T00:00:00Z"   # comments' date: the book's, so exports are reproducible

    def press_id(self, kind: str) -> str:
        return f"press-{kind}-{next(self.ids)}"
