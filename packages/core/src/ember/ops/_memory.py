"""NumPy arrays over memory that another array already holds, with any layout."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["array_over"]


class _Interface:
    """An object NumPy builds an array from (``__array_interface__``), keeping ``base``
    (the array that owns the memory) alive for as long as the new array lives."""

    __slots__ = ("__array_interface__", "base")

    def __init__(self, interface: dict, base: Any) -> None:
        self.__array_interface__ = interface
        self.base = base


def array_over(x: np.ndarray, ptr: int, shape: tuple, strides: tuple,
               writable: bool) -> np.ndarray:
    """The array of ``x``'s dtype at address ``ptr`` with byte ``strides``, inside memory
    that ``x`` holds; writable only if asked (NumPy takes the flag from the interface)."""
    interface = dict(x.__array_interface__, shape=tuple(shape), strides=tuple(strides))
    interface["data"] = (ptr, not writable)
    interface.pop("mask", None)
    arr = np.asarray(_Interface(interface, x))
    # the interface spells ml_dtypes' bfloat16/float8 as raw void bytes: restore the dtype
    return arr if arr.dtype == x.dtype else arr.view(x.dtype)
