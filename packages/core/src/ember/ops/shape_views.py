"""View ops that rearrange or pick part of a tensor: transpose, permute, narrow, select,
split, unbind, unfold, diagonal, as_strided (all alias their input)."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ._dispatch import (
    Tensor,
    conj_operand,
    grad_state,
    make,
    methods,
    permute_dims,
    record_multi,
    renamed,
    wrap_dim,
)
from ._memory import array_over
from .shape import make_view, multi_view_guard, restride_, shape_arg, view_grad, view_out

__all__ = ["transpose", "swapaxes", "swapdims", "permute", "t", "adjoint", "movedim",
           "moveaxis", "narrow", "select", "unbind", "split", "chunk", "tensor_split", "hsplit",
           "vsplit", "dsplit", "diagonal", "as_strided", "slice_scatter", "select_scatter",
           "diagonal_scatter", "as_strided_scatter"]

_isinstance = isinstance


# ------------------------------------------------------------------ strided views
def _root(x: np.ndarray) -> np.ndarray:
    while _isinstance(x.base, np.ndarray):
        x = x.base
    return x


def _ptr(a: Any) -> int:
    return a.__array_interface__["data"][0] if _isinstance(a, np.ndarray) else int(a.data.ptr)


def strided(input: Tensor, shape: Sequence[int], strides: Sequence[int], offset: int) -> Any:
    """An array over ``input``'s memory: element ``strides``, starting ``offset`` elements
    after ``input``'s first element (NumPy-like backends only)."""
    x = input._data
    be = input._device._backend
    if not be.numpy_like:
        raise RuntimeError(
            f"as_strided: the '{be.type}' backend has no strided views (NumPy's stride tricks "
            "are needed); use a NumPy-like backend")
    isz = x.dtype.itemsize
    shape = tuple(int(s) for s in shape)
    bstrides = tuple(int(s) * isz for s in strides)
    if _isinstance(x, np.ndarray):
        root = _root(x)
        if not root.nbytes and 0 not in shape:  # NumPy does not bound-check an empty buffer
            raise ValueError("as_strided: out of bounds for an empty storage")
        if root.flags.c_contiguous:  # keep the base chain (storage_offset reads it)
            start = _ptr(x) - _ptr(root) + offset * isz
            arr = np.ndarray(shape, x.dtype, buffer=root, offset=start, strides=bstrides)
            if not x.flags.writeable and arr.flags.writeable:
                arr.flags.writeable = False
            return arr
        return array_over(x, _ptr(x) + offset * isz, shape, bstrides, x.flags.writeable)
    return be.xp.ndarray(shape, x.dtype, memptr=x.data + offset * isz, strides=bstrides)


def _elem_strides(x: Any) -> tuple[int, ...]:
    isz = x.dtype.itemsize
    return tuple(s // isz for s in x.strides)


# ------------------------------------------------------------------ transposes
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    x = input._data
    d0 = wrap_dim(dim0, x.ndim, "transpose")
    d1 = wrap_dim(dim1, x.ndim, "transpose")
    be = input._device._backend
    if not x.ndim:
        arr = x[...]
    elif be.numpy_like:
        arr = be.xp.swapaxes(x, d0, d1)
    else:
        perm = list(range(x.ndim))
        perm[d0], perm[d1] = d1, d0
        arr = be.xp.permute_dims(x, tuple(perm))
    return view_out(input, arr, lambda t: t.transpose(d0, d1), "TransposeBackward0",
                    lambda g: (g.transpose(d0, d1),))


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose`` with NumPy's argument names."""
    return transpose(input, axis0, axis1)


swapdims = transpose


def permute(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """Reorder the dims (a view): result dim ``i`` is input dim ``dims[i]``."""
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"permute() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:  # PyTorch's parser: ``dims`` is required (``permute(())`` is the 0-dim form)
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    x = input._data
    dims = shape_arg(dims, "permute", "dims")
    if len(dims) != x.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{x.ndim} is not equal to len(dims) = {len(dims)}")
    perm = tuple(wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(perm)) != len(perm):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inv = tuple(int(i) for i in np.argsort(perm))
    arr = permute_dims(input._device._backend.xp, x, perm)
    return view_out(input, arr, lambda t: t.permute(perm), "PermuteBackward0",
                    lambda g: (g.permute(inv),))


def t(input: Tensor) -> Tensor:
    """Transpose of a matrix; 0-D and 1-D tensors are returned as they are (a view)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    arr = input._data.T if nd == 2 else input._data[...]
    return view_out(input, arr, lambda v: v.t(), "TBackward0", lambda g: (g.t(),))


def _at(line: int) -> str:
    """The source line PyTorch's C++ warnings of this family name at their end."""
    return f" (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:{line}.)"


def _T(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd != 2:  # PyTorch warns once per program (TORCH_WARN_ONCE), 0-D in its own words
        from .creation import _warn_once

        if nd == 0:
            _warn_once("T0", "Tensor.T is deprecated on 0-D tensors. This function is the "
                       "identity in these cases." + _at(4327), 3)
        else:
            _warn_once("T", "The use of `x.T` on tensors of dimension other than 2 to reverse "
                       "their shape is deprecated and it will throw an error in a future "
                       "release. Consider `x.mT` to transpose batches of matrices or "
                       "`x.permute(*ember.arange(x.ndim - 1, -1, -1))` to reverse the "
                       "dimensions of a tensor. (Triggered internally at /__w/pytorch/pytorch/"
                       "aten/src/ATen/native/TensorShape.cpp:4320.)", 3)
    return permute(self, tuple(range(nd - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim == 0:  # PyTorch: the tensor itself, with a warning
        from .creation import _warn_once

        _warn_once("mT0", "Tensor.mT is deprecated on 0-D tensors. This function is the "
                   "identity in these cases." + _at(4380), 3)
        return self
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _H(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd not in (0, 2):
        extra = " For batches of matrices, consider using tensor.mH" if nd > 2 else ""
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor.{extra}")
    if nd == 0:  # PyTorch: the tensor itself (its conjugate if complex), with a warning
        from .creation import _warn_once

        _warn_once("H0", "Tensor.H is deprecated on 0-D tensors. Consider using x.conj()." + _at(4342),
                   3)
        return conj_operand(self)
    return conj_operand(transpose(self, 0, 1))  # a TransposeBackward0 node, as PyTorch's


def _mH(self: Tensor) -> Tensor:
    if self._data.ndim == 0:  # PyTorch: the tensor itself (its conjugate if complex)
        from .creation import _warn_once

        _warn_once("mH0", "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj()." +
                   _at(4389), 3)
        return conj_operand(self)
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return conj_operand(transpose(self, -2, -1))


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims."""
    if input._data.ndim == 0:  # PyTorch: the tensor itself (its conjugate if complex)
        from .creation import _warn_once

        _warn_once("adjoint0", "adjoint() is deprecated on 0-D tensors. Consider using "
                   "x.conj()." + _at(4397), 3)
        return conj_operand(input)
    if input._data.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._data.ndim}-D tensor.")
    return conj_operand(transpose(input, -2, -1))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (a view)."""
    nd = input._data.ndim
    src = [source] if _isinstance(source, int) else list(source)
    dst = [destination] if _isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)")
    ws = [wrap_dim(d, nd, "movedim") for d in src]
    wd = [wrap_dim(d, nd, "movedim") for d in dst]
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    if nd == 0:  # PyTorch: an alias
        return view_out(input, input._data[...], lambda t: movedim(t, source, destination),
                        "AliasBackward0", lambda g: (g,))
    order = [d for d in range(nd) if d not in ws]
    for d, s in sorted(zip(wd, ws)):
        order.insert(d, s)
    return permute(input, tuple(order))


moveaxis = movedim


# ------------------------------------------------------------------ narrow, select, unbind
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The slice ``start:start+length`` of dim ``dim`` (a view)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim, "narrow")
    n = x.shape[d]
    if start.__class__ is not int or length.__class__ is not int:
        start, length = _narrow_args(start, length)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, d, start, start + length)


def _narrow_args(start: Any, length: Any) -> tuple[int, int]:
    """narrow's ``start`` (an int, or a 0-dim integer tensor) and ``length`` (an int) as ints;
    PyTorch refuses a float (TypeError) and a tensor start of another kind or shape."""
    if _isinstance(start, Tensor):
        a = start._data
        if a.ndim != 0 or a.dtype.kind not in "iu":
            raise RuntimeError("start must be an 0-dim integral Tensor.")
    for v in (start, length):
        if _isinstance(v, (float, bool, complex, str)) or not hasattr(v, "__index__"):
            raise _narrow_error(start, length)
    return int(start), int(length)


def _narrow_error(start: Any, length: Any) -> TypeError:
    """PyTorch's parser's refusal of a float (or string) ``start`` or ``length``."""
    def bad(v: Any, tensor_ok: bool) -> bool:
        if tensor_ok:
            return not _isinstance(v, Tensor)
        return _isinstance(v, (float, bool, complex, str)) or not hasattr(v, "__index__")

    def marks(tensor_start: bool) -> str:
        s, n = type(start).__name__, type(length).__name__
        return (f"(int, {f'!{s}!' if bad(start, tensor_start) else s}, "
                f"{f'!{n}!' if bad(length, False) else n})")

    why = "      didn't match because some of the arguments have invalid types: "
    return TypeError(f"narrow() received an invalid combination of arguments - got (int, "
                     f"{type(start).__name__}, {type(length).__name__}), but expected one of:\n"
                     f" * (int dim, Tensor start, int length)\n{why}{marks(True)}\n"
                     f" * (int dim, int start, int length)\n{why}{marks(False)}\n")


def _slice(input: Tensor, d: int, a: int, b: int) -> Tensor:
    key = (slice(None),) * d + (slice(a, b), Ellipsis)
    shape = input._data.shape
    replay = lambda t: _slice(t, d, a, b)
    return view_out(input, input._data[key], replay, "SliceBackward0",
                    lambda g: (view_grad(g, shape, replay, "SliceBackwardBackward0"),))


def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slice at ``index`` of dim ``dim``, with that dim removed (a view)."""
    x = input._data
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim, "select")
    n = x.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(x.shape)} "
                         f"at dimension {d}")
    if i < 0:
        i += n
    key = (slice(None),) * d + (i, Ellipsis)
    shape = x.shape
    replay = lambda t: select(t, d, i)
    return view_out(input, x[key], replay, "SelectBackward0",
                    lambda g: (view_grad(g, shape, replay, "SelectBackwardBackward0"),))


def _multi_views(input: Tensor, arrs: list, name: str, guard: str, vjp: Any) -> tuple:
    outs = [make_view(input, a, multi_view_guard(guard, i)) for i, a in enumerate(arrs)]
    if grad_state.enabled and input._rg and outs:
        record_multi(name, outs, (input,), vjp)
    return tuple(outs)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """All slices along ``dim``, as a tuple of views."""
    x = input._data
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, x.ndim, "unbind")
    pre = (slice(None),) * d
    arrs = [x[pre + (i, Ellipsis)] for i in range(x.shape[d])]

    def vjp(gs: tuple) -> tuple:
        from .shape_join import stack

        return (stack(gs, d),)

    return _multi_views(input, arrs, "UnbindBackward0", "Unbind", vjp)


# ------------------------------------------------------------------ split and friends
def _split_sizes(input: Tensor, sizes: Sequence[int], d: int, name: str, guard: str) -> tuple:
    x = input._data
    pre = (slice(None),) * d
    arrs, off = [], 0
    for s in sizes:
        arrs.append(x[pre + (slice(off, off + s),)])
        off += s

    def vjp(gs: tuple) -> tuple:
        from .shape_join import cat

        return (cat(gs, d),)

    return _multi_views(input, arrs, name, guard, vjp)


def _split_item(sizes: Any, k: int | None) -> int:
    """A split size given as other than an int (a 0-d tensor, NumPy's int, a bool) as an int;
    a float, string or None refused in the words of PyTorch's ``split_with_sizes`` parser
    (``k``: its place in the list of sizes, None for a lone split size)."""
    s = sizes[0 if k is None else k]
    if _isinstance(s, (float, str, complex)) or s is None or not hasattr(s, "__index__"):
        from .pointwise_unary import _arg_type_name
        name = _arg_type_name(s)
        head = "split_with_sizes(): argument 'split_sizes'"
        if k is None:
            raise TypeError(f"{head} (position 2) must be tuple of ints, not {name}")
        if k:
            raise TypeError(f"{head} failed to unpack the object at pos {k + 1} with error "
                            f"\"type must be tuple of ints,but got {name}\"")
        raise TypeError(f"{head} (position 2) must be tuple of ints, but found element of type "
                        f"{name} at pos 0")
    return int(s)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: of size ``split_size`` (the last may be
    smaller), or of the given sizes."""
    x = tensor._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if _isinstance(split_size_or_sections, (list, tuple)):
        sizes = [s if s.__class__ is int else _split_item(split_size_or_sections, k)
                 for k, s in enumerate(split_size_or_sections)]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            if any(s < 0 for s in sizes):
                raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                                   f"entries, but got split_sizes={sizes}")
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}")
        return _split_sizes(tensor, sizes, d, "SplitWithSizesBackward0", "SplitWithSizes")
    s = split_size_or_sections
    if s.__class__ is not int:
        s = _split_item((s,), None)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    if n == 0:
        sizes = [0]
    else:
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
    return _split_sizes(tensor, sizes, d, "SplitBackward0", "Split")


def _split_method(self: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``Tensor.split``: its first argument is named ``split_size``, as in PyTorch."""
    return split(self, split_size, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of equal size (``ceil(n / chunks)``; the last may be smaller)."""
    x = input._data
    if not _isinstance(chunks, int):
        chunks = _chunks_arg(chunks)
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, x.ndim, "chunk")
    n = x.shape[d]
    if n == 0:  # PyTorch's chunk of an empty dim is split_with_sizes
        return _split_sizes(input, [0] * chunks, d, "SplitWithSizesBackward0", "SplitWithSizes")
    return split(input, math.ceil(n / chunks), d)


def _chunks_arg(chunks: Any) -> int:
    """chunk's count given as an int-like (a 0-dim integer tensor, a NumPy int); anything else
    (a list, a float) is PyTorch's TypeError."""
    try:
        return operator.index(chunks)
    except TypeError:
        raise TypeError("chunk(): argument 'chunks' (position 2) must be int, not "
                        f"{type(chunks).__name__}") from None


def tensor_split(input: Tensor, indices_or_sections: Any = None, dim: int = 0, *,
                 sections: Any = None, indices: Any = None,
                 tensor_indices_or_sections: Any = None) -> tuple[Tensor, ...]:
    """Views split into ``sections`` nearly equal pieces, or at the given ``indices`` (by
    position, or by PyTorch's keyword for each overload)."""
    if indices_or_sections is None:
        given = [a for a in (sections, indices, tensor_indices_or_sections) if a is not None]
        if len(given) != 1:
            from .pointwise_unary import invalid_combination

            raise invalid_combination("tensor_split", *given)
        indices_or_sections = given[0]
    x = input._data
    if x.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, x.ndim, "tensor_split")
    n = x.shape[d]
    ios = indices_or_sections
    if _isinstance(ios, Tensor):
        ios = _split_tensor_arg(ios)
    if _isinstance(ios, (list, tuple)):
        bounds = [0] + [int(i) for i in ios] + [n]
        pieces = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            a = min(max(a if a >= 0 else a + n, 0), n)
            b = min(max(b if b >= 0 else b + n, 0), n)
            pieces.append((a, max(a, b)))
    else:
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        pieces, off = [], 0
        for i in range(k):
            s = q + (1 if i < r else 0)
            pieces.append((off, off + s))
            off += s
    return tuple(_slice(input, d, a, b) for a, b in pieces)


def _split_tensor_arg(t: Tensor) -> int | list:
    """tensor_split's tensor argument (an int64 CPU tensor of 0 or 1 dims) as sections or
    indices."""
    nd = t._data.ndim
    if nd > 1:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                           f"zero-dimensional or one-dimensional tensor, but got a tensor with "
                           f"{nd} dims")
    if t.dtype is not _dt.int64:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                           f"long, but got {_dt._c10_name(t.dtype)}")
    return int(t.item()) if nd == 0 else [int(v) for v in t.tolist()]


def _nsplit(input: Tensor, ios: Any, dim: int, op: str, need: int) -> tuple[Tensor, ...]:
    nd = input._data.ndim
    if nd < need:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {nd} dimensions!")
    if _isinstance(ios, int):
        n = input._data.shape[dim]
        if ios == 0 or n % ios:
            raise RuntimeError(
                f"torch.{op} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    return _nsplit(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


# ------------------------------------------------------------------ unfold, diagonal, as_strided
def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` along ``dimension``, ``step`` apart, in a new last dim (a view)."""
    x = input._data
    if x.ndim == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return view_out(input, x.reshape(1), lambda t: t.unfold(dimension, size, step),
                        "UnfoldBackward0", lambda g: (g.reshape(()),))
    d = wrap_dim(dimension, x.ndim, "unfold")
    n = x.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    nw = (n - size) // step + 1
    if not input._device._backend.numpy_like:
        strided(input, (), (), 0)  # raises: windows are strided views
    st = _elem_strides(x)
    shape = x.shape[:d] + (nw,) + x.shape[d + 1:] + (size,)
    strides = st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],)
    arr = strided(input, shape, strides, 0)
    in_shape = x.shape

    def vjp(g: Tensor) -> tuple:
        xp = g._device._backend.xp
        idx = (xp.arange(nw)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        gm = g.movedim(-1, d + 1).flatten(d, d + 1)
        z = make(xp.zeros(in_shape, dtype=g._data.dtype), g._device)
        return (z.index_add(d, make(idx, g._device), gm),)

    return view_out(input, arr, lambda t: t.unfold(d, size, step), "UnfoldBackward0", vjp)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (``dim1``, ``dim2``) planes, as a view in a new last dim."""
    x = input._data
    d1 = wrap_dim(dim1, x.ndim, "diagonal")
    d2 = wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = x.shape[d1], x.shape[d2]
    length = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    st = _elem_strides(x)
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    shape = tuple(x.shape[i] for i in keep) + (length,)
    strides = tuple(st[i] for i in keep) + (st[d1] + st[d2],)
    start = (offset * st[d2] if offset >= 0 else -offset * st[d1]) if length else 0
    be = input._device._backend
    if be.numpy_like:
        arr = strided(input, shape, strides, start)
    else:  # no strided views: a copy (writes through it do not reach the input)
        arr = be.xp.diagonal(x, offset, d1, d2)
    in_shape = x.shape
    replay = lambda t: diagonal(t, offset, d1, d2)
    return view_out(input, arr, replay, "DiagonalBackward0",
                    lambda g: (view_grad(g, in_shape, replay),))


def _positions(xp: Any, shape: Sequence[int], strides: Sequence[int], offset: int) -> Any:
    pos = xp.full(tuple(shape), offset, dtype=xp.int64)
    for i, (n, s) in enumerate(zip(shape, strides)):
        pos = pos + (xp.arange(n, dtype=xp.int64) * s).reshape((n,) + (1,) * (len(shape) - i - 1))
    return pos


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
               storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s storage with the given sizes, strides and storage offset."""
    x = input._data
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(stride)}")
    base_off = input.storage_offset()
    off = base_off if storage_offset is None else int(storage_offset)
    isz = input.dtype.itemsize
    try:
        arr = strided(input, size, stride, off - base_off)
    except (ValueError, TypeError):
        if any(n < 0 for n in size):
            raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                               f"strides={list(stride)}") from None
        need = 0 if 0 in size else off + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        have = _root(x).nbytes if _isinstance(x, np.ndarray) else x.nbytes
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, and "
            f"itemsize {isz} requiring a storage size of {need * isz} are out of bounds for "
            f"storage of size {have}") from None
    in_shape, in_strides = x.shape, _elem_strides(x)

    def vjp(g: Tensor) -> tuple:
        xp = g._device._backend.xp
        in_pos = _positions(xp, in_shape, in_strides, base_off).reshape(-1)
        out_pos = _positions(xp, size, stride, off).reshape(-1)
        order = xp.argsort(in_pos)
        sorted_pos = in_pos[order]
        loc = xp.clip(xp.searchsorted(sorted_pos, out_pos), 0, max(sorted_pos.size - 1, 0))
        gflat = g.reshape(-1)
        if sorted_pos.size == 0:
            return (make(xp.zeros(in_shape, dtype=g._data.dtype), g._device),)
        hit = sorted_pos[loc] == out_pos
        idx = order[loc]
        if not bool(hit.all()):  # output elements outside the input's footprint get dropped
            keep = xp.nonzero(hit)[0]
            idx = idx[keep]
            gflat = gflat.index_select(0, make(keep, g._device))
        z = make(xp.zeros(int(np.prod(in_shape)), dtype=g._data.dtype), g._device)
        return (z.index_add(0, make(idx, g._device), gflat).reshape(in_shape),)

    rel = off - base_off
    return view_out(input, arr, lambda t: as_strided(t, size, stride, t.storage_offset() + rel),
                    "AsStridedBackward0", vjp)


# ------------------------------------------------------------------ *_scatter: a copy with a view
def _view_scatter(input: Tensor, src: Tensor, view_of: Any, name: str) -> Tensor:
    from .conversion import clone

    out = clone(input)
    view = view_of(out)
    if view._data.shape != src._data.shape:  # no broadcasting, unlike copy_
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(view._data.shape)}")
    view.copy_(src)  # through the view: gradients split between input and src
    return renamed(out, name)  # PyTorch's own node, not the in-place write's CopySlices


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``."""
    d = wrap_dim(dim, input._data.ndim, "slice_scatter")
    key = (slice(None),) * d + (slice(start, end, step),)
    from .indexing_scatter import complex_grad_refused

    return complex_grad_refused(_view_scatter(input, src, lambda t: t[key],
                                              "SliceScatterBackward0"), "slice_scatter")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``index`` of dim ``dim``."""
    from .indexing_scatter import complex_grad_refused

    return complex_grad_refused(_view_scatter(input, src, lambda t: select(t, dim, index),
                                              "SelectScatterBackward0"), "select_scatter")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into a diagonal (as ``diagonal`` picks it)."""
    return _view_scatter(input, src, lambda t: diagonal(t, offset, dim1, dim2),
                         "DiagonalScatterBackward0")


def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],
                       storage_offset: int | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` written into an ``as_strided`` view of it."""
    return _view_scatter(input, src, lambda t: as_strided(t, size, stride, storage_offset),
                         "AsStridedScatterBackward0")


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return restride_(self, transpose(self, dim0, dim1), "transpose_")


def swapaxes_(self: Tensor, axis0: int, axis1: int) -> Tensor:
    return restride_(self, transpose(self, axis0, axis1), "transpose_")


def t_(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return restride_(self, t(self), "t_")


methods(transpose=transpose, swapaxes=swapaxes, swapdims=swapdims, permute=permute,
        t=t, T=property(_T), mT=property(_mT), H=property(_H), mH=property(_mH),
        adjoint=adjoint, movedim=movedim, moveaxis=moveaxis, narrow=narrow, select=select,
        unbind=unbind, split=_split_method, chunk=chunk, tensor_split=tensor_split, hsplit=hsplit,
        vsplit=vsplit, dsplit=dsplit, unfold=unfold, diagonal=diagonal, as_strided=as_strided,
        transpose_=transpose_, swapaxes_=swapaxes_, swapdims_=transpose_, t_=t_,
        slice_scatter=slice_scatter, select_scatter=select_scatter,
        diagonal_scatter=diagonal_scatter, as_strided_scatter=as_strided_scatter)
