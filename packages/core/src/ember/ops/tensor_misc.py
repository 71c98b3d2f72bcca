"""Tensor methods and top-level function forms that PyTorch keeps for compatibility:
split_with_sizes and the ``unsafe_`` splits, sum_to_size, fill_diagonal_, apply_/map_/map2_,
the legacy ``Tensor.new``, resize_/resize_as_, as_strided_, and ``torch.detach``,
``torch.fill``, ``torch.zero_``, ``torch.frobenius_norm``, ``torch.nuclear_norm``, ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ._dispatch import Tensor, grad_state, make, methods, record, record_multi, sum_to, wrap_dim
from .math_misc import _dtype_name

__all__ = ["split_with_sizes", "unsafe_split_with_sizes", "unsafe_chunk", "unsafe_split",
           "detach", "detach_", "fill", "fill_", "zero_", "neg_", "negative_", "index_put_",
           "as_strided_", "frobenius_norm", "nuclear_norm", "matrix_rank", "resize_as_",
           "is_same_size", "is_nonzero", "is_signed", "is_inference", "hash_tensor"]

_isinstance = isinstance


# ------------------------------------------------------------------ splits
def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """Views of consecutive pieces along ``dim`` with the given sizes (summing to its size)."""
    from .shape_views import split

    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                           f"entries, but got split_sizes={sizes}")
    return split(input, sizes, dim)


def _unsafe(pieces: tuple, input: Tensor, d: int) -> tuple:
    """The pieces as tensors sharing memory with ``input`` that autograd does not treat as
    views (PyTorch's ``unsafe_`` ops: in-place writes to them are not checked)."""
    outs = [make(p._data, p._device) for p in pieces]
    if grad_state.enabled and input._rg and outs:
        def vjp(gs: tuple) -> tuple:
            from .shape_join import cat

            return (cat(gs, d),)

        record_multi("UnsafeSplitBackward0", outs, (input,), vjp)
    return tuple(outs)


def unsafe_split(tensor: Tensor, split_size: int, dim: int = 0) -> tuple:
    """``split`` into pieces of ``split_size`` whose outputs are not autograd views."""
    from .shape_views import split

    if _isinstance(split_size, (list, tuple)):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    d = wrap_dim(dim, tensor._data.ndim, "unsafe_split")
    return _unsafe(split(tensor.detach(), split_size, d), tensor, d)


def unsafe_split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """``split_with_sizes`` whose outputs are not autograd views."""
    d = wrap_dim(dim, input._data.ndim, "unsafe_split_with_sizes")
    return _unsafe(split_with_sizes(input.detach(), split_sizes, d), input, d)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunk`` whose outputs are not autograd views."""
    from .shape_views import chunk

    pieces = chunk(input.detach(), chunks, dim)
    return _unsafe(pieces, input, wrap_dim(dim, input._data.ndim, "unsafe_chunk"))


# ------------------------------------------------------------------ sum_to_size
def sum_to_size(self: Tensor, *size: Any, **named: Any) -> Tensor:
    """``self`` summed down to ``size``, a shape that ``self``'s broadcasts from."""
    if not size:  # ``t.sum_to_size(size=(1, 3))``, or no size at all
        if "size" not in named:
            raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
        size = (named.pop("size"),)
    if named:
        raise TypeError(f"sum_to_size() got an unexpected keyword argument '{next(iter(named))}'")
    if len(size) == 1 and not _isinstance(size[0], int):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    have = tuple(self._data.shape)
    lead = len(have) - len(shape)
    if lead < 0 or any(s != 1 and s != h for s, h in zip(shape, have[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
    if shape == have:
        return self
    return sum_to(self, shape)


# ------------------------------------------------------------------ fill_diagonal_
def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all indices equal) with ``fill_value``; a tall matrix with
    ``wrap`` restarts the diagonal every ``cols + 1`` rows."""
    from . import _inplace
    from .pointwise_binary import where

    x = self._data
    nd = x.ndim
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    if nd > 2 and any(s != x.shape[0] for s in x.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    if _isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if _isinstance(fill_value, complex) and self.dtype.category != _dt._COMPLEX:
        c_name = {"float32": "float", "float64": "double"}.get(self.dtype.name, self.dtype.name)
        raise RuntimeError(f"value cannot be converted to type {c_name} without overflow")
    xp = self._device._backend.xp
    h, w = x.shape[0], x.shape[1]
    if nd == 2:
        size = min(h, w)
        if wrap and h > w + 1:
            flat = xp.arange(0, h * w, w + 1)
        else:
            flat = xp.arange(size) * (w + 1)
        idx = (flat // w, flat % w) if w else (flat, flat)
    else:
        d = xp.arange(min(x.shape))
        idx = (d,) * nd
    value = xp.asarray(fill_value).astype(x.dtype)
    try:
        _inplace.check_inplace(self, "fill_diagonal_")
    except RuntimeError as e:  # PyTorch writes through a diagonal view of ``self``
        if str(e).startswith("a leaf Variable"):
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.") from None
        raise
    if not (grad_state.enabled and self._rg):
        x[idx] = value
        self._vc[0] += 1
        return self
    # PyTorch fills through a diagonal view, a wrapped diagonal's tail through a second one:
    # a CopySlices node for each
    n_main = min(x.shape)
    parts = [tuple(i[:n_main] for i in idx), tuple(i[n_main:] for i in idx)]
    res = self
    for part in parts[:2 if idx[0].shape[0] > n_main else 1]:
        mask = xp.zeros(x.shape, dtype=bool)
        mask[part] = True
        keep = make(~mask, self._device)
        prev, res = res, make(xp.where(mask, value, res._data), self._device)
        record("CopySlices", res, (prev,),
               lambda g, keep=keep: (where(keep, g, g.new_zeros(())),))
    return _inplace.commit(self, res, "fill_diagonal_")


# ------------------------------------------------------------------ apply_, map_, map2_
def _python_map(self: Tensor, op: str, fn: Callable, others: tuple) -> Tensor:
    from . import _inplace

    if self._device.type != "cpu":
        raise TypeError(f"{op} is only implemented on CPU tensors")
    if self._rg:
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use "
                           f"var.detach().{op}() instead.")
    shape = self._data.shape
    cols = [self._data.reshape(-1).tolist()]
    for o in others:
        if o.dtype is not self.dtype:
            raise TypeError(f"{op}: expected {self.type()} for 'other' (got {o.type()})")
        try:
            b = np.broadcast_to(o._host(), shape)
        except ValueError:
            raise RuntimeError(
                f"expand({o.type()}{{{list(o.shape)}}}, size={list(shape)}): the number of sizes "
                f"provided ({len(shape)}) must be greater or equal to the number of dimensions "
                f"in the tensor ({o._data.ndim})") from None
        cols.append(b.reshape(-1).tolist())
    results = []
    for args in zip(*cols):
        r = fn(*args)
        if not _isinstance(r, (int, float, complex, np.number, np.bool_)):
            raise TypeError(f"must be real number, not {type(r).__name__}")
        results.append(r)
    arr = np.asarray(results).astype(self._data.dtype) if results else \
        np.zeros(0, dtype=self._data.dtype)
    _inplace.write(self, arr.reshape(shape))
    return self


def apply_(self: Tensor, callable: Callable) -> Tensor:  # noqa: A002
    """Replace each element by ``callable(element)`` (CPU only; slow, for small tensors)."""
    return _python_map(self, "apply_", callable, ())


def map_(self: Tensor, tensor: Tensor, callable: Callable) -> Tensor:  # noqa: A002
    """Replace each element by ``callable(element, other_element)``, ``tensor`` broadcast."""
    return _python_map(self, "map_", callable, (tensor,))


def map2_(self: Tensor, x: Tensor, y: Tensor, callable: Callable) -> Tensor:  # noqa: A002
    """Replace each element by ``callable(element, x_element, y_element)``."""
    return _python_map(self, "map2_", callable, (x, y))


# ------------------------------------------------------------------ Tensor.new (legacy)
def new(self: Tensor, *args: Any, device: Any = None, **kwargs: Any) -> Tensor:
    """The legacy constructor with ``self``'s dtype and device: ``new(*sizes)`` (values
    unset), ``new(sequence)``, ``new(tensor)`` (shares its memory) or ``new()``."""
    from .creation import _filled, tensor

    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"unexpected keyword arguments {sorted(kwargs)}")
    dev = device if device is not None else self._device
    if size is not None:
        return _filled(0, (tuple(size),), self.dtype, dev, False)
    if not args:
        return _filled(0, (0,), self.dtype, dev, False)
    if len(args) == 1:
        a = args[0]
        if _isinstance(a, Tensor):
            if a.dtype is not self.dtype:
                raise TypeError(f"expected {self.type()} (got {a.type()})")
            t = make(a._data, a._device)
            t._vc = a._vc
            return t
        from .._tensor import Size

        if _isinstance(a, Size):
            return _filled(0, (tuple(a),), self.dtype, dev, False)
        if _isinstance(a, (float, complex, bool)):
            raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        if not _isinstance(a, int):
            return tensor(a, dtype=self.dtype, device=dev)
    for a in args:
        if not _isinstance(a, int) or _isinstance(a, bool):
            raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(a).__name__}")
    return _filled(0, (args,), self.dtype, dev, False)


# ------------------------------------------------------------------ resize_, resize_as_
def _buffer(x: np.ndarray) -> tuple[np.ndarray, int]:
    """The C-contiguous array owning ``x``'s memory, flattened, and ``x``'s offset in it."""
    root = x
    while _isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous:
        return np.ascontiguousarray(x).reshape(-1), 0
    ptr = x.__array_interface__["data"][0]
    off = (ptr - root.__array_interface__["data"][0]) // x.dtype.itemsize
    return root.reshape(-1).view(x.dtype) if root.dtype == x.dtype else \
        root.reshape(-1).view(np.uint8).view(x.dtype), off


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Give ``self`` a new shape over its memory, read in C order from its first element;
    the memory grows (new elements unset) when too small."""
    if not sizes:
        raise TypeError("resize_() missing 1 required positional arguments: \"size\"")
    if len(sizes) == 1 and not _isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    shape = tuple(int(s) for s in sizes)
    if self._rg:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in shape):
        raise RuntimeError("numel: integer multiplication overflow" if len(shape) == 1 else
                           f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    x = self._data
    if memory_format is not None:
        _check_resize_format(memory_format, len(shape))
    if shape == tuple(x.shape):
        if memory_format is not None and _isinstance(x, np.ndarray) and x.size:
            buf, off = _buffer(x)  # the same memory, read in the format's order (no new version)
            self._data = _formatted(buf[off:off + x.size].reshape(shape), memory_format)
        return self
    n = math.prod(shape)
    if self._device.type != "cpu" or not _isinstance(x, np.ndarray):
        xp = self._device._backend.xp
        flat = x.reshape(-1) if x.flags.c_contiguous else xp.ascontiguousarray(x).reshape(-1)
        if flat.size >= n:
            self._data = flat[:n].reshape(shape)
        else:
            new_arr = xp.zeros(n, dtype=x.dtype)
            new_arr[:flat.size] = flat
            self._data = new_arr.reshape(shape)
        self._vc[0] += 1
        return self
    buf, off = _buffer(x)
    if off + n <= buf.size:
        self._data = buf[off:off + n].reshape(shape)
    else:  # grow: a new buffer holding the old contents (other views keep the old one)
        new_arr = np.zeros(n, dtype=x.dtype)
        old = buf[off:]
        new_arr[:old.size] = old
        self._data = new_arr.reshape(shape)
    if memory_format is not None:
        self._data = _formatted(self._data, memory_format)
    self._vc[0] += 1
    return self


def _check_resize_format(fmt: Any, ndim: int) -> None:
    """PyTorch's refusals of ``resize_``'s ``memory_format``: preserve, or the wrong rank."""
    from .._layouts import preserve_format
    from .._memory_format import check_format

    if fmt is preserve_format:
        raise RuntimeError("Unsupported memory formatPreserve")
    check_format(fmt, ndim)


def _formatted(arr: np.ndarray, fmt: Any) -> np.ndarray:
    """``arr`` (C-ordered) restrided over the same memory in ``fmt`` (``resize_``'s
    ``memory_format``: channels-last strides, or C order)."""
    from .._memory_format import layout_of

    layout = layout_of(fmt, arr.shape, None)
    if layout is None:
        return arr
    isz = arr.dtype.itemsize
    return np.lib.stride_tricks.as_strided(arr, arr.shape, tuple(st * isz for st in layout[1]))


def resize_as_(self: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    """``resize_`` to the shape of ``the_template``."""
    return resize_(self, tuple(the_template._data.shape), memory_format=memory_format)


def resize(self: Tensor, *sizes: Any) -> Tensor:
    """Deprecated out-of-place resize: ``self`` reshaped (C order) to ``sizes``, which must
    hold the same number of elements."""
    import warnings

    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _resized(self, sizes)


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    """Deprecated out-of-place ``resize_as_``: ``self`` reshaped to ``tensor``'s shape."""
    import warnings

    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resized(self, tuple(tensor._data.shape))


def _resized(self: Tensor, sizes: tuple) -> Tensor:
    if len(sizes) == 1 and not _isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    shape = tuple(int(s) for s in sizes)
    n, have = math.prod(shape), self.numel()
    if n != have:
        dims = "x".join(str(d) for d in shape)
        cur = "x".join(str(d) for d in self._data.shape)
        raise RuntimeError(
            f"requested resize to {dims} ({n} elements in total), but the given tensor has a "
            f"size of {cur} ({have} elements). autograd's resize can only change the shape of a "
            f"given tensor, while preserving the number of elements. ")
    return self.reshape(shape)


def new_empty_strided(self: Tensor, size: Sequence[int], stride: Sequence[int], *,
                      dtype: Any = None, device: Any = None, requires_grad: bool = False,
                      **_: Any) -> Tensor:
    """A new tensor (values unset) with the given sizes and strides, and by default
    ``self``'s dtype and device."""
    from .creation import _filled
    from .shape_views import as_strided

    size, stride = tuple(int(v) for v in size), tuple(int(v) for v in stride)
    need = 0 if 0 in size else 1 + sum((n - 1) * st for n, st in zip(size, stride))
    buf = _filled(0, ((need,),), dtype if dtype is not None else self.dtype,
                  device if device is not None else self._device, False)
    out = as_strided(buf, size, stride, 0)
    out = make(out._data, out._device)  # its own tensor, not a view of the scratch buffer
    if requires_grad:
        out._new_requires_grad()
    return out


# ------------------------------------------------------------------ function forms
def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have the same shape."""
    return tuple(input._data.shape) == tuple(other._data.shape)


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is non-zero."""
    n = input.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if n == 0 else
                           "Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_signed(input: Tensor) -> bool:
    """Whether ``input``'s dtype is signed."""
    return input.is_signed()


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` was made in inference mode (never, for Ember tensors)."""
    return input.is_inference()


def detach(input: Tensor) -> Tensor:
    """``input.detach()``."""
    return input.detach()


def detach_(input: Tensor) -> Tensor:
    """``input.detach_()``."""
    return input.detach_()


def fill(input: Tensor, value: Any) -> Tensor:
    """A new tensor of ``input``'s shape and dtype filled with ``value`` (a number or a 0-d
    tensor, which receives the gradient)."""
    vt = _isinstance(value, Tensor)
    if vt and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    x = input._data
    xp = input._device._backend.xp
    v = value.item() if vt else value
    res = make(xp.full(x.shape, v, dtype=x.dtype), input._device)
    if grad_state.enabled and (input._rg or (vt and value._rg)):
        need_in, need_v = input._rg, vt and value._rg
        vdt = value.dtype if vt else None

        def vjp(g: Tensor) -> tuple:
            gv = g.sum() if need_v else None
            if gv is not None and gv.dtype is not vdt:
                gv = gv.to(vdt)
            return (g.new_zeros(g.shape) if need_in else None, gv)

        record("FillBackward1" if vt else "FillBackward0", res, (input, value), vjp)
    return res


def fill_(input: Tensor, value: Any) -> Tensor:
    """``input.fill_(value)``."""
    return input.fill_(value)


def zero_(input: Tensor) -> Tensor:
    """``input.zero_()``."""
    return input.zero_()


def neg_(input: Tensor) -> Tensor:
    """``input.neg_()``."""
    return input.neg_()


negative_ = neg_


def index_put_(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input.index_put_(indices, values, accumulate)``."""
    from .indexing import index_put_ as put

    return put(input, indices, values, accumulate)


def as_strided_(input: Tensor, size: Sequence[int], stride: Sequence[int],
                storage_offset: int | None = None) -> Tensor:
    """Make ``input`` the ``as_strided`` view of its own memory, in place."""
    from .shape import restride_
    from .shape_views import as_strided

    return restride_(input, as_strided(input, size, stride, storage_offset), "as_strided_")


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False, *,
                   out: Tensor | None = None) -> Tensor:
    """The 2-norm over at most two dims (all dims for ``()``)."""
    from .linalg_norms import vector_norm

    dims = (dim,) if _isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           f"instead.")
    if input.dtype.category < _dt._FLOAT:
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {_dtype_name(input.dtype)} instead.")
    return vector_norm(input, 2, dims if dims else None, keepdim, out=out)


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False, *,
                 out: Tensor | None = None) -> Tensor:
    """The nuclear norm (sum of singular values) over two dims (the last two by default);
    ``nuclear_norm(input, keepdim)`` also works."""
    from .linalg_norms import matrix_norm

    if _isinstance(dim, bool):
        dim, keepdim = None, dim
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, out=out)


def matrix_rank(input: Tensor, tol: Any = None, symmetric: bool = False, *,
                out: Tensor | None = None) -> Tensor:
    """Removed from PyTorch: raises, pointing to ``linalg.matrix_rank``."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed.\n"
        "Please use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' "
        "was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")


# ------------------------------------------------------------------ hash_tensor
def hash_tensor(input: Tensor, dim: Any = None, *, keepdim: bool = False,
                mode: int = 0) -> Tensor:
    """The xor of the elements' 64-bit patterns (each upcast to float64 or int64), over all
    of ``input`` or along ``dim``, as a uint64 tensor (PyTorch's only mode, 0)."""
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    x = input._data
    d = input.dtype
    if x.dtype.kind == "c" or d is _dt.uint64:
        raise NotImplementedError(f'"xor_sum_cpu" not implemented for \'{_dtype_name(d)}\'')
    nd = x.ndim
    if dim is None or (_isinstance(dim, (tuple, list)) and not dim):
        if x.size == 0:
            raise RuntimeError("hash_tensor: Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        axes = tuple(range(nd))
    else:
        axes = tuple(wrap_dim(a, nd) for a in (dim if _isinstance(dim, (tuple, list))
                                               else (dim,))) if nd else ()
        for a in axes:
            if x.shape[a] == 0:
                raise IndexError(f"hash_tensor: Expected reduction dim {a} to have non-zero "
                                 "size.")
    wide = input.detach().double() if d.is_floating_point else input.detach().long()
    xp = input._device._backend.xp
    r = xp.bitwise_xor.reduce(wide._data.view(np.uint64), axis=axes, keepdims=bool(keepdim))
    return make(xp.asarray(r), input._device)


def reinforce(self: Tensor, reward: Any) -> None:
    """Removed from PyTorch (the old stochastic-function API): raises, pointing to
    ``ember.distributions``."""
    raise RuntimeError(
        "reinforce() was removed.\nUse ember.distributions instead.\n"
        "See https://pytorch.org/docs/main/distributions.html\n\nInstead of:\n\n"
        "probs = policy_network(state)\naction = probs.multinomial()\n"
        "next_state, reward = env.step(action)\naction.reinforce(reward)\naction.backward()\n\n"
        "Use:\n\nprobs = policy_network(state)\n"
        "# NOTE: categorical is equivalent to what used to be called multinomial\n"
        "m = ember.distributions.Categorical(probs)\naction = m.sample()\n"
        "next_state, reward = env.step(action)\nloss = -m.log_prob(action) * reward\n"
        "loss.backward()\n")


reinforce.__qualname__ = "Tensor.reinforce"  # Python's own argument errors name it so

methods(reinforce=reinforce, hash_tensor=hash_tensor, split_with_sizes=split_with_sizes, unsafe_split_with_sizes=unsafe_split_with_sizes,
        unsafe_chunk=unsafe_chunk, unsafe_split=unsafe_split, sum_to_size=sum_to_size,
        fill_diagonal_=fill_diagonal_, apply_=apply_, map_=map_, map2_=map2_, new=new,
        resize_=resize_, resize_as_=resize_as_, as_strided_=as_strided_, resize=resize,
        resize_as=resize_as, new_empty_strided=new_empty_strided, is_same_size=is_same_size,
        is_nonzero=is_nonzero)
