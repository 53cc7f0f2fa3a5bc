"""The preview's state and its one loop: changes come in (from the watcher), jobs go out
(``jobs.Job``), their answers update what the page shows, and every update is pushed to the pages
that listen (server-sent events, ``server.py``).

After a change that feeds the PDF, two jobs run: ``visible`` lays out the unit the designer is
looking at, alone, with the book's page numbers, and its pages are laid over the book's at once;
``whole`` builds the editions (the normal incremental build) once ``visible`` has the chapters
in the cache, and its PDF replaces everything when it is done. Changes that arrive meanwhile
start another ``visible`` at once and one more ``whole`` after the running one: saves in quick
succession are one build. After each build the cache is pruned to ``cache_limit`` bytes (what
the build used always stays) and every job's process has ended, so an hour of edits leaves the
preview's memory and ``.cache`` as they were.
"""
from __future__ import annotations

import datetime as _dt
import os
import queue
import sys
import threading
import time
from pathlib import Path

from .. import cache
from ..book import display_path as _rel
from . import tasks
from .jobs import Job
from .view import Pages
from .watch import EDITIONS, changed_editions

CACHE_LIMIT = 64 * 2**20


class Preview:
    def __init__(self, manuscript: Path, dist: Path, editions: list[str], cache_limit: int = CACHE_LIMIT):
        import press
        self.manuscript, self.dist = manuscript.resolve(), dist.resolve()
        self.styles, self.templates = press.STYLES.resolve(), press.TEMPLATES.resolve()
        self.editions = [e for e in EDITIONS if e in editions]
        self.cache_limit = cache_limit
        self.inbox: queue.Queue = queue.Queue()  # ("changes", paths) | ("job", job, message)
        self.changed = threading.Condition()     # notified on every update the page should see
        self.version = 0
        self.closed = False
        self.pages = Pages()
        self.looking: str | None = None          # the unit the page shows (it tells the server)
        self.seq = 0                             # change batches seen
        self.pending: set[str] = set()           # editions changed since the running or last build
        self.failed: set[str] = set()            # editions whose last build failed: built again next time
        self.whole: Job | None = None
        self.visible: Job | None = None
        self.visible_again = False
        self.builds = 0                          # jobs started, for tests and the bench
        self.status = {"build": 0, "ok": False, "error": "", "editions": [], "last_good": 0, "time": None,
                       "pdf": None, "busy": "", "shown": None, "visible": None}

    # ---------------------------------------------------------------- what the page sees

    def snapshot(self) -> dict:
        with self.changed:
            return dict(self.status, version=self.version, looking=self.looking, idle=self.idle(),
                        pages=self.pages.snapshot())

    def _update(self, **status) -> None:
        with self.changed:
            self.status.update(status)
            self.version += 1
            self.changed.notify_all()

    def wait(self, version: int, timeout: float) -> int:
        """Block until the state is newer than ``version`` (or ``timeout``); returns the version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != version or self.closed, timeout)
            return self.version

    def look(self, unit: str | None) -> None:
        if unit != self.looking:
            self.looking = unit or None
            self._update()

    # ---------------------------------------------------------------- the loop

    def handle(self, paths: set[Path]) -> None:
        """A batch of changed files: lay the visible unit out and build what they feed."""
        self.seq += 1
        names = ", ".join(sorted(_rel(p) for p in paths)[:5]) + (" …" if len(paths) > 5 else "")
        print(f"\npreview: changed {names}", flush=True)
        wanted = changed_editions(paths, self.manuscript, self.styles, self.templates)
        self.pending |= (wanted | self.failed) & set(self.editions)
        if "pdf" in self.pending and self.looking and self.pages.units:
            if self.visible is None:
                self._start_visible()
            else:
                self.visible_again = True
        self._maybe_whole()

    def _start_visible(self) -> None:
        self.visible_again = False
        self.visible = Job("visible layout", self.seq, tasks.visible, self.manuscript, self.dist, self.looking)
        self._listen(self.visible)

    def _maybe_whole(self) -> None:
        if self.whole is not None or not self.pending:
            return
        if self.visible is not None and not self.visible.answered and not self.visible.ready:
            return  # it fills the pipeline's cache first; the build starts on its ("ready",)
        editions = [e for e in EDITIONS if e in self.pending]
        self.pending = set()
        self.builds += 1
        self.whole = Job("build", self.seq, tasks.whole, self.manuscript, self.dist, editions)
        self.whole.editions = editions
        self._listen(self.whole)
        self._update(busy="building " + ", ".join(editions))

    def _listen(self, job: Job) -> None:
        def pump():
            while True:
                message = job.receive()
                self.inbox.put(("job", job, message))
                if message is None:
                    return
        threading.Thread(target=pump, name=f"press-preview-{job.kind}", daemon=True).start()

    def step(self, timeout: float | None = None) -> bool:
        """Take one event from the inbox and act on it; False when none came within ``timeout``."""
        try:
            item = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return False
        if item[0] == "changes":
            paths = set(item[1])
            while True:  # everything that is already waiting is one batch
                try:
                    more = self.inbox.get_nowait()
                except queue.Empty:
                    break
                if more[0] == "changes":
                    paths |= more[1]
                else:
                    self._job(more[1], more[2])
            self.handle(paths)
        else:
            self._job(item[1], item[2])
        return True

    def idle(self) -> bool:
        return self.whole is None and self.visible is None and not self.pending and self.inbox.empty()

    def settle(self, timeout: float = 600) -> None:
        """Act on events until no job runs and nothing waits (tests, ``--once``, the first build)."""
        end = time.monotonic() + timeout
        while not self.idle() and time.monotonic() < end:
            self.step(timeout=0.2)

    def build(self, editions: list[str] | None = None) -> bool:
        """Build ``editions`` (default: all the preview keeps) and wait; True when it was good."""
        self.pending |= set(editions or self.editions)
        self._maybe_whole()
        self.settle()
        return self.status["ok"]

    # ---------------------------------------------------------------- jobs' answers

    def _job(self, job: Job, message) -> None:
        if message is None:
            if not job.answered:
                job.answered = True
                self._finished(job, "error", job.ended())
            job.proc.join(timeout=10)
            return
        kind = message[0]
        if kind == "out":
            sys.stdout.write(message[1])
            sys.stdout.flush()
        elif kind == "err":
            sys.stderr.write(message[1])
            sys.stderr.flush()
        elif kind == "ready":
            job.ready = True
            self._maybe_whole()
        elif kind in ("done", "error"):
            job.answered = True
            self._finished(job, kind, message[1])

    def _finished(self, job: Job, kind: str, value) -> None:
        if job is self.visible:
            self.visible = None
            if kind == "done" and value is not None:
                if self.pages.overlay(value["unit"], value["pdf"], job.seq):
                    took = time.time() - job.started
                    print(f"preview: showing {value['unit']} laid out alone in {took:.2f} s; the whole book follows",
                          flush=True)
                    self._update(shown=job.seq, visible={"unit": value["unit"], "seq": job.seq})
            elif kind == "error":
                self._update(ok=False, error=value)
            if self.visible_again and self.looking and self.pages.units:
                self._start_visible()
            self._maybe_whole()
        elif job is self.whole:
            self.whole = None
            ok = kind == "done"
            if ok:
                self.failed = set()
                self.pages.set_base(value["pdf"], value["units"], job.seq)
            else:
                self.failed |= set(job.editions)
                self.pages.drop(job.seq)
                print(value, file=sys.stderr)
                print(f"preview: build failed; still serving the last good build from {self.dist}/", file=sys.stderr,
                      flush=True)
            n = self.status["build"] + 1
            self._update(build=n, ok=ok, error="" if ok else value, editions=job.editions, pdf=self._pdf(),
                         last_good=n if ok else self.status["last_good"], busy="", shown=job.seq if ok else
                         self.status["shown"], time=_dt.datetime.now().isoformat(timespec="seconds"))
            cache.prune(self.cache_limit, min([job.started] + [j.started for j in (self.visible,) if j]))
            self._maybe_whole()

    def _pdf(self) -> str | None:
        """The screen PDF in the output folder (the last good one), by the book's slug if it loads."""
        from ..book import load_book
        from ..rules import ManuscriptError
        try:
            names = [f"{load_book(self.manuscript).slug}.pdf"]
        except ManuscriptError:
            names = sorted(p.name for p in self.dist.glob("*.pdf") if not p.name.endswith("-print.pdf"))
        return next((n for n in names if (self.dist / n).is_file()), None)

    def close(self) -> None:
        """Stop every job (a build cleans up as when interrupted) and wake the listening pages."""
        for job in (self.visible, self.whole):
            if job is not None:
                job.stop()
        self.visible = self.whole = None
        with self.changed:
            self.closed = True
            self.changed.notify_all()


def memory() -> int:
    """The preview's resident memory in bytes (Linux), for the long-session test and the bench."""
    try:
        with open(f"/proc/{os.getpid()}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
