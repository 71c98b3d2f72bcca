"""Channels-last results for the convolution, pooling, padding and normalization ops.

PyTorch's CPU kernels for these ops give a channels-last input (4-D ``channels_last``,
5-D ``channels_last_3d``) a channels-last output and input gradient. Ember computes them
as always and lays the result out channels-last afterwards, only where the input is laid
out so: the C-ordered path costs one flags check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._memory_format import (
    elem_strides,
    is_cl_contiguous,
    laid_out,
    layout_of,
    restride,
    suggest_format,
)
from .._tensor import contiguous_format
from ._dispatch import Tensor
from ._linear import linear_op

__all__ = ["cl_format", "laid_as", "c_order", "relaid", "linear_op_cl", "following"]


def cl_format(a: Any) -> Any:
    """``channels_last`` / ``channels_last_3d`` where the 4-D / 5-D array ``a``'s strides
    suggest it (PyTorch's ``suggest_memory_format``), else None."""
    nd = a.ndim
    if nd != 4 and nd != 5:
        return None
    flags = getattr(a, "flags", None)
    if flags is not None and flags.c_contiguous:
        shape = a.shape
        # C order with more than one channel and position never looks channels-last
        if shape[1] > 1 and shape[-1] > 1:
            return None
        # nor do C order's own strides (NumPy lets size-1 dims have any stride)
        st, acc = a.strides, a.itemsize
        for i in range(nd - 1, -1, -1):
            if st[i] != acc:
                break
            acc *= shape[i]
        else:
            return None
    st = elem_strides(a)
    if st is None:
        return None
    fmt = suggest_format(a.shape, st)
    return None if fmt is contiguous_format else fmt


def laid_as(xp: Any, a: Any, fmt: Any) -> Any:
    """``a`` laid out in ``fmt`` (a copy unless it already is); ``a`` itself for None."""
    if fmt is None:
        return a
    layout = layout_of(fmt, a.shape, None)
    st = elem_strides(a)
    if st is not None and is_cl_contiguous(fmt, a.shape, st):
        return restride(xp, a, layout[1])  # size-1 dims get PyTorch's strides too
    return laid_out(xp, a, layout)


def c_order(xp: Any, a: Any) -> Any:
    """``a`` in C order (itself when it already is)."""
    flags = getattr(a, "flags", None)
    if flags is None or flags.c_contiguous:
        return a
    return xp.ascontiguousarray(a)


def relaid(t: Tensor | None, fmt: Any) -> Tensor | None:
    """A gradient tensor laid out in ``fmt`` (differentiably, for create_graph); as is for
    None."""
    if t is None or fmt is None:
        return t
    return t.contiguous(memory_format=fmt)


def following(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """An array function ``fn(xp, a)`` whose result takes its argument's channels-last layout."""
    def wrapped(xp: Any, a: Any) -> Any:
        fmt = cl_format(a)
        r = fn(xp, a)
        return r if fmt is None else laid_as(xp, r, fmt)

    return wrapped


def linear_op_cl(x: Tensor, fwd: Callable[[Any, Any], Any], adj: Callable[[Any, Any], Any],
                 name: str, fmt: Any, adj_name: str | None = None,
                 keeps_input: bool = False) -> Tensor:
    """``linear_op`` whose output and input gradient are laid out in ``fmt`` (the input's
    channels-last format; a plain ``linear_op`` for None)."""
    if fmt is None:
        return linear_op(x, fwd, adj, name, adj_name, keeps_input)

    def f(xp: Any, a: Any) -> Any:
        return laid_as(xp, fwd(xp, a), fmt)

    def b(xp: Any, g: Any) -> Any:
        return laid_as(xp, adj(xp, g), fmt)

    return linear_op(x, f, b, name, adj_name, keeps_input)
