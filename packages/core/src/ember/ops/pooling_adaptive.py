"""Adaptive average/max pooling, power-average (lp) pooling and max unpooling.

Adaptive windows are ``[floor(o*S/Q), ceil((o+1)*S/Q))`` per dimension. Where the output
size divides the input size they are a plain strided pool; otherwise average pooling is
one small averaging matrix per dimension (it is separable), and max pooling gathers a
fixed number of taps per window (short windows repeat their last position).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np

from .._memory_format import suggest_format
from .._tensor import channels_last
from . import _conv_kernels as K
from ._autocast import autocast_op
from ._cascade_sum import cascade_sum
from ._channels_last import c_order, cl_format, laid_as, linear_op_cl
from ._dispatch import Tensor, grad_state, make, quietly, record
from ._linear import adjoint_of, linear_op
from ._nn_math import int_dtype_name
from .pooling import (
    _avg_pool,
    _not_implemented,
    avg_spread,
    avg_sum,
    cl_1d,
    first_argmax,
    flat_indices,
    max_gather,
    max_scatter,
    pool_laid,
    pool_tuple,
)

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _is_int_arg(v: Any) -> bool:
    """Whether PyTorch's parser takes ``v`` as an int (bools, floats and ``None`` it refuses)."""
    if isinstance(v, Tensor):
        return v._data.ndim == 0 and v._data.dtype.kind in "iu"
    return hasattr(v, "__index__") and not isinstance(v, bool)


def _check_int_list(output_size: Any, op: str) -> None:
    """PyTorch's parser's TypeError for a 1-d ``output_size`` that is not ints."""
    pre = f"{op}(): argument 'output_size' (position 2) must be tuple of ints"
    if not isinstance(output_size, (list, tuple)):
        if not _is_int_arg(output_size):
            raise TypeError(f"{pre}, not {type(output_size).__name__}")
        return
    for i, v in enumerate(output_size):
        if not _is_int_arg(v):
            raise TypeError(f"{pre}, but found element of type {type(v).__name__} at pos {i}")


def _output_size(input: Tensor, output_size: Any, d: int, op: str) -> tuple:
    x = input._data
    if d == 1:
        _check_int_list(output_size, op)
    if d == 1 and isinstance(output_size, (list, tuple)) and len(output_size) != 1:
        raise RuntimeError(f"{op}() argument 'output_size' should contain one int (got "
                           f"{len(output_size)})")  # PyTorch's argument parser's words
    if d > 1 and isinstance(output_size, (list, tuple)) and x.ndim <= len(output_size):
        # PyTorch's Python wrapper checks a sequence output_size before the kernel does
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if x.ndim not in (d + 1, d + 2):  # PyTorch's three wordings
        if d == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                               f"for argument #1 'self' (while checking arguments for {op})")
        got = "got: " if op.startswith("adaptive_max") else "got "
        raise RuntimeError(f"{op}(): Expected {d + 1}D or {d + 2}D tensor, but {got}"
                           f"{list(x.shape)}")
    shape = list(x.shape)
    if op in ("adaptive_avg_pool1d", "adaptive_avg_pool2d"):
        # PyTorch's 2-d average (which also runs the 1-d one, on an unsqueezed input) checks
        # only the spatial dims: no channels is a valid empty input
        if d == 1:
            op, shape = "adaptive_avg_pool2d", shape[:-1] + [1] + shape[-1:]
        dims = range(len(shape) - 2, len(shape))
    else:
        dims = range(1, x.ndim) if x.ndim == d + 2 else range(x.ndim)
    for i in dims:
        if shape[i] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {shape} with dimension {i} being empty")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != d:
            raise RuntimeError(f"{op}: output_size must be {d}")
        Q = tuple(s if o is None else int(o) for o, s in zip(output_size, x.shape[-d:]))
    else:
        Q = (int(output_size),) * d
    if any(q < 0 for q in Q):
        _negative_output_size(x, Q, d, op)
    return Q


def _negative_output_size(x: Any, Q: tuple, d: int, op: str) -> None:
    """PyTorch's refusal of a negative ``output_size``: the average pools' own check (its
    1-d one run as 2-d), the max pools' allocation of the output."""
    if op.startswith("adaptive_max"):
        shape = list(x.shape[:-d]) + ([1] if d == 1 else []) + list(Q)
        neg = next(q for q in Q if q < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {shape}")
    got = ((1,) if d == 1 else ()) + tuple(Q)
    # (its 3-d wording leaves out the last space)
    text = f"{got[0]}, {got[1]},{got[2]}" if len(got) == 3 else ", ".join(map(str, got))
    raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                       f"but received {{{text}}}")


def _bounds(n: int, q: int) -> tuple[list, list]:
    return [o * n // q for o in range(q)], [-(-(o + 1) * n // q) for o in range(q)]


def _adaptive_avg(input: Tensor, output_size: Any, d: int) -> Tensor:
    op = f"adaptive_avg_pool{d}d"
    Q = _output_size(input, output_size, d, op)
    xp = input._device._backend.xp
    x = input._data
    S = x.shape[-d:]
    dt = x.dtype
    lowp = dt.name in ("float16", "bfloat16")
    if (dt.kind != "f" and not lowp) and not (dt.kind == "c" and all(q == 1 for q in Q)):
        out_shape = x.shape[:x.ndim - d] + Q
        if all(q == 1 for q in Q):  # PyTorch takes the mean (of an empty input too)
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               "a floating point or complex dtype. Got: "
                               f"{int_dtype_name(dt)}")
        if d < 3 and 0 in out_shape:  # PyTorch's 2-d kernel returns an empty output as is
            return make(xp.empty(out_shape, dtype=dt), input._device)
        raise NotImplementedError(f"\"{_kernel_name(input, d)}\" not implemented for "
                                  f"'{int_dtype_name(dt)}'")
    ct = "float32" if lowp else dt
    name = f"AdaptiveAvgPool{d}DBackward0"
    fmt = cl_format(x) if d > 1 else None
    axes = tuple(range(x.ndim - d, x.ndim))
    uneven = not all(q > 0 and s % q == 0 for s, q in zip(S, Q))
    if (lowp or uneven) and not all(q == 1 for q in Q):  # PyTorch's roundings, step by step
        S_, Q_, step = tuple(S), Q, d == 3 or not lowp
        return linear_op_cl(input, lambda xp, a: c_order(xp, _lowp_avg(xp, a, S_, Q_, step)),
                            lambda xp, g: c_order(xp, _lowp_spread(xp, g, S_, Q_)), name,
                            fmt if d == 2 else None, keeps_input=True)
    if all(q == 1 for q in Q):
        n = 1
        for v in S:
            n *= v
        # PyTorch takes the mean: its result keeps the input's layout, its gradient is C order
        # (a mean over a permuted, not channels-last input comes back in C order)
        keep = laid_as if fmt is not None else (lambda xp, a, fmt: c_order(xp, a))
        # (PyTorch restrides a channels-last 2-d result in place: its node is as_strided_'s)
        node = "AsStridedBackward1" if d == 2 and fmt is channels_last else "MeanBackward1"
        return linear_op(input, lambda xp, a: keep(xp, _mean(a, axes, n, ct).astype(dt), fmt),
                         lambda xp, g: xp.broadcast_to((g.astype(ct) / n).astype(dt),
                                                       g.shape[:g.ndim - d] + S).copy(),
                         node)
    k = tuple(s // q for s, q in zip(S, Q))
    geom = K.Geom(k, (1,) * d, (0,) * d, (0,) * d)

    def per_extent(a: Any) -> Any:
        # PyTorch divides a window's sum by each extent in turn (sum / kh / kw)
        for v in k:
            a = a / v
        return a

    def fwd(xp: Any, a: Any) -> Any:
        return per_extent(avg_sum(xp, a.astype(ct), k, Q, geom)).astype(dt)

    def adj(xp: Any, g: Any) -> Any:
        return avg_spread(xp, per_extent(g.astype(ct)), k, Q, geom, S, True).astype(dt)

    return linear_op_cl(input, fwd, adj, name, fmt if d == 2 else None, keeps_input=True)


def _mean(a: Any, axes: tuple, n: int, ct: Any) -> Any:
    """The mean PyTorch takes for a 1x1 output: the sum (in its summation order for a
    C-contiguous float32/float64/complex array, or a channels-last 4-d one), then divided by
    ``n``."""
    if a.dtype == ct and a.dtype.itemsize > 2 and getattr(a, "flags", None) is not None:
        if a.flags.c_contiguous:
            s = cascade_sum(a, axes, True)
            if s is not None:
                return s / n
        elif axes == (2, 3) and a.ndim == 4 and a.transpose(0, 2, 3, 1).flags.c_contiguous:
            s = cascade_sum(a.transpose(0, 2, 3, 1), (1, 2), True)  # (NumPy arrays only)
            if s is not None:
                return (s / n).transpose(0, 3, 1, 2)
    return a.mean(axis=axes, keepdims=True, dtype=ct)


def _kernel_name(input: Tensor, d: int) -> str:
    """The PyTorch CPU kernel that refuses a dtype (its name depends on the layout)."""
    if d == 3:
        return "adaptive_avg_pool3d_cpu"
    if input.ndim == 4 and suggest_format(tuple(input.shape), input.stride()) is channels_last:
        return "adaptive_avg_pool2d_channels_last"  # the layout PyTorch's strides suggest
    return "adaptive_avg_pool2d"


def _window_bounds(n: int, q: int) -> tuple:
    starts, ends = _bounds(n, q)
    return np.asarray(starts, dtype="int64"), np.asarray(ends, dtype="int64")


def _along(a: Any, t: int, d: int) -> Any:
    """A 1-D array shaped to broadcast along trailing dim ``t`` of ``d``."""
    shape = [1] * d
    shape[t] = -1
    return a.reshape(shape)


def _gather(a: Any, idx: list) -> Any:
    d = len(idx)
    return a[(Ellipsis,) + tuple(_along(ix, t, d) for t, ix in enumerate(idx))]


@quietly  # inf - inf in a window is NaN, as in PyTorch, without NumPy's warning
def _lowp_avg(xp: Any, x: Any, S: tuple, Q: tuple, step: bool) -> Any:
    """Window means as PyTorch's CPU kernels round them: float16/bfloat16 2-d sums and divides
    by each window extent in float32; otherwise (``step``: the 3-d kernel, and float32/float64)
    it sums and divides in the input dtype, rounding at every step. The sum runs over the taps
    in window order (uneven windows, so no matmul: its products and order round otherwise)."""
    d, dt = len(S), x.dtype
    if 0 in Q:  # no windows to sum
        return xp.zeros(tuple(x.shape[:x.ndim - d]) + tuple(Q), dtype=dt)
    taps, masks, ks = [], [], []
    for n, q in zip(S, Q):
        st, en = _window_bounds(n, q)
        taps.append([xp.asarray(np.minimum(st + j, en - 1)) for j in range(int((en - st).max()))])
        masks.append([st + j < en for j in range(len(taps[-1]))])
        ks.append(en - st)
    acc = None
    zero = xp.zeros((), dtype=dt if step else "float32")
    for combo in itertools.product(*(range(len(t)) for t in taps)):
        v = _gather(x, [taps[t][j] for t, j in enumerate(combo)])
        m = functools.reduce(np.logical_and, (_along(masks[t][j], t, d)
                                               for t, j in enumerate(combo)))
        v = xp.where(xp.asarray(m), v if step else v.astype("float32"), zero)
        acc = v if acc is None else acc + v
    for t, k in enumerate(ks):
        acc = acc / xp.asarray(_along(k, t, d)).astype(acc.dtype)
    return acc.astype(dt)


def _lowp_spread(xp: Any, g: Any, S: tuple, Q: tuple) -> Any:
    """The gradient as PyTorch's CPU kernels round it in float16/bfloat16: each output's share
    ``g / k1 / k2 ...`` rounded per division, added into the input in output order, rounding
    after every addition (overlapping windows add up)."""
    d, dt = len(S), g.dtype
    if 0 in Q:  # no window reads the input
        return xp.zeros(tuple(g.shape[:g.ndim - d]) + tuple(S), dtype=dt)
    first, count, stop = [], [], []
    for t, (n, q) in enumerate(zip(S, Q)):
        st, en = _window_bounds(n, q)
        g = g / xp.asarray(_along(en - st, t, d)).astype(dt)
        i = np.arange(n)
        lo = np.searchsorted(en, i, side="right")  # the first window holding position i
        hi = np.searchsorted(st, i, side="right")  # one past the last
        first.append(lo)
        stop.append(hi)
        count.append(int((hi - lo).max()))
    acc = None
    zero = xp.zeros((), dtype=dt)
    for combo in itertools.product(*(range(c) for c in count)):
        outs = [first[t] + j for t, j in enumerate(combo)]
        m = functools.reduce(np.logical_and, (_along(o < stop[t], t, d)
                                               for t, o in enumerate(outs)))
        v = _gather(g, [xp.asarray(np.minimum(o, q - 1)) for o, q in zip(outs, Q)])
        v = xp.where(xp.asarray(m), v, zero)
        acc = v if acc is None else acc + v
    return acc


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output length (PyTorch's 2-d op on an unsqueezed input)."""
    q = _output_size(input, output_size, 1, "adaptive_avg_pool1d")
    return _adaptive_avg(input.unsqueeze(-2), (1,) + q, 2).squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (``None`` keeps a dimension)."""
    return _adaptive_avg(input, output_size, 2)


@autocast_op("adaptive_avg_pool3d")
def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """3-D average pooling to a fixed output size."""
    return _adaptive_avg(input, output_size, 3)


# ------------------------------------------------------------------ flat-index scatter/gather
def flat_scatter_add(xp: Any, g: Any, flat: Any, S: tuple) -> Any:
    """Add ``g`` into a zero array of trailing shape ``S`` at flat per-plane positions."""
    d = len(S)
    lead = g.shape[:g.ndim - d]
    n = 1
    for v in S:
        n *= v
    rows = 1
    for v in lead:
        rows *= v
    per_row = math.prod(flat.shape[len(lead):])  # named, not -1: the batch may be empty
    idx = (xp.arange(rows, dtype="int64")[:, None] * n + flat.reshape(rows, per_row)).ravel()
    if g.dtype.kind == "f" and hasattr(xp, "bincount"):
        out = xp.bincount(idx, weights=g.reshape(-1), minlength=rows * n).astype(g.dtype)
    else:
        out = xp.zeros(rows * n, dtype=g.dtype)
        xp.add.at(out, idx, g.reshape(-1))
    return out.reshape(lead + tuple(S))


def flat_gather(xp: Any, gg: Any, flat: Any, d: int) -> Any:
    """Values of ``gg`` at flat per-plane positions ``flat`` (shaped ``lead + Q``)."""
    lead = gg.shape[:gg.ndim - d]
    src = gg.reshape(lead + (math.prod(gg.shape[len(lead):]),))  # sizes named: no -1 when empty
    q = flat.shape[len(lead):]
    if not src.shape[-1]:  # an empty unpooled plane: nothing flows back (PyTorch)
        return xp.zeros(flat.shape, dtype=gg.dtype)
    out = xp.take_along_axis(src, flat.reshape(lead + (math.prod(q),)), axis=-1)
    return out.reshape(lead + q)


def flat_put(xp: Any, v: Any, flat: Any, S: tuple) -> Any:
    """A zero array of trailing shape ``S`` with ``v`` put at flat per-plane positions."""
    d = len(S)
    lead = v.shape[:v.ndim - d]
    n = 1
    for s in S:
        n *= s
    out = xp.zeros(lead + (n,), dtype=v.dtype)
    m = math.prod(v.shape[len(lead):])  # named, not -1: the batch may be empty
    if not n:  # an empty output plane takes nothing (PyTorch skips the index check too)
        return out.reshape(lead + tuple(S))
    xp.put_along_axis(out, flat.reshape(lead + (m,)), v.reshape(lead + (m,)), axis=-1)
    return out.reshape(lead + tuple(S))


def _adaptive_max(input: Tensor, output_size: Any, return_indices: bool, d: int) -> Any:
    op = f"adaptive_max_pool{d}d"
    Q = _output_size(input, output_size, d, op)
    xp = input._device._backend.xp
    x = input._data
    if x.dtype.kind in "biuc":  # PyTorch's kernels take real floating types only
        raise _not_implemented("adaptive_max_pool3d_cpu" if d == 3 else "adaptive_max_pool2d",
                               x.dtype)
    S = x.shape[-d:]
    name = f"AdaptiveMaxPool{d}DBackward0"
    grad = grad_state.enabled and input._rg
    # PyTorch's 2-d kernel keeps channels-last (its 1-d op runs it on an unsqueezed input)
    fmt = cl_format(x) if d == 2 else cl_1d(input) if d == 1 else None
    if all(q > 0 and s % q == 0 for s, q in zip(S, Q)):  # a plain pool: strided slices
        k = tuple(s // q for s, q in zip(S, Q))
        geom = K.Geom(k, (1,) * d, (0,) * d, (0,) * d)
        slices = [x[(Ellipsis,) + K.window(kidx, Q, k, geom.dilation)] for kidx in K.offsets(k)]
        best = _running_max(xp, slices)
        idx = first_argmax(xp, slices, best) if grad or return_indices else None
        res = make(pool_laid(xp, best, fmt), input._device)
        if grad:
            record(name, res, (input,), lambda g, x: (adjoint_of(
                g, x, lambda xp, a: pool_laid(xp, max_scatter(xp, a, idx, k, Q, geom, S, True),
                                            fmt),
                lambda xp, a: max_gather(xp, a, idx, k, Q, geom), name.replace(
                    "Backward0", "BackwardBackward0"), name),), (input,))
        if return_indices:
            return res, make(pool_laid(xp, flat_indices(xp, idx, k, Q, geom, S), fmt),
                             input._device)
        return res
    taps = []
    for n, q in zip(S, Q):
        starts, ends = _bounds(n, q)
        T = max((b - a for a, b in zip(starts, ends)), default=1)
        taps.append([[min(a + j, b - 1) for a, b in zip(starts, ends)] for j in range(T)])
    flats, slices = [], []
    src = x.reshape(x.shape[:x.ndim - d] + (math.prod(S),))  # not -1: the batch may be empty
    for combo in itertools.product(*(range(len(t)) for t in taps)):
        f = None
        for t, j in enumerate(combo):
            shape = [1] * d
            shape[t] = Q[t]
            pos = xp.asarray(taps[t][j], dtype="int64").reshape(tuple(shape))
            f = pos if f is None else f * S[t] + pos
        f = xp.broadcast_to(f, Q)
        flats.append(f)
        slices.append(xp.take(src, f, axis=-1))
    best = _running_max(xp, slices)
    flat = None
    if grad or return_indices:
        idx = first_argmax(xp, slices, best)
        flat = xp.broadcast_to(flats[0], best.shape).copy()
        for j, f in enumerate(flats[1:], 1):
            flat = xp.where(idx == j, f, flat)
    res = make(pool_laid(xp, best, fmt), input._device)
    if grad:
        record(name, res, (input,), lambda g, x: (adjoint_of(
            g, x, lambda xp, a: pool_laid(xp, flat_scatter_add(xp, a, flat, S), fmt),
            lambda xp, a: flat_gather(xp, a, flat, d), name.replace(
                "Backward0", "BackwardBackward0"), name),), (input,))
    if return_indices:
        return res, make(pool_laid(xp, flat, fmt), input._device)
    return res


@quietly  # bfloat16 NaNs make NumPy warn in maximum; PyTorch is silent
def _running_max(xp: Any, slices: list) -> Any:
    if len(slices) == 1:
        return slices[0].copy()
    best = xp.maximum(slices[0], slices[1])
    for sl in slices[2:]:
        xp.maximum(best, sl, out=best)
    return best


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output length."""
    from .pooling import _squeezed

    return _squeezed(_adaptive_max(input, output_size, return_indices, 1))


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size; indices are flat per plane."""
    return _adaptive_max(input, output_size, return_indices, 2)


@autocast_op("adaptive_max_pool3d")
def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """3-D max pooling to a fixed output size."""
    return _adaptive_max(input, output_size, return_indices, 3)


# ------------------------------------------------------------------ lp pooling
def _lp_pool(input: Tensor, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool,
             d: int) -> Tensor:
    k = pool_tuple(kernel_size, d, "kernel_size", f"lp_pool{d}d")
    if isinstance(norm_type, (int, float)):
        if norm_type == 0:
            raise ValueError(f"norm_type must be a non-zero value, but got {norm_type}")
        if norm_type in (math.inf, -math.inf):  # the max (or min) of |x| over each window
            from . import pooling  # PyTorch returns the public max pool (its grad_fn)
            pool = getattr(pooling, f"max_pool{d}d")
            if norm_type > 0:
                return pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
            return -pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    y = _avg_pool(input.pow(norm_type), k, stride, 0, ceil_mode, True, None, d,
                  f"avg_pool{d}d")
    if d == 1 and isinstance(kernel_size, (tuple, list)):  # PyTorch multiplies by it
        raise TypeError("mul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(kernel_size).__name__}")
    n = 1
    for v in k:
        n *= v
    if input._rg and grad_state.enabled:  # PyTorch's formula: windows summing to 0 (or NaN)
        y = y.sign() * y.abs().relu()  # get a zero gradient through relu
    return (y * n).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: ``(sum x**p) ** (1/p)`` over each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """3-D power-average pooling."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


# ------------------------------------------------------------------ max unpooling
def _max_unpool(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any, padding: Any,
                output_size: Any, d: int) -> Tensor:
    op = f"max_unpool{d}d"
    k = pool_tuple(kernel_size, d, "kernel_size", op)
    s = pool_tuple(stride, d, "stride", op, default=k)
    p = pool_tuple(padding, d, "padding", op)
    x = input._data
    Q = x.shape[-d:]
    default = tuple((q - 1) * st - 2 * pp + kk for q, st, pp, kk in zip(Q, s, p, k))
    if output_size is None:
        S = default
    else:
        S = tuple(int(v) for v in output_size)
        if len(S) == d + 2:
            S, output_size = S[-d:], output_size[2:]
        if len(S) != d:
            raise ValueError(f"output_size should be a sequence containing {d} or {d + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for i, (v, df, st) in enumerate(zip(S, default, s)):
            if not df - st < v < df + st:
                raise ValueError(f"invalid output_size \"{output_size}\" (dim {i} must be "
                                 f"between {df - st} and {df + st})")
    _check_unpool_operands(x, indices, d)  # after the output_size words, as in PyTorch
    for i, v in enumerate(S):
        if v < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{i}]={v}")
    flat = indices._data
    n = 1
    for v in S:
        n *= v
    if n and flat.size and (int(flat.min()) < 0 or int(flat.max()) >= n):  # empty output: no check
        # PyTorch's kernel (one thread) keeps the last bad index it walks past
        xp = input._device._backend.xp
        v = flat.reshape(-1)
        bad = int(v[xp.flatnonzero((v < 0) | (v >= n))[-1]])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(str(v) for v in S)})")
    # PyTorch's 2-d kernel keeps a channels-last layout; both gradients are C order
    fmt = cl_format(x) if d == 2 else None
    return linear_op(input, lambda xp, a: laid_as(xp, flat_put(xp, a, flat, S), fmt),
                     lambda xp, g: c_order(xp, flat_gather(xp, g, flat, d)),
                     f"MaxUnpool{d}DBackward0")


def _check_unpool_operands(x: Any, indices: Tensor, d: int) -> None:
    """PyTorch's kernel checks: int64 indices (its 1-d op runs the 2-d kernel, whose words
    name the dtype), the indices' shape, a floating input, no empty non-batch dim."""
    if indices._data.dtype.name != "int64":
        got = "" if d == 3 else f" but got: {int_dtype_name(indices._data.dtype)}"
        raise RuntimeError(f"elements in indices should be type int64{got}")
    if indices._data.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if x.dtype.kind in "biu" and x.size:  # PyTorch's 1-d unpooling runs its 2-d kernel
        raise _not_implemented(f"max_unpool{max(d, 2)}d", x.dtype)
    if not x.size:
        _empty_unpool_input(x.shape, d)


def _empty_unpool_input(shape: tuple, d: int) -> None:
    """PyTorch's refusal of an empty non-batch dim (its 1-d op runs the 2-d kernel on an
    input unsqueezed last)."""
    shown = list(shape) + [1] if d == 1 else list(shape)
    start = 1 if len(shown) == max(d, 2) + 2 else 0
    bad = next((i for i in range(start, len(shown)) if shown[i] == 0), None)
    if bad is not None:
        raise RuntimeError(f"max_unpooling{max(d, 2)}d_forward_out_cpu(): Expected input to have "
                           f"non-zero size for non-batch dimensions, but got {shown} with "
                           f"dimension {bad} being empty.")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool1d``: values put back at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


@autocast_op("max_unpool2d")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool2d``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


@autocast_op("max_unpool3d")
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool3d``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


