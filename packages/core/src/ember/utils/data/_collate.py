"""``default_collate`` and ``default_convert``: samples to batches, as PyTorch builds them.

``collate(batch, collate_fn_map=...)`` is the extensible form (PyTorch's
``torch.utils.data._utils.collate.collate``): the map sends an element type to the function
that collates a batch of it; mappings, namedtuples and sequences are collated field by field.
``default_collate_fn_map`` may be updated in place to change what ``default_collate`` does.
"""

from __future__ import annotations

import collections.abc
import copy
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from . import _worker

__all__ = ["collate", "collate_float_fn", "collate_int_fn", "collate_numpy_array_fn",
           "collate_numpy_scalar_fn", "collate_str_fn", "collate_tensor_fn", "default_collate",
           "default_collate_err_msg_format", "default_collate_fn_map", "default_convert"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")
default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}")
_ops: Any = None  # ember.ops, imported on first use (an import statement per call costs)

CollateFnMap = dict[type | tuple[type, ...], Callable]


def _load_ops() -> Any:
    global _ops
    from ... import ops

    _ops = ops
    return ops


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars become tensors; containers are converted recursively."""
    t = type(data)
    if isinstance(data, Tensor):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if t.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return (_ops or _load_ops()).as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)  # keeps the mapping's type and extra state
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return t({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Collate a list of samples with the functions of ``collate_fn_map`` (by element type:
    exact type first, then the first key the element is an instance of), recursing into
    mappings, namedtuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(elem_type)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(elem, key):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)  # keeps defaultdict's factory, OrderedDict, ...
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as PyTorch returns for tuples
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, c in enumerate(columns):
                    clone[i] = c
                return clone
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Tensors stack along a new first dimension (dense, strided tensors only, as PyTorch)."""
    if isinstance(batch, Tensor):  # default_collate(tensor): torch.stack refuses a Tensor
        raise TypeError("stack(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    elem = batch[0]
    if getattr(elem, "is_sparse", False) or str(getattr(elem, "layout", "strided")).split(
            ".")[-1] != "strided":
        raise RuntimeError("Batches of sparse tensors are not currently supported by the "
                           "default collate_fn; please provide a custom collate_fn to handle "
                           "them appropriately.")
    ops = _ops or _load_ops()
    if _worker._worker_info is not None and is_grad_enabled() and any(
            t.requires_grad for t in batch):
        # a worker stacks into shared memory with out=, which autograd refuses (PyTorch's
        # "stack(): functions with out=..." error, raised by the same call)
        return ops.stack(batch, 0, out=ops.empty(0, dtype=elem.dtype))
    return ops.stack(batch, 0)


def collate_numpy_array_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """NumPy arrays become one tensor (string and object arrays are refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    ops = _ops or _load_ops()
    if _has_negative_stride(batch):
        # flipped views (np.flip, a[::-1]): as_tensor refuses them, as PyTorch's collate does
        return collate([ops.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)
    try:  # one copy, no tensor per sample; mixed dtypes (or tensors among the arrays) are
        # promoted by PyTorch's stack, which refuses [uint16, uint8] where NumPy promotes
        out = np.stack(batch) if len(set(map(_dtype, batch))) == 1 else None
    except (ValueError, AttributeError):  # ragged, or a sample that is no array at all
        out = None
    # NumPy's promotion kept the first dtype only where PyTorch's does too; otherwise (mixed
    # dtypes, mismatched shapes) go through tensors, to promote and fail as PyTorch does;
    # subclasses too (np.stack keeps np.matrix 2-D, PyTorch stacks each sample's 2-D data)
    if out is not None and out.dtype == elem.dtype and out.__class__ is np.ndarray:
        if not all(map(_writeable, batch)):  # PyTorch's as_tensor per sample warns (once)
            from ...ops.creation import _warn_if_readonly

            _warn_if_readonly(next(b for b in batch if not b.flags.writeable))
        if not out.flags.c_contiguous:  # np.stack keeps transposed inputs' layout
            out = np.ascontiguousarray(out)
        return ops.from_numpy(out)
    return collate([ops.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


_strides = operator.attrgetter("strides")
_dtype = operator.attrgetter("dtype")
_writeable = operator.attrgetter("flags.writeable")


def _has_negative_stride(batch: list) -> bool:
    """Whether an array of the batch has a negative stride (C-level loop over the batch)."""
    try:
        return min(map(min, map(_strides, batch))) < 0
    except (AttributeError, ValueError):  # a tensor among the arrays, or a 0-d array
        return any(min(getattr(b, "strides", ()), default=0) < 0 for b in batch)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """NumPy scalars become a 1-D tensor of their dtype."""
    ops = _ops or _load_ops()
    try:
        out = np.asarray(batch)
    except ValueError:  # arrays among the scalars: fail as PyTorch's list inference does
        return ops.as_tensor(batch)
    if (out.dtype != batch[0].dtype or out.dtype.kind == "u" and out.dtype.itemsize > 1
            or len(set(map(type, batch))) > 1):
        # mixed with Python numbers or other scalar types: NumPy promotes [float32, 1.5] to
        # float64 where PyTorch's list inference (float32 here) differs, and PyTorch refuses
        # uint64 scalars and uint16/32 mixed with other types (also after a wider first
        # one: [int64, uint32]), so infer as it does
        return ops.as_tensor(batch)
    return ops.as_tensor(out)


def collate_float_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python floats become float64 (PyTorch keeps their precision)."""
    from ...dtypes import float64

    return (_ops or _load_ops()).tensor(batch, dtype=float64)


def collate_int_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python ints (and bools) become an int64 (bool) tensor."""
    return (_ops or _load_ops()).tensor(batch)


def collate_str_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> list:
    """Strings and bytes stay a list."""
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch: tensors stack, numbers become tensors,
    mappings and sequences are collated field by field."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
