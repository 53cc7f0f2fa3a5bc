"""Golden tests for the filters: each folder in tests/filters/ holds an ``input.md`` chapter and the
``expected.html`` fragment the pipeline must produce from it (plus ``expected-findings.txt`` when
the input is meant to raise findings, ``expected-queries.json`` when it asks author queries). A
folder with a file named ``proof`` is run as a proofreader's copy (author queries marked).
Regenerate after a deliberate change with ``pytest tests/test_filters.py --regen`` and review the
diff in git before committing."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import panflute as pf
import pytest
from conftest import FIXTURE

from press.book import load_book
from press.pipeline import process

CASES = sorted(p for p in (Path(__file__).parent / "filters").iterdir() if (p / "input.md").exists())
BOOK = """title: "Golden"
lang: {lang}
authors: [Test]
publisher: Test
date: 2024-01-01
identifier: "urn:uuid:00000000-0000-4000-8000-000000000000"
rights: "Test"
description: "Golden test book."
contents:
  - file: 01-case.md
{more}"""


def run_case(case: Path, tmp: Path) -> tuple[str, str, list]:
    lang = (case / "lang").read_text().strip() if (case / "lang").exists() else "en"
    extra = sorted(case.glob("[0-9][0-9]-*.md"))
    more = "".join(f"  - file: {p.name}\n" for p in extra)
    (tmp / "book.yaml").write_text(BOOK.format(lang=lang, more=more), encoding="utf-8")
    (tmp / "01-case.md").write_text((case / "input.md").read_text(encoding="utf-8"), encoding="utf-8")
    for p in extra:
        (tmp / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    if (case / "images").exists():
        shutil.copytree(case / "images", tmp / "images")
    results, findings = process(load_book(tmp), proof=(case / "proof").exists())
    found = "".join(f"{Path(f.path).name}:{f.line}: {f.code}\n" for f in sorted(findings))
    ch = results[0].chapter
    head = f"<!-- title: {ch.title_html} | subtitle: {ch.subtitle_html} -->\n"
    return head + results[0].html, found, results[0].ctx.data.queries


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_filter_golden(case: Path, tmp_path: Path, regen: bool, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html, found, queries = run_case(case, tmp_path)
    expected_html, expected_found = case / "expected.html", case / "expected-findings.txt"
    expected_queries = case / "expected-queries.json"
    asked = json.dumps(queries, ensure_ascii=False, indent=1) + "\n" if queries else ""
    if regen:
        expected_html.write_text(html, encoding="utf-8")
        for path, text in ((expected_found, found), (expected_queries, asked)):
            if text:
                path.write_text(text, encoding="utf-8")
            elif path.exists():
                path.unlink()
    assert html == expected_html.read_text(encoding="utf-8")
    assert found == (expected_found.read_text(encoding="utf-8") if expected_found.exists() else "")
    assert asked == (expected_queries.read_text(encoding="utf-8") if expected_queries.exists() else "")


def _walk_actions():
    """Actions of every kind an action may answer: keep (None), replace, a list, remove ([])."""
    def upper(e, d):
        return pf.Str(e.text.upper()) if isinstance(e, pf.Str) and len(e.text) > 6 else None

    def unwrap(e, d):
        return list(e.content) if isinstance(e, (pf.Emph, pf.Strong)) else None

    def drop_breaks(e, d):
        return [] if isinstance(e, pf.SoftBreak) else None

    def split_links(e, d):
        return [pf.Str("["), e, pf.Str("]")] if isinstance(e, pf.Link) else None

    def mark_parents(e, d):  # reads where the element stands, as filters do
        if isinstance(e, pf.Str) and e.parent is not None and e.index == 0:
            e.text = f"{type(e.parent).__name__}:{e.text}"
    return [upper, unwrap, drop_breaks, split_links, mark_parents]


@pytest.mark.parametrize("action", _walk_actions(), ids=lambda a: a.__name__)
def test_the_fast_walk_gives_what_panflutes_walk_gives(action):
    """press.filters.walk answers as panflute's ``walk`` does, on every chapter of the fixture book."""
    from press import pandoc
    from press.filters import walk
    for chapter in load_book(FIXTURE).chapters:
        ast = pandoc.markdown_to_ast(chapter.source or chapter.body, chapter.rel)
        theirs = pandoc.as_doc(json.loads(json.dumps(ast)))
        mine = pandoc.as_doc(json.loads(json.dumps(ast)))
        theirs = theirs.walk(action)
        mine = walk(mine, action)
        assert pandoc.as_json(mine) == pandoc.as_json(theirs), chapter.rel
