"""Independent pieces of one array op run on a few threads.

NumPy's loops and OpenBLAS's products let go of the GIL, so an op that splits into
independent pieces (the batch blocks of a convolution) runs them side by side. Each
thread gets a fixed stripe of the pieces and its own scratch, and products inside run
on one BLAS thread each, so the split of work, and with it every number, depends only
on the thread count (``ember.set_num_threads``), never on timing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context
from typing import Any

from .._runtime import _threads
from . import _blas

__all__ = ["threads_for", "run_striped", "part", "split", "ufunc"]

_SPLIT_ELEMENTS = 1 << 18  # elementwise work below this many elements stays on one thread
_MAX_THREADS = 8  # past a few threads the GIL, held between NumPy's calls, is the limit
_pool: list = [None, 0, 0]  # the executor, its size, the process that made it


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


_CPUS = _usable_cpus()


def threads_for(xp: Any, pieces: int) -> int:
    """How many threads ``pieces`` independent pieces of a NumPy op should run on."""
    if xp.__name__ != "numpy":
        return 1
    return max(1, min(_threads[0], _CPUS, _MAX_THREADS, pieces))


def _executor(workers: int) -> ThreadPoolExecutor:
    pool, size, pid = _pool
    if pool is None or size < workers or pid != os.getpid():
        if pool is not None and pid == os.getpid():
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(workers, thread_name_prefix="ember-ops")
        _pool[:] = [pool, workers, os.getpid()]
    return pool


def run_striped(work: Callable[[int, range], Any], pieces: int, threads: int) -> list:
    """``work(t, range(t, pieces, threads))`` for each thread ``t``; their results in order.

    Thread 0 is the caller. Products inside run on one BLAS thread each (the threads are
    the parallelism); the workers run in copies of the caller's context (NumPy's error
    state lives there).
    """
    if threads <= 1:
        return [work(0, range(pieces))]
    _blas.fit_threads(0)  # one BLAS thread per worker
    pool = _executor(threads - 1)
    jobs = [pool.submit(copy_context().run, work, t, range(t, pieces, threads))
            for t in range(1, threads)]
    try:
        first = work(0, range(0, pieces, threads))
    finally:
        wait(jobs)  # no worker may outlive the call, even when the caller's stripe failed
    return [first] + [job.result() for job in jobs]


def part(n: int, parts: int, t: int) -> slice:
    """Part ``t`` of ``range(n)`` cut into ``parts`` nearly equal slices."""
    return slice(t * n // parts, (t + 1) * n // parts)


def split(xp: Any, n: int, elements: int, body: Callable[[slice], Any]) -> None:
    """``body(s)`` over slices ``s`` that cover ``range(n)`` (independent rows or channels of
    an op over ``elements`` elements): one call of all of it when small, else one slice per
    op thread."""
    threads = threads_for(xp, n) if elements >= _SPLIT_ELEMENTS else 1
    if threads == 1:
        body(slice(None))
        return
    run_striped(lambda t, _: body(part(n, threads, t)), threads, threads)


def ufunc(xp: Any, fn: Any, *args: Any) -> Any:
    """``fn(*args)`` (a NumPy ufunc over same-shape arrays and scalars) as a new array, its
    flat parts on the op threads when large; the same numbers as one call."""
    a = args[0]
    if (xp.__name__ != "numpy" or a.size < _SPLIT_ELEMENTS
            or not all(getattr(v, "shape", a.shape) == a.shape
                       and getattr(v, "flags", a.flags).c_contiguous for v in args)):
        return fn(*args)
    flat = [v.reshape(-1) if hasattr(v, "shape") else v for v in args]
    dtype = fn(*(v[:1] if hasattr(v, "shape") else v for v in flat)).dtype  # NumPy's choice
    out = xp.empty(a.shape, dtype=dtype)
    dst = out.reshape(-1)
    split(xp, a.size, a.size, lambda s: fn(*(v[s] if hasattr(v, "shape") else v for v in flat),
                                             out=dst[s]))
    return out
