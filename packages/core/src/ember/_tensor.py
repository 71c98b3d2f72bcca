"""``ember.Tensor``: a thin wrapper over one backend array, plus autograd state.

Ops and their methods are attached from ``ember.ops`` (as JAX attaches array
methods), which keeps this module free of imports from the ops layer. Views
share their base's version counter (``_vc``, a one-element list), which is how
in-place changes to saved tensors are caught in backward.
"""

from __future__ import annotations

import copy
import numbers
import operator as _operator
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import dtypes as _dt
from ._device import device as _device_cls
from ._layouts import (  # noqa: F401  (PyTorch's names, re-exported)
    _contiguous_strides,
    _refuse_negative_strides,
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from .autograd import grad_mode
from .autograd.graph import AccumulateGrad, RemovableHandle, RetainGrad, regenerated_view
from .backends.registry import CPU, canonical_device

__all__ = ["Tensor", "Size", "make", "strided", "contiguous_format", "channels_last",
           "preserve_format", "layout", "memory_format"]

_new = object.__new__
_new_size = tuple.__new__  # a Size from a shape NumPy made: no checks needed
_from_np = _dt.from_numpy_dtype
_by_np = _dt._BY_NP.get
_weakref = weakref.ref
# Set by ember.ops: loads the lazily imported op families (whose methods this class then
# has) and returns True, or returns False once they are all loaded.
_load_lazy_methods: Any = None


class Size(tuple):
    """The shape of a tensor: a tuple of ints, printed like PyTorch's ``torch.Size``."""

    __slots__ = ()
    __module__ = "ember"  # ``type(x.shape)`` prints as ``<class 'ember.Size'>``, as PyTorch's

    def __new__(cls, sizes: Any = ()) -> Size:
        t = tuple(sizes)
        for x in t:
            if x.__class__ is not int:  # PyTorch takes anything with __index__, as an int
                return tuple.__new__(cls, [_size_item(x, i) for i, x in enumerate(t)])
        return tuple.__new__(cls, t)

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getattr__(self, name: str) -> Any:  # reached only for a missing attribute
        raise AttributeError(f"'ember.Size' object has no attribute '{name}'")

    def __format__(self, spec: str) -> str:
        return _dt._format_as_str(self, spec, "ember.Size")

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):  # slicing a Size gives a Size
        r = tuple.__getitem__(self, key)
        return tuple.__new__(Size, r) if isinstance(key, slice) else r  # ints already

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            "ember.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):  # ``(1,) + size`` is a Size too
        if isinstance(other, tuple):
            return Size(tuple.__add__(other, self))
        if isinstance(other, (list, str)):  # PyTorch's Size has no __radd__: their message
            name = type(other).__name__
            raise TypeError(f'can only concatenate {name} (not "ember.Size") to {name}')
        raise TypeError(f"unsupported operand type(s) for +: '{type(other).__name__}' and "
                        "'ember.Size'")

    def __mul__(self, n):
        if not hasattr(n, "__index__"):  # Python's own error for a tuple
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'")
        return tuple.__new__(Size, tuple.__mul__(self, n))  # ints already

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


def _size_item(x: Any, i: int) -> int:
    """One size of a Size: an int, or something with ``__index__`` (a NumPy int, an integer
    tensor of one element), as PyTorch's Size constructor takes it."""
    try:
        return _operator.index(x)
    except TypeError:
        raise TypeError(f"ember.Size() takes an iterable of 'int' (item {i} is "
                        f"'{type(x).__name__}')") from None




_warned_scalar = [False]


def sequence_to_array(data: Any, dtype: Any) -> np.ndarray:
    """Nested lists as a host array of ``dtype``, the way ``ember.tensor`` reads them; the ops
    layer (above this module) installs its converter here (``ops.creation``)."""
    return np.asarray(data, dtype=dtype.np)


def _warn_scalar() -> None:
    """PyTorch's once-per-process warning for float()/complex() of a tensor requiring grad
    (int(), bool() and item() do not warn)."""
    import warnings

    _warned_scalar[0] = True
    warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                  "unexpected behavior.\nConsider using tensor.detach() first.", UserWarning,
                  stacklevel=3)


def _real_item(v: Any, c_name: str) -> Any:
    """A complex element as a real number, as PyTorch converts it (no imaginary part)."""
    if v.__class__ is complex:
        if v.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {c_name} without overflow")
        return v.real
    return v


class _InferenceVersion(list):
    """The version counter of a tensor made under ``inference_mode``: its views share it, so
    its class marks the whole family as inference tensors (PyTorch's ``is_inference()``)."""

    __slots__ = ()


_gm_state = grad_mode.state


def make(data: Any, device: _device_cls, requires_grad: bool = False) -> Tensor:
    """Wrap a backend array without copying (the ops' result constructor)."""
    t = _new(Tensor)
    t._data = data
    t._device = device
    t._rg = requires_grad
    t.grad_fn = None
    t._out_nr = 0
    t._grad = None
    t._vc = [0] if not _gm_state.inference else _InferenceVersion((0,))
    t._base = None
    t._accum = None
    t._hooks_leaf = None
    t._post_acc_hooks = None
    t._view_fn = None
    return t


# the legacy type names of the dtypes (``torch.FloatTensor``, ``torch.FloatStorage``)
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
               "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _type_from_string(t: Tensor, name: str) -> Tensor:
    """``t.type('torch.FloatTensor')``: only a legacy tensor type name (``torch.`` or
    ``ember.``, optionally ``.cuda``) is a type to PyTorch; anything else is invalid."""
    prefix, _, legacy = name.rpartition(".")
    dtype = _LEGACY_NAMES.get(legacy)
    if dtype is None or prefix not in ("torch", "ember", "torch.cuda", "ember.cuda"):
        raise ValueError(f"invalid type: '{name}'")
    # the name names the device too: a CPU type moves a CUDA (or meta) tensor to the CPU
    return t.to("cuda" if prefix.endswith("cuda") else "cpu", _dt.to_dtype(dtype))


_LEGACY_NAMES = {v + "Tensor": k for k, v in _TYPE_NAMES.items()}


def _warn_nonleaf_grad() -> None:
    import warnings

    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
        "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
        "instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered "
        "internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:488.)",
        UserWarning, stacklevel=3)


def _check_assigned_grad(t: Tensor, g: Any) -> None:
    """PyTorch's checks of ``t.grad = g``: a tensor of ``t``'s size, dtype and device."""
    if not isinstance(g, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(g).__name__}")
    if g is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if g.dtype != t.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_dt._cpp_name(g.dtype)}' to a "
            f"tensor with grad_dtype '{_TYPE_NAMES.get(t.dtype.name, t.dtype.name)}'. The "
            "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You "
            "can set the tensor's grad_dtype attribute with a specific dtype, or None to allow "
            "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
            "gradient may break downstream systems that assume they match.")
    if g._device.type != t._device.type:
        raise RuntimeError(
            f"attempting to assign a gradient with device type '{g._device.type}' to a tensor "
            f"with device type '{t._device.type}'. Please ensure that the gradient and the "
            "tensor are on the same device")
    if tuple(g.shape) != tuple(t.shape):
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g.shape)}' to a tensor of size "
            f"'{list(t.shape)}'. Please ensure that the gradient and the tensor are the same "
            "size")


def _subclassed(self: Tensor, cls: type, alias_results: bool) -> Tensor:
    """``self`` as an instance of ``cls``: a leaf that requires grad (and, with
    ``alias_results``, an op's result too, as PyTorch's subclass conversion does) becomes an
    alias in the graph (PyTorch's AliasBackward0) whose gradient reaches ``self``."""
    t = _new(cls)
    for s in Tensor.__slots__:
        if s != "__weakref__" and s != "__dict__":  # the user's attributes stay on ``self``
            setattr(t, s, getattr(self, s))
    if self._rg and (alias_results or self.grad_fn is None) and grad_mode.state.enabled:
        from .autograd.graph import node_class

        t.grad_fn = node_class("AliasBackward0")(_identity_vjp, (self._edge(),))
        t.grad_fn._odt = self._data.dtype
        t._out_nr = 0
        t._accum = t._hooks_leaf = t._post_acc_hooks = None
        t._grad = None
    return t


def _identity_vjp(g: Any) -> tuple:
    return (g,)


def c_type_name(x: Any) -> str:
    """The type name PyTorch's messages print (C's ``tp_name``: ``numpy.float32``, ``list``,
    a class written in Python by its name alone)."""
    t = type(x)
    if t.__module__ == "builtins" or t.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def _refuse_type_target(dtype: Any) -> None:
    """``Tensor.type``'s errors for a target that is no dtype, tensor type or string."""
    if isinstance(dtype, type):
        mod = dtype.__module__
        name = dtype.__qualname__ if mod == "builtins" else f"{mod}.{dtype.__qualname__}"
        raise ValueError(f"invalid type: '{name}'")
    raise TypeError("dtype must be a type, str, or dtype object")


class _TensorMeta(type):
    """Tensor's type (PyTorch's ``torch._C._TensorMeta``): ``Tensor.matmul``, ``dir(Tensor)``
    reach the methods of the lazily loaded op families, as an instance does."""

    __module__ = "ember._C"  # ``type(Tensor)`` prints as PyTorch's does

    def __getattr__(cls, name: str) -> Any:  # only reached for a missing class attribute
        if not name.startswith("__") and _load_lazy_methods is not None \
                and _load_lazy_methods():
            return type.__getattribute__(cls, name)
        raise AttributeError(f"type object '{cls.__name__}' has no attribute '{name}'")

    def __dir__(cls) -> list[str]:
        if _load_lazy_methods is not None:
            _load_lazy_methods()
        return type.__dir__(cls)


class Tensor(metaclass=_TensorMeta):
    """A multi-dimensional array with autograd, on one device, with PyTorch's API."""

    __slots__ = ("_data", "_device", "_rg", "grad_fn", "_out_nr", "_grad", "_vc", "_base",
                 "_accum", "_hooks_leaf", "_post_acc_hooks", "_view_fn", "__weakref__",
                 "__dict__")  # users set their own attributes on tensors, as in PyTorch
    __array_priority__ = 1000
    __module__ = "ember"  # ``type(t)`` prints as ``<class 'ember.Tensor'>``, as PyTorch's
    is_sparse = False
    is_quantized = False
    is_meta = property(lambda self: self._device.type == "meta",
                       doc="Whether the tensor is on the meta device (no data).")
    is_nested = False
    layout = strided

    def __new__(cls, *args: Any, device: Any = None, dtype: Any = None) -> Tensor:
        # the legacy constructor: Tensor(data) or Tensor(*sizes), default float dtype
        dt = _dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
        dev = canonical_device(device) if device is not None else CPU  # not the default
        if len(args) == 1 and not isinstance(args[0], int):
            src = args[0]
            if isinstance(src, Tensor):  # a subclass aliases it as that subclass
                return src if cls is Tensor else src.as_subclass(cls)
            if isinstance(src, str):
                raise TypeError("new(): invalid data type 'str'")
            if src.__class__ is Size:  # ``Tensor(x.size())``: a tensor of that size
                arr = np.zeros(tuple(src), dtype=dt.np)
            elif isinstance(src, (list, tuple)):  # tensors inside are numbers, as in tensor()
                arr = sequence_to_array(src, dt)
            else:
                if src is None or isinstance(src, (float, complex, np.inexact, np.bool_, dict)):
                    raise TypeError("new(): data must be a sequence (got "
                                    f"{c_type_name(src)})")
                if src.__class__ is np.ndarray:  # read through from_numpy, as PyTorch does
                    _refuse_negative_strides(src)
                arr = np.asarray(src, dtype=dt.np)
        else:
            if args and not all(isinstance(a, int) for a in args):
                raise TypeError(f"Tensor(): expected sizes as ints, got {args!r}")
            arr = np.zeros(args or (0,), dtype=dt.np)
        t = make(dev._backend.asarray(arr, index=dev.index) if dev is not CPU else arr, dev)
        if cls is not Tensor:
            t = t.as_subclass(cls)
        return t

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: methods of the lazily loaded op families
        if name.startswith("__"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        if _load_lazy_methods is not None and _load_lazy_methods():
            return object.__getattribute__(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ---------------------------------------------------------------- metadata
    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (shares memory). Unlike ``detach()`` it
        has its own version counter, as in PyTorch: autograd does not see writes through it."""
        return make(self._data, self._device)

    @data.setter
    def data(self, value: Tensor) -> None:
        try:
            arr = value._data
        except AttributeError:
            raise TypeError("Variable data has to be a tensor, but got "
                            f"{type(value).__name__}") from None
        if self._rg and not (value.dtype.is_floating_point or value.dtype.is_complex):
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._data = arr
        self._device = value._device

    @property
    def shape(self) -> Size:
        return _new_size(Size, self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return _new_size(Size, self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        try:
            return self._data.shape[self._wrap_dim(dim, "size")]
        except TypeError:  # a float or string dim: PyTorch's argument parser's words
            if dim.__class__ is int:
                raise
            t = type(dim)  # (named as ``ops.pointwise_unary.bad_arg`` names it)
            name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            raise TypeError(f"size(): argument 'dim' (position 1) must be int, not {name}") \
                from None

    @property
    def dtype(self) -> _dt.dtype:
        if self._device is CPU:  # NumPy dtypes: one dict lookup
            d = _by_np(self._data.dtype)
            return d if d is not None else _from_np(self._data.dtype)
        return self._device._backend.dtype_of(self._data)

    @property
    def device(self) -> _device_cls:
        return self._device

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.size) * self.dtype.itemsize

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    def get_device(self) -> int:
        return -1 if self._device.type == "cpu" else self._device.index

    def is_floating_point(self) -> bool:
        return self.dtype.category == _dt._FLOAT

    def is_complex(self) -> bool:
        return self.dtype.category == _dt._COMPLEX

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def is_inference(self) -> bool:
        """Whether this tensor was made under ``inference_mode`` (or is a view of one)."""
        return self._vc.__class__ is _InferenceVersion

    def _wrap_dim(self, dim: int, op: str) -> int:
        n = self._data.ndim
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{lo}, {hi}], but got {dim})")
        return dim % n if n else 0

    def type(self, dtype: Any = None, non_blocking: bool = False) -> str | Tensor:
        if dtype is None:
            prefix = "torch.cuda." if self._device.type == "cuda" else "torch."
            return prefix + _TYPE_NAMES.get(self.dtype.name, self.dtype.name) + "Tensor"
        legacy = getattr(dtype, "_legacy_dtype", None)  # ember.FloatTensor and the like
        if legacy is not None:  # the type names the device too
            return self.to("cuda" if dtype.is_cuda else "cpu", legacy)
        elif isinstance(dtype, str):
            return _type_from_string(self, dtype)
        elif not isinstance(dtype, _dt.dtype):
            _refuse_type_target(dtype)
        return self.to(dtype)

    # ---------------------------------------------------------------- strides and storage
    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        strides = getattr(self._data, "strides", None)
        if strides is None or self._data.size == 0:
            # a backend without strides: its arrays act as contiguous; NumPy gives an empty
            # array zero strides, where PyTorch's new tensors are contiguous
            st = _contiguous_strides(self._data.shape)
        else:
            isz = self._data.dtype.itemsize
            st = tuple(s // isz for s in strides)
        if dim is None:
            return st
        if not st:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return st[self._wrap_dim(dim, "stride")]

    def storage_offset(self) -> int:
        base = self._data
        while getattr(base, "base", None) is not None and isinstance(base.base, type(base)):
            base = base.base
        if base is self._data or self._device.type not in ("cpu", "cuda"):
            return 0
        return (self.data_ptr() - _ptr(base)) // self._data.dtype.itemsize

    def data_ptr(self) -> int:
        return _ptr(self._data)

    def is_contiguous(self, memory_format: memory_format = contiguous_format) -> bool:
        a = self._data
        if memory_format is channels_last or memory_format is channels_last_3d:
            from ._memory_format import is_cl_contiguous

            return is_cl_contiguous(memory_format, a.shape, self.stride())
        flags = getattr(a, "flags", None)
        return bool(flags.c_contiguous) if flags is not None else True

    def untyped_storage(self) -> Any:
        from ._storage import UntypedStorage

        return UntypedStorage._of(self)

    def storage(self) -> Any:
        """The memory block as elements of this dtype (PyTorch's deprecated TypedStorage)."""
        from ._storage import TypedStorage

        return TypedStorage._of(self)

    def share_memory_(self) -> Tensor:
        """Move a CPU tensor's data into an anonymous shared mapping, in place.

        Forked worker processes (``ember.multiprocessing`` Hogwild training) then write into the
        same memory as the parent, as with PyTorch's shared storages. Views taken before the call
        keep the old memory; CUDA tensors are left as they are (already shareable in PyTorch).
        """
        if self._device.type != "cpu" or self.is_shared():
            return self
        import mmap

        import numpy as np

        src = self._data
        buf = mmap.mmap(-1, max(src.nbytes, 1))
        dense = src.flags.c_contiguous or src.flags.f_contiguous  # keep the strides when dense
        arr = np.ndarray(src.shape, src.dtype, buffer=buf, strides=src.strides if dense else None)
        arr[...] = src
        self._data = arr
        return self

    def is_shared(self) -> bool:
        """Whether the data lives in memory shared with forked processes (see ``share_memory_``)."""
        if self._device.type != "cpu":
            return False
        import mmap

        base = self._data
        while base is not None and not isinstance(base, mmap.mmap):
            base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        return base is not None

    # ---------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value.__class__ is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if value and self.dtype.category < _dt._FLOAT:  # (the setter's words differ from _'s)
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad.__class__ is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self.dtype.category < _dt._FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._vc.__class__ is _InferenceVersion \
                and not _gm_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _is_view(self) -> bool:
        """Whether this tensor views another's memory (it has a ``_base``)."""
        return self._base is not None

    @property
    def _version(self) -> int:
        if self._vc.__class__ is _InferenceVersion:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc[0]

    @property
    def output_nr(self) -> int:
        return self._out_nr

    def _edge(self) -> tuple[Any, int]:
        """The graph edge of this tensor: its grad_fn, or its leaf accumulator."""
        if self._base is not None and self.grad_fn is not None:
            self._refresh_view()
        if self.grad_fn is not None:
            return (self.grad_fn, self._out_nr)
        if self._rg:
            acc = self._accum() if self._accum is not None else None
            if acc is None:
                if self._base is not None and getattr(getattr(self._view_fn, "replay", None),
                                                           "no_grad_view", False):
                    return (None, 0)  # a view made under no_grad: its gradient goes nowhere
                acc = AccumulateGrad(self)
                self._accum = _weakref(acc)
            return (acc, 0)
        return (None, 0)

    def _refresh_view(self) -> None:
        """A view whose base changed in place since its grad_fn was recorded (the version
        stamped on its ``_view_fn`` by ``make_view``) takes a grad_fn replayed on the base."""
        fn = self._view_fn
        v = self._vc[0]
        if fn is None or getattr(fn, "version", v) == v or not self._base._rg:
            return
        prev = grad_mode.state.enabled
        grad_mode.state.enabled = True
        try:
            regen = fn(self._base)
        except RuntimeError as e:  # a multi-output view: PyTorch blames the base's change
            msg = str(e)
            if "returns multiple views" not in msg:
                raise
            raise RuntimeError(msg.replace(
                "is being modified inplace.",
                "its base or another view of its base has been modified inplace.")) from None
        finally:
            grad_mode.state.enabled = prev
        regenerated_view(self, regen)
        fn.version = v

    def detach(self) -> Tensor:
        """A new tensor on the same data, outside the graph (shares version counter)."""
        t = make(self._data, self._device)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:  # any view, with or without grad, as PyTorch
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward`` (leaves, and non-leaves that retain it)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self.retains_grad:
            _warn_nonleaf_grad()
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.grad_fn._retains(self._out_nr):
            return
        self.grad_fn._add_tensor_hook(self._out_nr, RetainGrad(self))

    @property
    def retains_grad(self) -> bool:
        return False if self.grad_fn is None else self.grad_fn._retains(self._out_nr)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; may return a new one."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._out_nr, hook)
        if self._hooks_leaf is None:
            self._hooks_leaf = {}
        h = RemovableHandle(self._hooks_leaf)
        self._hooks_leaf[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """``hook(tensor)`` runs after the gradient is accumulated into this leaf's ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        h = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[h.id] = hook
        return h

    def _clone_data(self) -> Tensor:
        """A copy with its own array (used when a gradient is first stored)."""
        return make(self._device._backend.copy(self._data), self._device)

    def _add_inplace_grad(self, g: Tensor) -> None:
        a, b = self._data, g._data
        if a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.shape == b.shape \
                and a.dtype == b.dtype:
            try:
                np.add(a, b, out=a)  # no temporary
            except ValueError:  # read-only: the general path below gives the error
                pass
            else:
                self._vc[0] += 1
                return
        r = a + b
        if r.shape == a.shape and r.dtype == a.dtype:
            a[...] = r
            self._vc[0] += 1
        else:
            self._data = r

    def _alias_with_grad_fn(self, node: Any, out_nr: int) -> Tensor:
        t = make(self._data, self._device, True)
        t._vc = self._vc
        t.grad_fn = node
        t._out_nr = out_nr
        return t

    def as_subclass(self, cls: type) -> Tensor:
        """The same tensor as an instance of a Tensor subclass (shares data and graph)."""
        return _subclassed(self, cls, False)

    def _new_requires_grad(self) -> Tensor:
        """``requires_grad=True`` given to a factory (``torch.tensor``, ``zeros``, ``arange``,
        ...): PyTorch's words there differ from ``requires_grad_``'s."""
        if self.dtype.category < _dt._FLOAT:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        return self.requires_grad_(True)

    @staticmethod
    def _make_subclass(cls: type, data: Tensor, require_grad: bool = False, **kwargs: Any) -> Tensor:
        """PyTorch's way for a subclass's ``__new__`` to wrap ``data``: an instance of ``cls``
        sharing its memory, outside any graph, requiring grad as asked."""
        t = data.detach().as_subclass(cls)
        if require_grad:
            t.requires_grad_(True)
        return t

    # ---------------------------------------------------------------- conversion to Python
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array; shares memory on the CPU. As PyTorch, a tensor that
        requires grad converts only with grad mode off (``no_grad``) or ``force``."""
        if self._device.type != "cpu":  # checked first, as PyTorch
            if force:
                return self._device._backend.to_numpy(self._data)
            raise TypeError(
                f"can't convert {self._device} device type tensor to "
                "numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        if self._rg and not force and grad_mode.state.enabled:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.")
        if self.dtype is _dt.bfloat16:  # NumPy has no bfloat16, so PyTorch refuses
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def _host(self) -> np.ndarray:
        d = self._data
        return d if self._device is CPU else self._device._backend.to_numpy(d)

    def _host_scalar(self) -> np.ndarray:
        """``_host()`` for ``item()``/``bool()``: a meta tensor refuses with PyTorch's
        RuntimeError (``tolist()``/``numpy()`` keep the NotImplementedError of a copy)."""
        d = self._data
        if self._device is CPU:
            return d
        if self._device.type == "meta":
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return self._device._backend.to_numpy(d)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = self._host_scalar().reshape(()).item()
        return float(v) if self.dtype is _dt.bfloat16 else v

    def tolist(self) -> Any:
        h = self._host()
        if self.dtype is _dt.bfloat16:
            h = h.astype(np.float32)
        return h.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_wrap__(self, array: np.ndarray, context: Any = None,
                       return_scalar: bool = False) -> Tensor:
        """NumPy functions and ufuncs on a tensor give a CPU tensor back, as in PyTorch
        (``np.transpose(t, …)``, ``np.clip(t, 0, 1)``); bool results come back as uint8."""
        from .backends.registry import CPU

        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return make(np.asarray(array), CPU)

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        if self._rg:
            raise BufferError(
                "Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self) -> Tensor:
        """The tensor flipped along its first dim (a 0-d tensor is itself)."""
        return self if self._data.ndim == 0 else self.flip(0)

    def __contains__(self, element: Any) -> bool:
        """``element in t``: whether any element of ``t`` equals it (a scalar or a tensor
        broadcast against ``t``), as PyTorch's ``(element == t).any()``."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((element == self).any())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous")
        return bool(self._host_scalar().reshape(()))

    def __int__(self) -> int:
        return int(_real_item(self._scalar(), "int64_t"))

    __nonzero__ = __bool__  # Python 2's names, which PyTorch keeps
    __long__ = __int__

    def __delitem__(self, key: Any) -> None:
        raise TypeError("Tensor does not support deleting items")

    def __float__(self) -> float:
        if self._rg and grad_mode.state.enabled and not _warned_scalar[0]:
            _warn_scalar()
        return float(_real_item(self._scalar(), "double"))

    def _scalar(self) -> Any:
        """``item()`` for Python's int() and float(): PyTorch raises ValueError there."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __complex__(self) -> complex:
        if self._rg and grad_mode.state.enabled and not _warned_scalar[0]:
            _warn_scalar()
        return complex(self._scalar())

    def __index__(self) -> int:
        if self.dtype.category > _dt._INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __format__(self, spec: str) -> str:
        # as PyTorch: only a plain 0-d tensor with data formats as its number; others (a
        # Parameter, a user subclass, a meta tensor) as str(self), refusing any format spec
        cls = type(self)
        if self._data.ndim == 0 and cls.__dict__.get("_plain_repr", False) \
                and cls.__name__ != "Parameter" and self._device.type != "meta":
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._formatting import tensor_repr

        return tensor_repr(self, tensor_contents)

    def __str__(self) -> str:  # a subclass's own __repr__ prints it too
        return self.__repr__()

    #: a subclass that prints as ``tensor(...)`` (PyTorch: Parameter); others print their name
    _plain_repr = True

    # ---------------------------------------------------------------- copying and pickling
    def __copy__(self) -> Tensor:
        """``copy.copy``: as PyTorch's rebuild from the storage, a new leaf sharing the memory
        (requires_grad kept, no graph, no grad) with the user's attributes; a subclass with
        its own pickling (Parameter, sparse) is rebuilt by it."""
        cls = type(self)
        if cls is not Tensor and cls.__reduce_ex__ is not Tensor.__reduce_ex__:
            return copy._reconstruct(self, None, *self.__reduce_ex__(4))
        t = make(self._data, self._device, self._rg)
        if cls is not Tensor:
            t = _subclassed(t, cls, False)
        if self.__dict__:
            t.__dict__.update(self.__dict__)
        return t

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a module, "
                "this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        d = self._data
        d = _deepcopy_host(d, memo) if d.__class__ is np.ndarray \
            else self._device._backend.copy(d)
        t = make(d, self._device, self._rg)
        if type(self) is not Tensor:
            t = t.as_subclass(type(self))
        if self.__dict__:  # the user's own attributes are copied too, as PyTorch's
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = t
        if self.grad is not None:
            t.grad = copy.deepcopy(self.grad, memo)
        return t

    def __reduce_ex__(self, protocol: int) -> tuple:
        arr = self._host()
        if arr.ndim > 1 and not arr.flags.c_contiguous or arr.ndim > 1 and 1 in arr.shape:
            laid = _laid_out_copy(arr)  # a permuted layout travels as it is, as PyTorch's
            if laid is not None:
                return (_rebuild_laid, (*laid, str(self._device), self._rg, type(self)),
                        self.__dict__ or None)
        # the user's own attributes travel as the state, as PyTorch's
        return (_rebuild, (arr.copy(), str(self._device), self._rg, type(self)),
                self.__dict__ or None)

    # ------------------------------------------------ PyTorch's other device and layout flags
    # Ember tensors live on the CPU, a CUDA GPU or the meta device, strided (or sparse COO,
    # a subclass that overrides the sparse accessors below)
    is_xpu = is_mps = is_mtia = is_ipu = is_maia = is_vulkan = is_xla = is_mkldnn = False
    is_sparse_csr = False
    #: PyTorch's tensor name (only named tensors, which Ember lacks, have one)
    name = None

    @property
    def grad_dtype(self) -> Any:
        """The dtype a gradient of this leaf is given: its own."""
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        return self.dtype

    def xpu(self, device: Any = None, non_blocking: bool = False,
            memory_format: Any = None) -> Tensor:
        raise AssertionError("Torch not compiled with XPU enabled")

    def mtia(self, device: Any = None, non_blocking: bool = False,
             memory_format: Any = None) -> Tensor:
        from .mtia import _NOT_COMPILED

        raise AssertionError(_NOT_COMPILED)

    def ipu(self, device: Any = None, non_blocking: bool = False,
            memory_format: Any = None) -> Tensor:
        raise RuntimeError("PyTorch is not linked with support for ipu devices")

    def record_stream(self, stream: Any) -> None:
        """Mark a CUDA tensor as in use by ``stream``: Ember's CUDA ops run on one stream per
        device, so there is nothing to record; anything but a stream is PyTorch's error."""
        if self._device.type != "cuda" or not hasattr(stream, "synchronize"):
            raise RuntimeError("unknown parameter type")

    def _not_sparse(self, op: str, coo: bool = True) -> RuntimeError:
        kind = "sparse coordinate tensor" if coo else "sparse tensor"
        return RuntimeError(f"{op} expected {kind} layout but got Strided")

    def is_coalesced(self) -> bool:
        raise self._not_sparse("is_coalesced")

    def coalesce(self) -> Tensor:
        raise self._not_sparse("coalesce")

    def indices(self) -> Tensor:
        raise self._not_sparse("indices")

    def values(self) -> Tensor:
        raise self._not_sparse("values", coo=False)

    def sparse_dim(self) -> int:
        """0 for a strided tensor: every dimension is dense."""
        return 0

    def dense_dim(self) -> int:
        return self.ndim

    def crow_indices(self) -> Tensor:
        raise RuntimeError("crow_indices expected sparse row compressed tensor layout but got "
                           "Strided")

    def col_indices(self) -> Tensor:
        raise RuntimeError("col_indices expected sparse row compressed tensor layout but got "
                           "Strided")


def _deepcopy_host(d: np.ndarray, memo: dict) -> np.ndarray:
    """A NumPy tensor's data deep-copied as PyTorch copies its storage: the whole buffer it
    views, copied once per ``deepcopy`` call (views copied together still share it), with
    the view's offset and strides kept."""
    from ._storage import _root_buffer

    root = _root_buffer(d)
    if root.__class__ is not np.ndarray or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return np.copy(d, order="K")
    key = ("ember.storage", id(root))  # memo's keys are ints: a tuple never collides
    new = memo.get(key)
    if new is None:
        new = np.copy(root, order="K")  # a permuted buffer keeps its layout, as PyTorch's
        memo[key] = new
        memo.setdefault(id(memo), []).append(root)  # kept alive while its id is a key
    if d is root:
        return new
    offset = d.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    flat = new.reshape(-1, order="A").view(np.uint8)
    return np.ndarray(d.shape, d.dtype, buffer=flat, offset=offset, strides=d.strides)


def _rebuild(arr: np.ndarray, device: str, requires_grad: bool, cls: type = Tensor) -> Tensor:
    dev = canonical_device(device)
    data = arr if dev is CPU else dev._backend.asarray(arr, index=dev.index)
    t = make(data, dev, requires_grad)
    return t if cls is Tensor else t.as_subclass(cls)


def _laid_out_copy(arr: np.ndarray) -> tuple | None:
    """A dense, permuted ``arr`` as (its elements in memory order, shape, element strides);
    None for another layout (sliced, expanded, flipped: sent as a C-ordered copy)."""
    isz, shape = arr.itemsize, arr.shape
    st = tuple(s // isz for s in arr.strides)
    if not arr.size or any(s < 0 for s in st) or st == _contiguous_strides(shape):
        return None
    order = sorted(range(arr.ndim), key=lambda d: -st[d])  # memory order of the dims
    n = 1
    for d in reversed(order):
        if shape[d] != 1 and st[d] != n:
            return None  # a gap or an overlap: not dense
        n *= shape[d]
    return np.ascontiguousarray(arr.transpose(order)).reshape(-1), shape, st


def _rebuild_laid(buf: np.ndarray, shape: tuple, strides: tuple, device: str,
                  requires_grad: bool, cls: type = Tensor) -> Tensor:
    """A pickled tensor of a permuted layout: ``buf`` viewed with its strides again."""
    arr = np.ndarray(shape, dtype=buf.dtype, buffer=buf, strides=[s * buf.itemsize
                                                                    for s in strides])
    return _rebuild(arr, device, requires_grad, cls)


def _ptr(a: Any) -> int:
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    data = getattr(a, "data", None)
    return int(getattr(data, "ptr", 0) or 0)


