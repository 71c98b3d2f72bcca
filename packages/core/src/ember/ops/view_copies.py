"""The ``*_copy`` twins of the view ops (``torch.view_copy``, ``torch.permute_copy``, ...):
the view followed by a copy into fresh contiguous memory, so the result never aliases its
input. Each is generated from its view op, differentiable through it, with ``out=``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .. import dtypes as _dt
from .._tensor import contiguous_format
from ._dispatch import Tensor, grad_state, make, methods, record, renamed, wrap_dim
from ._inplace import write_out

__all__ = ["view_copy", "expand_copy", "permute_copy", "squeeze_copy", "unsqueeze_copy",
           "t_copy", "transpose_copy", "diagonal_copy", "select_copy", "slice_copy",
           "narrow_copy", "split_copy", "split_with_sizes_copy", "unbind_copy", "unfold_copy",
           "alias_copy", "detach_copy", "as_strided_copy", "view_as_real_copy",
           "view_as_complex_copy"]


# ------------------------------------------------------------------ the views themselves
def _view(input: Tensor, size: Any) -> Tensor:
    if isinstance(size, _dt.dtype):
        return input.view(size)
    return input.reshape(tuple(size))  # PyTorch's view_copy accepts any layout


def _expand(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:
    return input.expand(*size)


def _permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    return input.permute(tuple(dims))


def _squeeze(input: Tensor, dim: Any = None) -> Tensor:
    return input.squeeze() if dim is None else input.squeeze(dim)


def _unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def _t(input: Tensor) -> Tensor:
    return input.t()


def _transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def _diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return input.diagonal(offset, dim1, dim2)


def _select(input: Tensor, dim: int, index: int) -> Tensor:
    return input.select(dim, index)


def _slice(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
           step: int = 1) -> Tensor:
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, input.dim(), "slice")
    return input[(slice(None),) * d + (slice(start, end, step),)]


def _narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return input.narrow(dim, start, length)


def _split(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    return input.split(int(split_size), dim)


def _split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0
                      ) -> tuple[Tensor, ...]:
    return input.split_with_sizes(split_sizes, dim)


def _unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    return input.unbind(dim)


def _unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    return input.unfold(dimension, size, step)


def _alias(input: Tensor) -> Tensor:
    return input.view_as(input)


def _as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
                storage_offset: int | None = None) -> Tensor:
    return input.as_strided(size, stride, storage_offset)


def _view_as_real(input: Tensor) -> Tensor:
    from .pointwise_complex import view_as_real

    return view_as_real(input)


def _view_as_complex(input: Tensor) -> Tensor:
    from .pointwise_complex import view_as_complex

    return view_as_complex(input)


# ------------------------------------------------------------------ the copies
def _fresh(t: Tensor) -> Tensor:
    """``t`` copied into new C-contiguous memory (in the graph)."""
    return t.clone(memory_format=contiguous_format)


def _copied(view: Tensor, name: str) -> Tensor:
    """A view's copy, its node named as PyTorch's generated ``*_copy`` ops name theirs: the
    view's node with ``_copy`` after it (``narrow_copy`` is an op of its own)."""
    node = view.grad_fn
    res = _fresh(view)
    if node is not None:
        renamed(res, _OWN_NAMES.get(name) or f"{type(node).__name__}_copy")
    return res


_OWN_NAMES = {"narrow_copy": "NarrowCopyBackward0", "alias_copy": "AliasBackward0_copy"}


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _write_one(res: Tensor, out: Tensor) -> Tensor:
    if out.dtype is not res.dtype:
        raise RuntimeError(
            f"Expected out tensor to have dtype {_C_NAMES.get(res.dtype.name, res.dtype.name)}, "
            f"but got {_C_NAMES.get(out.dtype.name, out.dtype.name)} instead")
    return write_out(res.detach(), out)


def _write_many(name: str, res: tuple, out: Sequence[Tensor]) -> None:
    if len(out) != len(res):
        raise RuntimeError(f"{name}_out() expected an out= argument of size {len(res)}, "
                           f"got size {len(out)}")
    for r, o in zip(res, out):
        o.copy_(r.detach())


def _copy_op(name: str, view: Callable, multi: bool = False) -> Callable:
    """The ``*_copy`` op ``name`` built from ``view``: same parameters, plus ``out=``."""

    def op(input: Tensor, *args: Any, out: Any = None, **kwargs: Any) -> Any:
        res = view(input, *args, **kwargs)
        if multi:
            res = tuple(_copied(r, name) for r in res)
            if out is not None:
                _write_many(name, res, out)
                return None
            return res
        res = _copied(res, name)
        return res if out is None else _write_one(res, out)

    params = list(inspect.signature(view).parameters.values())
    params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    op.__signature__ = inspect.Signature(params)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``{name[:-5]}`` followed by a copy into new contiguous memory."
    return op


def detach_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """A detached copy. As in PyTorch, the result requires grad when ``input`` does, but
    has no derivative: backward through it raises."""
    res = make(input._device._backend.copy(
        input._device._backend.xp.ascontiguousarray(input._data)), input._device)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor) -> tuple:
            raise RuntimeError("derivative for aten::detach_copy is not implemented")

        record("NotImplemented", res, (input,), vjp)
    return res if out is None else _write_one(res, out)


view_copy = _copy_op("view_copy", _view)
expand_copy = _copy_op("expand_copy", _expand)
permute_copy = _copy_op("permute_copy", _permute)
squeeze_copy = _copy_op("squeeze_copy", _squeeze)
unsqueeze_copy = _copy_op("unsqueeze_copy", _unsqueeze)
t_copy = _copy_op("t_copy", _t)
transpose_copy = _copy_op("transpose_copy", _transpose)
diagonal_copy = _copy_op("diagonal_copy", _diagonal)
select_copy = _copy_op("select_copy", _select)
slice_copy = _copy_op("slice_copy", _slice)
narrow_copy = _copy_op("narrow_copy", _narrow)
split_copy = _copy_op("split_copy", _split, multi=True)
split_with_sizes_copy = _copy_op("split_with_sizes_copy", _split_with_sizes, multi=True)
unbind_copy = _copy_op("unbind_copy", _unbind, multi=True)
unfold_copy = _copy_op("unfold_copy", _unfold)
alias_copy = _copy_op("alias_copy", _alias)
as_strided_copy = _copy_op("as_strided_copy", _as_strided)
view_as_real_copy = _copy_op("view_as_real_copy", _view_as_real)
view_as_complex_copy = _copy_op("view_as_complex_copy", _view_as_complex)

methods(narrow_copy=narrow_copy)
