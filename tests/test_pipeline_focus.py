"""The pipeline with a focus (``press preview``'s visible page after an edit): the book filters read
every chapter but one as its stub (press.stubs), and that one chapter's HTML, title and book-wide
data must be exactly what the whole pipeline makes of it."""
from __future__ import annotations

import re
import shutil

import pytest
from conftest import APPARATUS, EDGES, EXAMPLE, FIXTURE

from press import pipeline
from press.book import load_book


def _focused(book, chapter_id: str, stages: list) -> pipeline.ChapterResult:
    results, _ = pipeline.process(book, focus=chapter_id)
    assert any(whole is False for whole in stages), "the other chapters were read whole, not as stubs"
    stages.clear()
    return next(r for r in results if r.chapter.id == chapter_id)


def _compare(root, monkeypatch, tmp_path) -> int:
    """Every chapter of the book at ``root`` with the others as stubs, against the whole pipeline;
    returns how many chapters were compared."""
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    stages: list = []
    stage = pipeline._decoded
    monkeypatch.setattr(pipeline, "_decoded", lambda data, whole=True: stages.append(whole) or stage(data, whole))
    book = load_book(root)
    ids = [c.id for c in book.chapters if not c.generated]
    focused = {cid: _focused(book, cid, stages) for cid in ids}  # first: the whole run stores the book's result
    whole = {r.chapter.id: r for r in pipeline.process(book)[0]}
    for cid in ids:
        f, w = focused[cid], whole[cid]
        assert f.html == w.html, cid
        assert (f.chapter.title_html, f.chapter.subtitle_html) == (w.chapter.title_html, w.chapter.subtitle_html)
        assert f.ctx.data.to_json() == w.ctx.data.to_json(), cid
    return len(ids)


@pytest.mark.parametrize("root", [FIXTURE, EDGES, APPARATUS, EXAMPLE], ids=lambda p: p.name)
def test_a_chapter_in_focus_is_made_as_the_whole_pipeline_makes_it(root, monkeypatch, tmp_path):
    assert _compare(root, monkeypatch, tmp_path) >= 2


def test_an_edit_elsewhere_reaches_the_chapter_in_focus(monkeypatch, tmp_path):
    """A heading added to the first chapter takes an automatic id that a later chapter's heading
    had: the later heading's id becomes "-2" in focus too, and a link to a new id in another chapter
    resolves; the index's marks are numbered as in the whole book."""
    book = tmp_path / "book"
    shutil.copytree(APPARATUS, book)
    first, second = sorted(book.glob("0*.md"))
    heading = next(line for line in second.read_text(encoding="utf-8").splitlines() if line.startswith("## "))
    first.write_text(first.read_text(encoding="utf-8") + f"\n\n{heading}\n\nNieuw. [Ankers]{{.index}}\n\n"
                     "## Een nieuw doel {#nieuw-doel}\n", encoding="utf-8")
    second.write_text(second.read_text(encoding="utf-8") + "\n\nZie [het nieuwe doel](#nieuw-doel).\n",
                      encoding="utf-8")
    assert _compare(book, monkeypatch, tmp_path) >= 2
    results, _ = pipeline.process(load_book(book), focus=load_book(book).chapters[1].id)
    html = results[1].html
    assert 'href="#nieuw-doel"' in html and 'data-chapter="' in html
    assert re.search(r'<h2 [^>]*id="[^"]+-2"', html), "the later heading did not give way to the earlier one"
