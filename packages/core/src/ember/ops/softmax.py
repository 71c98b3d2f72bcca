"""softmax and log_softmax along a dimension, shifted by the maximum for stability.

Results and gradients are C-ordered whatever the input's layout, as PyTorch's kernels give.

(``logsumexp`` is a reduction: ``ops/reduction.py``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._runtime import get_num_threads
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import Tensor, grad_state, methods, record, renamed, wrap_dim
from ._fma import fma
from ._nn_math import lane_sum, log_softmax_array, log_softmax_half, softmax_last
from ._torch_cpu import half_vector_width
from .pointwise_unary import not_implemented, not_tensor, quiet, wrap

__all__ = ["softmax", "log_softmax"]


def _prepare(op: str, input: Any, dim: Any, dtype: Any) -> tuple:
    if not isinstance(input, Tensor):
        raise not_tensor(op, input)
    if dim is None:  # PyTorch's argument parser, before anything else
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
    if dtype is not None:
        input = input.to(_dt.to_dtype(dtype))
    x = input._data
    d = wrap_dim(dim, x.ndim, op)
    if x.dtype.kind not in "f" and x.size:  # PyTorch runs no kernel for empty inputs
        last = not x.ndim or dim in (-1, x.ndim - 1)
        raise not_implemented(f"{op}{'_lastdim' if last else ''}_kernel_impl", x.dtype)
    return input, x, (d if x.ndim else None)


def _bf16_dtype(input: Any, dtype: Any) -> tuple:
    """``dtype=bfloat16``: the input cast first (then computed as a bfloat16 input is)."""
    if isinstance(input, Tensor) and _dt.to_dtype(dtype) == _dt.bfloat16:
        return input.to(_dt.bfloat16), None
    return input, dtype


def _shifted(xp: Any, x: Any, axis: int) -> Any:
    """``x - max(x)`` along ``axis``: an all ``-inf`` slice shifts by 0 (NaN results), a
    ``+inf`` maximum by itself (NaN results), as PyTorch gives."""
    if x.size == 0:
        return x
    m = xp.max(x, axis=axis, keepdims=True)
    return x - xp.where(m == -xp.inf, 0, m)


def _softmax_kernel(xp: Any, x: Any, axis: Any) -> Any:
    if axis is not None and axis == x.ndim - 1 and x.size:
        return softmax_last(xp, x, _softmax_last_exact)
    e = xp.exp(_shifted(xp, x, axis))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _softmax_last_exact(xp: Any, x: Any) -> Any:
    e = xp.exp(_shifted(xp, x, -1))
    return e * (1 / xp.sum(e, axis=-1, keepdims=True))  # PyTorch's last-dim kernel


def _softmax_half_inner(xp: Any, x32: Any, axis: int, half: Any) -> Any:
    """Softmax of a float16/bfloat16 input (as float32) over a dimension other than the last,
    rounded as PyTorch's CPU kernel: its threads split the (outer, inner) positions evenly,
    and each runs whole vectors of inner positions in float32 (``exp / sum``, rounded once)
    and the rest one by one, where each exponential is stored in the half type before the
    division."""
    shape = x32.shape
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    x = xp.ascontiguousarray(x32).reshape(outer, shape[axis], inner)
    e = xp.exp(_shifted(xp, x, 1))
    s = xp.sum(e, axis=1, keepdims=True)
    vec = (e / s).astype(half)
    tail = (e.astype(half).astype("float32") / s).astype(half)
    mask = xp.asarray(_vectorized(outer, inner, half_vector_width(), get_num_threads()))
    return xp.where(mask.reshape(outer, 1, inner), vec, tail).reshape(shape)


def _vectorized(outer: int, inner: int, step: int, threads: int) -> Any:
    """Which of the ``outer * inner`` positions PyTorch's vectorized softmax loop covers: each
    thread's range, cut at row ends, runs whole ``step``-wide vectors from its start."""
    n = outer * inner
    chunk = -(-n // max(1, min(threads, n)))
    p = np.arange(n)
    t0 = p // chunk * chunk
    r0 = p // inner * inner
    start = np.maximum(t0, r0)
    end = np.minimum(np.minimum(t0 + chunk, n), r0 + inner)
    return (p - start) < (end - start) // step * step


def _log_softmax_kernel(xp: Any, x: Any, axis: Any) -> Any:
    if axis is not None and axis == x.ndim - 1 and x.size:
        return log_softmax_array(xp, x, axis)
    z = _shifted(xp, x, axis)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def _array_grad(g: Tensor, r: Tensor) -> bool:
    """Whether a gradient follows PyTorch's kernel on arrays: a plain backward (no graph) of
    a float32/float64 NumPy result."""
    return (not grad_state.enabled and r._data.__class__ is np.ndarray
            and r._data.dtype.name in ("float32", "float64") and g._data.dtype == r._data.dtype
            and r._data.size > 0)


def _softmax_grad(g: Any, y: Any, d: int) -> Any:
    """``_softmax_backward_data`` in PyTorch's order: along the last dim ``(g - sum) * y`` with
    ``sum(g * y)`` added as ``vec::reduce_all`` adds; along another, ``y * (g - sum)`` with the
    sum accumulated down the dim by fused multiply-adds."""
    g = np.ascontiguousarray(g)
    if d == y.ndim - 1:
        return quiet(np.multiply, quiet(np.subtract, g, lane_sum(np, g * y)), y)
    gm, ym = np.moveaxis(g, d, 0), np.moveaxis(y, d, 0)
    if y.dtype.itemsize == 4:  # float32: float64 products are exact; each sum rounded once
        p = gm.astype(np.float64)
        quiet(np.multiply, p, ym, p)
        acc64 = np.zeros(p.shape[1:])
        for k in range(p.shape[0]):
            quiet(np.add, acc64, p[k], acc64)
            acc64[...] = acc64.astype(np.float32)
        acc = acc64.astype(np.float32)
    else:
        acc = np.zeros(gm.shape[1:], y.dtype)
        for k in range(gm.shape[0]):
            acc = fma(gm[k], ym[k], acc, y.dtype)
    return quiet(np.multiply, y, quiet(np.subtract, g, np.expand_dims(acc, d)))


def _log_softmax_grad(g: Any, y: Any, d: int) -> Any:
    """``_log_softmax_backward_data`` in PyTorch's order: ``g - exp(y) * sum(g)`` rounded
    once (its kernels fuse it), the sum added as ``vec::reduce_all`` adds along the last
    dim, in order down another."""
    g = np.ascontiguousarray(g)
    s = lane_sum(np, g) if d == y.ndim - 1 else np.add.reduce(g, axis=d, keepdims=True)
    e = quiet(np.exp, y)
    if y.dtype.itemsize == 4:  # float32: the float64 product is exact, the sum rounded once
        t = e.astype(np.float64)
        quiet(np.multiply, t, s.astype(np.float64), t)
        return quiet(np.subtract, g.astype(np.float64), t, t).astype(np.float32)
    return fma(quiet(np.negative, e), s, g, y.dtype)


@autocast_op("softmax")
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    half = None
    if dtype is not None:
        input, dtype = _bf16_dtype(input, dtype)
    if isinstance(input, Tensor) and input._data.dtype.kind == "V" and dtype is None:
        half, input = input._data.dtype, input.float()  # bfloat16: in float32, rounded
    input, x, d = _prepare("softmax", input, dim, dtype)
    xp = input._device._backend.xp
    if x.dtype.kind != "f":  # empty
        return wrap(xp.empty_like(x), input._device)
    axis = d
    if half is None and x.dtype.itemsize == 2:
        half = x.dtype
    if half is not None and axis is not None and axis != x.ndim - 1 and x.size:
        res = wrap(quiet(_softmax_half_inner, xp, x.astype("float32"), axis, half), input._device)
    elif half is not None:  # float16/bfloat16: in float32, rounded once (PyTorch's CPU kernel)
        res = wrap(c_order(xp, quiet(_softmax_kernel, xp, x.astype("float32"), axis)).astype(
            half), input._device)
    else:
        res = wrap(c_order(xp, quiet(_softmax_kernel, xp, x, axis)), input._device)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, r: Tensor) -> tuple:
            if r._data.dtype.itemsize == 2:  # float16/bfloat16: in float32, rounded once
                g32, r32 = g.float(), r.float()
                return ((r32 * (g32 - (g32 * r32).sum(d, keepdim=True))).to(r.dtype)
                        .contiguous(),)
            if _array_grad(g, r) and r._data.ndim:
                return (wrap(_softmax_grad(g._data, r._data, d), r._device),)
            return (renamed((r * (g - (g * r).sum(d, keepdim=True))).contiguous(),
                            "SoftmaxBackwardDataBackward0"),)

        record("SoftmaxBackward0", res, (input,), vjp, (res,))
    return res


@autocast_op("log_softmax")
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    half = None
    if dtype is not None:
        input, dtype = _bf16_dtype(input, dtype)
    if isinstance(input, Tensor) and input._data.dtype.kind == "V" and dtype is None:
        half, input = input._data.dtype, input.float()  # bfloat16: in float32, rounded
    input, x, d = _prepare("log_softmax", input, dim, dtype)
    xp = input._device._backend.xp
    if x.dtype.kind != "f":  # empty
        return wrap(xp.empty_like(x), input._device)
    axis = d
    if half is None and x.dtype.itemsize == 2:
        half = x.dtype
    if half is not None:  # float16/bfloat16: in float32, rounded as PyTorch's CPU kernels
        x32 = x.astype("float32")
        out = quiet(log_softmax_half, xp, x32, x.ndim - 1 if axis is None else axis, half)
        res = wrap(c_order(xp, out), input._device)
        if half != x.dtype:  # the bfloat16 input went through float32
            res = res.to(_dt.bfloat16) if res._data.dtype != half else res
    else:
        res = wrap(c_order(xp, quiet(_log_softmax_kernel, xp, x, axis)), input._device)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, r: Tensor) -> tuple:
            if r._data.dtype.itemsize == 2:  # float16/bfloat16: in float32, rounded once
                g32 = g.float()
                return ((g32 - r.float().exp() * g32.sum(d, keepdim=True)).to(r.dtype)
                        .contiguous(),)
            if _array_grad(g, r) and r._data.ndim:
                return (wrap(_log_softmax_grad(g._data, r._data, d), r._device),)
            return (renamed((g - r.exp() * g.sum(d, keepdim=True)).contiguous(),
                            "LogSoftmaxBackwardDataBackward0"),)

        record("LogSoftmaxBackward0", res, (input,), vjp, (res,))
    return res


def _softmax_method(self: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    return softmax(self, dim, dtype)


def _log_softmax_method(self: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    return log_softmax(self, dim, dtype)


methods(softmax=_softmax_method, log_softmax=_log_softmax_method)
