"""Storages: the memory under a tensor (and its views), as ``untyped_storage()`` (bytes) and
the deprecated ``storage()`` (elements of the tensor's dtype) show it."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage"]


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


_warned = [False]


class TypedStorage:
    """The memory block of a tensor as elements of its dtype (PyTorch's deprecated
    ``Tensor.storage()``): its size counts the whole block, not the tensor's view of it."""

    def __init__(self, untyped: UntypedStorage, dtype: Any) -> None:
        self._untyped_storage = untyped
        self.dtype = dtype

    @classmethod
    def _of(cls, t: Any) -> TypedStorage:
        if not _warned[0]:  # once per process, as PyTorch
            _warned[0] = True
            import warnings

            warnings.warn(
                "TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
                "will be the only storage class. This should only matter to you if you are using "
                "storages directly.  To access UntypedStorage directly, use "
                "tensor.untyped_storage() instead of tensor.storage()", UserWarning, stacklevel=3)
        return cls(UntypedStorage._of(t), t.dtype)

    @property
    def device(self) -> Any:
        return self._untyped_storage.device

    @property
    def is_cuda(self) -> bool:
        return self._untyped_storage.is_cuda

    def untyped(self) -> UntypedStorage:
        return self._untyped_storage

    def element_size(self) -> int:
        return self.dtype.itemsize

    def nbytes(self) -> int:
        return self._untyped_storage.nbytes()

    def size(self) -> int:
        return self.nbytes() // self.element_size()

    def __len__(self) -> int:
        return self.size()

    def data_ptr(self) -> int:
        return self._untyped_storage.data_ptr()

    def _values(self) -> np.ndarray:
        return self._untyped_storage._bytes().view(self.dtype.np)

    def tolist(self) -> list:
        return self._values().tolist()

    def __getitem__(self, i: Any) -> Any:
        return self._values()[i].tolist()

    def type(self) -> str:
        from ._tensor import _TYPE_NAMES

        prefix = "torch.cuda." if self.is_cuda else "torch."  # as Tensor.type()
        return f"{prefix}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}Storage"

    def __repr__(self) -> str:
        body = "".join(f" {v}\n" for v in self.tolist()) or " \n"
        return (f"{body}[ember.storage.TypedStorage(dtype={self.dtype}, device={self.device}) "
                f"of size {self.size()}]")
