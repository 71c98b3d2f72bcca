"""Scans along one dim: cumsum, cumprod, cummax/cummin, logcumsumexp, and diff."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from . import _inplace
from ._along_dim import (
    cast_for_dtype,
    cast_grad,
    cumsum_along,
    diff1,
    is_float,
    is_half,
    mask_of,
    moved_last,
    permute,
    scan,
    scatter,
    wrap,
)
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import (
    Tensor,
    grad_state,
    kind,
    methods,
    quiet,
    record,
    refuse_shell_uint,
    reshape,
    wrap_dim,
)
from ._inplace import write_out, writes_out

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"]

_isinstance = isinstance
_NO_DIM: Any = object()  # a scan's ``dim`` left out: PyTorch's parser requires it


def _dim_given(dim: Any, op: str) -> None:
    if dim is _NO_DIM:
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')


def _out_dtype(dtype: Any, out: Any) -> Any:
    """The dtype a scan or reduction computes in: ``dtype=``, else an ``out=``'s (PyTorch casts
    the input to it first: a float cumsum into an int64 out sums the truncated values)."""
    return out.dtype if dtype is None and out is not None else dtype


def _prep(input: Tensor, dim: int, op: str, dtype: Any) -> tuple[Any, int]:
    """The input array (as a 1-element vector when 0-d), cast for ``dtype=``, and the dim."""
    _dim_given(dim, op)
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor(op, input) from None
    d = wrap_dim(dim, x.ndim, op)
    be = input._device._backend
    if dtype is not None:
        x = cast_for_dtype(be, x, dtype)
        if kind(x) == "b":
            raise NotImplementedError(f"\"{op}_out_cpu\" not implemented for 'Bool'")
    elif kind(x) in "bui":
        x = be.astype(x, _dt.int64)
    return (x if x.ndim else be.reshape(x, (1,))), d


def _accumulate(xp: Any, fn: str, x: Any, d: int, shape: tuple) -> Any:
    """``cumsum``/``cumprod`` along ``d``; half precision accumulates in float32 and, on the
    CPU as in PyTorch's kernel, float32 (complex64) in double precision."""
    if is_half(x.dtype):
        return quiet(lambda: getattr(xp, fn)(x.astype("float32"), axis=d).astype(
            x.dtype)).reshape(shape)  # (overflow in the cast: inf, with no NumPy warning)
    if xp is np and (x.dtype == np.float32 or x.dtype == np.complex64):
        wide = np.float64 if x.dtype == np.float32 else np.complex128
        return quiet(lambda: getattr(np, fn)(x, axis=d, dtype=wide).astype(
            x.dtype)).reshape(shape)
    kernel = getattr(xp, fn, None) or getattr(xp, _ARRAY_API_SCANS[fn])
    if kind(x) in "iu":  # an integer type stays itself (NumPy would widen the small ones)
        return reshape(xp, quiet(lambda: kernel(x, axis=d, dtype=x.dtype)), shape)
    return reshape(xp, quiet(lambda: kernel(x, axis=d)), shape)


_ARRAY_API_SCANS = {"cumsum": "cumulative_sum", "cumprod": "cumulative_prod"}


@autocast_op("cumsum")
def cumsum(input: Tensor, dim: int = _NO_DIM, *, dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """Running sum along ``dim``; integers and bools accumulate as int64."""
    x, d = _prep(input, dim, "cumsum", _out_dtype(dtype, out))
    xp = input._device._backend.xp
    r = c_order(xp, _accumulate(xp, "cumsum", x, d, input._data.shape))  # PyTorch's is dense
    if kind(r) in "fcV":
        r = r + xp.asarray(0, dtype=r.dtype)  # PyTorch's sums start from +0: -0.0 becomes 0.0
    res = wrap(r, input)
    if grad_state.enabled and input._rg:
        dt, nd = input._data.dtype, input._data.ndim

        def vjp(g: Tensor) -> tuple:
            if not nd:
                return (cast_grad(g, dt),)
            return (cast_grad(cumsum_along(g, d, reverse=True), dt),)

        _inplace.check_grad_dtype(res)
        record("CumsumBackward0", res, (input,), vjp)
    return write_out(res, out)


@autocast_op("cumprod")
def cumprod(input: Tensor, dim: int = _NO_DIM, *, dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """Running product along ``dim``; integers and bools accumulate as int64."""
    x, d = _prep(input, dim, "cumprod", _out_dtype(dtype, out))
    xp = input._device._backend.xp
    res = wrap(c_order(xp, _accumulate(xp, "cumprod", x, d, input._data.shape)), input)
    if grad_state.enabled and input._rg:
        dt = input._data.dtype

        def vjp(g: Tensor, xin: Tensor, r: Tensor) -> tuple:
            if not xin._data.ndim or not xin._data.size:
                return (cast_grad(g, dt),)
            if kind(xin._data) == "c":  # the partial products, conjugated
                xin, r = xin.conj(), r.conj()
            return (_cumprod_grad(cast_grad(g, dt), xin, cast_grad(r, dt), d),)

        _inplace.check_grad_dtype(res)
        record("CumprodBackward0", res, (input,), vjp, (input, res))
    return write_out(res, out)


def _cumprod_grad(g: Tensor, x: Tensor, r: Tensor, d: int) -> Tensor:
    """grad_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j, in O(n) also when some x_j are zero."""
    xp = x._device._backend.xp
    xa = x._data
    zero = xa == 0
    if not bool(xp.any(zero)):
        return cumsum_along(g * r, d, reverse=True) / x
    if grad_state.enabled:  # create_graph: the O(n^2) form, exact to every order
        return _cumprod_grad_exact(g, x, d)
    nz = xp.cumsum(zero, axis=d)
    before = nz == 0  # positions before the first zero of their slice
    first = zero & (nz == 1)
    # before the first zero: the usual formula, with the later zeros making out_k = 0
    xs = x * mask_of(before, x) + mask_of(~before, x)
    a = cumsum_along(g * r, d, reverse=True) / xs * mask_of(before, x)
    # at the first zero: the products skip it, so cumprod with that zero set to one
    y = x * mask_of(~first, x) + mask_of(first, x)
    cp = cumprod(y, d)
    b = cumsum_along(g * cp * mask_of(~before, x), d, reverse=True) * mask_of(first, x)
    return a + b


def _cumprod_grad_exact(g: Tensor, x: Tensor, d: int) -> Tensor:
    """grad_i = sum_k g_k [k >= i] cumprod_k(x with x_i set to 1), on an (n, n) grid."""
    xp = x._device._backend.xp
    perm, inv = moved_last(x._data.ndim, d)
    xl, gl = permute(x, perm), permute(g, perm)
    lead, n = xl._data.shape[:-1], xl._data.shape[-1]
    eye = xp.eye(n, dtype=x._data.dtype)
    y = xl.reshape(lead + (1, n)) * wrap(1 - eye, x) + wrap(eye, x)
    m = cumprod(y, -1)
    tri = wrap(xp.triu(xp.ones((n, n), dtype=x._data.dtype)), x)
    return permute((gl.reshape(lead + (1, n)) * m * tri).sum(-1), inv)


def _scalar_type_error(expected: Any, got: Any, i: int) -> RuntimeError:
    """cummax/cummin's refusal of an ``out=`` tensor of another dtype than its result."""
    return RuntimeError(f"expected scalar_type {_inplace._type_name(expected)} but found "
                        f"{_inplace._type_name(got)}")


@writes_out("cummax", exact=_scalar_type_error)
def cummax(input: Tensor, dim: int = _NO_DIM) -> Any:
    """Running maximum along ``dim`` and the index where it was (last) reached."""
    return _cumext(input, dim, "cummax")


@writes_out("cummin", exact=_scalar_type_error)
def cummin(input: Tensor, dim: int = _NO_DIM) -> Any:
    """Running minimum along ``dim`` and the index where it was (last) reached."""
    return _cumext(input, dim, "cummin")


def _cumext(input: Tensor, dim: int, op: str) -> Any:
    _dim_given(dim, op)
    xa = input._data
    if not xa.ndim and dim not in (-1, 0):
        raise IndexError(f"{op}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    d = wrap_dim(dim, xa.ndim, op)
    refuse_shell_uint(f"{op}_cpu", xa)
    if kind(xa) == "c" and xa.ndim and xa.size:
        raise NotImplementedError(
            f"\"{op}_cpu\" not implemented for '{_inplace._type_name(xa.dtype)}'")
    x = xa if xa.ndim else xa.reshape(1)
    xp = input._device._backend.xp
    vals = scan(xp, x, d, "maximum" if op == "cummax" else "minimum")
    n = x.shape[d]
    view = [1] * x.ndim
    view[d] = n
    pos = xp.arange(n, dtype="int64").reshape(view)
    hit = x == vals  # ties move the index forward, a NaN holds it until the next NaN
    if is_float(x.dtype):
        hit = hit | xp.isnan(x)
    idx = scan(xp, xp.where(hit, pos, 0), d, "maximum") if x.size else \
        xp.zeros(x.shape, dtype="int64")
    if is_float(x.dtype) and x.size:  # the element at the index: the last of tied -0 and 0
        vals = xp.take_along_axis(x, idx, axis=d)
    values = wrap(c_order(xp, vals.reshape(xa.shape)), input)  # PyTorch's scans are C-ordered
    indices = wrap(c_order(xp, idx.astype("int64").reshape(xa.shape)), input)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, _self: Tensor, _indices: Tensor) -> tuple:
            if not xa.ndim:
                return (g,)
            return (scatter(g, d, idx, x.shape, accumulate=True),)

        # PyTorch's node saves self and indices: an in-place change to either fails the backward
        record("CummaxBackward0" if op == "cummax" else "CumminBackward0", values, (input,), vjp,
               (input, indices))
    return (_rt.cummax if op == "cummax" else _rt.cummin)((values, indices))


def logcumsumexp(input: Tensor, dim: int = _NO_DIM, *, out: Tensor | None = None) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably."""
    _dim_given(dim, "logcumsumexp")
    xa = input._data
    d = wrap_dim(dim, xa.ndim, "logcumsumexp")
    if not is_float(xa.dtype):
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_inplace._type_name(xa.dtype)}'")
    x = xa if xa.ndim else xa.reshape(1)
    xp = input._device._backend.xp
    if kind(xa) == "c":  # log(cumsum(exp(x - m))) + m, shifted by the largest real part
        m = xp.max(xp.real(x), axis=d, keepdims=True) if x.size else 0
        m = xp.where(xp.isfinite(m), m, 0).astype(x.dtype) if x.size else 0
        r = quiet(lambda: xp.log(xp.cumsum(xp.exp(x - m), axis=d)) + m)
        res = wrap(c_order(xp, r.reshape(xa.shape)), input)
    else:  # half precision runs in float32 and rounds once, as PyTorch's
        r = scan(xp, x.astype("float32") if is_half(x.dtype) else x, d, "logaddexp")
        res = wrap(c_order(xp, r.astype(x.dtype, copy=False).reshape(xa.shape)), input)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, xin: Tensor, r: Tensor) -> tuple:
            if not xa.ndim:
                return (g,)
            return (_logcumsumexp_grad(g, xin, r, d),)

        record("LogcumsumexpBackward0", res, (input,), vjp, (input, res))
    return write_out(res, out)


def _logcumsumexp_grad(g: Tensor, x: Tensor, r: Tensor, d: int) -> Tensor:
    """grad_i = sum_{k>=i} g_k exp(x_i - r_k), split by the sign of g to stay in log space."""
    from ._along_dim import flip

    ga = g._data
    low = _lowest(x._data.dtype)

    def log_part(mask: Any) -> Tensor:
        m = mask_of(mask, g)
        gs = g * mask_of(_sign(ga), g)  # |g|
        return (gs * m + (1 - m)).log() + (1 - m) * low

    def rev_lcse(t: Tensor) -> Tensor:
        return flip(logcumsumexp(flip(t, d), d), d)

    if kind(ga) == "c":  # no sign split: the log of conj(g), conjugated back (PyTorch's formula)
        return quiet(lambda: (rev_lcse(g.conj().log() - r) + x).exp().conj())
    pos = (rev_lcse(log_part(ga > 0) - r) + x).exp()
    neg = (rev_lcse(log_part(ga < 0) - r) + x).exp()
    return pos - neg


def _lowest(npd: Any) -> float:
    import numpy as np

    try:
        return float(np.finfo(npd).min)
    except ValueError:  # bfloat16 (ml_dtypes)
        return -3.3895313892515355e38


def _sign(a: Any) -> Any:
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


@writes_out("diff")
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (after joining ``prepend``/``append``)."""
    xa = input._data
    if xa.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, xa.ndim, "diff")
    x = input
    if prepend is not None or append is not None:
        _check_joined(xa.shape, prepend, append, d)
        if n == 0:  # PyTorch: order 0 is a copy of input alone (CopyBackwards)
            return _copy0(input)
        x = _join(input, prepend, append, d)
    elif n == 0:
        return _copy0(input)
    if kind(x._data) == "b":
        xp = input._device._backend.xp
        a = x._data
        for _ in range(n):
            a = xp.diff(a, axis=d)
        return wrap(a, input)
    for _ in range(n):
        if x._data.shape[d] == 0:
            break
        x = diff1(x, d)
    return x


def _copy0(input: Tensor) -> Tensor:
    """diff of order 0: a fresh copy of ``input`` (PyTorch's ``empty_like(x).copy_(x)``)."""
    from .creation import empty_like

    return empty_like(input).copy_(input)


def _check_joined(shape: tuple, prepend: Any, append: Any, d: int) -> None:
    """PyTorch's diff checks: prepend/append are tensors of input's rank and of its shape off
    ``dim``."""
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not _isinstance(t, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t.ndim != len(shape):
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i, (a, b) in enumerate(zip(shape, t.shape)):
            if i != d and a != b:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    "input except along the differencing dimension; input.size("
                    f"{i}) = {a}, but got tensor.size({i}) = {b}")


def _join(input: Tensor, prepend: Any, append: Any, d: int) -> Tensor:
    from . import shape as _shape

    parts = []
    for t in (prepend, input, append):
        if t is None:
            continue
        if not _isinstance(t, Tensor):
            t = wrap(input._device._backend.xp.asarray(t, dtype=input._data.dtype), input)
        if t._data.ndim == 0:  # a scalar joins as a slice of size 1 along dim
            shp = list(input._data.shape)
            shp[d] = 1
            t = t.expand(tuple(shp))
        parts.append(t)
    cat = getattr(_shape, "cat", None)
    if cat is not None:
        return cat(parts, d)
    xp = input._device._backend.xp
    if any(p._rg for p in parts) and grad_state.enabled:
        raise RuntimeError("diff: prepend/append with gradients needs ember.cat")
    return wrap(xp.concatenate([p._data for p in parts], axis=d), input)


def cumsum_(self: Tensor, dim: int = _NO_DIM, *, dtype: Any = None) -> Tensor:
    _dim_given(dim, "cumsum_")
    return _inplace.commit(self, cumsum(self, dim, dtype=dtype), "cumsum_")


def cumprod_(self: Tensor, dim: int = _NO_DIM, *, dtype: Any = None) -> Tensor:
    _dim_given(dim, "cumprod_")
    return _inplace.commit(self, cumprod(self, dim, dtype=dtype), "cumprod_")


methods(cumsum=cumsum, cumprod=cumprod, cummax=cummax, cummin=cummin, logcumsumexp=logcumsumexp,
        diff=diff, cumsum_=cumsum_, cumprod_=cumprod_)
