"""Joining and rearranging copies: cat, stack and the *stack family, flip, rot90, roll,
repeat, tile, repeat_interleave, meshgrid, cartesian_prod, combinations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from .._memory_format import cl_order, laid_like, laid_out, perm_strides
from ._autocast import autocast_op
from ._channels_last import c_order, cl_format, laid_as
from ._deprecated_overload import warn_deprecated
from ._dispatch import (
    Tensor,
    copy,
    device_mismatch,
    grad_state,
    kind,
    make,
    methods,
    record,
    wrap_dim,
    wrap_dims,
)
from ._inplace import _KIND_RANK, _type_name, warn_resized, write_out
from .shape import atleast_1d, atleast_2d, atleast_3d, expand, reshape, shape_arg

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "row_stack",
           "column_stack", "flip", "fliplr", "flipud", "rot90", "roll", "tile",
           "repeat_interleave", "meshgrid", "cartesian_prod", "combinations"]

_isinstance = isinstance


def _common_dtype(tensors: Sequence[Tensor]) -> _dt.dtype:
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not dt:
            dt = _dt.promote_types(dt, t.dtype)
    return dt


def _arrays(tensors: Sequence[Tensor], dt: _dt.dtype, op: str) -> list:
    dev = tensors[0]._device
    out = []
    for t in tensors:
        if t._device is not dev:
            raise device_mismatch(op, tensors[0], t)
        out.append(t._data if t.dtype is dt else dev._backend.astype(t._data, dt))
    return out


def _grad_as(g: Tensor, t: Tensor) -> Tensor:
    """``g`` in ``t``'s dtype (a promoted join sends gradients back in each input's dtype)."""
    return g if g._data.dtype == t._data.dtype else g.to(t.dtype)


def _checked_join(join: Any, tensors: list, dim: int, out: Tensor | None) -> Tensor:
    """``join(tensors, dim, out)``; a non-tensor element gets PyTorch's TypeError (checked on
    the error path only: the joins read ``_data`` without checking). PyTorch checks the
    element types before the shapes, so a size error also looks for a non-tensor first."""
    try:
        return join(tensors, dim, out)
    except (AttributeError, RuntimeError):
        _elements_checked(tensors)
        raise
    except TypeError:
        if _isinstance(dim, Tensor):  # e.g. cat(a, b): PyTorch's parser refuses the dim
            raise TypeError(f"{join.__name__[1:]}(): argument 'dim' (position 2) must be int, "
                            "not Tensor") from None
        raise


def _tensor_list(tensors: Any, op: str) -> list:
    """``tensors`` as a list; a tensor (whose rows would otherwise be joined) or a
    non-iterable gets PyTorch's TypeError for its ``tensors`` argument."""
    if _isinstance(tensors, (list, tuple)):
        return list(tensors)
    if _isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    return list(tensors)


def _elements_checked(tensors: list) -> None:
    """PyTorch's TypeError for the first element of a tensor list that is not a tensor."""
    for i, t in enumerate(tensors):
        if not _isinstance(t, Tensor):
            kind_ = type(t)
            name = kind_.__name__ if kind_.__module__ == "builtins" else \
                f"{kind_.__module__}.{kind_.__qualname__}"
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {name}")


@autocast_op("cat")
def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate along ``dim`` (dtypes promoted; 1-D empty tensors are skipped)."""
    return _checked_join(_cat, _tensor_list(tensors, "cat"), dim, out)


def _cat(tensors: list, dim: int, out: Tensor | None) -> Tensor:
    if not tensors:
        raise ValueError("ember.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dt = _common_dtype(tensors)
    live = [t for t in tensors if t._data.shape != (0,)]  # PyTorch's legacy empty tensors
    xp = tensors[0]._device._backend.xp
    ref = live[0]._data if live else None
    d = wrap_dim(dim, ref.ndim, "cat") if live else 0
    if not live:  # all legacy-empty: a (0,) result
        live, ref = tensors, tensors[0]._data
    for i, t in enumerate(tensors):
        s = t._data.shape
        if s == (0,):
            continue
        if len(s) != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {len(s)}")
        for k in range(ref.ndim):
            if k != d and s[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {s[k]} for tensor number {i} in the list.")
    arrs = _arrays(live, dt, "cat")
    concat_fn = getattr(xp, "concat", None) or xp.concatenate
    res = make(_joined_layout(xp, concat_fn(arrs, axis=d), arrs), live[0]._device)
    if grad_state.enabled and any(t._rg for t in tensors):
        sizes = [t._data.shape[d] if t._data.shape != (0,) else None for t in tensors]
        metas = tuple(tensors)

        def vjp(g: Tensor) -> tuple:
            grads, off = [], 0
            for t, s in zip(metas, sizes):
                if s is None:
                    grads.append(make(g._device._backend.xp.zeros((0,), dtype=t._data.dtype),
                                      g._device) if t._rg else None)
                    continue
                grads.append(_grad_as(g.narrow(d, off, s), t) if t._rg else None)
                off += s
            return tuple(grads)

        record("CatBackward0", res, tensors, vjp)
    return _write_joined(res, out, "cat")


def concat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Alias of :func:`cat` (with its ``axis=`` alias for ``dim``)."""
    return cat(_tensor_list(tensors, "concat"), dim, out=out)


def concatenate(tensors: Sequence[Tensor], dim: int = 0, *,
                out: Tensor | None = None) -> Tensor:
    """Alias of :func:`cat` (with its ``axis=`` alias for ``dim``)."""
    return cat(_tensor_list(tensors, "concatenate"), dim, out=out)


def _joined_layout(xp: Any, r: Any, arrs: list) -> Any:
    """PyTorch's cat layout: channels-last when every input suggests it, else C order (NumPy
    would keep a common transposed order)."""
    fmt = cl_format(arrs[0])
    if fmt is not None and all(cl_format(a) is fmt for a in arrs[1:]):
        return laid_as(xp, r, fmt)
    return c_order(xp, r)


@autocast_op("stack")
def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join equally shaped tensors along a new dim ``dim``."""
    return _checked_join(_stack, _tensor_list(tensors, "stack"), dim, out)


def _stack(tensors: list, dim: int, out: Tensor | None) -> Tensor:
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    t0 = tensors[0]
    s0, d0, dev = t0._data.shape, t0._data.dtype, t0._device
    alike, rg = True, False  # alike: one dtype and one device, the arrays join as they are
    for i, t in enumerate(tensors):
        x = t._data
        if x.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} "
                               f"at entry 0 and {list(x.shape)} at entry {i}")
        if t._device is not dev or x.dtype != d0:
            alike = False
        if t._rg:
            rg = True
    d = wrap_dim(dim, len(s0) + 1, "stack")
    arrs = [t._data for t in tensors] if alike else \
        _arrays(tensors, _common_dtype(tensors), "stack")
    be = dev._backend
    if d == 0 and s0 and be.numpy_like:
        # joined along the existing first dim, then split: NumPy's stack costs a Python-level
        # expand_dims per tensor (several times the copy for a batch of small samples)
        r = be.xp.concatenate(arrs).reshape((len(arrs),) + s0)
    else:
        r = be.xp.stack(arrs, axis=d)
    res = make(_stacked_layout(be.xp, r, arrs, d), dev)
    if rg and grad_state.enabled:
        metas = tuple(tensors)

        def vjp(g: Tensor) -> tuple:
            return tuple(_grad_as(g.select(d, i), t) if t._rg else None
                         for i, t in enumerate(metas))

        record("StackBackward0", res, tensors, vjp)
    return _write_joined(res, out, "stack")


def _stacked_layout(xp: Any, r: Any, arrs: list, d: int) -> Any:
    """PyTorch's stack layout: channels-last inputs (all of them) give the new dim ``d`` its
    place just outside input dim ``d`` in their memory order; anything else C order."""
    fmt = cl_format(arrs[0])
    if fmt is None or d == arrs[0].ndim or any(cl_format(a) is not fmt for a in arrs[1:]):
        return c_order(xp, r)
    order = [i + (i >= d) for i in cl_order(fmt)]
    order.insert(order.index(d + 1), d)
    return laid_out(xp, r, (tuple(order), perm_strides(r.shape, tuple(order))))


def _write_joined(res: Tensor, out: Tensor | None, op: str) -> Tensor:
    """cat/stack's ``out=``: refused when the result would need a graph, then when the
    inputs' dtype can't be cast to the out's (a lower category) as PyTorch's cat does."""
    if out is None:
        return res
    if res._rg and grad_state.enabled:
        return write_out(res, out, op)  # PyTorch's refusal
    rd, od = res._data.dtype, out._data.dtype
    if rd != od and _KIND_RANK.get(rd.kind, 2) > _KIND_RANK.get(od.kind, 2):
        if op == "stack" and out._data.size and out._data.shape != res._data.shape:
            warn_resized(out._data.shape, res._data.shape)  # stack resizes before cat checks
        raise TypeError("torch.cat(): input types can't be cast to the desired output type "
                        f"{_type_name(od)}")
    return write_out(res, out)


def _non_empty(tensors: Sequence[Tensor], op: str) -> None:
    """PyTorch's refusal of an empty list by the stacking functions (before ``cat``'s)."""
    if _isinstance(tensors, Tensor):
        _tensor_list(tensors, op)  # PyTorch's TypeError
    if not len(tensors):
        raise RuntimeError(f"{op} expects a non-empty TensorList")


def hstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Concatenate column-wise (along dim 0 for 1-D tensors, else dim 1)."""
    _non_empty(tensors, "hstack")
    ts = atleast_1d(list(tensors))
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Concatenate row-wise, after making each tensor at least 2-D."""
    _non_empty(tensors, "vstack")
    return cat(atleast_2d(list(tensors)), 0, out=out)


row_stack = vstack


def dstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Concatenate depth-wise (dim 2), after making each tensor at least 3-D."""
    _non_empty(tensors, "dstack")
    return cat(atleast_3d(list(tensors)), 2, out=out)


def column_stack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Stack as columns: 0-D and 1-D tensors become ``(n, 1)`` columns, then ``hstack``."""
    _non_empty(tensors, "column_stack")
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


# ------------------------------------------------------------------ flips, rotation, roll
def _dims_arg(dims: tuple) -> Any:
    if len(dims) == 1 and _isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return dims


def flip(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy); the function form takes one
    sequence of dims, and refuses a lone number (TypeError) as PyTorch's does."""
    d = kwargs["dims"] if "dims" in kwargs else dims[0] if len(dims) == 1 else None
    if _isinstance(d, (int, float, bool)) or len(dims) > 1:
        _flip_refusal(dims, d)
    return _flip_method(input, *dims, **kwargs)


def _flip_refusal(dims: tuple, d: Any) -> None:
    """PyTorch's TypeError for ``torch.flip(x, 0)`` or ``torch.flip(x, 0, 1)``."""
    if len(dims) > 1:
        raise TypeError(f"flip() takes 2 positional arguments but {len(dims) + 1} were given")
    where = "dims' (position 2)" if dims else "dims'"
    raise TypeError(f"flip(): argument '{where} must be tuple of ints, not {type(d).__name__}")


def _flip_method(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """``Tensor.flip``: dims as ``t.flip(0, 1)``, ``t.flip((0, 1))`` or ``dims=``."""
    if "dims" in kwargs:  # flip(x, dims=[0]) as well as flip(x, [0]) and x.flip(0)
        dims = (kwargs.pop("dims"),)
        if _isinstance(dims[0], (int, float, bool)):
            _flip_refusal((), dims[0])
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    x = input._data
    d = _dims_arg(dims)
    if _isinstance(d, int):
        d = (d,)
    ds = wrap_dims(d, x.ndim, "flip") if len(d) else ()
    if not x.ndim:
        ds = ()  # a 0-d tensor flips over dim 0 / -1 as over nothing
    xp = input._device._backend.xp
    arr = laid_like(xp, copy(xp, xp.flip(x, axis=ds) if ds else x), x)  # PyTorch's empty_like
    res = make(arr, input._device)
    if grad_state.enabled and input._rg:
        record("FlipBackward0", res, (input,), lambda g: (g.flip(ds),))
    return res


def fliplr(input: Tensor) -> Tensor:
    """Flip left-right (dim 1); the input must be at least 2-D."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip up-down (dim 0); the input must be at least 1-D."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second)."""
    x = input._data
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0 = wrap_dim(dims[0], x.ndim, "rot90")
    d1 = wrap_dim(dims[1], x.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    xp = input._device._backend.xp
    k = k % 4
    # PyTorch: flip (laid out like the input), then transpose_; k == 0 a contiguous clone
    if k == 1:
        arr = xp.swapaxes(laid_like(xp, copy(xp, xp.flip(x, d1)), x), d0, d1)
    elif k == 2:
        arr = laid_like(xp, copy(xp, xp.flip(x, (d0, d1))), x)
    elif k == 3:
        arr = xp.swapaxes(laid_like(xp, copy(xp, xp.flip(x, d0)), x), d0, d1)
    else:
        arr = copy(xp, x)
    res = make(arr, input._device)
    if grad_state.enabled and input._rg:
        record("Rot90Backward0", res, (input,), lambda g: (g.rot90(-k, (d0, d1)),))
    return res


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements circularly by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    x = input._data
    sh = (shifts,) if _isinstance(shifts, int) else tuple(int(s) for s in shifts)
    xp = input._device._backend.xp
    if dims is None or dims == () or dims == []:
        if len(sh) != 1:
            raise RuntimeError("`shifts` required" if not sh else
                               f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        arr = xp.roll(x.reshape(-1), sh[0]).reshape(x.shape)
        ds: Any = None
    else:
        ds = (dims,) if _isinstance(dims, int) else tuple(dims)
        if len(sh) != len(ds):
            raise RuntimeError("`shifts` required" if not sh else
                               f"shifts and dimensions must align. shifts: {len(sh)}, "
                               f"dims:{len(ds)}")
        if not x.ndim:  # PyTorch's roll wraps no dim of a 0-d tensor
            raise IndexError(f"Dimension specified as {ds[0]} but tensor has no dimensions")
        if not x.size:  # PyTorch clones an empty tensor before it checks the dims
            arr, sh, ds = copy(xp, x), (0,), None
        else:
            ds = tuple(wrap_dim(d, x.ndim) for d in ds)  # PyTorch's text has no "roll: "
            # PyTorch's roll: C order, or channels-last for such an input (legacy contiguous)
            arr = laid_as(xp, xp.ascontiguousarray(xp.roll(x, sh, axis=ds)), cl_format(x))
    res = make(arr, input._device)
    if grad_state.enabled and input._rg:
        neg = tuple(-s for s in sh)
        record("RollBackward0", res, (input,),
               lambda g: (g.roll(neg if ds is not None else neg[0], ds),))
    return res


# ------------------------------------------------------------------ repeats
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile ``input`` ``sizes[i]`` times along each dim (``sizes`` may add leading dims)."""
    x = input._data
    if not sizes:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    reps = shape_arg(sizes, "repeat", "repeats")
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(r < 0 for r in reps):
        reps = _negative_repeat(x.shape, reps)
    xp = input._device._backend.xp
    res = make(c_order(xp, xp.tile(x, reps)), input._device)
    if grad_state.enabled and input._rg:
        padded = (1,) * (len(reps) - x.ndim) + x.shape
        shape = x.shape

        def vjp(g: Tensor) -> tuple:
            inter = []
            for r, s in zip(reps, padded):
                inter += [r, s]
            gs = g.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2)))
            return (gs.reshape(shape),)

        record("RepeatBackward0", res, (input,), vjp)
    return res


def _negative_repeat(shape: tuple, reps: tuple) -> tuple:
    """PyTorch's error for a negative repeat that makes a negative size (naming the first);
    one along a size-0 dim only makes that dim empty."""
    out = [s * r for s, r in zip((1,) * (len(reps) - len(shape)) + tuple(shape), reps)]
    first = next((s for s in out if s < 0), None)
    if first is not None:
        raise RuntimeError(f"Trying to create tensor with negative dimension {first}: {out}")
    return tuple(max(r, 0) for r in reps)


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``repeat``, with ``dims`` padded with leading 1s to the input's number of dims."""
    if not _isinstance(dims, (tuple, list)):
        dims = _tile_dims(dims, "dims' (position 2)")
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def _tile_dims(dims: Any, where: str) -> tuple:
    """``tile``'s dims given as something other than a list or tuple: a Size or tensor-like
    sequence as a tuple; PyTorch's function refuses a lone number (TypeError)."""
    if _isinstance(dims, (int, float, bool)) or not hasattr(dims, "__iter__"):
        raise TypeError(f"tile(): argument '{where} must be tuple of ints, not "
                        f"{type(dims).__name__}")
    return tuple(dims)


def _tile_method(self: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """``Tensor.tile``: the dims as ``t.tile(2, 3)``, ``t.tile((2, 3))`` or ``dims=``."""
    if "dims" in kwargs:
        dims = kwargs.pop("dims")
        if not _isinstance(dims, (tuple, list)):
            dims = _tile_dims(dims, "dims'")
    elif not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    elif len(dims) == 1 and _isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    if kwargs:
        raise TypeError(f"tile() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return tile(self, dims)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``dim``
    (the flattened tensor if None). ``repeat_interleave(counts)`` repeats ``arange``."""
    xp = input._device._backend.xp
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated
        r = input._data
        if kind(r) not in "iu":
            from .pointwise_unary import not_implemented

            raise not_implemented("repeat_interleave_cpu", r.dtype)
        if r.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.size and bool((r < 0).any()):
            raise RuntimeError("repeats can not be negative")
        res = xp.repeat(xp.arange(r.size, dtype=r.dtype), r.reshape(-1))
        if output_size is not None and res.shape[0] != output_size:
            raise RuntimeError("allocated size does not match required size")
        return make(res, input._device)
    x = input
    if dim is None:
        x = reshape(input, -1)
        d = 0
    else:
        d = wrap_dim(dim, x._data.ndim, "repeat_interleave")
        if x._data.ndim == 0:
            _zero_dim_error(repeats, dim)
    n = x._data.shape[d] if x._data.ndim else 1
    if _isinstance(repeats, Tensor):
        reps = repeats._data
        if reps.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if kind(reps) not in "iu":
            from .pointwise_unary import not_implemented

            raise not_implemented("repeat_interleave_cpu", reps.dtype)
        if reps.size and bool((reps < 0).any()):
            raise RuntimeError("repeats can not be negative")
        if reps.ndim == 0 or reps.size == 1:
            reps = int(reps.reshape(()))
        elif reps.size != n:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) "
                f"= {reps.size} and input.size({d}) = {n}")
    else:
        reps = int(repeats)
    if _isinstance(reps, int) and reps < 0:
        raise RuntimeError("Repeats must be non-negative")
    if x._data.ndim == 0:
        x = reshape(x, 1)
    if not _isinstance(repeats, Tensor):
        if output_size is not None and n * reps != output_size:
            _output_size_error(repeats, n * reps, output_size)
        return _repeat_expanded(x, reps, d)
    idx = xp.repeat(xp.arange(n, dtype=xp.int64), reps)
    if output_size is not None and idx.shape[0] != output_size:
        _output_size_error(repeats, idx.shape[0], output_size)
    return x.index_select(d, make(idx, input._device))


def _repeat_expanded(x: Tensor, reps: int, d: int) -> Tensor:
    """A number of repeats as PyTorch applies it: unsqueeze, expand, a contiguous clone and a
    view of it (so the result is a view of that clone, with PyTorch's graph of nodes)."""
    from .._tensor import contiguous_format
    from .conversion import clone

    shape = x.shape
    big = shape[:d + 1] + (reps,) + shape[d + 1:]
    c = clone(expand(x.unsqueeze(d + 1), big), memory_format=contiguous_format)
    return c.view(shape[:d] + (shape[d] * reps,) + shape[d + 1:])


def _zero_dim_error(repeats: Any, dim: int) -> None:
    """PyTorch's refusal of an explicit ``dim`` for a 0-dim input: a number of repeats
    unsqueezes at ``dim + 1``, a tensor of them index-selects along ``dim``."""
    if _isinstance(repeats, Tensor):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = dim + 1 if dim >= 0 else dim + 2
    raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {d})")


def _output_size_error(repeats: Any, size: int, output_size: int) -> None:
    """PyTorch's refusal of a wrong ``output_size``: its words differ for a number of repeats
    and for a tensor of them."""
    if _isinstance(repeats, Tensor):
        raise RuntimeError("allocated size does not match required size")
    raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {size} but got "
                       f"{output_size}")


# ------------------------------------------------------------------ grids and combinations
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing='ij'``, or ``'xy'`` for Cartesian)."""
    if len(tensors) == 1 and _isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warn_deprecated("meshgrid", "torch.meshgrid: in an upcoming release, it will be "
                        "required to pass the indexing argument. (Triggered internally at "
                        "/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4221.)")
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t._data.shape)}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t._data.size for t in ts)
    n = len(ts)
    grids = [expand(reshape(t, tuple(-1 if i == j else 1 for j in range(n))), shape)
             for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All tuples of one element from each 1-D tensor, as rows (like ``itertools.product``)."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of the elements of a 1-D tensor, as rows."""
    x = input._data
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    xp = input._device._backend.xp
    if r == 0:
        return make(xp.zeros((0,), dtype=x.dtype), input._device)
    n = x.shape[0]
    grids = xp.meshgrid(*([xp.arange(n, dtype=xp.int64)] * r), indexing="ij")
    keep = xp.ones(grids[0].shape, dtype=bool)
    for a, b in zip(grids[:-1], grids[1:]):
        keep &= (a <= b) if with_replacement else (a < b)
    return input[make(xp.stack([g[keep] for g in grids], 1), input._device)]  # IndexBackward0


def _repeat_method(self: Tensor, *sizes: Any, repeats: Any = None) -> Tensor:
    if not sizes and repeats is not None:  # ``t.repeat(repeats=(2, 1))``
        sizes = (repeats,)
    return repeat(self, *sizes)


methods(flip=_flip_method, fliplr=fliplr, flipud=flipud, rot90=rot90, roll=roll,
        repeat=_repeat_method, tile=_tile_method, repeat_interleave=repeat_interleave)
