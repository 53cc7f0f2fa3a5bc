"""pandoc converts many chapters in one process (press.pandoc.prefetch: its server API run as a CGI
program), and what it writes must be what the command line writes for each chapter alone: the
cache holds one entry per chapter whichever way made it."""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import FIXTURE

from press import pandoc, pipeline

SAMPLE = """# A chapter {#chapter}

A paragraph with *emphasis*, **strong**, `code`{.python}, H~2~O, x^2^, $e = mc^2$, a [link](https://example.org)
and a reference [link][ref], “quotes” -- dashes --- and... an ellipsis.[^1]

[ref]: https://example.org/ref "Title"

[^1]: A note with a [span]{lang=en} in it.

```python
def f(x):
    return x  # highlighted by pandoc unless told not to
```

| left | right |
|:-----|------:|
| 1    | 2     |

::: {.sidebar title="A box"}
> A quotation, with a line\\
> break.
:::

<div class="raw">raw <b>HTML</b></div>

1. one
2. two

Term
:   Definition

![A figure](images/x.png){width=50%}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def cli(args: list[str], text: str) -> str:
    return pandoc._run(args, text, "sample.md")[0]


def test_a_batch_writes_what_the_command_line_writes(cache):
    chapters = [SAMPLE, SAMPLE.replace("A chapter", "Another"), "", (FIXTURE / "01-tides.md").read_text()]
    pandoc.prefetch(markdowns=chapters)
    assert len(list((cache / "pandoc").glob("*.json"))) == len(chapters)
    for md in chapters:
        assert pandoc.markdown_to_ast(md, "sample.md") == json.loads(cli(["-f", pandoc.READER, "-t", "json"], md))
    asts = [cli(["-f", pandoc.READER, "-t", "json"], md) for md in chapters]
    pandoc.prefetch(asts=asts)
    assert len(list((cache / "pandoc").glob("*.html"))) == len(chapters)
    for ast in asts:  # read from the cache the batch filled, byte for byte the command line's
        assert pandoc.ast_to_html(ast, "sample.md") == cli(["-f", "json", *pandoc.HTML_ARGS], ast)
    assert "sourceCode" not in pandoc.ast_to_html(asts[0], "sample.md")  # no highlighting, as --no-highlight


def test_a_batch_is_one_pandoc_process(cache, monkeypatch):
    runs = []
    real = subprocess.run

    def counted(args, *a, **k):
        runs.append(args)
        return real(args, *a, **k)
    monkeypatch.setattr(subprocess, "run", counted)
    pandoc.prefetch(markdowns=[SAMPLE + str(i) for i in range(5)])
    assert len(runs) == 1 and runs[0] == ["pandoc-server.cgi"]
    pandoc.prefetch(markdowns=[SAMPLE + str(i) for i in range(5)])  # all cached: no process at all
    assert len(runs) == 1


def test_a_document_the_server_cannot_convert_leaves_the_others():
    good = cli(["-f", pandoc.READER, "-t", "json"], "*x*")
    out = pandoc._batch([{"text": good, "from": "json", "to": "html5"}, {"text": "[not json", "from": "json", "to": "html5"}])
    assert out == [cli(["-f", "json", "-t", "html5"], good), None]


def test_a_pandoc_that_cannot_batch_leaves_every_chapter_to_the_command_line(cache, monkeypatch):
    """An older pandoc, or one built without its server: every answer is None, nothing is cached,
    and each chapter is converted alone, as before (with the command line's error messages)."""
    ast = cli(["-f", pandoc.READER, "-t", "json"], "x")
    monkeypatch.setattr(pandoc, "pandoc_path", lambda: "/bin/false")
    assert pandoc._batch([{"text": "x"}, {"text": "y"}]) == [None, None]
    pandoc.prefetch(markdowns=["x"], asts=[ast])
    assert not list((cache / "pandoc").iterdir())


def test_the_pipeline_gives_the_same_chapters_without_batches(tmp_path, monkeypatch):
    from press.book import load_book
    book = load_book(FIXTURE)
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "batched"))
    batched, _ = pipeline.process(book, jobs=2)
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "alone"))
    monkeypatch.setattr(pandoc, "_batch", lambda requests: [None] * len(requests))
    alone, _ = pipeline.process(book, jobs=1)
    assert [r.html for r in batched] == [r.html for r in alone]
    assert [r.chapter.title for r in batched] == [r.chapter.title for r in alone]


def test_chapters_are_grouped_by_size_in_reading_order():
    groups = pipeline._groups(list(range(6)), [50, 10, 10, 10, 10, 10], 2)
    assert groups == [[0], [1, 2, 3, 4, 5]]
    groups = pipeline._groups([3, 5, 8, 9], [5, 5, 5, 5], 3)
    assert sorted(sum(groups, [])) == [3, 5, 8, 9] and len(groups) == 3 and all(g == sorted(g) for g in groups)
    assert pipeline._groups([1, 2], [1, 1], 5) == [[1], [2]]  # no empty groups


def leave_a_mark(path: str) -> None:
    import os
    from pathlib import Path
    Path(path).write_text(str(os.getpid()))


def fail_beside() -> None:
    raise RuntimeError("the work alongside failed")


def test_work_alongside_runs_in_a_chapter_worker_and_its_failure_is_ignored(tmp_path, monkeypatch):
    """``alongside`` runs in a chapter worker once it is free, is done when process() returns, and
    an error in it does not stop the pipeline (what it was to make is made again when needed)."""
    import os

    from press.book import load_book
    book = load_book(FIXTURE)
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "a"))
    mark = tmp_path / "mark"
    results, _ = pipeline.process(book, jobs=2, alongside=(leave_a_mark, str(mark)))
    assert mark.read_text() not in ("", str(os.getpid())) and results
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "b"))
    again, _ = pipeline.process(book, jobs=2, alongside=(fail_beside,))
    assert [r.html for r in again] == [r.html for r in results]


def test_the_bibliography_is_formatted_while_the_chapters_are_decoded(tmp_path, monkeypatch):
    """citeproc's run for a book's one bibliography needs only the keys the chapters cite: the
    pipeline starts it in a thread (bibliography.prepare) before it decodes the chapters' ASTs, and
    the filter then reads it from the cache. One run of pandoc reads and formats it."""
    import shutil
    import threading

    from conftest import APPARATUS

    from press.book import load_book
    book_dir = tmp_path / "book"
    shutil.copytree(APPARATUS, book_dir)
    yaml = (book_dir / "book.yaml").read_text(encoding="utf-8")
    (book_dir / "book.yaml").write_text(yaml.replace("bibliography: library.bib\n",
                                                     "bibliography: library.bib\nbibliography-at: book\n"), encoding="utf-8")
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    runs = []
    real = pandoc._run
    monkeypatch.setattr(pandoc, "_run", lambda args, text, rel: runs.append(
        (threading.current_thread() is threading.main_thread(), "--citeproc" in args, rel)) or real(args, text, rel))
    results, _ = pipeline.process(load_book(book_dir), jobs=1)
    bib = next(r for r in results if r.chapter.generated == "bibliography")
    assert 'id="bibliography-refs"' in bib.html and "bibliography-ref-" in bib.html
    assert [(main, rel) for main, citing, rel in runs if citing and rel == bib.chapter.rel] == [(False, bib.chapter.rel)]
