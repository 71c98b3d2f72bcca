"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With workers, batches arrive in sampler order whatever order the workers finish in;
an exception in a worker is raised in the main process with the worker's id and
traceback; a worker that dies makes the loader raise within a second instead of
hanging, and the shared memory it held is removed.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ._collate import default_collate, default_convert
from ._pin_memory import pin_memory, pinning_available
from ._worker import (
    ExceptionWrapper,
    IterableStop,
    ResumeIteration,
    _DatasetKind,
    get_worker_info,
    make_fetcher,
    release_segments_of,
    unpack,
    worker_loop,
)
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_PICKLE_HINT = (
    "Got pickle error when attempting to start a worker Process. This might be because the "
    "worker Process arguments are not picklable. Python 3.14+ changed the multiprocessing "
    "start method in non-Mac POSIX platforms to 'forkserver', which requires the worker "
    "Process arguments to be picklable. You can also try multiprocessing.set_start_method("
    "'fork').")
_STATUS_CHECK_INTERVAL = 0.2  # seconds between checks that every worker is alive
_FROZEN_ATTRS = frozenset(("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                           "persistent_workers"))


def _discard_segment(name: str) -> None:
    """Remove the shared-memory segment of a batch that will never be unpacked."""
    try:
        os.unlink(os.path.join("/dev/shm", name))
    except OSError:
        pass


def _death_message(pid: int | None, exitcode: int | None) -> str:
    """PyTorch's words for a worker that died: killed by a signal, or exited with a code."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.strsignal(-exitcode) or f"signal {-exitcode}"
        except ValueError:
            name = f"signal {-exitcode}"
        return f"DataLoader worker (pid {pid}) is killed by signal: {name}. "
    return (f"DataLoader worker (pid {pid}) exited unexpectedly with exit code {exitcode}. "
            "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give "
            "better error trace.")


class _InfiniteConstantSampler(Sampler[None]):
    """Indices for an IterableDataset: there are none, only requests for the next item."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


T_co = TypeVar("T_co", covariant=True)


class DataLoader(Generic[T_co]):
    """Combines a dataset and a sampler into an iterable of batches (PyTorch's DataLoader)."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called: int | None = None
        self._iterator: Any = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self) -> Any:
        """The context the workers start from (None: multiprocessing's default)."""
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context: Any) -> None:
        if multiprocessing_context is not None:
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(multiprocessing_context, str):
                methods = multiprocessing.get_all_start_methods()
                if multiprocessing_context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={multiprocessing_context!r}")
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={multiprocessing_context}")
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr: str, val: Any) -> None:
        # what the batching was built from is fixed once the loader exists, as in PyTorch
        if attr in _FROZEN_ATTRS and self.__dict__.get("_DataLoader__initialized", False):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> Iterator:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            # remembered, to warn when the iterator yields more than this promised
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                import math

                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn (as PyTorch does) when more workers are asked for than CPUs are usable."""
        if not self.num_workers:
            return
        has_affinity = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if has_affinity else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            suggest = ("DataLoader is not able to compute a suggested max number of worker in "
                       "current system.")
        else:
            suggest = (f"Our suggested max number of worker in current system is {cpus}"
                       f"{'' if has_affinity else ' (`cpuset` is not taken into account)'}, "
                       "which is smaller than what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                      f"total. {suggest} Please be aware that excessive worker creation might "
                      "get DataLoader running slow or even freeze, lower the worker number to "
                      "avoid potential slowness/freeze if necessary.", stacklevel=2)


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._dataset = loader.dataset
        self._kind = loader._dataset_kind
        self._auto = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._num_workers = loader.num_workers
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be "
                          f"used as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          stacklevel=3)
        self._pin = loader.pin_memory and pinning_available()
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        # PyTorch draws the workers' base seed from the (loader's) generator per epoch
        self._base_seed = _draw_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _next_index(self) -> Any:
        return next(self._sampler_iter)

    def _count_yield(self, stacklevel: int = 3) -> None:
        """One more batch handed out; warn when an IterableDataset outgrows its len()
        (``stacklevel`` points the warning at the user's ``next``/``for``)."""
        self._num_yielded += 1
        promised = self._IterableDataset_len_called
        if self._kind == _DatasetKind.Iterable and promised is not None and self._num_yielded > promised:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {promised}"
                   f"(when accessing len(dataloader)), but {self._num_yielded} samples have "
                   "been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset"
                        " for examples.")
            warnings.warn(msg, stacklevel=stacklevel)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        # a new epoch of persistent workers: the workers keep their seed, so (as PyTorch)
        # nothing is drawn from the loader's generator here
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if loader.timeout != 0:  # a timeout needs workers to wait on (PyTorch refuses too)
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = make_fetcher(self._kind, self._dataset, self._auto, self._collate_fn,
                                     self._drop_last)

    def __next__(self) -> Any:
        index = self._next_index()
        data = self._fetcher.fetch(index)
        self._count_yield()
        return pin_memory(data) if self._pin else data


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        if self._prefetch <= 0:  # no batch would ever be asked for: refuse, as PyTorch
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context or multiprocessing
        self._ctx = ctx
        self._done_event = ctx.Event()
        self._result_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        self._shutdown = False  # set before any start, so a failed start still cleans up
        for i in range(self._num_workers):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=worker_loop, args=(
                self._kind, self._dataset, iq, self._result_queue, self._done_event, self._auto,
                self._collate_fn, self._drop_last, self._base_seed, loader.worker_init_fn, i,
                self._num_workers), daemon=True)
            try:
                w.start()
            except (TypeError, AttributeError, pickle.PicklingError):
                warnings.warn(_PICKLE_HINT, stacklevel=2)
                raise
            self._index_queues.append(iq)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        if not first_iter:
            super()._reset(loader)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:  # persistent workers start a new epoch
            for q in self._index_queues:
                q.put(ResumeIteration())
            pending = self._num_workers
            while pending:
                data = self._get_data()
                if isinstance(data[0], ResumeIteration):
                    pending -= 1
                elif data[2]:  # a batch of the last epoch nobody took: free its segment
                    _discard_segment(data[2])
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch * self._num_workers:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._worker_cycle)
            if self._workers_status[worker]:
                break
        else:
            return
        self._index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _check_workers(self) -> None:
        dead = [(i, w) for i, w in enumerate(self._workers)
                if self._workers_status[i] and not w.is_alive()]
        if dead:
            for _, w in dead:
                release_segments_of(w.pid)
            self._shutdown_workers(prompt=True)
            raise RuntimeError(_death_message(dead[0][1].pid, dead[0][1].exitcode))

    def _get_data(self) -> tuple:
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    self._shutdown_workers(prompt=True)
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds") from None

    def __next__(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is None:
                    break
                worker = info[0]
                if len(info) == 2 or self._workers_status[worker]:
                    break
                del self._task_info[self._rcvd_idx]  # that worker's stream has ended
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            idx, structure, name, size = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(structure, IterableStop):
                if self._persistent:
                    self._workers_status[structure.worker_id] = False
                else:
                    self._mark_worker_done(structure.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += ((structure, name, size),)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process((structure, name, size))

    def _mark_worker_done(self, worker_id: int) -> None:
        self._workers_status[worker_id] = False

    def _process(self, payload: tuple) -> Any:
        structure, name, size = payload
        self._try_put_index()
        if isinstance(structure, ExceptionWrapper):
            # the workers live on, as PyTorch's: the caller may catch this and go on with
            # the next batch (the iterator ends, or is collected, as usual)
            structure.reraise()
        data = unpack(structure, name, size)
        self._count_yield(stacklevel=4)
        return pin_memory(data) if self._pin else data

    def _shutdown_workers(self, prompt: bool = False) -> None:
        """Stop the workers; ``prompt`` (on an error) terminates busy ones at once instead of
        letting them finish the batch in hand."""
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except Exception:
                pass
        for w in self._workers:
            w.join(timeout=0.1 if prompt else 2)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1)
        # results sent but not taken are not read back (a worker stopped mid-write leaves a
        # partial message that would block the read for ever): their segments carry the
        # worker's pid, and every segment a stopped worker still owns is garbage
        for w in self._workers:
            if w.pid is not None:
                release_segments_of(w.pid)
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:
            pass
