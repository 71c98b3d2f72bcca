"""Reductions: sum, mean, ... over dims (int or tuple), with keepdim and dtype=."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ._dispatch import Tensor, grad_state, make, methods, record, wrap_dims

__all__ = ["sum", "mean"]


def _expand_back(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and dims:
        kshape = tuple(1 if i in dims else s for i, s in enumerate(shape))
        g = g.reshape(kshape)
    return g.expand(shape)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims when None); integers and bools sum as int64."""
    x = input._data
    dims = wrap_dims(dim, x.ndim, "sum") if dim is not None and dim != () else tuple(range(x.ndim))
    if dtype is not None:
        npd = _dt.to_dtype(dtype).np
        x = x.astype(npd)
    elif x.dtype.kind in "bui":
        npd = "int64"
    else:
        npd = None
    xp = input._device._backend.xp
    r = xp.sum(x, axis=dims, keepdims=keepdim, dtype=npd)
    if r.__class__ is not input._device._backend.ndarray:
        r = xp.asarray(r)
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        shape = input._data.shape

        def vjp(g: Tensor) -> tuple:
            return (_expand_back(g, shape, dims, keepdim),)

        record("SumBackward1" if dim is not None else "SumBackward0", res, (input,), vjp)
    return res


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over ``dim``; only floating and complex inputs (or with ``dtype=``)."""
    x = input._data
    if dtype is not None:
        x = x.astype(_dt.to_dtype(dtype).np)
    elif x.dtype.kind in "bui":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_dt.from_numpy_dtype(x.dtype).name.capitalize()}")
    dims = wrap_dims(dim, x.ndim, "mean") if dim is not None and dim != () else tuple(range(x.ndim))
    xp = input._device._backend.xp
    r = xp.mean(x, axis=dims, keepdims=keepdim)
    if r.__class__ is not input._device._backend.ndarray:
        r = xp.asarray(r)
    if r.dtype != x.dtype:
        r = r.astype(x.dtype)
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        shape = input._data.shape
        n = 1
        for d in dims:
            n *= shape[d]

        def vjp(g: Tensor) -> tuple:
            return (_expand_back(g, shape, dims, keepdim) / n,)

        record("MeanBackward1" if dim is not None else "MeanBackward0", res, (input,), vjp)
    return res


methods(sum=sum, mean=mean)
