"""Worker processes of the DataLoader: the loop each worker runs, and the transport of
batches through shared memory (one /dev/shm segment per batch, unlinked on arrival).
"""

from __future__ import annotations

import glob
import itertools
import mmap
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._layouts import _contiguous_strides
from ..._tensor import Tensor, make
from ...backends.registry import CPU

__all__ = ["get_worker_info", "WorkerInfo", "ExceptionWrapper", "pack", "unpack",
           "release_segments_of"]

_SHM_DIR = "/dev/shm"
_counter = itertools.count()
_worker_info: WorkerInfo | None = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a worker (to shard a dataset)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """This worker's id, the number of workers, its seed and dataset copy; None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


class IterableStop:
    """A worker's signal that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""


# ------------------------------------------------------------------ shared-memory transport
class _ArrayRef:
    __slots__ = ("offset", "shape", "dtype", "tensor", "requires_grad", "strides")

    def __init__(self, offset: int, shape: tuple, dtype: np.dtype, tensor: bool, rg: bool,
                 strides: tuple | None = None) -> None:
        self.offset, self.shape, self.dtype, self.tensor, self.requires_grad = (
            offset, shape, dtype, tensor, rg)
        self.strides = strides  # a dense but permuted (e.g. transposed) layout, kept as PyTorch


def _permuted_dense(arr: np.ndarray) -> tuple[int, ...] | None:
    """The axis order that makes ``arr`` C-contiguous when it is a transposed dense block,
    or has size-1 dims with strides of their own (``zeros(3, 1).t()``); None when its strides
    are C order's exactly, or it is not dense."""
    if arr.ndim < 2 or min(arr.strides) < 0:
        return None
    if tuple(s * arr.itemsize for s in _contiguous_strides(arr.shape)) == arr.strides:
        return None
    perm = tuple(sorted(range(arr.ndim), key=lambda d: -arr.strides[d]))
    return perm if arr.transpose(perm).flags.c_contiguous else None


def _walk(obj: Any, fn: Any) -> Any:
    if isinstance(obj, (Tensor, np.ndarray, _ArrayRef)):
        return fn(obj)
    if isinstance(obj, dict):
        try:
            return type(obj)((k, _walk(v, fn)) for k, v in obj.items())
        except TypeError:
            return {k: _walk(v, fn) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_walk(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk(v, fn) for v in obj)
    return obj


def _slot(nbytes: int) -> int:
    """Bytes an array takes in a segment: 64-aligned, never 0 (an empty mmap is refused)."""
    return max(64, (nbytes + 63) // 64 * 64)


def pack(obj: Any) -> tuple[Any, str | None, int]:
    """Move a batch's arrays into one shared-memory segment; returns (structure, name, size)."""
    if not os.path.isdir(_SHM_DIR):
        return obj, None, 0
    arrays: list[np.ndarray] = []
    offset = 0

    def collect(x: Any) -> Any:
        nonlocal offset
        is_tensor = isinstance(x, Tensor)
        if is_tensor and x._device is not CPU:
            return x
        arr = x._data if is_tensor else x
        if arr.dtype.hasobject or arr.nbytes < (1 if is_tensor else 1024):
            # small NumPy arrays are cheaper to pickle; tensors with data always go to shared
            # memory, as PyTorch's do (a worker's batch ``is_shared()``)
            return x
        perm = _permuted_dense(arr) if is_tensor else None
        ref = _ArrayRef(offset, arr.shape, arr.dtype, is_tensor,
                        bool(is_tensor and x.requires_grad), arr.strides if perm else None)
        arrays.append(arr.transpose(perm) if perm else arr)
        offset += _slot(arr.nbytes)
        return ref

    structure = _walk(obj, collect)
    if not arrays:
        return obj, None, 0
    name = f"ember-{os.getpid()}-{next(_counter)}"
    path = os.path.join(_SHM_DIR, name)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, offset)
        with mmap.mmap(fd, offset) as mm:
            pos = 0
            for arr in arrays:
                dst = np.frombuffer(mm, dtype=arr.dtype, count=arr.size, offset=pos)
                dst[...] = np.ascontiguousarray(arr).reshape(-1)
                del dst
                pos += _slot(arr.nbytes)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
    return structure, name, offset


def unpack(structure: Any, name: str | None, size: int) -> Any:
    """Map a segment from ``pack`` (and unlink it at once); arrays view it without copying."""
    if name is None:
        return structure
    path = os.path.join(_SHM_DIR, name)
    fd = os.open(path, os.O_RDWR)
    try:
        mm = mmap.mmap(fd, size)
    finally:
        os.close(fd)
        os.unlink(path)

    def build(ref: Any) -> Any:
        if not isinstance(ref, _ArrayRef):
            return ref
        dt = ref.dtype  # the dtype itself: its .str loses extension types (bfloat16)
        n = int(np.prod(ref.shape)) if ref.shape else 1
        arr = np.frombuffer(mm, dtype=dt, count=n, offset=ref.offset)
        if ref.strides is None:
            arr = arr.reshape(ref.shape)
        else:
            arr = np.lib.stride_tricks.as_strided(arr, ref.shape, ref.strides)
        if not ref.tensor:
            return arr
        t = make(arr, CPU)
        if ref.requires_grad:
            t.requires_grad_(True)
        return t

    return _walk(structure, build)


def release_segments_of(pid: int) -> None:
    """Remove the segments a dead worker created but never handed over."""
    for path in glob.glob(os.path.join(_SHM_DIR, f"ember-{pid}-*")):
        try:
            os.unlink(path)
        except OSError:
            pass


# ------------------------------------------------------------------ the worker loop
_M32 = 0xFFFFFFFF


def numpy_worker_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words that seed NumPy's global generator in worker ``worker_id``.

    PyTorch derives them from (worker_id, base_seed) with NumPy's SeedSequence hash, so that
    ``np.random`` differs between workers (a forked worker would otherwise repeat the parent's
    stream) and matches what a PyTorch worker draws for the same base seed.
    """
    mult_a = 0x931E8875
    hash_a = 0x43B0D7E5

    def hashmix(value: int) -> int:
        nonlocal hash_a
        value = (value ^ hash_a) & _M32
        hash_a = (hash_a * mult_a) & _M32
        value = (value * hash_a) & _M32
        return value ^ (value >> 16)

    def mix(x: int, y: int) -> int:
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & _M32
        return r ^ (r >> 16)

    pool = [hashmix(v) for v in (worker_id, base_seed & _M32, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    hash_b = 0x8B51F9DD
    state = []
    for v in pool:
        v ^= hash_b
        hash_b = (hash_b * 0x58F38DED) & _M32
        v = (v * hash_b) & _M32
        state.append(v ^ (v >> 16))
    return state


class _MapFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Any) -> None:
        self.dataset, self.auto, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index: Any) -> Any:
        if self.auto:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Any,
                 drop_last: bool) -> None:
        self.it = iter(dataset)
        self.auto, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto:
            data = []
            for _ in index:
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.it)
        return self.collate_fn(data)


class _DatasetKind:
    """A loader's dataset kind, as PyTorch numbers it (``loader._dataset_kind``)."""

    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Any,
                       drop_last: bool) -> Any:
        return make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)


def make_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Any,
                 drop_last: bool) -> Any:
    if kind == _DatasetKind.Map:
        return _MapFetcher(dataset, auto_collation, collate_fn)
    return _IterableFetcher(dataset, auto_collation, collate_fn, drop_last)


def worker_loop(kind: int, dataset: Any, index_queue: Any, result_queue: Any, done_event: Any,
                auto_collation: bool, collate_fn: Any, drop_last: bool, base_seed: int,
                init_fn: Any, worker_id: int, num_workers: int) -> None:
    """Run in a worker process: fetch the batches asked for, send them back in order of asking."""
    global _worker_info
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    seed = base_seed + worker_id
    random.seed(seed)
    from ...random import manual_seed

    manual_seed(seed)
    np.random.seed(numpy_worker_seed(base_seed, worker_id))
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
    exhausted = False
    while not done_event.is_set():
        try:
            task = index_queue.get(timeout=0.5)
        except queue.Empty:
            continue
        if task is None:
            break
        if isinstance(task, ResumeIteration):
            result_queue.put((task, None, None, 0))
            exhausted = False
            fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
            continue
        idx, index = task
        if init_error is not None:
            data, init_error = init_error, None
        elif exhausted:
            data = IterableStop(worker_id)
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if kind == _DatasetKind.Iterable:  # this worker's stream has ended
                    data = IterableStop(worker_id)
                    exhausted = True
                else:  # raised by a map-style dataset: ends the epoch in the main process
                    data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
            except Exception:
                data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        if isinstance(data, (ExceptionWrapper, IterableStop)):
            result_queue.put((idx, data, None, 0))
        else:
            structure, name, size = pack(data)
            result_queue.put((idx, structure, name, size))
        del data
