"""PyTorch's memory layout for the result of advanced indexing.

NumPy builds ``x[:, idx]`` with the index dims first in memory and transposes them back, so the
result is not contiguous; PyTorch's ``index`` allocates its result through a TensorIterator,
whose dim order follows the strides of the (restrided) input and the index tensors. Users see
the difference through ``is_contiguous()``, ``stride()`` and ``view``, so the result is
re-laid out (one copy) where the two disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._memory_format import reorder_dimensions

__all__ = ["torch_layout", "unsqueezed_view"]


def _per_dim(v: np.ndarray, adv: tuple) -> list | None:
    """One entry per dim of ``v``: None for a sliced dim, ``(shape, element strides)`` of the
    index of an indexed one (a mask: its nonzero columns, as PyTorch's ``nonzero().select``)."""
    covered = sum(0 if a is Ellipsis else a.ndim if _is_mask(a) else 1 for a in adv)
    dims: list = []
    for a in adv:
        if a is Ellipsis:
            dims.extend([None] * (v.ndim - covered))
        elif a.__class__ is slice:
            dims.append(None)
        elif _is_mask(a):
            col = ((int(np.count_nonzero(a)),), (a.ndim,))
            dims.extend([col] * a.ndim)
        else:
            dims.append((a.shape, _strides(a)))
    return dims if len(dims) == v.ndim else None


def _is_mask(a: Any) -> bool:
    return a.__class__ is not slice and a is not Ellipsis and a.dtype == bool


def _strides(a: np.ndarray) -> tuple:
    isz = a.dtype.itemsize
    return tuple(st // isz for st in a.strides)


def _expanded(shape: tuple, strides: tuple, to: tuple) -> tuple:
    """Strides of an index expanded to shape ``to`` (PyTorch's ``expand_outplace``)."""
    lead = len(to) - len(shape)
    return (0,) * lead + tuple(0 if n == 1 and m != 1 else st
                               for st, n, m in zip(strides, shape, to[lead:]))


def _operands(v: np.ndarray, dims: list) -> tuple[tuple, list] | None:
    """The result's shape and the element strides, over it, of the restrided input and of each
    index tensor, as PyTorch's ``index`` hands them to its TensorIterator: each index is
    reshaped to ``(1,) * before + shape + (1,) * after`` (a size-1 dim of the result keeps
    that view's stride; a broadcast one has 0)."""
    pos = [i for i, d in enumerate(dims) if d is not None]
    if pos != list(range(pos[0], pos[-1] + 1)):  # not adjacent: the indexed dims go first
        order = pos + [i for i, d in enumerate(dims) if d is None]
        dims = [dims[i] for i in order]
        v = v.transpose(order)
        pos = list(range(len(pos)))
    try:
        bshape = np.broadcast_shapes(*(dims[i][0] for i in pos))
    except ValueError:
        return None
    vs = _strides(v)
    lo, hi = pos[0], pos[-1] + 1
    shape = v.shape[:lo] + bshape + v.shape[hi:]
    ops = [vs[:lo] + (0,) * len(bshape) + vs[hi:]]
    for i in pos:
        ishape, ist = dims[i]
        st = _expanded(ishape, ist, bshape)
        outer = max((s * n for s, n in zip(st, bshape)), default=1) or 1
        ops.append(tuple(outer if n == 1 else 0 for n in v.shape[:lo]) + st
                   + tuple(1 if n == 1 else 0 for n in v.shape[hi:]))
    return shape, ops


def torch_layout(v: Any, adv: tuple, r: Any) -> Any:
    """``r = v[adv]`` (NumPy), copied into PyTorch's layout for it where that differs."""
    if not isinstance(r, np.ndarray) or r.size <= 1 or not isinstance(v, np.ndarray):
        return r
    a0 = adv[0]
    if a0.__class__ is not slice and a0 is not Ellipsis and r.flags.c_contiguous and \
            1 not in r.shape and v.flags.c_contiguous and all(
                a.__class__ is slice or a is Ellipsis or a.flags.c_contiguous for a in adv):
        return r  # indexed dims in front of a C-ordered input: both are C-ordered
    dims = _per_dim(v, adv)
    if dims is None or all(d is None for d in dims):
        return r
    got = _operands(v, dims)
    if got is None or got[0] != r.shape:
        return r
    shape, ops = got
    perm = reorder_dimensions(shape, ops)
    want = [0] * len(shape)
    step = r.itemsize
    for d in perm:
        want[d] = step
        step *= shape[d]
    if all(n == 1 or s == w for s, w, n in zip(r.strides, want, shape)):
        if r.strides == tuple(want):
            return r
        # only a size-1 dim's stride differs: restride, no copy
        return np.lib.stride_tricks.as_strided(r, strides=want, writeable=r.flags.writeable)
    out = np.empty(tuple(shape[d] for d in reversed(perm)), r.dtype)
    out = out.transpose([len(shape) - 1 - perm.index(i) for i in range(len(shape))])
    out[...] = r
    return out


def unsqueezed_view(x: Any, basic: tuple, v: Any) -> Any:
    """``v = x[basic]`` with PyTorch's strides for the dims that ``None`` adds: its indexing
    unsqueezes in key order, before the next original dim is sliced (stride: that dim's
    size times stride; 1 at the end)."""
    if not isinstance(v, np.ndarray):
        return v
    isz = v.dtype.itemsize
    strides = list(v.strides)
    used = sum(1 for k in basic if k is not None and k is not Ellipsis)
    j = od = 0  # the next dim of x, the next dim of v
    for k in basic:
        if k is None:
            strides[od] = x.shape[j] * x.strides[j] if j < x.ndim else isz
            od += 1
        elif k is Ellipsis:
            n = x.ndim - used
            j += n
            od += n
        else:
            j += 1
            od += k.__class__ is slice
    return np.lib.stride_tricks.as_strided(v, strides=strides, writeable=False)
