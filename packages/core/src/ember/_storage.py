"""Storages: the memory under a tensor (and its views), as ``untyped_storage()`` (bytes) and
the deprecated ``storage()`` (elements of the tensor's dtype) show it."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage"]


def _device_of(device: Any) -> Any:
    from .backends.registry import CPU, canonical_device

    return CPU if device is None else canonical_device(device)


def _host_array(data: Any, np_dtype: Any, what: str) -> np.ndarray:
    """A new 1-d array of ``data`` (a size or a sequence of values), as a storage holds."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, int) and not isinstance(data, bool):
        if data < 0:
            raise RuntimeError(f"{what}: size must be non-negative, got {data}")
        return np.zeros(data, dtype=np_dtype)  # PyTorch leaves it uninitialised
    return np.asarray(list(data)).astype(np_dtype).reshape(-1)


def _root_buffer(arr: Any) -> Any:
    """The array owning ``arr``'s memory: its base chain's end, walked through the
    ``DummyArray`` that ``as_strided`` (expand's broadcast) puts between a view and its
    base; a 1-D contiguous block made by ``as_strided`` (a tensor from a NumPy view, whose
    storage starts at its first element) is a root itself."""
    kind, root = type(arr), arr
    while True:
        base = getattr(root, "base", None)
        if not isinstance(base, kind):
            flags = getattr(root, "flags", None)
            if base is None or (root.ndim == 1 and flags is not None and flags.c_contiguous):
                return root
            base = getattr(base, "base", None)
            if not isinstance(base, kind):
                return root
        root = base


class UntypedStorage:
    """A view of the memory block a tensor lives in, in bytes.

    ``UntypedStorage(n)`` makes ``n`` new bytes, ``UntypedStorage([b0, b1, ...])`` bytes
    with those values (``device=`` places them), as in PyTorch."""

    __module__ = "ember.storage"  # where PyTorch's lives, as ``type(...)`` prints it

    def __init__(self, *args: Any, device: Any = None) -> None:
        if len(args) > 1:
            raise TypeError(f"UntypedStorage() takes at most 1 positional argument "
                            f"({len(args)} given)")
        dev = _device_of(device)
        host = _host_array(args[0] if args else 0, np.uint8, "UntypedStorage")
        self._buffer = host if dev.type == "cpu" else dev._backend.asarray(host,
                                                                           index=dev.index)
        self.device = dev

    @classmethod
    def _wrap(cls, buffer: Any, device: Any) -> UntypedStorage:
        """The storage over an existing array (no copy)."""
        self = object.__new__(cls)
        self._buffer = buffer
        self.device = device
        return self

    @classmethod
    def _of(cls, t: Any) -> UntypedStorage:
        return cls._wrap(_root_buffer(t._data), t._device)

    def nbytes(self) -> int:
        return int(self._buffer.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def data_ptr(self) -> int:
        buf = self._buffer
        if buf.nbytes == 0:  # PyTorch's empty storages hold no allocation: a null pointer
            return 0
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

    def __setitem__(self, i: Any, value: Any) -> None:
        self._bytes()[i] = value

    def fill_(self, value: int) -> UntypedStorage:
        self._bytes()[...] = value
        return self

    def clone(self) -> UntypedStorage:
        return UntypedStorage._wrap(self._buffer.copy(), self.device)

    def cpu(self) -> UntypedStorage:
        return self if self.device.type == "cpu" else UntypedStorage(self.tolist())

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_shared(self) -> bool:
        """Whether the bytes live in memory shared with forked processes (``share_memory_``)."""
        import mmap

        base = self._buffer if self.device.type == "cpu" else None
        while base is not None and not isinstance(base, mmap.mmap):
            base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        return base is not None

    def is_pinned(self, device: Any = "cuda") -> bool:
        return False

    def __repr__(self) -> str:  # each byte on a line, then the summary (PyTorch's layout)
        body = "".join(f" {v}\n" for v in self.tolist()) or " \n"
        return f"{body}[ember.storage.UntypedStorage(device={self.device}) of size {self.nbytes()}]"


_warned = [False]


def _warn_typed(stacklevel: int) -> None:
    if not _warned[0]:  # once per process, as PyTorch
        _warned[0] = True
        import warnings

        warnings.warn(
            "TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
            "will be the only storage class. This should only matter to you if you are using "
            "storages directly.  To access UntypedStorage directly, use "
            "tensor.untyped_storage() instead of tensor.storage()", UserWarning,
            stacklevel=stacklevel)


class _StorageMeta(type):
    """Lets ``isinstance(t.storage(), ember.FloatStorage)`` hold for a float32 storage, as the
    legacy classes (``FloatStorage``, ...) only name a TypedStorage's dtype."""

    def __instancecheck__(cls, obj: Any) -> bool:
        legacy = cls.__dict__.get("dtype")
        if legacy is None or isinstance(legacy, property):
            return type.__instancecheck__(cls, obj)
        return isinstance(obj, TypedStorage) and obj.dtype is legacy


class TypedStorage(metaclass=_StorageMeta):
    """The memory block of a tensor as elements of its dtype (PyTorch's deprecated
    ``Tensor.storage()``): its size counts the whole block, not the tensor's view of it.

    ``TypedStorage(n, dtype=...)``, ``TypedStorage([v0, ...], dtype=...)`` and
    ``TypedStorage(wrap_storage=untyped, dtype=...)`` make one; a legacy class
    (``ember.FloatStorage(3)``) fixes the dtype and gives a TypedStorage, as in PyTorch."""

    __module__ = "ember.storage"

    def __new__(cls, *args: Any, **kwargs: Any) -> TypedStorage:
        legacy = cls.__dict__.get("dtype")
        if legacy is None:
            return object.__new__(cls)
        if len(args) > 1 or "dtype" in kwargs or set(kwargs) - {"wrap_storage", "device"}:
            why = ("Keyword argument 'dtype' cannot be specified" if "dtype" in kwargs else
                   "Too many positional arguments")
            raise RuntimeError(
                f"{cls}.__new__ received an invalid combination of arguments. Expected one of:"
                "\n * no arguments\n * (int size)\n * (Sequence data)\n"
                f" * (*, UntypedStorage wrap_storage)\n{why}")
        self = object.__new__(TypedStorage)
        self.__init__(*args, dtype=legacy, **kwargs)
        return self

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None,
                 wrap_storage: UntypedStorage | None = None) -> None:
        from . import dtypes as _dt

        _warn_typed(3)
        dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
        if wrap_storage is not None:
            if args:
                raise RuntimeError("TypedStorage(): No positional arguments may be given "
                                   "with 'wrap_storage'")
            untyped = wrap_storage
        else:
            if len(args) > 1:
                raise RuntimeError(f"TypedStorage(): Too many positional arguments: {len(args)}")
            host = _host_array(args[0] if args else 0, dt.np, "TypedStorage")
            dev = _device_of(device)
            buf = host if dev.type == "cpu" else dev._backend.asarray(host, index=dev.index)
            untyped = UntypedStorage._wrap(buf, dev)
        self._untyped_storage = untyped
        self.dtype = dt

    @classmethod
    def _wrap(cls, untyped: UntypedStorage, dtype: Any) -> TypedStorage:
        self = object.__new__(TypedStorage)
        self._untyped_storage = untyped
        self.dtype = dtype
        return self

    @classmethod
    def _of(cls, t: Any) -> TypedStorage:
        _warn_typed(4)
        return cls._wrap(UntypedStorage._of(t), t.dtype)

    @property
    def device(self) -> Any:
        return self._untyped_storage.device

    @property
    def is_cuda(self) -> bool:
        return self._untyped_storage.is_cuda

    def is_shared(self) -> bool:
        return self._untyped_storage.is_shared()

    def is_pinned(self, device: Any = "cuda") -> bool:
        return False

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

    def __setitem__(self, i: Any, value: Any) -> None:
        self._values()[i] = value

    def fill_(self, value: Any) -> TypedStorage:
        self._values()[...] = value
        return self

    def clone(self) -> TypedStorage:
        return TypedStorage._wrap(self._untyped_storage.clone(), self.dtype)

    def cpu(self) -> TypedStorage:
        return self if self.device.type == "cpu" else TypedStorage._wrap(
            self._untyped_storage.cpu(), self.dtype)

    def _to(self, dtype: Any) -> TypedStorage:
        if dtype is self.dtype:
            return self
        from . import dtypes as _dt

        return TypedStorage._wrap(UntypedStorage._wrap(
            self._values().astype(_dt.to_dtype(dtype).np), self.device), dtype)

    def double(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.float64)

    def float(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.float32)

    def half(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.float16)

    def long(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.int64)

    def int(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.int32)

    def bool(self) -> TypedStorage:
        from . import dtypes as _dt

        return self._to(_dt.bool)

    def type(self) -> str:
        from ._tensor import _TYPE_NAMES

        prefix = "torch.cuda." if self.is_cuda else "torch."  # as Tensor.type()
        return f"{prefix}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}Storage"

    def __repr__(self) -> str:
        body = "".join(f" {v}\n" for v in self.tolist()) or " \n"
        return (f"{body}[ember.storage.TypedStorage(dtype={self.dtype}, device={self.device}) "
                f"of size {self.size()}]")
