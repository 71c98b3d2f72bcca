"""index_reduce (``prod``, ``mean``, ``amax``, ``amin`` of the rows of ``source`` sent to
each index along a dim) and nonzero_static (``nonzero`` padded or cut to a fixed count)."""

from __future__ import annotations

from . import _inplace
from ._dispatch import Tensor, astype, kind, make, methods, renamed, wrap_dim
from .math_misc import _dtype_name

__all__ = ["index_reduce", "nonzero_static"]

_isinstance = isinstance
_REDUCTIONS = ("prod", "mean", "amax", "amin")


def _check(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str) -> int:
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "index_reduce")
    ix = index._data
    if ix.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: "
                         f"{ix.ndim} with type: {_dtype_name(index.dtype)} and size: "
                         f"{list(ix.shape)}")
    if str(ix.dtype) not in ("int64", "int32"):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{_dtype_name(index.dtype)}")
    if input.dtype is not source.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_dtype_name(input.dtype)}) and source "
                           f"({_dtype_name(source.dtype)}) must have the same scalar type")
    sshape, xshape = source._data.shape, input._data.shape
    n_src = sshape[d] if len(sshape) else 1
    if ix.size != n_src:
        raise RuntimeError(f"index_reduce_(): Number of indices ({ix.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    if len(sshape) != len(xshape) or any(a != b for i, (a, b) in enumerate(zip(sshape, xshape))
                                         if i != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(xshape)} source.shape = "
                           f"{list(sshape)}")
    n_self = xshape[d] if nd else 1
    if ix.size and (int(ix.min()) < 0 or int(ix.max()) >= n_self):
        raise IndexError("index out of range in self")
    return d


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True, out: Tensor | None = None) -> Tensor:
    """A copy of ``input`` where the slices ``source.select(dim, i)`` are reduced into
    ``input.select(dim, index[i])`` (with its own value unless ``include_self=False``);
    complex autograd is refused, as PyTorch's."""
    from .indexing_scatter import complex_grad_refused

    return complex_grad_refused(_index_reduce(input, dim, index, source, reduce,
                                              include_self=include_self, out=out),
                                "index_reduce")


def _index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True, out: Tensor | None = None) -> Tensor:
    from .._stacklevel import user_stacklevel
    from .creation import _warn_once
    from .indexing_scatter import _scatter_reduce as scatter_reduce
    from .math_misc import write_out

    d = _check(input, dim, index, source, reduce)
    _warn_once("index_reduce", "index_reduce() is in beta and the API may change at any time. "
               "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
               "TensorAdvancedIndexing.cpp:1523.)", stacklevel=user_stacklevel() + 1)
    if kind(input._data) == "b" and reduce == "mean":
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    nd = source._data.ndim
    xp = index._device._backend.xp
    ix = astype(xp, index._data, xp.int64).reshape(-1)
    if nd == 0:
        full = ix.reshape(())
    else:
        view = [1] * nd
        view[d] = ix.shape[0]
        full = xp.broadcast_to(ix.reshape(view), source._data.shape)
    if hasattr(xp, "ascontiguousarray"):
        full = xp.ascontiguousarray(full)
    res = scatter_reduce(input, d, make(full, index._device), source, reduce,
                         include_self=include_self)
    if res.dtype is not input.dtype:  # scatter_reduce's integer mean gives int64
        res = res.to(input.dtype)
    return write_out(renamed(res, "IndexReduceBackward0"), out)


def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    res = _index_reduce(self, dim, index, source, reduce, include_self=include_self)
    return _inplace.commit(self, res, "index_reduce_")


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero(input)`` with exactly ``size`` rows: cut, or padded with ``fill_value``."""
    if _isinstance(size, bool) or not _isinstance(size, int):
        raise TypeError(f"nonzero_static(): argument 'size' must be int, not "
                        f"{type(size).__name__}")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    x = input._data
    xp = input._device._backend.xp
    nd = x.ndim
    res = xp.full((size, nd), int(fill_value), dtype=xp.int64)
    if nd:
        idx = xp.nonzero(x)
        k = min(size, int(idx[0].shape[0]))
        if k:
            res[:k] = xp.stack([i[:k] for i in idx], axis=1)
    return make(res, input._device)


def _nonzero_static_method(self: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    return nonzero_static(self, size=size, fill_value=fill_value)


methods(index_reduce=index_reduce, index_reduce_=index_reduce_,
        nonzero_static=_nonzero_static_method)
