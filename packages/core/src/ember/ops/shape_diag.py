"""Diagonals and triangles: diag, diag_embed, diagflat, tril, triu (and in place), trace."""

from __future__ import annotations

from typing import Any

from . import _inplace
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import (
    Tensor,
    grad_state,
    make,
    methods,
    record,
    refuse_shell_uint,
    renamed,
    wrap_dim,
)
from ._inplace import writes_out
from .shape import flatten, view_grad
from .shape_views import diagonal

__all__ = ["diag", "diag_embed", "diagflat", "tril", "triu", "trace"]


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims ``dim1``, ``dim2``) whose ``offset`` diagonals hold the last dim."""
    x = input._data
    nd = x.ndim + 1
    d1 = wrap_dim(dim1, nd, "diag_embed")
    d2 = wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (x.shape[-1] if x.ndim else 1) + abs(offset)
    rest = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        rest.insert(d, n)
    xp = input._device._backend.xp
    res = make(xp.zeros(tuple(rest), dtype=x.dtype), input._device)
    diagonal(res, offset, d1, d2)._data[...] = x
    if grad_state.enabled and input._rg:
        record("DiagEmbedBackward0", res, (input,),
               lambda g: (diagonal(g, offset, d1, d2),))
    return res


@writes_out("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input placed on the ``diagonal`` of a square matrix, or a 2-D input's diagonal."""
    nd = input._data.ndim
    try:
        if nd == 1:
            return diag_embed(input, diagonal, 0, 1)
        if nd == 2:
            from .._tensor import contiguous_format
            from .conversion import clone

            # PyTorch's diagonal_copy is contiguous, even for a diagonal of one element
            out = clone(_diagonal(input, diagonal), memory_format=contiguous_format)
            return renamed(out, "DiagonalBackward0_copy")
    except TypeError:  # a float diagonal fails only inside: PyTorch's parser refuses it
        if diagonal.__class__ is int:
            raise
        from .pointwise_unary import bad_arg
        raise bad_arg("diag", "diagonal", diagonal, "int", 2) from None
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


_diagonal = diagonal


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input placed on the ``offset`` diagonal of a square matrix."""
    return diag_embed(flatten(input), offset, 0, 1)


def _tri(input: Tensor, k: int, lower: bool) -> Tensor:
    x = input._data
    op = "tril" if lower else "triu"
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    refuse_shell_uint(op, x)
    xp = input._device._backend.xp
    res = make(c_order(xp, xp.tril(x, k) if lower else xp.triu(x, k)), input._device)
    if grad_state.enabled and input._rg:
        record("TrilBackward0" if lower else "TriuBackward0", res, (input,),
               lambda g: (_tri(g, k, lower),))
    return res


@writes_out("tril")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below the ``diagonal``) of the last two dims; zeros above."""
    return _tri(input, diagonal, True)


@writes_out("triu")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above the ``diagonal``) of the last two dims; zeros below."""
    return _tri(input, diagonal, False)


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _inplace.commit(self, _tri(self, diagonal, True), "tril_")


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _inplace.commit(self, _tri(self, diagonal, False), "triu_")


@autocast_op("trace")
def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (integers sum as int64)."""
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    refuse_shell_uint("trace", x)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    xp = input._device._backend.xp
    dt: Any = xp.int64 if x.dtype.kind in "biu" else x.dtype
    res = make(xp.asarray(xp.trace(x, dtype=dt)), input._device)
    if grad_state.enabled and input._rg:
        shape = x.shape
        n = min(shape)

        def vjp(g: Tensor) -> tuple:
            return (view_grad(g.expand(n), shape, lambda t: _diagonal(t)),)

        record("TraceBackward0", res, (input,), vjp)
    return res


methods(diag=diag, diag_embed=diag_embed, diagflat=diagflat, tril=tril, triu=triu, tril_=tril_,
        triu_=triu_, trace=trace)
