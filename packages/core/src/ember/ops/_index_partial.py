"""What PyTorch's CPU ``index_put_`` leaves written when an index is out of range.

Its kernel walks the result positions of ``x[indices]`` in C order and checks each index as
it goes, so the positions before the first bad one are already written (or added) when the
IndexError comes: ``x[[0, 7]] = 0`` on a 2-row ``x`` zeroes row 0, then raises. Small writes
run on one thread (below PyTorch's grain size); larger ones are split between threads, whose
partial writes depend on the split, so nothing is written for them here.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._torch_cpu import GRAIN_SIZE as _GRAIN


def _array_dims(dst: Any, adv: tuple) -> list | None:
    """The dim of ``dst`` each integer-array item of ``adv`` indexes (None for items that are
    not arrays), or None when the key has a form not handled here (masks, bad ints)."""
    covered = sum(0 if (a is None or a is Ellipsis) else 1 for a in adv)
    dims, d = [], 0
    for a in adv:
        if a is Ellipsis:
            d += dst.ndim - covered
            dims.append(None)
        elif a is None:
            dims.append(None)
        elif isinstance(a, np.ndarray):
            if a.dtype.kind not in "iu" or d >= dst.ndim:
                return None
            dims.append(d)
            d += 1
        elif isinstance(a, slice):
            dims.append(None)
            d += 1
        else:
            try:
                i = operator.index(a)
            except TypeError:
                return None
            if not -dst.shape[d] <= i < dst.shape[d]:
                return None
            dims.append(None)
            d += 1
    return dims


def write_prefix(dst: Any, adv: tuple, v: Any, accumulate: bool) -> None:
    """Write (or add) ``v`` into ``dst[adv]`` at the result positions, in C order, before the
    first out-of-range index, as PyTorch's serial kernel does before it raises."""
    if not isinstance(dst, np.ndarray) or not isinstance(adv, tuple):
        return
    dims = _array_dims(dst, adv)
    if dims is None or not any(d is not None for d in dims):
        return
    # each array-indexed dim gets a sentinel slot at its end; bad indices point there
    ext = list(dst.shape)
    for d in dims:
        if d is not None:
            ext[d] += 1
    key = []
    for a, d in zip(adv, dims):
        if d is None:
            key.append(a)
            continue
        n = dst.shape[d]
        key.append(np.where((a < -n) | (a >= n), n, a % max(n, 1)))
    key = tuple(key)
    try:
        pos = np.arange(int(np.prod(ext)), dtype=np.int64).reshape(ext)[key]
        v = np.broadcast_to(np.asarray(v), pos.shape)
    except (IndexError, ValueError):
        return
    if pos.size >= _GRAIN:
        return
    coords = np.unravel_index(pos.reshape(-1), ext)
    bad = np.zeros(pos.size, dtype=bool)
    for d in dims:
        if d is not None:
            bad |= coords[d] == dst.shape[d]
    if not bad.any():
        return
    p = int(bad.argmax())
    where = tuple(c[:p] for c in coords)
    vals = v.reshape(-1)[:p]
    if accumulate:
        np.add.at(dst, where, vals.astype(dst.dtype, copy=False))
    else:
        dst[where] = vals


# ------------------------------------------------ the in-place scatter and index_* family
# Their CPU kernels, too, walk their iteration positions in C order and stop at the first
# bad index: scatter_ / scatter_add_ over the index's positions, index_copy_ / index_add_ /
# index_fill_ over ``self``'s shape with ``dim`` resized to the index's length, put_ over
# the flat index.

def _scatter_plan(x: Any, dim: int, index: Any, src: Any = None, value: Any = None,
                  reduce: Any = None) -> tuple | None:
    ix = np.asarray(index._data)
    if x.ndim == 0 or ix.ndim != x.ndim or reduce not in (None, "add", "multiply"):
        return None
    d = dim % x.ndim
    coords = np.indices(ix.shape).reshape(ix.ndim, -1)
    flat = ix.reshape(-1)
    bad = (flat < 0) | (flat >= x.shape[d])
    tgt = coords.copy()
    tgt[d] = np.where(bad, 0, flat)
    if src is not None and hasattr(src, "_data"):
        vals = np.asarray(src._data)[tuple(coords)]
    else:
        vals = np.asarray(value if src is None else src)
    return tgt, vals, bad, {None: "set", "add": "add", "multiply": "multiply"}[reduce]


def _index_plan(x: Any, dim: int, index: Any, source: Any, mode: str, alpha: Any = 1,
                lo_neg: bool = False, slices: bool = False) -> tuple | None:
    """``slices``: the kernel adds whole slices, one index entry after another (``dim``
    outermost), rather than walking ``self``'s positions in C order."""
    ix = np.asarray(index._data).reshape(-1)
    if x.ndim == 0:
        return None
    d, n = dim % x.ndim, x.shape[dim % x.ndim]
    it = list(x.shape)
    it[d] = ix.size
    coords = np.indices(it).reshape(x.ndim, -1)
    if slices:
        coords = coords[:, np.moveaxis(np.arange(coords.shape[1]).reshape(it), d, 0).reshape(-1)]
    picked = ix[coords[d]]
    bad = (picked < (-n if lo_neg else 0)) | (picked >= n)
    tgt = coords.copy()
    tgt[d] = np.where(bad, 0, picked % max(n, 1))
    if hasattr(source, "_data"):
        s = np.asarray(source._data)
        vals = s[tuple(coords)] if s.ndim == x.ndim else np.broadcast_to(s, ()).reshape(())
    else:
        vals = np.asarray(source)
    if mode == "add" and alpha != 1:
        vals = vals * alpha
    return tgt, vals, bad, mode


def _put_plan(x: Any, index: Any, source: Any, accumulate: bool = False) -> tuple | None:
    flat = np.asarray(index._data).reshape(-1)
    n = x.size
    bad = (flat < -n) | (flat >= n)
    tgt = np.array(np.unravel_index(np.where(bad, 0, flat % max(n, 1)), x.shape))
    vals = np.asarray(source._data).reshape(-1)[:flat.size]
    return tgt.reshape(x.ndim, -1), vals, bad, "add" if accumulate else "set"


def _index_add_scatters(x: Any, dim: int, index: Any, alpha: Any) -> bool:
    """Whether PyTorch's index_add_ takes its scatter-based path (as ``index_add`` decides),
    which walks positions in C order."""
    nd = x.ndim
    return nd > 1 and dim % nd in (0, nd - 1) and alpha == 1 and alpha.__class__ is not bool \
        and str(index._data.dtype) == "int64"


_PLANS = {
    "scatter_": _scatter_plan,
    "scatter_add_": lambda x, dim, index, src: _scatter_plan(x, dim, index, src, reduce="add"),
    "index_copy_": lambda x, dim, index, source: _index_plan(x, dim, index, source, "set"),
    "index_add_": lambda x, dim, index, source, alpha=1: _index_plan(
        x, dim, index, source, "add", alpha, slices=not _index_add_scatters(x, dim, index, alpha)),
    "index_fill_": lambda x, dim, index, value: _index_plan(x, dim, index, value, "set",
                                                            lo_neg=True),
    "put_": _put_plan,
}


def inplace_prefix(op: str, self: Any, args: tuple, kwargs: dict) -> None:
    """Write into ``self`` what PyTorch's in-place ``op`` writes before it raises on an
    out-of-range index (called on that error path only)."""
    x = self._data
    plan = _PLANS.get(op)
    if plan is None or not isinstance(x, np.ndarray) or not x.flags.writeable:
        return
    try:
        got = plan(x, *args, **kwargs)
    except Exception:  # noqa: BLE001 - an argument form not handled here: nothing written
        return
    if got is None:
        return
    tgt, vals, bad, mode = got
    if bad.size >= _GRAIN or not bad.any():
        return
    p = int(bad.argmax())
    where = tuple(t[:p] for t in tgt)
    vals = np.broadcast_to(vals, bad.shape)[:p] if vals.ndim else vals
    vals = np.asarray(vals).astype(x.dtype, copy=False)
    if mode == "set":
        x[where] = vals
    else:
        getattr(np, mode).at(x, where, vals)
    self._vc[0] += 1
