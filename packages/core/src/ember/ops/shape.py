"""Shape and view ops: view, reshape, expand, ... (views alias their base's memory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dispatch import Tensor, grad_state, make, methods, record

__all__ = ["reshape"]


def make_view(input: Tensor, arr: Any, replay: Callable[[Tensor], Tensor]) -> Tensor:
    """A tensor viewing ``input``'s memory: shares the version counter and knows its base.

    ``replay(t)`` applies the same view op to any tensor shaped like ``input``; it lets an
    in-place write through the view rebase the base's graph.
    """
    out = make(arr, input._device)
    out._vc = input._vc
    base = input._base
    if base is None:
        out._base = input
        out._view_fn = replay
    else:
        out._base = base
        parent = input._view_fn
        out._view_fn = (lambda t: replay(parent(t))) if parent is not None else None
    return out


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape: tuple, numel: int, op: str, src: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view(input: Tensor, *shape: Any) -> Tensor:
    """The same memory seen with another shape; raises where a copy would be needed."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return input.view_dtype(shape[0])
    x = input._data
    new = _infer(_shape_arg(shape), x.size, "view", x.shape)
    if new == x.shape:
        arr = x.reshape(new)
    else:
        try:
            arr = x.view()
            arr.shape = new  # NumPy raises instead of copying
        except (AttributeError, ValueError):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.") from None
    out = make_view(input, arr, lambda t: t.view(new))
    if grad_state.enabled and input._rg:
        old = x.shape
        record("ViewBackward0", out, (input,), lambda g: (g.reshape(old),))
    return out


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``input`` with a new shape: a view where possible, else a copy."""
    x = input._data
    new = _infer(_shape_arg(shape), x.size, "reshape", x.shape)
    arr = x.reshape(new)
    if arr.base is not None or x.size == 0:
        out = make_view(input, arr, lambda t: t.reshape(new))
    else:
        out = make(arr, input._device)
    if grad_state.enabled and input._rg:
        old = x.shape
        record("ViewBackward0" if out._base is not None else "UnsafeViewBackward0", out,
               (input,), lambda g: (g.reshape(old),))
    return out


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view (no copy); -1 keeps a dimension's size."""
    x = input._data
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})")
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s == -1:
                raise RuntimeError(
                    f"expand: -1 is not allowed in a leading, non-existing dimension {i}")
            target.append(s)
        else:
            cur = x.shape[i - lead]
            if s == -1:
                s = cur
            elif cur != s and cur != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                    f"sizes: {list(x.shape)}")
            target.append(s)
    target = tuple(target)
    if target == x.shape:
        return input if not (grad_state.enabled and input._rg) else _expand_record(input, x, x)
    arr = input._device._backend.xp.broadcast_to(x, target)
    return _expand_record(input, x, arr)


def _expand_record(input: Tensor, x: Any, arr: Any) -> Tensor:
    target = arr.shape
    out = make_view(input, arr, lambda t: t.expand(target))
    if grad_state.enabled and input._rg:
        from ._dispatch import sum_to

        shape = x.shape
        record("ExpandBackward0", out, (input,), lambda g: (sum_to(g, shape),))
    return out


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


methods(view=view, reshape=reshape, expand=expand, expand_as=expand_as, view_as=view_as,
        reshape_as=reshape_as)
