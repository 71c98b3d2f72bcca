"""Pinning the batches a DataLoader yields (``pin_memory=True``), structure by structure."""

from __future__ import annotations

import collections.abc
import warnings
from typing import Any


def pinning_available() -> bool:
    """Whether pinned memory can be had here; warns as PyTorch does where it cannot."""
    from ... import cuda

    if cuda.is_available():
        return True
    warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then "
                  "device pinned memory won't be used.", stacklevel=3)
    return False


def pin_memory(data: Any) -> Any:
    """``data`` with every tensor in it copied to pinned memory (containers rebuilt)."""
    from ..._tensor import Tensor

    if isinstance(data, Tensor):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: pin_memory(v) for k, v in data.items()}
        try:
            return type(data)(pinned)
        except TypeError:
            return pinned
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(pin_memory(v) for v in data))
    if isinstance(data, tuple):
        return tuple(pin_memory(v) for v in data)
    if isinstance(data, collections.abc.Sequence):
        pinned_list = [pin_memory(v) for v in data]
        try:
            return type(data)(pinned_list)
        except TypeError:
            return pinned_list
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data
