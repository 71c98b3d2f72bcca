"""Shape and view ops: view, reshape, expand, squeeze, flatten, ... (views alias their base).

A view is a tensor over its base's memory that shares the base's version counter
and remembers how it was made (``replay``), so that an in-place write through it
can rebase the base's graph (see ``_inplace``). The family continues in
``shape_views`` (transpose, narrow, split, unfold, diagonal, ...), ``shape_join``
(cat, stack, flip, repeat, ...) and ``shape_diag`` (diag, tril, trace, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._memory_format import strided_view
from ._dispatch import (
    Tensor,
    grad_state,
    make,
    methods,
    record,
    renamed,
    sum_to,
    wrap_dim,
    wrap_dims,
)

__all__ = ["reshape", "squeeze", "unsqueeze", "flatten", "unflatten", "ravel", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "atleast_1d", "atleast_2d", "atleast_3d"]

_isinstance = isinstance


class _ViewFn:
    """How a view was made: ``fn(base)`` makes the same view of any tensor shaped like its
    base; ``version`` is the base's version when the view was made."""

    __slots__ = ("replay", "parent", "version")

    def __call__(self, t: Tensor) -> Tensor:
        parent = self.parent
        return self.replay(t if parent is None else parent(t))


_new = object.__new__


def make_view(input: Tensor, arr: Any, replay: Callable[[Tensor], Tensor]) -> Tensor:
    """A tensor viewing ``input``'s memory: shares the version counter and knows its base.

    ``replay(t)`` applies the same view op to any tensor shaped like ``input``; it lets an
    in-place write through the view rebase the base's graph.
    """
    out = make(arr, input._device)
    vc = out._vc = input._vc
    if input._rg and not grad_state.enabled:
        return _no_grad_view(input, out)
    base = input._base
    if base is None:
        out._base = input
        parent = None
    else:
        out._base = base
        parent = input._view_fn
        if parent is None:  # a view of a view made without a replay: none for this one either
            return out
    fn = _new(_ViewFn)  # a later in-place change of the base re-derives the view with it
    fn.replay = replay
    fn.parent = parent
    fn.version = vc[0]
    out._view_fn = fn
    return out


def _no_grad_view(input: Tensor, out: Tensor) -> Tensor:
    """A view made under no_grad of a tensor that requires grad: as PyTorch, it requires grad
    without a grad_fn, sends no gradient anywhere, and refuses in-place writes with grad
    mode enabled."""
    out._base = input._base if input._base is not None else input
    out._rg = True
    fn = _new(_ViewFn)
    fn.replay = _INFERENCE_REFUSAL if grad_state.inference else _NO_GRAD_REFUSAL
    fn.parent = None
    fn.version = out._vc[0]
    out._view_fn = fn
    return out


def _tail(mode: str, block: str, normal: str) -> str:
    return (f" created in {mode} mode and is being modified inplace {normal}. Given that "
            "this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
            f"code by moving both the view and the inplace either both inside the {block} block "
            "(if you don't want the inplace to be tracked) or both outside (if you want the "
            "inplace to be tracked).")


_NO_GRAD_TAIL = _tail("no_grad", "no_grad", "with grad mode enabled")
_INFERENCE_TAIL = _tail("inference", "inference_mode", "in normal mode")


def view_out(input: Tensor, arr: Any, replay: Callable[[Tensor], Tensor], name: str,
             vjp: Callable) -> Tensor:
    """``make_view`` plus the graph node of the view op (when ``input`` requires grad)."""
    out = make_view(input, arr, replay)
    if input._rg and grad_state.enabled:
        record(name, out, (input,), vjp)
    return out


def view_of_no_grad_view_error(name: str, parent: Callable) -> RuntimeError:
    """PyTorch's refusal of an in-place write to a view (made with grad on) of a no_grad (or
    inference mode) view, whose replay is ``parent``."""
    op = name[:-9] if name.endswith("Backward0") else name
    tail = _INFERENCE_TAIL if parent is _INFERENCE_REFUSAL else _NO_GRAD_TAIL
    return RuntimeError(f"Output 0 of {op} is a view of a view which was" + tail)


def view_grad(g: Tensor, shape: tuple, replay: Callable[[Tensor], Tensor],
              double: str | None = None) -> Tensor:
    """The gradient of a view that picks part of its input: ``g`` written into zeros.
    ``double``: the name of PyTorch's node for it under create_graph (``<Op>BackwardBackward0``;
    otherwise the write shows as ``CopySlices``)."""
    z = make(g._device._backend.xp.zeros(shape, dtype=g._data.dtype), g._device)
    if grad_state.enabled and g._rg:  # double backward: the write is recorded (CopySlices)
        replay(z).copy_(g)
        if double is not None:
            renamed(z, double)
    else:
        replay(z)._data[...] = g._data
    return z


def multi_view_guard(op: str, i: int) -> Callable[[Tensor], Tensor]:
    """The ``replay`` of one output of a multi-output view op: in-place writes are refused."""
    return _refusal(
        f"Output {i} of {op} is a view and is being modified inplace. This view is the output "
        "of a function that returns multiple views. Such functions do not allow the output "
        "views to be modified inplace. You should replace the inplace operation by an "
        "out-of-place one.")


def custom_function_view_guard(op: str, i: int) -> Callable[[Tensor], Tensor]:
    """The ``replay`` of output ``i`` of a custom Function that returned its input as is
    (``BackwardHookFunction`` of full backward hooks): in-place writes are refused."""
    return _refusal(
        f"Output {i} of {op} is a view and is being modified inplace. This view was created "
        "inside a custom Function (or because an input was returned as-is) and the autograd "
        "logic to handle view+inplace would override the custom backward associated with the "
        "custom Function, leading to incorrect gradients. This behavior is forbidden. You can "
        "fix this by cloning the output of the custom Function.")


def _refusal(message: str) -> Callable[[Tensor], Tensor]:
    def refuse(t: Tensor) -> Tensor:
        raise RuntimeError(message)

    refuse.refuses = True  # ``check_inplace`` raises it before the leaf checks, as PyTorch
    return refuse


_NO_GRAD_REFUSAL = _refusal("A view was" + _NO_GRAD_TAIL)
_NO_GRAD_REFUSAL.no_grad_view = True  # ``Tensor._edge``: such a view sends no gradient
_INFERENCE_REFUSAL = _refusal("A view was" + _INFERENCE_TAIL)
_INFERENCE_REFUSAL.no_grad_view = True


def shape_arg(shape: tuple, op: str = "", name: str = "size") -> tuple:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))`` as a tuple of ints; ``op`` and ``name``
    (the op and its argument) word PyTorch's parser error for a size that is not an int."""
    raw = shape
    if len(shape) == 1 and _isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(s if s.__class__ is int else _size_item(s) for s in shape)
    except TypeError:
        raise _size_error(raw, shape, op, name) from None


def _size_item(s: Any) -> int:
    """A size given as another integer (NumPy's, a 0-d tensor); PyTorch's argument parser
    refuses floats, bools and None (TypeError)."""
    if s is None or _isinstance(s, (bool, float, str)) or not hasattr(s, "__index__"):
        raise TypeError
    return s.__index__()


def _is_size(s: Any) -> bool:
    try:
        return s.__class__ is int or _size_item(s) is not None
    except TypeError:
        return False


def _size_error(raw: tuple, sizes: tuple, op: str, name: str) -> TypeError:
    """PyTorch's parser error for the first size that is not an int: its wording depends on
    the position and on whether the sizes came packed in one tuple (``view`` has a dtype
    overload, so its first-position errors keep the short form)."""
    i = next(k for k, s in enumerate(sizes) if not _is_size(s))
    kind_ = type(sizes[i])
    tname = kind_.__name__ if kind_.__module__ == "builtins" or _isinstance(sizes[i], Tensor) \
        else f"{kind_.__module__}.{kind_.__qualname__}"
    if i and op:
        return TypeError(f"{op}(): argument '{name}' failed to unpack the object at pos {i + 1} "
                         f"with error \"type must be tuple of ints,but got {tname}\"")
    if op == "view":  # the dtype overload: no overload fits
        if len(raw) > 1:
            got = ", ".join(type(s).__name__ for s in raw)
            return TypeError(f"view() received an invalid combination of arguments - got "
                             f"({got}), but expected one of:\n * (torch.dtype dtype)\n"
                             " * (tuple of ints size)\n")
        return _view_type_error(raw[0])
    if not op:
        return TypeError(f"argument '{name}' must be tuple of ints, but found element of type "
                         f"{tname} at pos {i}")
    if sizes is not raw:
        return TypeError(f"{op}(): argument '{name}' (position 1) must be tuple of ints, but "
                         f"found element of type {tname} at pos 0")
    if len(raw) > 1:
        return TypeError(f"{op}() takes 1 positional argument but {len(raw)} were given")
    return TypeError(f"{op}(): argument '{name}' (position 1) must be tuple of ints, not {tname}")


def _infer(shape: tuple, numel: int, op: str, src: tuple) -> tuple:
    known = 1
    for s in shape:
        if s >= 0:
            known *= s
        elif s != -1 or shape.count(-1) > 1:
            _bad_dim(shape)
    if -1 in shape:
        if known == 0 or numel % known:
            _bad_infer(shape, numel)
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _bad_infer(shape: tuple, numel: int) -> None:
    """PyTorch's refusal of a ``-1`` size it cannot infer (ambiguous for 0 elements)."""
    if numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because "
                           "the unspecified dimension size -1 can be any value and is ambiguous")
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _bad_dim(shape: tuple) -> None:
    """PyTorch's refusal of the first bad size of a view/reshape target, in its order."""
    inferred = False
    for i, s in enumerate(shape):
        if s == -1:
            if inferred:
                raise RuntimeError("only one dimension can be inferred")
            inferred = True
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")


def _reshape_view(x: Any, new: tuple, be: Any) -> Any:
    """``x`` seen with shape ``new`` without copying, or None where a copy is needed."""
    if new == x.shape:
        return x[...]
    if not be.numpy_like:  # the Array API's reshape(copy=False) refuses to copy
        try:
            return be.xp.reshape(x, new, copy=False)
        except (AttributeError, ValueError, TypeError):
            return None
    try:
        return x.reshape(new, copy=False)
    except TypeError:  # a namespace without reshape(copy=): try setting the shape
        arr = x.view()
        try:
            arr.shape = new
        except (AttributeError, ValueError):
            return None
        return arr
    except (AttributeError, ValueError):
        return None


def view(input: Tensor, *shape: Any, size: Any = None, dtype: Any = None) -> Tensor:
    """The same memory seen with another shape (raises where a copy would be needed), or with
    ``view(dtype)`` as another dtype."""
    if not shape:  # by name (``view(size=...)``, ``view(dtype=...)``) or nothing at all
        return _view_named(input, size, dtype)
    if len(shape) == 1 and not _isinstance(shape[0], (int, tuple, list)) \
            and not hasattr(shape[0], "__index__"):
        return _view_dtype(input, shape[0])
    x = input._data
    new = _infer(shape_arg(shape, "view"), x.size, "view", x.shape)
    arr = _reshape_view(x, new, input._device._backend)
    if arr is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    old = x.shape
    return view_out(input, arr, lambda t: t.view(new), "ViewBackward0",
                    lambda g: (g.reshape(old),))


def _view_type_error(arg: Any) -> TypeError:
    """PyTorch's parser's refusal of ``x.view(arg)`` for an ``arg`` neither dtype nor size."""
    what = type(arg).__name__
    if _isinstance(arg, (tuple, list)):  # PyTorch's parser lists the element types
        items = ", ".join(type(v).__name__ for v in arg)
        what += f" of ({items})" if _isinstance(arg, tuple) else f" of [{items}]"
    bad = f"didn't match because some of the arguments have invalid types: (!{what}!)"
    return TypeError(f"view() received an invalid combination of arguments - got "
                     f"({type(arg).__name__}), but expected one of:\n * (torch.dtype dtype)"
                     f"\n      {bad}\n * (tuple of ints size)\n      {bad}\n")


def _view_dtype(input: Tensor, dtype: Any) -> Tensor:
    """The same bytes read as ``dtype``; with another element size the last dim (which must
    be contiguous) shrinks or grows. Not differentiable (as in PyTorch, even to the same dtype)."""
    from .. import dtypes as _dt
    from ._inplace import _type_name

    if not _isinstance(dtype, _dt.dtype) and not _isinstance(dtype, str):
        raise _view_type_error(dtype)
    try:
        dt = _dt.to_dtype(dtype)
    except TypeError:  # a string that names no dtype: PyTorch refuses every string
        raise _view_type_error(dtype) from None
    x = input._data
    old = input.dtype
    if dt == old:
        return make_view(input, x.view(), lambda t: t.view(dt))
    be = input._device._backend
    native = be.native_dtype(dt)
    a, b = x.dtype.itemsize, be.xp.dtype(native).itemsize
    if a != b:
        words = f"to view {_type_name(old)} as {_type_name(dt)} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {words}")
        if (x.shape[-1] * a) % b:
            raise RuntimeError(f"self.size(-1) must be divisible by {b // a if b > a else 1} "
                               f"{words}, but got {x.shape[-1]}")
        if x.strides[-1] != a and x.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {words}, but got "
                               f"{x.strides[-1] // a}")
        if b > a:
            _check_upsized_view(input, b // a, words)
    arr = x.view(native)
    return make_view(input, arr, lambda t: t.view(dt))  # no graph: not differentiable


def _check_upsized_view(input: Tensor, ratio: int, words: str) -> None:
    """PyTorch's checks before reading ``ratio`` elements as one: the offset and the outer
    strides must be whole new elements (size-1 dims step nowhere: their strides are free)."""
    off = input.storage_offset()
    if off % ratio:
        raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {words}, but "
                           f"got {off}")
    x = input._data
    for i in range(x.ndim - 1):
        st = x.strides[i] // x.dtype.itemsize
        if st % ratio and x.shape[i] != 1:
            raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} {words}, but "
                               f"got {st}")


def reshape(input: Tensor, *shape: Any, **kwargs: Any) -> Tensor:
    """``input`` with a new shape: a view where possible, else a copy."""
    if "shape" in kwargs:
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"reshape() got an unexpected keyword argument '{next(iter(kwargs))}'")
    x = input._data
    new = _infer(shape_arg(shape, "reshape", "shape"), x.size, "reshape", x.shape)
    be = input._device._backend
    arr = _reshape_view(x, new, be)
    old = x.shape
    if arr is not None:  # PyTorch: a view of a contiguous input, else a _reshape_alias
        flags = getattr(x, "flags", None)
        name = "ViewBackward0" if flags is None or flags.c_contiguous else \
            "ReshapeAliasBackward0"
        return view_out(input, arr, lambda t: t.reshape(new), name,
                        lambda g: (g.reshape(old),))
    out = make(be.reshape(x, new), input._device)
    if grad_state.enabled and input._rg:
        record("UnsafeViewBackward0", out, (input,), lambda g: (g.reshape(old),))
    return out


def _view_named(input: Tensor, size: Any, dtype: Any) -> Tensor:
    """``view`` given its one argument by name; PyTorch's TypeError for none or both."""
    if (size is None) == (dtype is None):
        got = "".join(f"{k}={n}, " for k, v, n in (("dtype", dtype, "torch.dtype"),
                                                   ("size", size, type(size).__name__))
                      if v is not None)
        raise TypeError(f"view() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:")
    return view(input, size) if dtype is None else _view_dtype(input, dtype)


def expand(input: Tensor, *sizes: Any, size: Any = None) -> Tensor:
    """A broadcast view (no copy); -1 keeps a dimension's size."""
    if not sizes:  # expand() with no sizes at all: PyTorch's argument parser refuses it
        if size is None:
            raise TypeError('expand() missing 1 required positional arguments: "size"')
        sizes = (size,)
    x = input._data
    sizes = shape_arg(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand({input.type()}{{{list(x.shape)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
            f"in the tensor ({x.ndim})")
    target = []
    for i in range(len(sizes) - 1, -1, -1):  # from the last dim, as PyTorch checks them
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
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
    target = tuple(reversed(target))
    # NumPy marks broadcast arrays read-only: writes into them fail as PyTorch's do
    arr = x[...] if target == x.shape else _broadcast(input._device._backend.xp, x, target)
    shape = x.shape
    return view_out(input, arr, lambda t: t.expand(target), "ExpandBackward0",
                    lambda g: (sum_to(g, shape),))


def _broadcast(xp: Any, x: Any, target: tuple) -> Any:
    """``x`` broadcast to ``target``; a size-1 dim that stays size 1 keeps its stride, as in
    PyTorch (NumPy zeroes the stride of every size-1 dim)."""
    arr = xp.broadcast_to(x, target)
    lead = len(target) - x.ndim
    kept = [i for i, n in enumerate(x.shape) if n == 1 and target[lead + i] == 1 and x.strides[i]]
    if not kept and (not lead or 1 not in target[:lead]):
        return arr
    strides = list(arr.strides)
    for i in kept:
        strides[lead + i] = x.strides[i]
    # a new leading dim of size 1 steps over the dims after it (PyTorch's inferExpandGeometry)
    for i in range(min(lead, len(target) - 1) - 1, -1, -1):
        if target[i] == 1:
            strides[i] = strides[i + 1] * target[i + 1]
    return strided_view(xp, arr, target, tuple(strides))


def _other_shape(other: Tensor, op: str) -> tuple:
    """``other``'s shape, or PyTorch's refusal of an ``other`` that is no tensor."""
    try:
        return other._data.shape
    except AttributeError:
        from .pointwise_unary import not_tensor

        raise not_tensor(op, other, 1, "other") from None


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, _other_shape(other, "expand_as"))


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, _other_shape(other, "view_as"))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, _other_shape(other, "reshape_as"))


# ------------------------------------------------------------------ squeeze, unsqueeze, flatten
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dims of size 1 (all, or those of ``dim`` that have size 1)."""
    x = input._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
        name = "SqueezeBackward0"
    else:
        dims = wrap_dims(dim, x.ndim, "squeeze")
        axes = tuple(d for d in dims if x.ndim and x.shape[d] == 1)
        name = "SqueezeBackward2" if _isinstance(dim, (tuple, list)) else "SqueezeBackward1"
    arr = input._device._backend.xp.squeeze(x, axis=axes) if axes else x[...]
    shape = x.shape
    return view_out(input, arr, lambda t: t.squeeze(dim), name, lambda g: (g.reshape(shape),))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (a view)."""
    x = input._data
    d = dim if dim.__class__ is int and 0 <= dim <= x.ndim else \
        wrap_dim(dim, x.ndim + 1, "unsqueeze")
    be = input._device._backend
    if be.numpy_like:  # a reshape that adds a dim of size 1 is always a view (no copy)
        shape = x.shape
        arr = x.reshape(shape[:d] + (1,) + shape[d:])
    else:
        arr = be.xp.expand_dims(x, d)
    return view_out(input, arr, lambda t: t.unsqueeze(d), "UnsqueezeBackward0",
                    lambda g: (g.squeeze(d),))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view where possible)."""
    x = input._data
    if x.ndim == 0:  # (dims are still checked: in [-1, 0])
        wrap_dim(start_dim, 0, "flatten")
        wrap_dim(end_dim, 0, "flatten")
        return reshape(input, 1)
    s = wrap_dim(start_dim, x.ndim, "flatten")
    e = wrap_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for k in x.shape[s:e + 1]:
        n *= k
    return reshape(input, x.shape[:s] + (n,) + x.shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    x = input._data
    d = wrap_dim(dim, x.ndim, "unflatten")
    if x.ndim == 0:  # PyTorch wraps its IndexError for a 0-dim input in a RuntimeError
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in sizes:
        if known == 0 or x.shape[d] % known:
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{dim} ({x.shape[d]}) in the input tensor")
        sizes = tuple(x.shape[d] // known if s == -1 else s for s in sizes)
    elif known != x.shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({x.shape[d]}) in the input tensor")
    return view(input, x.shape[:d] + sizes + x.shape[d + 1:])


def ravel(input: Tensor) -> Tensor:
    """A 1-D contiguous tensor of the elements: as PyTorch, ``contiguous().view(-1)``, so a
    view only of a contiguous input (``reshape`` would view a strided one)."""
    return view(input.contiguous(), -1)


# ------------------------------------------------------------------ broadcasting
def broadcast_shapes(*shapes: Any) -> Any:
    """The shape that ``shapes`` broadcast to, as an ``ember.Size``."""
    from .._tensor import Size

    norm = [(int(s),) if _isinstance(s, int) or hasattr(s, "__index__") and not
            _isinstance(s, (tuple, list)) else tuple(int(k) for k in s) for s in shapes]
    n = max((len(s) for s in norm), default=0)
    out = [1] * n
    for i, s in enumerate(norm):
        for j, k in enumerate(s):
            pos = n - len(s) + j
            if k < 0 and out[pos] == 1:  # (against a size other than 1: the mismatch below)
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if out[pos] == 1:
                out[pos] = k
            elif k != 1 and k != out[pos]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {k} at {j - len(s)}! "
                    f"Mismatching argument at index {i} had "
                    # as given: a list, tuple or Size shows its own repr, an int as a tuple
                    f"{shapes[i] if _isinstance(shapes[i], (tuple, list)) else tuple(s)!r}; "
                    f"but expected shape "
                    f"should be broadcastable to {out}")
    return Size(out)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views); a tensor already of
    that shape comes back itself, as in PyTorch (no ``ExpandBackward0`` node)."""
    if len(tensors) == 1 and _isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    try:
        shape = broadcast_shapes(*(t._data.shape for t in tensors))
    except RuntimeError:
        _raise_pairwise_broadcast([t._data.shape for t in tensors])
        raise
    return tuple(t if t._data.shape == tuple(shape) else expand(t, shape) for t in tensors)


def _raise_pairwise_broadcast(shapes: list) -> None:
    """Error path of ``broadcast_tensors``: PyTorch folds the shapes pairwise and names the
    first clash (from the last dimension) as ``tensor a`` (shape so far) vs ``tensor b``."""
    run: list = []
    for s in shapes:
        n = max(len(run), len(s))
        a = [1] * (n - len(run)) + list(run)
        b = [1] * (n - len(s)) + list(s)
        for d in range(n - 1, -1, -1):
            if a[d] != b[d] and a[d] != 1 and b[d] != 1:
                raise RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor "
                                   f"b ({b[d]}) at non-singleton dimension {d}")
        run = [y if x == 1 else x for x, y in zip(a, b)]


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` broadcast to ``size`` (a view, like ``expand``)."""
    if _isinstance(size, (int, float)):  # the function form takes only a sequence
        raise TypeError("broadcast_to(): argument 'size' (position 2) must be tuple of ints, "
                        f"not {type(size).__name__}")
    return expand(input, tuple(size))


def _broadcast_to_method(self: Tensor, *sizes: Any, size: Any = None) -> Tensor:
    """``Tensor.broadcast_to``: its sizes given as ``(2, 3)`` or ``2, 3``, as ``expand``'s."""
    if size is not None:
        if _isinstance(size, (int, float)):
            raise TypeError("broadcast_to(): argument 'size' must be tuple of ints, not "
                            f"{type(size).__name__}")
        sizes = (size,)
    elif not sizes:
        raise TypeError('broadcast_to() missing 1 required positional arguments: "size"')
    return expand(self, shape_arg(sizes, "broadcast_to"))


def _atleast(tensors: tuple, n: int) -> Any:
    single = len(tensors) == 1 and not _isinstance(tensors[0], (tuple, list))
    if len(tensors) == 1 and not single:
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        try:
            nd = t._data.ndim
        except AttributeError:
            raise _atleast_refusal(n, t, single, len(out)) from None
        if nd >= n:
            out.append(t)
        elif nd == 0:
            out.append(reshape(t, (1,) * n))
        elif n == 2 or nd == 2:  # (N,) -> (1, N); (M, N) -> (M, N, 1)
            out.append(unsqueeze(t, 0 if n == 2 else -1))
        else:  # 1-D to 3-D: (N,) -> (1, N, 1)
            out.append(unsqueeze(unsqueeze(t, 0), -1))
    return out[0] if single else tuple(out)


def _atleast_refusal(n: int, t: Any, single: bool, pos: int) -> TypeError:
    """PyTorch's TypeError for a non-tensor given to ``atleast_{n}d``: as the lone argument,
    its overload mismatch; inside a sequence, the element's position."""
    tn = type(t).__name__
    if not single:
        return TypeError(f"expected Tensor as element {pos} in argument 0, but got {tn}")
    why = f"      didn't match because some of the arguments have invalid types: (!{tn}!)\n"
    return TypeError(f"atleast_{n}d() received an invalid combination of arguments - got "
                     f"({tn}), but expected one of:\n * (Tensor input)\n{why}"
                     f" * (tuple of Tensors tensors)\n{why}")


def atleast_1d(*tensors: Any) -> Any:
    """Each input viewed with at least 1 dim (one tensor in, one out; else a tuple)."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each input viewed with at least 2 dims (1-D ``(N,)`` becomes ``(1, N)``)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each input viewed with at least 3 dims (``(N,)`` -> ``(1, N, 1)``, ``(M, N)`` -> ``(M, N, 1)``)."""
    return _atleast(tensors, 3)


def restride_(self: Tensor, r: Tensor, name: str) -> Tensor:
    """Make ``self`` the view ``r`` of itself in place (``unsqueeze_``, ``t_``, ...)."""
    from ._inplace import check_inplace

    check_inplace(self, name)
    self._data = r._data
    self._vc[0] += 1
    if self._base is not None:  # still a view of the same base, made another way
        self._view_fn = r._view_fn
    if r.grad_fn is not None:
        r.grad_fn.__class__ = _renamed(r.grad_fn.__class__, name)
        self.grad_fn, self._out_nr, self._rg = r.grad_fn, r._out_nr, True
    return self


def _renamed(cls: type, name: str) -> type:
    """The node class of an in-place view op (PyTorch numbers them one higher)."""
    from ..autograd.graph import node_class

    base, num = cls.__name__.rstrip("0123456789"), cls.__name__[len(cls.__name__.rstrip(
        "0123456789")):]
    # squeeze_'s three overloads follow squeeze's three (0-2) as 3-5
    return node_class(f"{base}{int(num or 0) + (3 if name == 'squeeze_' else 1)}")


def _squeeze_method(self: Tensor, *dim: Any, **kwargs: Any) -> Tensor:
    if kwargs:  # squeeze(dim=...) or NumPy's squeeze(axis=...); squeeze() refuses the rest
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return squeeze(self, *dim, **kwargs)
    if not dim:
        return squeeze(self)
    return squeeze(self, dim[0] if len(dim) == 1 else dim)


def squeeze_(self: Tensor, *dim: Any, **kwargs: Any) -> Tensor:
    return restride_(self, _squeeze_method(self, *dim, **kwargs), "squeeze_")


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    return restride_(self, unsqueeze(self, dim), "unsqueeze_")


methods(view=view, reshape=reshape, expand=expand, expand_as=expand_as, view_as=view_as,
        reshape_as=reshape_as, squeeze=_squeeze_method, unsqueeze=unsqueeze, flatten=flatten,
        unflatten=unflatten, ravel=ravel, broadcast_to=_broadcast_to_method, squeeze_=squeeze_,
        unsqueeze_=unsqueeze_)

# the rest of the family (these modules import the helpers above)
from . import shape_diag, shape_join, shape_views  # noqa: E402

for _m in (shape_views, shape_join, shape_diag):
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
    __all__ += list(_m.__all__)
del _m, _name
