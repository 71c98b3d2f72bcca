"""The 2-norm added in the order PyTorch's CPU kernel adds it, so that ``x.norm()``,
``linalg.vector_norm`` and the gradient norms of training logs give PyTorch's last bit.

Over a contiguous last dim PyTorch squares a vector (8 float32 or 4 float64 lanes) at a time
into one vector of running sums, adds its lanes one by one, then the squares of the elements
that fill no vector, and takes the square root. Each output row is computed whole on one
thread, so the thread count changes nothing. A permuted dense layout (channels-last, a
transpose) is walked in memory order: dims last there are followed too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._cascade_sum import _LANES, _ordered  # (the norm kernel's vectors are the sum's)

__all__ = ["two_norm"]


def two_norm(x: Any, dims: tuple, keepdims: bool) -> Any:
    """The 2-norm of real ``x`` over ``dims`` in PyTorch's order, or None where Ember
    does not follow it (another dtype or layout, or dims other than all or the last ones)."""
    if (x.__class__ is not np.ndarray or x.dtype.kind != "f" or x.itemsize < 4
            or x.size == 0 or not dims):
        return None
    nd = x.ndim
    dims = tuple(sorted(d % nd for d in dims))
    if not x.flags.c_contiguous:
        # a permuted dense layout (channels-last, a transpose): PyTorch walks it in memory
        # order, so dims that are last there are its rows
        order = sorted(range(nd), key=lambda d: -abs(x.strides[d]))
        xm = x.transpose(order)
        if not xm.flags.c_contiguous:
            return None
        r = two_norm(xm, tuple(order.index(d) for d in dims), True)
        if r is None:
            return None
        r = r.transpose(np.argsort(order))
        return r if keepdims else r.reshape(tuple(n for d, n in enumerate(r.shape)
                                                  if d not in dims))
    if dims[0] != nd - len(dims) or dims[-1] != nd - 1 or len(set(dims)) != len(dims):
        return None
    kept = x.shape[:nd - len(dims)]
    rows = x.reshape(-1, x.size // max(1, math.prod(kept)))
    out = np.sqrt(_sum_of_squares(rows))
    return out.reshape(kept + (1,) * len(dims) if keepdims else kept)


def _sum_of_squares(a: Any) -> Any:
    """Per row of ``a (rows, n)``: the vectors' squares added in order into one vector, its
    lanes added one by one, then the squares of the leftover elements."""
    r, n = a.shape
    lanes = _LANES[a.itemsize]
    nv = n // lanes
    total = np.zeros(r, a.dtype)
    if nv:
        body = a[:, :nv * lanes]
        acc = _ordered((body * body).reshape(r, nv, lanes))  # the vectors added in order
        for j in range(lanes):
            total = total + acc[:, j]
    for d in range(nv * lanes, n):
        total = total + a[:, d] * a[:, d]
    return total
