"""``ember.multiprocessing``: Python's multiprocessing with PyTorch's additions.

Everything of the standard ``multiprocessing`` module is here, plus ``spawn`` /
``start_processes`` (run ``fn(i, *args)`` in ``nprocs`` processes and re-raise a child's
error with its traceback) and the sharing-strategy functions. Tensors sent between
processes are pickled (copied); NumPy arrays have no shared-storage handles to pass.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F403

from .spawn import (
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = list(multiprocessing.__all__) + [
    "spawn", "start_processes", "ProcessContext", "SpawnContext", "ProcessRaisedException",
    "ProcessExitedException", "get_sharing_strategy", "set_sharing_strategy",
    "get_all_sharing_strategies"]

_STRATEGIES = ("file_descriptor", "file_system")
_sharing = ["file_descriptor"]


def get_all_sharing_strategies() -> set[str]:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _sharing[0]


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepted for compatibility: Ember pickles tensors, whatever the strategy."""
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _sharing[0] = new_strategy
