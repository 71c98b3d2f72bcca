"""Shared kernels math for the nn-facing ops (activations, norms, losses, attention).

Derivatives are written once over a small namespace ``m`` and evaluated two ways:
on backend arrays (``arrays(xp)``: a plain backward, no graph, fused NumPy calls) or on
Ember tensors (``tensors()``: under ``create_graph=True``, so higher derivatives work).
``grad_of`` picks the one the engine's grad mode asks for.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ._along_dim import is_half, mean_array
from ._cascade_sum import cascade_sum
from ._dispatch import Tensor, grad_state, make, quiet, quietly
from ._torch_cpu import half_vector_width

__all__ = ["arrays", "tensors", "grad_of", "const", "erf_array", "log_softmax_array",
           "lane_sum", "row_sum", "softmax_last",
           "reduction_enum", "reduce_array", "float_input", "int_dtype_name"]

_SQRPI = 5.6418958354775628695e-1  # 1/sqrt(pi)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)


# a single-precision rational approximation of erf on [-4, 4] (odd / even polynomials)
_ERF32_P = (-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
            -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08,
            -2.72614225801306e-10)
_ERF32_Q = (-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
            -2.13374055278905e-04, -1.45660718464996e-05)


def _erf_float32(xp: Any, x: Any) -> Any:
    """erf in float32 without branches (error below 5e-7)."""
    x = xp.clip(x, -4.0, 4.0)
    x2 = x * x
    p = x2 * _ERF32_P[6] + _ERF32_P[5]
    for c in _ERF32_P[4::-1]:
        p = p * x2 + c
    q = x2 * _ERF32_Q[4] + _ERF32_Q[3]
    for c in _ERF32_Q[2::-1]:
        q = q * x2 + c
    return x * p / q


def erf_array(xp: Any, x: Any) -> Any:
    """erf of an array: W. J. Cody's rational approximations in float64, a single-precision
    rational approximation for float32 and narrower types."""
    dt = x.dtype
    if dt != "float64":
        r = _erf_float32(xp, x.astype("float32", copy=False))
        return r if dt == "float32" else r.astype(dt)
    x = xp.astype(x, "float64") if dt != "float64" else x
    y = xp.minimum(xp.abs(x), 40.0)  # erfc underflows long before 40; keeps inf finite
    # |x| <= 0.5: erf directly
    ysq = y * y
    num, den = _A[4] * ysq, ysq
    for i in range(3):
        num, den = (num + _A[i]) * ysq, (den + _B[i]) * ysq
    small = x * (num + _A[3]) / (den + _B[3])
    # 0.5 < |x| <= 4 and |x| > 4: erfc, then erf = 1 - erfc
    num, den = _C[8] * y, y
    for i in range(7):
        num, den = (num + _C[i]) * y, (den + _D[i]) * y
    mid = (num + _C[7]) / (den + _D[7])
    with_inv = xp.where(y > 4.0, y, 4.0)
    isq = 1.0 / (with_inv * with_inv)
    num, den = _P[5] * isq, isq
    for i in range(4):
        num, den = (num + _P[i]) * isq, (den + _Q[i]) * isq
    big = (_SQRPI - isq * (num + _P[4]) / (den + _Q[4])) / with_inv
    erfc = xp.where(y > 4.0, big, mid)
    t = xp.trunc(y * 16.0) / 16.0
    erfc = xp.exp(-t * t) * xp.exp(-(y - t) * (y + t)) * erfc
    large = xp.copysign(0.5 - erfc + 0.5, x)
    out = xp.where(y <= 0.5, small, large)
    out = xp.where(xp.isnan(x), x, out)
    return xp.astype(out, dt) if dt != "float64" else out


class _ArrayMath:
    """The namespace ``m`` over backend arrays."""

    tensor = False

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        for name in ("exp", "log", "log1p", "expm1", "tanh", "where", "maximum", "minimum",
                     "abs", "sign", "sqrt", "matmul", "conj"):
            setattr(self, name, getattr(xp, name))

    def erf(self, x: Any) -> Any:
        return erf_array(self.xp, x)

    def sigmoid(self, x: Any) -> Any:
        return 1.0 / (1.0 + self.xp.exp(-x))  # exp overflows to inf where the result is 0

    def softplus(self, x: Any) -> Any:
        xp = self.xp
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def clamp(self, x: Any, lo: Any = None, hi: Any = None) -> Any:
        return self.xp.clip(x, lo, hi)

    def sum(self, x: Any, dims: Any = None, keepdim: bool = False) -> Any:
        if is_half(x.dtype):  # PyTorch accumulates half precision in float32, rounds once
            return self.xp.sum(x, axis=dims, keepdims=keepdim, dtype="float32").astype(x.dtype)
        return self.xp.sum(x, axis=dims, keepdims=keepdim)

    def mean(self, x: Any, dims: Any = None, keepdim: bool = False) -> Any:
        if is_half(x.dtype):
            return self.xp.mean(x, axis=dims, keepdims=keepdim, dtype="float32").astype(x.dtype)
        return self.xp.mean(x, axis=dims, keepdims=keepdim)

    def rsqrt(self, x: Any) -> Any:
        return 1.0 / self.xp.sqrt(x)

    def mT(self, x: Any) -> Any:  # noqa: N802
        return self.xp.swapaxes(x, -1, -2)

    def softmax(self, x: Any, dim: int) -> Any:
        xp = self.xp
        e = xp.exp(x - xp.max(x, axis=dim, keepdims=True))
        return e / xp.sum(e, axis=dim, keepdims=True)

    def cast(self, x: Any, like: Any) -> Any:
        return x.astype(like.dtype, copy=False) if hasattr(x, "astype") else x


class _TensorMath:
    """The namespace ``m`` over Ember tensors (differentiable; used under create_graph)."""

    tensor = True

    def __getattr__(self, name: str) -> Callable:
        from .. import ops  # every op family is loaded by the time a backward runs

        fn = getattr(ops, name)
        setattr(self, name, fn)
        return fn

    def clamp(self, x: Any, lo: Any = None, hi: Any = None) -> Any:
        return x.clamp(lo, hi)

    def maximum(self, a: Any, b: Any) -> Any:
        if not isinstance(b, Tensor):
            return a.clamp(min=b)
        if not isinstance(a, Tensor):
            return b.clamp(min=a)
        return _op("maximum")(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        if not isinstance(b, Tensor):
            return a.clamp(max=b)
        if not isinstance(a, Tensor):
            return b.clamp(max=a)
        return _op("minimum")(a, b)

    def sum(self, x: Any, dims: Any = None, keepdim: bool = False) -> Any:
        return x.sum(dims, keepdim=keepdim) if dims is not None else x.sum()

    def mean(self, x: Any, dims: Any = None, keepdim: bool = False) -> Any:
        return x.mean(dims, keepdim=keepdim) if dims is not None else x.mean()

    def rsqrt(self, x: Any) -> Any:
        return x.rsqrt()

    def mT(self, x: Any) -> Any:  # noqa: N802
        return x.transpose(-1, -2)

    def softplus(self, x: Any) -> Any:
        # smooth at 0: max(x, 0) + log1p(exp(-|x|)) has a kink in each of its pieces there,
        # and the pieces' one-sided gradients do not add up to softplus'(0) = 1/2
        return _op("where")(x > 20.0, x, x.clamp(max=20.0).exp().log1p())

    def softmax(self, x: Any, dim: int) -> Any:
        return x.softmax(dim)

    def cast(self, x: Any, like: Any) -> Any:
        return x


def _op(name: str) -> Callable:
    from .. import ops

    return getattr(ops, name)


@functools.cache
def arrays(xp: Any) -> _ArrayMath:
    return _ArrayMath(xp)


_tensor_math = _TensorMath()


def tensors() -> _TensorMath:
    return _tensor_math


def const(arr: Any, like: Tensor) -> Tensor:
    """A graph-free tensor on ``like``'s device (masks and other constants of a backward)."""
    if not hasattr(arr, "shape"):
        arr = like._device._backend.xp.asarray(arr)
    return make(arr, like._device)


def grad_of(fn: Callable, like: Tensor, *args: Any) -> Any:
    """``fn(m, *args)`` on arrays in a plain backward, on tensors under create_graph.

    ``args`` are tensors, Python numbers or None; array results come back as tensors on
    ``like``'s device (a tuple result as a tuple, None entries kept).
    """
    if grad_state.enabled:
        return fn(_tensor_math, *args)
    m = arrays(like._device._backend.xp)
    r = fn(m, *(a._data if isinstance(a, Tensor) else a for a in args))
    if isinstance(r, tuple):
        return tuple(None if v is None else _wrap(m, v, like) for v in r)
    return _wrap(m, r, like)


def _wrap(m: _ArrayMath, r: Any, like: Tensor) -> Tensor:
    return make(r if r.__class__ is like._device._backend.ndarray else m.xp.asarray(r),
                like._device)


# Row-wise reductions along a short last axis are slow in NumPy (a loop per row), while a
# matrix-vector product with ones is fast (``row_sum``). Softmax follows PyTorch's kernels
# instead: each row shifted by its own maximum and its exponentials added in vector lanes
# (``lane_sum``), so that the results are PyTorch's to the last bit (but for exp and log).
_BLAS_FLOATS = frozenset({"float32", "float64"})
_ones_cache: dict = {}


def _ones_column(xp: Any, n: int, dtype: Any) -> Any:
    key = (n, dtype)
    col = _ones_cache.get(key)
    if col is None:
        if len(_ones_cache) > 64:
            _ones_cache.clear()
        col = _ones_cache[key] = xp.ones((n, 1), dtype=dtype)
    return col


def _blas_rows(xp: Any, x: Any) -> bool:
    return (xp.__name__ == "numpy" and x.dtype.name in _BLAS_FLOATS and x.ndim >= 1
            and x.size > 0 and (x.ndim <= 2 or x.flags.c_contiguous))


def row_sum(xp: Any, x: Any) -> Any:
    """The sums of ``x`` over its last axis, kept as a size-1 axis."""
    if not _blas_rows(xp, x):
        return xp.sum(x, axis=-1, keepdims=True)
    n = x.shape[-1]
    ones = _ones_column(xp, n, x.dtype)
    if x.ndim <= 2:
        return quiet(xp.matmul, x, ones)  # an inf or NaN row warns in NumPy's matmul
    return quiet(xp.matmul, x.reshape(-1, n), ones).reshape(x.shape[:-1] + (1,))


def _shift_of(xp: Any, x: Any) -> Any:
    """The global maximum of ``x`` when the fast row-wise path may use it, else None."""
    if not _blas_rows(xp, x):
        return None
    mx = x.max()
    return mx if math.isfinite(float(mx)) else None


def _lanes(x: Any) -> int:
    """Elements of one vector of PyTorch's softmax kernels for ``x``'s dtype (16 float32 or 8
    float64 lanes where it runs AVX512, else 8 and 4)."""
    return half_vector_width() // (2 if x.dtype.itemsize == 4 else 4)


def lane_sum(xp: Any, e: Any) -> Any:
    """Sums over the last axis of a C-contiguous float32/float64 ``e``, kept as a size-1 axis,
    added as PyTorch's ``vec::reduce_all``: whole vectors into lanes in order, the tail into
    the first lanes, then the lanes folded in halves (float32's shuffles) or one by one
    (float64); a row shorter than a vector is added element by element."""
    shape = e.shape
    n = shape[-1]
    e = e.reshape(-1, n)
    lanes = _lanes(e)
    if n < lanes:
        acc = e[:, 0].copy()
        for i in range(1, n):
            acc += e[:, i]
        return acc.reshape(shape[:-1] + (1,))
    m = n // lanes
    if m <= 4:  # few vectors: one add per vector
        acc = e[:, :lanes].copy()
        for k in range(lanes, m * lanes, lanes):
            acc += e[:, k:k + lanes]
    else:  # vectors first: NumPy adds down a leading axis in order, in long inner loops
        v = xp.ascontiguousarray(e[:, :m * lanes].reshape(-1, m, lanes).transpose(1, 0, 2))
        acc = xp.add.reduce(v, axis=0)
    if n > m * lanes:
        acc[:, :n - m * lanes] += e[:, m * lanes:]
    if e.dtype.itemsize == 4:
        while lanes > 1:
            lanes //= 2
            acc = acc[:, :lanes] + acc[:, lanes:]
        tot = acc
    else:
        tot = acc[:, :1].copy()
        for i in range(1, lanes):
            tot += acc[:, i:i + 1]
    return tot.reshape(shape[:-1] + (1,))


def _row_max(xp: Any, x: Any) -> Any:
    """Each row's maximum over the last axis, kept as a size-1 axis (short rows column by
    column: NumPy's reduction loops per row)."""
    n = x.shape[-1]
    if n >= 24:
        return xp.max(x, axis=-1, keepdims=True)
    x2 = x.reshape(-1, n)
    mx = x2[:, :1].copy()
    for i in range(1, n):
        xp.maximum(mx, x2[:, i:i + 1], out=mx)
    return mx.reshape(x.shape[:-1] + (1,))


def softmax_last(xp: Any, x: Any, exact: Callable) -> Any:
    """Softmax over the last axis in PyTorch's order (``exp(x - row max)`` times 1 / the
    vector-lane sum); ``exact(xp, x)`` handles the arrays that order is not followed for."""
    if not _blas_rows(xp, x):
        return exact(xp, x)
    mx = _row_max(xp, x)
    e = xp.subtract(x, mx)
    xp.exp(e, out=e)
    tot = lane_sum(xp, e)
    e *= xp.divide(1, tot, out=tot)  # PyTorch's last-dim kernel: times 1/sum
    bad = ~xp.isfinite(mx)
    if bad.any():  # rows with an infinite (or NaN) maximum: as ``exact`` gives them
        e = xp.where(bad, exact(xp, x), e)
    return e


@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def log_softmax_array(xp: Any, x: Any, dim: int) -> Any:
    """A stable log-softmax over ``dim`` of an array; over the last axis in PyTorch's order
    (``x - row max - log(vector-lane sum of exponentials)``)."""
    if x.size == 0:
        return x.copy()
    if (dim == x.ndim - 1 or dim == -1) and _blas_rows(xp, x):
        mx = _row_max(xp, x)
        z = xp.subtract(x, xp.where(mx == -xp.inf, 0, mx))  # a +inf maximum gives NaN
        tot = lane_sum(xp, xp.exp(z))
        z -= xp.log(tot, out=tot)
        return z
    mx = xp.max(x, axis=dim, keepdims=True)
    z = x - xp.where(mx == -xp.inf, 0, mx)  # a +inf maximum gives NaN, as in PyTorch
    return z - xp.log(xp.sum(xp.exp(z), axis=dim, keepdims=True))


def log_softmax_half(xp: Any, x32: Any, dim: int, half: Any) -> Any:
    """Log-softmax of a float16/bfloat16 input (given as float32) in ``half``, rounded as
    PyTorch's CPU kernels round: along the last dimension the sum of exponentials and its
    logarithm are each stored in the half type before ``x - max - log``; along any other
    dimension the float32 result is rounded once."""
    if x32.size == 0 or dim not in (-1, x32.ndim - 1):
        return log_softmax_array(xp, x32, dim).astype(half)
    mx = xp.max(x32, axis=-1, keepdims=True)
    z = x32 - xp.where(mx == -xp.inf, 0, mx)
    tot = xp.sum(xp.exp(z), axis=-1, keepdims=True).astype(half).astype(x32.dtype)
    return (z - xp.log(tot).astype(half).astype(x32.dtype)).astype(half)


def nll_sum_half(xp: Any, per: Any, keep: Any, half: Any) -> Any:
    """Sum the per-row terms ``per`` (float32, rows where ``keep`` is False add nothing) as
    PyTorch's CPU ``nll_loss`` does for float16/bfloat16: in the half type, in a cascade of
    8 levels of partial sums, each add rounded.

    Level 0 adds the rows one by one; a kept row whose position is a multiple of
    ``step`` (16, more for huge batches) hands level 0's sum up to level 1 after adding
    itself, and a multiple of ``step**2`` then hands level 1's sum on, and so on (row 0 goes
    up alone, to the top). The levels' sums are added in order at the end. The adds are
    sequential, so each level loops over the position within its runs (at most ``step``
    long unless ignored rows merge runs), vectorized over the runs.
    """
    f = per.dtype
    n = per.shape[0]
    levels = 8
    step = 1 << max(4, (int(n - 1).bit_length() if n > 1 else 0) // levels)
    pos = xp.nonzero(keep)[0]
    vals = per[pos].astype(half).astype(f)
    left = []
    span = 1
    for level in range(levels):
        span *= step
        close = (pos % span == 0) if level < levels - 1 else xp.zeros(pos.shape, dtype=bool)
        run = xp.cumsum(close) - close
        sums = _run_sums(xp, vals, run, half)
        shut = int(close.sum())
        left.append(sums[shut] if sums.shape[0] > shut else xp.zeros((), dtype=f))
        vals, pos = sums[:shut], pos[close]
    out = xp.zeros((), dtype=f)
    for v in left:
        out = (out + v).astype(half).astype(f)
    return out


def nll_sum(xp: Any, per: Any, keep: Any) -> Any:
    """Sum float32/float64 per-row terms as PyTorch's CPU ``nll_loss`` does: the cascade of
    ``nll_sum_half`` with each add in ``per``'s own dtype. With no ignored row the kept
    positions at every level are 0, 1, 2, ...: element 0 goes up alone, then each full run
    of ``step`` (summed left to right by a cumulative sum) goes up, and a partial tail stays."""
    n = per.shape[0]
    if not bool(keep.all()):
        return nll_sum_half(xp, per, keep, per.dtype)
    step = 1 << max(4, (int(n - 1).bit_length() if n > 1 else 0) // 8)
    out = xp.zeros((), dtype=per.dtype)
    vals = per
    for _ in range(7):
        if vals.shape[0] <= 1:
            break
        rest = vals[1:]
        full = rest.shape[0] // step * step
        if full < rest.shape[0]:  # the open run stays at this level
            out = out + xp.cumsum(rest[full:])[-1]
        sums = xp.cumsum(rest[:full].reshape(-1, step), axis=1)[:, -1]
        vals = xp.concatenate((vals[:1], sums))
    if vals.shape[0]:  # the top level's run, summed left to right, added last
        out = out + xp.cumsum(vals)[-1]
    return out


def _run_sums(xp: Any, vals: Any, run: Any, half: Any) -> Any:
    """Per-run sums of ``vals`` (``run`` non-decreasing from 0), added left to right with
    each partial sum rounded to ``half``."""
    if vals.size == 0:
        return vals[:0]
    count = int(run[-1]) + 1
    starts = xp.searchsorted(run, xp.arange(count))
    lengths = xp.diff(xp.append(starts, vals.shape[0]))
    acc = xp.zeros(count, dtype=vals.dtype)
    for k in range(int(lengths.max())):
        m = lengths > k
        acc[m] = (acc[m] + vals[starts[m] + k]).astype(half).astype(vals.dtype)
    return acc


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2, "batchmean": 3}


def reduction_enum(reduction: Any, op: str = "loss") -> int:
    """0/1/2 (and 3 for 'batchmean') from a reduction name or PyTorch's enum value."""
    if isinstance(reduction, int) and not isinstance(reduction, bool):
        if reduction in (0, 1, 2):
            return reduction
    else:
        r = _REDUCTIONS.get(reduction)
        if r is not None:
            return r
    raise ValueError(f"{reduction} is not a valid value for reduction")


def reduce_array(xp: Any, loss: Any, red: int) -> Any:
    """A loss's 'sum' (2) or 'mean' (1) reduction, or itself (0); half-precision losses are
    summed in float32 and rounded once, as PyTorch's CPU reductions accumulate."""
    if red == 0:
        return xp.asarray(loss)  # NumPy gives a scalar for a 0-d elementwise result
    if red == 1:  # PyTorch's ``loss.mean()``: its sum's order, then / numel
        return mean_array(xp, loss, tuple(range(loss.ndim)), False) if loss.size else \
            xp.asarray(math.nan, dtype=loss.dtype)
    r = cascade_sum(loss, tuple(range(loss.ndim)), False) if loss.dtype.itemsize > 2 else None
    if r is None:  # (half precision: summed in float32 and rounded once)
        r = xp.sum(loss, dtype=xp.float32 if loss.dtype.itemsize == 2 else None)
    return xp.asarray(r, dtype=loss.dtype)


def float_input(t: Tensor, op: str) -> Any:
    """The array of a floating input; integer inputs raise PyTorch's not-implemented error
    (naming PyTorch's CPU kernel for ``op``)."""
    x = t._data
    if (x.dtype.kind not in "fc" and t.dtype.name != "bfloat16") or (
            x.dtype.kind == "c" and op in _REAL_KERNELS):
        raise NotImplementedError(
            f'"{_KERNELS.get(op, op)}" not implemented for \'{int_dtype_name(x.dtype)}\'')
    return x


# the CPU kernels behind PyTorch's refusals, where their names differ from the op's
_KERNELS = {n: n + "_cpu" for n in ("hardsigmoid", "hardswish", "mish", "silu", "softplus",
                                     "leaky_relu", "hardshrink", "glu", "prelu")}
_KERNELS.update({"softshrink": "softshrink_check", "log_sigmoid_forward": "log_sigmoid_cpu",
                 "rrelu_with_noise": "leaky_relu_cpu", "softsign": "abs_cpu",
                 "rrelu_with_noise_train": "rrelu_with_noise_out_cpu",
                 "layer_norm": "LayerNormKernelImpl", "group_norm": "GroupNormKernelImpl",
                 "batch_norm": "batch_norm", "instance_norm": "batch_norm"})
_REAL_KERNELS = frozenset(_KERNELS) - {"silu", "softsign"}  # no complex types either


def int_dtype_name(npd: Any) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}.get(str(npd), str(npd))
