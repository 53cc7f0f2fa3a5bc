"""The designer's and editor's workflow: `press serve` serves the built HTML edition, `press preview`
builds, watches, reports errors and keeps the last good build, `press bench` measures and reports."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURE, ROOT, guard_command
from lxml import html as lh
from pypdf import PdfReader


def tool(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    guard_command(args, ROOT)
    return subprocess.run([sys.executable, "-m", "press.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        return r.read()


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def retitle(chapter: Path, title: str | None, text: str | None = None) -> None:
    """Replace (or, with None, remove) the title line in the front matter of ``text`` (default: the
    chapter's text) and write the result to the chapter."""
    text = text or chapter.read_text(encoding="utf-8")
    new = re.sub(r"(?m)^title:.*\n", "" if title is None else f'title: "{title}"\n', text, count=1)
    assert new != text
    chapter.write_text(new, encoding="utf-8")


def test_serve_serves_the_html_edition_on_localhost(fixture_book):
    proc = subprocess.Popen([sys.executable, "-m", "press.cli", "serve", "-d", str(fixture_book.dist), "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, line + (proc.stderr.read() if proc.poll() is not None else "")
        url = found.group(0)
        for name in ("index.html", "tides.html"):
            assert get(url + name) == (fixture_book.html / name).read_bytes()
        page = lh.fromstring(get(url + "tides.html"))
        assert page.xpath("string(//h1)").strip().startswith("Tides")
        assert get(url + "assets/book.css") == (fixture_book.html / "assets" / "book.css").read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            get(url + "no-such-chapter.html")
        assert missing.value.code == 404
        with pytest.raises(urllib.error.HTTPError) as outside:  # only html/ is served, not the rest of dist/
            get(url + f"../{fixture_book.slug}.pdf")
        assert outside.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_preview_once_builds_and_keeps_the_last_good_build(fixture_copy, tmp_path):
    dist = tmp_path / "dist"
    good = tool("preview", "-m", str(fixture_copy), "-d", str(dist), "--once")
    assert good.returncode == 0, good.stdout + good.stderr
    status = json.loads(good.stdout.strip().splitlines()[-1])
    assert status["ok"] and status["error"] == "" and status["build"] == 1
    pdf, index = dist / "tides-and-harbours.pdf", dist / "html" / "index.html"
    assert status["pdf"] == pdf.name and len(PdfReader(pdf).pages) > 4
    before = tree_hash(dist)

    retitle(fixture_copy / "02-harbours.md", None)
    bad = tool("preview", "-m", str(fixture_copy), "-d", str(dist), "--once")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    status = json.loads(bad.stdout.strip().splitlines()[-1])
    assert not status["ok"]
    assert re.search(r"02-harbours\.md:\d+: FILE-003 the front matter lacks a title", status["error"])
    assert "FILE-003" in bad.stderr and "Traceback" not in bad.stderr
    assert status["pdf"] == pdf.name  # the page still shows the last good PDF
    assert tree_hash(dist) == before
    assert "Harbours" in index.read_text(encoding="utf-8")


def test_preview_rebuilds_on_a_change_and_serves_errors(fixture_copy, tmp_path):
    from press.preview import Preview, server
    chapter = fixture_copy / "02-harbours.md"
    original = chapter.read_text(encoding="utf-8")
    preview = Preview(fixture_copy, tmp_path / "dist", ["html"])
    assert preview.build()
    httpd = server(preview, 0)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        first = get(url + "html/harbours.html")
        assert json.loads(get(url + "__status"))["build"] == 1
        assert b"/__events" in get(url + "__preview.js") and b'id="error"' in get(url)

        retitle(chapter, None)
        preview.handle({chapter})
        preview.settle()
        status = json.loads(get(url + "__status"))
        assert status["build"] == 2 and not status["ok"] and status["last_good"] == 1
        assert "FILE-003" in status["error"]
        assert get(url + "html/harbours.html") == first  # the last good build is still served

        retitle(chapter, "Harbours Renamed", original)
        preview.handle({chapter})
        preview.settle()
        status = json.loads(get(url + "__status"))
        assert status["build"] == 3 and status["ok"] and status["last_good"] == 3 and status["error"] == ""
        assert "Harbours Renamed" in lh.fromstring(get(url + "html/harbours.html")).xpath("string(//h1)")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_preview_lays_out_only_the_essay_an_edit_touches(fixture_copy, tmp_path, capsys):
    from press.preview import Preview, server
    preview = Preview(fixture_copy, tmp_path / "dist", ["pdf"])
    assert preview.build()
    httpd = server(preview, 0)  # builds run beside the server's thread, as in `make preview`
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        shown = json.loads(get(url + "__status"))["pages"]
        assert [p["unit"] for p in shown].count("harbours") >= 1
        chapter = fixture_copy / "02-harbours.md"
        chapter.write_text(chapter.read_text(encoding="utf-8").replace("stays full", "stays quite full"),
                           encoding="utf-8")
        preview.handle({chapter})
        preview.settle()
        status = json.loads(get(url + "__status"))
        assert status["ok"]
        assert "laid out again: harbours;" in capsys.readouterr().out
        text = "".join(p.extract_text() for p in PdfReader(tmp_path / "dist" / "tides-and-harbours.pdf").pages)
        assert "stays quite full" in text
        page = next(p for p in status["pages"] if p["unit"] == "harbours")
        assert get(url + f"__page/{page['src']}.png?w=400")[:4] == b"\x89PNG"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_preview_rebuilds_only_the_editions_an_edit_touches(tmp_path):
    from press.preview import changed_editions
    ms, styles, templates = tmp_path / "ms", tmp_path / "styles", tmp_path / "templates"
    every = {"pdf", "epub", "html"}

    def editions(*paths):
        return changed_editions({Path(p) for p in paths}, ms, styles, templates)
    assert editions(ms / "01-tides.md") == every
    assert editions(ms / "images" / "tide.svg") == every
    assert editions(styles / "print.css") == {"pdf"}
    assert editions(styles / "html.css") == {"html"}
    assert editions(styles / "epub.css") == {"epub"}
    assert editions(styles / "tokens.css") == every
    assert editions(templates / "print" / "book.html") == {"pdf"}
    assert editions(templates / "html" / "chapter.html") == {"html"}
    assert editions(templates / "epub" / "cover.svg") == {"epub", "html"}
    assert editions(styles / "print.css", templates / "html" / "base.html") == {"pdf", "html"}


def test_a_timed_run_is_not_sampled_and_a_sampled_run_gives_memory(tmp_path):
    """press.bench.measured: "time" runs the command with nothing reading its memory (no PSS),
    "sample" samples the process tree's PSS while it runs."""
    from press.bench import measured
    sleeper = [sys.executable, "-c", "import time; b = bytearray(50 << 20); time.sleep(0.3)"]
    figures = {}
    for how in ("time", "sample"):
        assert measured([str(tmp_path / f"{how}.json"), str(tmp_path / f"{how}.log"), how, *sleeper]) == 0
        figures[how] = json.loads((tmp_path / f"{how}.json").read_text())
    assert figures["time"]["tree"] is None and figures["time"]["wall"] >= 0.3
    assert figures["sample"]["tree"] >= 50 << 20 and figures["sample"]["rc"] == 0


def test_bench_measures_against_the_bare_tools(tmp_path, fixture_book):
    out = tmp_path / "performance.md"
    before = tree_hash(FIXTURE)
    proc = tool("bench", "--runs", "1", "--long-repeats", "3", "-m", str(FIXTURE), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree_hash(FIXTURE) == before  # edits happen on a copy
    for line in ("clean ÷ baseline", "css_pdf ÷ render1", "essay ÷ clean"):
        assert re.search(re.escape(line) + r"\s+\d+\.\d\d\s", proc.stdout), proc.stdout
    short, _, long = proc.stdout.partition("This book's 3 × its parts")
    # the long book: three times the fixture's parts, built with one worker and with two
    pages = int(re.search(r"MB of Markdown, (\d+) pages", long).group(1))
    assert pages >= len(PdfReader(fixture_book.pdf).pages) + 2 * 3, long  # two more parts of 3+ pages
    walls = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"^\| (\d) \| (\d+\.\d) s \|", long, re.M)}
    assert set(walls) == {1, 2} and all(v > 0 for v in walls.values()), long
    rows = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\| ([^|]+?) \| (\d+\.\d\d) s", short, re.M)}
    assert len(rows) == 14 and all(v > 0 for v in rows.values()), rows
    for measure in ("style edit → visible page", "text edit → visible page", "style edit → whole book updated"):
        assert rows[f"preview: {measure}"] > 0
    assert re.search(r"preview: style edit → visible page +wall, s +\d+\.\d\d", proc.stdout), proc.stdout
    text = out.read_text(encoding="utf-8")
    assert "`make bench MANUSCRIPT=" in text and "| nproc |" in text and "| WeasyPrint |" in text
    # the memory of the clean build, from the sampled run (the timed run is not sampled)
    pss = re.search(r"^\| press build, clean .*?\| \d+ MiB \| (\d+) MiB \|", text, re.M)
    assert pss and int(pss.group(1)) > 0, text
    assert re.search(r"^\| PDF .* \| \d+\.\d\d s \|", text, re.M), text  # the build's own stages
    # the least wall time the clean build's CPU time allows on this machine's cores
    bound = re.search(r"The clean build used (\d+\.\d\d) s of CPU .*? On (\d+) core\(s\) no schedule finishes "
                      r"that in less than (\d+\.\d\d) s", text)
    assert bound and abs(float(bound[1]) / int(bound[2]) - float(bound[3])) <= 0.01, text
