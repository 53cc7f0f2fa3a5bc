"""The preview's work (and the catalogue's books: press.catalogue.runner) runs in child processes,
one per job, forked from a server process that imported the press and WeasyPrint once
(multiprocessing's ``forkserver`` with ``zygote`` as its preload): a job starts
in milliseconds with a warm WeasyPrint, its memory is returned when it
ends (an hour of edits does not grow the preview), a crash in a layout never takes the preview
down, and nothing is forked from the preview's own threads (its server and watcher).

A job sends messages to the preview while it runs: ``("out"|"err", text)`` for what it prints,
anything it sends itself (``send``), and last ``("done", value)`` or ``("error", text)`` — the
``file:line: CODE message`` lines of a manuscript error, a template's place and message, or the
exception's one line, never a traceback. Ctrl-C does not reach the fork server or a job: the
server is started with SIGINT blocked, which every process forked from it inherits (and the
zygote ignores it); the preview stops its jobs itself (SIGTERM: a build cleans up as when
interrupted). A job whose preview is gone ends quietly.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import signal
import sys
import time
import traceback
from multiprocessing import forkserver

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["__main__", "press.preview.zygote"])  # main: imported once, not per job


class _Lines(io.TextIOBase):
    """A job's stdout or stderr: every write goes to the preview as a message."""

    def __init__(self, conn, kind: str):
        self.conn, self.kind = conn, kind

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            _send(self.conn, (self.kind, text))
        return len(text)


def _send(conn, message) -> None:
    try:
        conn.send(message)
    except OSError:  # the preview has gone (stopped while this job ran): end without a word
        os._exit(0)


def _stopped(signum, frame):
    """SIGTERM (``Job.stop``) as Ctrl-C: a build removes its staging folder and temporary files."""
    raise KeyboardInterrupt


def _main(conn, fn, args) -> None:
    from jinja2 import TemplateError

    from ..rules import ManuscriptError
    os.setpgrp()  # a process group of its own: stopping the job stops its workers and pandoc too
    signal.signal(signal.SIGTERM, _stopped)  # the fork server left SIGTERM's default, which kills at once
    sys.stdout, sys.stderr = _Lines(conn, "out"), _Lines(conn, "err")
    try:
        value = fn(*args, send=lambda message: _send(conn, message))
        _send(conn, ("done", value))
    except ManuscriptError as e:
        _send(conn, ("error", "\n".join(str(f) for f in e.findings)))
    except TemplateError as e:  # a designer's mistake in templates/: where, not a traceback
        where = f"{getattr(e, 'filename', None) or 'templates'}:{getattr(e, 'lineno', None) or 0}"
        _send(conn, ("error", f"{where}: template error: {e.message or e}"))
    except KeyboardInterrupt:  # stopped (SIGTERM), its files removed: it ends as SIGTERM ends a process
        conn.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    except Exception as e:  # a style or template mistake WeasyPrint or Jinja cannot take, a bug
        _send(conn, ("error", "".join(traceback.format_exception_only(type(e), e)).strip()))
    finally:
        conn.close()


def _server() -> None:
    """Start the fork server (once) with SIGINT blocked: it and every job inherit the mask."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a Ctrl-C that came meanwhile arrives now


def shutdown() -> None:
    """Stop the fork server now (it would notice the preview is gone only once its imports are
    done), after the jobs were stopped."""
    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except OSError:
        pass


class Job:
    """``fn(*args, send=…)`` in a child process; ``kind`` and ``seq`` are the preview's labels."""

    def __init__(self, kind: str, seq: int, fn, *args):
        self.kind, self.seq, self.started = kind, seq, time.time()
        _server()
        self.conn, child = CONTEXT.Pipe(duplex=False)
        self.proc = CONTEXT.Process(target=_main, args=(child, fn, args), name=f"press-preview-{kind}")
        self.proc.start()
        child.close()
        self.answered = False  # its "done" or "error" came (or it ended without one)
        self.ready = False     # a visible layout: the pipeline's cache is filled
        self.editions: list[str] = []

    def receive(self):
        """The next message, or None when the job has ended (after its last message)."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def ended(self) -> str:
        """Why a job that sent no answer stopped (a crash in a layout, a signal)."""
        self.proc.join(timeout=10)
        code = self.proc.exitcode
        return f"the {self.kind} stopped unexpectedly (exit code {code})"

    def stop(self) -> None:
        """Stop the job and every process it started now (SIGTERM to its process group: a build
        removes its temporary files; SIGKILL to whatever is left after a grace period)."""
        if self.proc.is_alive():  # not reaped yet: its id (and its group's) is still its own
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):  # it has not made its group yet
                self.proc.terminate()
            self.proc.join(timeout=10)
        for pid in self._group():  # a worker that outlived its job
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.join(timeout=10)
        self.conn.close()

    def _group(self) -> list[int]:
        """The processes still in the job's group (in this session: never anyone else's)."""
        me, out = os.getsid(0), []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.getpgid(int(d)) == self.proc.pid and os.getsid(int(d)) == me:
                        out.append(int(d))
                except OSError:
                    pass
        return out
