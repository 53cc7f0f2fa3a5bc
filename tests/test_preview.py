"""`press preview` as a designer uses it: Debian's Chromium (driven by selenium through
/usr/bin/chromedriver) shows the pages; a token edit changes the page on screen without a reload,
a broken manuscript shows its error over the last good pages and a fix takes it away; saves and
checkouts are one change each; the unit in view is laid out alone with the book's page numbers;
a long session keeps memory and cache within bounds; Ctrl-C stops it without a traceback."""
from __future__ import annotations

import io
import os
import queue
import re
import resource
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import FIXTURE
from PIL import Image, ImageChops
from previewrun import Running, as_in_a_terminal, edit_text, session, set_token, soak
from pypdf import PdfReader


def reddish(png: bytes) -> int:
    """Pixels that are clearly red (the token edit below paints the text red)."""
    r, g, b = Image.open(io.BytesIO(png)).convert("RGB").split()
    mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 150 else 0),
                                                   g.point(lambda v: 255 if v < 90 else 0)),
                               b.point(lambda v: 255 if v < 90 else 0))
    return mask.histogram()[255]


@pytest.fixture
def browser():
    """Debian's Chromium through chromedriver (tests/browser.py), the window of a laptop."""
    from browser import CHROMEDRIVER, CHROMIUM, Browser
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed (make test installs them)")
    b = Browser()
    b.driver.set_window_size(1100, 900)
    b.driver.set_script_timeout(60)
    yield b.driver
    b.close()


def until(driver, script: str, timeout: float = 600, every: float = 0.2):
    """Evaluate ``script`` in the page until it returns something true; return that."""
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"never true in the page: {script}")
        time.sleep(every)


PAGE = "[...document.querySelectorAll('.page')].find(d => d.dataset.unit === 'harbours')"  # its first page
SHOWN = f"(({PAGE})?.firstChild.dataset.src || '')"  # that page's image as shown (swapped in once loaded)


def test_a_token_edit_and_a_broken_manuscript_in_a_real_browser(tmp_path, browser):
    run = Running(FIXTURE, tmp_path)
    try:
        browser.get(run.url)
        until(browser, "return window.previewState && window.previewState.pages.length > 0")
        browser.execute_script(f"{PAGE}.scrollIntoView({{block: 'center'}})")
        run.wait(lambda s: s["looking"] == "harbours", timeout=60)  # the page told the server
        before = until(browser, f"return {SHOWN}")
        page = browser.execute_script(f"return {PAGE}")
        old = page.screenshot_as_png
        browser.execute_script("window.notReloaded = true")
        build = run.status()["build"]

        set_token(run.styles, "colour-ink", "#d01010")
        until(browser, f"return {SHOWN} !== '{before}' && {SHOWN}")
        assert browser.execute_script("return window.notReloaded") is True  # the same page, updated in place
        new = page.screenshot_as_png
        assert reddish(new) > reddish(old) + 200, (reddish(old), reddish(new))
        run.idle(build)

        chapter = run.book / "02-harbours.md"
        good = chapter.read_text(encoding="utf-8")
        chapter.write_text(re.sub(r"(?m)^title:.*\n", "", good, count=1), encoding="utf-8")
        text = until(browser, "const e = document.getElementById('error'); return !e.hidden && e.textContent")
        assert re.search(r"02-harbours\.md:\d+: FILE-003 the front matter lacks a title", text)
        shown = browser.execute_script(f"return {PAGE}.firstChild")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", shown) > 0
        assert reddish(page.screenshot_as_png) > 200  # the last good pages stay under the error
        browser.save_screenshot(str(tmp_path / "error-over-pages.png"))
        assert browser.execute_script("return window.notReloaded") is True

        chapter.write_text(good, encoding="utf-8")
        until(browser, "return document.getElementById('error').hidden")
        state = run.idle(run.status()["build"] - 1)
        assert state["ok"] and not state["error"]
    finally:
        code = run.stop()
    assert code == 0 and "Traceback" not in run.output(), run.output()[-3000:]


def test_ctrl_c_during_a_build_stops_everything_without_a_traceback(tmp_path):
    run = Running(FIXTURE, tmp_path)
    run.look("tides")
    build = run.status()["build"]
    set_token(run.styles, "size-text", "10.8pt")
    run.wait(lambda s: s["busy"] or s["build"] > build, timeout=120, every=0.02)
    assert run.stop() == 0
    output = run.output()
    assert "preview: stopped" in output and "Traceback" not in output and "Error" not in output, output
    deadline = time.monotonic() + 30
    while run.group() and time.monotonic() < deadline:  # the jobs and the fork server end too
        time.sleep(0.2)
    assert run.group() == []
    assert not [p for p in run.dist.rglob("*") if ".part" in p.name]


def test_ctrl_c_while_it_starts_is_quiet_too(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT
    env = dict(os.environ, PRESS_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "press.cli", "preview", "-m", str(FIXTURE), "-d",
                             str(tmp_path / "dist"), "--port", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=as_in_a_terminal)
    first = proc.stdout.readline()  # the first build has begun
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    output = first + proc.communicate(timeout=120)[0]
    assert proc.returncode == 0 and "Traceback" not in output and "preview: stopped" in output, output
    deadline = time.monotonic() + 30
    while session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert session(proc.pid) == []  # the jobs and the fork server end with it


def test_a_long_session_keeps_memory_and_cache_bounded(tmp_path, capsys):
    limit = 0.2  # MiB: below what even one build uses, so the cache is pruned after every build
    run = Running(FIXTURE, tmp_path, "--cache-mb", str(limit))
    try:
        working_set = run.cache_size()
        figures = soak(run, 40, "tides", run.book / "01-tides.md", pause=0.4,
                       report=lambda line: print(line, file=__import__("sys").stderr))
    finally:
        code = run.stop()
    assert code == 0 and "Traceback" not in run.output(), run.output()[-3000:]
    memory, sizes = figures["memory"], figures["cache"]
    print(f"memory {[m // 2**20 for m in memory]} MiB, cache {[round(c / 2**20, 2) for c in sizes]} MiB, "
          f"builds {figures['builds']}, working set {working_set / 2**20:.2f} MiB")
    assert figures["builds"] >= 4
    assert max(memory) - memory[0] < 40 * 2**20, memory  # no growth beyond noise after the first ten edits
    assert max(sizes) <= limit * 2**20 + working_set * 1.25, sizes  # the bound, or what one build uses
    assert sizes[-1] - sizes[0] < 40_000, sizes  # thirty more edits wrote ~150 kB; pruned, it does not grow
    assert len(list((run.cache / "pdf").iterdir())) <= 6  # the layout records prune themselves
    assert figures["weasyprint_temp"] <= 2  # WeasyPrint's font folders go with their jobs


def test_an_atomic_save_and_a_checkout_are_one_change_each(tmp_path):
    from press.preview.watch import Watcher
    styles, book = tmp_path / "styles", tmp_path / "book"
    shutil.copytree(FIXTURE, book)
    styles.mkdir()
    (styles / "tokens.css").write_text(":root { --x: 1; }\n")
    (book / "dist").mkdir()
    watcher = Watcher([book, styles], ignore=[book / "dist"]).start()
    try:
        tmp = styles / ".tokens.css.4913"  # an editor's save: a new file, renamed over the old one
        tmp.write_text(":root { --x: 2; }\n")
        os.replace(tmp, styles / "tokens.css")
        assert watcher.batches.get(timeout=10) == ("changes", {styles / "tokens.css"})

        chapters = sorted(book.glob("*.md"))  # a checkout: every chapter rewritten, one added, one removed
        for p in chapters[1:]:
            p.write_text(p.read_text(encoding="utf-8") + "\nA line.\n", encoding="utf-8")
        (book / "09-new.md").write_text("---\ntitle: New\n---\n\nText.\n", encoding="utf-8")
        chapters[0].unlink()
        (book / "dist" / "out.pdf").write_bytes(b"%PDF")  # the output folder is not watched
        (book / "notes.md~").write_text("backup")         # nor an editor's backup
        kind, paths = watcher.batches.get(timeout=10)
        assert paths == set(chapters) | {book / "09-new.md"}
        with pytest.raises(queue.Empty):
            watcher.batches.get(timeout=1)
    finally:
        watcher.stop()


def test_changes_in_quick_succession_are_one_build(fixture_copy, tmp_path):
    from press.preview import Preview
    preview = Preview(fixture_copy, tmp_path / "dist", ["html"])
    assert preview.build() and preview.builds == 1
    chapter = fixture_copy / "02-harbours.md"
    for n in range(5):  # five saves reach the loop before it looks
        edit_text(chapter, n)
        preview.inbox.put(("changes", {chapter}))
    preview.settle()
    assert preview.builds == 2 and preview.status["ok"]
    assert "Edit 4." in (tmp_path / "dist" / "html" / "harbours.html").read_text(encoding="utf-8")


def test_the_unit_in_view_is_laid_out_alone_with_the_books_page_numbers(fixture_copy, tmp_path, monkeypatch):
    import press
    from press import render
    from press.build import build
    from press.preview import tasks
    styles = tmp_path / "styles"
    shutil.copytree(press.STYLES, styles)
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(press, "STYLES", styles)  # the press's styles, as PRESS_STYLES sets them
    dist = tmp_path / "dist"
    build(fixture_copy, dist, ["pdf"], quiet=True)
    units = {u["id"]: u for u in tasks.units(fixture_copy, dist, "tides-and-harbours")}
    book_pdf = dist / "tides-and-harbours.pdf"
    assert tasks.visible(fixture_copy, dist, "harbours") is None  # nothing changed: the book's pages stand

    css = styles / "tokens.css"
    css.write_text(css.read_text(encoding="utf-8").replace("--colour-ink: #000000", "--colour-ink: #d01010"))
    limit = resource.getrlimit(resource.RLIMIT_AS)
    laid = tasks.visible(fixture_copy, dist, "harbours")
    assert resource.getrlimit(resource.RLIMIT_AS) == limit  # the layout's cap does not stay with the caller
    unit = units["harbours"]
    assert (laid["unit"], laid["first"], laid["replaces"]) == ("harbours", unit["first"], unit["pages"])
    alone = PdfReader(io.BytesIO(laid["pdf"]))
    assert len(alone.pages) == laid["pages"] == unit["pages"]
    book = PdfReader(book_pdf)
    for i, page in enumerate(alone.pages):  # the same text, folios and running heads as in the book
        assert page.extract_text().split() == book.pages[unit["first"] - 1 + i].extract_text().split()
    image = render.pages(laid["pdf"], [1], dpi=60)[0]
    before = render.pages(book_pdf, [unit["first"]], dpi=60)[0]
    assert image.size == before.size and reddish(render.png_bytes(image)) > reddish(render.png_bytes(before)) + 100

    # laid out as the build lays out: the declared faces only (fontconfig's mask), the manuscript's
    # images through the press's fetcher (an essay with a figure: its pages look as in the book)
    laid = tasks.visible(fixture_copy, dist, "tides")
    first = units["tides"]["first"]
    alone = PdfReader(io.BytesIO(laid["pdf"]))
    assert faces(alone.pages) and faces(alone.pages) <= faces(book.pages)  # (the book's pages share one list)
    assert rendered_like(render.pages(laid["pdf"], list(range(1, laid["pages"] + 1)), dpi=40),
                         render.pages(book_pdf, list(range(first, first + laid["pages"])), dpi=40))


def faces(pages) -> set[str]:
    """The fonts a PDF's pages use, without the subset prefix (``ABCDEF+``)."""
    return {str(f.get_object()["/BaseFont"]).split("+")[-1] for p in pages
            for f in (p.get("/Resources") or {}).get("/Font", {}).values()}


def rendered_like(ours: list, theirs: list) -> bool:
    """The same pages but for the text's colour: every page's non-white area nearly the same."""
    def ink(im):
        return im.convert("L").point(lambda v: 255 if v < 200 else 0)
    for a, b in zip(ours, theirs, strict=True):
        diff = ImageChops.difference(ink(a), ink(b)).histogram()[255]
        if diff > 0.01 * a.size[0] * a.size[1]:
            return False
    return True


def test_the_page_list_lays_units_over_the_book_and_drops_them_with_the_next_build(fixture_book):
    from press.preview.view import Pages
    data = fixture_book.pdf.read_bytes()
    n = len(PdfReader(fixture_book.pdf).pages)
    units = [{"id": "front", "first": 1, "pages": 4}, {"id": "tides", "first": 5, "pages": 2},
             {"id": "harbours", "first": 7, "pages": n - 6}]
    pages = Pages()
    assert pages.set_base(data, units, seq=0)
    assert [p["src"] for p in pages.snapshot()] == [f"1.{i}" for i in range(n)]
    assert pages.overlay("tides", data, seq=1)  # a unit laid out again (here: n pages for its 2)
    shown = pages.snapshot()
    assert len(shown) == n - 2 + n and [p["src"] for p in shown[4:4 + n]] == [f"2.{i}" for i in range(n)]
    assert shown[4]["fresh"] and shown[4]["unit"] == "tides" and shown[4 + n]["src"] == "1.6"
    assert pages.png("2.0", 300)[:8] == b"\x89PNG\r\n\x1a\n"
    assert not pages.set_base(data, units, seq=0)  # an older build leaves the newer unit in place
    assert pages.set_base(data, units, seq=1)     # a build with that change replaces it
    assert [p["src"] for p in pages.snapshot()] == [f"1.{i}" for i in range(n)]
    assert pages.png("2.0", 300) is None          # the dropped unit's pages are gone
    assert pages.overlay("harbours", data, seq=2) and len(pages.snapshot()) == 6 + n
    assert not pages.drop(seq=1) and pages.drop(seq=2)  # its build failed: the last good pages again
    assert [p["src"] for p in pages.snapshot()] == [f"1.{i}" for i in range(n)]


def test_the_cache_is_pruned_least_recently_used_first(tmp_path, monkeypatch):
    from press import cache
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path))
    now = time.time()
    for i in range(10):  # ten 1 kB entries, used one a minute
        path = cache.folder("pandoc") / f"{i}.json"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - 600 + 60 * i, now - 600 + 60 * i))
    stale = cache.folder("filtered") / ".0.json.abc.part"
    stale.write_bytes(b"x" * 10)
    os.utime(stale, (now - 3600, now - 3600))
    assert cache.hit(cache.folder("pandoc") / "0.json")  # used now: the newest
    assert not cache.hit(cache.folder("pandoc") / "missing.json")
    cache.prune(limit=4000, keep_since=now + 10)
    assert sorted(p.name for p in cache.folder("pandoc").iterdir()) == ["0.json", "7.json", "8.json", "9.json"]
    assert not stale.exists()
    cache.prune(limit=0, keep_since=now - 100)  # what was used since the build began stays
    assert sorted(p.name for p in cache.folder("pandoc").iterdir()) == ["0.json", "9.json"]


def sleep(seconds: float, send=None) -> None:
    time.sleep(seconds)


def sleep_in(folder: str, send=None) -> None:
    """A job that holds a staging folder while it works and removes it however it ends, as a build does."""
    Path(folder).mkdir()
    try:
        time.sleep(60)
    finally:
        shutil.rmtree(folder)


def test_stopping_a_job_leaves_nothing_behind(tmp_path):
    from press.preview.jobs import Job
    job = Job("sleeper", 0, sleep, 60)
    time.sleep(0.5)
    job.stop()
    assert job.proc.exitcode == -signal.SIGTERM and job.receive() is None
    staging = tmp_path / ".dist.staging"  # a stopped build cleans up before it ends (its finally runs)
    job = Job("builder", 0, sleep_in, str(staging))
    deadline = time.time() + 30
    while not staging.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert staging.exists()
    job.stop()
    assert job.proc.exitcode == -signal.SIGTERM and not staging.exists()


def test_cleaned_images_are_pruned_like_the_other_entries(tmp_path, monkeypatch):
    """A designer who exports a figure again and again leaves one cleaned copy per version in
    .cache/images: the versions no build uses any more go with the pruning, the one in use stays."""
    from press import cache, images
    monkeypatch.setenv("PRESS_CACHE", str(tmp_path / "cache"))
    figure = tmp_path / "figure.svg"
    for colour in ("red", "green", "blue"):  # three versions, the last one in use
        figure.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                          f'<rect width="10" height="10" fill="{colour}"/></svg>')
        assert images.check(figure).ok
    folder = cache.folder("images")
    assert len(list(folder.iterdir())) == 6  # a record and the cleaned bytes per version
    old = time.time() - 600
    for p in folder.iterdir():
        os.utime(p, (old, old))
    build_start = time.time() - 1  # (file times come from a coarser clock than time.time())
    assert images.check(figure).ok  # the build uses the current version: marked as used
    cache.prune(limit=0, keep_since=build_start)
    assert len(list(folder.iterdir())) == 2
    assert b"blue" in images.check(figure).data
