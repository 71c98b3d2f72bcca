"""``ember.quasirandom``: torch.quasirandom's SobolEngine, low-discrepancy Sobol sequences
up to 21201 dimensions, point for point the same as PyTorch's.

The direction numbers come from Joe and Kuo's D(6) table (new-joe-kuo-6.21201), shipped
compactly in ``_sobol_directions.npz``: each dimension's primitive polynomial and its few
initial odd numbers; the 30 direction numbers per dimension follow from the recurrence.
Scrambling (Owen's linear matrix scrambling plus a digital shift) draws its random bits
with ``ember.randint`` in PyTorch's order, so a seeded engine matches PyTorch's too.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SobolEngine"]

_MAXBIT = 30


@functools.cache
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per dimension: the polynomial code, its degree, and the offset of its initial
    numbers in the flat array of them, and that array."""
    with np.load(Path(__file__).with_name("_sobol_directions.npz")) as f:
        poly = np.cumsum(f["poly_diff"].astype(np.int64))
        planes = f["m_planes"].astype(np.int64)
    m = 2 * (planes[0] | (planes[1] << 8) | (planes[2] << 16)) + 1
    deg = np.maximum(np.frexp(poly.astype(np.float64))[1] - 1, 1)
    offsets = np.concatenate(([0], np.cumsum(deg)[:-1]))
    return poly, deg, offsets, m


def _direction_numbers(dimension: int) -> np.ndarray:
    """The (dimension, 30) int64 state: direction number k of each dimension, scaled by
    ``2**(29 - k)``."""
    poly, deg, offsets, init = _table()
    poly, deg, offsets = poly[:dimension], deg[:dimension], offsets[:dimension]
    m = np.zeros((dimension, _MAXBIT), dtype=np.int64)
    rows = np.repeat(np.arange(dimension), deg)
    cols = np.arange(int(deg.sum())) - np.repeat(offsets, deg)
    m[rows, cols] = init[:int(deg.sum())]
    m[0] = 1  # the first dimension is the van der Corput sequence
    idx = np.arange(dimension)
    for k in range(1, _MAXBIT):
        active = (k >= deg) & (idx > 0)
        if not active.any():
            continue
        new = m[idx, np.maximum(k - deg, 0)]
        for i in range(1, int(deg[active].max()) + 1):
            take = active & (i <= deg) & (((poly >> np.maximum(deg - i, 0)) & 1) == 1)
            if k - i >= 0:
                new = np.where(take, new ^ (m[:, k - i] << i), new)
        m[:, k] = np.where(active, new, m[:, k])
    return m << (_MAXBIT - 1 - np.arange(_MAXBIT))


def _scramble(state: np.ndarray, ltm: np.ndarray) -> np.ndarray:
    """Owen's linear matrix scrambling of the direction numbers: each number's bits (top
    bit first) times its dimension's lower-triangular bit matrix (unit diagonal), mod 2."""
    ltm = ltm.copy()
    ltm[:, np.arange(_MAXBIT), np.arange(_MAXBIT)] = 1
    top_first = (_MAXBIT - 1 - np.arange(_MAXBIT))
    weights = np.int64(1) << top_first
    out = np.empty_like(state)
    for s in range(0, state.shape[0], 1024):  # bounded memory for many dimensions
        bits = ((state[s:s + 1024, :, None] >> top_first) & 1).astype(np.float32)
        prod = np.einsum("dpk,djk->djp", ltm[s:s + 1024].astype(np.float32), bits)
        out[s:s + 1024] = (prod.astype(np.int64) & 1) @ weights
    return out


class SobolEngine:
    """A (scrambled) Sobol sequence generator: ``draw(n)`` gives the next ``n`` points of
    the ``dimension``-dimensional sequence as an ``(n, dimension)`` tensor in [0, 1)."""

    MAXBIT = _MAXBIT
    MAXDIM = 21201

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None) -> None:
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError("Supported range of dimensionality for SobolEngine is "
                             f"[1, {self.MAXDIM}]")
        from . import ops

        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        state = _direction_numbers(dimension)
        if scramble:
            from .random import Generator

            g = None
            if seed is not None:
                g = Generator()
                g.manual_seed(seed)
            shift_bits = ops.randint(2, (dimension, self.MAXBIT), generator=g).numpy()
            shift = shift_bits @ (np.int64(1) << np.arange(self.MAXBIT))
            ltm = np.tril(ops.randint(2, (dimension, self.MAXBIT, self.MAXBIT),
                                      generator=g).numpy())
            state = _scramble(state, ltm)
        else:
            shift = np.zeros(dimension, dtype=np.int64)
        self.sobolstate = ops.tensor(state)
        self.shift = ops.tensor(shift)
        self.quasi = self.shift.clone()
        self._first_point = (self.quasi / 2 ** self.MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def _points(self, start: int, n: int) -> np.ndarray:
        """The integer states of points ``start .. start + n - 1``: the shift XOR the
        direction numbers picked by the bits of each index's Gray code."""
        v = self.sobolstate.numpy()
        t = np.arange(start, start + n, dtype=np.int64)
        gray = t ^ (t >> 1)
        acc = np.tile(self.shift.numpy(), (n, 1))
        for k in range(int(gray.max()).bit_length() if n else 0):
            pick = ((gray >> k) & 1).astype(bool)
            acc[pick] ^= v[:, k]
        return acc

    def draw(self, n: int = 1, out: Any = None, dtype: Any = None) -> Any:
        """The next ``n`` points, shape ``(n, dimension)``, in ``dtype`` (default: the
        default float dtype)."""
        from . import dtypes as _dt
        from . import ops

        dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
        if dt.name not in ("float32", "float64"):
            raise NotImplementedError(
                f"\"_sobol_engine_draw\" not implemented for '{_SCALAR_NAMES.get(dt.name, dt.name)}'")
        first = self.num_generated == 0
        count = n - 1 if first else n
        if count < 0:
            raise ValueError(f"n must be non-negative, but got {count}")
        ints = self._points(self.num_generated + (1 if first else 0), count)
        result = ops.tensor(ints.astype(dt.np) * dt.np.type(2.0 ** -self.MAXBIT), dtype=dt)
        if count:
            self.quasi = ops.tensor(ints[-1])
        if first:
            result = ops.cat((self._first_point.to(dt), result), dim=-2)
        self.num_generated += n
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m: int, out: Any = None, dtype: Any = None) -> Any:
        """The next ``2**m`` points; the total drawn must stay a power of 2 (the balance
        property of Sobol points)."""
        n = 2 ** m
        total_n = self.num_generated + n
        if total_n & (total_n - 1) != 0:
            raise ValueError(
                "The balance properties of Sobol' points require n to be a power of 2. "
                f"{self.num_generated} points have been previously generated, then: "
                f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, "
                "please use 'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self) -> SobolEngine:
        """Back to the first point."""
        self.quasi = self.shift.clone()
        self.num_generated = 0
        return self

    def fast_forward(self, n: int) -> SobolEngine:
        """Skip ``n`` points, as if drawn and discarded."""
        if n == 0:
            return self
        from . import ops

        last = self.num_generated + n - 1
        self.quasi = ops.tensor(self._points(last, 1)[0])
        self.num_generated += n
        return self

    def __repr__(self) -> str:
        parts = [f"dimension={self.dimension}"]
        if self.scramble:
            parts.append("scramble=True")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return f"{type(self).__name__}({', '.join(parts)})"


_SCALAR_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                 "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
