"""``UntypedStorage``: the bytes under a tensor (and its views), as ``untyped_storage()`` shows them."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["UntypedStorage"]


class UntypedStorage:
    """A view of the memory block a tensor lives in, in bytes."""

    def __init__(self, buffer: Any, device: Any) -> None:
        self._buffer = buffer
        self.device = device

    @classmethod
    def _of(cls, t: Any) -> UntypedStorage:
        arr = t._data
        root = arr
        while isinstance(getattr(root, "base", None), type(arr)):
            root = root.base
        return cls(root, t._device)

    def nbytes(self) -> int:
        return int(self._buffer.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def data_ptr(self) -> int:
        buf = self._buffer
        if isinstance(buf, np.ndarray):
            return buf.__array_interface__["data"][0]
        return int(getattr(getattr(buf, "data", None), "ptr", 0) or 0)

    def element_size(self) -> int:
        return 1

    def _bytes(self) -> np.ndarray:
        buf = self._buffer
        host = buf if isinstance(buf, np.ndarray) else self.device._backend.to_numpy(buf)
        return np.ascontiguousarray(host).reshape(-1).view(np.uint8)

    def tolist(self) -> list[int]:
        return self._bytes().tolist()

    def __getitem__(self, i: Any) -> Any:
        return self._bytes()[i].tolist()

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def __repr__(self) -> str:
        return f" [ember.storage.UntypedStorage(device={self.device}) of size {self.nbytes()}]"
