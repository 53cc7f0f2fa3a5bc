"""Forked worker processes, the one way the press starts them (the pipeline's chapters, the PDF's
layouts). Takes a number of workers; returns a ``ProcessPoolExecutor`` whose processes are
already running. Before the fork the parent's objects are frozen for the garbage collector
(``gc.freeze``), so a collection in a worker leaves the inherited memory alone instead of copying
it page by page (the book's layout took 0.4 s longer in a worker without it).

A worker leaves interruptions to its parent: it ignores Ctrl-C (SIGINT goes to the whole process
group; the parent stops its workers) and dies quietly on SIGTERM, which is how the parent stops
one (``stop``). Without that, a worker inherits the build's SIGTERM handler and prints a
"Process ForkProcess-1 … KeyboardInterrupt" traceback whenever it is stopped, even on a good build."""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

LAYOUT_MEMORY = 2 << 30  # address space a PDF layout process may use (docs/manuscript-format.md#limits)


def _start(memory: int | None) -> None:
    """In the worker: Ctrl-C is the parent's to handle (the worker is stopped by it, quietly), and
    the address space is capped (``limit_memory``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory is not None:
        limit_memory(memory)


def limit_memory(memory: int) -> None:
    """Cap this process's address space at ``memory`` bytes (never raised above a limit the press
    was started with), so a runaway layout ends in MemoryError, not in the machine's swap. A
    worker's, and the preview's layout job's (press.preview.tasks)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def pool(workers: int, memory: int | None = None) -> ProcessPoolExecutor:
    """``memory``: each worker's address space, in bytes (see ``_start``)."""
    gc.freeze()
    try:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_start, initargs=(memory,))
        try:
            executor.submit(int).result()  # with fork, every worker starts at the first task
        except BaseException:  # interrupted while the workers start: they stop too
            stop(executor)
            raise
    finally:
        gc.unfreeze()
    return executor


@contextlib.contextmanager
def running(workers: int, memory: int | None = None):
    """``pool()`` for a ``with`` block: shut down when the block ends, stopped at once when it
    raises (an error or an interruption), so no worker outlives the work it was forked for."""
    executor = pool(workers, memory)
    try:
        yield executor
    except BaseException:
        stop(executor)
        raise
    executor.shutdown()


def stop(executor: ProcessPoolExecutor) -> None:
    """Interrupted or failed: stop the workers now, not when they finish."""
    for proc in list(getattr(executor, "_processes", {}).values()):
        proc.terminate()
    executor.shutdown(wait=True, cancel_futures=True)
