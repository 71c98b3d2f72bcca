"""Advanced indexing from Array-API functions only: ``v[key]`` and ``dst[key] op= vals``.

The Array API indexes with integer arrays only when every index is one, and has neither
integer-array assignment nor NumPy's ``ufunc.at``. Reading moves the indexed dims to the
front and takes flat positions; writing sorts the flat target positions, combines the
values of equal targets with a log-depth segmented scan, and merges the per-target
results into ``dst`` with ``searchsorted``, ``take`` and ``where`` (whole-array steps).
Exact for ``assign``/``maximum``/``minimum``; sums are tree-ordered.
"""

from __future__ import annotations

import operator
from typing import Any

_COMBINE = {"add": "add", "multiply": "multiply", "maximum": "maximum", "minimum": "minimum"}


def _combiner(xp: Any, name: str) -> Any:
    if name == "assign":  # NumPy's assignment: the last value written to a position wins
        return lambda old, new: new
    if name not in _COMBINE:
        raise NotImplementedError(f"'{name}' at repeated indices is not available on this "
                                  "backend")
    return getattr(xp, _COMBINE[name])


def array_api_getitem(v: Any, key: Any) -> Any:
    """``v[key]`` with NumPy's advanced-indexing result for the key forms of ``_split_key``."""
    xp = v.__array_namespace__()
    p, arrays = _split_key(xp, key, v.ndim)
    k = len(arrays)
    arrays = list(xp.broadcast_arrays(*arrays)) if k > 1 else arrays
    bshape = tuple(arrays[0].shape)
    lead = tuple(v.shape[p:p + k])
    lin = _flat_positions(xp, arrays, lead)
    perm = tuple(range(p, p + k)) + tuple(range(p)) + tuple(range(p + k, v.ndim))
    rest = tuple(v.shape[:p]) + tuple(v.shape[p + k:])
    n = 1
    for s in lead:
        n *= s
    moved = xp.reshape(xp.permute_dims(v, perm), (n,) + rest)
    r = xp.reshape(xp.take(moved, xp.reshape(lin, (-1,)), axis=0), bshape + rest)
    nb = len(bshape)
    back = tuple(range(nb, nb + p)) + tuple(range(nb)) + tuple(range(nb + p, r.ndim))
    return xp.permute_dims(r, back)


def _flat_positions(xp: Any, arrays: list, lead: tuple) -> Any:
    """The C-order flat position of each target among the indexed dims (negatives wrap)."""
    lin = None
    for a, n in zip(arrays, lead):
        a = xp.where(a < 0, a + n, a)
        lin = a if lin is None else lin * n + a
    return lin


def array_api_at(name: str, dst: Any, key: Any, vals: Any) -> None:
    """``ufunc.at(dst, key, vals)`` for arrays of any Array-API namespace.

    ``key``: an index array (int or bool), or a tuple of full slices, adjacent index arrays
    and an optional trailing Ellipsis / full slices (the forms Ember's ops build).
    """
    xp = dst.__array_namespace__()
    combine = _combiner(xp, name)
    p, arrays = _split_key(xp, key, dst.ndim)
    k = len(arrays)
    arrays = list(xp.broadcast_arrays(*arrays)) if k > 1 else arrays
    bshape = tuple(arrays[0].shape)
    lead = tuple(dst.shape[p:p + k])  # the indexed dims, moved to the front
    rest = tuple(dst.shape[:p]) + tuple(dst.shape[p + k:])
    perm = tuple(range(p, p + k)) + tuple(range(p)) + tuple(range(p + k, dst.ndim))
    lin = _flat_positions(xp, arrays, lead)
    m = 1
    for s in bshape:
        m *= s
    rows = 1
    for s in rest:
        rows *= s
    if m == 0:
        return
    lin = xp.reshape(lin, (m,))
    # the values laid out like the indexing result: dst.shape[:p] + bshape + dst.shape[p+k:]
    out_shape = tuple(dst.shape[:p]) + bshape + tuple(dst.shape[p + k:])
    if hasattr(vals, "dtype"):
        vals = vals if vals.dtype == dst.dtype else xp.astype(vals, dst.dtype)
    else:
        vals = xp.asarray(vals, dtype=dst.dtype)
    v = xp.broadcast_to(vals, out_shape)
    nb = len(bshape)
    vperm = tuple(range(p, p + nb)) + tuple(range(p)) + tuple(range(p + nb, len(out_shape)))
    v = xp.reshape(xp.permute_dims(v, vperm), (m, rows))
    order = xp.argsort(lin, stable=True)
    lin = xp.take(lin, order)
    v = xp.take(v, order, axis=0)
    step = 1
    while step < m:  # inclusive segmented scan: log2(m) whole-array steps
        same = xp.reshape(lin[step:] == lin[:-step], (m - step, 1))
        upd = xp.where(same, combine(v[:-step, ...], v[step:, ...]), v[step:, ...])
        v = xp.concat([v[:step, ...], upd], axis=0)
        step *= 2
    last = xp.concat([lin[1:] != lin[:-1], xp.ones((1,), dtype=xp.bool)])
    ends = xp.nonzero(last)[0]
    targets = xp.take(lin, ends)
    totals = xp.take(v, ends, axis=0)
    # merge into dst: each flat position picks its total, if it is a target
    total_lead = 1
    for s in lead:
        total_lead *= s
    moved = xp.reshape(xp.permute_dims(dst, perm), (total_lead, rows))
    pos = xp.arange(total_lead, dtype=targets.dtype)
    at = xp.clip(xp.searchsorted(targets, pos), 0, targets.shape[0] - 1)
    hit = xp.reshape(xp.take(targets, at) == pos, (total_lead, 1))
    merged = xp.where(hit, combine(moved, xp.take(totals, at, axis=0)), moved)
    inv = tuple(sorted(range(dst.ndim), key=perm.__getitem__))
    dst[...] = xp.permute_dims(xp.reshape(merged, lead + rest), inv)


def _split_key(xp: Any, key: Any, ndim: int) -> tuple[int, list]:
    """``(p, arrays)``: the index arrays of ``key`` and the dim where the first applies."""
    items = list(key) if isinstance(key, tuple) else [key]
    while items and (items[-1] is Ellipsis or _full(items[-1])):
        items.pop()
    p = 0
    while p < len(items) and _full(items[p]):
        p += 1
    arrays = []
    for a in items[p:]:
        if isinstance(a, int):
            a = xp.asarray(operator.index(a), dtype=xp.int64)
        elif a is Ellipsis or isinstance(a, slice) or a is None:
            raise NotImplementedError(
                "this backend accumulates at repeated indices only for adjacent index arrays")
        elif a.dtype == xp.bool:
            arrays.extend(xp.nonzero(a))
            continue
        arrays.append(a)
    if not arrays or p + len(arrays) > ndim:
        raise IndexError("too many indices for the array")
    return p, arrays


def _full(k: Any) -> bool:
    return isinstance(k, slice) and k == slice(None)
