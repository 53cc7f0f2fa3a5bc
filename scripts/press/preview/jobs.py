"""The preview's work runs in child processes, one per job, forked from a server process that
imported the press and WeasyPrint once (multiprocessing's ``forkserver`` with ``zygote`` as its
preload): a job starts in milliseconds with a warm WeasyPrint, its memory is returned when it
ends (an hour of edits does not grow the preview), a crash in a layout never takes the preview
down, and nothing is forked from the preview's own threads (its server and watcher).

A job sends messages to the preview while it runs: ``("out"|"err", text)`` for what it prints,
anything it sends itself (``send``), and last ``("done", value)`` or ``("error", text)`` — the
``file:line: CODE message`` lines of a manuscript error, a template's place and message, or the
exception's one line, never a traceback. Ctrl-C does not reach a job (the zygote ignores SIGINT
for its children); the preview stops its jobs itself (SIGTERM: a build cleans up as when
interrupted).
"""
from __future__ import annotations

import io
import multiprocessing
import sys
import time
import traceback

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
            self.conn.send((self.kind, text))
        return len(text)


def _main(conn, fn, args) -> None:
    from jinja2 import TemplateError

    from ..rules import ManuscriptError
    sys.stdout, sys.stderr = _Lines(conn, "out"), _Lines(conn, "err")
    try:
        value = fn(*args, send=conn.send)
        conn.send(("done", value))
    except ManuscriptError as e:
        conn.send(("error", "\n".join(str(f) for f in e.findings)))
    except TemplateError as e:  # a designer's mistake in templates/: where, not a traceback
        where = f"{getattr(e, 'filename', None) or 'templates'}:{getattr(e, 'lineno', None) or 0}"
        conn.send(("error", f"{where}: template error: {e.message or e}"))
    except KeyboardInterrupt:  # stopped by the preview (SIGTERM): it no longer waits for an answer
        pass
    except Exception as e:  # a style or template mistake WeasyPrint or Jinja cannot take, a bug
        conn.send(("error", "".join(traceback.format_exception_only(type(e), e)).strip()))
    finally:
        conn.close()


class Job:
    """``fn(*args, send=…)`` in a child process; ``kind`` and ``seq`` are the preview's labels."""

    def __init__(self, kind: str, seq: int, fn, *args):
        self.kind, self.seq, self.started = kind, seq, time.time()
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
        """Stop the job now (SIGTERM, then SIGKILL after a grace period) and reap it."""
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=10)
            if self.proc.is_alive():
                self.proc.kill()
        self.proc.join(timeout=10)
        self.conn.close()
