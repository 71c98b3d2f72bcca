"""The CUDA backend over CuPy. Device placement uses ``cupy.cuda.Device``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Backend, NumpyLike


class CupyBackend(NumpyLike, Backend):
    type = "cuda"
    aliases = True
    numpy_like = True
    kernels: dict = {}

    def __init__(self) -> None:
        super().__init__()
        import cupy

        self.xp = cupy
        self.ndarray = cupy.ndarray

    def is_available(self) -> bool:
        try:
            return bool(self.xp.cuda.is_available())
        except Exception:
            return False

    def device_count(self) -> int:
        try:
            return int(self.xp.cuda.runtime.getDeviceCount())
        except Exception:
            return 0

    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        with self.xp.cuda.Device(index or 0):
            return self.xp.asarray(obj, dtype=dtype)

    def to_numpy(self, arr: Any) -> np.ndarray:
        return self.xp.asnumpy(arr)

    def device_index(self, arr: Any) -> int | None:
        return int(arr.device.id)

    def synchronize(self, index: int | None = None) -> None:
        with self.xp.cuda.Device(index or 0):
            self.xp.cuda.Device().synchronize()

    def memory_stats(self, index: int | None = None) -> dict[str, int]:
        pool = self.xp.get_default_memory_pool()
        return {"allocated_bytes.all.current": int(pool.used_bytes()),
                "reserved_bytes.all.current": int(pool.total_bytes())}

    def seed(self, seed: int, index: int | None = None) -> None:
        with self.xp.cuda.Device(index or 0):
            self.xp.random.seed(seed)

    def from_dlpack(self, obj: Any) -> Any:
        return self.xp.from_dlpack(obj)
