"""Float sums added in the order PyTorch's CPU sum kernel adds them, so that ``x.sum()`` and
``x.mean()`` give PyTorch's numbers to the last bit, not only to within rounding.

PyTorch's kernel reads a contiguous row as vectors (8 float32 or 4 float64 lanes) and adds
them four at a time into lanes of partial sums, in a cascade of levels: each level adds
runs of 16 (more for very long rows) sums of the level below, so that only numbers of a
similar size meet. The lanes are then added one by one after the elements that fill no
whole vector. A full reduction of at least 32768 elements is cut into one contiguous chunk
per thread, whose sums are added in thread order.

A reduction over leading dims (columns kept) adds each column down its rows in the same
levels, or in four interleaved sums for the columns past the last group of four vectors.

NumPy adds along a non-innermost axis strictly in order, so each run of a level is one
``add.reduce`` over an axis of a reshaped view: no Python loop over elements. Followed: the
reductions of a C-contiguous float32/float64/complex64/complex128 array over all its dims or
one block of adjacent dims, and those of a permuted dense one (channels-last, a transpose)
whose dims make one block in memory order, where PyTorch walks it (a complex vector of 4 or 2
elements adds each part lane by lane);
others keep NumPy's order (a correct sum, not PyTorch's last bit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._runtime import _threads, quiet
from ._parallel import run_striped, threads_for
from ._torch_cpu import GRAIN_SIZE as _GRAIN

__all__ = ["cascade_sum"]

# elements of one vector of PyTorch's sum kernel, by item size (complex: by the complex
# dtype's, each part then summed as a float array of that many lanes)
_LANES = {4: 8, 8: 4}
_COMPLEX_LANES = {8: 4, 16: 2}
_LEVELS = 4


def cascade_sum(x: Any, dims: tuple, keepdims: bool) -> Any:
    """``x`` summed over ``dims`` (sorted, as ``reduce_dims`` gives them) in PyTorch's order,
    or None where Ember does not follow it (another dtype or layout, or dims that are not one
    block)."""
    if (x.__class__ is not np.ndarray or x.dtype.kind not in "fc" or x.itemsize < 4
            or x.size == 0 or not dims):
        return None
    nd = x.ndim
    if not x.flags.c_contiguous:
        # a permuted dense layout (channels-last, a transpose): PyTorch walks it in memory
        # order, reducing the dims where they lie there
        order = sorted(range(nd), key=lambda d: -abs(x.strides[d]))
        x = x.transpose(order)
        if not x.flags.c_contiguous:
            return None
        if len(dims) != nd:
            mdims = sorted(order.index(d) for d in dims)
            r = cascade_sum(x, tuple(mdims), True)
            if r is None:
                return None
            r = r.transpose(np.argsort(order))  # back to the logical order of the dims
            return r if keepdims else r.reshape(
                tuple(n for d, n in enumerate(r.shape) if d not in dims))
    d0, d1 = dims[0], dims[-1]
    if len(dims) != nd and d1 - d0 + 1 != len(dims):  # not one block of dims
        return None
    if x.dtype.kind == "f":
        return quiet(_sum_float, x, dims, keepdims, _LANES[x.itemsize])
    lanes = _COMPLEX_LANES.get(x.itemsize)
    if lanes is None:
        return None
    # a complex vector adds its parts lane by lane: each part is a float sum of those lanes
    parts = [quiet(_sum_float, p, dims, keepdims, lanes) for p in (x.real, x.imag)]
    out = np.empty(np.shape(parts[0]), x.dtype)
    out.real, out.imag = parts
    return out if out.ndim else out[()]


def _sum_float(x: Any, dims: tuple, keepdims: bool, lanes: int) -> Any:
    """``cascade_sum`` of a float array (or a complex array's part) of ``lanes``-wide vectors."""
    nd = x.ndim
    if len(dims) == nd:
        total = _full(x.reshape(-1), lanes)
        return total.reshape((1,) * nd) if keepdims else total
    d0, d1 = dims[0], dims[-1]
    shape = x.shape
    b, m, f = math.prod(shape[:d0]), math.prod(shape[d0:d1 + 1]), math.prod(shape[d1 + 1:])
    if f == 1:
        out = _rows(x.reshape(b, m), lanes)
    else:
        out = _columns(x.reshape(b, m, f), lanes)
    kept = shape[:d0] + ((1,) * len(dims) if keepdims else ()) + shape[d1 + 1:]
    return out.reshape(kept)


def _full(f: Any, lanes: int) -> Any:
    """The sum of a 1-D array: on one thread below the grain size, else one chunk a thread
    (run side by side on Ember's op threads), their sums then added in thread order."""
    n = f.size
    threads = _threads[0]
    if n < _GRAIN or threads == 1:
        return _short(f, lanes) if n < 64 * lanes else _rows(f[None], lanes)[0] + f.dtype.type(0)
    parts = min(threads, -(-n // _GRAIN))
    chunk = -(-n // parts)
    sums = np.zeros(threads, f.dtype)  # one slot a thread, the unused ones zero

    def chunks(_: int, mine: range) -> None:
        for i in mine:
            sums[i] = _rows(f[None, i * chunk:(i + 1) * chunk], lanes)[0]

    run_striped(chunks, parts, threads_for(np, parts))
    return _short(sums, lanes)


def _short(f: Any, lanes: int) -> Any:
    """``_rows`` of one row too short for a second level (fewer than 16 rows of 4 vectors),
    with NumPy scalars for the adds one by one."""
    n = f.size
    nv = n // lanes
    acc = f.dtype.type(0)
    if nv == 0:
        for v in (f[[0, *range(4, n), 1, 2, 3]] if n >= 4 else f):
            acc = acc + v
        return acc
    k = nv // 4
    if k == 0:  # sum 0 alone: the vectors in order
        lane = np.add.reduce(f[:nv * lanes].reshape(nv, lanes), axis=0)
    else:  # sums 0-3 over the rows of four vectors, the vectors left into sum 0, then 1, 2, 3
        p = np.add.reduce(f[:4 * k * lanes].reshape(k, 4 * lanes), axis=0).reshape(4, lanes)
        if nv > 4 * k:
            p = np.concatenate((p[:1], f[4 * k * lanes:nv * lanes].reshape(-1, lanes), p[1:]))
        lane = np.add.reduce(p, axis=0)
    for v in f[nv * lanes:]:
        acc = acc + v
    for v in lane:
        acc = acc + v
    return acc


def _columns(a: Any, lanes: int) -> Any:
    """``a (b, m, f)`` summed over ``m`` (dims before contiguous kept ones): PyTorch's outer
    sum adds each column of whole groups of 4 vectors (4 elements when a row is shorter than a
    vector) in the levels of ``_cascade``, the other columns as ``row_sum`` does (``_ilp``).
    Its threads split the columns at group boundaries, so the split changes nothing."""
    f = a.shape[2]
    group = 4 * lanes if f >= lanes else 4
    whole = f // group * group
    parts = []
    if whole:
        parts.append(_cascade(a[:, :, :whole]))
    if whole < f:
        parts.append(_ilp(a[:, :, whole:]))
    out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    return out + a.dtype.type(0)  # PyTorch adds into a zeroed output: -0 sums are +0


def _rows(x: Any, lanes: int) -> Any:
    """The sums of the rows of a 2-D C-contiguous array: its whole vectors (see ``_ilp``),
    then one by one the elements that fill no vector and the vector sum's lanes. Rows
    shorter than a vector are PyTorch's scalar ``row_sum``: element 0, then 4 onwards, then
    1, 2, 3."""
    n = x.shape[1]
    nv = n // lanes
    if nv == 0:
        return _in_sequence(x[:, [0, *range(4, n), 1, 2, 3]] if n >= 4 else x)
    vec = _ilp(x[:, :nv * lanes].reshape(x.shape[0], nv, lanes))
    return _in_sequence(np.concatenate((x[:, nv * lanes:], vec), axis=1))


def _in_sequence(a: Any) -> Any:
    """Each row of ``a (rows, m)`` added from 0, first to last."""
    if a.shape[0] == 1:  # NumPy adds a lone row pairwise: add it here, in its dtype
        acc = a.dtype.type(0)
        for v in a[0]:
            acc = acc + v
        return np.asarray([acc])
    return np.add.reduce(np.ascontiguousarray(a.T), axis=0) + a.dtype.type(0)


def _ilp(v: Any) -> Any:
    """``v (rows, m, lanes)`` (vectors) summed as PyTorch's ``row_sum``: vector ``4k + j``
    into partial sum ``j`` (see ``_cascade``), the vectors left over into sum 0, then sums
    1, 2, 3 into it."""
    r, m, w = v.shape
    k = m // 4
    if k == 0:  # no partial sums yet: the vectors added into sum 0 alone
        return _ordered(v)
    p = _cascade(v[:, :4 * k].reshape(r, k, 4 * w)).reshape(r, 4, w)
    return _ordered(np.concatenate((p[:, :1], v[:, 4 * k:], p[:, 1:]), axis=1))


def _cascade(a: Any) -> Any:
    """``a (rows, m, w)`` summed over ``m`` in PyTorch's levels (``multi_row_sum``): level 0
    adds runs of ``step`` elements, level 1 runs of ``step`` such sums, and so on up to the
    last level, which adds all it gets; what is left over at each level stays there, and
    the levels are added from the bottom at the end. (NumPy adds along an axis that is not
    the innermost first to last.)"""
    r, m, w = a.shape
    step = 1 << max(4, (m - 1).bit_length() // _LEVELS if m > 1 else 0)
    whole = m // step
    if whole == 0:  # the one run of level 0 (short rows)
        return _ordered(a) if m else np.zeros((r, w), a.dtype)
    left = [_ordered(a[:, whole * step:])] if m % step else []
    runs = a[:, :whole * step]
    for level in range(1, _LEVELS):
        runs = _ordered(runs.reshape(r, -1, step, w), 2)
        if level == _LEVELS - 1:
            left.append(_ordered(runs))
            break
        whole = runs.shape[1] // step
        if runs.shape[1] % step:
            left.append(_ordered(runs[:, whole * step:]))
        if whole == 0:
            break
        runs = runs[:, :whole * step]
    out = left[0]
    for v in left[1:]:
        out = out + v
    return out


def _ordered(a: Any, axis: int = 1) -> Any:
    """``a`` summed along ``axis`` first to last. NumPy adds in order along an axis that is
    not the innermost; with several rows the axis is first moved outermost in a copy (long
    inner loops instead of one per row), and a lone sequence is added here (NumPy would add
    it pairwise)."""
    n = a.shape[axis]
    rest = a.size // n if n else 0
    if rest == 1:
        acc = a.dtype.type(0)
        for v in a.reshape(-1):
            acc = acc + v
        return np.full(a.shape[:axis] + a.shape[axis + 1:], acc)
    if math.prod(a.shape[:axis]) == 1:
        return np.add.reduce(a, axis=axis)
    return np.add.reduce(np.ascontiguousarray(np.moveaxis(a, axis, 0)), axis=0)
