"""``ember.mps``: PyTorch's ``torch.mps`` as a build without Apple's Metal answers it.

``is_available()`` is False and ``device_count()`` 0; the seed setter is a no-op and the rest
raise PyTorch's ``RuntimeError`` ("Cannot execute ... without MPS backend.").
"""

from __future__ import annotations

from typing import Any

from ._absent_device import device_count, is_available, manual_seed  # noqa: F401

__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "seed",
           "get_rng_state", "set_rng_state", "empty_cache", "set_per_process_memory_fraction",
           "current_allocated_memory", "driver_allocated_memory", "recommended_max_memory",
           "Event"]


def _unavailable(what: str) -> RuntimeError:
    return RuntimeError(f"Cannot execute {what}() without MPS backend.")


def seed() -> None:
    raise _unavailable("getDefaultGenerator")


def synchronize() -> None:
    raise _unavailable("deviceSynchronize")


def get_rng_state(device: Any = "mps") -> Any:
    raise _unavailable("getDefaultGenerator")


def set_rng_state(new_state: Any, device: Any = "mps") -> None:
    raise _unavailable("getDefaultGenerator")


def empty_cache() -> None:
    raise _unavailable("emptyCache")


def set_per_process_memory_fraction(fraction: float) -> None:
    raise _unavailable("setMemoryFraction")


def current_allocated_memory() -> int:
    raise _unavailable("getCurrentAllocatedMemory")


def driver_allocated_memory() -> int:
    raise _unavailable("getDriverAllocatedMemory")


def recommended_max_memory() -> int:
    raise _unavailable("getRecommendedMaxMemory")


class Event:
    """An MPS event; there is none to acquire without the backend."""

    def __init__(self, enable_timing: bool = False) -> None:
        raise _unavailable("acquireEvent")
