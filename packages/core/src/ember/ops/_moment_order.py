"""Variances computed in the order PyTorch's CPU kernels compute them, so that ``var``/``std``
(and ``var_mean``/``std_mean``) of float64 data give PyTorch's numbers to the last bit.

PyTorch's CPU ``var``/``std`` with a single output element take two passes: the mean
(``self.mean()``, in the input dtype), then the squared deviations added one by one in double
(one chunk a thread past the grain size, the chunk sums then added in order). Every other
reduction, and ``var_mean``/``std_mean`` always, runs Welford's update in double over each
output's elements in memory order. Both are followed for float64 data only (rounded to
float32, NumPy's two-pass result in double is the same number), and only while short: the
sum one by one up to ``_TWO_PASS_MAX`` elements, the Welford loop (a step per reduced
element, vectorised over the outputs) up to ``_WELFORD_MAX``; past them NumPy's two-pass
result, correct to rounding, costs far less.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._runtime import _threads
from ._torch_cpu import GRAIN_SIZE as _GRAIN

__all__ = ["two_pass_sum", "welford"]

_TWO_PASS_MAX = 1 << 16  # longest sum of squares added one by one (NumPy's ``accumulate``
# takes ~10 ns an element: past it NumPy's pairwise sum, correct to rounding)
_WELFORD_MAX = 128  # longest reduction run through the stepwise Welford update (a Python
# step per element: past it NumPy's two-pass result, correct to rounding, costs far less)


def _followed(x: Any) -> bool:
    return (x.__class__ is np.ndarray and x.dtype == np.float64 and x.flags.c_contiguous
            and x.size > 0)


def two_pass_sum(x: Any, mean: Callable[[], Any]) -> Any:
    """PyTorch's all-reduce ``sum((x - mean())**2)`` in double, ``mean()`` giving ``x.mean()`` in
    x's dtype; None where it is not followed."""
    if not _followed(x) or x.size > _TWO_PASS_MAX:
        return None  # (float32 data: a NumPy sum in double rounds to the same float32)
    dx = x.reshape(-1).astype(np.float64) - np.float64(mean())
    sq = dx * dx
    n, threads = sq.size, _threads[0]
    if n <= _GRAIN or threads == 1:
        return np.add.accumulate(sq)[-1]
    parts = min(threads, -(-n // _GRAIN))
    chunk = -(-n // parts)
    total = np.float64(0.0)
    for i in range(parts):
        total = total + np.add.accumulate(sq[i * chunk:(i + 1) * chunk])[-1]
    return total


def welford(x: Any, dims: tuple, keepdim: bool) -> tuple | None:
    """``(m2, mean)`` in double over ``dims`` by PyTorch's Welford update, the kept dims in
    their places (``keepdim``); None where it is not followed."""
    if not _followed(x) or not dims:
        return None  # (float32 data: the NumPy two-pass result in double rounds the same)
    kept = tuple(d for d in range(x.ndim) if d not in dims)
    m = 1
    for d in dims:
        m *= x.shape[d]
    if m > _WELFORD_MAX or (m > _GRAIN and len(kept) == 0):
        return None
    rows = np.transpose(x, kept + tuple(dims)).reshape(-1, m).astype(np.float64)
    mean = np.zeros(rows.shape[0])
    m2 = np.zeros(rows.shape[0])
    with np.errstate(all="ignore"):
        for i in range(m):
            v = rows[:, i]
            delta = v - mean
            mean = mean + delta / np.float64(i + 1)
            m2 = m2 + delta * (v - mean)
    out = tuple(1 if d in dims else s for d, s in enumerate(x.shape)) if keepdim else \
        tuple(x.shape[d] for d in kept)
    return m2.reshape(out), mean.reshape(out)
