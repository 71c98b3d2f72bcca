"""``ember.xpu``: PyTorch's ``torch.xpu`` as a build without Intel GPU support answers it.

Ember has no XPU backend, so ``is_available()`` is False and ``device_count()`` 0; the seed
and memory queries are silent no-ops (as PyTorch's are without a device), and anything that
needs a device raises PyTorch's ``AssertionError``, so device-generic code runs unchanged.
"""

from __future__ import annotations

from typing import Any

from ._absent_device import (  # noqa: F401
    device_count,
    get_rng_state_all,
    is_available,
    is_initialized,
    manual_seed,
    manual_seed_all,
    seed,
    seed_all,
)

__all__ = ["is_available", "device_count", "is_initialized", "init", "current_device",
           "set_device", "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "initial_seed", "get_rng_state", "get_rng_state_all", "set_rng_state",
           "set_rng_state_all", "empty_cache", "memory_allocated", "memory_reserved",
           "max_memory_allocated", "max_memory_reserved", "memory_stats", "mem_get_info",
           "get_device_name", "get_device_properties", "get_device_capability",
           "is_bf16_supported", "is_tf32_supported", "get_arch_list", "current_stream",
           "device", "device_of", "Stream", "Event"]

_MSG = "Torch not compiled with XPU enabled"


def _lazy_init() -> None:
    raise AssertionError(_MSG)


def init() -> None:
    _lazy_init()


def current_device() -> int:
    _lazy_init()


def set_device(device: Any) -> None:
    _lazy_init()


def synchronize(device: Any = None) -> None:
    _lazy_init()


def initial_seed() -> int:
    _lazy_init()


def get_rng_state(device: Any = "xpu") -> Any:
    _lazy_init()


def set_rng_state(new_state: Any, device: Any = "xpu") -> None:
    """A no-op without a device, as in PyTorch (the call is deferred until one appears)."""


def set_rng_state_all(new_states: Any) -> None:
    pass


def empty_cache() -> None:
    pass


def memory_allocated(device: Any = None) -> int:
    return 0


def memory_reserved(device: Any = None) -> int:
    return 0


def max_memory_allocated(device: Any = None) -> int:
    return 0


def max_memory_reserved(device: Any = None) -> int:
    return 0


def memory_stats(device: Any = None) -> dict:
    from collections import OrderedDict

    return OrderedDict()


def mem_get_info(device: Any = None) -> tuple[int, int]:
    _lazy_init()


def get_device_name(device: Any = None) -> str:
    _lazy_init()


def get_device_properties(device: Any = None) -> Any:
    _lazy_init()


def get_device_capability(device: Any = None) -> dict:
    _lazy_init()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def is_tf32_supported() -> bool:
    return False


def get_arch_list() -> list[str]:
    return []


def current_stream(device: Any = None) -> Any:
    _lazy_init()


class device:
    """Context manager selecting an XPU; entering it fails without XPU support."""

    def __init__(self, device: Any) -> None:
        self.idx = device

    def __enter__(self) -> None:
        raise NotImplementedError("PyTorch was compiled without XPU support")

    def __exit__(self, *exc: Any) -> None:
        return None


class device_of(device):
    """The XPU of a tensor as a context; a CPU tensor selects none."""

    def __init__(self, obj: Any) -> None:
        super().__init__(-1)
        self.obj = obj

    def __enter__(self) -> None:
        return None


class Stream:
    """Placeholder: there are no XPU streams without a device."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Tried to instantiate dummy base class Stream")


class Event:
    """Placeholder: there are no XPU events without a device."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Tried to instantiate dummy base class Event")
