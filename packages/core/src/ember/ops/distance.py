"""Distances and similarities: ``cosine_similarity``, ``pairwise_distance``, ``pdist``, ``cdist``.

They rest on one private p-norm node (``pnorm``) whose derivative follows PyTorch's norm
backward (zero where the norm is zero, even split among the maxima for ``p = inf``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._runtime import quiet
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import (
    Tensor,
    also_saves,
    grad_state,
    make,
    quietly,
    record,
    renamed,
    result_type,
    sum_to,
    wrap_dim,
)
from ._nn_math import arrays, grad_of
from ._norm_order import two_norm

__all__ = ["cosine_similarity", "pairwise_distance", "pdist", "cdist"]


@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def _pnorm_f(m: Any, x: Any, p: float, dim: int, keepdim: bool) -> Any:
    a = m.abs(x)
    if p == 2:
        return m.sqrt(m.sum(a * a, dim, keepdim))
    if p == 1:
        return m.sum(a, dim, keepdim)
    if p == math.inf:  # (over no columns: 0, as PyTorch's cdist and pdist kernels)
        return a.max(dim, keepdims=keepdim, initial=0) if not m.tensor else \
            a.amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return a.min(dim, keepdims=keepdim) if not m.tensor else a.amin(dim, keepdim=keepdim)
    if p == 0:
        return m.sum(m.where(a != 0, 1.0, 0.0), dim, keepdim)
    return m.sum(a ** p, dim, keepdim) ** (1.0 / p)


def _pnorm_df(m: Any, x: Any, n: Any, p: float, dim: int, split: bool = True) -> Any:
    """d norm / d x, with ``n`` the norm kept on ``dim``; ``split``: the maxima of an inf-norm
    share the gradient (PyTorch's norm), else each takes it whole (its cdist/pdist kernels)."""
    if p == 0:
        return x * 0.0
    if p == 1:
        return m.sign(x)
    nz = m.where(n == 0, 1.0, n)
    if p == 2:
        return m.where(n == 0, 0.0, x / nz)
    if p in (math.inf, -math.inf):
        hit = m.where(m.abs(x) == n, 1.0, 0.0)
        return m.sign(x) * hit / m.sum(hit, dim, True) if split else m.sign(x) * hit
    if p < 1:  # |x|^(p-1) is infinite at 0: PyTorch's backward zeroes those entries
        return m.where((n == 0) | (x == 0), 0.0, m.sign(x) * m.abs(x) ** (p - 1) / nz ** (p - 1))
    return m.where(n == 0, 0.0, m.sign(x) * m.abs(x) ** (p - 1) / nz ** (p - 1))


def pnorm(x: Tensor, p: float, dim: int, keepdim: bool = False,
          name: str = "NormBackward1", dense: bool = False) -> Tensor:
    """The vector p-norm of ``x`` over ``dim`` (its graph node called ``name``), C-ordered
    when ``dense`` (else laid out as NumPy's reduction leaves it, as PyTorch's ``norm``)."""
    a = x._data
    if a.dtype.kind in "biu":
        a = a.astype(_dt._default.np)
    m = arrays(x._device._backend.xp)
    d = wrap_dim(dim, a.ndim, "norm")
    if a.ndim and a.shape[d] == 0 and math.isinf(p) and name == "NormBackward1":
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension "
                           f"{dim}because this dimension is empty and the operation does not have "
                           "an identity")
    # PyTorch's norm kernel (not cdist's or pdist's): float32/float64 2-norms in its order
    r = quiet(two_norm, a, (d,), keepdim) if p == 2 and name == "NormBackward1" and a.ndim \
        else None
    if r is None:
        # float16/bfloat16 accumulate in float32 (PyTorch's acc type), then round once
        r = _pnorm_f(m, a.astype("float32") if a.dtype.itemsize == 2 and a.dtype.kind in "fV"
                     else a, p, d, keepdim)
    if dense and m.xp.ndim(r):  # ascontiguousarray would make a 0-d norm 1-d
        r = m.xp.ascontiguousarray(r)
    # a norm is real: complex inputs give their real counterpart, as PyTorch's
    rdt = a.dtype if a.dtype.kind != "c" else _dt.from_numpy_dtype(a.dtype).to_real().np
    res = make(m.xp.asarray(r, dtype=rdt), x._device)
    if grad_state.enabled and x._rg:
        def grads(m: Any, g: Any, x: Any) -> Any:
            n = _pnorm_f(m, x, p, d, True)
            if not keepdim:
                g = g.reshape(tuple(1 if i == d else s for i, s in enumerate(x.shape)))
            return m.cast(g * _pnorm_df(m, x, n, p, d, name == "NormBackward1"), x)

        if p == 0 and name == "NormBackward1":  # PyTorch's norm leaves this one undefined
            record(name, res, (x,), lambda g, x: (None,), (x,))
        else:
            # PyTorch's node saves the input and the result
            record(name, res, (x,), lambda g, x, _r: (grad_of(grads, g, g, x),), (x, res))
    return res


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``norm(x1 - x2 + eps, p)`` over the last dimension."""
    nd = max(x1.ndim, x2.ndim)
    return pnorm(x1 - x2 + eps, p, nd - 1 if nd else 0, keepdim, dense=True)


@autocast_op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps))`` over ``dim`` (inputs broadcast)."""
    if not eps >= 0:  # (NaN too), first, in C++'s default float format
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    a, b = x1._data, x2._data
    if a.dtype != b.dtype or a.dtype.kind != "f":  # mixed, integer, complex, bfloat16
        dt = result_type(x1, x2)
        if dt.category != _dt._FLOAT:
            from ._inplace import _type_name

            raise RuntimeError(f"expected common dtype to be floating point, yet common dtype "
                               f"is {_type_name(dt.name)}")
    else:
        dt = x1.dtype
    xp = x1._device._backend.xp
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from .math_misc import broadcast_error  # the first mismatched dim from the right

        raise broadcast_error(x1, x2) from None
    d = wrap_dim(dim, len(shape), "cosine_similarity")
    if a.dtype != b.dtype or a.dtype.kind != "f":  # PyTorch's composite, each in its dtype
        from .loss_composite import cosine_similarity as composite

        return composite(x1, x2, d, eps, dt, shape)
    a = xp.broadcast_to(a.astype(dt.np, copy=False), shape)
    b = xp.broadcast_to(b.astype(dt.np, copy=False), shape)

    @quietly  # infinities make inf/NaN as in PyTorch, with no NumPy warning
    def parts(m: Any, a: Any, b: Any) -> tuple:
        n1 = m.sqrt(m.sum(a * a, d, True))
        n2 = m.sqrt(m.sum(b * b, d, True))
        c1, c2 = m.maximum(n1, eps), m.maximum(n2, eps)
        return n1, n2, c1, c2, m.sum((a / c1) * (b / c2), d, True)

    m = arrays(xp)
    cos = parts(m, a, b)[4]
    res = make(c_order(xp, xp.squeeze(cos, axis=d)), x1._device)  # (C order, as PyTorch's)
    if grad_state.enabled and (x1._rg or x2._rg):
        needs = (x1._rg, x2._rg)

        def grads(m: Any, g: Any, a: Any, b: Any) -> tuple:
            if m.tensor:
                a, b = a.expand(shape), b.expand(shape)
            else:
                a, b = m.xp.broadcast_to(a.astype(dt.np), shape), m.xp.broadcast_to(
                    b.astype(dt.np), shape)
            n1, n2, c1, c2, cos = parts(m, a, b)
            g = g.reshape(cos.shape)
            ga = g / c1 * (b / c2 - cos * a / m.where(n1 == 0, 1.0, n1)) if needs[0] else None
            gb = g / c2 * (a / c1 - cos * b / m.where(n2 == 0, 1.0, n2)) if needs[1] else None
            return ga, gb

        def vjp(g: Tensor, p: Tensor, q: Tensor) -> tuple:
            ga, gb = grad_of(grads, g, g, p, q)
            if grad_state.enabled:  # create_graph: PyTorch's composite sums two paths per input
                ga = renamed(ga, "AddBackward0") if ga is not None else None
                gb = renamed(gb, "AddBackward0") if gb is not None else None
            return (sum_to(ga, tuple(p.shape)) if ga is not None else None,
                    sum_to(gb, tuple(q.shape)) if gb is not None else None)

        record("SumBackward1", res, (x1, x2), vjp, (x1, x2))  # PyTorch's composite ends in a sum
    return res


@autocast_op("pdist")
def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """Distances between all pairs of rows ``i < j`` of a 2-D input, row-major order."""
    from .embedding import take_rows

    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input.dtype.itemsize == 2 and input._device.type == "cpu":  # PyTorch's CPU kernel
        from .pointwise_unary import not_implemented

        raise not_implemented("pdist", x.dtype)
    xp = input._device._backend.xp
    i, j = xp.triu_indices(x.shape[0], 1)
    res = pnorm(take_rows(input, i) - take_rows(input, j), p, 1, name="PdistBackward0",
                dense=True)
    return also_saves(res, input)  # PyTorch's node saves self (and result, as pnorm's)


def _cdist_dtypes(x1: Tensor, x2: Tensor) -> None:
    from .pointwise_unary import not_implemented, type_name

    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{type_name(t._data.dtype)}")
    if x1.dtype.itemsize == 2:  # (PyTorch's kernel dispatch on x1 comes before the match)
        raise not_implemented("cdist", x1._data.dtype)
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x1._data.dtype)} but found "
                           f"{type_name(x2._data.dtype)}")


@autocast_op("cdist")  # float32 under CPU autocast
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distances between each row of ``x1`` and each row of ``x2`` (batched)."""
    a, b = x1._data, x2._data
    if a.ndim < 2 or b.ndim < 2:
        which = "X1" if a.ndim < 2 else "X2"
        raise RuntimeError(f"cdist only supports at least 2D tensors, {which} got: "
                           f"{(a if a.ndim < 2 else b).ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} "
                           f"X2: {b.shape[-1]}")
    _cdist_dtypes(x1, x2)
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    r1, r2 = a.shape[-2], b.shape[-2]
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist"
                         or compute_mode == modes[0] and (r1 > 25 or r2 > 25))
    use_mm = use_mm and r1 and r2 and a.shape[-1]  # (PyTorch's cdist returns zeros for these)
    if use_mm:  # PyTorch's cdist_impl: _euclidean_dist (of the batch flattened), viewed
        n = math.prod(batch)
        if n == 1:
            e1, e2 = x1, x2
        else:
            e1, e2 = _batch_rows(x1, batch, n), _batch_rows(x2, batch, n)
        res = _euclid_mm(e1, e2)
        also_saves(res, res)  # PyTorch's node saves x1, x2 and result
        return res.view(batch + (r1, r2))
    m = a.shape[-1]
    diff = x1.reshape(a.shape[:-1] + (1, m)) - x2.reshape(b.shape[:-2] + (1, r2, m))
    res = pnorm(diff, p, -1, name="CdistBackward0", dense=True)
    return also_saves(res, x1, x2)


def _batch_rows(x: Tensor, batch: tuple, n: int) -> Tensor:
    """``x`` expanded to ``batch`` and reshaped to ``(n, rows, cols)``: a view, or (a batch
    dim really broadcast) a copy, as PyTorch's reshape gives."""
    e = x.expand(batch + tuple(x.shape[-2:]))
    if tuple(x.shape[:-2]) != batch:
        e = e.contiguous()
    return e.reshape((n,) + tuple(x.shape[-2:]))


def _euclid_mm(x1: Tensor, x2: Tensor) -> Tensor:
    """Euclidean distances through one matrix product (PyTorch's fast path)."""
    def f(m: Any, a: Any, b: Any) -> tuple:
        sq = m.sum(a * a, -1, True) - 2.0 * m.matmul(a, m.mT(b)) + m.mT(m.sum(b * b, -1, True))
        return sq, m.sqrt(m.maximum(sq, 0.0))  # PyTorch's clamp_min_(0): a point's own is 0

    m = arrays(x1._device._backend.xp)
    res = make(f(m, x1._data, x2._data)[1], x1._device)
    if grad_state.enabled and (x1._rg or x2._rg):
        needs = (x1._rg, x2._rg)

        def grads(m: Any, g: Any, a: Any, b: Any) -> tuple:
            sq, d = f(m, a, b)
            gs = m.where(d > 0, g / (2.0 * m.where(d > 0, d, 1.0)), 0.0)  # 0 at res == 0
            ga = (m.sum(gs, -1, True) * a - m.matmul(gs, b)) * 2.0 if needs[0] else None
            gb = (m.mT(m.sum(gs, -2, True)) * b - m.matmul(m.mT(gs), a)) * 2.0 \
                if needs[1] else None
            return ga, gb

        shapes = (x1._data.shape, x2._data.shape)

        def vjp(g: Tensor, a: Tensor, b: Tensor) -> tuple:
            ga, gb = grad_of(grads, g, g, a, b)  # a 2-d operand of a 3-d one: summed back
            return (None if ga is None else sum_to(ga, shapes[0]),
                    None if gb is None else sum_to(gb, shapes[1]))

        record("EuclideanDistBackward0", res, (x1, x2), vjp, (x1, x2))
    return res
