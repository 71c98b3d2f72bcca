"""Gathering and scattering along a dim: gather, scatter (add, reduce), index_select,
index_add, index_copy, index_fill, masked_fill, masked_select, masked_scatter, take,
take_along_dim, put; each with its derivative and in-place form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt
from .._memory_format import laid_like
from . import _inplace
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import (
    Tensor,
    astype,
    copy,
    device_mismatch,
    grad_state,
    kind,
    make,
    methods,
    record,
    refuse_shell_uint,
    reshape,
    sum_to,
    wrap_dim,
)
from ._inplace import _type_name, writes_out
from .indexing import ufunc_at
from .math_misc import not_differentiable

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
           "index_copy", "index_fill", "masked_fill", "masked_select", "masked_scatter", "take",
           "take_along_dim", "put"]

_isinstance = isinstance


# ------------------------------------------------------------------ helpers
_warned_reduce = False


def _warn_reduce_once() -> None:
    """``scatter(..., reduce=)`` with a tensor ``src`` is deprecated; PyTorch says so once
    per process (TORCH_WARN_ONCE), not at every call in a training loop."""
    global _warned_reduce
    import warnings

    from .._stacklevel import user_stacklevel

    _warned_reduce = True
    warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                  "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                  "instead for more reduction options. (Triggered internally at "
                  "/__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:225.)",
                  UserWarning, stacklevel=user_stacklevel())


def _dim_key(xp: Any, ix: Any, d: int) -> tuple:
    """The index tuple that sends element ``p`` of ``ix`` to position ``p`` with its
    dim ``d`` replaced by ``ix[p]``."""
    nd = ix.ndim
    return tuple(ix if k == d else reshape(xp, xp.arange(ix.shape[k]), tuple(
        -1 if j == k else 1 for j in range(nd))) for k in range(nd))


def _bounds(ix: Any, n: int, d: int, exc: type = RuntimeError, prefix: str = "") -> None:
    if ix.size:
        lo, hi = _min_max(ix)
        if lo < 0 or hi >= n:
            raise exc(f"{prefix}index {_first_bad(ix, 0, n)} is out of bounds for dimension {d} "
                      f"with size {n}")


def _first_bad(ix: Any, lo: int, hi: int) -> int | None:
    """The first index (in order) outside ``[lo, hi)``, as PyTorch's kernels report it."""
    if not ix.size:
        return None
    a, b = _min_max(ix)
    if a >= lo and b < hi:
        return None
    flat = ix.reshape(-1)
    bad = (flat < lo) | (flat >= hi)
    return int(flat[int(bad.argmax())])


def _min_max(a: Any) -> tuple[int, int]:
    if hasattr(a, "min"):
        return int(a.min()), int(a.max())
    xp = a.__array_namespace__()
    return int(xp.min(a)), int(xp.max(a))


def _as1(a: Any) -> Any:
    if a.ndim:
        return a
    return a.reshape(1) if hasattr(a, "reshape") else a.__array_namespace__().reshape(a, (1,))


def _value(value: Any, x: Any, xp: Any, op: str) -> Any:
    """A fill value (number or 0-d tensor) as ``x``'s dtype, checked as PyTorch converts it."""
    if op == "index_fill_" and kind(x) != "c" and (
            kind(value._data) == "c" if _isinstance(value, Tensor) else _isinstance(value, complex)):
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not "
                           "supported")
    if _isinstance(value, Tensor):
        _value_dim(value, op)
        if kind(value._data) != "b":
            _fill_range(value.item(), x)  # PyTorch fills with the value as a number
        return astype(xp, value._data, x.dtype)
    value = _fill_range(value, x)
    if _isinstance(value, complex) and kind(x) != "c":
        value = bool(value) if kind(x) == "b" else value.real  # into bool: nonzero-ness
    return astype(xp, xp.asarray(value), x.dtype)


def _value_dim(value: Any, op: str) -> None:
    if _isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value._data.ndim} dimension(s).")


def _fill_range(value: Any, x: Any) -> Any:
    """A fill number as PyTorch converts it to ``x``'s dtype: refused when out of range
    ("value cannot be converted to type uint8_t without overflow"), wrapped when a negative
    integer goes into an unsigned type."""
    from .creation import fill_value_for

    if value.__class__ is int or value.__class__ is float or value.__class__ is complex:
        return fill_value_for(value, _dt.from_native_dtype(x.dtype))
    return value


def _scatter_at(name: str, r: Any, key: Any, vals: Any, xp: Any) -> None:
    """``ufunc_at`` as PyTorch's CPU scatter kernels: float16/bfloat16 accumulate in float32
    and round once (their opmath), not at every repeated index."""
    if r.dtype.itemsize != 2 or kind(r) not in "fV":
        ufunc_at(name, r, key, vals)
        return
    w = astype(xp, r, xp.float32)
    ufunc_at(name, w, key, astype(xp, vals, xp.float32) if hasattr(vals, "dtype") else vals)
    r[...] = astype(xp, w, r.dtype)


def _pad_grad(g: Tensor, shape: tuple) -> Tensor:
    """``g`` (index-shaped) placed at the front of zeros of ``shape`` (a larger ``src``)."""
    if g._data.shape == shape:
        return g
    from .shape import view_grad

    key = tuple(slice(0, n) for n in g._data.shape)
    return view_grad(g, shape, lambda t: t[key])


# the messages of an index out of range (not of a dim out of range)
_INDEX_RANGE_ERRORS = ("is out of bounds for dimension", "index out of range in self",
                       "out of range: tried to access index")


def _inplace_of(fn: Callable, op: str) -> Callable:
    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _inplace.check_inplace(self, op)
        if op == "masked_scatter_":  # PyTorch refuses an expanded self before the dtypes
            _inplace.check_overlap(self, op)
            _expand_mask(self, args[0] if args else kwargs.get("mask"),
                         args[1] if len(args) > 1 else kwargs.get("source"))
        elif op == "index_copy_":  # ... and index_copy_ before anything else
            _inplace.check_overlap(self, op)
        try:
            out = fn(self, *args, **kwargs)
        except (IndexError, RuntimeError) as e:
            if "out of" in str(e):  # PyTorch looks at the overlap before the index range
                _inplace.check_overlap(self, op)
                if any(m in str(e) for m in _INDEX_RANGE_ERRORS):
                    from ._index_partial import inplace_prefix

                    inplace_prefix(op, self, args, kwargs)  # what its kernel wrote first
            raise
        return _inplace.commit(self, out, op)

    inplace.__name__ = op
    return inplace


def _expand_mask(self: Tensor, mask: Any, source: Any) -> None:
    """``masked_scatter_`` checks the source's dtype, then expands its mask to ``self``'s shape:
    PyTorch's expand error (naming the mask's type) before the mask's dtype is looked at."""
    if _isinstance(source, Tensor):
        _scatter_source_dtype(self._data, source._data)
    ms, xs = getattr(mask, "shape", None), self.shape
    if ms is None or ms == xs:
        return
    if len(ms) > len(xs) or any(a != b and a != 1 for a, b in zip(ms[::-1], xs[::-1])):
        from .indexing import _broadcast_error

        raise _broadcast_error(tuple(xs), mask, False)


# ------------------------------------------------------------------ gather and scatter
_INDEX_DTYPES = ("int32", "int64")  # PyTorch's index dtypes (uint8 indexes only as a mask)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out: Tensor | None = None) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` (for ``dim=0``): values picked along ``dim``."""
    try:
        x, ix = input._data, index._data
    except AttributeError:  # a list index (say): PyTorch's argument parser's words
        raise _not_tensors("gather", input, index) from None
    if ix.dtype not in _INDEX_DTYPES:
        if not ix.size:  # PyTorch checks nothing of an empty index
            return _empty_gather(input, index, out)
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index._device is not input._device:
        raise device_mismatch("gather", input, index)
    d = wrap_dim(dim, x.ndim, "gather")
    if ix.ndim != x.ndim and not (x.ndim <= 1 and ix.ndim <= 1):
        if not ix.size:
            return _empty_gather(input, index, out)
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x1, ix1 = _as1(x), _as1(ix)
    for k in range(x1.ndim):
        if k != d and ix1.shape[k] > x1.shape[k]:
            if not ix.size:
                return _empty_gather(input, index, out)
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(ix.shape)} to be no "
                f"larger than self {list(x.shape)} apart from dimension {d}")
    _bounds(ix1, x1.shape[d], d)
    xp = input._device._backend.xp
    # C order, as PyTorch's (NumPy's fancy indexing may follow the index's layout)
    res = make(c_order(xp, reshape(xp, x1[_dim_key(xp, ix1, d)], ix.shape)), input._device)
    if grad_state.enabled and input._rg:
        shape, dtype = x.shape, x.dtype

        def vjp(g: Tensor, _self: Tensor, index: Tensor) -> tuple:
            z = make(g._device._backend.xp.zeros(shape, dtype=dtype), g._device)
            return (scatter_add(z, d, index, g),)

        # PyTorch's node saves self too: a later in-place change to it fails the backward
        record("GatherBackward0", res, (input,), vjp, (input, index))
    return _inplace.write_out_exact(res, out, "gather")


def _empty_gather(input: Tensor, index: Tensor, out: Tensor | None) -> Tensor:
    """``gather`` with an empty index: an empty result of its shape, whatever its dims."""
    xp = input._device._backend.xp
    res = make(xp.zeros(index._data.shape, dtype=input._data.dtype), input._device)
    if grad_state.enabled and input._rg:
        shape, dtype = input._data.shape, input._data.dtype
        record("GatherBackward0", res, (input,),
               lambda g: (make(g._device._backend.xp.zeros(shape, dtype=dtype), g._device),))
    return _inplace.write_out_exact(res, out, "gather")


class _EmptyIndex(Exception):
    """A scatter's index is empty: PyTorch checks nothing else and returns ``self``'s copy."""


def _scatter_copy(input: Tensor, src: Any, name: str) -> Tensor:
    """The result of a scatter with an empty index: a copy of ``input`` (``src`` unused)."""
    res = make(input._device._backend.copy(input._data), input._device)
    st = _isinstance(src, Tensor) and src._rg
    if grad_state.enabled and (input._rg or st):
        gi = input._rg
        record(name, res, (input, src if st else None),
               lambda g: (g if gi else None, src.new_zeros(src.shape) if st else None))
    return res


def _src_dims_error() -> RuntimeError:
    return RuntimeError("Index tensor must have the same number of dimensions as src tensor")


def _scatter_args(input: Tensor, dim: int, index: Tensor, src: Any, op: str) -> tuple:
    """Checked (dim, key, src part) of a scatter: ``src`` restricted to ``index``'s shape.
    Raises ``_EmptyIndex`` for an empty index that PyTorch's checks would pass over."""
    x, ix = input._data, index._data
    if ix.dtype not in _INDEX_DTYPES:
        if not ix.size:
            raise _EmptyIndex
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    d = wrap_dim(dim, x.ndim, op)
    s = src._data if _isinstance(src, Tensor) else None
    if s is not None and s.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if ix.ndim != x.ndim and not (x.ndim <= 1 and ix.ndim <= 1):
        if not ix.size:
            raise _EmptyIndex
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    x1, ix1 = _as1(x), _as1(ix)
    s1 = _as1(s) if s is not None else None
    try:
        for k in range(x1.ndim):
            if (k != d and ix1.shape[k] > x1.shape[k]) or (
                    s1 is not None and ix1.shape[k] > s1.shape[k]):
                if not ix.size:
                    raise _EmptyIndex
                tail = f" and to be no larger size than src {list(s.shape)}" if s is not None \
                    else ""
                raise RuntimeError(f"Expected index {list(ix.shape)} to be no larger than self "
                                   f"{list(x.shape)} apart from dimension {d}{tail}")
    except IndexError:  # src has fewer dims than index: PyTorch's src.size(k) refusal
        if not ix.size:
            raise _EmptyIndex from None
        if s.ndim == 0:
            raise _src_dims_error() from None
        n = s1.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {n})") from None
    if s1 is not None and s1.ndim != ix1.ndim:
        if not ix.size:
            raise _EmptyIndex
        raise _src_dims_error()
    _bounds(ix1, x1.shape[d], d)
    xp = input._device._backend.xp
    part = None
    if s1 is not None:
        part = s1[tuple(slice(0, n) for n in ix1.shape)] if s1.shape != ix1.shape else s1
    return d, _dim_key(xp, ix1, d), part


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (or the number ``value``) written at ``index`` along
    ``dim``; ``reduce='add'|'multiply'`` combines instead of overwriting."""
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is not None and not _isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if reduce is not None and src is not None and not _warned_reduce:
        _warn_reduce_once()
    try:
        d, key, part = _scatter_args(input, dim, index, src, "scatter")
    except _EmptyIndex:
        return _scatter_copy(input, src, "ScatterBackward0" if src is not None else
                             "ScatterBackward1")
    xp = input._device._backend.xp
    r = _as1(input._data.copy())
    v = part if src is not None else _value(value, r, xp, "scatter")
    if reduce is None:
        r[key] = v
    else:
        _scatter_at("add" if reduce == "add" else "multiply", r, key,
                    xp.broadcast_to(v, key[d].shape), xp)
    res = make(r.reshape(input._data.shape), input._device)
    if reduce is not None:  # PyTorch has no derivative for scatter.reduce / scatter.value_reduce
        return not_differentiable("scatter", res, (input, src))
    st = src is not None and src._rg
    if grad_state.enabled and (input._rg or st):
        sshape = src._data.shape if src is not None else None

        gi = input._rg

        def vjp(g: Tensor, index: Tensor) -> tuple:
            gs = scatter(g, d, index, 0) if gi else None
            gsrc = _pad_grad(gather(g, d, index), sshape) if st else None
            return gs, gsrc

        if src is not None:
            record("ScatterBackward0", res, (input, src), vjp, (index,))
        else:  # scatter's value overload: no edge for the number
            record("ScatterBackward1", res, (input,), lambda g, i: vjp(g, i)[:1], (index,))
    return res


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    try:
        d, key, part = _scatter_args(input, dim, index, src, "scatter_add")
    except _EmptyIndex:
        return _scatter_copy(input, src, "ScatterAddBackward0")
    xp = input._device._backend.xp
    r = _as1(copy(xp, input._data))
    _scatter_at("add", r, key, part, xp)
    res = make(reshape(xp, r, input._data.shape), input._device)
    if grad_state.enabled and (input._rg or src._rg):
        sshape = src._data.shape
        gi, gsr = input._rg, src._rg
        record("ScatterAddBackward0", res, (input, src),
               lambda g, index: (g if gi else None,
                                 _pad_grad(gather(g, d, index), sshape) if gsr else None),
               (index,))
    return res


_REDUCE = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
           "amin": "minimum", "max": "maximum", "min": "minimum"}


def _identity(xp: Any, dtype: Any, reduce: str) -> Any:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind not in "biu":  # floating, bfloat16 included
        return -xp.inf if reduce in ("amax", "max") else xp.inf
    if dtype.kind == "b":
        return reduce not in ("amax", "max")
    import numpy as np

    info = np.iinfo(dtype)
    return info.min if reduce in ("amax", "max") else info.max


def complex_grad_refused(res: Tensor, op: str) -> Tensor:
    """``res``, or PyTorch's refusal where an op without complex derivatives (the
    out-of-place scatter_reduce, index_reduce, select_scatter, slice_scatter) would
    record a complex result (checked after the op, as PyTorch's autograd layer does)."""
    if res._rg and res._data.dtype.kind == "c":
        raise RuntimeError(f"{op} does not support automatic differentiation for outputs with "
                           "complex dtype.")
    return res


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where the ``src`` values sent to each position by ``index`` are
    reduced (``sum``, ``prod``, ``mean``, ``amax``, ``amin``) with it (or replace it when
    ``include_self=False``); complex autograd is refused, as PyTorch's."""
    return complex_grad_refused(
        _scatter_reduce(input, dim, index, src, reduce, include_self=include_self),
        "scatter_reduce")


def _scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """A copy of ``input`` where the ``src`` values sent to each position by ``index`` are
    reduced (``sum``, ``prod``, ``mean``, ``amax``, ``amin``) with it (or replace it when
    ``include_self=False``)."""
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    try:
        d, key, part = _scatter_args(input, dim, index, src, "scatter_reduce")
    except _EmptyIndex:
        return _scatter_copy(input, src, "ScatterReduceBackward0")
    if reduce == "mean" and kind(input._data) == "b":  # (no index: only the mean's division)
        kernel = "scatter_gather_tensor_cpu_reduce_mean" if index._data.size else "div_floor_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if reduce in ("amax", "amin") and kind(input._data) == "c" and index._data.size:  # no order
        raise NotImplementedError(f"\"scatter_gather_tensor_cpu_reduce_{reduce}\" not "
                                  f"implemented for '{_type_name(input._data.dtype)}'")
    xp = input._device._backend.xp
    x = _as1(input._data)
    r = x.copy()
    if not include_self:
        r[key] = _identity(xp, r.dtype, reduce)
    _scatter_at(_REDUCE[reduce], r, key, part, xp)
    count = None
    if reduce == "mean":
        count = xp.full(r.shape, 1 if include_self else 0, dtype=xp.int64)
        ufunc_at("add", count, key, 1)
        count = xp.maximum(count, 1)
        r = (r // count if kind(r) in "biu" else r / count).astype(r.dtype)  # bfloat16: "V"
    res = make(r.reshape(input._data.shape), input._device)
    if grad_state.enabled and (input._rg or src._rg):
        sshape = src._data.shape
        touched = xp.zeros(x.shape, dtype=bool)
        touched[key] = True
        gi, gsr = input._rg, src._rg

        def vjp(g: Tensor, self_: Tensor, src_: Tensor, result: Tensor, index: Tensor) -> tuple:
            gs, gsrc = _scatter_reduce_grad(g, self_, src_, result, d, index, reduce,
                                            include_self, count)
            if not include_self:
                gs = gs.masked_fill(make(touched.reshape(g._data.shape), g._device), 0)
            return (gs if gi else None, _pad_grad(gsrc, sshape) if gsr else None)

        record("ScatterReduceBackward0", res, (input, src), vjp, (input, src, res, index))
    return res


def _where(m: Any, a: Tensor, b: Tensor) -> Tensor:
    """``a`` where array ``m`` is True, else ``b`` (differentiable in ``a`` and ``b``)."""
    mt = make(m, a._device)
    return a.masked_fill(make(~m, a._device), 0) + b.masked_fill(mt, 0)


def _scatter_reduce_grad(g: Tensor, x: Tensor, src: Tensor, result: Tensor, d: int,
                         index: Tensor, reduce: str, include_self: bool, count: Any) -> tuple:
    dev = g._device
    xp = dev._backend.xp
    key = tuple(slice(0, n) for n in index._data.shape)
    s = src[key] if src._data.shape != index._data.shape else src
    if reduce in ("sum", "mean"):
        if reduce == "mean":
            g = g / make(count.reshape(g._data.shape).astype(g._data.dtype), dev)
        return g, gather(g, d, index)
    if reduce == "prod":
        xa, sa = x._data, s._data
        masked_self = x.masked_fill(make(xa == 0, dev), 1)
        msr = _scatter_reduce(masked_self, d, index, s, "prod", include_self=include_self)
        gs = g * msr / masked_self
        src_zero = sa == 0
        nz = make(xp.zeros(xa.shape, dtype=xa.dtype), dev)
        nz = gather(scatter_add(nz, d, index, make(src_zero.astype(xa.dtype), dev)), d,
                    index)._data
        single = src_zero & (nz == 1)
        masked_src = s.masked_fill(make(single, dev), 1)
        msrc_res = _scatter_reduce(x, d, index, masked_src, "prod", include_self=include_self)
        gsrc = _where(single, gather(g * msrc_res, d, index),
                      gather(g * result, d, index) / s.masked_fill(make(src_zero, dev), 1))
        return gs, gsrc
    # amax / amin: the gradient is shared evenly among the elements equal to the result
    ra = result._data
    self_is = (x._data == ra).astype(ra.dtype)
    value = gather(result, d, index)._data
    src_is = (s._data == value).astype(ra.dtype)
    n = scatter_add(make(self_is, dev), d, index, make(src_is, dev))
    gd = g / n
    return gd * make(self_is, dev), gather(gd, d, index) * make(src_is, dev)


# ------------------------------------------------------------------ index_* along one dim
_LONG_INDEX = ("index_fill_", "index_copy_")


def _index_error(op: str, ix: Any) -> Exception:
    """PyTorch's error for an index of the wrong rank or dtype: each op checks in its own order
    and words it its own way."""
    bad_dim, t = ix.ndim > 1, _type_name(ix.dtype)
    if op == "index_add_":
        if bad_dim:
            return IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                              f"{ix.ndim} with type: {t} and size: {list(ix.shape)}")
        return RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {t}")
    if op == "index_copy_":
        if bad_dim:
            return IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {ix.ndim})")
        return RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {t}")
    if op == "index_fill_":
        if ix.dtype != "int64":
            return IndexError("index_fill_(): Expected dtype int64 for index.")
        return RuntimeError("Index has to be a vector/scalar")
    if ix.dtype not in _INDEX_DTYPES:
        return RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    return IndexError(f"{op}(): Index is supposed to be a vector")


def _not_tensors(op: str, input: Any, index: Any) -> TypeError:
    """The refusal of a non-tensor ``input`` or ``index`` (positions as ``ember.op`` counts)."""
    from .pointwise_unary import not_tensor
    return not_tensor(op, input) if not isinstance(input, Tensor) else \
        not_tensor(op, index, 3, "index")


def _index_args(input: Tensor, dim: int, index: Tensor, op: str) -> tuple:
    try:
        x, ix = input._data, index._data
    except AttributeError:  # a list index (say): PyTorch's argument parser's words
        raise _not_tensors(op, input, index) from None
    if ix.ndim > 1 or ix.dtype not in _INDEX_DTYPES or (op in _LONG_INDEX and ix.dtype != "int64"):
        raise _index_error(op, ix)
    if index._device is not input._device:
        raise device_mismatch(op, input, index)
    d = wrap_dim(dim, x.ndim, op)
    return d, reshape(index._device._backend.xp, ix, (-1,))


def index_select(input: Tensor, dim: int, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The slices of ``input`` at positions ``index`` (a 1-D tensor) along ``dim``."""
    d, ix = _index_args(input, dim, index, "index_select")
    x = input._data
    if not x.ndim and ix.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{ix.size} value(s)")
    n = x.shape[d] if x.ndim else 1
    if ix.size and (_min_max(ix)[0] < 0 or _min_max(ix)[1] >= n):
        raise _select_bounds_error(ix, n, d, x.ndim, x.size)
    xp = input._device._backend.xp
    r = xp.take(x, ix, axis=d) if x.ndim else reshape(xp, xp.take(_as1(x), ix, axis=0), ())
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        shape, dtype = x.shape, x.dtype

        def vjp(g: Tensor, index: Tensor) -> tuple:
            z = make(g._device._backend.xp.zeros(shape, dtype=dtype), g._device)
            return (index_add(z, d, index, g),)

        record("IndexSelectBackward0", res, (input,), vjp, (index,))
    return _inplace.write_out_exact(res, out, "index_select", _select_out_error)


def _select_out_error(expected: Any, got: Any, i: int = 0) -> RuntimeError:
    return RuntimeError("index_select(): self and result must have the same scalar type")


def _select_bounds_error(ix: Any, n: int, d: int, ndim: int, size: int = 1) -> Exception:
    """PyTorch's refusal of an out-of-range index_select: an empty dim first; along dim 1 of
    a matrix or more, or any dim of an empty one (their own kernels), the first bad index;
    else an IndexError."""
    if n == 0 and ndim > 1:
        return RuntimeError("index_select(): self indexing axis dim should be positive")
    if ndim > 1 and (d == 1 or size == 0):
        bad = (ix < 0) | (ix >= n)
        first = int(ix[bad.argmax()])
        return RuntimeError(f"INDICES element is out of DATA bounds, id={first} axis_dim={n}")
    return IndexError("index out of range in self")


def _index_source(input: Tensor, d: int, ix: Any, source: Tensor, op: str,
                  check: bool = True) -> Any:
    x, s = input._data, source._data
    if s.dtype != x.dtype:
        raise RuntimeError(f"{op}(): self ({_type_name(x.dtype)}) and source "
                           f"({_type_name(s.dtype)}) must have the same scalar type")
    if s.ndim and d >= s.ndim:
        raise RuntimeError(f"{op}(): Indexing dim {d} is out of bounds of the source tensor "
                           f"with dim {s.ndim}")
    ns = s.shape[d] if s.ndim else 1
    if ix.size != ns and not s.ndim:  # PyTorch's message reads source.size(dim) and fails
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if ix.size != ns:
        raise RuntimeError(f"{op}(): Number of indices ({ix.size}) should be equal to "
                           f"source.size(dim): ({ns}), for dim: {d}")
    if s.ndim != x.ndim or s.shape[:d] != x.shape[:d] or s.shape[d + 1:] != x.shape[d + 1:]:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(s.shape)}")
    if check:
        _bounds(ix, x.shape[d] if x.ndim else 1, d)
    return s


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated
    indices accumulate)."""
    d, ix = _index_args(input, dim, index, "index_add_")
    refuse_shell_uint("index_add_", input._data)
    s = _index_source(input, d, ix, source, "index_add_", check=False)
    nd = input._data.ndim
    bad = _first_bad(ix, 0, input._data.shape[d] if nd else 1)
    # PyTorch's scatter-based path: alpha 1, along the first or last dim of a matrix or more
    scatter_path = nd > 1 and d in (0, nd - 1) and alpha == 1 and alpha.__class__ is not bool \
        and ix.dtype == "int64"
    if bad is not None:
        if scatter_path:  # names the index
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                               f"{input._data.shape[d]}")
        raise IndexError("index out of range in self")
    xp = input._device._backend.xp
    r = _as1(copy(xp, input._data))
    a = alpha
    if alpha != 1 and r.dtype.kind in "iub":  # PyTorch converts alpha to self's dtype (checked;
        a = _value(alpha, r, xp, "index_add_")  # -1 wraps into uint8, 0.5 is True for bool)
    vals = reshape(xp, _as1(s if alpha == 1 else s * a),
                   r.shape[:d] + (ix.size,) + r.shape[d + 1:])
    key = (slice(None),) * d + (ix,)
    if scatter_path:
        _scatter_at("add", r, key, vals, xp)
    else:
        ufunc_at("add", r, key, vals)
    res = make(reshape(xp, r, input._data.shape), input._device)
    if grad_state.enabled and (input._rg or source._rg):
        sshape = s.shape
        gi, gs = input._rg, source._rg

        def vjp(g: Tensor, index: Tensor, _source: Tensor) -> tuple:
            gsrc = None
            if gs:
                gsrc = index_select(g, d, index).reshape(sshape)
                if alpha != 1:
                    gsrc = gsrc * alpha
            return (g if gi else None, gsrc)

        # PyTorch's node saves index and source for source's gradient alone
        record("IndexAddBackward0", res, (input, source), vjp,
               (index if gs else None, source if gs else None))
    return res


def _check_copy_shapes(xs: tuple, ss: tuple, d: int) -> None:
    """index_copy's shape rules: equal dims (unless one is a scalar), then equal slices."""
    if len(xs) and len(ss) and len(xs) != len(ss):
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({len(ss)}), "
                         f"destination dimensionality ({len(xs)})")
    xslice, sslice = xs[:d] + xs[d + 1:], ss[:d] + ss[d + 1:]
    if len(xs) and len(ss) and xslice != sslice:
        # (PyTorch's message names dimension 0 for the source, whatever dim is)
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, xslice))} at dimension {d} and source slice shape: "
            f"{' '.join(map(str, sslice))} at dimension 0.")


@autocast_op("index_copy")  # (promotes under CPU autocast; ``index_copy_`` does not)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``."""
    if not source._data.ndim and index._data.size != 1 and index._data.ndim < 2:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element "
                         f"(got {index._data.size})")
    d, ix = _index_args(input, dim, index, "index_copy_")
    x, s = input._data, source._data
    refuse_shell_uint("index_copy_cpu", x)
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_type_name(x.dtype)} and (source) "
                           f"{_type_name(s.dtype)}")
    _check_copy_shapes(x.shape, s.shape, d)
    ns = s.shape[d] if s.ndim else 1
    if ix.size != ns:
        raise IndexError(f"index_copy_(): Number of indices ({ix.size}) should be equal to "
                         f"source.size(dim) ({ns})")
    n = x.shape[d] if x.ndim else 1
    bad = _first_bad(ix, 0, n)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with "
                         f"size {n}")
    r = _as1(x.copy())
    r[(slice(None),) * d + (ix,)] = _as1(s).reshape(r.shape[:d] + (ix.size,) + r.shape[d + 1:])
    res = make(r.reshape(x.shape), input._device)
    if grad_state.enabled and (input._rg or source._rg):
        sshape = s.shape
        gi, gs = input._rg, source._rg
        record("IndexCopyBackward0", res, (input, source),
               lambda g, index: (index_fill(g, d, index, 0) if gi else None,
                                 index_select(g, d, index).reshape(sshape) if gs else None),
               (index,))
    return res


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d, ix = _index_args(input, dim, index, "index_fill_")
    x = input._data
    refuse_shell_uint("index_fill_cpu", x)
    xp = input._device._backend.xp
    v = _value(value, x, xp, "index_fill_")
    n = x.shape[d] if x.ndim else 1
    bad = _first_bad(ix, -n, n)  # negative indices count from the end, as in PyTorch
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    r = _as1(laid_like(xp, x.copy(), x))  # PyTorch's clone keeps the input's layout
    r[(slice(None),) * d + (ix,)] = v
    res = make(r.reshape(x.shape), input._device)
    vt = _isinstance(value, Tensor) and value._rg
    if grad_state.enabled and (input._rg or vt):
        gi = input._rg
        def vjp(g: Tensor, index: Tensor) -> tuple:
            return (index_fill(g, d, index, 0) if gi else None,
                    index_select(g, d, _unique_index(index)).sum() if vt else None)

        _record_value("IndexFill", res, input, value, vjp, (index,))
    return res


def _unique_index(index: Tensor) -> Tensor:
    """The distinct values of ``index``: a filled slice takes its value once, however often
    it is named (PyTorch's ``grad.index_select(dim, _unique(index)).sum()``)."""
    xp = index._device._backend.xp
    return make(xp.unique(reshape(xp, index._data, (-1,))), index._device)


# ------------------------------------------------------------------ masks
def _mask(mask: Tensor, op: str, cap: bool = False) -> Any:
    m = mask._data
    if kind(m) != "b":
        name = {"uint8": "unsigned char", "float32": "float", "float64": "double",
                "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
                }.get(str(m.dtype), str(m.dtype))
        if cap:
            name = _type_name(m.dtype)
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {name}")
    return m


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (input and mask broadcast)."""
    return _masked_fill(input, mask, value, False)


def _masked_fill(input: Tensor, mask: Tensor, value: Any, inplace: bool) -> Tensor:
    """``masked_fill``, with the checks in PyTorch's order for its out-of-place or (``inplace``)
    in-place form."""
    if not _isinstance(value, (int, float, Tensor)):
        _number_checked(value, mask, "masked_fill_" if inplace else "masked_fill")
    x = input._data
    if not inplace:  # PyTorch broadcasts first, then fills
        _mask_shape(mask._data, x)
    _value_dim(value, "masked_fill_")
    m = _mask(mask, "masked_fill_")
    if inplace:  # shapes that do not broadcast: PyTorch's RuntimeError, self's size first
        shape = _mask_shape(x, m)
        if shape != x.shape:
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
    xp = input._device._backend.xp
    v = _value(value, x, xp, "masked_fill_")
    res = make(c_order(xp, xp.where(m, v, x)), input._device)  # PyTorch's is a C-ordered clone
    vt = _isinstance(value, Tensor) and value._rg
    if grad_state.enabled and (input._rg or vt):
        shape = x.shape
        gi = input._rg

        def vjp(g: Tensor, mask: Tensor) -> tuple:
            gs = sum_to(masked_fill(g, mask, 0), shape) if gi else None
            gv = masked_fill(g, make(~mask._data, g._device), 0).sum() if vt else None
            return gs, gv

        _record_value("MaskedFill", res, input, value, vjp, (mask,))
    return res


def _number_checked(value: Any, mask: Any, op: str) -> None:
    """PyTorch's parser error for a fill value that is neither a number nor a tensor
    (a string, None, a list), as its method form words it."""
    import numbers

    import numpy as np

    if _isinstance(value, (numbers.Number, np.generic)) or not _isinstance(mask, Tensor):
        return
    kind_ = type(value)
    if kind_ is list:
        arg = f"list of [{', '.join(type(v).__name__ for v in value)}]"
    elif kind_ is tuple:
        arg = f"tuple of ({', '.join(type(v).__name__ for v in value)}{',' * (len(value) == 1)})"
    else:
        arg = kind_.__name__
    bad = f"      didn't match because some of the arguments have invalid types: (Tensor, !{arg}!)\n"
    raise TypeError(f"{op}() received an invalid combination of arguments - got (Tensor, "
                    f"{kind_.__name__}), but expected one of:\n * (Tensor mask, Tensor value)\n"
                    f"{bad} * (Tensor mask, Number value)\n{bad}")


def _record_value(op: str, res: Tensor, input: Tensor, value: Any, vjp: Callable,
                  saved: tuple) -> None:
    """Record ``<op>Backward1`` for a tensor ``value``, else the Scalar overload's
    ``<op>Backward0``, whose node (as PyTorch's) has no edge for the number."""
    if _isinstance(value, Tensor):
        record(op + "Backward1", res, (input, value), vjp, saved)
    else:
        record(op + "Backward0", res, (input,), lambda g, *s: vjp(g, *s)[:1], saved)


@writes_out("masked_select")
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    m = mask._data
    if kind(m) != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x = input._data
    xp = input._device._backend.xp
    shape = _mask_shape(m, x)
    mb = xp.broadcast_to(m, shape)
    res = make(xp.broadcast_to(x, shape)[mb], input._device)
    if grad_state.enabled and input._rg:
        xshape, dtype = x.shape, x.dtype

        def vjp(g: Tensor, mask: Tensor, _self: Tensor) -> tuple:
            xp = g._device._backend.xp
            z = make(xp.zeros(shape, dtype=dtype), g._device)
            return (sum_to(masked_scatter(z, mask, g), xshape),)

        # PyTorch's node saves self too: changing it in place fails the backward
        record("MaskedSelectBackward0", res, (input,), vjp, (mask, input))
    return res


def _mask_shape(m: Any, x: Any) -> tuple:
    """The common shape of a mask and its input, or PyTorch's RuntimeError naming the
    mismatched sizes (the mask's first)."""
    from .arithmetic import _mismatch

    a, b, d = _mismatch(m.shape, x.shape)
    if a != b and a != 1 and b != 1:
        raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) "
                           f"at non-singleton dimension {d}")
    n = max(m.ndim, x.ndim)
    pm, px = (1,) * (n - m.ndim) + m.shape, (1,) * (n - x.ndim) + x.shape
    return tuple(i if j == 1 else j for i, j in zip(pm, px))


def _scatter_source_dtype(x: Any, s: Any) -> None:
    if s.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_type_name(x.dtype)} and {_type_name(s.dtype)}")


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with consecutive elements of ``source`` written where ``mask`` is
    True (input and mask broadcast)."""
    x, s = input._data, source._data
    shape = _mask_shape(mask._data, x)  # PyTorch's order: shapes, source dtype, mask dtype
    _scatter_source_dtype(x, s)
    m = _mask(mask, "masked_scatter_", cap=True)
    xp = input._device._backend.xp
    mb = xp.broadcast_to(m, shape)
    r = xp.array(xp.broadcast_to(x, shape), order="C")  # PyTorch: a contiguous clone
    n = int(mb.sum())
    if n > s.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    r[mb] = s.reshape(-1)[:n]
    res = make(r, input._device)
    if grad_state.enabled and (input._rg or source._rg):
        xshape, sshape, ssize = x.shape, s.shape, s.size
        gi, gs = input._rg, source._rg

        def vjp(g: Tensor, mask: Tensor) -> tuple:
            mt = make(g._device._backend.xp.broadcast_to(mask._data, shape), g._device)
            gsrc = None
            if gs:
                gsrc = masked_select(g, mt)
                if ssize > n:
                    from .shape_join import cat

                    pad = make(g._device._backend.xp.zeros(ssize - n, dtype=g._data.dtype),
                               g._device)
                    gsrc = cat([gsrc, pad])
                gsrc = gsrc.reshape(sshape)
            return (sum_to(masked_fill(g, mt, 0), xshape) if gi else None, gsrc)

        record("MaskedScatterBackward0", res, (input, source), vjp, (mask,))
    return res


# ------------------------------------------------------------------ flat indices
def _long_index(index: Tensor, op: str) -> Any:
    ix = index._data
    if kind(ix) not in "iu" or ix.dtype.itemsize != 8:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{_type_name(ix.dtype)}")
    return ix


def _flat_index(input: Tensor, index: Tensor, op: str, source: Any = None) -> Any:
    """``index`` (int64) wrapped into the flattened ``input``; PyTorch's checks in its order:
    the index dtype, then (``put_``) the source's dtype and size, then the range."""
    ix = _long_index(index, op)
    if source is not None:
        _put_source_checks(input._data, ix, source._data)
    n = input._data.size
    if ix.size:
        lo, hi = int(ix.min()), int(ix.max())
        if lo < -n or hi >= n:
            raise IndexError(f"out of range: tried to access index {lo if lo < -n else hi} on a "
                             f"tensor of {n} elements.")
    return ix % n if ix.size and n else ix


@writes_out("take")
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (shaped like ``index``)."""
    ix = _flat_index(input, index, "take")
    x = input._data
    refuse_shell_uint("take_cpu", x)
    res = make(x.reshape(-1)[ix], input._device)
    if grad_state.enabled and input._rg:
        shape, dtype, size = x.shape, x.dtype, x.size

        def vjp(g: Tensor, _self: Tensor) -> tuple:
            z = make(g._device._backend.xp.zeros(size, dtype=dtype), g._device)
            return (index_add(z, 0, make(ix.reshape(-1), g._device), g.reshape(-1))
                    .reshape(shape),)

        record("TakeBackward0", res, (input,), vjp, (input,))  # PyTorch's node saves self
    return res


@writes_out("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with ``indices`` and ``input`` broadcast in the dims other than ``dim``
    (the flattened tensors if ``dim`` is None)."""
    if dim is None:  # flattened: gather's own index check (it takes int32 too)
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if indices._data.dtype != "int64":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_type_name(indices._data.dtype)}")
    x, ix = input._data, indices._data
    if x.ndim != ix.ndim:
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x.ndim} dimensions for input, and {ix.ndim} dimensions for "
            "indices")
    d = wrap_dim(dim, x.ndim, "take_along_dim")
    if not x.ndim:  # PyTorch reads the scalar's size(dim)
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    from .shape import broadcast_shapes

    s = list(x.shape)
    s[d] = ix.shape[d]
    for i in range(len(s) - 1, -1, -1):  # PyTorch's infer_size, from the last dim
        if s[i] != ix.shape[i] and s[i] != 1 and ix.shape[i] != 1:
            raise RuntimeError(f"The size of tensor a ({s[i]}) must match the size of tensor b "
                               f"({ix.shape[i]}) at non-singleton dimension {i}")
    b = list(broadcast_shapes(tuple(s), ix.shape))
    bi = tuple(b)
    b[d] = x.shape[d]
    try:
        return gather(input.expand(tuple(b)), d, indices.expand(bi))
    except RuntimeError:
        if not (ix < 0).any():
            raise
    # PyTorch counts negative indices from the end along ``dim`` (not when flattened)
    wrapped = make(ix + (ix < 0) * x.shape[d], indices._device)
    return gather(input.expand(tuple(b)), d, wrapped.expand(bi))


def _put_source_checks(x: Any, ix: Any, s: Any) -> None:
    if s.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_type_name(x.dtype)} and source.dtype = "
                           f"{_type_name(s.dtype)}")
    if s.size != ix.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {s.size}, index.numel() = {ix.size}")


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written (or added) at the flat positions ``index``."""
    ix = _flat_index(input, index, "put_", source)
    x, s = input._data, source._data
    refuse_shell_uint("take_put_cpu", x)
    r = x.copy()
    flat = r.reshape(-1)
    if accumulate:
        ufunc_at("add", flat, ix.reshape(-1), s.reshape(-1))
    else:
        flat[ix.reshape(-1)] = s.reshape(-1)
    res = make(laid_like(input._device._backend.xp, r, x), input._device)  # clone's layout
    if grad_state.enabled and (input._rg or source._rg):
        sshape = s.shape
        gi, gs = input._rg, source._rg

        def vjp(g: Tensor, index: Tensor) -> tuple:
            gself = None
            if gi:
                zs = make(g._device._backend.xp.zeros(sshape, dtype=g._data.dtype), g._device)
                gself = g if accumulate else put(g, index, zs)
            return gself, take(g, index).reshape(sshape) if gs else None

        record("PutBackward0", res, (input, source), vjp, (index,))
    return res


methods(gather=gather, scatter=scatter, scatter_add=scatter_add, scatter_reduce=scatter_reduce,
        index_select=index_select, index_add=index_add, index_copy=index_copy,
        index_fill=index_fill, masked_fill=masked_fill, masked_select=masked_select,
        masked_scatter=masked_scatter, take=take, take_along_dim=take_along_dim, put=put,
        scatter_=_inplace_of(scatter, "scatter_"),
        scatter_add_=_inplace_of(scatter_add, "scatter_add_"),
        scatter_reduce_=_inplace_of(_scatter_reduce, "scatter_reduce_"),
        index_add_=_inplace_of(index_add, "index_add_"),
        index_copy_=_inplace_of(index_copy.__wrapped__, "index_copy_"),  # (no autocast)
        index_fill_=_inplace_of(index_fill, "index_fill_"),
        masked_fill_=_inplace_of(lambda self, mask, value: _masked_fill(self, mask, value, True),
                                 "masked_fill_"),
        masked_scatter_=_inplace_of(masked_scatter, "masked_scatter_"),
        put_=_inplace_of(put, "put_"))


def _namespace_out(fn: Callable, op: str) -> Callable:
    """The namespace function with PyTorch's ``out=`` (of the result's dtype); the methods,
    bound above, take none, as PyTorch's."""
    return writes_out(op, exact=True)(fn)


scatter = _namespace_out(scatter, "scatter")
scatter_add = _namespace_out(scatter_add, "scatter_add")
scatter_reduce = _namespace_out(scatter_reduce, "scatter_reduce")
index_add = _namespace_out(index_add, "index_add")
index_copy = _namespace_out(index_copy, "index_copy")
