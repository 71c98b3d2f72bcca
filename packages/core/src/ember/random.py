"""Random generators: ``Generator``, ``manual_seed`` and the default CPU generator.

The CPU generator is an mt19937 seeded as PyTorch seeds it, so that seeded
programs can draw the same streams as PyTorch (see ops/sampling.py).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "fork_rng", "default_generator"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed


class Generator:
    """A random number generator for one device (PyTorch's ``torch.Generator``)."""

    def __init__(self, device: Any = "cpu") -> None:
        from .backends.registry import canonical_device

        self.device = canonical_device(device)
        self.lock = threading.Lock()
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError(f"Overflow when unpacking long long, seed {seed} out of range")
        seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._bitgen = np.random.MT19937(0)
        self._bitgen._legacy_seeding(seed & 0xFFFFFFFF)
        self._next_normal: float | None = None  # PyTorch caches the second Box-Muller draw
        self._next_float_normal: float | None = None
        return self

    def seed(self) -> int:
        s = int(time.time_ns()) & 0xFFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        from .ops.creation import tensor

        st = self._bitgen.state["state"]
        payload = np.concatenate([
            st["key"].astype(np.uint32).view(np.uint8),
            np.asarray([st["pos"]], dtype=np.int64).view(np.uint8),
            np.asarray([self._seed], dtype=np.uint64).view(np.uint8),
            np.asarray([np.nan if self._next_normal is None else self._next_normal],
                       dtype=np.float64).view(np.uint8),
            np.asarray([np.nan if self._next_float_normal is None else self._next_float_normal],
                       dtype=np.float64).view(np.uint8),
        ])
        return tensor(payload)

    def set_state(self, new_state: Any) -> Generator:
        arr = np.asarray(new_state._data if hasattr(new_state, "_data") else new_state,
                         dtype=np.uint8)
        if arr.size != 624 * 4 + 8 + 8 + 16:
            raise RuntimeError(f"Expected a generator state of {624 * 4 + 32} bytes, got "
                               f"{arr.size}")
        key = arr[:2496].view(np.uint32).copy()
        pos = int(arr[2496:2504].view(np.int64)[0])
        self._seed = int(arr[2504:2512].view(np.uint64)[0])
        nn_, nf = arr[2512:2520].view(np.float64)[0], arr[2520:2528].view(np.float64)[0]
        self._next_normal = None if np.isnan(nn_) else float(nn_)
        self._next_float_normal = None if np.isnan(nf) else float(nf)
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        return self

    def random_u32(self, n: int) -> np.ndarray:
        """The next ``n`` raw 32-bit outputs of the mt19937 stream."""
        return self._bitgen.random_raw(n).astype(np.uint32)

    def __reduce__(self):
        raise TypeError("cannot pickle 'Generator' object")


default_generator = Generator("cpu")


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator; returns the CPU one."""
    default_generator.manual_seed(seed)
    try:
        from . import cuda

        cuda.manual_seed_all(seed)
    except Exception:
        pass
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Restore the CPU generator's state on exit."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
