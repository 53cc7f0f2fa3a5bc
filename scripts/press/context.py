"""What a filter may know besides the AST: the book, its chapter, labels in the book's language,
and a place to report findings with the file and line they concern."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

from .book import Book, Chapter, load_yaml_file
from .rules import Finding, finding

LOCALES = Path(__file__).parent / "locales"


def labels_for(lang: str) -> dict[str, str]:
    """Reader-facing labels ("Inhoud", "Eindnoten") in the book's language, English as fallback."""
    base = load_yaml_file(LOCALES / "en.yaml")
    primary = lang.split("-")[0].lower()
    path = LOCALES / f"{primary}.yaml"
    if path.exists():
        base.update(load_yaml_file(path))
    return base


@dataclass
class ChapterData:
    """What a chapter's filters leave for the later stages and the writers, one field a filter's
    result. The cache stores it whole (``to_json``) and gives it back equal (``from_json``)."""
    title: str = ""                # titleblock: the title as plain text
    subtitle: str | None = None    # titleblock: the subtitle as plain text, if any
    cites: list[str] = field(default_factory=list)        # citations: the keys cited, in order
    notes: list[dict] = field(default_factory=list)       # notes: {"n", "label", "pending"} per endnote
    queries: list[dict] = field(default_factory=list)     # queries: the author queries, numbered
    images: list[str] = field(default_factory=list)       # figures: the images the editions copy
    image_uses: list[list] = field(default_factory=list)  # figures: [path, line] per use
    index_marks: list[list] = field(default_factory=list)  # index: [id, term, line] per {.index} mark
    sections: list[dict] = field(default_factory=list)    # outline: h2 sections with their h3 children
    ids: dict[str, str] = field(default_factory=dict)     # ids: every id of the book → its chapter's id
    ambiguous: set[str] = field(default_factory=set)      # ids: automatic ids several headings produced

    def to_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["ambiguous"] = sorted(self.ambiguous)
        return out

    @classmethod
    def from_json(cls, record: dict) -> ChapterData:
        return cls(**{**record, "ambiguous": set(record.get("ambiguous", ()))})


@dataclass
class ChapterContext:
    book: Book
    chapter: Chapter
    labels: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    data: ChapterData = field(default_factory=ChapterData)  # what the filters leave for later stages
    proof: bool = False  # a proofreader's copy (``press queries``): author queries leave marks

    @cached_property
    def lines(self) -> list[str]:
        return self.chapter.body.split("\n")

    def line_of(self, needle: str, default: int = 0, nth: int = 1) -> int:
        """The file line of the ``nth`` occurrence of ``needle`` in the chapter body (0 when not found)."""
        if needle:
            seen = 0
            for i, text in enumerate(self.lines):
                seen += text.count(needle)
                if seen >= nth:
                    return self.chapter.body_line + i
        return default

    def line_matching(self, pattern: str, default: int = 0) -> int:
        """The file line of the first body line that matches the regular expression ``pattern``."""
        rx = re.compile(pattern)
        for i, text in enumerate(self.lines):
            if rx.search(text):
                return self.chapter.body_line + i
        return default

    def report(self, code: str, needle: str = "", line: int = 0, nth: int = 1, **fields) -> None:
        self.findings.append(finding(code, self.chapter.rel, line or self.line_of(needle, nth=nth), **fields))
