"""``ember.mtia``: PyTorch's ``torch.mtia`` as a build without Meta's MTIA answers it.

``is_available()`` is False and ``device_count()`` 0; seeding and the memory queries are
no-ops, the calls that need a device raise PyTorch's ``RuntimeError`` ("Cannot execute ...
without MTIA backend.") and those that initialise it PyTorch's ``AssertionError``.
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
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_stats",
           "reset_peak_memory_stats", "get_device_properties", "get_device_capability",
           "is_bf16_supported", "current_stream", "default_stream", "device"]

_NOT_COMPILED = ("Torch not compiled with MTIA enabled. Ensure you have `import "
                 "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and "
                 "include `//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")


def _unavailable(what: str) -> RuntimeError:
    return RuntimeError(f"Cannot execute {what}() without MTIA backend.")


def _lazy_init() -> None:
    raise AssertionError(_NOT_COMPILED)


def init() -> None:
    _lazy_init()


def current_device() -> int:
    raise _unavailable("getCurrentDevice")


def set_device(device: Any) -> None:
    raise _unavailable("setCurrentDevice")


def synchronize(device: Any = None) -> None:
    raise _unavailable("getCurrentDevice")


def initial_seed() -> int:
    _lazy_init()


def get_rng_state(device: Any = "mtia") -> Any:
    _lazy_init()


def set_rng_state(new_state: Any, device: Any = "mtia") -> None:
    raise _unavailable("getCurrentDevice")


def empty_cache() -> None:
    raise _unavailable("emptyCache")


def memory_allocated(device: Any = None) -> int:
    return 0


def max_memory_allocated(device: Any = None) -> int:
    return 0


def memory_stats(device: Any = None) -> dict:
    return {}


def reset_peak_memory_stats(device: Any = None) -> None:
    pass


def get_device_properties(device: Any = None) -> dict:
    raise _unavailable("getCurrentDevice")


def get_device_capability(device: Any = None) -> tuple[int, int]:
    raise _unavailable("getCurrentDevice")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """True, as PyTorch answers: every MTIA supports bfloat16 (there is none here to run it)."""
    return True


def current_stream(device: Any = None) -> Any:
    raise _unavailable("getCurrentDevice")


def default_stream(device: Any = None) -> Any:
    raise _unavailable("getCurrentDevice")


class device:
    """Context manager selecting an MTIA device; entering it fails without the backend."""

    def __init__(self, device: Any) -> None:
        self.idx = device

    def __enter__(self) -> None:
        raise _unavailable("maybeExchangeDevice")

    def __exit__(self, *exc: Any) -> None:
        return None
