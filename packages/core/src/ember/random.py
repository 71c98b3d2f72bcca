"""Random generators: ``Generator``, ``manual_seed``, ``fork_rng`` and the default generators.

The CPU generator is PyTorch's: an mt19937 seeded with the low 32 bits of the seed,
32-bit draws straight from it and 64-bit draws made of two 32-bit ones (the first
one high), plus the cached second value of the scalar Box-Muller transform. Its
state serialises to PyTorch's 5056-byte layout, so ``get_rng_state`` and
``set_rng_state`` exchange states with PyTorch. The samplers that turn the stream
into values live in ``ops/sampling.py`` and ``ops/_random_kernels.py``.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "fork_rng", "default_generator", "default_generator_for"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed
_N = 624  # mt19937 state words
_STATE_BYTES = 5056  # sizeof PyTorch's CPUGeneratorImplState
_U64 = np.uint64
_SHIFT32 = np.uint64(32)


def _unpack_seed(seed: Any) -> int:
    """A seed as PyTorch reads it: an unsigned 64-bit int, or a signed one reinterpreted."""
    if type(seed) is not int:
        seed = _strict_seed(seed)
    if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFF_FFFF_FFFF_FFFF


def _strict_seed(seed: Any) -> int:
    """``Generator.manual_seed``'s argument check: a Python int (not a bool); PyTorch's
    error types for the rest (``torch.manual_seed`` itself converts with ``int()`` first)."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        return int(seed)
    if isinstance(seed, np.integer):
        raise TypeError("an integer is required")
    cls = type(seed)
    name = cls.__name__ if cls.__module__ in ("builtins", "ember") or cls.__name__ == "Tensor" \
        else f"{cls.__module__.split('.')[0]}.{cls.__name__}"
    raise RuntimeError(f"manual_seed expected a long, but got {name}")


class Generator:
    """A pseudo-random number generator (PyTorch's ``torch.Generator``).

    Samplers take it through ``generator=``; they hold ``lock`` while they draw, so one
    generator can be shared by several threads.
    """

    def __init__(self, device: Any = "cpu") -> None:
        from .backends.registry import canonical_device

        dev = canonical_device(device)
        if dev.type == "meta":  # PyTorch has no generator for the meta device
            raise RuntimeError("META device type not an accelerator.")
        self._setup(dev)

    def _setup(self, dev: Any) -> None:
        self.device = dev
        self.lock = threading.RLock()
        self.manual_seed(_DEFAULT_SEED)

    # ------------------------------------------------------------------ seeding
    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator; returns it."""
        seed = _unpack_seed(seed)
        with self.lock:
            self._seed = seed
            self._mt_obj = None  # made on first draw: numpy.random is costly to import
            self._fresh = True  # PyTorch reports next=0 until the first draw
            self._next_double: float | None = None  # cached second Box-Muller value
            self._next_float: float | None = None
        return self

    @property
    def _mt(self) -> Any:
        """The mt19937 bit generator, seeded as PyTorch seeds it (``init_genrand``)."""
        mt = self._mt_obj
        if mt is None:
            mt = np.random.MT19937(0)
            mt._legacy_seeding(self._seed & 0xFFFFFFFF)
            self._mt_obj = mt
        return mt

    @_mt.setter
    def _mt(self, value: Any) -> None:
        self._mt_obj = value

    def seed(self) -> int:
        """Seed from a non-deterministic source; returns the seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def get_offset(self) -> int:
        """Philox generators' offset: an mt19937 one has none (PyTorch's error)."""
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset: int) -> Generator:
        """Philox generators' offset: an mt19937 one has none (PyTorch's error)."""
        raise RuntimeError("CPU Generator does not use offset")

    # ------------------------------------------------------------------ state
    def get_state(self) -> Any:
        """The state as a uint8 tensor in PyTorch's CPU layout (5056 bytes)."""
        from ._tensor import make
        from .backends.registry import CPU

        with self.lock:
            st = self._mt.state["state"]
            pos = int(st["pos"])
            left = 1 if pos >= _N else _N + 1 - pos
            nxt = 0 if self._fresh else pos
            nd, nf = self._next_double, self._next_float
            head = struct.pack("<QiiQ", self._seed, left, 1, nxt)
            key = np.asarray(st["key"], dtype=np.uint64).tobytes()
        tail = struct.pack("<dddi4xf?3x", 0.0, 0.0 if nd is None else nd, 0.0,
                           0 if nd is None else 1, 0.0 if nf is None else nf, nf is not None)
        payload = np.frombuffer(head + key + tail, dtype=np.uint8).copy()
        return make(payload, CPU)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from ``get_state`` (Ember's or PyTorch's); returns the generator."""
        if not (hasattr(new_state, "_data") or hasattr(new_state, "numpy")  # (or PyTorch's)
                or isinstance(new_state, np.ndarray)):
            raise TypeError(f"expected a ember.ByteTensor, but got {type(new_state).__name__}")
        data = getattr(new_state, "_data", new_state)
        arr = np.asarray(data.get() if hasattr(data, "get") else data)
        if arr.dtype != np.uint8:
            raise TypeError("RNG state must be a ember.ByteTensor")
        if arr.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {arr.size}")
        raw = np.ascontiguousarray(arr).reshape(-1).tobytes()
        seed, left, _seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        key = np.frombuffer(raw, dtype=np.uint64, count=_N, offset=24).astype(np.uint32)
        _nx, ny, _nr, valid, nf, fvalid = struct.unpack_from("<dddi4xf?", raw, 24 + 8 * _N)
        if not 1 <= left <= _N:
            raise RuntimeError(f"The 'left' field of the RNG state is out of range: {left}")
        with self.lock:
            self._seed = seed
            self._mt = np.random.MT19937(0)
            self._mt.state = {"bit_generator": "MT19937",
                              "state": {"key": key, "pos": _N + 1 - left}}
            self._fresh = left == 1 and nxt == 0
            self._next_double = float(ny) if valid else None
            self._next_float = float(nf) if fvalid else None
        return self

    def clone_state(self) -> Generator:
        """A new generator in this one's state."""
        g = Generator(self.device)
        g.set_state(self.get_state())
        return g

    def graphsafe_get_state(self) -> Generator:
        """Graph-safe states are CUDA-graph generators' (PyTorch's CPU one refuses too)."""
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state: Generator) -> Generator:
        """Graph-safe states are CUDA-graph generators' (PyTorch's CPU one refuses too)."""
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def __reduce__(self) -> tuple:
        return (Generator, (str(self.device),), self.get_state()._data.tobytes())

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple):  # PyTorch's pickle: (seed, offset, state tensor)
            self.set_state(state[2])
            return
        self.set_state(np.frombuffer(state, dtype=np.uint8))

    def __repr__(self) -> str:  # PyTorch's class lives in torch._C
        return f"<ember._C.Generator object at {id(self):#x}>"

    def __format__(self, spec: str) -> str:
        from .dtypes import _format_as_str

        return _format_as_str(self, spec, "ember._C.Generator")

    # ------------------------------------------------------------------ raw draws
    # Callers hold ``lock`` around a whole sampling op, as PyTorch's kernels hold the mutex.
    def _raw32(self, n: int) -> np.ndarray:
        """The next ``n`` 32-bit outputs (as uint64)."""
        if _forbid_random[0]:  # inside vmap(..., randomness="error")
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either "
                "use the 'same' or 'different' randomness flags on vmap or perform the "
                "randomness operation out of vmap")
        if n <= 0:
            return np.zeros(0, dtype=_U64)
        self._fresh = False
        return self._mt.random_raw(n)

    def random_u32(self, n: int) -> np.ndarray:
        """The next ``n`` raw 32-bit outputs of the stream, as uint32 (takes the lock)."""
        with self.lock:
            return self._raw32(n).astype(np.uint32)

    def _raw64(self, n: int) -> np.ndarray:
        """The next ``n`` 64-bit draws: two 32-bit outputs each, the first one high."""
        r = self._raw32(2 * n)
        return (r[0::2] << _SHIFT32) | r[1::2]


default_generator = Generator("cpu")
# set by vmap(randomness="error") while it runs its function: random draws raise
_forbid_random = [False]
_device_generators: dict[Any, Generator] = {}
_gen_lock = threading.Lock()


def default_generator_for(device: Any) -> Generator:
    """The default generator of a device (``default_generator`` for the CPU)."""
    from .backends.registry import CPU, canonical_device

    dev = canonical_device(device)
    if dev is CPU or dev.type == "cpu":
        return default_generator
    g = _device_generators.get(dev)
    if g is None:
        with _gen_lock:
            g = _device_generators.get(dev)
            if g is None:  # the meta device's too: its samplers draw nothing from it
                g = Generator.__new__(Generator)
                g._setup(dev)
                _device_generators[dev] = g
    return g


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator; returns the CPU one."""
    seed = _unpack_seed(int(seed))  # PyTorch's torch.manual_seed converts with int() first
    default_generator.manual_seed(seed)
    for g in list(_device_generators.values()):
        g.manual_seed(seed)
    # backends already in use (a GPU's own generator) are seeded too; as in PyTorch this is
    # silent where no such device exists
    from .backends.registry import registry

    for backend in list(registry._chosen.values()):
        if backend.type != "cpu":
            for index in range(backend.device_count()):
                backend.seed(seed & 0xFFFFFFFF, index)
    return default_generator


def seed() -> int:
    """Seed every default generator non-deterministically; returns the seed."""
    s = default_generator.seed()
    for g in list(_device_generators.values()):
        g.manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed of the default CPU generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The default CPU generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore the default CPU generator's state."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Restore the default generators' states (CPU and devices) when the block exits."""
    if not enabled:
        yield
        return
    saved = [(g, g.get_state()) for g in [default_generator, *_device_generators.values()]]
    try:
        yield
    finally:
        for g, st in saved:
            g.set_state(st)
