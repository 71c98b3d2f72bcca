"""Tensor indexing: ``__getitem__``, ``__setitem__`` and ``index_put`` with PyTorch's rules.

An index is applied in two steps, as PyTorch does: first the basic part (ints
select, slices, ``None`` and Python bools unsqueeze, ``...``), which is a view;
then, if any, the advanced part (integer and boolean tensors) on that view,
which makes a copy and places the advanced dims by NumPy's rules. A prepared
index is a pair ``(basic_key, advanced_key_or_None)`` of backend index tuples.
The family continues in ``indexing_scatter`` (gather, scatter, index_*,
masked_*, take, put) and ``indexing_search`` (nonzero, searchsorted, bincount,
histc).
"""

from __future__ import annotations

import array
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import laid_like
from . import _inplace
from ._dispatch import (
    CPU,
    Tensor,
    grad_state,
    kind,
    make,
    methods,
    record,
    refuse_shell_uint,
    renamed,
    sum_to,
)
from ._index_layout import torch_layout, unsqueezed_view
from .shape import make_view, view_grad

__all__ = ["index_put"]

_isinstance = isinstance
_BASIC_NAMES = {int: "SelectBackward0", slice: "SliceBackward0", type(None): "UnsqueezeBackward0"}


# ------------------------------------------------------------------ preparing an index
def _seq_as_tuple(key: list) -> int:
    """NumPy's (and PyTorch's) legacy rule: a short list holding sequences, slices, None or
    Ellipsis indexes like a tuple. Nonzero when it does: the line of PyTorch's warning, which
    differs as the first such item is a sequence or slice (356) or None or Ellipsis (366)."""
    if len(key) >= 32:
        return 0
    for k in key:
        if _isinstance(k, (Tensor, list, tuple, slice, np.ndarray)):
            return 356
        if k is None or k is Ellipsis:
            return 366
    return 0


def _is_sequence(k: Any) -> bool:
    """Other Python sequences (``deque``, ``array.array``) index like lists, as in PyTorch."""
    return _isinstance(k, (Sequence, array.array)) and not _isinstance(k, (str, bytes))


def _index_array(t: Tensor, x: Tensor) -> Any:
    """A tensor used as an index, as an array on ``x``'s device (bool or int64)."""
    a = t._data
    k = kind(a)
    if k == "u" and t.dtype is _dt.uint8:
        _uint8_warning(4)
        a = t._device._backend.astype(a, _dt.bool)
    elif k != "b" and (k != "i" or a.itemsize < 4):  # int8/int16/uint16+: PyTorch refuses
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if t._device is not x._device:
        if t._device is CPU:
            a = x._device._backend.asarray(a, index=x._device.index)
        else:
            a = x._device._backend.asarray(t._device._backend.to_numpy(a), index=x._device.index)
    return a


def _uint8_warning(stacklevel: int) -> None:
    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                  "torch.bool instead. (Triggered internally at /__w/pytorch/pytorch/aten/src/"
                  "ATen/native/IndexingUtils.h:37.)", UserWarning, stacklevel=stacklevel + 1)


def _list_array(k: Any, x: Tensor) -> Any:
    a = np.asarray(k)
    if a.size == 0:
        a = a.astype(np.int64)
    elif kind(a) not in "biu":
        a = _odd_list_index(a)
    if kind(a) == "u":
        a = a.astype(np.int64)
    return a if x._device is CPU else x._device._backend.asarray(a, index=x._device.index)


def _odd_list_index(a: Any) -> Any:
    """A list of floats indexes as int64 (PyTorch builds a LongTensor from it, truncating);
    one of strings is a TypeError, anything else PyTorch's IndexError."""
    if a.dtype.kind == "f":
        return a.astype(np.int64)
    if a.dtype.kind in "US":
        name = "str" if a.dtype.kind == "U" else "bytes"
        raise TypeError(f"new(): invalid data type '{name}'")
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _slice_item(k: slice) -> slice:
    start, stop, step = k.start, k.stop, k.step
    if start is not None and start.__class__ is not int:
        start = operator.index(start)
    if stop is not None and stop.__class__ is not int:
        stop = operator.index(stop)
    if step is not None:
        if step.__class__ is not int:
            step = operator.index(step)
        if step <= 0:
            raise ValueError("step must be greater than zero" if step else
                             "slice step cannot be zero")
        return slice(start, stop, step)
    return k if start is k.start and stop is k.stop else slice(start, stop)


def prepare(x: Tensor, key: Any) -> tuple[tuple, Any, str]:
    """``(basic_key, advanced_key or None, name of the basic view's node)`` for ``x[key]``."""
    kc = key.__class__
    if kc is tuple:
        items = key
    elif kc is list and (line := _seq_as_tuple(key)):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
            "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
            "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
            "in an error or a different result (Triggered internally at /__w/pytorch/pytorch/"
            f"torch/csrc/autograd/python_variable_indexing.cpp:{line}.)", UserWarning,
            stacklevel=3)
        items = tuple(key)
    else:
        items = (key,)
    basic: list = []
    adv: list = []  # the advanced key, aligned with the dims of the basic view
    has_adv = False
    ellipsis = False
    name = "AliasBackward0"
    for k in items:
        c = k.__class__
        if c is int:
            basic.append(k)
            name = "SelectBackward0"
        elif c is slice:
            basic.append(_slice_item(k))
            adv.append(slice(None))
            name = "SliceBackward0"
        elif k is None:
            basic.append(None)
            adv.append(slice(None))
            name = "UnsqueezeBackward0"
        elif k is Ellipsis:
            if ellipsis:  # PyTorch: a later ellipsis stands for no dims (NumPy refuses it)
                continue
            ellipsis = True
            basic.append(Ellipsis)
            adv.append(Ellipsis)
        elif c is bool:  # unsqueeze, then index the new dim with [0] or []
            basic.append(None)
            adv.append(_bool_index(k, x))
            has_adv = True
        elif _isinstance(k, Tensor):
            a = k._data
            if a.ndim == 0 and kind(a) in "iu" and k.dtype is not _dt.uint8:
                basic.append(int(k.item()))
                name = "SelectBackward0"
            elif a.ndim == 0 and kind(a) in "bu":  # (a 0-d uint8 is a deprecated mask)
                if kind(a) == "u":
                    _uint8_warning(3)
                basic.append(None)
                adv.append(_bool_index(bool(k.item()), x))
                has_adv = True
            else:
                a = _index_array(k, x)
                has_adv = True
                _advanced_item(a, basic, adv)
        elif _isinstance(k, (list, tuple, np.ndarray, range)) or _is_sequence(k):
            a = _list_array(k, x)
            has_adv = True
            if a.ndim == 0 and kind(a) == "b":
                basic.append(None)
                adv.append(_bool_index(bool(a), x))
            else:
                _advanced_item(a, basic, adv)
        elif hasattr(k, "__index__") and not _isinstance(k, (float, complex)):
            basic.append(operator.index(k))
            name = "SelectBackward0"
        elif c is str or c is bytes:
            raise TypeError(f"new(): invalid data type '{c.__name__}'")
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(k).__name__})")
    if not ellipsis:
        basic.append(Ellipsis)
        adv.append(Ellipsis)
    elif has_adv and _empty_ellipsis(x._data.ndim, basic, adv):
        # PyTorch: a ``...`` that spans no dims does not separate the advanced indices around
        # it (``x[:, [0], ..., [1]]`` of a 3-d x keeps them in place); NumPy's would
        adv = [a for a in adv if a is not Ellipsis]
    if has_adv and any(a.__class__ is not slice and a is not Ellipsis and not a.size for a in adv):
        _refuse_empty_mask(x._data, tuple(basic), tuple(adv))
    return tuple(basic), (tuple(adv) if has_adv else None), name


def _refuse_empty_mask(x: Any, basic: tuple, adv: tuple) -> None:
    """PyTorch's error for an empty mask whose shape does not fit (NumPy selects nothing)."""
    try:
        v = x[basic]
    except IndexError:
        return  # reported with the user's key later
    err = _advanced_error(v, adv)
    if str(err).startswith("The shape of the mask"):
        raise err


def _empty_ellipsis(ndim: int, basic: list, adv: list) -> bool:
    """Whether the ``...`` of an index spans no dims of the basic view."""
    vnd = ndim + sum(1 for b in basic if b is None) - sum(1 for b in basic if b.__class__ is int)
    covered = sum(0 if a is Ellipsis else a.ndim if hasattr(a, "dtype") and kind(a) == "b"
                  else 1 for a in adv)
    return vnd == covered


def _bool_index(b: bool, x: Tensor) -> Any:
    xp = x._device._backend.xp
    return xp.zeros(1 if b else 0, dtype=xp.int64)


def _advanced_item(a: Any, basic: list, adv: list) -> None:
    n = a.ndim if kind(a) == "b" else 1  # a mask covers as many dims as it has
    basic.extend([slice(None)] * n)
    adv.append(a)


def _basic_view(x: Any, basic: tuple, t: Tensor, key: Any) -> Any:
    try:
        return x[basic]
    except IndexError:
        raise _index_error(t, key) from None


def _index_error(t: Tensor, key: Any) -> IndexError:
    """PyTorch's message for an index that does not fit ``t`` (built on the error path)."""
    shape = list(t._data.shape)
    if not shape and key.__class__ is slice:
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    if not shape and key.__class__ is int:  # (``x[i] = v``; reading ``x[i]`` refuses sooner)
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                          "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
                          if key == 0 else
                          f"index {key} is out of bounds for dimension 0 with size 0")
    items = key if _isinstance(key, tuple) or (_isinstance(key, list) and _seq_as_tuple(key)) \
        else (key,)
    nd = len(shape)
    used = 0
    for k in items:
        if k is None or k is Ellipsis or _isinstance(k, bool):
            continue
        if _isinstance(k, Tensor) and kind(k._data) == "b":
            used += max(k._data.ndim, 0)
        elif _isinstance(k, np.ndarray) and kind(k) == "b":
            used += k.ndim
        else:
            used += 1
    if used > nd:
        return IndexError(f"too many indices for tensor of dimension {nd}")
    # the first int out of range, named as PyTorch does by its position in the key (each
    # item, ``...`` and ``None`` included, counts one)
    dim = pos = 0
    for k in items:
        if k is Ellipsis:
            dim += nd - used
        elif k is None or _isinstance(k, bool):
            pass
        elif _isinstance(k, Tensor) and kind(k._data) == "b":
            dim += k._data.ndim
        else:
            if _isinstance(k, int) or (_isinstance(k, Tensor) and k._data.ndim == 0
                                       and kind(k._data) in "iu"):
                i = int(k)
                if not -shape[dim] <= i < shape[dim]:
                    return IndexError(f"index {i} is out of bounds for dimension {pos} with "
                                      f"size {shape[dim]}")
            dim += 1
        pos += 1
    return IndexError(f"index out of range for tensor of size {shape}")


def _advanced_error(v: Any, adv: tuple) -> Exception:
    """PyTorch's message for an advanced index that does not fit the basic view ``v``: a mask
    of the wrong shape, then index tensors that do not broadcast (a mask counts as one
    ``[nonzero count]`` index per dim it covers), then an index out of range."""
    nd = v.ndim
    covered = sum((a.ndim if kind(a) == "b" else 1) if hasattr(a, "dtype") else
                  (0 if a is Ellipsis else 1) for a in adv)
    dim = 0
    shapes = []
    for a in adv:
        if a is Ellipsis:
            dim += nd - covered
            continue
        if not hasattr(a, "dtype"):
            dim += 1
            continue
        if kind(a) == "b":
            for j in range(a.ndim):
                if dim + j >= nd or a.shape[j] != v.shape[dim + j]:
                    return IndexError(
                        f"The shape of the mask {list(a.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(v.shape)} at index {dim + j}")
            shapes.extend([(int(np.count_nonzero(np.asarray(a))),)] * a.ndim)
            dim += a.ndim
            continue
        shapes.append(tuple(a.shape))
        dim += 1
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return IndexError("shape mismatch: indexing tensors could not be broadcast together "
                          "with shapes " + ", ".join(str(list(sh)) for sh in shapes))
    dim = rank = 0
    for a in adv:
        if a is Ellipsis:
            dim += nd - covered
            continue
        if not hasattr(a, "dtype"):
            dim += 1
            continue
        if kind(a) == "b":
            dim += a.ndim
            rank += a.ndim
            continue
        if dim >= nd:
            return IndexError(f"too many indices for tensor of dimension {nd}")
        n = v.shape[dim]
        if a.size:
            bad = a[(a < -n) | (a >= n)]
            if bad.size:
                if n == 0:
                    return IndexError("index is out of bounds for dimension with size 0")
                return IndexError(f"index {int(bad.reshape(-1)[0])} is out of bounds for "
                                  f"dimension {rank} with size {n}")
        dim += 1
        rank += 1
    return IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                      "shapes " + ", ".join(str(list(a.shape)) for a in adv if hasattr(a, "shape")))


def _empty_result(v: Any, adv: tuple) -> Any:
    """``v[adv]`` when it selects no elements, or None: PyTorch checks an index's range only
    for the elements it reads, so ``x[:0, [7]]`` is empty, not an error."""
    if not v.size:
        fixed = []
        for a in adv:
            if hasattr(a, "dtype") and kind(a) != "b":
                a = a * 0  # in range of every non-empty dim
            fixed.append(a)
        try:
            r = _advanced_get(v, tuple(fixed))
        except (IndexError, ValueError):
            return None
        if not r.size:
            return r
    return None


# ------------------------------------------------------------------ reading
def get_key(x: Any, pk: tuple) -> Any:
    """The array ``x[pk]`` for a prepared index (a view when there is no advanced part)."""
    v = x[pk[0]]
    if pk[1] is None:
        return v
    try:
        return _advanced_get(v, pk[1])
    except IndexError:
        r = _empty_result(v, pk[1])
        if r is not None:
            return r
        raise _advanced_error(v, pk[1]) from None


def _advanced_get(v: Any, adv: tuple) -> Any:
    if not hasattr(v, "reshape"):
        from ._index_portable import array_api_getitem  # the Array API's indexing is narrower

        return array_api_getitem(v, adv)
    return v[adv]


def getitem_key(input: Tensor, pk: tuple, name: str = "SliceBackward0",
                arr: Any = None, key: Any = None) -> Tensor:
    """``input[pk]`` for a prepared index (``arr``: the result array, if already computed),
    with its graph node (which saves the index tensors of ``key``, the user's index)."""
    x = input._data
    if pk[1] is None:
        shape = x.shape
        replay = lambda t: getitem_key(t, pk, name)
        if arr is None:
            arr = x[pk[0]]
        if None in pk[0]:
            arr = _unsqueezed(x, pk[0], arr)
        out = make_view(input, arr, replay)
        if grad_state.enabled and input._rg:
            if key.__class__ is tuple or key.__class__ is list:
                name = _applied_name(pk[0], shape)  # (``replay`` reads it too)
            record(name, out, (input,), lambda g: (view_grad(
                g, shape, replay, _double_name(pk[0], shape) if grad_state.enabled else None),))
        return out
    out = make(get_key(x, pk) if arr is None else arr, input._device)
    if grad_state.enabled and input._rg:
        shape, dtype = x.shape, x.dtype

        def vjp(g: Tensor, *_indices: Tensor) -> tuple:
            z = make(g._device._backend.xp.zeros(shape, dtype=dtype), g._device)
            # PyTorch's index_backward is an _index_put_impl_: its node under create_graph
            return (renamed(put_key(z, pk, g, accumulate=True), "IndexPutImplBackward0"),)

        record("IndexBackward0", out, (input,), vjp, key_tensors(key))
    return out


def _applied_name(basic: tuple, shape: tuple) -> str:
    """PyTorch's node for ``x[key]``, a tuple ``key`` of basic items: that of the last step it
    applies (a slice from 0 with step 1 to at least the dim's end is skipped; none applied:
    an alias). A lone slice, not in a tuple, is always applied."""
    name = "AliasBackward0"
    dim, used = 0, sum(k is not None and k is not Ellipsis for k in basic)
    for k in basic:
        if k is Ellipsis:
            dim = len(shape) - used + dim  # the dims the items after it index
        elif k is None:
            name = "UnsqueezeBackward0"
        elif k.__class__ is slice:
            if (k.start or 0) != 0 or (k.step or 1) != 1 or (
                    k.stop is not None and k.stop < shape[dim]):
                name = "SliceBackward0"
            dim += 1
        else:
            name = "SelectBackward0"
            dim += 1
    return name


def _double_name(basic: tuple, shape: tuple) -> str | None:
    """PyTorch's node for the gradient of ``x[basic]`` under create_graph: the backward of
    the key's first step that is not a no-op (None: keep the write's CopySlices)."""
    front, back = 0, sum(k is not None and k is not Ellipsis for k in basic)
    for k in basic:
        if k is Ellipsis:
            front = len(shape) - back
            continue
        if k is None:  # unsqueeze, whose backward is a squeeze
            return "SqueezeBackward1"
        dim = front
        front += 1
        back -= 1
        if not isinstance(k, slice):
            return "SelectBackwardBackward0"
        if k.indices(shape[dim]) != (0, shape[dim], 1):
            return "SliceBackwardBackward0"
    return "SliceBackwardBackward0" if any(isinstance(k, slice) for k in basic) else None


def _unsqueezed(x: Any, basic: tuple, arr: Any) -> Any:
    """``arr = x[basic]`` with PyTorch's strides for the dims that ``None`` adds (NumPy gives
    0; PyTorch the next dim's size times stride, which a reshape also gives)."""
    v = x[tuple(k for k in basic if k is not None)]
    return v.reshape(arr.shape) if hasattr(v, "reshape") else \
        v.__array_namespace__().reshape(v, arr.shape)


def _getitem(self: Tensor, key: Any) -> Tensor:
    if key.__class__ is int:  # the common x[i]
        x = self._data
        if x.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        n = x.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        return getitem_key(self, ((key, Ellipsis), None), "SelectBackward0")
    kc = key.__class__
    if kc is tuple or kc is slice or key is None or key is Ellipsis:  # fast path: basic only
        items = key if kc is tuple else (key,)
        name, ell = "AliasBackward0", False
        for k in items:
            c = k.__class__
            if c is int:
                name = "SelectBackward0"
            elif c is slice:
                st = k.step
                if (st is not None and (st.__class__ is not int or st <= 0)) or not (
                        k.start is None or k.start.__class__ is int) or not (
                        k.stop is None or k.stop.__class__ is int):
                    break
                name = "SliceBackward0"
            elif k is None:
                name = "UnsqueezeBackward0"
            elif k is Ellipsis and not ell:
                ell = True
            else:
                break
        else:
            basic = items if ell else items + (Ellipsis,)
            return getitem_key(self, (basic, None), name, _basic_view(self._data, basic, self,
                                                                      key), key)
    basic, adv, name = prepare(self, key)
    v = _basic_view(self._data, basic, self, key)
    if adv is None:
        return getitem_key(self, (basic, None), name, v, key)
    try:
        r = _advanced_get(v, adv)
    except IndexError:
        r = _empty_result(v, adv)
        if r is None:
            raise _advanced_error(v, adv) from None
    lv = unsqueezed_view(self._data, basic, v) if None in basic else v  # (PyTorch's strides)
    return getitem_key(self, (basic, adv), name, torch_layout(lv, adv, r), key)


def key_tensors(key: Any) -> tuple:
    """The index tensors of a user's advanced index, which PyTorch's node saves (a mask or
    index changed in place before backward is then refused); a 0-d integer tensor is an int."""
    items = key if key.__class__ is tuple or key.__class__ is list else (key,)
    return tuple(k for k in items if _isinstance(k, Tensor) and (
        k._data.ndim or k._data.dtype == bool))


# ------------------------------------------------------------------ writing
def _mask_fill_value(value: Tensor, x: Tensor) -> Any:
    """A one-element tensor assigned through a mask, as the number PyTorch's masked fill takes:
    refused where out of range for ``x``'s dtype (or complex into a real tensor)."""
    from .creation import _overflow, fill_value_for

    v = value.item()
    if _isinstance(v, complex) and kind(x._data) not in "cb":
        if v.imag:
            raise _overflow(x.dtype)
        v = v.real
    return fill_value_for(v, x.dtype)


def _value_array(value: Any, x: Tensor) -> Any:
    """The array of an assigned value in ``x``'s dtype, on ``x``'s device."""
    if _isinstance(value, Tensor):
        v = value._data
        if value._device is not x._device:
            v = x._device._backend.asarray(value._host(), index=x._device.index)
        if v.dtype == x._data.dtype:
            return v
        if v.dtype.kind == "c" and kind(x._data) not in "cb":  # (into bool: nonzero-ness)
            # PyTorch's copy: the real part, and a warning once per process
            from .conversion import _warn_discard_imag

            _warn_discard_imag()
            v = x._device._backend.xp.real(v)
        return x._device._backend.astype(v, x.dtype)
    # NumPy scalars: PyTorch takes integers, float64 and complex128 (Python's float and
    # complex), no other
    if _isinstance(value, (bool, int, float, complex, np.integer)):
        be = x._device._backend
        if _isinstance(value, complex) and kind(x._data) != "c":
            if value.imag and kind(x._data) != "b":
                from .creation import _C_NAMES

                name = "double" if x.dtype.name in ("float16", "bfloat16") else \
                    _C_NAMES[x.dtype.name]
                raise RuntimeError(f"value cannot be converted to type {name} without overflow")
            value = bool(value) if kind(x._data) == "b" else value.real  # bool: nonzero-ness
        if _isinstance(value, np.generic):
            value = value.item()
        from .creation import fill_value_for

        try:
            return be.astype(be.xp.asarray(fill_value_for(value, x.dtype, True)), x.dtype)
        except (OverflowError, RuntimeError):
            if _isinstance(value, int) and not -2**63 <= value < 2**63:
                # PyTorch's argument parser reads a Python int as int64 first
                raise ValueError("Overflow when unpacking long long") from None
            raise
    cls = type(value)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
    raise TypeError(f"can't assign a {name} to a {x.type()}")


def _broadcast_error(target: tuple, value: Any, advanced: bool) -> RuntimeError:
    vshape = tuple(getattr(value, "shape", ()))
    if advanced:
        return RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                            f"broadcast to indexing result of shape {list(target)}")
    vs = list(vshape)
    while len(vs) > len(target) and vs[0] == 1:
        vs.pop(0)
    if len(vs) > len(target):
        name = "tensor"
        if _isinstance(value, Tensor):  # PyTorch: legacy names where they exist
            name = value.type()
            if value._data.dtype.kind in "bcV" or value.dtype.name.startswith("uint") and \
                    value.dtype.name != "uint8":
                tn = _inplace._type_name(value._data.dtype).replace("uint", "UInt")
                name = f"{'CPU' if value._device.type == 'cpu' else 'CUDA'}{tn}Type"
        return RuntimeError(
            f"expand({name}{{{vs}}}, size={list(target)}): the number of sizes provided "
            f"({len(target)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(vs)})")
    for i in range(1, len(vs) + 1):
        if vs[-i] != target[-i] and vs[-i] != 1:
            return RuntimeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                f"({vs[-i]}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {vs}")
    return RuntimeError(f"cannot broadcast a value of shape {list(vshape)} to {list(target)}")


def _write(x: Any, pk: tuple, v: Any, accumulate: bool, value: Any = None) -> None:
    """Write (or add) array ``v`` into ``x[pk]`` in place; PyTorch's errors on failure."""
    dst = x[pk[0]]
    try:
        if pk[1] is None:
            if accumulate:
                dst += v
            else:
                dst[...] = v
        elif accumulate:
            ufunc_at("add", dst, pk[1], v)
        elif not hasattr(dst, "reshape"):  # an Array-API array: no integer-array assignment
            from ._index_portable import array_api_at

            array_api_at("assign", dst, pk[1], v)
        else:
            dst[pk[1]] = v
    except IndexError:
        if _empty_result(dst, pk[1]) is not None:
            return  # nothing selected: nothing to write, no range to check
        err = _advanced_error(dst, pk[1])
        if "out of bounds" in str(err):  # PyTorch's kernel wrote the positions before
            from ._index_partial import write_prefix

            write_prefix(dst, pk[1], v, accumulate)
        raise err from None
    except ValueError as e:
        msg = str(e)
        if "read-only" in msg:  # (a view of) an expanded tensor: written as PyTorch does
            _write_expanded(x, pk, v, accumulate, value)
            return
        if "broadcast" in msg or "shape" in msg or "input values" in msg:
            raise _broadcast_error(get_key(x, pk).shape, v if value is None else value,
                                   pk[1] is not None) from None
        raise


def _write_expanded(x: Any, pk: tuple, v: Any, accumulate: bool, value: Any) -> None:
    """``_write`` into an expanded tensor's memory: a basic index writes unless its region
    has elements sharing memory; an advanced one writes with PyTorch's deprecation warning."""
    if pk[1] is None:
        _write(_inplace.writable(x[pk[0]]), ((Ellipsis,), None), v, accumulate, value)
        return
    _inplace.warn_shared_write("index_put_", "tensor[indices] = tensor")
    if _single_mask(pk[1]) and getattr(v, "size", 1) == 1:  # PyTorch's masked fill warns too
        _inplace.warn_shared_write("masked_fill_", "tensor[mask] = scalar")
    _write(_inplace.writable(x, False), pk, v, accumulate, value)


def _at_values(dst: Any, key: Any, vals: Any) -> Any:
    """``vals`` broadcast to a 1-d target's index: NumPy 2's ``ufunc.at`` misreads (even reads
    past) values with fewer dimensions than a multi-dimensional index into a 1-d array."""
    ndim = max((getattr(k, "ndim", 0) for k in key), default=0) if _isinstance(key, tuple) \
        else getattr(key, "ndim", 0)
    if ndim > vals.ndim:  # the rare case: it pays one gather for the target's shape
        return np.broadcast_to(vals, dst[key].shape)
    return vals


def ufunc_at(name: str, dst: Any, key: Any, vals: Any) -> None:
    """Unbuffered ``dst[key] op= vals`` with ufunc ``name`` (repeated indices accumulate)."""
    if _isinstance(dst, np.ndarray):
        if dst.ndim == 1 and getattr(vals, "ndim", 0):
            vals = _at_values(dst, key, vals)
        getattr(np, name).at(dst, key, vals)
        return
    if not hasattr(dst, "__cuda_array_interface__"):  # an Array-API namespace's array
        from ._index_portable import array_api_at

        array_api_at(name, dst, key, vals)
        return
    import cupy

    try:
        getattr(cupy, name).at(dst, key, vals)
        return
    except (AttributeError, NotImplementedError):  # older CuPy: cupyx's scatter kernels
        import cupyx

        fn = {"add": cupyx.scatter_add, "maximum": cupyx.scatter_max,
              "minimum": cupyx.scatter_min}.get(name)
    if fn is None:
        raise NotImplementedError(f"'{name}' at repeated indices is not available on this "
                                  "backend")
    fn(dst, key, vals)


def _reduce_to(g: Tensor, shape: tuple) -> Tensor:
    """A gradient summed back to an assigned value's (broadcast) shape."""
    if len(shape) > g._data.ndim:
        g = g.reshape((1,) * (len(shape) - g._data.ndim) + g._data.shape)
    return sum_to(g, shape)


def put_key(input: Tensor, pk: tuple, value: Any, accumulate: bool = False,
            name: str = "IndexPutBackward0", key: Any = None) -> Tensor:
    """A copy of ``input`` with ``value`` written (or added) at a prepared index (the node
    saves the index tensors of ``key``, the user's index)."""
    x = input._data
    r = input._device._backend.copy(x)
    flags = getattr(x, "flags", None)
    if flags is not None and not flags.c_contiguous:  # PyTorch: clone(preserve_format)
        r = laid_like(input._device._backend.xp, r, x)
    v = _value_array(value, input)
    _write(r, pk, v, accumulate, value)
    out = make(r, input._device)
    vt = _isinstance(value, Tensor) and value._rg
    if grad_state.enabled and (input._rg or vt):
        vshape = value._data.shape if vt else ()
        vdtype = value.dtype if vt else None
        gi = input._rg

        def vjp(g: Tensor, *_indices: Tensor) -> tuple:
            gs = (g if accumulate else put_key(g, pk, 0)) if gi else None
            gv = None
            if vt:
                gv = _reduce_to(getitem_key(g, pk), vshape)
                if gv.dtype is not vdtype:
                    gv = gv.to(vdtype)
            return gs, gv

        record(name, out, (input, value), vjp, key_tensors(key))
    return out


def _write_into(self: Tensor, pk: tuple, value: Any, accumulate: bool) -> None:
    """The write of ``setitem``/``index_put_`` when no graph is recorded."""
    v = _value_array(value, self)
    if self._device._backend.aliases:
        _write(self._data, pk, v, accumulate, value)
        self._vc[0] += 1
    else:  # write a copy, then the whole tensor
        r = self._data.copy()
        _write(r, pk, v, accumulate, value)
        _inplace.write(self, r)


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    view = False  # ``x[True]``: a view of all of x (a CopySlices node)
    if key.__class__ is bool:  # PyTorch's shortcut: ``x[False] = v`` writes nothing and
        if not key:            # ``x[True] = v`` copies into all of x, casting like copy_
            return
        key, view = Ellipsis, True
    basic, adv, _ = prepare(self, key)
    pk = (basic, adv)
    _basic_view(self._data, basic, self, key)
    vt = _isinstance(value, Tensor)
    if vt and value._device is self._device:  # a copy_ into the view, or an index_put_
        _inplace.refuse_partial_overlap(self._data if adv is not None else get_key(self._data, pk),
                                        value._data)
    if vt and adv is not None and value._data.size == 1 and \
            value._data.dtype != self._data.dtype and not value._rg and _single_mask(adv):
        get_key(self._data, pk)  # the mask's shape is checked first
        value, vt = _mask_fill_value(value, self), False  # a mask fill takes it as a number
    if vt and adv is not None and value._data.dtype != self._data.dtype and not (
            value._data.size == 1 and _single_mask(adv)):
        target = get_key(self._data, pk).shape  # PyTorch checks the shapes first
        try:
            ok = np.broadcast_shapes(value._data.shape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise _broadcast_error(target, value, True)
        _check_values(self, value, "index_put_")
    if not (grad_state.enabled and (self._rg or (vt and value._rg))):
        _inplace.check_inplace(self, "setitem")  # (an inference tensor's refusal)
        _write_into(self, pk, value, False)
        return
    if self.grad_fn is None and self._rg:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation." if adv is None else
                           "a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    _inplace.check_inplace(self, "setitem")
    out = put_key(self, pk, value, False,
                  "CopySlices" if view else _setitem_node(self, basic, adv, value),
                  None if adv is None else key)
    _inplace.commit(self, out, "setitem")


def _setitem_node(self: Tensor, basic: tuple, adv: Any, value: Any) -> str:
    """PyTorch's node for ``self[key] = value``: a basic part that is all of ``self`` (full
    slices, ``...``) is no view, so the write is ``fill_`` (a number or 0-d value), ``copy_``
    or ``index_put_`` on ``self`` itself; through a real view it is ``CopySlices``."""
    whole = all(b is Ellipsis or (b.__class__ is slice and b.step in (None, 1)) for b in basic) \
        and self._data[basic].shape == self._data.shape
    if adv is not None:
        return "IndexPutBackward0" if whole else "CopySlices"
    if not whole:
        return "CopySlices"
    scalar = not _isinstance(value, Tensor) or value._data.ndim == 0
    return "FillBackward3" if scalar else "CopyBackwards"


def _single_mask(adv: tuple) -> bool:
    """Whether an advanced key is one boolean mask (PyTorch then fills, casting the value)."""
    arrays = [a for a in adv if hasattr(a, "dtype")]
    return len(arrays) == 1 and kind(arrays[0]) == "b"


# ------------------------------------------------------------------ index_put
def _indices_key(self: Tensor, indices: Any, op: str, arg: int = 0) -> tuple:
    """The prepared key of ``index_put``'s ``indices``: a tuple (or list) of tensors only, as
    PyTorch's argument parser takes (None, lists and ints are refused there). ``arg``: the
    position PyTorch's message gives the indices (1 in the function form, 0 in the method)."""
    if not _isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    key = tuple(indices)
    for i, t in enumerate(key):
        if not _isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {arg}, but got "
                            f"{type(t).__name__}")
    if len(key) > self._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self._data.ndim} (got "
                         f"{len(key)})")
    basic, adv, _ = prepare(self, key)
    return (basic, adv)


def _check_values(self: Tensor, values: Any, op: str, indices: Any = (),
                  accumulate: bool = True) -> Tensor:
    """``values`` when its dtype is ``self``'s; otherwise PyTorch's masked_fill_ dispatch
    (:func:`_fill_value`) or its refusal."""
    if not _isinstance(values, Tensor):
        raise TypeError(f"{op}(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values.dtype is not self.dtype:
        from ._inplace import _type_name

        if not accumulate and _masked_fill_dispatch(self, indices, values):
            return _fill_value(self, indices, values, op)

        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got "
            f"{_type_name(self._data.dtype)} for the destination and "
            f"{_type_name(values._data.dtype)} for the source.")
    return values


def _masked_fill_dispatch(self: Tensor, indices: Any, values: Tensor) -> bool:
    """Whether PyTorch's index_put_ runs masked_fill_ instead: one boolean mask index and a
    one-element value (whose dtype then need not match)."""
    return (_isinstance(indices, (tuple, list)) and len(indices) == 1
            and _isinstance(indices[0], Tensor) and indices[0].dtype is _dt.bool
            and values.numel() == 1)


def _fill_value(self: Tensor, indices: Any, values: Tensor, op: str) -> Tensor:
    """The one-element ``values`` converted to ``self``'s dtype as masked_fill_ converts a
    number (an overflow refused, a negative int wrapped into uint8), after the mask's shape
    check; gradients still reach ``values``."""
    from .creation import full

    get_key(self._data, _indices_key(self, indices, op))  # the mask's shape is checked first
    v = _mask_fill_value(values, self)
    if values._rg:
        return values.reshape(()).to(self.dtype)
    return full((), v, dtype=self.dtype, device=self.device)


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put (or, with ``accumulate``, added) at ``indices``,
    a tuple of index tensors."""
    return _index_put(input, indices, values, accumulate, 1)


def _index_put_method(self: Tensor, indices: Any, values: Tensor,
                      accumulate: bool = False) -> Tensor:
    """``Tensor.index_put``."""
    return _index_put(self, indices, values, accumulate, 0)


def _index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool, arg: int) -> Tensor:
    values = _check_values(input, values, "index_put", indices, accumulate)
    refuse_shell_uint("index_put", input._data)
    return put_key(input, _indices_key(input, indices, "index_put", arg), values, accumulate,
                   key=tuple(indices))


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """``torch.index_put_``: ``index_put`` written into ``self``."""
    return _index_put_(self, indices, values, accumulate, 1)


def _index_put_method_(self: Tensor, indices: Any, values: Tensor,
                       accumulate: bool = False) -> Tensor:
    """``Tensor.index_put_``."""
    return _index_put_(self, indices, values, accumulate, 0)


def _index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool, arg: int) -> Tensor:
    values = _check_values(self, values, "index_put_", indices, accumulate)
    refuse_shell_uint("index_put", self._data)
    pk = _indices_key(self, indices, "index_put_", arg)
    _inplace.check_inplace(self, "index_put_")
    if not (grad_state.enabled and (self._rg or values._rg)):
        _write_into(self, pk, values, accumulate)
        return self
    return _inplace.commit(self, put_key(self, pk, values, accumulate, key=tuple(indices)),
                           "index_put_")


_getitem.__name__ = _getitem.__qualname__ = "__getitem__"  # as __torch_function__ sees it
methods(__getitem__=_getitem, __setitem__=_setitem, index_put=_index_put_method,
        index_put_=_index_put_method_)

# the rest of the family
from . import indexing_scatter, indexing_search  # noqa: E402

for _m in (indexing_scatter, indexing_search):
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
    __all__ += list(_m.__all__)
del _m, _name
