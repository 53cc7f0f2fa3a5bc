"""The manuscript's schema (press.schema): the documentation is generated from it, and any mistake an
editor can make in book.yaml, front matter or fenced divs — generated here by hypothesis: unknown
keys, values of the wrong kind, unbalanced ``:::`` — ends in a finding at the right file and line,
never in a traceback."""
from __future__ import annotations

import string

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from press import schema
from press.check import collect, load_suppressions
from press.filters.divs import fences

DOC = ROOT / "docs" / "manuscript-format.md"
DOCS = [DOC, ROOT / "docs" / "designers.md",  # the design's fonts.yaml is documented for designers
        ROOT / "docs" / "catalogue.md"]         # a publisher's catalogue.yaml


def test_docs_list_every_key_of_the_schema(regen):
    texts = [d.read_text(encoding="utf-8") for d in DOCS]
    assert {m.group("which") for text in texts for m in schema.DOC_BLOCK.finditer(text)} == set(schema.SCHEMAS)
    for doc, text in zip(DOCS, texts):
        generated = schema.document(text)
        if regen:
            doc.write_text(generated, encoding="utf-8")
        assert text == generated, f"{doc.name}'s key tables differ from press.schema: run pytest --regen"
    text = "".join(texts)
    for which in schema.SCHEMAS:
        for key, *_ in schema.rows(which):
            assert f"| `{key}` |" in text


def test_every_key_has_a_meaning_and_an_expected_kind():
    for which in schema.SCHEMAS:
        for key, _, kind, meaning in schema.rows(which):
            assert kind and meaning, (which, key)


def test_a_single_name_is_a_list_of_one():
    data = {"author": "Ada Writer"}
    assert schema.validate(data, None, "front matter") == []
    assert schema.normalise(data, "front matter") == {"author": ["Ada Writer"]}


# ---------------------------------------------------------------------------------------------
# Generated mistakes

BOOK_LINES = [
    'title: "Generated"', "lang: en-GB", "authors: [Ada Writer]", "publisher: Test", "date: 2024-01-01",
    'identifier: "urn:uuid:11111111-2222-4333-8444-555555555555"', 'rights: "Test"', 'description: "Generated."',
    "contents:", "  - file: 01-a.md",
]
CHAPTER_HEAD = ['title: "A chapter"', "author: [Ada Writer]"]
PARAGRAPHS = ["The sea rises and falls twice a day.", "## A section", "The harbour master keeps the tables.",
              "Ships wait for the water.", "- a list item", "1. a numbered item"]
WRONG = {  # key → values of the wrong kind, as they would be written in YAML
    "title": ["5", "[a, b]", "{x: 1}", "true", "2024"],
    "authors": ["5", "[Ada, 5]", "{name: Ada}", "[[Ada]]", "no"],
    "date": ["2024", "2024-13-45", "[2024]", "01-02-2024"],
    "identifier": ["5", "isbn 123", "[urn]"],
    "lang": ["5", "english language", "[nl]"],
    "contents": ["01-a.md", "5", "{file: 01-a.md}"],
    "publisher": ["[a]", "3.5"],
}
FRONT_WRONG = {"title": ["5", "[a, b]", "true"], "author": ["5", "[Ada, 5]", "{x: y}"], "id": ["5", "1e", "[x]"],
               "subtitle": ["[a]", "7"]}
KNOWN_BOOK = set(schema.BOOK["properties"])
KNOWN_FRONT = set(schema.FRONT_MATTER["properties"])
unknown_key = st.text(alphabet=string.ascii_lowercase + "_", min_size=2, max_size=12).filter(
    lambda k: k not in KNOWN_BOOK | KNOWN_FRONT and not k.startswith("_"))


@st.composite
def manuscript(draw):
    """(book.yaml lines, chapter lines, file the mistake is in, its line, the codes it may give)."""
    book, head = list(BOOK_LINES), list(CHAPTER_HEAD)
    body = draw(st.lists(st.sampled_from(PARAGRAPHS), min_size=1, max_size=6))
    kind = draw(st.sampled_from(["book-unknown", "book-wrong", "front-unknown", "front-wrong", "unclosed", "stray"]))
    if kind == "book-unknown":
        at = draw(st.integers(0, 8))  # anywhere before contents
        book.insert(at, f"{draw(unknown_key)}: {draw(st.sampled_from(['x', '5', '[a, b]']))}")
        return book, head, body, "book.yaml", at + 1, {"BOOK-011"}
    if kind == "book-wrong":
        key = draw(st.sampled_from(sorted(WRONG)))
        at = next(i for i, line in enumerate(book) if line.startswith(f"{key}:"))
        book[at] = f"{key}: {draw(st.sampled_from(WRONG[key]))}"
        if key == "contents":
            del book[at + 1]
        return book, head, body, "book.yaml", at + 1, {"BOOK-009", "BOOK-004", "BOOK-010"}
    if kind == "front-unknown":
        at = draw(st.integers(0, len(head)))
        head.insert(at, f"{draw(unknown_key)}: {draw(st.sampled_from(['x', '5', '[a, b]']))}")
        return book, head, body, "01-a.md", at + 2, {"FILE-009"}
    if kind == "front-wrong":
        key = draw(st.sampled_from(sorted(FRONT_WRONG)))
        value = draw(st.sampled_from(FRONT_WRONG[key]))
        found = [i for i, line in enumerate(head) if line.startswith(f"{key}:")]
        if found:
            head[found[0]] = f"{key}: {value}"
            at = found[0]
        else:
            head.append(f"{key}: {value}")
            at = len(head) - 1
        return book, head, body, "01-a.md", at + 2, {"FILE-004", "FILE-003"}
    first_body_line = len(head) + 4  # ---, head, ---, blank
    at = draw(st.integers(0, len(body)))
    fence = ":::" if kind == "stray" else draw(st.sampled_from(["::: sidebar", ":::: pullquote", "::: {.sidebar}"]))
    body.insert(at, fence)
    line = first_body_line + 2 * at  # paragraphs are separated by blank lines
    return book, head, body, "01-a.md", line, {"DIV-004" if kind == "stray" else "DIV-003"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(case=manuscript())
def test_any_mistake_is_a_finding_at_its_file_and_line(tmp_path_factory, monkeypatch, case):
    book_lines, head, body, file, line, codes = case
    root = tmp_path_factory.mktemp("mistake")
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    (root / "book.yaml").write_text("\n".join(book_lines) + "\n", encoding="utf-8")
    chapter = "---\n" + "\n".join(head) + "\n---\n\n" + "\n\n".join(body) + "\n"
    (root / "01-a.md").write_text(chapter, encoding="utf-8")
    findings = collect(root, None, validators=False)  # raises nothing: any exception fails the test
    errors = [f for f in findings if f.severity == "error"]
    assert errors, (chapter, book_lines)
    assert any(f.path.endswith(file) and f.line == line and f.code in codes for f in errors), \
        ([str(f) for f in errors], file, line, codes, chapter, book_lines)
    for f in findings:
        assert "Traceback" not in f.message and "<block" not in f.message and "{" not in f.message.replace("{.", "")


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.sampled_from([":::", "::: sidebar", "::: {.pullquote}", "text", "", "```", "    code",
                                       "- item", "> quote", "> ::: sidebar", "~~~"]), max_size=14))
def test_fence_reading_never_fails_and_balances(lines):
    """Whatever the lines, the reader returns; with its findings removed the fences balance."""
    problems = fences(lines)
    assert all(code in ("DIV-003", "DIV-004") and 0 <= i < len(lines) for code, i, _ in problems)
    kept = [line for i, line in enumerate(lines) if i not in {i for _, i, _ in problems}]
    assert [c for c, _, _ in fences(kept) if c == "DIV-003"] == []


@pytest.mark.parametrize("text", [
    "- code: LINK-001\n  reason: x\n  line: abc\n", "suppress: 5\n", "suppress:\n  - [a, b]\n", "[1, 2\n",
    "suppress:\n  - code: 5\n    reason: [x]\n", "\t- x\n", "suppress:\n  - code: LINK-001\n    reason: ok\n    line: -3\n",
])
def test_any_suppressions_file_is_findings_not_a_traceback(tmp_path, text):
    (tmp_path / "suppressions.yaml").write_text(text, encoding="utf-8")
    entries, found = load_suppressions(tmp_path)
    assert entries == [] and found
    assert all(f.code.startswith("SUPP-") and f.line >= 1 for f in found), [str(f) for f in found]
