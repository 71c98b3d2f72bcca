"""Reductions over dims (int or tuple, keepdim, dtype=): sums, products, extremes, moments,
norms and truth tests, each with its derivative.

Scans (cumsum, cummax, diff, ...) live in ``scan.py`` and order statistics (sort, topk,
median, quantile, unique, ...) in ``sorting.py``; both are re-exported from here.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

from .. import dtypes as _dt
from .. import return_types as _rt
from . import _inplace
from ._along_dim import (
    OMITTED,
    cast_for_dtype,
    cast_grad,
    dense_result,
    empty_dim_error,
    evenly,
    expand_back,
    is_float,
    is_half,
    kept_shape,
    mask_of,
    mean_array,
    reduce_dims,
    reduced_shape,
    select_along,
    strided_acc,
    wrap,
)
from ._autocast import autocast_op
from ._cascade_sum import cascade_sum
from ._dispatch import (
    Tensor,
    astype,
    grad_state,
    kind,
    make,
    methods,
    permute_dims,
    quiet,
    quietly,
    record,
    record_multi,
    refuse_shell_uint,
    reshape,
    wrap_dim,
)
from ._inplace import write_out, write_out_exact
from ._moment_order import two_pass_sum, welford
from ._norm_order import two_norm

__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "argmax",
           "argmin", "aminmax", "std", "var", "std_mean", "var_mean", "logsumexp", "norm", "all",
           "any", "count_nonzero"]

_isinstance = isinstance
_INT_KINDS = "bui"
_out = write_out


def _numel(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _check_nonempty(op: str, shape: tuple, dims: tuple) -> None:
    for d in dims:
        if shape[d] == 0:
            raise empty_dim_error(op, d)


def _check_overload(op: str, dim: Any, keepdim: bool, none_ok: bool = True,
                    out: Any = None) -> None:
    """PyTorch's TypeError for calls no overload of ``op`` takes: ``keepdim=True`` or an
    ``out=`` with no ``dim`` (``x.sum(keepdim=True)``) and, for the int-dim ops, ``dim=None``."""
    if (dim is OMITTED and (keepdim or out is not None)) or (dim is None and not none_ok):
        got = ("keepdim=bool" if keepdim else "Tensor, out=Tensor") if dim is OMITTED \
            else "dim=NoneType"
        raise TypeError(f"{op}() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (Tensor input)\n"
                        f" * (Tensor input, {'tuple of ints' if none_ok else 'int'} dim, "
                        "bool keepdim = False)")


# ------------------------------------------------------------------ sums and means
def sum(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *,  # noqa: A001
        dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """Sum over ``dim`` (every dim when None); integers and bools sum as int64."""
    if dim is OMITTED and out is not None and dtype is not None:  # (the overload parser's
        raise TypeError('sum() missing 1 required positional arguments: "dim"')  # wording)
    _check_overload("sum", dim, keepdim, out=out)
    node = "SumBackward0" if dim is OMITTED else "SumBackward1"
    dim = None if dim is OMITTED else dim
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor("sum", input) from None
    dims = tuple(range(x.ndim)) if dim is None else reduce_dims(dim, x.ndim, "sum")
    be = input._device._backend
    r = _sum_array(be, x, dims, keepdim, out.dtype if dtype is None and out is not None else dtype)
    if r.__class__ is not be.ndarray:  # NumPy gives scalars for full reductions
        r = be.xp.asarray(r)
    res = make(r, input._device)
    if input._rg and grad_state.enabled:
        _inplace.check_grad_dtype(res)
        record(node, res, (input,),
               _sum_vjp(x.shape, dims, keepdim, x.dtype, dim))
    return res if out is None else _out(res, out)


def _sum_vjp(shape: tuple, dims: tuple, keepdim: bool, dt: Any, dim: Any = None) -> Any:
    # a closure made here, not in ``sum``: its variables would be cells every call pays for
    def vjp(g: Tensor) -> tuple:
        return (cast_grad(expand_back(g, shape, dims, keepdim), dt),)

    vjp.dim = dim  # the dims as given: ``grad_fn._saved_dim``
    return vjp


def _sum_array(be: Any, x: Any, dims: tuple, keepdim: bool, dtype: Any) -> Any:
    """The sum in ``dtype``; integers and bools in int64, half precision through float32."""
    xp = be.xp
    if dtype is not None:
        x = cast_for_dtype(be, x, dtype)
        if x.dtype == bool:  # a sum into bool is "any nonzero"
            return xp.any(x, axis=dims, keepdims=keepdim)
        if kind(x) in _INT_KINDS:  # in the asked integer type (NumPy would widen it)
            return xp.sum(x, axis=dims, keepdims=keepdim, dtype=x.dtype)
    elif be.numpy_like:  # float32/64 and complex (the common case): no dtype questions
        npd = x.dtype
        if npd.kind in "fc" and npd.itemsize > 2:  # inf + -inf: NaN, with no warning
            r = cascade_sum(x, dims, keepdim)  # PyTorch's order, to the last bit
            if r is not None:
                return r
            if len(dims) == x.ndim:
                return quiet(xp.add.reduce, x, None, None, None, keepdim)
            acc = strided_acc(x, dims)
            if acc is None:
                return quiet(xp.add.reduce, x, dims, None, None, keepdim)
            return quiet(xp.add.reduce, x, dims, acc, None, keepdim).astype(npd)
    if is_half(x.dtype):  # a sum past the half range rounds to inf, with no NumPy warning
        return quiet(lambda: xp.sum(x, axis=dims, keepdims=keepdim, dtype="float32")
                     .astype(x.dtype))
    if kind(x) in _INT_KINDS:
        if not be.numpy_like:  # the Array API sums no bools and keeps unsigned types
            x = be.astype(x, _dt.int64)
        return xp.sum(x, axis=dims, keepdims=keepdim, dtype=xp.int64)
    if be.numpy_like:  # the ufunc's reduce directly: np.sum's Python wrapper costs microseconds
        return quiet(xp.add.reduce, x, None if len(dims) == x.ndim else dims, None, None,
                     keepdim)  # (with dtype=: inf + -inf is NaN, with no warning)
    return xp.sum(x, axis=dims, keepdims=keepdim)


def mean(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *, dtype: Any = None,
         out: Tensor | None = None) -> Tensor:
    """Mean over ``dim``; only floating and complex inputs (or with ``dtype=``)."""
    _check_overload("mean", dim, keepdim)
    node = "MeanBackward0" if dim is OMITTED else "MeanBackward1"
    dim = None if dim is OMITTED else dim
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor("mean", input) from None
    if dtype is not None:
        x = cast_for_dtype(input._device._backend, x, dtype)
    elif out is not None and kind(x) in "fV" and out._data.dtype != x.dtype:
        if kind(out._data) not in "fVc":  # (PyTorch names the result Float whatever it is)
            raise RuntimeError("result type Float can't be cast to the desired output type "
                               f"{_type_name(out._data.dtype)}")
        x = cast_for_dtype(input._device._backend, x, out.dtype)  # computed in the out's dtype
    if kind(x) in _INT_KINDS:
        raise RuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} "
            f"dtype must be either a floating point or complex dtype. Got: "
            f"{_type_name(x.dtype)}")
    dims = reduce_dims(dim, x.ndim, "mean")
    xp = input._device._backend.xp
    res = wrap(mean_array(xp, x, dims, keepdim), input)
    if grad_state.enabled and input._rg:
        shape, dt = input._data.shape, input._data.dtype
        n = _numel(shape, dims)

        def vjp(g: Tensor) -> tuple:
            return (cast_grad(expand_back(g, shape, dims, keepdim) / n, dt),)

        vjp.dim = dim  # the dims as given: ``grad_fn._saved_dim``
        record(node, res, (input,), vjp)
    return _out(res, out)


def _type_name(npd: Any) -> str:
    return _inplace._type_name(npd)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
           out: Tensor | None = None) -> Tensor:
    """Sum over ``dim`` treating NaN as zero."""
    x = input._data
    if kind(x) == "c":
        reduce_dims(dim, x.ndim, "nansum")
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if not is_float(x.dtype):
        res = sum(input, dim, keepdim, dtype=dtype)
        return _out(res, out)
    if dtype is not None and _dt.to_dtype(dtype).is_complex:
        raise NotImplementedError(
            f"\"nansum_cpu\" not implemented for '{_type_name(_dt.to_dtype(dtype))}'")
    xp = input._device._backend.xp
    dims = reduce_dims(dim, x.ndim, "nansum")
    keep = ~xp.isnan(x)
    res = wrap(_sum_array(input._device._backend, xp.where(keep, x, 0), dims, keepdim, dtype),
               input)
    if grad_state.enabled and input._rg:
        shape, dt = x.shape, x.dtype

        def vjp(g: Tensor, _self: Tensor) -> tuple:
            return (cast_grad(expand_back(g, shape, dims, keepdim), dt) * mask_of(keep, input),)

        _inplace.check_grad_dtype(res)
        record("NansumBackward0", res, (input,), vjp, (input,))  # PyTorch's node saves self
    return _out(res, out)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            out: Tensor | None = None) -> Tensor:
    """Mean over ``dim`` of the non-NaN elements."""
    x = input._data
    if not is_float(x.dtype):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{_type_name(x.dtype)}")
    if dtype is not None and not is_float(_dt.to_dtype(dtype).np):
        raise RuntimeError(
            "nanmean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {_type_name(_dt.to_dtype(dtype).np)}")
    xp = input._device._backend.xp
    dims = reduce_dims(dim, x.ndim, "nanmean")
    cnt = xp.sum(~xp.isnan(x), axis=dims, keepdims=keepdim)
    s = nansum(input, dim, keepdim, dtype=dtype)
    return _out(s / wrap(astype(xp, cnt, s._data.dtype), input), out)


# ------------------------------------------------------------------ products
@autocast_op("prod")
def prod(input: Tensor, dim: int | None = OMITTED, keepdim: bool = False, *,
         dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """Product over ``dim`` (of every element when omitted); integers and bools give int64."""
    _check_overload("prod", dim, keepdim, none_ok=False, out=out)
    dim = None if dim is OMITTED else dim
    ndim = input._data.ndim
    dims = (wrap_dim(dim, ndim, "prod"),) if dim is not None else tuple(range(ndim))
    if not ndim:
        dims = ()
    if dtype is None and out is not None:  # computed in the out's dtype, as PyTorch's
        dtype = out.dtype
    res = _prod(input, dims, keepdim and dim is not None, dtype,
                "ProdBackward1" if dim is not None else "ProdBackward0")
    return _out(res, out)


def _prod(input: Tensor, dims: tuple, keepdim: bool, dtype: Any = None,
          name: str = "ProdBackward1") -> Tensor:
    x = input._data
    be = input._device._backend
    if dtype is not None:
        x = cast_for_dtype(be, x, dtype)
    elif kind(x) in _INT_KINDS:
        x = be.astype(x, _dt.int64)
    xp = be.xp
    if x.dtype == bool:  # a product in bool is "all nonzero"
        r = xp.all(x, axis=dims, keepdims=keepdim)
    elif is_half(x.dtype):  # overflow: inf, with no NumPy warning
        r = quiet(lambda: xp.prod(x, axis=dims, keepdims=keepdim, dtype="float32")
                  .astype(x.dtype))
    else:  # an integer type stays itself (NumPy would widen the small ones)
        r = quiet(lambda: xp.prod(x, axis=dims, keepdims=keepdim,
                                  dtype=x.dtype if kind(x) in _INT_KINDS else None))
    res = wrap(r, input)
    if grad_state.enabled and input._rg:
        shape, dt = input._data.shape, input._data.dtype

        def vjp(g: Tensor, xin: Tensor, r: Tensor) -> tuple:
            g, r = cast_grad(g, dt), cast_grad(r, dt)
            if not shape:  # PyTorch's prod_backward of a 0-d input: the gradient itself
                return (g,)
            return (_prod_grad(g, xin, r, shape, dims, keepdim),)

        _inplace.check_grad_dtype(res)
        record(name, res, (input,), vjp, (input, res))
    return res


def _prod_grad(g: Tensor, x: Tensor, r: Tensor, shape: tuple, dims: tuple,
               keepdim: bool) -> Tensor:
    """d prod / d x_i = the product of the others, also where some x are zero.

    With zeros in a slice: grad_i = prod(nonzeros) / x_i * prod(zeros other than x_i). The
    first two zeros enter as tensors (value 0), so second derivatives are exact too; with
    three or more zeros every first and second derivative is 0.
    """
    xp = x._device._backend.xp
    xa = x._data
    ge = expand_back(g, shape, dims, keepdim)
    zero = xa == 0
    if not bool(xp.any(zero)):
        q = expand_back(r, shape, dims, keepdim) / x
        return ge * (q.conj() if kind(xa) == "c" else q)
    rank = _rank_in_slice(xp, zero, dims)
    nz = xp.sum(astype(xp, zero, xp.int64), axis=dims, keepdims=True)
    xs = x * mask_of(~zero, x) + mask_of(zero, x)  # zeros replaced by ones
    q = _prod(xs, dims, True) / xs
    for k in (1, 2):  # the factor of the k-th zero: x_zk, or 1 at x_zk itself / if absent
        ek = zero & (rank == k)
        has = nz >= k
        zk = (x * mask_of(ek, x)).sum(dims, keepdim=True)
        q = q * (zk * mask_of(has & ~ek, x) + mask_of(ek | ~has, x))
    return ge * q * mask_of(nz <= 2, x)


def _rank_in_slice(xp: Any, flags: Any, dims: tuple) -> Any:
    """1-based running count of ``flags`` over the reduced ``dims`` (in C order)."""
    nd = flags.ndim
    perm = tuple(i for i in range(nd) if i not in dims) + dims
    moved = permute_dims(xp, astype(xp, flags, xp.int64), perm)
    lead = moved.shape[:nd - len(dims)]
    cumsum = getattr(xp, "cumsum", None) or xp.cumulative_sum
    c = reshape(xp, cumsum(reshape(xp, moved, lead + (-1,)), axis=-1), moved.shape)
    return permute_dims(xp, c, tuple(sorted(range(nd), key=perm.__getitem__)))


# ------------------------------------------------------------------ extremes
def _binary(name: str, a: Tensor, b: Tensor, out: Any) -> Tensor:
    from .. import ops  # maximum/minimum: the pointwise family, loaded by now

    return _out(getattr(ops, name)(a, b), out)


def max(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *,  # noqa: A001
        out: Any = None, other: Tensor | None = None) -> Any:
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor,
    the elementwise ``maximum``."""
    if _isinstance(dim, Tensor):
        return _binary("maximum", input, dim, out)
    if other is not None:
        return _other_overload("max", input, dim, other, out)
    _check_overload("max", dim, keepdim, none_ok=False)
    if dim is OMITTED:
        return _out(_full_extreme(input, "max"), out)
    return write_out_exact(_extreme_dim(input, dim, keepdim, "max"), out, "max")


def min(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *,  # noqa: A001
        out: Any = None, other: Tensor | None = None) -> Any:
    """The smallest element; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``."""
    if _isinstance(dim, Tensor):
        return _binary("minimum", input, dim, out)
    if other is not None:
        return _other_overload("min", input, dim, other, out)
    _check_overload("min", dim, keepdim, none_ok=False)
    if dim is OMITTED:
        return _out(_full_extreme(input, "min"), out)
    return write_out_exact(_extreme_dim(input, dim, keepdim, "min"), out, "min")


def _other_overload(op: str, input: Tensor, dim: Any, other: Tensor, out: Any) -> Tensor:
    """max/min's elementwise ``(input, other)`` overload named by keyword (not beside dim)."""
    if dim is not OMITTED:
        raise TypeError(f"{op}() got an unexpected keyword argument 'other'")
    return _binary("maximum" if op == "max" else "minimum", input, other, out)


def _no_complex(x: Any, kernel: str) -> None:
    """PyTorch's refusal of complex (and uint16/32/64) input to an ordering ``kernel``."""
    if kind(x) == "c":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_type_name(x.dtype)}'")
    refuse_shell_uint(kernel, x)


def _numel_error(op: str) -> RuntimeError:
    return RuntimeError(
        f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
        "reduction dim with the 'dim' argument.")


def _full_extreme(input: Tensor, op: str) -> Tensor:
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor(op, input) from None
    if x.size == 0:
        raise _numel_error(op)
    _no_complex(x, f"{op}_all")
    xp = input._device._backend.xp
    f = xp.max if op == "max" else xp.min
    res = wrap(quiet(f, x) if kind(x) == "V" else f(x), input)  # (bfloat16 NaN: no warning)
    if grad_state.enabled and input._rg:
        record("MaxBackward1" if op == "max" else "MinBackward1", res, (input,),
               lambda g, xin, r: (evenly(g, xin, r),), (input, res))
    return res


def _extreme_dim(input: Tensor, dim: Any, keepdim: bool, op: str) -> Any:
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor(op, input) from None
    d = wrap_dim(dim, x.ndim, op)
    xp = input._device._backend.xp
    x0 = x if x.ndim else reshape(xp, x, (1,))
    if x0.shape[d] == 0:
        raise empty_dim_error(op, d)
    if kind(x) == "c":
        raise RuntimeError(f"{op}(): does not support complex input")
    refuse_shell_uint(f"{op}_cpu", x)
    idx = (xp.argmax if op == "max" else xp.argmin)(x0, axis=d, keepdims=True)
    name = "MaxBackward0" if op == "max" else "MinBackward0"
    return (_rt.max if op == "max" else _rt.min)(
        select_along(input, idx, d, name, reduced_shape(x.shape, d, keepdim)))


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, *, out: Any = None) -> Tensor:
    """The largest values over ``dim`` (every dim by default); ties share the gradient."""
    _check_in_out(input, out)
    return write_out_exact(_amaxmin(input, dim, keepdim, "amax"), out, "amax", _in_out_error)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False, *, out: Any = None) -> Tensor:
    """The smallest values over ``dim`` (every dim by default); ties share the gradient."""
    _check_in_out(input, out)
    return write_out_exact(_amaxmin(input, dim, keepdim, "amin"), out, "amin", _in_out_error)


def _check_in_out(input: Tensor, out: Any) -> None:
    """amax/amin check their out's dtype before the kernel refuses a dtype (complex)."""
    if out is not None and out._data.dtype != input._data.dtype and not (
            input._rg and grad_state.enabled):
        raise _in_out_error(input._data.dtype, out._data.dtype)


def _in_out_error(expected: Any, got: Any, i: int = 0) -> RuntimeError:
    return RuntimeError(
        f"Expected the dtype for input and out to match, but got {_type_name(expected)} for "
        f"input's dtype and {_type_name(got)} for out's dtype.")


def _amaxmin(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    x = input._data
    if x.size == 0 and x.ndim and dim is not None:
        # PyTorch names the first empty dim as given, before repeats or later ranges
        for d in ((dim,) if _isinstance(dim, int) else dim):
            if x.shape[wrap_dim(d, x.ndim, op)] == 0:
                raise empty_dim_error(op, d)
    dims = reduce_dims(dim, x.ndim, op)
    if x.size == 0 and (dim is None or _isinstance(dim, (tuple, list)) and not dim):
        raise _numel_error(op)
    _check_nonempty(op, x.shape, dims)
    if x.size:
        _no_complex(x, f"{op[1:]}_values_cpu")
    xp = input._device._backend.xp
    f = xp.max if op == "amax" else xp.min
    # bfloat16 (ml_dtypes) warns on NaN in NumPy's reduce; PyTorch never does
    r = quiet(f, x, dims, None, keepdim) if x.dtype.kind == "V" else f(x, axis=dims,
                                                                       keepdims=keepdim)
    res = wrap(r, input)
    if grad_state.enabled and input._rg:
        record("AmaxBackward0" if op == "amax" else "AminBackward0", res, (input,),
               lambda g, xin, r: (_scale_by_count(g, xin, r, dims, keepdim),), (input, res))
    return res


def _scale_by_count(g: Tensor, x: Tensor, r: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    """amax/amin's gradient: split evenly among the elements equal to the result."""
    xp = x._device._backend.xp
    shape = x._data.shape
    rk = r._data if keepdim else reshape(xp, r._data, kept_shape(shape, dims))
    mask = x._data == rk
    cnt = xp.sum(astype(xp, mask, x._data.dtype), axis=dims, keepdims=True)
    return expand_back(g, shape, dims, keepdim) / wrap(cnt, x) * mask_of(mask, x)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           out: Tensor | None = None) -> Tensor:
    """The index of the largest element (of the flattened input when ``dim`` is None)."""
    return write_out_exact(_argext(input, dim, keepdim, "argmax"), out)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           out: Tensor | None = None) -> Tensor:
    """The index of the smallest element (of the flattened input when ``dim`` is None)."""
    return write_out_exact(_argext(input, dim, keepdim, "argmin"), out)


def _argext(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's parser error
        from .pointwise_unary import not_tensor
        raise not_tensor(op, input) from None
    if kind(x) in "bc":
        raise RuntimeError(
            f"{op}(): does not support {'bool' if kind(x) == 'b' else 'complex'} input")
    refuse_shell_uint(f"{op}_cpu", x)
    xp = input._device._backend.xp
    f = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:
        if x.size == 0:
            raise empty_dim_error(op, None)
        r = xp.asarray(f(reshape(xp, x, (-1,))))
        if keepdim:
            r = reshape(xp, r, (1,) * x.ndim)
    else:
        d = wrap_dim(dim, x.ndim, op)
        x0 = x if x.ndim else reshape(xp, x, (1,))
        if x0.shape[d] == 0:
            raise empty_dim_error(op, d)
        r = f(x0, axis=d, keepdims=keepdim)
        if not x.ndim:
            r = reshape(xp, r, ())
    return wrap(astype(xp, xp.asarray(r), xp.int64), input)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False,
            out: Any = None) -> Any:
    """``(min, max)`` over ``dim`` (every element when None) in one pass."""
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                "no identity.")
        dims = tuple(range(x.ndim))
    else:
        dims = (wrap_dim(dim, x.ndim, "aminmax"),)
        dims = dims if x.ndim else ()
        if not x.ndim and kind(x) == "c":
            raise RuntimeError(f"aminmax not implemented for {_type_name(x.dtype)}")
        if x.ndim and x.shape[dims[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
    _no_complex(x, "aminmax_cpu")
    xp = input._device._backend.xp
    mn = wrap(quiet(xp.min, x, dims, None, keepdim), input)  # (bfloat16 NaN: no warning)
    mx = wrap(quiet(xp.max, x, dims, None, keepdim), input)
    if grad_state.enabled and input._rg:
        def vjp(gs: tuple, xin: Tensor, a: Tensor, b: Tensor) -> tuple:
            return (_scale_by_count(gs[0], xin, a, dims, keepdim)
                    + _scale_by_count(gs[1], xin, b, dims, keepdim),)

        record_multi("AminmaxBackward0", (mn, mx), (input,), vjp, (input, mn, mx))
    return write_out_exact(_rt.aminmax((mn, mx)), out, "aminmax")


# ------------------------------------------------------------------ moments
def _correction(unbiased: Any, correction: Any, op: str) -> float:
    if correction is not None:
        if unbiased is not None:  # no overload of PyTorch's takes both
            raise TypeError(
                f"{op}() received an invalid combination of arguments - got both unbiased and "
                "correction, but expected one of:\n"
                " * (Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
                " * (Tensor input, tuple of ints dim = None, *, Number correction = None, "
                "bool keepdim = False)\n * (Tensor input, bool unbiased = True)")
        return correction
    return 1 if unbiased is None or unbiased else 0


def _moment_args(op: str, dim: Any, unbiased: Any, keepdim: Any, out: Any = None) -> tuple:
    """``(dim, unbiased, keepdim)`` of a std/var call; ``op(x, unbiased)`` (a bool as ``dim``)
    and ``unbiased`` with ``keepdim`` but no ``dim`` match no PyTorch overload: TypeError."""
    if _isinstance(dim, bool):  # op(input, unbiased)
        if unbiased is not None or keepdim is not OMITTED or out is not None:
            raise _moment_overload_error(op, "bool, bool" if unbiased is not None else
                                     "bool, keepdim=bool" if keepdim is not OMITTED
                                     else "bool, out=Tensor")
        dim, unbiased = None, dim
    elif dim is OMITTED:
        if unbiased is not None and (keepdim is not OMITTED or out is not None):
            raise _moment_overload_error(op, "keepdim=bool, unbiased=bool"
                                         if keepdim is not OMITTED else "out=Tensor, unbiased=bool")
        dim = None
    return dim, unbiased, (False if keepdim is OMITTED else keepdim)


def _moment_overload_error(op: str, got: str) -> TypeError:
    return TypeError(
        f"{op}() received an invalid combination of arguments - got (Tensor, {got}), but "
        "expected one of:\n"
        " * (Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
        " * (Tensor input, tuple of ints dim = None, *, Number correction = None, "
        "bool keepdim = False)\n * (Tensor input, bool unbiased = True)")


def var(input: Tensor, dim: Any = OMITTED, unbiased: Any = None, keepdim: Any = OMITTED, *,
        correction: Any = None, out: Tensor | None = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (``unbiased`` is the legacy flag)."""
    dim, unbiased, keepdim = _moment_args("var", dim, unbiased, keepdim, out)
    return _out(_moment(input, dim, _correction(unbiased, correction, "var"), keepdim, False),
                out)


def std(input: Tensor, dim: Any = OMITTED, unbiased: Any = None, keepdim: Any = OMITTED, *,
        correction: Any = None, out: Tensor | None = None) -> Tensor:
    """Standard deviation over ``dim`` (the square root of ``var``)."""
    dim, unbiased, keepdim = _moment_args("std", dim, unbiased, keepdim, out)
    return _out(_moment(input, dim, _correction(unbiased, correction, "std"), keepdim, True),
                out)


def var_mean(input: Tensor, dim: Any = OMITTED, unbiased: Any = None, keepdim: Any = OMITTED, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim``."""
    dim, unbiased, keepdim = _moment_args("var_mean", dim, unbiased, keepdim)
    return _moment_mean(input, dim, _correction(unbiased, correction, "var_mean"), keepdim,
                        False)


def std_mean(input: Tensor, dim: Any = OMITTED, unbiased: Any = None, keepdim: Any = OMITTED, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim``."""
    dim, unbiased, keepdim = _moment_args("std_mean", dim, unbiased, keepdim)
    return _moment_mean(input, dim, _correction(unbiased, correction, "std_mean"), keepdim,
                        True)


def _moment_mean(input: Tensor, dim: Any, c: float, keepdim: bool,
                 root: bool) -> tuple[Tensor, Tensor]:
    """Both results from one node, as PyTorch's ``VarMeanBackward0`` / ``StdMeanBackward0``."""
    op = "std_mean" if root else "var_mean"
    welford_mean: list = []
    s = _moment(input, dim, c, keepdim, root, op, track=False, means=welford_mean)
    x = input._data
    dims = reduce_dims(_mean_dim(dim), x.ndim, "mean")
    xp = input._device._backend.xp
    if welford_mean:  # PyTorch's Welford mean, in double
        mu = quiet(astype, xp, xp.asarray(welford_mean[0]), x.dtype)
    elif input._device.type == "cpu" and (x.dtype == "float32" or is_half(x.dtype)):
        # in double, as PyTorch's CPU Welford kernel (a float32 sum would overflow to inf)
        mu = quiet(lambda: astype(xp, mean_array(xp, x.astype("float64"), dims, keepdim),
                                  x.dtype))
    else:
        mu = mean_array(xp, x, dims, keepdim)
    if not bool(xp.isfinite(mu).all()):  # (only the results are checked on the finite path)
        mu = _running_mean_inf(xp, x, dims, mu)
    mu = wrap(mu, input)
    if grad_state.enabled and input._rg:
        shape, n = x.shape, _numel(x.shape, dims)
        moment_vjp = _moment_vjp(shape, dims, keepdim, c, root)

        def vjp(gs: tuple, xin: Tensor, sd: Tensor) -> tuple:
            return (moment_vjp(gs[0], xin, sd)[0] + expand_back(gs[1], shape, dims, keepdim) / n,)

        record_multi("StdMeanBackward0" if root else "VarMeanBackward0", (s, mu), (input,), vjp,
                     (input, s))
    return s, mu


def _running_mean_inf(xp: Any, x: Any, dims: tuple, mu: Any) -> Any:
    """PyTorch's running (Welford) mean over data holding infinities: an infinity stays only
    when it is the one non-finite value and the last one reduced (``inf - inf`` is NaN)."""
    if kind(x) == "c":
        return mu
    lead = tuple(d for d in range(x.ndim) if d not in dims)
    flat = xp.transpose(~xp.isfinite(x), lead + tuple(sorted(dims)))
    flat = flat.reshape(tuple(x.shape[d] for d in lead) + (-1,))
    if flat.shape[-1] == 0:
        return mu
    keep = (flat.sum(-1) == 1) & flat[..., -1]
    return xp.where(xp.isinf(mu) & ~keep.reshape(mu.shape), xp.asarray(math.nan, dtype=mu.dtype),
                    mu)


def _mean_dim(dim: Any) -> Any:
    return None if dim is None or (_isinstance(dim, (tuple, list)) and not dim) else dim


def _torch_m2(input: Tensor, dims: tuple, keepdim: bool, with_mean: bool) -> tuple | None:
    """``(sum of squared deviations, mean or None)`` in PyTorch's CPU order (``_moment_order``):
    two passes for a single-output ``var``/``std``, else Welford; None where not followed."""
    x = input._data
    if input._device.type != "cpu":
        return None
    if not with_mean and x.size and x.size == _numel(x.shape, dims):
        xp = input._device._backend.xp
        s = two_pass_sum(x, lambda: mean_array(xp, x, tuple(range(x.ndim)), False))
        if s is None:
            return None
        shape = (1,) * x.ndim if keepdim else tuple(x.shape[d] for d in range(x.ndim)
                                                  if d not in dims)
        return s.reshape(shape), None
    return welford(x, dims, keepdim)


def _moment(input: Tensor, dim: Any, c: float, keepdim: bool, root: bool,
            op: str = "std and var", track: bool = True, means: list | None = None) -> Tensor:
    x = input._data
    if not is_float(x.dtype):
        raise RuntimeError(f"{op} only support floating point and complex dtypes")
    dims = reduce_dims(dim, x.ndim, "std" if root else "var")
    xp = input._device._backend.xp
    n = _numel(x.shape, dims)
    ordered = _torch_m2(input, dims, keepdim, means is not None)
    if ordered is not None and means is not None:
        means.append(ordered[1])
    real = xp.real(x).dtype if kind(x) == "c" else x.dtype  # the result dtype: real
    if input._device.type == "cpu" and (x.dtype == "float32" or is_half(x.dtype)):
        x = x.astype("float64")  # PyTorch's CPU kernel accumulates in double
    elif is_half(x.dtype):
        x = x.astype("float32")  # half precision accumulates in float32
    if ordered is None:
        # inf - inf: NaN, no warning (the mean in NumPy's order: the rest is NumPy's too)
        dev = quiet(lambda: x - mean_array(xp, x, dims, True, torch_order=False))
        sq = (xp.real(dev) ** 2 + xp.imag(dev) ** 2) if kind(x) == "c" else dev * dev
    if (n if x.size else 0) - c <= 0:  # PyTorch's factor: numel in / numel out, 0 if empty
        from .._stacklevel import user_stacklevel
        name = op if op.endswith("_mean") else "std" if root else "var"
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be "
            "strictly less than the reduction factor (input numel divided by output numel).",
            UserWarning, stacklevel=user_stacklevel())
    if ordered is not None:
        r = quiet(lambda: ordered[0] / builtins.max(0, n - c))
    else:
        r = quiet(lambda: xp.sum(sq, axis=dims, keepdims=keepdim) / builtins.max(0, n - c))
    if root:
        r = xp.sqrt(r)
    r = xp.asarray(r)
    res = wrap(r if r.dtype == real else quiet(astype, xp, r, real), input)  # (inf, no warning)
    if track and grad_state.enabled and input._rg:
        vjp = _moment_vjp(x.shape, dims, keepdim, c, root)
        if root:
            record("StdBackward0", res, (input,), vjp, (input, res))
        else:
            record("VarBackward0", res, (input,), vjp, (input,))
    return res


def _moment_vjp(shape: tuple, dims: tuple, keepdim: bool, c: float, root: bool) -> Any:
    """The derivative of var (or of std, given the result ``s``) over ``dims``."""
    scale = 2.0 / (n - c) if (n := _numel(shape, dims)) - c > 0 else math.inf

    def var_grad(g: Tensor, xin: Tensor) -> Tensor:
        ge = expand_back(g, shape, dims, keepdim)
        return ge * scale * (xin - xin.mean(dims, keepdim=True))  # PyTorch's rounding order

    def vjp(g: Tensor, xin: Tensor, s: Tensor | None = None) -> tuple:
        if root:
            zero = s._data == 0
            g = g / (s * 2 + mask_of(zero, s)) * mask_of(~zero, s)
        return (var_grad(g, xin),)

    return vjp


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False, *,
              out: Tensor | None = None) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed stably; integers promote to float."""
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    x = input._data
    if kind(x) in _INT_KINDS:
        x = input._device._backend.astype(x, _dt._default)
    dims = reduce_dims(dim, x.ndim, "logsumexp")
    if x.ndim and x.size and not keepdim and _isinstance(dim, (tuple, list)) and not dim:
        raise RuntimeError(  # PyTorch's kernel reduces all dims but keeps them for ``dim=()``
            f"output with shape [] doesn't match the broadcast shape {[1] * x.ndim}")
    xp = input._device._backend.xp
    if x.size and builtins.all(x.shape[d] for d in dims):
        # (bfloat16's NaN warns in NumPy's reduce); complex input shifts by the largest real
        # part, as PyTorch (NumPy's max orders complex numbers lexicographically)
        m = quiet(xp.max, xp.real(x) if kind(x) == "c" else x, dims, None, True)
        m = xp.where(xp.isinf(m), 0, m).astype(x.dtype, copy=False)
    else:
        m = xp.zeros(kept_shape(x.shape, dims), dtype=x.dtype)
    r = quiet(lambda: xp.log(_sum_kept(xp, xp.exp(x - m), dims)) + m)
    if not keepdim:
        r = reshape(xp, r, tuple(s for i, s in enumerate(x.shape) if i not in dims))
    res = wrap(r if r.dtype == x.dtype else astype(xp, r, x.dtype), input)
    if grad_state.enabled and input._rg:
        shape = x.shape

        def vjp(g: Tensor, xin: Tensor, r: Tensor) -> tuple:
            w = (xin - expand_back(r, shape, dims, keepdim)).exp()
            return (expand_back(g, shape, dims, keepdim) * (w.conj() if w.is_complex() else w),)

        record("LogsumexpBackward0", res, (input,), vjp, (input, res))
    return _out(res, out)


def _sum_kept(xp: Any, e: Any, dims: tuple) -> Any:
    """A kept-dims sum; half precision accumulates in float32 and rounds once, as PyTorch."""
    if is_half(e.dtype):
        return astype(xp, xp.sum(astype(xp, e, xp.float32), axis=dims, keepdims=True), e.dtype)
    return xp.sum(e, axis=dims, keepdims=True)


# ------------------------------------------------------------------ norms
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: Tensor | None = None, dtype: Any = None) -> Tensor:
    """The vector p-norm over ``dim`` (every element by default); ``p='fro'`` is the 2-norm
    and ``p='nuc'`` the nuclear norm of a matrix."""
    x = input._data
    if _isinstance(p, (tuple, list)):  # ``x.norm((0, 1))``: a dim where p goes, refused first
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(p).__name__}")
    if not is_float(x.dtype):
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_type_name(x.dtype)}")
    if dtype is not None:  # PyTorch's linalg rules: a same-kind dtype, never narrower
        from .linalg_norms import _float_input

        input = _float_input(input, "linalg.matrix_norm" if p == "nuc" else
                             "linalg.vector_norm", dtype)
    if _isinstance(p, str):
        if p == "fro" and _isinstance(dim, (tuple, list)) and len(dim) > 2:
            return _nuclear(input, dim, keepdim)  # matrix_norm's refusal of the dims, as PyTorch
        if p == "nuc":
            return _out(_nuclear(input, dim, keepdim), out)
        if p != "fro":
            raise RuntimeError(f"norm(): unsupported norm type {p!r}")
        p = 2.0
    if _isinstance(dim, int):
        dim = (dim,)
    return _out(_vector_norm(input, float(p), dim, keepdim), out)


@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def _vector_norm(input: Tensor, p: float, dim: Any, keepdim: bool) -> Tensor:
    x = input._data
    xp = input._device._backend.xp
    dims = reduce_dims(dim, x.ndim, "linalg.vector_norm")
    a = xp.abs(x)
    out_dtype = a.dtype
    if is_half(a.dtype):  # half precision accumulates in float32 (|x| > 256 squares past half)
        a = a.astype("float32")
    if x.size == 0 and (p < 0 or p == math.inf):  # no identity: PyTorch's refusal
        from .linalg_norms import _empty_norm_check

        _empty_norm_check(x.shape, dim, p)
    if math.isinf(p):
        r = (xp.max if p > 0 else xp.min)(a, axis=dims, keepdims=keepdim)
    elif p == 0:
        r = xp.sum(astype(xp, a != 0, a.dtype), axis=dims, keepdims=keepdim)
    elif p == 1:
        r = xp.sum(a, axis=dims, keepdims=keepdim)
    elif p == 2:
        # PyTorch's order (its half-precision kernel differs: NumPy's there)
        r = two_norm(a, dims, keepdim) if a.dtype == x.dtype and x.dtype.kind == "f" else None
        if r is None:
            r = xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
    else:
        r = xp.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    r = xp.asarray(r)
    res = wrap(r if r.dtype == out_dtype else astype(xp, r, out_dtype), input)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, xin: Tensor, r: Tensor) -> tuple:
            if grad_state.enabled:  # create_graph: PyTorch's formula, its nodes (Mul, Sgn, ...)
                return (_linalg_norm_grad(g, xin, r, p, dims, keepdim),)
            return (_norm_grad(g, xin, r, p, dims, keepdim),)

        record("LinalgVectorNormBackward0", res, (input,), vjp, (input, res))
    return res


def _linalg_norm_grad(g: Tensor, x: Tensor, r: Tensor, p: float, dims: tuple,
                      keepdim: bool) -> Tensor | None:
    """``linalg.vector_norm``'s differentiable gradient (double backward)."""
    from .linalg_norms import _norm_grad as linalg_grad

    if not keepdim and dims:
        kshape = tuple(1 if i in dims else s for i, s in enumerate(x._data.shape))
        g, r = g.reshape(kshape), r.reshape(kshape)
    return linalg_grad(x, g, r, p, dims)


def _norm_grad(g: Tensor, x: Tensor, r: Tensor, p: float, dims: tuple,
               keepdim: bool) -> Tensor | None:
    """The p-norm's gradient; 0 where the norm is 0 (the subgradient PyTorch picks)."""
    xp = x._device._backend.xp
    xa = x._data
    shape = xa.shape
    if p == 0:
        return None  # PyTorch leaves the gradient undefined
    ge = expand_back(g, shape, dims, keepdim)
    sgn = xp.sign(xa) if kind(xa) != "c" else xa / xp.where(xa == 0, 1, xp.abs(xa))
    s = wrap(sgn, x)
    if p == 1:
        return ge * s
    rn = expand_back(r, shape, dims, keepdim)
    ra = xp.broadcast_to(r._data if keepdim else reshape(xp, r._data, kept_shape(shape, dims)),
                         shape)
    if math.isinf(p):
        mask = (xp.abs(xa) == ra) | xp.isnan(xa)
        cnt = xp.sum(astype(xp, mask, ra.dtype), axis=dims, keepdims=True)
        return s * (ge / wrap(cnt, x)) * mask_of(mask, x)
    rzero = ra == 0
    if p == 2:
        return ge * x / (rn + mask_of(rzero, x))
    xabs = x * s if kind(xa) != "c" else x.abs()
    if p < 1:
        zero = xa == 0
        scaled = s * (xabs + mask_of(zero, x)) ** (p - 1) * mask_of(~zero, x)
        return scaled * ge * rn ** (1 - p)
    scaled = s * xabs ** (p - 1) if p < 2 else x * xabs ** (p - 2)
    return scaled * (ge / (rn + mask_of(rzero, x)) ** (p - 1) * mask_of(~rzero, x))


def _nuclear(input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """The sum of singular values over two dims, built as PyTorch builds it (svdvals, then a
    sum: its graph ends in SumBackward1, or PermuteBackward0 with keepdim)."""
    from .linalg_norms import matrix_norm

    x = input._data
    if dim is None:
        if x.ndim != 2:
            raise RuntimeError(
                "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
        dim = (0, 1)
    elif x.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = (dim,) if _isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:  # PyTorch prints the dims space-separated
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(i) for i in dim))
    if is_half(x.dtype):
        raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got "
                           + _type_name(x.dtype))
    d = tuple(wrap_dim(i, x.ndim, "norm") for i in dim)
    return matrix_norm(input, "nuc", d, keepdim)


def _norm_method(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
                 dtype: Any = None) -> Tensor:
    return norm(self, p, dim, keepdim, dtype=dtype)


# ------------------------------------------------------------------ truth tests and counts
def all(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Tensor | None = None) -> Tensor:
    """Whether every element over ``dim`` is nonzero (uint8 inputs give uint8)."""
    return _out(_truth(input, dim, keepdim, "all"), out)


def any(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        out: Tensor | None = None) -> Tensor:
    """Whether some element over ``dim`` is nonzero (uint8 inputs give uint8)."""
    return _out(_truth(input, dim, keepdim, "any"), out)


def _truth(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    x = input._data
    # an empty dim list reduces nothing here (sum and friends read it as every dim)
    empty = _isinstance(dim, (tuple, list)) and not dim
    dims = () if empty else reduce_dims(dim, x.ndim, op)
    xp = input._device._backend.xp
    r = xp.asarray((xp.all if op == "all" else xp.any)(x, axis=dims, keepdims=keepdim))
    if x.dtype == "uint8":
        r = r.astype("uint8")
    return wrap(r, input)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (int64)."""
    x = input._data
    dims = reduce_dims(dim, x.ndim, "count_nonzero")
    if dim is None:
        refuse_shell_uint("nonzero_count_cpu", x)
    xp = input._device._backend.xp
    if hasattr(xp, "count_nonzero"):
        return wrap(astype(xp, xp.asarray(xp.count_nonzero(x, axis=dims)), xp.int64), input)
    return wrap(astype(xp, xp.asarray(xp.sum(x != 0, axis=dims)), xp.int64), input)


sum, mean, nansum, nanmean, prod, max, min, amax, amin, argmax, argmin, aminmax = (  # noqa: A001
    dense_result(f) for f in (sum, mean, nansum, nanmean, prod, max, min, amax, amin, argmax,
                              argmin, aminmax))
std, var, std_mean, var_mean, logsumexp, norm, all, any, count_nonzero = (  # noqa: A001
    dense_result(f) for f in (std, var, std_mean, var_mean, logsumexp, norm, all, any,
                              count_nonzero))

methods(sum=sum, mean=mean, nansum=nansum, nanmean=nanmean, prod=prod, max=max, min=min,
        amax=amax, amin=amin, argmax=argmax, argmin=argmin, aminmax=aminmax, std=std, var=var,
        logsumexp=logsumexp, norm=_norm_method, all=all, any=any, count_nonzero=count_nonzero)

# the scan and order-statistics families re-exported as part of this one
from . import scan as _scan  # noqa: E402
from . import sorting as _sorting  # noqa: E402

for _m in (_scan, _sorting):
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
    __all__ += list(_m.__all__)
del _m, _name
