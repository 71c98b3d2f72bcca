"""Private linear ops along one dim, shared by the reductions, scans and sorts.

Each is a recorded op whose derivative is its adjoint, itself one of these ops, so
gradients of any order flow through them: gather <-> scatter, flip <-> flip,
reverse cumsum <-> cumsum, first difference <-> its transpose, permute <-> inverse.
Index arguments are backend arrays (never differentiable).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as _np

from .. import dtypes as _dt
from ._cascade_sum import cascade_sum
from ._dispatch import (
    Tensor,
    astype,
    copy,
    grad_state,
    kind,
    make,
    permute_dims,
    quiet,
    record,
    reshape,
    wrap_dims,
)

_isinstance = isinstance


# ------------------------------------------------------------------ small helpers
def _densify(t: Any) -> None:
    """Give a fresh reduction result ``t`` C-order strides (size-1 dims included), in place."""
    x = t._data
    if x.ndim < 2:
        return
    want, acc = [], x.dtype.itemsize
    for n in reversed(x.shape):
        want.append(acc)
        acc *= n if n else 1
    if tuple(reversed(want)) != x.strides:
        t._data = t._device._backend.xp.array(x, order="C", copy=True)


class _DimOmitted:
    """The default ``dim`` of the reductions whose PyTorch overloads tell "no dim" from
    ``dim=None``: ``x.sum()`` is ``SumBackward0`` but ``x.sum(dim=None)`` ``SumBackward1``;
    ``x.max(None)`` and ``x.median(None)`` are TypeErrors. Reads as None."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"


OMITTED: Any = _DimOmitted()


def dense_result(fn: Any) -> Any:
    """Wrap reduction ``fn`` so a strided (e.g. channels_last) input gives a contiguous result,
    as PyTorch allocates reduction outputs; a C-ordered input pays one flag check."""
    @functools.wraps(fn)
    def wrapper(input: Any, *args: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None:
            return _dense_outs(fn, input, out, args, kwargs)
        res = fn(input, *args, **kwargs)
        if res.__class__ is Tensor and res._data.ndim < 2:  # nothing to lay out
            return res
        x = getattr(input, "_data", None)
        flags = getattr(x, "flags", None)
        if flags is None or flags.c_contiguous or not input._device._backend.numpy_like:
            return res
        for t in (res if _isinstance(res, tuple) else (res,)):
            if _isinstance(t, Tensor) and t._data is not x:
                _densify(t)
        return res

    return wrapper


def _dense_outs(fn: Any, input: Any, out: Any, args: tuple, kwargs: dict) -> Any:
    """``fn`` with ``out=``: the outs it resized (given a new array) come back C-ordered, as
    PyTorch resizes them; an out of the right shape keeps its own strides."""
    outs = tuple(out) if _isinstance(out, (tuple, list)) else (out,)
    before = [getattr(o, "_data", None) for o in outs]
    res = fn(input, *args, **kwargs)
    for o, b in zip(outs, before):
        if _isinstance(o, Tensor) and o._data is not b and \
                getattr(o._data, "flags", None) is not None and not o._data.flags.c_contiguous:
            _densify(o)
    return res


def wrap(r: Any, like: Tensor) -> Tensor:
    """A result array as a tensor on ``like``'s device (NumPy scalars made arrays again)."""
    be = like._device._backend
    if r.__class__ is not be.ndarray:
        r = be.xp.asarray(r)
    return make(r, like._device)


def reduce_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None, (), int or sequence) as a sorted tuple; None and () mean every dim."""
    if dim is None or (_isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = tuple(sorted(wrap_dims(dim, ndim, op)))
    return dims if ndim else ()  # a 0-d tensor reduces over dim 0 / -1 as over nothing


def kept_shape(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` set to 1 (the keepdim=True shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def reduced_shape(shape: tuple, d: int, keepdim: bool) -> tuple:
    """The shape after reducing dim ``d`` (of a 0-d tensor: still 0-d)."""
    if not shape:
        return ()
    return kept_shape(shape, (d,)) if keepdim else shape[:d] + shape[d + 1:]


_SMALL = 1 << 16  # below this many elements a filled copy is cheaper than a broadcast view


def expand_back(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced tensor (or gradient) back to the input's ``shape``."""
    if not grad_state.enabled:  # a plain backward: no graph, so fill an array directly
        arr = g._data
        xp = g._device._backend.xp
        if arr.ndim != len(shape) and arr.ndim:  # (a 0-d gradient broadcasts as it is)
            arr = reshape(xp, arr, kept_shape(shape, dims))
        n = 1
        for s in shape:
            n *= s
        if n <= _SMALL and g._device._backend.numpy_like:
            out = xp.empty(shape, dtype=arr.dtype)
            out[...] = arr
        else:
            out = xp.broadcast_to(arr, shape)
        return make(out, g._device)
    if g._data.ndim != len(shape):  # keepdim=False dropped the reduced dims
        g = g.reshape(kept_shape(shape, dims))
    return g.expand(shape)


def is_float(npd: Any) -> bool:
    """Floating and complex dtypes (of any namespace), bfloat16 (ml_dtypes' kind 'V') included."""
    try:
        return npd.kind in "fc" or npd.name == "bfloat16"
    except AttributeError:  # an Array-API namespace's own dtype objects
        return _dt.from_foreign_dtype(npd).category >= _dt._FLOAT


def is_half(npd: Any) -> bool:
    """float16 and bfloat16: PyTorch accumulates their sums in float32."""
    try:
        return npd.itemsize == 2 and is_float(npd)
    except AttributeError:  # the Array API has no half-precision dtypes
        return False


_WIDE = {"float32": "float64", "complex64": "complex128"}


def strided_acc(x: Any, dims: tuple) -> Any:
    """The dtype to add ``x`` in over ``dims``: float64 (complex128) for a float32 (complex64)
    NumPy array reduced over more than 128 elements along strided axes only, which NumPy
    adds in sequence (its pairwise sum runs along the contiguous axis alone) where PyTorch's
    cascade stays accurate; None (its own dtype) otherwise."""
    wide = _WIDE.get(x.dtype.name)
    if wide is None or x.ndim < 2 or x.__class__ is not _np.ndarray:
        return None
    n = 1
    strides, item = x.strides, x.itemsize
    for d in dims:
        if strides[d] == item or strides[d] == -item:
            return None
        n *= x.shape[d]
    return wide if n > 128 else None


def mean_array(xp: Any, x: Any, dims: tuple, keepdims: bool, torch_order: bool = True) -> Any:
    """The mean over ``dims`` as sum / count (NumPy's ``mean`` warns on empty slices from its
    own module, where Ember's warning filter can't reach; half precision sums in float32);
    the sum in PyTorch's order where followed, unless ``torch_order`` is False (a mean inside
    another computation that does not keep PyTorch's order anyway: NumPy's sum is quicker)."""
    n = 1
    for d in dims:
        n *= x.shape[d]
    half = is_half(x.dtype)
    s = None if half or not n or not torch_order else cascade_sum(x, dims, keepdims)
    if s is None:
        acc = xp.float32 if half else strided_acc(x, dims)
        s = quiet(lambda: xp.sum(x, axis=dims, keepdims=keepdims, dtype=acc))
    if getattr(s, "dtype", x.dtype).kind == "c":  # complex inf / n: NaN parts, no warning
        r = quiet(lambda: xp.asarray(s / n if n else s * float("nan")))
    else:
        r = xp.asarray(s / n if n else s * float("nan"))
    return astype(xp, r, x.dtype) if r.dtype != x.dtype else r


def evenly(g: Tensor, x: Tensor, value: Tensor) -> Tensor:
    """Gradient of a full max/min/median: shared evenly among the elements equal to it."""
    xp = x._device._backend.xp
    xa, v = x._data, value._data
    mask = xp.isnan(xa) if is_float(xa.dtype) and bool(xp.isnan(v)) else xa == v
    # PyTorch fills zeros at the mask (not a product: an inf/NaN gradient stays off the rest)
    share = g / int(xp.count_nonzero(mask))
    return make(xp.zeros(xa.shape, share._data.dtype), x._device).masked_fill(
        make(mask, x._device), share)


def mask_of(arr: Any, like: Tensor) -> Tensor:
    """A boolean array as a 0/1 tensor of ``like``'s dtype (a constant)."""
    return make(astype(like._device._backend.xp, arr, like._data.dtype), like._device)


def cast_grad(g: Tensor, dtype: Any) -> Tensor:
    """A gradient computed in another dtype (``dtype=`` arguments), cast back."""
    return g if g._data.dtype == dtype else g.to(_dt.from_native_dtype(dtype))


def cast_for_dtype(be: Any, x: Any, dtype: Any) -> Any:
    """``x`` cast for a reduction's ``dtype=`` argument as PyTorch casts it: silently (complex
    to real keeps the real part, NaN to an integer type raises no NumPy warning)."""
    dt = _dt.to_dtype(dtype)
    if x.dtype.kind == "c" and not dt.is_complex:
        x = be.xp.real(x)
    if x.dtype.kind in "fV" and dt.category <= _dt._INT:
        return quiet(be.astype, x, dt)
    return be.astype(x, dt)


def empty_dim_error(op: str, dim: int | None) -> IndexError:
    if dim is None:
        return IndexError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    return IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")


# ------------------------------------------------------------------ index arithmetic
def linear_index(xp: Any, shape: tuple, dim: int, idx: Any) -> Any:
    """Flat positions in a C-ordered array of ``shape`` of ``idx`` taken along ``dim``."""
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    lin = astype(xp, idx, xp.int64) * strides[dim]
    for k, n in enumerate(idx.shape):
        if k != dim and strides[k] and n > 1:
            view = [1] * idx.ndim
            view[k] = n
            lin = lin + reshape(xp, xp.arange(n, dtype=xp.int64), tuple(view)) * strides[k]
    return lin


def scatter_array(xp: Any, shape: tuple, dim: int, idx: Any, src: Any, accumulate: bool) -> Any:
    """Zeros of ``shape`` with ``src`` written (or summed) at ``idx`` along ``dim``."""
    out = xp.zeros(shape, dtype=src.dtype)
    if src.size == 0:
        return out
    if not hasattr(out, "reshape"):  # an Array-API namespace: no integer-array assignment
        from ._index_portable import array_api_at

        flat = xp.reshape(out, (-1,))
        array_api_at("add" if accumulate else "assign", flat,
                     xp.reshape(linear_index(xp, shape, dim, idx), (-1,)), xp.reshape(src, (-1,)))
        return xp.reshape(flat, shape)
    lin = linear_index(xp, shape, dim, idx).reshape(-1)
    flat = out.reshape(-1)
    src = src.reshape(-1)
    if not accumulate:
        flat[lin] = src
        return out
    n = flat.shape[0]
    if kind(src) == "c":
        re = xp.bincount(lin, weights=src.real.astype("float64"), minlength=n)
        im = xp.bincount(lin, weights=src.imag.astype("float64"), minlength=n)
        return (re + 1j * im).astype(src.dtype).reshape(shape)
    return xp.bincount(lin, weights=src.astype("float64"), minlength=n).astype(
        src.dtype).reshape(shape)


# ------------------------------------------------------------------ differentiable linear ops
def gather(x: Tensor, dim: int, idx: Any, unique: bool = True) -> Tensor:
    """``x`` taken at the positions ``idx`` (an int array) along ``dim``."""
    xp = x._device._backend.xp
    res = make(xp.take_along_axis(x._data, idx, axis=dim), x._device)
    if grad_state.enabled and x._rg:
        shape = x._data.shape
        record("GatherBackward0", res, (x,),
               lambda g: (scatter(g, dim, idx, shape, accumulate=not unique),))
    return res


def scatter(g: Tensor, dim: int, idx: Any, shape: tuple, accumulate: bool = False) -> Tensor:
    """Zeros of ``shape`` holding ``g`` at ``idx`` along ``dim`` (summed if ``accumulate``)."""
    xp = g._device._backend.xp
    res = make(scatter_array(xp, shape, dim, idx, g._data, accumulate), g._device)
    if grad_state.enabled and g._rg:
        record("ScatterAddBackward0" if accumulate else "ScatterBackward0", res, (g,),
               lambda gg: (gather(gg, dim, idx, unique=not accumulate),))
    return res


def select_along(input: Tensor, idx: Any, d: int, name: str, shape_out: tuple) -> tuple:
    """``(values, indices)`` of ``input`` (as 1-d when 0-d) at ``idx`` along ``d``, reshaped to
    ``shape_out``; the gradient goes back to those positions (node ``name``)."""
    x = input._data
    xp = input._device._backend.xp
    x0 = x if x.ndim else reshape(xp, x, (1,))
    values = wrap(reshape(xp, xp.take_along_axis(x0, idx, axis=d), shape_out), input)
    indices = wrap(reshape(xp, astype(xp, idx, xp.int64), shape_out), input)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor) -> tuple:
            gi = scatter(g.reshape(idx.shape), d, idx, x0.shape)
            return (gi.reshape(x.shape),)

        record(name, values, (input,), vjp)
    return values, indices


def flip(x: Tensor, dim: int) -> Tensor:
    """``x`` reversed along ``dim`` (a copy)."""
    xp = x._device._backend.xp
    res = make(copy(xp, xp.flip(x._data, axis=dim)), x._device)
    if grad_state.enabled and x._rg:
        record("FlipBackward0", res, (x,), lambda g: (flip(g, dim),))
    return res


def _cumsum_arr(xp: Any, x: Any, dim: int, reverse: bool) -> Any:
    cumsum = getattr(xp, "cumsum", None) or xp.cumulative_sum  # NumPy < 2.1 lacks the latter
    if reverse:
        return xp.flip(quiet(lambda: cumsum(xp.flip(x, axis=dim), axis=dim)), axis=dim)
    return quiet(lambda: cumsum(x, axis=dim, dtype=x.dtype))


def cumsum_along(x: Tensor, dim: int, reverse: bool = False) -> Tensor:
    """Running sum along ``dim`` (from the end when ``reverse``); adjoints of each other."""
    xp = x._device._backend.xp
    r = _cumsum_arr(xp, x._data, dim, reverse)
    if r.dtype != x._data.dtype:
        r = astype(xp, r, x._data.dtype)
    if r.dtype.kind in "fc" and r is not x._data:
        xp.add(r, 0, out=r)  # PyTorch's sums start from +0: a leading -0.0 becomes 0.0
    res = make(r, x._device)
    if grad_state.enabled and x._rg:
        record("CumsumBackward0", res, (x,), lambda g: (cumsum_along(g, dim, not reverse),))
    return res


def diff1(x: Tensor, dim: int, transpose: bool = False) -> Tensor:
    """First difference ``x[i+1] - x[i]`` along ``dim``, or its transpose (adjoint)."""
    xp = x._device._backend.xp
    a = x._data
    if transpose:
        left, right = [(0, 0)] * a.ndim, [(0, 0)] * a.ndim
        left[dim], right[dim] = (1, 0), (0, 1)
        # the two slices' gradients, g and -g, zero-padded and summed as PyTorch's are: the
        # signs of zeros come out the same
        r = xp.pad(a, left) + xp.pad(-a, right)
    else:
        r = xp.diff(a, axis=dim)
    res = make(r, x._device)
    if grad_state.enabled and x._rg:
        record("SubBackward0", res, (x,), lambda g: (diff1(g, dim, not transpose),))
    return res


def permute(x: Tensor, perm: tuple) -> Tensor:
    """``x`` with its dims reordered (a copy-free view of the array, no aliasing tracked)."""
    if perm == tuple(range(len(perm))):
        return x
    xp = x._device._backend.xp
    res = make(permute_dims(xp, x._data, perm), x._device)
    if grad_state.enabled and x._rg:
        inv = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        record("PermuteBackward0", res, (x,), lambda g: (permute(g, inv),))
    return res


def moved_last(ndim: int, dim: int) -> tuple[tuple, tuple]:
    """The permutation that moves ``dim`` last, and its inverse."""
    perm = tuple(i for i in range(ndim) if i != dim) + (dim,)
    inv = tuple(sorted(range(ndim), key=perm.__getitem__))
    return perm, inv


# ------------------------------------------------------------------ scans on arrays
def scan(xp: Any, x: Any, dim: int, ufunc: str) -> Any:
    """Inclusive scan of a binary ufunc along ``dim`` (``accumulate`` where the backend has it,
    else a log-depth Hillis-Steele scan of whole-array steps)."""
    f = getattr(xp, ufunc)
    acc = getattr(f, "accumulate", None)
    if acc is not None:
        try:
            return quiet(lambda: acc(x, axis=dim))
        except (TypeError, NotImplementedError, ValueError, AttributeError):
            pass
    n = x.shape[dim]
    out = copy(xp, x)
    step = 1
    while step < n:
        hi = [slice(None)] * x.ndim
        lo = [slice(None)] * x.ndim
        hi[dim] = slice(step, None)
        lo[dim] = slice(None, n - step)
        upd = f(out[tuple(hi)], out[tuple(lo)])
        out[tuple(hi)] = upd
        step *= 2
    return out
