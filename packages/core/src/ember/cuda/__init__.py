"""``ember.cuda``: always importable; without a usable GPU it says so clearly.

As in PyTorch, ``is_available()`` is False and ``device_count()`` 0 without a GPU,
``manual_seed``/``manual_seed_all`` are silent no-ops, and anything that needs a
device raises a RuntimeError saying that no CUDA device is available.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "memory_allocated",
           "memory_reserved", "max_memory_allocated", "empty_cache", "get_device_name",
           "is_initialized", "device", "get_device_properties", "memory_stats", "Event",
           "Stream", "current_stream", "reset_peak_memory_stats", "is_bf16_supported",
           "get_device_capability", "amp"]

_current = 0


def _backend() -> Any:
    """The CUDA backend, or a clear error where there is none."""
    if not is_available():
        raise RuntimeError(
            "No CUDA device is available to Ember: CuPy is not installed or sees no GPU "
            "(install it with pip install 'ember-core[cuda]' on a machine with an NVIDIA GPU)")
    from ..backends.registry import registry

    return registry.get("cuda")


def is_available() -> bool:
    """Whether CuPy imports and a GPU is usable; never raises."""
    from ..backends.cupy._plugin import cupy_usable

    return cupy_usable()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 runs on the current GPU (compute capability 8.0 on, or emulated);
    False without a GPU."""
    if not is_available():
        return False
    return including_emulation or get_device_capability() >= (8, 0)


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """The GPU's compute capability ``(major, minor)``."""
    props = get_device_properties(device)
    return int(props["major"]), int(props["minor"])


def is_initialized() -> bool:
    return is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return _backend().device_count()


def current_device() -> int:
    _backend()
    return _current


def set_device(device: Any) -> None:
    global _current
    _backend()
    from .._device import device as _dev

    d = _dev(device) if not isinstance(device, int) else _dev("cuda", device)
    _current = d.index or 0


class device:
    """Context manager that makes a GPU current."""

    def __init__(self, device: Any) -> None:
        self.idx = device if isinstance(device, int) else (device.index or 0 if device else 0)

    def __enter__(self) -> None:
        global _current
        self.prev = _current
        _current = self.idx

    def __exit__(self, *exc: Any) -> None:
        global _current
        _current = self.prev


def synchronize(device: Any = None) -> None:
    _backend().synchronize(device if isinstance(device, int) else _current)


def manual_seed(seed: int) -> None:
    if is_available():
        _backend().seed(int(seed) & 0xFFFFFFFF, _current)


def manual_seed_all(seed: int) -> None:
    if is_available():
        be = _backend()
        for i in range(be.device_count()):
            be.seed(int(seed) & 0xFFFFFFFF, i)


def seed() -> None:
    import time

    manual_seed(time.time_ns())


def seed_all() -> None:
    import time

    manual_seed_all(time.time_ns())


def memory_stats(device: Any = None) -> dict:
    """The allocator's statistics; empty without a GPU (PyTorch's before CUDA initialises)."""
    if not is_available():
        import collections

        return collections.OrderedDict()
    return _backend().memory_stats(device)


def memory_allocated(device: Any = None) -> int:
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def memory_reserved(device: Any = None) -> int:
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_allocated(device: Any = None) -> int:
    return memory_allocated(device)


def reset_peak_memory_stats(device: Any = None) -> None:
    _backend()


def empty_cache() -> None:
    if is_available():
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()


def get_device_name(device: Any = None) -> str:
    _backend()
    import cupy

    idx = device if isinstance(device, int) else _current
    props = cupy.cuda.runtime.getDeviceProperties(idx)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_properties(device: Any = None) -> Any:
    _backend()
    import cupy

    idx = device if isinstance(device, int) else _current
    return cupy.cuda.runtime.getDeviceProperties(idx)


class Event:
    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False) -> None:
        _backend()
        import cupy

        self._ev = cupy.cuda.Event(disable_timing=not enable_timing)

    def record(self, stream: Any = None) -> None:
        self._ev.record()

    def synchronize(self) -> None:
        self._ev.synchronize()

    def elapsed_time(self, end: Event) -> float:
        import cupy

        return float(cupy.cuda.get_elapsed_time(self._ev, end._ev))


class Stream:
    def __init__(self, device: Any = None, priority: int = 0) -> None:
        _backend()


def current_stream(device: Any = None) -> Stream:
    return Stream(device)


from . import amp  # noqa: E402  (torch.cuda.amp: PyTorch's deprecated spelling)
from ._extras import *  # noqa: E402,F403  (more of torch.cuda: rng state, memory, NVML)
from ._extras import __all__ as _extras_all  # noqa: E402

__all__ += _extras_all


def __getattr__(name: str) -> Any:
    """``torch.cuda.FloatTensor`` and the other legacy CUDA tensor types (old code names them
    even on machines without a GPU)."""
    from ..ops.legacy_types import CUDA_TYPES

    if name in CUDA_TYPES:
        return CUDA_TYPES[name]
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
