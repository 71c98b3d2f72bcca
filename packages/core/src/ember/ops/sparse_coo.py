"""The sparse COO layout: ``SparseTensor``, a Tensor subclass holding (indices, values).

Dense tensors are untouched: a sparse tensor's ``_data`` is a ``_SparsePayload`` that
carries only the shape and dtype (which the autograd engine reads) and refuses to be
used as an array, so a dense op given a sparse tensor raises PyTorch's
NotImplementedError instead of computing on the wrong thing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._tensor import Size, Tensor, layout, make
from ..autograd.grad_mode import state as grad_state
from ..backends.registry import CPU, canonical_device

__all__ = ["sparse_coo", "SparseTensor", "sparse_coo_tensor", "is_sparse_tensor"]

sparse_coo = layout("sparse_coo")


def _unsupported(op: str, device: Any) -> NotImplementedError:
    backend = "SparseCUDA" if getattr(device, "type", "cpu") == "cuda" else "SparseCPU"
    return NotImplementedError(
        f"Could not run '{op}' with arguments from the '{backend}' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build).")


class _SparsePayload:
    """The ``_data`` of a sparse tensor: its shape and dtype, and no elements."""

    __slots__ = ("shape", "dtype", "ndim", "size", "_device")
    strides = None  # (read by the autograd engine when it stores a dense .grad)

    def __init__(self, shape: tuple, dtype: Any, device: Any) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.ndim = len(shape)
        self.size = int(np.prod(shape)) if shape else 1
        self._device = device

    def __getattr__(self, name: str) -> Any:
        raise _unsupported(f"aten::{name.strip('_')}", object.__getattribute__(self, "_device"))

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise _unsupported("aten::_to_dense", self._device)

    def __array_ufunc__(self, ufunc: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        raise _unsupported(f"aten::{ufunc.__name__}", self._device)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise _unsupported(f"aten::{func.__name__}", self._device)

    def _op(self, *args: Any) -> Any:
        raise _unsupported("aten::(dense operator)", self._device)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _op
    __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __getitem__ = __setitem__ = _op
    __pow__ = __lt__ = __le__ = __gt__ = __ge__ = _op


class SparseLayoutTensor(Tensor):
    """What every sparse layout shares: the shape is the dense one (``_data`` stands in for
    it), the dtype that of the stored values ``_val``."""

    __slots__ = ("_val",)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim, "size")]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._val.dtype) if self._device is CPU else \
            self._device._backend.dtype_of(self._val)

    def __len__(self) -> int:
        return self._data.shape[0]


class SparseTensor(SparseLayoutTensor):
    """A tensor in the COO layout: ``indices`` (sparse_dim x nnz, int64) and ``values``
    (nnz x dense dims); duplicate indices add up, as PyTorch's uncoalesced tensors do."""

    __slots__ = ("_ind", "_coal", "_vt")
    is_sparse = True
    layout = sparse_coo
    _plain_repr = True

    # ------------------------------------------------------------ metadata
    def sparse_dim(self) -> int:
        return int(self._ind.shape[0])

    def dense_dim(self) -> int:
        return self._val.ndim - 1

    def _nnz(self) -> int:
        return int(self._ind.shape[1])

    def is_coalesced(self) -> bool:
        return self._coal

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return False

    def stride(self, dim: int | None = None) -> Any:
        st = (0,) * self._data.ndim  # PyTorch reports zeros for a sparse tensor
        return st if dim is None else st[self._wrap_dim(dim, "stride")]

    def _indices(self) -> Tensor:
        return make(self._ind, self._device)

    def _values(self) -> Tensor:
        return _values_of(self)

    def indices(self) -> Tensor:
        if not self._coal:
            raise RuntimeError(
                "Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        if not self._coal:
            raise RuntimeError(
                "Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._values()

    def _host(self) -> np.ndarray:
        raise _unsupported("aten::_local_scalar_dense", self._device)

    def numpy(self, *, force: bool = False) -> np.ndarray:
        raise TypeError("can't convert Sparse layout tensor to numpy. Use "
                        "Tensor.to_dense() first.")

    # ------------------------------------------------------------ copies and conversions
    def detach(self) -> SparseTensor:
        t = _new_sparse(self._ind, self._val, self._data.shape, self._device, self._coal)
        t._vc = self._vc
        return t

    def _clone_data(self) -> SparseTensor:
        be = self._device._backend
        return _new_sparse(be.copy(self._ind), be.copy(self._val), self._data.shape,
                           self._device, self._coal)

    def clone(self, *, memory_format: Any = None) -> SparseTensor:
        from .sparse_math import clone

        return clone(self)

    def coalesce(self) -> SparseTensor:
        from .sparse_math import coalesce

        return coalesce(self)

    def to_dense(self, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
        from .sparse_math import to_dense

        d = to_dense(self)
        return d if dtype is None else d.to(dtype)

    def to_sparse(self, *args: Any, layout: Any = None, **kwargs: Any) -> Tensor:
        if layout is not None and not str(layout).endswith("sparse_coo"):
            return Tensor.to_sparse(self, layout=layout, **kwargs)
        if args and args[0] != self.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim "
                               "argument !=self.sparse_dim() is not supported")
        return self

    def to_sparse_coo(self) -> SparseTensor:
        return self

    def to(self, *args: Any, **kwargs: Any) -> SparseTensor:
        from .sparse_math import to

        return to(self, *args, **kwargs)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        if dtype is None:
            return "torch.sparse." + Tensor.type(make(self._val[:0], self._device))[6:]
        return Tensor.type(self, dtype)

    def _add_inplace_grad(self, g: Tensor) -> None:
        """Accumulate a gradient into this ``.grad``: sparse + sparse stays sparse and
        uncoalesced (indices and values concatenated), as PyTorch's accumulation does."""
        from ..autograd.graph import _DenseIntoSparse
        from .sparse_math import add

        if not isinstance(g, SparseTensor):  # the engine stores dense + sparse instead
            raise _DenseIntoSparse("a dense gradient cannot be added in place to a sparse .grad")
        r = add(self, g)
        self._ind, self._val, self._coal = r._ind, r._val, r._coal
        self._vc[0] += 1

    def __reduce_ex__(self, protocol: int) -> tuple:
        be = self._device._backend
        host = (lambda a: a) if self._device is CPU else be.to_numpy
        return (_rebuild_sparse, (np.array(host(self._ind)), np.array(host(self._val)),
                                  tuple(self._data.shape), str(self._device), self._rg,
                                  self._coal))

    def __deepcopy__(self, memo: dict) -> SparseTensor:
        t = self._clone_data()
        t._rg = self._rg
        memo[id(self)] = t
        return t

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from .._formatting import sparse_coo_repr

        return sparse_coo_repr(self, make(self._ind, self._device), make(self._val, self._device))

    def __bool__(self) -> bool:
        raise _unsupported("aten::_local_scalar_dense", self._device)


def is_sparse_tensor(t: Any) -> bool:
    return isinstance(t, SparseTensor)


def _new_sparse(ind: Any, val: Any, shape: tuple, device: Any, coalesced: bool,
                requires_grad: bool = False) -> SparseTensor:
    """Wrap an index array and a values array (no copies, no checks)."""
    t = make(_SparsePayload(shape, val.dtype, device), device, requires_grad)
    s = object.__new__(SparseTensor)
    for name in Tensor.__slots__:
        if name != "__weakref__":
            setattr(s, name, getattr(t, name))
    s._ind, s._val, s._coal, s._vt = ind, val, bool(coalesced), None
    return s


def _rebuild_sparse(ind: np.ndarray, val: np.ndarray, shape: tuple, device: str,
                    requires_grad: bool, coalesced: bool) -> SparseTensor:
    dev = canonical_device(device)
    be = dev._backend
    if dev is not CPU:
        ind, val = be.asarray(ind, index=dev.index), be.asarray(val, index=dev.index)
    return _new_sparse(ind, val, shape, dev, coalesced, requires_grad)


def _values_of(s: SparseTensor) -> Tensor:
    """``_values()``: a view of the values; differentiable when ``s`` is in a graph."""
    if s._vt is not None and grad_state.enabled:
        return s._vt  # built from a values tensor in the graph: per-entry gradients to it
    v = make(s._val, s._device)
    v._vc = s._vc
    if grad_state.enabled and s._rg:
        from .sparse_math import record_values

        record_values(v, s)
    return v


def _as_array(x: Any, dev: Any, dtype: Any = None) -> tuple[Any, Any]:
    if isinstance(x, Tensor):
        return x._data, x._device
    arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    return arr, dev


def _values_tensor(values: Any, dtype: Any, dev: Any) -> Tensor:
    """A sparse constructor's ``values`` as a tensor of ``dtype`` on ``dev`` (Python floats in
    the default dtype, as ``ember.tensor`` reads them)."""
    if isinstance(values, Tensor):
        vt = values
    else:
        arr = np.asarray(values)
        if dtype is None and arr.dtype == np.float64 and not isinstance(values, np.ndarray):
            arr = arr.astype(_dt.get_default_dtype().np)
        vt = make(arr, CPU)
    if dtype is not None:
        vt = vt.to(_dt.to_dtype(dtype))
    return vt if vt._device is dev else vt.to(dev)


def _check_size_dims(size: Any, ind: Any, val: Any) -> None:
    """PyTorch's first check of a sized constructor: ``len(size)`` is the indices' first
    dim (sparse) plus the values' dims after the first (dense)."""
    n = 1 if isinstance(size, int) else len(size)
    sd, dd = (ind.shape[0] if ind.ndim else 0), val.ndim - 1
    if n != sd + dd:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                           f"len(size) = {n}, sparse_dim = {sd}, dense_dim = {dd}")


def warn_implicit_invariants(check: bool | None) -> None:
    """PyTorch's once-per-program warning of a sparse constructor called without
    ``check_invariants`` while the program never opted in or out of the checks."""
    if check is None:
        import sys

        chk = getattr(sys.modules.get("ember.sparse"), "check_sparse_tensor_invariants", None)
        if chk is not None and chk._enabled is None:
            from .._stacklevel import user_stacklevel
            from .creation import _warn_once

            _warn_once("sparse_invariants", "Sparse invariant checks are implicitly disabled. "
                       "Memory errors (e.g. SEGFAULT) will occur when operating on a sparse "
                       "tensor which violates the invariants, but checks incur performance "
                       "overhead. To silence this warning, explicitly opt in or out. See "
                       "`torch.sparse.check_sparse_tensor_invariants.__doc__` for guidance.  "
                       "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/"
                       "Context.cpp:848.)", user_stacklevel() + 1)


def sparse_coo_tensor(indices: Any = None, values: Any = None, size: Any = None, *,
                      dtype: Any = None, device: Any = None, pin_memory: bool = False,
                      requires_grad: bool = False, check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseTensor:
    """A sparse COO tensor from ``indices`` (sparse_dim x nnz) and ``values`` (nnz x ...);
    without ``size`` the smallest size that holds every index. ``sparse_coo_tensor(size)``
    (PyTorch's other overload) is an empty one of that size."""
    warn_implicit_invariants(check_invariants)
    if values is None and size is None and isinstance(indices, (tuple, list)):
        indices, size = None, indices  # sparse_coo_tensor(size): the size given alone
    if indices is None and values is None and size is not None:
        nd = 1 if isinstance(size, int) else len(size)
        return sparse_coo_tensor(np.zeros((nd, 0), np.int64), np.zeros((0,), np.float32), size,
                                 dtype=dtype or _dt.get_default_dtype(), device=device,
                                 requires_grad=requires_grad, check_invariants=False,
                                 is_coalesced=True)
    dev = canonical_device(device) if device is not None else (
        values._device if isinstance(values, Tensor) else CPU)
    ind, _ = _as_array(indices, dev)
    vt = _values_tensor(values, dtype, dev)
    if size is not None:
        _check_size_dims(size, ind, vt._data)
    if ind.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(ind.shape)}")
    xp = dev._backend.xp  # indices of another dtype (float, bool) are cast, as PyTorch's
    ind = xp.asarray(ind, dtype=np.int64) if dev is CPU else dev._backend.asarray(
        np.asarray(ind, dtype=np.int64) if isinstance(ind, np.ndarray) else ind.astype("int64"),
        index=dev.index)
    val = vt._data
    if val.ndim == 0 or val.shape[0] != ind.shape[1]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{ind.shape[1]}, nnz from values: {val.shape[0] if val.ndim else 1}")
    sd = ind.shape[0]
    if size is None:
        if ind.shape[1]:
            lead = tuple(int(m) + 1 for m in ind.max(axis=1).tolist())
        else:
            lead = (0,) * sd
        shape = lead + tuple(val.shape[1:])
    else:
        shape = tuple(int(s) for s in (size if not isinstance(size, int) else (size,)))
        if ind.shape[1]:
            mx = ind.max(axis=1).tolist()
            mn = ind.min(axis=1).tolist()
            for d in range(sd):
                if mn[d] < 0:
                    raise RuntimeError(f"found negative index {mn[d]} for dim {d}")
                if mx[d] >= shape[d]:
                    raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size "
                                       f"is {shape[d]} but found index {mx[d]}")
    coal = bool(is_coalesced) if is_coalesced is not None else ind.shape[1] <= 1
    if requires_grad and vt.dtype.category < _dt._FLOAT:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    out = _new_sparse(ind, val, shape, dev, coal, bool(requires_grad))
    if grad_state.enabled and vt._rg and not requires_grad:
        from .sparse_math import record_construct

        record_construct(out, vt)
    return out


from . import sparse_unary as _sparse_unary  # noqa: E402,F401  (attaches the elementwise ops)
