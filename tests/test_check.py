"""``press check`` as an editor meets it: the report grouped by file with a summary, the exit
status, ``--json``, ``--release``, suppressions with their reasons, the spelling check and its word
list, rules that once fired at the wrong line, and this book's own
manuscript and editions, which report nothing but pending text."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import MANUSCRIPT, ROOT, press

from press import spelling
from press.book import load_book
from press.check import collect

RULES_DIR = Path(__file__).parent / "rules"
LINE = re.compile(r"^  (?P<path>\S+?):(?:(?P<line>\d+):)? (?P<code>[A-Z]+-\d{3}) (?P<message>.+)  "
                  r"\[(?P<severity>error|warning)\]$")
# Misspellings in the manuscript reported to the editor and not yet corrected; remove a word here
# when the chapter is fixed. Anything else the spelling check reports fails the test.
KNOWN_TYPOS: set[str] = set()  # the book reports no spelling findings: words.txt lists what is printed so
PENDING = {"NOTE-004", "TEXT-001"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_number(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


@pytest.fixture
def broken_book(fixture_copy: Path) -> Path:
    """The fixture book with two errors in two files and a warning: LINK-001 and TEXT-001 in
    01-tides.md, HEAD-001 in 02-harbours.md."""
    edit(fixture_copy / "01-tides.md", "the [chapter on harbours](#harbours)", "the [chapter on harbours](#harbour)")
    edit(fixture_copy / "01-tides.md", "Twice a day the sea rises and falls.[^1] Sailors",
         "Twice a day the sea rises and falls.[^1] []{.pending} Sailors")
    edit(fixture_copy / "02-harbours.md", "### Gates and basins", "#### Gates and basins")
    return fixture_copy


def check(book: Path, *args: str) -> tuple[int, str, str]:
    """Run ``press check`` from the folder above the book, so paths read ``book/…``."""
    proc = press("check", "-m", book.name, "-d", "no-dist", "--no-validators", *args, cwd=book.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def test_report_grouped_by_file_with_summary(broken_book):
    status, out, _ = check(broken_book)
    lines = out.rstrip("\n").split("\n")
    tides, harbours = broken_book / "01-tides.md", broken_book / "02-harbours.md"
    assert lines == [
        "book/01-tides.md",
        f"  book/01-tides.md:{line_number(tides, '[]{.pending}')}: TEXT-001 text is pending here: the source lost it "
        "(marked []{.pending})  [warning]",
        f"  book/01-tides.md:{line_number(tides, '(#harbour)')}: LINK-001 the link to '#harbour' points at no chapter, "
        "heading or figure in the book  [error]",
        "book/02-harbours.md",
        f"  book/02-harbours.md:{line_number(harbours, '#### Gates')}: HEAD-001 the heading level jumps from 2 to 4: "
        "a level is skipped  [error]",
        "check: 2 error(s), 1 warning(s), 0 suppressed",
    ]
    assert status == 1


def test_findings_sorted_by_line_within_a_file(broken_book):
    _, out, _ = check(broken_book)
    numbers = [int(m["line"]) for m in map(LINE.match, out.splitlines()) if m and m["path"].endswith("01-tides.md")]
    assert len(numbers) == 2 and numbers == sorted(numbers)


def test_warnings_alone_pass(broken_book):
    edit(broken_book / "01-tides.md", "(#harbour)", "(#harbours)")
    edit(broken_book / "02-harbours.md", "#### Gates and basins", "### Gates and basins")
    status, out, _ = check(broken_book)
    assert out.rstrip().endswith("check: 0 error(s), 1 warning(s), 0 suppressed")
    assert status == 0


def test_json_report(broken_book):
    status, out, _ = check(broken_book, "--json")
    report = json.loads(out)  # stdout is the JSON document and nothing else
    assert set(report) == {"findings", "suppressed", "summary"}
    assert all(set(f) == {"path", "line", "code", "severity", "message"} for f in report["findings"])
    assert sorted((f["path"], f["code"], f["severity"]) for f in report["findings"]) == [
        ("book/01-tides.md", "LINK-001", "error"), ("book/01-tides.md", "TEXT-001", "warning"),
        ("book/02-harbours.md", "HEAD-001", "error")]
    assert report["summary"] == {"errors": 2, "warnings": 1, "suppressed": 0}
    assert report["suppressed"] == []
    assert status == 1


def test_release_turns_pending_text_into_errors(fixture_copy):
    edit(fixture_copy / "02-harbours.md", "[^1]: Some harbours dry out instead",
         "[^1]: Some harbours dry out instead []{.pending}")
    edit(fixture_copy / "03-people.md", "More at", "More []{.pending} at")
    status, out, _ = check(fixture_copy)
    assert status == 0 and "check: 0 error(s), 2 warning(s)" in out
    status, out, _ = check(fixture_copy, "--release")
    assert status == 1 and "check: 2 error(s), 0 warning(s)" in out
    assert {(m["code"], m["severity"]) for m in map(LINE.match, out.splitlines()) if m} == \
        {("NOTE-004", "error"), ("TEXT-001", "error")}
    report = json.loads(check(fixture_copy, "--release", "--json")[1])
    assert {f["severity"] for f in report["findings"]} == {"error"}


def test_manuscript_mistake_reported_without_traceback(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(RULES_DIR / "BOOK-002", book, ignore=shutil.ignore_patterns("expected.txt"))
    status, out, err = check(book)
    assert status == 1
    assert re.search(r"^  book/book\.yaml:\d+: BOOK-002 book\.yaml is not valid YAML: .+  \[error\]$", out, re.M)


# ---------------------------------------------------------------------------------------------
# Suppressions


def suppress(book: Path, *entries: dict) -> None:
    (book / "suppressions.yaml").write_text(json.dumps({"suppress": list(entries)}), encoding="utf-8")


def test_suppression_with_reason_is_listed(broken_book):
    line = line_number(broken_book / "01-tides.md", "(#harbour)")
    suppress(broken_book, {"code": "LINK-001", "file": "01-tides.md", "line": line,
                           "reason": "The harbour chapter is added in the next edition."})
    status, out, _ = check(broken_book)
    listed = out.split("Suppressed (accepted in suppressions.yaml):\n", 1)
    assert len(listed) == 2 and "LINK-001" not in listed[0]
    assert f"  book/01-tides.md:{line}: LINK-001 the link to '#harbour' points at no chapter, heading or figure in the " \
           "book  — The harbour chapter is added in the next edition." in listed[1]
    assert "check: 1 error(s), 1 warning(s), 1 suppressed" in out
    assert status == 1  # HEAD-001 remains
    report = json.loads(check(broken_book, "--json")[1])
    assert [(s["code"], s["reason"]) for s in report["suppressed"]] == \
        [("LINK-001", "The harbour chapter is added in the next edition.")]
    assert report["summary"] == {"errors": 1, "warnings": 1, "suppressed": 1}


def test_suppressing_every_error_passes(broken_book):
    suppress(broken_book, {"code": "LINK-001", "reason": "Added in the next edition."},
             {"code": "HEAD-001", "file": "02-harbours.md", "reason": "The source sets it so."})
    status, out, _ = check(broken_book)
    assert status == 0 and "check: 0 error(s), 1 warning(s), 2 suppressed" in out


def test_suppression_for_another_line_does_not_apply(broken_book):
    suppress(broken_book, {"code": "LINK-001", "file": "01-tides.md", "line": 1, "reason": "Not this one."})
    status, out, _ = check(broken_book)
    assert "Suppressed" not in out and "check: 2 error(s), 1 warning(s), 0 suppressed" in out


@pytest.mark.parametrize("entry, why", [({"code": "LINK-001"}, "reason"), ({"code": "LINK-001", "reason": "  "}, "reason"),
                                        ({"code": "NOPE-001", "reason": "Because."}, "code")])
def test_suppression_needs_a_reason_and_a_known_code(broken_book, entry, why):
    suppress(broken_book, entry)
    status, out, err = check(broken_book)
    assert status == 1
    found = [m for m in map(LINE.match, out.splitlines()) if m and m["code"] == "SUPP-003"]
    assert [(m["path"], m["line"]) for m in found] == [("book/suppressions.yaml", "1")]
    assert why in found[0]["message"] and "suppression 1" in found[0]["message"]
    assert "Suppressed" not in out  # a file with a wrong entry suppresses nothing


# ---------------------------------------------------------------------------------------------
# Spelling


@pytest.fixture
def dutch_book(tmp_path, monkeypatch) -> Path:
    """The SPELL-001 case (a Dutch book with one typo) to edit; the working folder is above it."""
    book = tmp_path / "book"
    shutil.copytree(RULES_DIR / "SPELL-001", book, ignore=shutil.ignore_patterns("expected.txt"))
    monkeypatch.chdir(tmp_path)
    return book


def misspelt(book: Path) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, dict(f.fields)["word"]) for f in spelling.check(load_book(book))]


def test_word_list_accepts_names_and_words(dutch_book):
    chapter = dutch_book / "01-hoofdstuk.md"
    edit(chapter, "Wij denken rigoreus na", "Wij denken rigoreus na met Qwertyx en de JPF-aanpak. Rigoreus")
    assert misspelt(dutch_book) == [("book/01-hoofdstuk.md", 7, "rigoreus"), ("book/01-hoofdstuk.md", 7, "Qwertyx"),
                                    ("book/01-hoofdstuk.md", 7, "JPF-aanpak"), ("book/01-hoofdstuk.md", 7, "Rigoreus")]
    (dutch_book / "words.txt").write_text("# names\nQwertyx\nJPF  # an abbreviation\n\nrigoreus\n", encoding="utf-8")
    assert misspelt(dutch_book) == []


def test_other_languages_code_and_addresses_are_not_checked(dutch_book):
    chapter = dutch_book / "01-hoofdstuk.md"
    edit(chapter, "Wij denken rigoreus na over het weer en de zee.",
         "Wij denken na over [rigoreus thinking]{lang=en}, `rigoreus`, <https://rigoreus.example.org/rigoreus>,\n"
         "[de site](https://example.org/rigoreus) en [mail](mailto:rigoreus@example.org).\n\n"
         "```\nrigoreus\n```\n\nHet is écht zo, bijv. hier. Eén keer (beleids)regels, onderzoeks- en actierichtingen.\n\n"
         "Pas hier staat het fout: rigoreus, zegt de redactie.")
    assert misspelt(dutch_book) == [("book/01-hoofdstuk.md", line_number(chapter, "Pas hier"), "rigoreus")]


def test_titles_and_book_metadata_are_checked(dutch_book):
    edit(dutch_book / "01-hoofdstuk.md", 'title: "Eerste hoofdstuk"', 'title: "Eerste hoofdstukk"')
    edit(dutch_book / "book.yaml", "precies één regel breekt", "precies één regle breekt")
    assert misspelt(dutch_book) == [("book/book.yaml", line_number(dutch_book / "book.yaml", "regle"), "regle"),
                                    ("book/01-hoofdstuk.md", 2, "hoofdstukk"),
                                    ("book/01-hoofdstuk.md", 7, "rigoreus")]


def test_dictionaries_by_language():
    assert spelling.dictionary("nl").name == "nl_NL"
    assert spelling.dictionary("nl-BE").name == "nl_BE"
    assert spelling.dictionary("tlh") is None


def test_missing_dictionary_is_a_warning_with_the_install_command(dutch_book, monkeypatch):
    monkeypatch.setattr(spelling, "dictionary_dirs", lambda: [dutch_book])
    book = load_book(dutch_book)
    found = spelling.check(book)
    assert [(f.path, f.line, f.code, f.severity) for f in found] == \
        [("book/book.yaml", line_number(dutch_book / "book.yaml", "lang:"), "SPELL-002", "warning")]
    assert "sudo apt-get install hunspell-nl" in found[0].message  # the package press.system names for 'nl'


def test_missing_hunspell_names_it_too(dutch_book, monkeypatch):
    monkeypatch.setattr(spelling.shutil, "which", lambda name: None)
    found = spelling.check(load_book(dutch_book))
    assert [f.code for f in found] == ["SPELL-002"]
    assert "sudo apt-get install hunspell hunspell-nl" in found[0].message


# ---------------------------------------------------------------------------------------------
# Rules that once fired at the wrong place: each case states the right line.

KNOWN_WRONG = [  # (code, chapter body from file line 5, the right line(s), what went wrong before)
    ("HEAD-002", "## Begin\n\nTekst.\n\n## \n\nMeer tekst.", {9},
     "the needle '##' finds the first heading, not the empty one"),
    ("LINK-002", "## Eb {#getij}\n\nTekst.\n\n## Vloed {#getij}\n\nMeer tekst.", {9},
     "a duplicate in the same chapter is reported at the first use"),
    ("TEXT-001", "Eerst []{.pending} hier.\n\nDan []{.pending} daar.", {7},
     "every pending span of a chapter is reported at the first one, and the duplicates collapse"),
    ("FILE-006", "Tekst.\n\n---\ntitel: [niet gesloten\n---\n\nMeer.", {7, 8, 9},
     "pandoc's YAML error names a line, but the finding has none"),
]


@pytest.mark.parametrize("code, body, right, why", KNOWN_WRONG, ids=[k[0] for k in KNOWN_WRONG])
def test_known_wrong_lines(code, body, right, why, tmp_path, monkeypatch):
    work = tmp_path / "case"
    shutil.copytree(RULES_DIR / "SPELL-001", work, ignore=shutil.ignore_patterns("expected.txt"))
    (work / "01-hoofdstuk.md").write_text('---\ntitle: "Eerste hoofdstuk"\n---\n\n' + body + "\n", encoding="utf-8")
    monkeypatch.chdir(work)
    assert {f.line for f in collect(Path("."), None) if f.code == code} & right


def test_impossible_date_is_a_finding_not_a_crash(tmp_path, monkeypatch):
    work = tmp_path / "case"
    shutil.copytree(RULES_DIR / "SPELL-001", work, ignore=shutil.ignore_patterns("expected.txt"))
    text = (work / "book.yaml").read_text(encoding="utf-8")
    (work / "book.yaml").write_text(text.replace("date: 2024-05-01", "date: 2024-13-45"), encoding="utf-8")
    monkeypatch.chdir(work)
    assert [(f.path, f.line, f.code) for f in collect(Path("."), None)] == [("book.yaml", 6, "BOOK-009")]


# ---------------------------------------------------------------------------------------------
# This book


def assert_only_pending(report: dict) -> None:
    codes = {f["code"] for f in report["findings"]}
    assert codes - {"SPELL-001"} <= PENDING, [f for f in report["findings"] if f["code"] not in PENDING]
    typos = {re.search(r"'(.+)'", f["message"]).group(1) for f in report["findings"] if f["code"] == "SPELL-001"}
    assert typos <= KNOWN_TYPOS, f"new spelling findings: {typos - KNOWN_TYPOS}; fix them or add to words.txt"
    assert report["summary"]["errors"] == 0


def test_this_manuscript_reports_only_pending_text(tmp_path):
    proc = press("check", "-m", "manuscript", "-d", str(tmp_path / "none"), "--no-validators", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_only_pending(json.loads(proc.stdout))


def test_this_book_and_its_editions_report_only_pending_text(real_book, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(real_book.dist, dist)  # the validators write their reports into DIST
    proc = press("check", "-m", str(MANUSCRIPT.relative_to(ROOT)), "-d", str(dist), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert_only_pending(report)
    assert all(f["path"].startswith("manuscript/") for f in report["findings"])


# ---------------------------------------------------------------------------------------------
# make linkcheck


def test_linkcheck_from_the_command_line(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(RULES_DIR / "SPELL-001", book, ignore=shutil.ignore_patterns("expected.txt"))
    proc = press("linkcheck", "-m", str(book), "-d", str(tmp_path / "dist"), "--timeout", "1")
    assert proc.returncode == 0, proc.stderr
    assert "linkcheck: 0 address(es) checked, 0 did not answer" in proc.stdout
