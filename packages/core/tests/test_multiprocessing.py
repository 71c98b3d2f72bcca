"""ember.multiprocessing: the standard module plus PyTorch's spawn and its error reporting."""

from __future__ import annotations

import os

import pytest

import ember
import ember.multiprocessing as mp


def test_standard_names_and_sharing_strategy():
    assert mp.Queue is not None and mp.Process is not None and callable(mp.get_context)
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError):
        mp.set_sharing_strategy("nope")


def test_spawn_runs_every_rank_and_reraises_a_child_error():
    assert mp.spawn(divmod, args=(1,), nprocs=2) is None  # divmod(rank, 1) in each child
    with pytest.raises(mp.ProcessRaisedException, match="ZeroDivisionError") as info:
        mp.spawn(divmod, args=(0,), nprocs=2)
    assert info.value.error_index in (0, 1)


def _tensor_work(rank, queue):
    queue.put((rank, (ember.arange(3.0) * rank).tolist()))


def _exit_work(rank):
    os._exit(3 if rank == 1 else 0)


def test_fork_processes_send_tensors_and_report_exit_codes():
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    mp.start_processes(_tensor_work, args=(queue,), nprocs=3, start_method="fork")
    assert sorted(queue.get(timeout=10) for _ in range(3)) == [
        (0, [0.0, 0.0, 0.0]), (1, [0.0, 1.0, 2.0]), (2, [0.0, 2.0, 4.0])]
    with pytest.raises(mp.ProcessExitedException, match="exit code 3") as info:
        mp.start_processes(_exit_work, nprocs=2, start_method="fork")
    assert info.value.exit_code == 3 and info.value.error_index == 1
    context = mp.start_processes(_exit_work, nprocs=1, join=False, start_method="fork")
    assert len(context.pids()) == 1
    while not context.join():
        pass
