"""Forked worker processes, the one way the press starts them (the pipeline's chapters, the PDF's
layouts). Takes a number of workers; returns a ``ProcessPoolExecutor`` whose processes are
already running. Before the fork the parent's objects are frozen for the garbage collector
(``gc.freeze``), so a collection in a worker leaves the inherited memory alone instead of copying
it page by page (the book's layout took 0.4 s longer in a worker without it)."""
from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

LAYOUT_MEMORY = 2 << 30  # address space a PDF layout process may use (docs/manuscript-format.md#limits)


def _limit(memory: int | None) -> None:
    """In the worker: its address space capped at ``memory`` bytes (never raised above a limit the
    press was started with), so a runaway layout ends in MemoryError, not in the machine's swap."""
    if memory is None:
        return
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def pool(workers: int, memory: int | None = None) -> ProcessPoolExecutor:
    """``memory``: each worker's address space, in bytes (see ``_limit``)."""
    gc.freeze()
    try:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_limit, initargs=(memory,))
        executor.submit(int).result()  # with fork, every worker starts at the first task
    finally:
        gc.unfreeze()
    return executor


def stop(executor: ProcessPoolExecutor) -> None:
    """Interrupted or failed: stop the workers now, not when they finish."""
    for proc in list(getattr(executor, "_processes", {}).values()):
        proc.terminate()
    executor.shutdown(wait=True, cancel_futures=True)
