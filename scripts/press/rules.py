"""The press's check rules: every finding the press can report, registered once.

Each rule has a stable code (``NOTE-001``), a severity and one message text. Code anywhere in the
press reports a finding by code (``finding("NOTE-001", path, line, label="3")``); the text is
always the one written here, so an editor sees the same words for the same problem everywhere,
and ``tests/test_rules.py`` proves every code can fire.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    text: str  # str.format template over the finding's fields


RULES: dict[str, Rule] = {}


def _rule(code: str, severity: str, text: str) -> None:
    assert code not in RULES, code
    RULES[code] = Rule(code, severity, text)


# Book metadata and contents (book.yaml)
_rule("BOOK-001", ERROR, "book.yaml is missing")
_rule("BOOK-002", ERROR, "book.yaml is not valid YAML: {detail}")
_rule("BOOK-003", ERROR, "book.yaml lacks the required key '{key}'")
_rule("BOOK-004", ERROR, "'{value}' is not a valid language tag (BCP 47, for example 'nl' or 'en-GB')")
_rule("BOOK-005", ERROR, "contents names '{name}', but there is no such file")
_rule("BOOK-006", ERROR, "'{name}' is a chapter file but contents does not list it")
_rule("BOOK-007", ERROR, "contents lists '{name}' more than once")
_rule("BOOK-008", ERROR, "contents is empty: the book has no chapters")
_rule("BOOK-009", ERROR, "'{key}' has an invalid value: {detail}")
_rule("BOOK-010", ERROR, "contents entry {index} is neither '- file: NAME.md' nor '- part: TITLE' with files")
_rule("BOOK-012", ERROR, "the ISBN {isbn} has a wrong check digit: it would end in {digit}; copy it again from the ISBN agency's record")
_rule("BOOK-011", ERROR, "unknown key '{key}' in book.yaml{hint}")
# Any YAML file of the manuscript (book.yaml, front matter, suppressions.yaml)
_rule("YAML-001", ERROR, "YAML anchors and aliases (&name, *name) are not allowed: write each value out in full")
_rule("YAML-002", ERROR, "the YAML exceeds the press's limits: {detail}")
_rule("YAML-003", ERROR, "the file is not valid YAML: {detail}")
# Chapter files
_rule("FILE-001", ERROR, "the file is not saved as UTF-8 text: {detail}. Save it as UTF-8 (in your editor: Save As… → Encoding: UTF-8; in Word: Save As → Plain Text → Unicode (UTF-8))")
_rule("FILE-002", ERROR, "the front matter is not valid YAML: {detail}")
_rule("FILE-003", ERROR, "the front matter lacks a title")
_rule("FILE-004", ERROR, "the front matter key '{key}' has an invalid value: {detail}")
_rule("FILE-005", ERROR, "the chapter has no text")
_rule("FILE-006", ERROR, "pandoc could not read the chapter: {detail}")
_rule("FILE-007", ERROR, "the chapter id '{id}' is used by another chapter too ({other})")
_rule("FILE-008", ERROR, "the file is {size} MB; a chapter may be at most {limit} MB: split it into several chapters")
_rule("FILE-009", ERROR, "unknown key '{key}' in the front matter{hint}")
# suppressions.yaml
_rule("SUPP-001", ERROR, "suppressions.yaml is not valid YAML: {detail}")
_rule("SUPP-002", ERROR, "unknown key '{key}' in suppressions.yaml{hint}")
_rule("SUPP-003", ERROR, "a suppression cannot be used: {detail}")
# Identifiers and links
_rule("LINK-001", ERROR, "the link to '#{target}' points at no chapter, heading or figure in the book")
_rule("LINK-002", ERROR, "the id '{id}' is used more than once in the book (also in {other})")
_rule("LINK-003", ERROR, "the link to '#{target}' is ambiguous: several headings got that automatic id; give the heading an explicit id and link to it")
_rule("LINK-004", ERROR, "the web address '{url}' is not well-formed: {detail}")
_rule("LINK-005", ERROR, "the e-mail address '{url}' is not well-formed")
_rule("LINK-006", ERROR, "the link '{url}' points at a file that is not in the {edition} edition")
_rule("LINK-007", WARNING, "the web address '{url}' did not answer: {detail}")
_rule("LINK-008", ERROR, "a page reference must point at a place in this book ('#id'), not at '{url}'")
# Endnotes
_rule("NOTE-001", ERROR, "the note call [^{label}] has no note text")
_rule("NOTE-002", ERROR, "the note [^{label}] is never called")
_rule("NOTE-003", ERROR, "the note [^{label}] is empty")
_rule("NOTE-004", WARNING, "the note [^{label}] is pending: its text is (partly) missing")
_rule("NOTE-005", ERROR, "the note [^{label}] is called more than once")
_rule("NOTE-006", WARNING, "note labels are not numbered 1…n in reading order: [^{label}] is note {number}")
# Citations and the bibliography (book.yaml: bibliography, citation-style)
_rule("CITE-001", ERROR, "the citation key '@{key}' is not in the bibliography")
_rule("CITE-002", ERROR, "the bibliography cannot be read here: {detail}")
_rule("CITE-003", WARNING, "the bibliography entry '{key}' is never cited")
_rule("CITE-004", ERROR, "there is no citation style '{name}': {hint}")
_rule("CITE-005", ERROR, "the bibliography file '{name}' does not exist in the manuscript folder")
_rule("CITE-006", ERROR, "a reference kept as written (a span of class cite) names no library entry: add key=… to it")
# The back-of-book index ([term]{{.index}})
_rule("INDEX-001", ERROR, "the index mark has no term: write the words inside [ ] or give term=\"…\"")
_rule("INDEX-002", WARNING, "the sub-entry '{term}' has a main entry '{main}' that is never marked on its own")
_rule("INDEX-003", ERROR, "the index mark '{term}' lands on no page of the print edition (its text was removed or hidden)")
_rule("INDEX-004", ERROR, "the index cross-reference '{term}' → '{target}' names a term that is never marked")
_rule("TEXT-001", WARNING, "text is pending here: the source lost it (marked []{{.pending}})")
# Author queries
_rule("QUERY-001", WARNING, "author query {number} is open: “{question}”")
_rule("QUERY-002", ERROR, "the author query asks nothing: write the question as text=\"…\" (or as the content of a ::: query block)")
_rule("TEXT-002", WARNING, "a hyphen between spaces is used as a dash (' - '): write an en dash between spaces (' – ')")
# Size limits (what keeps a build within its time and memory; docs/manuscript-format.md)
_rule("SIZE-001", ERROR, "the table has {rows} rows and {cells} cells; a table may have at most {max_rows} rows and {max_cells} cells: split it")
_rule("SIZE-002", ERROR, "the note [^{label}] is {size} kB of text; a note may be at most {limit} kB")
_rule("SIZE-003", ERROR, "the chapters are {size} MB of text in all; a book may be at most {limit} MB: publish it in volumes")
_rule("SIZE-004", ERROR, "the text is nested more than {limit} levels deep (lists, block quotes or emphasis inside each other)")
_rule("SIZE-005", ERROR, "the book's images have {pixels} million pixels in all; at most {limit} million: export them at the size they are printed")
_rule("PDF-004", ERROR, "the book could not be laid out within the press's limits ({detail})")
# Headings
_rule("HEAD-001", ERROR, "the heading level jumps from {prev} to {level}: a level is skipped")
_rule("HEAD-002", ERROR, "the heading is empty")
_rule("HEAD-003", ERROR, "a level-1 heading inside a chapter: the chapter title comes from the front matter; start sections at ##")
_rule("HEAD-004", ERROR, "the {edition} navigation lists {found}, the manuscript has {expected}")
# Blocks
_rule("DIV-001", ERROR, "unknown block class '{cls}': the press knows {known}")
_rule("DIV-002", ERROR, "the sidebar is empty")
_rule("DIV-003", ERROR, "the block opened here with '{fence}' is never closed: add a line ':::' where it ends")
_rule("DIV-004", ERROR, "'{fence}' is read as text, not as a block's fence: {detail}")
_rule("QUOTE-001", ERROR, "the pull quote does not repeat text from the chapter: “{text}”")
# Figures and images
_rule("IMG-001", ERROR, "the image '{src}' does not exist")
_rule("IMG-002", ERROR, "the image '{src}' is outside the manuscript folder; it was not read")
_rule("IMG-003", ERROR, "the image '{src}' has a format the editions cannot show (use SVG, PNG or JPEG)")
_rule("IMG-004", ERROR, "the figure '{src}' has no alt text and no caption")
_rule("IMG-005", WARNING, "the SVG image '{src}' was cleaned; the editions show it without: {removed}")
_rule("IMG-006", ERROR, "the image '{src}' cannot be used: {reason}")
# Word documents (press import)
_rule("WORD-001", ERROR, "the document has {count} tracked change(s) (by {authors}): accept or reject them in Word, or import with --accept-changes or --reject-changes")
_rule("WORD-002", WARNING, "a line set in bold looks like a heading without a heading style: “{text}”; make it a heading (## …) or plain text")
_rule("WORD-003", WARNING, "the document has no title (no Title paragraph, opening heading or title property); the file name '{name}' stands in for it")
_rule("WORD-004", WARNING, "the picture '{src}' has no alt text in Word: write one (alt=\"…\") or answer the author query beside it")
_rule("WORD-005", ERROR, "the Word document could not be written: {detail}")
_rule("WORD-006", ERROR, "the file is not a Word document (.docx) pandoc can read: {detail}")
_rule("WORD-007", ERROR, "the import would overwrite '{name}': {detail}")
_rule("WORD-008", ERROR, "{option} names '{name}', which contents does not list")
_rule("WORD-009", ERROR, "the Word document exceeds the press's limits: {detail}")
# Raw HTML
_rule("HTML-001", ERROR, "raw HTML that could run code or load another page was removed: {detail}")
# Spelling
_rule("SPELL-001", WARNING, "possible misspelling: '{word}'")
_rule("SPELL-002", WARNING, "the spelling was not checked: {what} installed; {remedy}")
# The checks themselves
_rule("CHECK-001", ERROR, "{tool} did not run, so nothing it checks was checked: {detail}")
_rule("CHECK-002", ERROR, "the {edition} in the output folder was not built from this manuscript (the last build failed or was not run): run `make` to see why; its checks did not run")
# Rendering
_rule("PDF-001", ERROR, "WeasyPrint reported: {detail}")
_rule("PDF-002", ERROR, "the fonts lack a glyph for '{char}' (U+{codepoint})")
_rule("PDF-003", ERROR, "the font '{file}' that the styles' fonts.yaml names is not installed: run `make setup` (or `sudo apt-get install {package}`)")
# A book's own design (design/: press.design)
_rule("DESIGN-001", ERROR, "the design's CSS cannot be used: {detail}")
_rule("DESIGN-002", ERROR, "'{name}' is not a token of the press{hint}")
_rule("DESIGN-003", ERROR, "the design's fonts.yaml is not right here: {detail}")
_rule("DESIGN-004", ERROR, "the font file '{file}' is not in the manuscript's design folder")
_rule("DESIGN-005", ERROR, "the font file '{file}' needs 'licence:', the licence file beside it in the design folder (one that allows embedding)")
_rule("FONT-001", ERROR, "the font file cannot be used: {reason}")
_rule("FONT-002", ERROR, "the font's licence bits (OS/2 fsType {fs_type}) do not allow {what}, which every edition needs")
_rule("EPUB-001", ERROR, "EPUBCheck {severity}: {detail}")
_rule("EPUB-002", ERROR, "Ace by DAISY ({impact}): {detail}")
_rule("HTML-002", ERROR, "axe-core ({impact}): {detail}")
_rule("HTML-003", ERROR, "Nu HTML Checker: {detail}")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    code: str
    fields: tuple = ()  # (name, value) pairs, sorted; part of identity: two problems on one line stay two

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def message(self) -> str:
        return self.rule.text.format(**dict(self.fields))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.code} {self.message}"

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "code": self.code,
                "severity": self.severity, "message": self.message}


def finding(code: str, path: str | Path, line: int = 0, **fields) -> Finding:
    if code not in RULES:
        raise KeyError(f"unregistered rule code {code}")
    RULES[code].text.format(**fields)  # fail early on a missing field
    return Finding(str(path), int(line or 0), code, tuple(sorted(fields.items())))


class ManuscriptError(Exception):
    """One or more errors in the manuscript: the build stops and reports them."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings)
        super().__init__("\n".join(str(f) for f in self.findings))

    def __reduce__(self):  # raised in a worker process, re-raised in the build: keep the findings
        return (ManuscriptError, (self.findings,))
