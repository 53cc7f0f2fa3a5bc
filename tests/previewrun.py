"""`press preview` run as a designer runs it — a process of its own, in a session of its own like a
terminal's, stopped with Ctrl-C — on a copy of a book and of the styles; helpers to read its
state, its memory and its cache. The preview tests use it, and so does the long session run by
hand: ``.venv/bin/python tests/previewrun.py --edits 200`` prints the memory and cache figures
of 200 edits (the fixture book; ``--book manuscript`` for this one)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from press import STYLES  # noqa: E402


class Running:
    """``press preview`` on ``book`` (copied with the styles into ``work``) until ``stop()``."""

    def __init__(self, book: Path, work: Path, *args: str, copy: bool = True, timeout: float = 900):
        self.work = work
        self.book, self.styles = (work / "book", work / "styles") if copy else (book, STYLES)
        if copy:
            shutil.copytree(book, self.book)
            shutil.copytree(STYLES, self.styles)
        self.dist, self.cache, self.tmp = work / "dist", work / "cache", work / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PRESS_STYLES=str(self.styles), PRESS_CACHE=str(self.cache), TMPDIR=str(self.tmp),
                   PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "press.cli", "preview", "-m", str(self.book),
                                      "-d", str(self.dist), "--port", "0", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True,  # its own process group, as in a terminal
                                     preexec_fn=as_in_a_terminal)
        self.out: list[str] = []
        self.err: list[str] = []
        self.url = ""
        started = threading.Event()

        def read(stream, lines, look):
            for line in stream:
                lines.append(line)
                found = look and re.search(r"preview: (http://127\.0\.0\.1:\d+/)", line)
                if found:
                    self.url = found.group(1)
                    started.set()
            started.set()
        threading.Thread(target=read, args=(self.proc.stdout, self.out, True), daemon=True).start()
        threading.Thread(target=read, args=(self.proc.stderr, self.err, False), daemon=True).start()
        started.wait(timeout)
        if not self.url:
            self.stop()
            raise RuntimeError("the preview did not start:\n" + self.output())

    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "__status", timeout=30) as r:
            return json.loads(r.read())

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=60) as r:
            return r.read()

    def look(self, unit: str) -> None:
        req = urllib.request.Request(self.url + "__look", data=json.dumps({"unit": unit}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).close()

    def wait(self, test, timeout: float = 600, every: float = 0.1) -> dict:
        """Poll the state until ``test(state)``; returns that state."""
        end = time.monotonic() + timeout
        while True:
            state = self.status()
            if test(state):
                return state
            if time.monotonic() > end or self.proc.poll() is not None:
                raise AssertionError(f"the preview never reached the state; last: {_short(state)}\n{self.output()[-4000:]}")
            time.sleep(every)

    def idle(self, after_build: int, timeout: float = 600) -> dict:
        """Wait until a build after ``after_build`` finished and nothing runs or waits (the
        watcher reports a change within a fraction of a second: call this a moment after an edit)."""
        return self.wait(lambda s: s["build"] > after_build and s["idle"], timeout)

    def memory(self) -> int:
        """Resident memory (bytes) of the preview's own process and of its fork server: what stays
        between builds (every job is a process that ends)."""
        return sum(_rss(pid) for pid in self.group() if _name(pid) != "chromium")

    def group(self) -> list[int]:
        """The live processes of the preview's session (itself, its fork server, running jobs)."""
        return session(self.proc.pid)

    def cache_size(self) -> int:
        from press import cache
        os.environ["PRESS_CACHE"] = str(self.cache)
        try:
            return sum(cache.size(self.cache / name) for name in cache.ENTRIES)
        finally:
            os.environ.pop("PRESS_CACHE")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """Ctrl-C (SIGINT to the whole process group, as a terminal sends it); returns the exit code."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        time.sleep(0.3)  # the readers take the last lines
        return self.proc.returncode


def as_in_a_terminal() -> None:
    """Ctrl-C's signal at its default in the child, as a terminal's foreground job has it: a test
    run started in the background (``make test &``, a CI runner) hands its children SIGINT ignored,
    and a program that inherits that cannot be stopped with Ctrl-C at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def session(sid: int) -> list[int]:
    """The processes of session ``sid`` that still run (a zombie waiting for its reaper is done)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.getsid(int(d)) == sid and Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(int(d))
            except OSError:
                pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _short(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "pages"}


def set_token(styles: Path, name: str, value: str) -> None:
    """Set a custom property in tokens.css, saved the way many editors save: a temporary file
    renamed over the real one."""
    css = styles / "tokens.css"
    text, n = re.subn(rf"(--{re.escape(name)}:\s*)[^;]+;", rf"\g<1>{value};", css.read_text(encoding="utf-8"), count=1)
    assert n == 1, name
    tmp = css.with_name(".tokens.css.swap-save")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, css)


def edit_text(chapter: Path, n: int) -> None:
    """Append a sentence to the chapter's first paragraph of prose."""
    lines = chapter.read_text(encoding="utf-8").split("\n")
    start = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0) + 1
    for i in range(start, len(lines)):
        if re.match(r"^[A-Za-z]", lines[i]) and len(lines[i]) > 30:
            lines[i] += f" Edit {n}."
            break
    chapter.write_text("\n".join(lines), encoding="utf-8")


def soak(run: Running, edits: int, unit: str, chapter: Path, pause: float = 0.6, report=print) -> dict:
    """``edits`` edits, a token and the text of ``chapter`` in turn, ``pause`` seconds apart (builds
    coalesce what arrives meanwhile), then wait until the preview is idle. Returns the memory and
    cache figures: after the first ten edits (the preview warm) and at the end."""
    run.look(unit)
    figures = {"edits": edits, "memory": [], "cache": []}
    start = run.status()["build"]
    colours = ["#1b1b1b", "#2a1b1b", "#1b2a1b", "#1b1b2a"]
    t0 = time.monotonic()
    for n in range(1, edits + 1):
        if n % 2:
            set_token(run.styles, "colour-ink", colours[n % len(colours)])
        else:
            edit_text(chapter, n)
        time.sleep(pause)
        if n % 10 == 0:
            time.sleep(0.5)
            state = run.idle(start)
            start = state["build"]
            figures["memory"].append(run.memory())
            figures["cache"].append(run.cache_size())
            report(f"edit {n:4d}: {time.monotonic() - t0:6.0f} s, build {state['build']}, "
                   f"memory {figures['memory'][-1] / 2**20:.0f} MiB, cache {figures['cache'][-1] / 2**20:.1f} MiB")
    figures["builds"] = run.status()["build"]
    figures["seconds"] = time.monotonic() - t0
    figures["weasyprint_temp"] = len(list(run.tmp.glob("weasyprint-*")))
    return figures


if __name__ == "__main__":
    import argparse
    import tempfile
    ap = argparse.ArgumentParser(description="A long preview session: memory and cache after every ten edits.")
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--book", type=Path, default=ROOT / "tests" / "fixtures" / "book")
    ap.add_argument("--pause", type=float, default=0.6)
    ap.add_argument("--cache-mb", default="2")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "scripts"))
    from press.book import load_book
    with tempfile.TemporaryDirectory(prefix="press-soak-") as tmp:
        run = Running(args.book, Path(tmp), "--cache-mb", args.cache_mb)
        try:
            book = load_book(run.book)
            essay = next(c for c in book.chapters if c.authors)
            print(f"load average {os.getloadavg()}; first build done; cache bound {args.cache_mb} MiB")
            figures = soak(run, args.edits, essay.id, essay.path, args.pause)
            print(json.dumps(figures))
            print(f"load average {os.getloadavg()}")
        finally:
            code = run.stop()
            print(f"exit {code}; traceback in output: {'Traceback' in run.output()}")
