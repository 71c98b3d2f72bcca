"""``default_collate`` and ``default_convert``: samples to batches, as PyTorch builds them."""

from __future__ import annotations

import collections.abc
import re
from typing import Any

import numpy as np

from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_np_str_obj = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")
_ops: Any = None  # ember.ops, imported on first use (an import statement per call costs)


def _load_ops() -> Any:
    global _ops
    from ... import ops

    _ops = ops
    return ops


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars become tensors; containers are converted recursively."""
    from ... import ops

    t = type(data)
    if isinstance(data, Tensor):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if t.__name__ == "ndarray" and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return ops.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return t({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch: tensors stack, numbers become tensors,
    mappings and sequences are collated field by field."""
    ops = _ops or _load_ops()
    elem = batch[0]
    t = type(elem)
    if isinstance(elem, Tensor):
        return ops.stack(batch, 0)
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if t.__name__ in ("ndarray", "memmap"):
            if _np_str_obj.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            return ops.from_numpy(np.stack(batch))
        if elem.shape == ():
            return ops.as_tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return ops.tensor(batch)
    if isinstance(elem, float):
        from ...dtypes import float64

        return ops.tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return ops.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return t({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return t(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len(set(map(len, batch))) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return t([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(t))
