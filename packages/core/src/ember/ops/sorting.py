"""Order statistics: sort, argsort, topk, kthvalue, median, mode, quantile, unique.

Sorting is stable (NaN sorts as the largest value, as in PyTorch); values picked by
index send their gradient back to those indices (a scatter, itself differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import return_types as _rt
from .._memory_format import laid_like
from . import _std_sort as _std
from ._along_dim import (
    OMITTED,
    empty_dim_error,
    evenly,
    gather,
    is_float,
    kept_shape,
    moved_last,
    permute,
    reduced_shape,
    scan,
    select_along,
    wrap,
)
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, methods, record, refuse_shell_uint, renamed, wrap_dim
from ._inplace import _type_name, write_out, write_out_exact
from .pointwise_binary import lerp
from .pointwise_unary import not_implemented

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "unique", "unique_consecutive", "quantile", "nanquantile"]

_isinstance = isinstance


def _no_kinds(x: Any, kinds: str, kernel: str) -> None:
    """PyTorch's NotImplementedError for a kernel without bool ('b') or complex ('c') types."""
    if x.dtype.kind in kinds:
        raise not_implemented(kernel, x.dtype)


def _orderable(x: Any) -> Any:
    """``x`` as an array NumPy sorts correctly: ml_dtypes' bfloat16 (kind 'V') misplaces
    NaN in NumPy's sorts, so order its exact float32 copy instead."""
    return x.astype("float32") if x.dtype.kind == "V" else x


def _argsort_arr(xp: Any, x: Any, d: int, descending: bool, op: str = "Sort",
                 stable: bool = True) -> Any:
    """Sort order along ``d``: stable (descending keeps equal elements in their order), or
    with ``stable=False`` the order PyTorch's CPU ``std::sort`` leaves among ties."""
    if x.dtype.kind == "c":
        raise RuntimeError(f" {op} does not support complex dtypes on CPU")  # sic: PyTorch's
    xo = _orderable(x)
    if not descending:
        order = xp.argsort(xo, axis=d, kind="stable")
    else:
        n = x.shape[d]
        order = (n - 1) - xp.flip(xp.argsort(xp.flip(xo, axis=d), axis=d, kind="stable"), axis=d)
    if not stable and x.shape[d] > 16 and x.size < _std.REPLAY_MAX and \
            x.__class__ is np.ndarray and _ties(xo, order, d):  # else insertion sort: stable
        return _replayed(x, d, descending, _std.sort_order)
    return order


def _ties(x: Any, order: Any, d: int) -> bool:
    """Whether a slice of ``x`` along ``d`` holds equal elements (two NaNs count), read off
    its sort ``order``: only then can an unstable sort's order differ from the stable one."""
    s = np.take_along_axis(x, order, axis=d)
    n = s.shape[d]
    if (np.take(s, range(1, n), axis=d) == np.take(s, range(n - 1), axis=d)).any():
        return True
    return x.dtype.kind in "fV" and bool((np.isnan(s).sum(axis=d) > 1).any())


def _replayed(x: Any, d: int, descending: bool, replay: Any, *args: Any) -> Any:
    """``replay(ranks, *args)`` of the slices of ``x`` along ``d`` (moved back to ``d``)."""
    r = _std.ranks(np.moveaxis(x, d, -1), descending)
    return np.ascontiguousarray(np.moveaxis(replay(r, *args), -1, d))


def _sort_overload_error(args: tuple, stable: Any) -> TypeError:
    """PyTorch's no-overload error: ``stable=`` requires ``dim``/``descending`` as keywords."""
    got = ", ".join([type(a).__name__ for a in args] + [f"stable={type(stable).__name__}"])
    return TypeError(f"sort() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:\n * (Tensor input, *, bool stable, int dim = -1, bool "
                     "descending = False, tuple of Tensors out = None)\n * (Tensor input, int dim "
                     "= -1, bool descending = False, *, tuple of Tensors out = None)\n")


def sort(input: Tensor, *args: Any, dim: int = -1, descending: bool = False,
         stable: Any = OMITTED, out: Any = None) -> Any:
    """``(values, indices)`` sorted along ``dim`` (always stably; passing ``stable=`` picks
    PyTorch's ``sort.stable`` overload, whose node is ``SortBackward1`` and whose ``dim`` and
    ``descending`` are keyword-only)."""
    if args:
        if stable is not OMITTED or len(args) > 2:
            raise _sort_overload_error(args, stable)
        dim, descending = (*args, descending) if len(args) == 1 else args
    x = input._data
    d = wrap_dim(dim, x.ndim, "sort")
    xp = input._device._backend.xp
    idx = laid_like(xp, _argsort_arr(xp, x if x.ndim else x.reshape(1), d, descending,
                                     stable=stable is not OMITTED and bool(stable)), x)
    node = "SortBackward0" if stable is OMITTED else "SortBackward1"
    return write_out_exact(_rt.sort(select_along(input, idx, d, node, x.shape)), out, "sort")


_ARGSORT_SIGS = ("\n * (Tensor input, *, bool stable, int dim = -1, bool descending = False, "
                 "Tensor out = None)\n * (Tensor input, int dim = -1, bool descending = False)\n")


def _argsort_overload_error(args: tuple, kwargs: dict) -> TypeError:
    """PyTorch's no-overload error: ``stable=`` (a bool) requires ``dim``/``descending`` as
    keywords, and only that overload takes ``out=``."""
    got = ", ".join(["Tensor"] + [type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"argsort() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:{_ARGSORT_SIGS}")


def argsort(input: Tensor, *args: Any, dim: int = -1, descending: bool = False,
            stable: Any = OMITTED, out: Tensor | None = None) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``stable=`` picks PyTorch's overload
    whose ``dim`` and ``descending`` are keyword-only)."""
    if args:
        if len(args) > 2:
            raise TypeError(f"argsort() takes from 2 to 1 positional arguments but "
                            f"{len(args) + 1} were given")
        if stable is not OMITTED or out is not None:
            raise _argsort_overload_error(args, {"stable": stable} if out is None else
                                          {"out": out})
        dim, descending = (*args, descending) if len(args) == 1 else args
    if stable is OMITTED:
        stable = False
        if out is not None:  # only the overload with ``stable`` takes out=
            raise _argsort_overload_error((), {"out": out})
    elif stable.__class__ is not bool:
        raise _argsort_overload_error((), {"stable": stable})
    x = input._data
    d = wrap_dim(dim, x.ndim, "argsort")
    xp = input._device._backend.xp
    idx = _argsort_arr(xp, x if x.ndim else x.reshape(1), d, descending, stable=stable)
    idx = laid_like(xp, idx.astype("int64").reshape(x.shape), x)  # as PyTorch's sort
    return write_out_exact(wrap(idx, input), out)


def _argsort_method(self: Tensor, *args: Any, dim: int = -1, descending: bool = False,
                    stable: Any = OMITTED, out: Any = None) -> Tensor:
    """``Tensor.argsort``: no ``out=`` in either overload."""
    if out is not None:
        raise _argsort_overload_error(args, {"out": out, "stable": stable})
    return argsort(self, *args, dim=dim, descending=descending, stable=stable)


def msort(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``input`` sorted along its first dim."""
    return write_out_exact(sort(input, 0)[0], out, "msort")


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True,  # noqa: A002
         *, out: Any = None) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    x = input._data
    d = wrap_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    try:
        if not 0 <= k <= n:
            if k.__class__ is not int and not hasattr(k, "__index__"):  # the parser's check first
                raise _k_error("topk", k)
            raise RuntimeError("selected index k out of range")
    except TypeError:  # (a string k, say)
        raise _k_error("topk", k) from None
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    refuse_shell_uint("topk_cpu", x)
    k = k if x.ndim else 1  # a 0-dim input gives its element even for k=0, as PyTorch's
    xp = input._device._backend.xp
    x0 = x if x.ndim else x.reshape(1)
    idx = None
    try:
        if k and not sorted and x0.size < _std.REPLAY_MAX and x0.__class__ is np.ndarray:
            idx = _topk_replayed(x0, d, k, largest)  # the order nth_element leaves
        if idx is None:
            idx = _argsort_arr(xp, x0, d, largest, "topk")
            if k and x0.size < _std.REPLAY_MAX and x0.__class__ is np.ndarray and \
                    _ties(_orderable(x0), idx, d):
                idx = _replayed(x0, d, largest, _std.topk_order, k, True)
            else:
                sl = [slice(None)] * x0.ndim
                sl[d] = slice(0, k)
                idx = idx[tuple(sl)]
    except TypeError:  # a float k fails only here: PyTorch's parser refuses it up front
        if k.__class__ is int:
            raise
        raise _k_error("topk", k) from None
    shape_out = x.shape[:d] + (k,) + x.shape[d + 1:] if x.ndim else ()
    return write_out_exact(_rt.topk(select_along(input, idx, d, "TopkBackward0", shape_out)), out,
                           "topk")


def _k_error(op: str, k: Any) -> TypeError:
    from .pointwise_unary import bad_arg
    return bad_arg(op, "k", k, "int", 2)


def _topk_replayed(x0: Any, d: int, k: int, largest: bool) -> Any:
    """PyTorch's CPU topk indices with ``sorted=False``: the order its ``nth_element`` (or
    ``partial_sort``, sorted, where ``k * 64 <= n``) leaves."""
    return _replayed(x0, d, largest, _std.topk_order, k, False)


def _pick(input: Tensor, pos: Any, d: int, keepdim: bool, name: str, kind: Any) -> Any:
    """The element at sorted position ``pos`` (an array, keepdim-shaped) along ``d``."""
    x = input._data
    x0 = x if x.ndim else x.reshape(1)
    xp = input._device._backend.xp
    order = xp.argsort(_orderable(x0), axis=d, kind="stable")
    idx = xp.ascontiguousarray(xp.take_along_axis(order, pos, axis=d))  # PyTorch's is C-ordered
    return _picked(input, idx, d, keepdim, name, kind)


def _picked(input: Tensor, idx: Any, d: int, keepdim: bool, name: str, kind: Any) -> Any:
    """The elements at ``idx`` (keepdim-shaped) along ``d``, with their indices."""
    return kind(select_along(input, idx, d, name, reduced_shape(input._data.shape, d, keepdim)))


def _pos_array(xp: Any, x0: Any, d: int, value: Any) -> Any:
    return xp.full(kept_shape(x0.shape, (d,)), value, dtype="int64")


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             out: Any = None) -> Any:
    """The ``k``-th smallest element along ``dim`` (1-based) and its index."""
    x = input._data
    d = wrap_dim(dim, x.ndim, "kthvalue")
    x0 = x if x.ndim else x.reshape(1)
    if x0.shape[d] == 0:
        raise empty_dim_error("kthvalue", d)
    if not 1 <= k <= x0.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim:  # a 0-d input runs no kernel
        _no_kinds(x, "bc", "kthvalue_cpu")
        refuse_shell_uint("kthvalue_cpu", x)
    xp = input._device._backend.xp
    if x0.shape[d] > 1 and x0.size < _std.REPLAY_MAX and x0.__class__ is np.ndarray and \
            _ties(_orderable(x0), np.argsort(_orderable(x0), axis=d, kind="stable"), d):
        res = _picked(input, _replayed(x0, d, False, _kth_replay, k - 1), d, keepdim,
                      "KthvalueBackward0", _rt.kthvalue)  # ATen's quickselect among ties
    else:
        res = _pick(input, _pos_array(xp, x0, d, k - 1), d, keepdim, "KthvalueBackward0",
                    _rt.kthvalue)
    return write_out_exact(res, out, "kthvalue", _kth_error)


def _kth_replay(r: Any, kth: int) -> Any:
    return _std.quick_select_index(r, kth)[..., None]


def _kth_error(expected: Any, got: Any, i: int) -> RuntimeError:
    return RuntimeError("output values must be of same type as input" if i == 0 else
                        "output indices must be of scalar type Long")


def median(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *, out: Any = None) -> Any:
    """The lower median (NaN if any is NaN); with ``dim``, ``(values, indices)`` along it."""
    dim = _median_dim("median", dim, keepdim or out is not None)  # (no out= without a dim)
    if dim is not None and out is not None:
        _check_median_out(input, out)
    return write_out_exact(_median(input, dim, keepdim, nan=False), out, "median")


def nanmedian(input: Tensor, dim: Any = OMITTED, keepdim: bool = False, *,
              out: Any = None) -> Any:
    """The lower median of the non-NaN elements; with ``dim``, ``(values, indices)``."""
    dim = _median_dim("nanmedian", dim, keepdim or out is not None)  # (no out= without a dim)
    if dim is not None and out is not None:
        _check_median_out(input, out)
    return write_out_exact(_median(input, dim, keepdim, nan=True), out, "nanmedian")


def _median_dim(op: str, dim: Any, keepdim: bool) -> Any:
    """``dim``, None when omitted; PyTorch's TypeErrors for ``dim=None`` and for ``keepdim``
    without a dim (neither overload takes them)."""
    if dim is None:
        raise TypeError(f"{op}(): argument 'dim' must be int, not NoneType")
    if dim is OMITTED:
        if keepdim:
            raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
        return None
    return dim


def _check_median_out(input: Tensor, out: Any) -> None:
    """PyTorch's median(dim) checks its indices out= first, then its values."""
    if out[1]._data.dtype != "int64":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
            f"torch.{_type_name(out[1]._data.dtype)}Tensor instead (while checking arguments for "
            "median)")
    if out[0]._data.dtype != input._data.dtype:
        raise RuntimeError(
            "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
            f"but type torch.{_type_name(out[0]._data.dtype)}Tensor does not equal "
            f"torch.{_type_name(input._data.dtype)}Tensor (while checking arguments for median)")


def _median(input: Tensor, dim: Any, keepdim: bool, nan: bool) -> Any:
    op = "nanmedian" if nan else "median"
    x = input._data
    xp = input._device._backend.xp
    if dim is None:
        if x.size:
            _no_kinds(x, "bc", "median_cpu")
            refuse_shell_uint("median_cpu", x)
        flat = x.reshape(-1)
        if x.size == 0:  # NaN, or what NaN casts to in PyTorch's integer kernels
            k = x.dtype.kind  # (through int32: the low bits of INT_MIN for int8/int16)
            fill = xp.iinfo(x.dtype).min if k == "i" and x.dtype.itemsize >= 4 else 0 \
                if k in "iu" else (
                True if k == "b" else float("nan"))
            res = wrap(xp.asarray(fill, dtype=x.dtype), input)
        else:
            order = xp.argsort(_orderable(flat), kind="stable")
            pos = int(_median_pos(xp, flat[None], 1, nan).reshape(()))
            if flat[order[pos]] == 0 and flat.size < _std.REPLAY_MAX and \
                    flat.__class__ is np.ndarray and _mixed_zeros(flat):
                # which sign of zero std::nth_element leaves
                order = _std.nth_element_order(_std.ranks(flat), pos)
            res = wrap(flat[order[pos]], input)
        if grad_state.enabled and input._rg:
            record("NanmedianBackward0" if nan else "MedianBackward0", res, (input,),
                   lambda g, xin, r: (evenly(g, xin, r),), (input, res))
        return res
    d = wrap_dim(dim, x.ndim, op)
    x0 = x if x.ndim else x.reshape(1)
    if x0.shape[d] == 0:
        raise empty_dim_error("median", d)
    _no_kinds(x, "bc", "median_out")
    refuse_shell_uint("median_out", x)
    pos = _median_pos(xp, x0, d, nan)
    return _pick(input, pos, d, keepdim, "NanmedianBackward1" if nan else "MedianBackward1",
                 _rt.nanmedian if nan else _rt.median)


def _median_pos(xp: Any, x0: Any, d: int, nan: bool) -> Any:
    """The sorted position of the (nan)median in each slice, keepdim-shaped."""
    n = x0.shape[d]
    if not is_float(x0.dtype):
        return _pos_array(xp, x0, d, (n - 1) // 2)
    k = xp.sum(~xp.isnan(x0), axis=d, keepdims=True).astype("int64")
    if nan:  # all-NaN slices pick the first NaN
        return xp.maximum(k - 1, 0) // 2
    return xp.where(k < n, k, (n - 1) // 2)  # a NaN in the slice: the first NaN


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, out: Any = None) -> Any:
    """The most frequent value along ``dim`` (the smallest among ties) and its last index."""
    if dim is None:
        raise TypeError("mode(): argument 'dim' must be int, not NoneType")
    x = input._data
    d = wrap_dim(dim, x.ndim, "mode")
    x0 = x if x.ndim else x.reshape(1)
    if x0.shape[d] == 0:
        raise empty_dim_error("mode", d)
    if x.ndim and x.size:
        _no_kinds(x, "c", "mode_cpu")
        refuse_shell_uint("mode_cpu", x)
    xp = input._device._backend.xp
    x0 = _orderable(x0)
    s = xp.sort(x0, axis=d)
    n = s.shape[d]
    view = [1] * s.ndim
    view[d] = n
    at = xp.arange(n, dtype="int64").reshape(view)
    lo = [slice(None)] * s.ndim
    hi = [slice(None)] * s.ndim
    lo[d], hi[d] = slice(None, -1), slice(1, None)
    starts = xp.ones(s.shape, dtype=bool)
    starts[tuple(hi)] = s[tuple(hi)] != s[tuple(lo)]
    run_start = scan(xp, xp.where(starts, at, 0), d, "maximum")
    best = xp.argmax(at - run_start, axis=d, keepdims=True)  # first run of the longest length
    value = xp.take_along_axis(s, best, axis=d)
    same = x0 == value
    if is_float(x0.dtype):  # a NaN mode is found at a NaN (NaN == NaN is False)
        same |= xp.isnan(x0) & xp.isnan(value)
    idx = xp.max(xp.where(same, at, -1), axis=d, keepdims=True)
    if n > _INSERTION_MAX and x0.size < _std.REPLAY_MAX and x0.__class__ is np.ndarray:
        idx = _mode_replayed(x0, d)
    elif is_float(x0.dtype) and 1 < n <= _INSERTION_MAX and x0.size:
        idx = _mode_nan_rows(xp, x0, d, idx)
    return write_out_exact(_rt.mode(select_along(input, idx, d, "ModeBackward0",
                                                 reduced_shape(x.shape, d, keepdim))), out,
                           "mode", _mode_error)


# PyTorch's CPU mode sorts each slice with std::sort, an insertion sort up to 16 elements;
# under its ``<`` a NaN compares with nothing, so where a slice holds a NaN the order (and
# then the mode) is the one that insertion sort leaves: replayed below for those slices
_INSERTION_MAX = 16


def _mode_nan_rows(xp: Any, x0: Any, d: int, idx: Any) -> Any:
    """``idx`` with the slices of ``x0`` (along ``d``) that hold a NaN given the index of
    the mode PyTorch's kernel finds there."""
    xm = xp.moveaxis(x0, d, -1)
    n = xm.shape[-1]
    flat = xm.reshape(-1, n)
    rows = xp.nonzero(xp.isnan(flat).any(axis=1))[0]
    if not rows.size:
        return idx
    a = flat[rows]
    r = a.shape[0]
    pos = xp.broadcast_to(xp.arange(n), (r, n))
    order = pos.copy()
    for i in range(1, n):  # one insertion step for every slice at once
        val, vi = a[:, i:i + 1], order[:, i:i + 1]
        stop = ~(val < a[:, :i])  # where the backward scan stops
        last = xp.where(stop, pos[:, :i], -1).max(axis=1, keepdims=True)
        at = xp.where(val[:, 0:1] < a[:, 0:1], 0, last + 1)
        c = pos[:, :i + 1]
        src = xp.where(c < at, c, xp.maximum(c - 1, 0))
        a_new = xp.take_along_axis(a[:, :i + 1], src, axis=1)
        o_new = xp.take_along_axis(order[:, :i + 1], src, axis=1)
        a[:, :i + 1] = xp.where(c == at, val, a_new)
        order[:, :i + 1] = xp.where(c == at, vi, o_new)
    won = _mode_won(xp, a, order)
    out = xp.moveaxis(idx, d, -1).reshape(-1).copy()
    out[rows] = won
    return xp.moveaxis(out.reshape(xm.shape[:-1] + (1,)), -1, d)


def _mode_replayed(x0: Any, d: int) -> Any:
    """The mode's index in each slice of ``x0`` (along ``d``, keepdim-shaped) after the
    ``std::sort`` PyTorch's kernel runs (longer slices than insertion sort: introsort)."""
    xm = np.moveaxis(x0, d, -1)
    flat = xm.reshape(-1, xm.shape[-1])
    order = _std.sort_order(flat)  # the values themselves: the kernel's ``<`` on them
    won = _mode_won(np, np.take_along_axis(flat, order, axis=1), order)
    return np.ascontiguousarray(np.moveaxis(won.reshape(xm.shape[:-1] + (1,)), -1, d))


def _mode_won(xp: Any, a: Any, order: Any) -> Any:
    """Per row of sorted values ``a`` (their indices ``order``): the index of the last
    element of the first longest run of equal neighbours (a NaN is a run of its own)."""
    r, n = a.shape
    pos = xp.broadcast_to(xp.arange(n), (r, n))
    ends = xp.ones((r, n), dtype=bool)
    ends[:, :-1] = a[:, :-1] != a[:, 1:]
    starts = xp.ones((r, n), dtype=bool)
    starts[:, 1:] = ends[:, :-1]
    run_start = scan(xp, xp.where(starts, pos, 0), 1, "maximum")
    length = xp.where(ends, pos - run_start + 1, 0)
    best = xp.argmax(length, axis=1)
    return order[xp.arange(r), best]


def _mode_error(expected: Any, got: Any, i: int) -> RuntimeError:
    return RuntimeError(f"expected scalar type '{_type_name(expected)}' but got "
                        f"'{_type_name(got)}' for {('values', 'indices')[i]} output")


# ------------------------------------------------------------------ unique
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (or slices along ``dim``), sorted, with optional inverse
    indices and counts."""
    x = input._data
    xp = input._device._backend.xp
    _no_kinds(x, "c", "unique" if dim is None else "unique_dim")
    if dim is None:
        res = xp.unique(_orderable(x).reshape(-1), return_inverse=True, return_counts=True,
                        equal_nan=False)
        vals, inv, cnt = res
        inv = inv.reshape(x.shape)
    else:
        if not x.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim(dim, x.ndim)  # PyTorch names no op
        if x.size == 0:
            _check_empty_unique_dim(x.shape, d)
        vals, inv, cnt = xp.unique(_orderable(x), return_inverse=True, return_counts=True,
                                   axis=d, equal_nan=False)
        inv = inv.reshape(-1)
    vals = vals.astype(x.dtype, copy=False)
    if dim is None and x.dtype.kind in "fV" and x.__class__ is np.ndarray and (vals == 0).any():
        vals[vals == 0] = _first_zero(xp, x.reshape(-1))
    names = ("Unique2Backward0", "_unique2") if dim is None else ("UniqueDimBackward0",
                                                                   "unique_dim")
    return _unique_result(input, vals, inv, cnt, return_inverse, return_counts, *names)


def _check_empty_unique_dim(shape: tuple, d: int) -> None:
    """unique/unique_consecutive with ``dim`` of an empty tensor: only the selected dim may
    be of size 0 (PyTorch's checks, in its order)."""
    if shape[d] != 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    if shape.count(0) > 1:
        raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot "
                           "be applied ")


def _first_zero(xp: Any, flat: Any) -> Any:
    """The zero ``unique`` keeps: the first in PyTorch's (unstable) sort of the input, so
    either sign of zero (sorted only when both signs occur)."""
    if not _mixed_zeros(flat):
        return flat[flat == 0][0]
    s = flat[_argsort_arr(xp, flat, 0, False, stable=False)]
    return s[s == 0][0]


def _mixed_zeros(flat: Any) -> bool:
    """Whether a NumPy array holds both -0. and 0. (only then does the choice show)."""
    signs = np.signbit(_orderable(flat[flat == 0]))
    return bool(signs.any()) and not signs.all()


def _unique_result(input: Tensor, vals: Any, inv: Any, cnt: Any, ri: bool, rc: bool,
                   node: str, op: str) -> Any:
    out = wrap(vals, input)
    if grad_state.enabled and input._rg:  # in the graph, but not differentiable (as PyTorch)
        def vjp(g: Tensor) -> tuple:
            raise NotImplementedError(f"the derivative for '{op}' is not implemented.")

        record(node, out, (input,), vjp)
    if not ri and not rc:
        return out
    parts = [out]
    if ri:
        parts.append(wrap(inv.astype("int64"), input))
    if rc:
        parts.append(wrap(cnt.astype("int64"), input))
    return tuple(parts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one."""
    x = input._data
    xp = input._device._backend.xp
    if x.dtype.kind == "c":  # a 1-D input with dim=0 (as written) takes the flat kernel
        raise not_implemented("unique" if dim is None or (dim == 0 and x.ndim == 1) else
                              "unique_dim", x.dtype)
    if dim is None:
        a, d = x.reshape(-1), 0
    else:
        if not x.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim(dim, x.ndim)  # PyTorch names no op
        if x.size == 0:
            _check_empty_unique_dim(x.shape, d)
        a = x
    n = a.shape[d] if a.ndim else 0
    starts = xp.ones((n,), dtype=bool)
    if n > 1:
        lo = [slice(None)] * a.ndim
        hi = [slice(None)] * a.ndim
        lo[d], hi[d] = slice(None, -1), slice(1, None)
        ne = a[tuple(hi)] != a[tuple(lo)]
        axes = tuple(i for i in range(a.ndim) if i != d)
        starts[1:] = xp.any(ne, axis=axes) if axes else ne
    where = xp.nonzero(starts)[0]
    vals = xp.take(a, where, axis=d)
    if d:  # PyTorch's result is laid out with ``dim`` outermost, as unique's
        vals = xp.moveaxis(xp.ascontiguousarray(xp.moveaxis(vals, d, 0)), 0, d)
    inv = xp.cumsum(starts) - 1
    cnt = xp.diff(xp.concatenate([where, xp.asarray([n], dtype=where.dtype)]))
    if dim is None:
        inv = inv.reshape(x.shape)
    return _unique_result(input, vals, inv, cnt, return_inverse, return_counts,
                          "UniqueConsecutiveBackward0", "unique_consecutive")


# ------------------------------------------------------------------ quantiles
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


@autocast_op("quantile")
def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """The ``q``-th quantiles along ``dim`` (of every element when None); NaN if the slice
    has a NaN."""
    return write_out(renamed(_quantile(input, q, dim, keepdim, interpolation, False),
                             "SqueezeBackward4"), out)


@autocast_op("nanquantile")
def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """Like ``quantile``, ignoring NaN values (NaN only for all-NaN slices)."""
    return write_out(renamed(_quantile(input, q, dim, keepdim, interpolation, True),
                             "SqueezeBackward4"), out)


def _quantile(input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    op = "nanquantile" if ignore_nan else "quantile"
    x = input._data
    xp = input._device._backend.xp
    if x.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if x.dtype not in ("float32", "float64"):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if _isinstance(q, Tensor):
        qa = q._data
        if qa.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if qa.dtype != x.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        if qa.size and not bool(xp.all((qa >= 0) & (qa <= 1))):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        q_scalar = qa.ndim == 0
        qa = xp.asarray(qa, dtype=x.dtype).reshape(-1)
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        q_scalar = True
        qa = xp.asarray([q], dtype=x.dtype)
    if interpolation not in _MODES:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}")
    ndim = x.ndim
    if dim is None:
        src, d = input.reshape(-1), None
        out_rest = (1,) * ndim if keepdim else ()
    else:
        d = wrap_dim(dim, ndim, op)
        src = input if ndim else input.reshape(1)
        out_rest = kept_shape(x.shape, (d,)) if keepdim else x.shape[:d] + x.shape[d + 1:]
        if ndim:
            perm, _ = moved_last(ndim, d)
            src = permute(src, perm)
    # (..., n), differentiable through the sort; C-ordered (PyTorch's quantile result is)
    sx = src._data if src._data.ndim else src._data.reshape(1)
    vals = select_along(src, _argsort_arr(xp, sx, sx.ndim - 1, False), sx.ndim - 1,
                        "SortBackward0", src._data.shape)[0]
    sv = vals._data
    n = sv.shape[-1]
    q64 = qa.astype("float64")  # PyTorch takes the ranks in double, from q in the input dtype
    if ignore_nan:
        k = xp.sum(~xp.isnan(sv), axis=-1, keepdims=True)
        ranks = q64 * (k - 1)
        ranks = xp.where(ranks < 0, 0.0, ranks)
    else:
        has_nan = xp.any(xp.isnan(sv), axis=-1, keepdims=True)
        ranks = xp.where(has_nan, float(n - 1), q64 * (n - 1))
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)
    below = ranks.astype("int64")
    res = gather(vals, vals._data.ndim - 1, below, unique=False)  # q may repeat ranks
    if interpolation in ("linear", "midpoint"):
        w = xp.full(ranks.shape, 0.5, dtype=sv.dtype) if interpolation == "midpoint" \
            else (ranks - below).astype(sv.dtype)
        above = gather(vals, vals._data.ndim - 1, xp.ceil(ranks).astype("int64"), unique=False)
        res = lerp(res, above, wrap(w, res))
    # (..., nq) -> (nq, ...) then the kept dims
    nq = qa.shape[0]
    if res._data.ndim > 1:
        res = permute(res, (res._data.ndim - 1,) + tuple(range(res._data.ndim - 1)))
    shape = out_rest if q_scalar else (nq,) + out_rest
    return res.reshape(shape)


methods(sort=sort, argsort=_argsort_method, msort=msort, topk=topk, kthvalue=kthvalue, median=median,
        nanmedian=nanmedian, mode=mode, unique=unique, unique_consecutive=unique_consecutive,
        quantile=quantile, nanquantile=nanquantile)
