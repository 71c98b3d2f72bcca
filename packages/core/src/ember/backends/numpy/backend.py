"""The CPU backend over NumPy: arrays alias, and every op runs on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Backend, NumpyLike


class NumpyBackend(NumpyLike, Backend):
    type = "cpu"
    xp = np
    ndarray = np.ndarray
    aliases = True
    numpy_like = True
    kernels: dict = {}

    def supported_dtypes(self) -> frozenset[str]:
        return super().supported_dtypes() | {"bfloat16", "uint16", "uint32", "uint64"}

    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        return np.asarray(obj, dtype=dtype)

    def to_numpy(self, arr: Any) -> np.ndarray:
        return arr

    def memory_stats(self, index: int | None = None) -> dict[str, int]:
        return {}

    def from_dlpack(self, obj: Any) -> Any:
        return np.from_dlpack(obj)
