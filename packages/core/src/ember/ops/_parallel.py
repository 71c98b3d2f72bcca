"""Independent pieces of one array op run on a few threads.

NumPy's loops and OpenBLAS's products let go of the GIL, so an op that splits into
independent pieces (the batch blocks of a convolution) runs them side by side. Each
thread gets a fixed stripe of the pieces and its own scratch, and products inside run
on one BLAS thread each, so the split of work, and with it every number, depends only
on the thread count (``ember.set_num_threads``), never on timing.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
from collections.abc import Callable
from contextvars import copy_context
from typing import Any

from .._runtime import _threads, usable_cpus
from . import _blas

__all__ = ["threads_for", "run_striped", "run_tasks", "part", "split", "ufunc"]

# elementwise work below this many elements stays on one thread: batch norm and relu over
# 262k elements measured ~20% quicker on one thread, over 1M ~30% quicker on two
_SPLIT_ELEMENTS = 1 << 19
_MAX_THREADS = 8  # past a few threads the GIL, held between NumPy's calls, is the limit


_CPUS = usable_cpus()


def threads_for(xp: Any, pieces: int) -> int:
    """How many threads ``pieces`` independent pieces of a NumPy op should run on."""
    if xp.__name__ != "numpy" or getattr(_inside, "worker", False):
        return 1
    return max(1, min(_threads[0], _CPUS, _MAX_THREADS, pieces))


class _Worker:
    """A daemon thread running the calls it is handed, one at a time (a lighter hand-off
    than an executor's futures: a queue put and a lock release, ~10 us a call)."""

    __slots__ = ("jobs",)

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="ember-ops", daemon=True).start()

    def _loop(self) -> None:
        _inside.worker = True
        while True:
            fn, done, out = self.jobs.get()
            try:
                out.append(fn())
            except BaseException as error:  # handed to the caller
                out.append(error)
                out.append(_FAILED)
            finally:
                done.release()
            del fn, done, out  # hold nothing of the last call: its arrays are the caller's


_FAILED = object()
_inside = threading.local()  # ``worker`` is set in the workers' own threads
_workers: list = []  # emptied in a forked child, which has none of its parent's threads


def _pool(n: int) -> list:
    while len(_workers) < n:
        _workers.append(_Worker())
    return _workers


def run_striped(work: Callable[[int, range], Any], pieces: int, threads: int) -> list:
    """``work(t, range(t, pieces, threads))`` for each thread ``t``; their results in order.

    Thread 0 is the caller. Products inside run on one BLAS thread each (the threads are
    the parallelism); the workers run in copies of the caller's context (NumPy's error
    state lives there). A worker's exception is raised here, after every thread is done.
    """
    if threads <= 1 or getattr(_inside, "worker", False):  # a worker's own work: no nesting
        return [work(t, range(t, pieces, threads)) for t in range(max(threads, 1))]
    _blas.fit_threads(0)  # one BLAS thread per worker
    calls = []
    with _lock:  # several threads may run ops at once: each worker takes one call at a time
        for t, worker in enumerate(_pool(threads - 1), start=1):
            if t >= threads:
                break
            done, out = threading.Lock(), []
            done.acquire()
            ctx = copy_context()
            worker.jobs.put((functools.partial(ctx.run, work, t, range(t, pieces, threads)),
                             done, out))
            calls.append((done, out))
    try:
        first = work(0, range(0, pieces, threads))
    finally:
        for done, _ in calls:  # no worker may outlive the call, even when ours failed
            done.acquire()
    results = [first]
    for _, out in calls:
        if len(out) == 2 and out[1] is _FAILED:
            raise out[0]
        results.append(out[0])
    return results


_lock = threading.Lock()


def run_tasks(xp: Any, *calls: Callable[[], Any]) -> list:
    """Independent ``calls`` side by side, one per op thread, each computed as on one thread
    (its own blocks, one BLAS thread): their results in order.

    Two independent halves of the work (a convolution's input and weight gradients) on a
    thread each need one hand-off between the threads, where splitting each of them needs
    several, and each keeps its products whole (longer products run faster).
    """
    if threads_for(xp, len(calls)) < len(calls):
        return [call() for call in calls]
    _blas.fit_threads(0)

    def task(t: int, _: range) -> Any:
        if t:  # a worker: its nested work already runs on itself alone
            return calls[t]()
        _inside.worker = True  # the caller's share, likewise
        try:
            return calls[0]()
        finally:
            _inside.worker = False

    _blas._state["pinned"] += 1
    try:
        return run_striped(task, len(calls), len(calls))
    finally:
        _blas._state["pinned"] -= 1


def _after_fork_in_child() -> None:
    """A forked child (a DataLoader worker) has none of its parent's threads, and a lock
    held by one of them at the fork would never be released."""
    global _lock
    _lock = threading.Lock()
    _workers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
