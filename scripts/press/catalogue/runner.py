"""Building the catalogue's books: each book is a build of its own, in a process of its own, into its
own output folder with its own cache, so it builds incrementally exactly as ``make`` does.

On one machine the books run side by side (``jobs`` at once, all cores by default), each in a
process forked from a warm server (``press.preview.jobs``, the preview's: it imported the press and
WeasyPrint and laid out a page once), so a book does not pay for Python's imports, fontconfig and
WeasyPrint's first layout again: that start is a good part of a short book's build (the catalogue
bench measures both ways). No book sees another's state (the active design, the pipeline's work
list, the cache folder): each is a fresh fork of the same server, and its own forked workers (the
pipeline's chapters, the PDF's layouts) start as they do under ``make``. With ``jobs`` books at
once a book uses ``cores // jobs`` processes of its own; one book at a time uses them all.
``build_one`` builds a book as a ``press build`` process instead: on a Dask worker (a daemon
process, which may not fork a server) and as the bench's "book after book" baseline.

Beyond one machine each book is a task on a Dask cluster (``scheduler``): the client sends the
manuscript folder as a tar archive, the worker builds it in a scratch folder and sends the output
folder back as a tar archive, which the client puts in place atomically (``press.fsio``); with
``shared`` the workers write straight into the output folder, which must be the same path on
every machine (a network file system). A book whose output is up to date is not sent at all.

A failed book is reported with its name and the build's own message; the others go on.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsio
from ..build import MANIFEST, current_editions

MAX_MESSAGE_LINES = 12


@dataclass
class Result:
    name: str
    status: str                 # "built", "up to date" or "failed"
    seconds: float
    editions: list[str] = field(default_factory=list)  # file names in the book's output folder
    message: str = ""           # a failure's own words (the build's findings or error)
    where: str = ""             # "local" or the Dask worker's address


@dataclass(frozen=True)
class Job:
    name: str
    manuscript: Path
    dist: Path
    cache: Path


def editions_in(dist: Path) -> list[str]:
    """The editions the book's last good build left in ``dist`` (its manifest's files)."""
    import json
    try:
        files = json.loads((dist / MANIFEST).read_text()).get("files", {})
    except (OSError, ValueError):
        return []
    return sorted({n for names in files.values() if isinstance(names, list) for n in names
                   if isinstance(n, str) and (dist / n).exists()})


def _message(proc: subprocess.CompletedProcess) -> str:
    """What a failed build said: its findings and its last word, not its progress lines."""
    lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip() and "[warning]" not in ln
             and not ln.startswith("warning:")]
    if not lines:
        lines = [ln for ln in (proc.stdout or "").splitlines() if ln.strip()][-3:] or [f"exit status {proc.returncode}"]
    if len(lines) > MAX_MESSAGE_LINES:
        lines = lines[:MAX_MESSAGE_LINES - 1] + [f"… ({len(lines) - MAX_MESSAGE_LINES + 1} more lines)"]
    return "\n".join(lines)


def build_one(job: Job, inner_jobs: int, where: str = "local") -> Result:
    """One book, in a process of its own: ``press build -m MANUSCRIPT -d DIST -j N`` with its own
    cache folder (``PRESS_CACHE``)."""
    started = time.perf_counter()
    env = dict(os.environ, PRESS_CACHE=str(job.cache))
    cmd = [sys.executable, "-m", "press.cli", "build", "-m", str(job.manuscript), "-d", str(job.dist),
           "-j", str(inner_jobs)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        return Result(job.name, "failed", time.perf_counter() - started, message=str(e), where=where)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        return Result(job.name, "failed", took, editions_in(job.dist), _message(proc), where)
    status = "up to date" if proc.stdout.startswith("Up to date") else "built"
    return Result(job.name, status, took, editions_in(job.dist), where=where)


def _build_here(manuscript: str, dist: str, cache: str, inner: int, send=None) -> int:
    """In a process forked from the warm server: one book's build with its own cache folder."""
    os.environ["PRESS_CACHE"] = cache
    from ..build import build
    return build(Path(manuscript), Path(dist), jobs=inner)


_RUNNING: set = set()  # the forked builds under way, for stop_all
_STOPPING = threading.Event()  # set by stop_all: a build that starts after it is stopped at once


def build_warm(job: Job, inner_jobs: int) -> Result:
    """One book in a process forked from the warm server; what it printed is kept for its report."""
    from ..preview import jobs as forked
    started = time.perf_counter()
    child = forked.Job("catalogue", 0, _build_here, str(job.manuscript), str(job.dist), str(job.cache), inner_jobs)
    _RUNNING.add(child)
    if _STOPPING.is_set():  # started while stop_all went through the others
        child.stop()
    printed: dict[str, list[str]] = {"out": [], "err": []}
    answer = None
    try:
        while (message := child.receive()) is not None:
            if message[0] in printed:
                printed[message[0]].append(message[1])
            elif message[0] in ("done", "error"):
                answer = message
        child.proc.join()
    finally:
        _RUNNING.discard(child)
    took = time.perf_counter() - started
    out, err = "".join(printed["out"]), "".join(printed["err"])
    if answer is None or answer[0] == "error" or answer[1] != 0:
        said = answer[1] if answer and answer[0] == "error" else child.ended() if answer is None else ""
        proc = subprocess.CompletedProcess([], child.proc.exitcode or 1, out, "\n".join(x for x in (err, said) if x))
        return Result(job.name, "failed", took, editions_in(job.dist), _message(proc))
    status = "up to date" if out.startswith("Up to date") else "built"
    return Result(job.name, status, took, editions_in(job.dist))


def stop_all() -> None:
    """Interrupted: stop every forked build now (they ignore Ctrl-C; see press.preview.jobs)."""
    _STOPPING.set()
    for child in list(_RUNNING):
        child.stop()


def inner_jobs(jobs: int, books: int) -> int:
    """Processes each book may use: the cores shared among the books running at once."""
    return max(1, (os.cpu_count() or 1) // max(1, min(jobs, books)))


def run_local(jobs_list: list[Job], jobs: int, on_done=None, warm: bool = True) -> list[Result]:
    """Every book on this machine, ``jobs`` at once; ``on_done(result)`` as each one ends.
    ``warm``: forked from the warm server (``build_warm``), else a ``press build`` each (``build_one``)."""
    inner = inner_jobs(jobs, len(jobs_list))
    one = build_warm if warm else build_one
    _STOPPING.clear()
    results = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, job, inner): job for job in jobs_list}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as e:  # the press's own fault around the process: still one book's failure
                    result = Result(futures[future].name, "failed", 0.0, message=f"{type(e).__name__}: {e}")
                results.append(result)
                if on_done:
                    on_done(result)
        except BaseException:  # Ctrl-C or SIGTERM: no book goes on building behind the user's back
            for future in futures:
                future.cancel()
            stop_all()
            raise
    return results


# --- Dask -----------------------------------------------------------------------------------------


def pack(folder: Path, skip=(".git",)) -> bytes:
    """A folder as a gzip'ed tar archive in memory (a manuscript is small; an output folder a few MB)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if set(rel.parts) & set(skip) or not (path.is_file() or path.is_dir()) or path.is_symlink():
                continue
            tar.add(path, arcname=rel.as_posix(), recursive=False)
    return buf.getvalue()


def unpack(data: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(into, filter="data")  # no absolute paths, no '..', no devices or links out


def remote_build(name: str, manuscript: bytes, inner: int = 1, shared_dist: str | None = None,
                 shared_cache: str | None = None, shown_as: str = "") -> dict:
    """On a Dask worker: build one book from its packed manuscript in a scratch folder; return the
    result and, unless the output folder is shared, the output folder packed. The book's cache stays
    on the worker's machine between runs (``TMPDIR/press-catalogue-cache/<name>``) unless shared;
    ``shown_as``: the manuscript's path on the client, for the failure's message."""
    import socket
    scratch = Path(tempfile.mkdtemp(prefix=f"press-catalogue-{name}-"))  # the worker's own, removed below
    try:
        unpack(manuscript, scratch / "manuscript")
        dist = Path(shared_dist) if shared_dist else scratch / "dist"
        cache = Path(shared_cache) if shared_cache else Path(tempfile.gettempdir()) / "press-catalogue-cache" / name
        result = build_one(Job(name, scratch / "manuscript", dist, cache), inner, where=socket.gethostname())
        if shown_as:
            result.message = result.message.replace(str(scratch / "manuscript"), shown_as)
        if not shared_dist:
            result.message = result.message.replace(str(dist), f"(the worker's scratch folder for {name})")
        out = {"result": result.__dict__}
        if not shared_dist and result.status != "failed":
            out["dist"] = pack(dist)
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_dask(jobs_list: list[Job], scheduler: str, shared: bool = False, on_done=None,
             inner: int = 1) -> list[Result]:
    """Every book as a task on the Dask cluster at ``scheduler`` (``tcp://HOST:8786``)."""
    from distributed import Client
    from distributed import as_completed as dask_completed
    results: list[Result] = []

    def done(result: Result):
        results.append(result)
        if on_done:
            on_done(result)

    with Client(scheduler, timeout="60s") as client:
        futures = {}
        for job in jobs_list:
            if not shared and all(current_editions(job.manuscript, job.dist).values()) and editions_in(job.dist):
                done(Result(job.name, "up to date", 0.0, editions_in(job.dist)))
                continue
            started = time.perf_counter()
            future = client.submit(remote_build, job.name, pack(job.manuscript), inner,
                                   str(job.dist.resolve()) if shared else None,
                                   str(job.cache.resolve()) if shared else None, str(job.manuscript), pure=False,
                                   key=f"press-book-{job.name}-{os.getpid()}-{time.time_ns()}")
            futures[future] = (job, started)
        for future in dask_completed(list(futures)):
            job, started = futures[future]
            try:
                out = future.result()
            except Exception as e:  # the worker died or the task could not run: this book's failure
                done(Result(job.name, "failed", time.perf_counter() - started, editions_in(job.dist),
                            f"the Dask task failed: {type(e).__name__}: {e}"))
                continue
            result = Result(**out["result"])
            if "dist" in out:
                with fsio.atomic_dir(job.dist) as tmp:  # the whole output folder replaced at once
                    unpack(out["dist"], tmp)
                result.editions = editions_in(job.dist)
            done(result)
    return results
