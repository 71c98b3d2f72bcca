"""``ember.accelerator``: PyTorch's device-agnostic accelerator API over ``ember.cuda``.

PyTorch's tutorials pick their device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``;
Ember's only accelerator is CUDA (CuPy), so each function here asks ``ember.cuda``.
"""

from __future__ import annotations

from typing import Any

from . import cuda as _cuda
from ._device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "device_index", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "reset_peak_memory_stats"]


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU through CuPy) is usable; never raises."""
    return _cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device | None:
    """The accelerator's device type as a device without index, or None without one."""
    return _device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    """How many accelerator devices there are (0 without one)."""
    return _cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device; raises without one."""
    return _cuda.current_device()


def set_device_index(device: Any, /) -> None:
    """Make ``device`` (an index, a string or a device) the current accelerator device."""
    if device is None:
        return
    _cuda.set_device(device)


def synchronize(device: Any = None, /) -> None:
    """Wait for the work queued on the accelerator device."""
    if isinstance(device, (str, _device)):
        device = _device(device).index
    _cuda.synchronize(device)


class device_index:
    """Context manager that makes accelerator device ``device`` current (``None``: a no-op)."""

    def __init__(self, device: int | None, /) -> None:
        self._ctx = _cuda.device(device) if device is not None else None

    def __enter__(self) -> None:
        if self._ctx is not None:
            self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


current_device_idx = current_device_index
set_device_idx = set_device_index
empty_cache = _cuda.empty_cache
memory_allocated = _cuda.memory_allocated
max_memory_allocated = _cuda.max_memory_allocated
memory_reserved = _cuda.memory_reserved
reset_peak_memory_stats = _cuda.reset_peak_memory_stats
