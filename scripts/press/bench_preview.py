"""``press bench``'s preview figures: how soon an edit is on the designer's screen.

Runs ``press preview`` on the bench's copy of the manuscript and styles (its own output folder,
the session's cache), tells it that the page shows the opening page of the essay in the middle of
the book (the one the bench's text edit changes), and listens to its server-sent events as the
page does. Each run edits a token (``--colour-ink`` in ``tokens.css``, saved by a rename as
editors do) and then appends a sentence to that essay, and takes for each edit: the time from the
save until the page's image of that opening page has been fetched anew (the PNG as the browser
gets it; the browser's paint after that is not counted), and the time until the whole book is
updated (the build that includes the edit has finished), and the CPU time the preview's processes
spent meanwhile (on a loaded machine the wall time grows, the CPU time much less). Returns the
figures per measure.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

MEASURES = [
    ("style_visible", "preview: style edit → visible page"),
    ("text_visible", "preview: text edit → visible page"),
    ("style_whole", "preview: style edit → whole book updated"),
    ("text_whole", "preview: text edit → whole book updated"),
]
COLOURS = ["#5a1b1b", "#1b1b1b"]


class Listener:
    """The preview's states as the page receives them (server-sent events), with arrival times."""

    def __init__(self, url: str):
        self.states: list[tuple[float, dict]] = []
        self.cond = threading.Condition()
        self.response = urllib.request.urlopen(url + "__events", timeout=600)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    with self.cond:
                        self.states.append((time.perf_counter(), json.loads(line[6:])))
                        self.cond.notify_all()
        except (OSError, ValueError):
            pass

    def until(self, test, since: int, timeout: float = 600) -> tuple[float, dict, int]:
        """The first state from index ``since`` on that passes ``test``: (arrival, state, index)."""
        with self.cond:
            end = time.monotonic() + timeout
            while True:
                for i in range(since, len(self.states)):
                    if test(self.states[i][1]):
                        return self.states[i][0], self.states[i][1], i
                since = len(self.states)
                if not self.cond.wait(max(0.0, end - time.monotonic())) and time.monotonic() > end:
                    raise RuntimeError("the preview did not show the edit in time")

    def last(self) -> tuple[int, dict]:
        with self.cond:
            return len(self.states), self.states[-1][1]


def session_cpu(sid: int) -> float:
    """CPU seconds (user + system) of every process in session ``sid``, with the children each has
    waited for: the preview, its fork server (which reaps the jobs) and the jobs still running."""
    ticks = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # after the name: state, ppid, pgrp, session, …
            ticks += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _first_page(state: dict, unit: str) -> str | None:
    return next((p["src"] for p in state["pages"] if p["unit"] == unit), None)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


def _look(url: str, unit: str) -> None:
    req = urllib.request.Request(url + "__look", data=json.dumps({"unit": unit}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=60).close()


def _status(url: str) -> dict:
    return json.loads(_fetch(url + "__status"))


def _quiet(url: str, timeout: float = 600) -> dict:
    """Wait until the preview has nothing to do (a moment after the last save, for the watcher)."""
    time.sleep(0.5)
    end = time.monotonic() + timeout
    while True:
        state = _status(url)
        if state["idle"] or time.monotonic() > end:
            return state
        time.sleep(0.1)


def _set_colour(styles: Path, value: str) -> None:
    css = styles / "tokens.css"
    text = re.sub(r"(--colour-ink:\s*)[^;]+;", rf"\g<1>{value};", css.read_text(encoding="utf-8"), count=1)
    tmp = css.with_name(".tokens.css.bench")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, css)


def measure(work: Path, manuscript: Path, styles: Path, env: dict, runs: int, edit_essay, notes: list[str]) -> dict:
    """Start the preview, measure ``runs`` style and text edits, stop it; {measure: [seconds]}."""
    from .book import load_book
    book = load_book(manuscript)
    essays = [c for c in book.chapters if c.authors] or book.chapters
    unit = essays[len(essays) // 2].id  # the essay bench._edit_essay edits
    log = open(work / "preview.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "press.cli", "preview", "-m", str(manuscript), "-d",
                             str(work / "preview-dist"), "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True, start_new_session=True)
    figures: dict[str, list[float]] = {f"{name}{cpu}": [] for name, _ in MEASURES for cpu in ("", "_cpu")}
    try:
        url = ""
        for line in proc.stdout:
            log.write(line)
            found = re.search(r"preview: (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        if not url:
            raise RuntimeError("press preview did not start; see preview.log")
        threading.Thread(target=lambda: [log.write(line) for line in proc.stdout], daemon=True).start()
        listen = Listener(url)
        _look(url, unit)
        for n in range(runs):
            for kind in ("style", "text"):
                state = _quiet(url)
                since, _ = listen.last()
                src = _first_page(state, unit)
                before = _fetch(f"{url}__page/{src}.png?w=900")
                t0, c0 = time.perf_counter(), session_cpu(proc.pid)
                if kind == "style":
                    _set_colour(styles, COLOURS[n % 2])
                else:
                    edit_essay(book, 100 + n)
                _, shown, _ = listen.until(lambda s, old=src: _first_page(s, unit) not in (old, None), since)
                after = _fetch(f"{url}__page/{_first_page(shown, unit)}.png?w=900")
                figures[f"{kind}_visible"].append(time.perf_counter() - t0)
                figures[f"{kind}_visible_cpu"].append(session_cpu(proc.pid) - c0)
                if after == before:
                    notes.append(f"preview run {n + 1}: the {kind} edit did not change the essay's opening page")
                done, _, _ = listen.until(lambda s, b=state["build"]: s["build"] > b and not s["busy"], since)
                figures[f"{kind}_whole"].append(done - t0)
                figures[f"{kind}_whole_cpu"].append(session_cpu(proc.pid) - c0)
    finally:
        proc.send_signal(2)  # Ctrl-C
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return figures


def table(figures: dict[str, list[float]]) -> list[str]:
    """The figures as table rows: the median and every run."""
    import statistics
    rows = ["| measure | wall (median) | runs | CPU (median) |", "|---|---:|---|---:|"]
    for name, text in MEASURES:
        walls, cpus = figures.get(name) or [], figures.get(f"{name}_cpu") or []
        if walls:
            rows.append(f"| {text} | {statistics.median(walls):.2f} s | {', '.join(f'{w:.2f}' for w in walls)} | "
                        f"{statistics.median(cpus):.2f} s |")
    return rows


def floors(figures: dict[str, list[float]], css_all: dict) -> list[tuple]:
    """(floor, measured as, value, limit, met, CPU) rows, as bench.floors gives them; ``css_all`` is
    the bench's summary of the print.css rebuild ({"wall", "cpu"}, seconds). CPU: the preview's
    CPU seconds for a visible page, the same ratio in CPU time for the whole book."""
    import statistics
    rows = []
    for name, what in (("style_visible", "style edit → visible page"), ("text_visible", "text edit → visible page")):
        if figures.get(name):
            v = statistics.median(figures[name])
            cpu = f"{statistics.median(figures[f'{name}_cpu']):.2f} s" if figures.get(f"{name}_cpu") else ""
            rows.append((f"preview: {what}", "wall, s", v, "≤ 1 s", v <= 1.0, cpu))
    if figures.get("style_whole"):
        v = statistics.median(figures["style_whole"]) / css_all["wall"]
        cpu = (f"{statistics.median(figures['style_whole_cpu']) / css_all['cpu']:.2f}"
               if figures.get("style_whole_cpu") and css_all.get("cpu") else "")
        rows.append(("preview: whole book after a style edit", "style_whole ÷ css_all", v, "≤ 1 ×", v <= 1.0, cpu))
    return rows
