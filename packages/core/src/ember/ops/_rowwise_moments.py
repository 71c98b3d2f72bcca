"""Row means and variances of float32 data in the order of PyTorch's CPU ``RowwiseMoments``
(its layer norm and group norm statistics), so that their outputs match PyTorch's to the bit.

PyTorch splits a row of N elements into vectors of ``_LANES`` floats; each lane runs Welford's
update over chunks of ``_CHUNK`` vectors, the chunk results merge through a binary-counter
stack (a cascade, like a pairwise sum), the lanes then merge one by one into the Welford
update of the row's last ``N % _LANES`` elements. Its build contracts some of the products
and sums into fused multiply-adds; which ones was read off PyTorch's results on an Intel
processor (Sapphire Rapids), where this order is followed (``mkl_fuses()``); elsewhere
callers keep NumPy's two-pass statistics. The float32 FMA is emulated in float64 (exact
product, one rounding but in rare double-rounding ties).

Each step is an array operation over all rows (and chunks, and lanes); the Python loops run
over the ``_CHUNK`` steps of a chunk, the levels of the cascade (a level's pairs merged at
once) and the lanes and tail elements of a row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._torch_cpu import mkl_fuses

__all__ = ["rowwise_moments", "followed"]

_LANES = 8  # floats in one of the vectors RowwiseMoments runs on (as its results show)
_CHUNK = 16  # vectors a lane reduces by Welford's update before they cascade
_f32 = np.float32
_f64 = np.float64


def _fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once to float32."""
    t = np.multiply(a, b, dtype=_f64)
    t += c
    return t.astype(_f32)


# inputs from this many elements keep NumPy's two-pass statistics: the ordered ones cost ~1 ms
# a call in array operations and ~6x the two-pass time per element (a (32, 512, 768) layer
# norm: 350 against 60 ms), too much for a transformer's every layer (as batch norm's
# exact path, ``normalization._EXACT_MAX``)
_EXACT_MAX = 32768


def followed(x: Any, n: int) -> bool:
    """Whether the rows of length ``n`` of the float32 NumPy array ``x`` take PyTorch's order:
    inputs of fewer than ``_EXACT_MAX`` elements, where PyTorch's build fuses (``mkl_fuses``)."""
    return x.__class__ is np.ndarray and x.dtype == _f32 and n > 0 and x.size < _EXACT_MAX \
        and mkl_fuses()


def _chunk_moments(v: Any) -> tuple:
    """Welford's update along axis 2 of ``v`` (rows, chunks, steps, lanes): (m1, m2)."""
    m1 = np.zeros(v.shape[:2] + v.shape[3:], _f32)
    m2 = np.zeros_like(m1)
    for j in range(v.shape[2]):
        x = v[:, :, j]
        d = x - m1
        m1 = _fma(d, _f32(1) / _f32(j + 1), m1)
        m2 = _fma(d, x - m1, m2)
    return m1, m2


def _merge(a: tuple, b: tuple) -> tuple:
    """Moments ``b`` merged into ``a``, each ``(m0, m1, m2)``: counts (ints, or arrays over the
    items on axis 1) and arrays (rows, items, lanes); PyTorch's ``AddMomentsVec``."""
    m0, m1, m2 = a
    m0_add, m1_add, m2_add = b
    n = m0 + m0_add
    c = (np.asarray(m0_add, _f32) / np.maximum(np.asarray(n, _f32), 1)).reshape(1, -1, 1)
    d = m1_add - m1
    return n, m1 + c * d, _fma(d, d * c * np.asarray(m0, _f32).reshape(1, -1, 1), m2 + m2_add)


def _cascade(m0: Any, m1: Any, m2: Any) -> tuple:
    """The chunks' moments (counts ``m0``, arrays (rows, chunks, lanes)) merged as PyTorch's
    binary-counter stack merges them, a level of pairs at a time: ``(m0, m1, m2)`` of one item."""
    depth = (m0.size - 1).bit_length()
    left = []  # what each level leaves on the stack: its unpaired last item, or None
    items = (m0, m1, m2)
    for _ in range(max(depth - 1, 0)):
        k = items[0].size
        left.append(tuple(t[..., k - 1:k, :] if t.ndim > 1 else t[k - 1:] for t in items)
                    if k % 2 else None)
        items = _merge(tuple(t[..., 0:k - 1:2, :] if t.ndim > 1 else t[0:k - 1:2] for t in items),
                       tuple(t[..., 1:k:2, :] if t.ndim > 1 else t[1:k:2] for t in items))
    if items[0].size == 2:  # the top level: at most two items, merged
        items = _merge(tuple(t[..., :1, :] if t.ndim > 1 else t[:1] for t in items),
                       tuple(t[..., 1:, :] if t.ndim > 1 else t[1:] for t in items))
    left.append(items if items[0].size else None)
    acc = left[0]
    for item in left[1:]:  # the levels merged into the lowest, in order
        if item is not None:
            acc = item if acc is None else _merge(acc, item)
    return acc


def rowwise_moments(x: Any) -> tuple:
    """``(mean, var)`` (biased, float32, shape ``(rows,)``) of the rows of a C-contiguous float32
    ``(rows, n)`` array, in PyTorch's order (check ``followed`` first)."""
    rows, n_all = x.shape
    nv = n_all // _LANES
    with np.errstate(all="ignore"):
        if nv:
            body = x[:, :nv * _LANES].reshape(rows, nv, _LANES)
            full = nv // _CHUNK
            parts = []
            if full:
                parts.append(_chunk_moments(
                    body[:, :full * _CHUNK].reshape(rows, full, _CHUNK, _LANES)))
            if nv % _CHUNK:
                parts.append(_chunk_moments(body[:, full * _CHUNK:, None]
                                            .transpose(0, 2, 1, 3)))
            cm1 = np.concatenate([p[0] for p in parts], axis=1)
            cm2 = np.concatenate([p[1] for p in parts], axis=1)
            counts = np.full(cm1.shape[1], _CHUNK, np.int64)
            counts[-1] = nv - (counts.size - 1) * _CHUNK
            _, lane1, lane2 = _cascade(counts, cm1, cm2)
            lane1, lane2 = lane1[:, 0], lane2[:, 0]
        m0 = 0
        m1 = np.zeros(rows, _f32)
        m2 = np.zeros(rows, _f32)
        for i in range(nv * _LANES, n_all):  # the tail, one element at a time
            v = x[:, i]
            d = v - m1
            m0 += 1
            m1 = m1 + d / _f32(m0)
            m2 = m2 + d * (v - m1)
        if nv:
            c_n = _f32(nv)
            for i in range(_LANES):
                n = m0 + nv
                c = c_n / _f32(n)
                d = lane1[:, i] - m1
                m1 = _fma(d, c, m1)
                m2 = m2 + _fma(d * d * c, _f32(m0), lane2[:, i])
                m0 = n
        return m1, m2 / _f32(n_all)
