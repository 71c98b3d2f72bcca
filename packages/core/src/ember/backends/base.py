"""The Backend protocol: what a compute backend gives Ember.

Ops are written once against ``backend.xp`` (NumPy's namespace, CuPy's, or any
Array-API namespace); a backend overrides only what it does faster, through
``kernels`` keyed by op name (``"core::conv2d"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._runtime import quiet


class Backend:
    """Base class of compute backends; subclasses fill in the array library."""

    #: the device type this backend serves ("cpu", "cuda", "strict", ...)
    type: str = ""
    #: the array namespace ops call (``xp.exp``, ``xp.matmul``)
    xp: Any = None
    #: the array class of that namespace, for cheap type checks
    ndarray: type = object
    #: whether slicing/reshaping gives views that write through to the base
    aliases: bool = True
    #: op names this backend cannot run (the conformance suite lists them)
    unsupported_ops: frozenset[str] = frozenset()
    #: kernel overrides: op name -> function over backend arrays
    kernels: dict[str, Callable[..., Any]] = {}
    #: whether this backend has the NumPy-only extras (stride tricks, ufunc.at, ...)
    numpy_like: bool = False

    def __init__(self) -> None:
        self._devices: dict[int | None, Any] = {}
        self.kernels = dict(type(self).kernels)  # per instance: overrides never leak across backends

    def is_available(self) -> bool:
        """Whether the backend can run here; never raises."""
        return True

    def device_count(self) -> int:
        return 1

    def supported_dtypes(self) -> frozenset[str]:
        """Names of the Ember dtypes this backend supports."""
        return frozenset({"bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                          "float32", "float64", "complex64", "complex128"})

    # placement and transfer -------------------------------------------------
    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        """Make an array on device ``index`` from host data (blocking)."""
        return self.xp.asarray(obj, dtype=dtype)

    def to_numpy(self, arr: Any) -> np.ndarray:
        """Copy (or view, on the CPU) an array to a host NumPy array."""
        return np.asarray(arr)

    def device_index(self, arr: Any) -> int | None:
        """The device index an array lives on (None for a single-device backend)."""
        return None

    def synchronize(self, index: int | None = None) -> None:
        return None

    def memory_stats(self, index: int | None = None) -> dict[str, int]:
        return {}

    def from_dlpack(self, obj: Any) -> Any:
        return self.xp.from_dlpack(obj)

    def seed(self, seed: int, index: int | None = None) -> None:
        """Seed this backend's own random generator, where it has one."""
        return None

    # what the core needs beyond the Array API's functions --------------------------
    # Array-API spellings here; NumPy-like backends override them with array methods.
    def native_dtype(self, dtype: _dt.dtype) -> Any:
        """The namespace's dtype object for an Ember dtype; TypeError where it has none."""
        native = self._dtype_tables()[0].get(dtype)
        if native is None:
            raise TypeError(f"dtype {dtype} is not supported by the '{self.type}' backend")
        return native

    def dtype_of(self, arr: Any) -> _dt.dtype:
        """The Ember dtype of one of this backend's arrays."""
        return self._dtype_tables()[1][arr.dtype]

    def astype(self, arr: Any, dtype: _dt.dtype) -> Any:
        """``arr`` converted to an Ember dtype (a new array)."""
        return self.xp.astype(arr, self.native_dtype(dtype))

    def copy(self, arr: Any) -> Any:
        """A copy of ``arr`` with its own memory."""
        return self.xp.asarray(arr, copy=True)

    def reshape(self, arr: Any, shape: tuple[int, ...]) -> Any:
        """``arr`` in a new shape (a view where the layout allows)."""
        return self.xp.reshape(arr, shape)

    def _dtype_tables(self) -> tuple[dict, dict]:
        tables = self.__dict__.get("_dtypes")
        if tables is None:
            to_native = {d: getattr(self.xp, d.name) for d in _dt.ALL
                         if d.name in self.supported_dtypes() and hasattr(self.xp, d.name)}
            tables = self._dtypes = (to_native, {v: k for k, v in to_native.items()})
            if not isinstance(next(iter(tables[1]), None), np.dtype):
                _dt._BY_FOREIGN.update(tables[1])  # lets the core read kinds of these dtypes
        return tables

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_type={self.type!r}>"


class NumpyLike:
    """Mixin of backends whose arrays are NumPy-like: the hooks as array methods (faster)."""

    numpy_like = True

    def native_dtype(self, dtype: _dt.dtype) -> Any:
        return dtype.np

    def dtype_of(self, arr: Any) -> _dt.dtype:
        return _dt.from_numpy_dtype(arr.dtype)

    def astype(self, arr: Any, dtype: _dt.dtype) -> Any:
        if 0 in arr.strides:  # NumPy's order K would put an expanded dim innermost
            from .._memory_format import dense_like_result

            arr = dense_like_result(self.xp, arr)
        if arr.dtype.kind in "biu" and dtype.itemsize > 2:  # never out of range: no warning
            return arr.astype(dtype.np)
        # PyTorch casts out-of-range values silently (to inf), NumPy warns: quiet
        if dtype is _dt.float16 and arr.dtype == "float64":
            arr = quiet(arr.astype, "float32")  # PyTorch rounds double to half through float
        return quiet(arr.astype, dtype.np)

    def copy(self, arr: Any) -> Any:
        return arr.copy()

    def reshape(self, arr: Any, shape: tuple[int, ...]) -> Any:
        return arr.reshape(shape)
