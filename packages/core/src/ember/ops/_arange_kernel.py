"""Bit-exact float ``arange`` values as PyTorch's CPU kernel computes them.

PyTorch fills the output in parallel chunks (at most one per thread, at least
32768 elements); inside a chunk it writes pairs of 32-byte vectors, each from a
base ``start + step * j0`` rounded to the output type plus ``k * step`` (fused),
and the tail one element at a time as ``start + step * i``. Both are computed in
the accumulate type: double for float32/float64, float for the 16-bit floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._torch_cpu import GRAIN_SIZE as _GRAIN

_VEC_BYTES = 32


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split of doubles into two 26-bit halves."""
    c = x * 134217729.0
    hi = c - (c - x)
    return hi, x - hi


def _fma(a: np.ndarray, b: float, c: Any) -> np.ndarray:
    """``a * b + c`` rounded once, as the fused multiply-add the compiled kernel uses:
    Dekker's exact product, Knuth's exact sum, then the two errors."""
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(np.float64(b))
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    hi = p + c
    bb = hi - p
    lo = (p - (hi - bb)) + (c - bb)
    corr = lo + err
    # inf: no error terms; a zero correction keeps hi's sign (fma(0, s, -0.0) is -0.0)
    return np.where(np.isfinite(hi) & (corr != 0), hi + corr, hi)


def _unfused(a: np.ndarray, b: float, c: Any) -> np.ndarray:
    """``a * b + c`` in double, for the 16-bit outputs (float accumulate): the double
    result rounded to float is the fused float result in all but rare ties."""
    return a * b + c


def float_arange(start: float, step: float, n: int, out_np: Any, threads: int) -> np.ndarray:
    """``n`` values of ``arange(start, ..., step)`` in the float numpy type ``out_np``."""
    out_np = np.dtype(out_np)
    acc = np.float32 if out_np.itemsize == 2 else np.float64
    s, st = float(acc(start)), float(acc(step))
    width = _VEC_BYTES // out_np.itemsize
    out = np.empty(n, out_np)
    parts = max(1, min(threads, -(-n // _GRAIN)))
    chunk = max(1, -(-n // parts))
    fused = _fma if out_np.itemsize >= 4 else _unfused
    with np.errstate(over="ignore", invalid="ignore"):
        for begin in range(0, n, chunk):  # one per thread
            end = min(begin + chunk, n)
            vec_end = begin + (end - begin) // (2 * width) * 2 * width
            if vec_end > begin:
                j0 = np.arange(begin, vec_end, width, dtype=np.float64)
                base = fused(j0, st, s).astype(acc).astype(out_np).astype(np.float64)
                k = np.arange(width, dtype=np.float64)
                vec = fused(k[None, :], st, base[:, None]).astype(acc)
                out[begin:vec_end] = vec.ravel()
            tail = np.arange(vec_end, end, dtype=np.float64)
            out[vec_end:end] = fused(tail, st, s).astype(acc)
    return out


def float_range(start: float, step: float, n: int, out_np: np.dtype) -> np.ndarray:
    """``n`` values of the deprecated ``range``: a plain loop of ``start + i * step``
    (not fused: that loop is built without FMA) in the accumulate type."""
    out_np = np.dtype(out_np)
    acc = np.float32 if out_np.itemsize == 2 else np.float64
    with np.errstate(over="ignore"):
        return (acc(start) + np.arange(n).astype(acc) * acc(step)).astype(out_np)
