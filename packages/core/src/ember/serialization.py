"""``ember.save`` / ``ember.load``: PyTorch's checkpoint format, both ways, loaded safely.

The format is PyTorch's zip: ``<name>/data.pkl`` (pickle protocol 2) whose tensors
are ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` calls
with persistent ids naming storage records ``<name>/data/<key>`` (raw little-endian
bytes); views of one buffer share one record. PyTorch's legacy (pre-1.6) stream
format is read too.

``weights_only=True`` (the default) never runs code from the file: a restricted
unpickler allows tensors, storages, containers, numbers, strings and what
``add_safe_globals`` adds, and refuses anything else with PyTorch's error
(``pickle.UnpicklingError``, also reachable as ``UnsafeCheckpointError``).
Saving is atomic: a temporary file in the same folder, fsync, rename.
"""

from __future__ import annotations

import _compat_pickle
import collections
import enum
import importlib
import io
import mmap as _mmap
import os
import pickle
import pickletools
import struct
import sys
import tempfile
import types
import warnings
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from . import dtypes as _dt
from ._device import device as _device_cls
from ._storage import TypedStorage, UntypedStorage, _root_buffer
from ._tensor import Size, Tensor, _contiguous_strides, make
from ._tensor import layout as _layout
from .backends.registry import CPU, canonical_device
from .random import Generator

__all__ = ["save", "load", "UnsafeCheckpointError", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "skip_data", "save_file", "load_file",
           "get_unsafe_globals_in_checkpoint", "DEFAULT_PROTOCOL", "SourceChangeWarning",
           "default_restore_location", "LoadEndianness", "get_default_load_endianness",
           "set_default_load_endianness", "get_default_mmap_options", "set_default_mmap_options",
           "MAP_PRIVATE", "MAP_SHARED"]

_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UInt16Storage": "uint16",
    "UInt32Storage": "uint32", "UInt64Storage": "uint64",
}
_DTYPE_STORAGE = {v: k for k, v in _STORAGE_DTYPES.items()}
_TORCH_DTYPES = {"float32": "float32", "float": "float32", "float64": "float64",
                 "double": "float64", "float16": "float16", "half": "float16",
                 "bfloat16": "bfloat16", "int64": "int64", "long": "int64", "int32": "int32",
                 "int": "int32", "int16": "int16", "short": "int16", "int8": "int8",
                 "uint8": "uint8", "bool": "bool", "complex64": "complex64",
                 "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
                 "uint16": "uint16", "uint32": "uint32", "uint64": "uint64"}
DEFAULT_PROTOCOL = 2  # the pickle protocol checkpoints are written with, as PyTorch's
_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


# What a weights-only load raises when a checkpoint asks for something it does not allow:
# PyTorch raises ``pickle.UnpicklingError`` itself, so this name is an alias kept for callers
UnsafeCheckpointError = pickle.UnpicklingError

_UNSAFE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
           "`ember.load` from `False` to `True`. Re-running `ember.load` with `weights_only` set "
           "to `False` will likely succeed, but it can result in arbitrary code execution. Do it "
           "only if you got the file from a trusted source.")  # PyTorch's words, for ember.load
_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by "
         "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_FILE_ISSUE = ("Please file an issue with the following so that we can make `weights_only=True` "
               "compatible with your use case: ")
_WEIGHTS_ONLY = "Weights only load failed."
# modules never allowed, even through add_safe_globals (PyTorch's list)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def _weights_only_error(detail: str, full: str | None = None) -> pickle.UnpicklingError:
    """PyTorch's weights-only failure, in its layout: for a global that may be allowlisted
    (``full``), the two options; otherwise the reason after the warning."""
    if full is not None:
        if full.startswith("builtins."):  # PyTorch names a builtin bare
            full = full[len("builtins."):]
        return pickle.UnpicklingError(
            f"{_WEIGHTS_ONLY} This file can still be loaded, to do so you have two options, "
            "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
            f"\n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with `weights_only=True` please "
            "check the recommended steps in the following error message.\n\tWeightsUnpickler "
            f"error: Unsupported global: GLOBAL {full} was not an allowed global by default. "
            f"Please use `ember.serialization.add_safe_globals([{full}])` or the "
            f"`ember.serialization.safe_globals([{full}])` context manager to allowlist this "
            f"global if you trust this class/function.{_DOCS}")
    if detail.startswith("WeightsUnpickler error:"):  # not a blocked module: PyTorch's plea
        detail = _FILE_ISSUE + detail
    return pickle.UnpicklingError(f"{_WEIGHTS_ONLY} {_UNSAFE}\n{detail}{_DOCS}")


_user_safe: dict[str, Any] = {}


def add_safe_globals(safe_globals: list[Any]) -> None:
    """Allow these classes/functions (or ``(obj, "module.name")`` pairs) in weights-only loads."""
    for g in safe_globals:
        if isinstance(g, tuple):
            obj, name = g
        else:
            obj, name = g, f"{g.__module__}.{g.__qualname__}"
        _user_safe[name] = obj


def get_safe_globals() -> list[Any]:
    return list(_user_safe.values())


def clear_safe_globals() -> None:
    _user_safe.clear()


class LoadEndianness(enum.Enum):
    """The byte order a checkpoint without a ``byteorder`` record is read in."""

    NATIVE = 1
    LITTLE = 2
    BIG = 3


# PyTorch's load options (torch.utils.serialization.config.load): the fallback byte order
# and how ``mmap=True`` maps the file (private copy-on-write, or shared with the file)
MAP_PRIVATE = getattr(_mmap, "MAP_PRIVATE", 2)
MAP_SHARED = getattr(_mmap, "MAP_SHARED", 1)
_load_config: dict[str, Any] = {"endianness": None, "mmap_flags": MAP_PRIVATE,
                                "skip_data": False}


def get_default_load_endianness() -> LoadEndianness | None:
    return _load_config["endianness"]


def set_default_load_endianness(endianness: LoadEndianness | None) -> None:
    if not isinstance(endianness, LoadEndianness) and endianness is not None:
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _load_config["endianness"] = endianness


def get_default_mmap_options() -> int:
    return _load_config["mmap_flags"]


class set_default_mmap_options:
    """Set how ``load(..., mmap=True)`` maps files (``MAP_PRIVATE`` or ``MAP_SHARED``), as a
    call or, restoring the previous flags on exit, a context manager."""

    def __init__(self, flags: int) -> None:
        if flags != MAP_PRIVATE and flags != MAP_SHARED:
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")
        self.prev = _load_config["mmap_flags"]
        _load_config["mmap_flags"] = flags

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _load_config["mmap_flags"] = self.prev


class skip_data:
    """Context manager: ``save`` writes storages' records without their bytes (zeros), and
    ``load`` leaves the storages it makes unfilled (zeros here), as PyTorch's prototype."""

    def __init__(self, materialize_fake_tensors: bool = False) -> None:
        self.materialize_fake_tensors = materialize_fake_tensors

    def __enter__(self) -> None:
        self._old = _load_config["skip_data"]
        _load_config["skip_data"] = True

    def __exit__(self, *exc: Any) -> None:
        _load_config["skip_data"] = self._old


class safe_globals:
    """Context manager: ``add_safe_globals`` for the duration of a block."""

    def __init__(self, globals_list: list[Any]) -> None:
        self.globals_list = globals_list

    def __enter__(self) -> None:
        self._saved = dict(_user_safe)
        add_safe_globals(self.globals_list)

    def __exit__(self, *exc: Any) -> None:
        _user_safe.clear()
        _user_safe.update(self._saved)


# ------------------------------------------------------------------ saving
class _Global:
    """A placeholder written as ``GLOBAL module name`` (PyTorch's names, without PyTorch).
    One instance per name, so the pickler's memo writes each name once, as PyTorch's does."""

    _made: dict[tuple[str, str], _Global] = {}

    def __new__(cls, module: str, name: str) -> _Global:
        self = cls._made.get((module, name))
        if self is None:
            self = cls._made[(module, name)] = super().__new__(cls)
            self.module, self.name = module, name
        return self

    def __call__(self, *args: Any) -> Any:  # pickle wants reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints only")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_TENSOR_V3 = _Global("torch._utils", "_rebuild_tensor_v3")
_UNTYPED_STORAGE = _Global("torch.storage", "UntypedStorage")
_REBUILD_FROM_TYPE = _Global("torch._tensor", "_rebuild_from_type_v2")
# dtypes PyTorch has no typed storage class for: it writes their storages as untyped bytes
# rebuilt by ``_rebuild_tensor_v3(..., dtype)``, and cannot read them back as ``UInt16Storage``
_UNTYPED_DTYPES = frozenset({"uint16", "uint32", "uint64"})
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = collections.OrderedDict


class _StorageRef:
    __slots__ = ("key", "dtype", "numel", "location")

    def __init__(self, key: str, dtype: str, numel: int, location: str) -> None:
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location


class _UntypedRef(_StorageRef):
    """An ``UntypedStorage`` saved as itself: PyTorch's untyped record of its bytes."""

    __slots__ = ()


def _storage_ref(st: TypedStorage | UntypedStorage, storages: dict) -> _StorageRef:
    """A storage saved as itself: its buffer's record (shared with tensors over the same
    buffer and the same dtype), as PyTorch's pickler writes a storage."""
    typed = isinstance(st, TypedStorage)
    untyped = st._untyped_storage if typed else st
    buf = untyped._buffer
    host = buf if isinstance(buf, np.ndarray) else untyped.device._backend.to_numpy(buf)
    root = _root_buffer(host)
    dtype = st.dtype.name if typed else "uint8"
    _check_one_dtype_per_storage(storages, root, dtype)
    if id(root) not in storages:
        npd = np.dtype(np.uint16) if dtype == "bfloat16" else _np_dtype(dtype)
        flat = np.ascontiguousarray(root).reshape(-1).view(npd)
        storages[id(root)] = (str(len(storages) - (None in storages)), flat, dtype)
    key, flat = storages[id(root)][0], storages[id(root)][1]
    location = "cpu" if untyped.device.type == "cpu" else str(untyped.device)
    return (_StorageRef if typed else _UntypedRef)(key, dtype, flat.size, location)


class _Pickler(pickle._Pickler):  # the Python pickler lets GLOBALs be written by name
    def __init__(self, file: BinaryIO, storages: dict, legacy: bool = False,
                 memo: dict | None = None, protocol: int = DEFAULT_PROTOCOL) -> None:
        super().__init__(file, protocol=protocol)
        self._storages = storages  # id(root buffer) -> (key, root array, dtype)
        self._placeholders: dict = {}
        self._legacy = legacy  # the pre-1.6 stream's ids carry a sixth item, view metadata
        # _reduce_for_save's memo: a tensor met inside an object (a namedtuple, a module's
        # __dict__) gets the same reduce object as where the container walk met it
        self._reduce_memo = {} if memo is None else memo
        self._keep: list = []

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageRef):
            if obj.dtype in _UNTYPED_DTYPES or type(obj) is _UntypedRef:
                nbytes = obj.numel * _np_dtype(obj.dtype).itemsize
                pid = ("storage", _UNTYPED_STORAGE, obj.key, obj.location, nbytes)
            else:
                pid = ("storage", _Global("torch", _DTYPE_STORAGE[obj.dtype]), obj.key,
                       obj.location, obj.numel)
            return pid + (None,) if self._legacy else pid
        return None

    def save_global(self, obj: Any, name: str | None = None) -> None:
        qualname = name or getattr(obj, "__qualname__", "")
        if "<locals>" in qualname:  # the C pickler's (and so PyTorch's) error
            raise AttributeError(f"Can't pickle local object {qualname!r}")
        try:
            super().save_global(obj, name)
        except pickle.PicklingError:  # the C pickler's (PyTorch's) words for the same failure
            pickle.dumps(obj, protocol=self.proto)
            raise

    # the base class's dispatch table holds its own save_global: route functions through ours
    dispatch = {**pickle._Pickler.dispatch, types.FunctionType: save_global}

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, _Global):
            x = self.memo.get(id(obj))
            if x is not None:
                self.write(self.get(x[0]))
                return
            self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
            self.memoize(obj)
            return
        if isinstance(obj, _REDUCED_TYPES):  # not reached by the container walk
            self._keep.append(obj)  # the memo is by id: keep a temporary's id from reuse
            obj = _reduce_for_save(obj, self._storages, self._reduce_memo)
            if isinstance(obj, _Global):
                self.save(obj)
                return
        super().save(obj, save_persistent_id)


def _reduce_for_save(obj: Any, storages: dict, memo: dict) -> Any:
    """Replace tensors, dtypes and devices by PyTorch-compatible reduce tuples."""
    oid = id(obj)
    if oid in memo:
        return memo[oid]
    if isinstance(obj, Tensor) and obj.is_meta:
        out = _MetaReduce(obj)
    elif isinstance(obj, Tensor) and hasattr(type(obj), "cls_to_become"):
        out = obj  # a lazy module's placeholder: no data, pickled by its own __reduce_ex__
    elif isinstance(obj, Tensor):
        out = _SparseReduce(obj, storages) if obj.layout.name != "strided" else \
            _TensorReduce(obj, storages)
        # a subclass, or a tensor given Python attributes, keeps them (PyTorch's state)
        if not obj.is_sparse and getattr(obj, "__dict__", None):
            out.state = _reduce_for_save(obj.__dict__, storages, memo)
    elif isinstance(obj, _dt.dtype):
        out = _Global("torch", obj.name)
    elif isinstance(obj, _device_cls):
        out = _DeviceReduce(str(obj))
    elif isinstance(obj, Size):
        out = _SizeReduce(tuple(obj))
    elif isinstance(obj, (TypedStorage, UntypedStorage)):
        out = _storage_ref(obj, storages)
    elif type(obj) is _layout:  # PyTorch writes torch.strided & co. by their printed name
        out = _LayoutReduce(obj.name)
    elif isinstance(obj, Generator):
        out = _GeneratorReduce(obj, _TensorReduce(obj.get_state(), storages))
    elif isinstance(obj, enum.Enum) and not isinstance(_class_global(type(obj)), type):
        out = _EnumReduce(obj)  # an Ember enum (a box format) under PyTorch's name
    elif type(obj) in (dict, collections.OrderedDict):
        new = type(obj)((k, _reduce_for_save(v, storages, memo)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            new._metadata = obj._metadata
        out = new
    elif type(obj) is list:
        out = [_reduce_for_save(v, storages, memo) for v in obj]
    elif type(obj) is tuple:
        out = tuple(_reduce_for_save(v, storages, memo) for v in obj)
    else:
        out = obj
    memo[oid] = out
    return out


# what _reduce_for_save writes under PyTorch's names wherever the pickler meets it
_REDUCED_TYPES = (Tensor, _dt.dtype, _device_cls, Size, Generator, enum.Enum, _layout,
                  TypedStorage, UntypedStorage)


def _check_one_dtype_per_storage(storages: dict, root: np.ndarray, dtype: str) -> None:
    """PyTorch refuses to save two views of one buffer with different dtypes."""
    # the None slot: buffer id -> (dtype name, buffer), the buffer held so its id stays unique
    seen = storages.setdefault(None, {})
    if seen.setdefault(id(root), (dtype, root))[0] != dtype:
        raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                           "as different types")


class _TensorReduce:
    def __init__(self, t: Tensor, storages: dict) -> None:
        self.t = t
        self.state: dict = {}  # a subclass's attributes, set by _reduce_for_save
        arr = t._host()
        root = _root_buffer(arr)
        key_id = id(root)  # tensors viewing one buffer share one storage record, as in PyTorch
        _check_one_dtype_per_storage(storages, root, t.dtype.name)
        if t.dtype is _dt.bfloat16:
            arr = arr.view(np.uint16)
            if root.dtype.itemsize == 2 and root.flags.c_contiguous:
                root = root.reshape(-1).view(np.uint16)
        isz = arr.dtype.itemsize
        shareable = (root.flags.c_contiguous and root.dtype == arr.dtype
                     and all(s % isz == 0 and s >= 0 for s in arr.strides))
        if shareable:  # an empty view keeps its storage too, as in PyTorch
            offset = (arr.__array_interface__["data"][0] - root.__array_interface__["data"][0])
            shareable = 0 <= offset <= root.nbytes and offset % isz == 0
        self.size = tuple(arr.shape)
        if shareable:  # NumPy gives an empty array zero strides: PyTorch's are its own
            self.stride = tuple(s // isz for s in arr.strides) if arr.size else tuple(t.stride())
            root = root.reshape(-1)
        else:  # a contiguous copy of its own (ascontiguousarray would make 0-d arrays 1-d)
            root = np.ascontiguousarray(arr).reshape(-1)
            key_id = id(root)
            offset = 0
            self.stride = _contiguous_strides(self.size)
        if key_id not in storages:
            storages[key_id] = (str(len(storages) - (None in storages)), root, t.dtype.name)
        self.key, root = storages[key_id][0], storages[key_id][1]
        self.numel = root.size
        self.offset = offset // isz
        self.location = "cpu" if t._device is CPU else str(t._device)

    def __reduce__(self) -> tuple:
        ref = _StorageRef(self.key, self.t.dtype.name, self.numel, self.location)
        args = (ref, self.offset, self.size, self.stride, self.t.requires_grad,
                collections.OrderedDict())
        if _is_parameter(self.t):
            inner = _TensorReduceNoParam(args)
            if self.state:  # a parameter given Python attributes keeps them, as in PyTorch
                return (_Global("torch._utils", "_rebuild_parameter_with_state"),
                        (inner, self.t.requires_grad, collections.OrderedDict(), self.state))
            return (_REBUILD_PARAMETER, (inner, self.t.requires_grad, collections.OrderedDict()))
        if self.t.dtype.name in _UNTYPED_DTYPES:
            plain = (_REBUILD_TENSOR_V3, args + (_Global("torch", self.t.dtype.name),))
        else:
            plain = (_REBUILD_TENSOR, args)
        if type(self.t) is Tensor and not self.state:
            return plain
        # a user's Tensor subclass keeps its class and attributes, as PyTorch writes it
        return (_REBUILD_FROM_TYPE, (plain[0], _class_global(type(self.t)), plain[1],
                                     self.state))


class _GeneratorReduce:
    """A generator as PyTorch writes it: ``torch._C.Generator(device)`` with the state
    ``(seed, offset, state tensor)``."""

    def __init__(self, g: Generator, state: _TensorReduce) -> None:
        self.g, self.state = g, state

    def __reduce__(self) -> tuple:
        return (_Global("torch._C", "Generator"), (_DeviceReduce(str(self.g.device)),),
                (self.g.initial_seed(), None, self.state))


class _EnumReduce:
    def __init__(self, member: enum.Enum) -> None:
        self.member = member

    def __reduce__(self) -> tuple:
        return (_class_global(type(self.member)), (self.member.value,))


def _class_global(cls: type) -> Any:
    """Ember's own classes are written under PyTorch's names (``ember.vision.tv_tensors``
    as ``torchvision.tv_tensors``), which loading maps back; a user's class as itself."""
    module = cls.__module__
    for ours, theirs in (("ember.vision", "torchvision"), ("ember", "torch")):
        if module == ours or module.startswith(ours + "."):
            return _Global(theirs + module[len(ours):], cls.__qualname__)
    return cls


class _MetaReduce:
    """A meta tensor has no storage: PyTorch writes only its dtype, size and stride."""

    def __init__(self, t: Tensor, as_parameter: bool = True) -> None:
        self.t, self.as_parameter = t, as_parameter

    def __reduce__(self) -> tuple:
        t = self.t
        if self.as_parameter and _is_parameter(t):
            return (_REBUILD_PARAMETER, (_MetaReduce(t, False), t.requires_grad,
                                         collections.OrderedDict()))
        return (_Global("torch._utils", "_rebuild_meta_tensor_no_storage"),
                (_Global("torch", t.dtype.name), tuple(t.shape), tuple(t.stride()),
                 t.requires_grad if self.as_parameter else False))


def _is_parameter(t: Tensor) -> bool:
    return getattr(type(t), "_is_parameter", False) or type(t).__name__ == "Parameter"


def _rebuild_meta_tensor_no_storage(dtype: _dt.dtype, size: tuple, stride: tuple,
                                    requires_grad: bool) -> Tensor:
    from .ops.creation import empty_strided

    return empty_strided(tuple(size), tuple(stride), dtype=dtype, device="meta",
                         requires_grad=requires_grad)


class _TensorReduceNoParam:
    def __init__(self, args: tuple) -> None:
        self.args = args

    def __reduce__(self) -> tuple:
        args = (self.args[0], self.args[1], self.args[2], self.args[3], False, self.args[5])
        if self.args[0].dtype in _UNTYPED_DTYPES:
            return (_REBUILD_TENSOR_V3, args + (_Global("torch", self.args[0].dtype),))
        return (_REBUILD_TENSOR, args)


class _DeviceReduce:
    def __init__(self, s: str) -> None:
        self.s = s

    def __reduce__(self) -> tuple:
        return (_Global("torch", "device"), (self.s,))


class _SparseReduce:
    """A COO tensor as PyTorch writes it: ``_rebuild_sparse_tensor(torch.sparse_coo,
    (indices, values, size, is_coalesced))``."""

    def __init__(self, t: Tensor, storages: dict) -> None:
        det = t.detach()
        self.layout = t.layout.name
        if self.layout != "sparse_coo":  # CSR & co.: (compressed, plain, values, size)
            parts = (det.crow_indices(), det.col_indices()) if self.layout.endswith("sr") \
                else (det.ccol_indices(), det.row_indices())
            self.args = (*(_TensorReduce(p, storages) for p in parts),
                         _TensorReduce(det.values(), storages), _SizeReduce(tuple(t.shape)))
            return
        self.args = (_TensorReduce(det._indices(), storages),
                     _TensorReduce(det._values(), storages), _SizeReduce(tuple(t.shape)),
                     t.is_coalesced())

    def __reduce__(self) -> tuple:
        return (_Global("torch._utils", "_rebuild_sparse_tensor"),
                (_LayoutReduce(self.layout), self.args))


class _LayoutReduce:
    def __init__(self, name: str = "sparse_coo") -> None:
        self.name = name

    def __reduce__(self) -> tuple:
        return (_Global("torch.serialization", "_get_layout"), (f"torch.{self.name}",))


def _rebuild_sparse_tensor(layout: Any, data: tuple) -> Tensor:
    if layout.name != "sparse_coo":
        from .ops.sparse_compressed import sparse_compressed_tensor

        return sparse_compressed_tensor(*data, layout=layout, check_invariants=False)
    from .ops.sparse_coo import sparse_coo_tensor

    indices, values, size, coalesced = data
    return sparse_coo_tensor(indices, values, size, check_invariants=False,
                             is_coalesced=coalesced)


def _get_layout(name: str) -> Any:
    """A layout by its printed name (``"torch.sparse_coo"``), as PyTorch's files give it."""
    from ._tensor import strided
    from .ops.sparse_compressed import _LAYOUTS
    from .ops.sparse_coo import sparse_coo

    layouts = {"torch.sparse_coo": sparse_coo, "torch.strided": strided,
               **{f"torch.{n}": lay for n, lay in _LAYOUTS.items()}}
    if name not in layouts:
        raise RuntimeError(f"Unsupported layout {name} in the checkpoint")
    return layouts[name]


class _SizeReduce:
    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def __reduce__(self) -> tuple:
        return (_Global("torch", "Size"), (self.shape,))


def _records(storages: dict) -> list:
    """The (key, root array, dtype) storage records, without the dtype bookkeeping slot."""
    return [v for k, v in storages.items() if k is not None]


def _write_zip(obj: Any, f: BinaryIO, prefix: str, protocol: int = DEFAULT_PROTOCOL) -> None:
    storages: dict = {}
    memo: dict = {}
    payload = _reduce_for_save(obj, storages, memo)
    buf = io.BytesIO()
    _Pickler(buf, storages, memo=memo, protocol=protocol).dump(payload)
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little")]
    for key, root, _dtype in _records(storages):  # in the order met, as PyTorch writes them
        arr = root if sys.byteorder == "little" else root.byteswap()
        records.append((f"data/{key}", bytes(root.nbytes) if _load_config["skip_data"]
                        else np.ascontiguousarray(arr).tobytes()))
    records.append(("version", b"3\n"))
    serial = int.from_bytes(os.urandom(17), "little") % 10 ** 40  # 40 digits, as PyTorch's
    records.append((".data/serialization_id", f"{serial:040d}".encode()))
    if sum(len(data) + 200 for _, data in records) >= _ZIP32_LIMIT:
        _write_zip64(records, f, prefix)
    else:
        _write_zip_like_pytorch(records, f, prefix)


# a record or offset past this needs zip64 fields, where PyTorch's (miniz) layout is not kept
_ZIP32_LIMIT = 0xFFFFFFFF


def _write_zip_like_pytorch(records: list, f: BinaryIO, prefix: str) -> None:
    """Stored records laid out byte for byte as PyTorch's writer (miniz) lays them out, so
    files have PyTorch's sizes: local headers with zeroed sizes padded ("FB" extra) to put
    each record's bytes on a 64-byte boundary, a data descriptor after each record, a
    central directory without extras, then zip64 end records and the end record."""
    pos, central = 0, []
    for name, data in records:
        fname = f"{prefix}/{name}".encode()
        pad = (-(pos + 30 + len(fname) + 4)) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = zlib.crc32(data)
        # UTF-8 names; a data descriptor (flag bit 3) follows all but an empty record
        flags, descriptor = (0x0808, 16) if len(data) else (0x0800, 0)
        f.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 0, flags, 0, 0, 0, 0, 0, 0,
                            len(fname), len(extra)) + fname + extra)
        f.write(data)
        if descriptor:
            f.write(struct.pack("<4s3L", b"PK\x07\x08", crc, len(data), len(data)))
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 0, 0, flags, 0, 0, 0, crc,
                                   len(data), len(data), len(fname), 0, 0, 0, 0, 0, pos) + fname)
        pos += 30 + len(fname) + len(extra) + len(data) + descriptor
    directory = b"".join(central)
    n, end64 = len(records), pos + len(directory)
    f.write(directory)
    f.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 0x031E, 45, 0, 0, n, n,
                        len(directory), pos))
    f.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1))
    f.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(directory), pos, 0))


def _write_zip64(records: list, f: BinaryIO, prefix: str) -> None:
    """Records past 4 GiB: Python's zip writer with zip64 fields, bytes still aligned."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, data in records:
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            # pad the local header so each record's bytes start on a 64-byte boundary
            header = 30 + len(info.filename.encode())
            pos = f.tell() if hasattr(f, "tell") else 0
            pad = (-(pos + header + 4)) % 64
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            z.writestr(info, data)


def _write_legacy(obj: Any, f: BinaryIO, protocol: int = DEFAULT_PROTOCOL) -> None:
    """PyTorch's pre-1.6 stream: magic, protocol, sys info, the pickle, the storage keys,
    then each storage as its element count (int64) and raw little-endian bytes."""
    storages: dict = {}
    memo: dict = {}
    payload = _reduce_for_save(obj, storages, memo)
    sys_info = {"protocol_version": _LEGACY_PROTOCOL, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for head in (_MAGIC, _LEGACY_PROTOCOL, sys_info):
        pickle.dump(head, f, protocol=protocol)
    _Pickler(f, storages, legacy=True, memo=memo, protocol=protocol).dump(payload)
    records = sorted(_records(storages), key=lambda s: s[0])
    pickle.dump([key for key, _, _ in records], f, protocol=protocol)
    for _key, root, _dtype in records:
        arr = root if sys.byteorder == "little" else root.byteswap()
        f.write(struct.pack("<q", root.nbytes if _dtype in _UNTYPED_DTYPES else root.size))
        f.write(np.ascontiguousarray(arr).tobytes())


def _check_zip_target(path: str) -> None:
    """PyTorch's zip writer refuses a missing parent folder or a folder as the file, with
    RuntimeError, before pickling anything."""
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    if os.path.isdir(path):
        raise RuntimeError(f"File {path} cannot be opened: open file failed with strerror: "
                           "Is a directory")


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module: Any = None,
         pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` in PyTorch's checkpoint format; a path is written atomically.

    ``_use_new_zipfile_serialization=False`` writes PyTorch's legacy (pre-1.6) stream."""
    if not _use_new_zipfile_serialization:
        def write(obj: Any, out: BinaryIO, prefix: str) -> None:
            if _load_config["skip_data"]:
                raise RuntimeError(
                    "Cannot use skip_data=True with _use_new_zipfile_serialization=False")
            _write_legacy(obj, out, pickle_protocol)
    else:
        def write(obj: Any, out: BinaryIO, prefix: str) -> None:
            _write_zip(obj, out, prefix, pickle_protocol)
    if not isinstance(f, (str, os.PathLike)):
        if not hasattr(f, "write"):
            raise AttributeError("expected 'f' to be string, path, or a file-like object with "
                                 "a 'write' attribute")
        write(obj, f, "archive")
        return
    path = os.fspath(f)
    if _use_new_zipfile_serialization:
        _check_zip_target(path)
    elif not os.path.isdir(os.path.dirname(path) or "."):  # open(path, "wb")'s error
        raise FileNotFoundError(2, "No such file or directory", path)
    folder = os.path.dirname(os.path.abspath(path))
    prefix = os.path.splitext(os.path.basename(path))[0] or "archive"
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            write(obj, out, prefix)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


# ------------------------------------------------------------------ loading
class _StorageType:
    """What ``GLOBAL torch FloatStorage`` resolves to when loading."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGE_DTYPES.get(name, "uint8")  # UntypedStorage: raw bytes


def _np_dtype(name: str) -> Any:
    return _dt.to_dtype(name).np


def _rebuild_tensor_v2(storage: Any, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None,
                       metadata: Any = None) -> Tensor:
    if isinstance(storage, _LegacyStorage):  # its bytes come after the pickle
        return _LegacyTensor((storage, storage_offset, size, stride, requires_grad, metadata))
    arr, dtype_name, device = storage
    isz = arr.dtype.itemsize
    size, stride = tuple(size), tuple(stride)
    if size and any(s == 0 for s in size):  # an empty view still keeps its storage
        offset = min(max(storage_offset, 0), arr.size) * isz
        view = np.ndarray(size, dtype=arr.dtype, buffer=arr, offset=offset,
                          strides=tuple(max(s, 0) * isz for s in stride))
    else:
        extent = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if size \
            else storage_offset + 1
        if extent > arr.size or storage_offset < 0 or any(s < 0 for s in stride):
            raise ValueError(
                f"checkpoint tensor of size {list(size)} and stride {list(stride)} at offset "
                f"{storage_offset} does not fit its storage of {arr.size} elements")
        # an ndarray over ``arr`` keeps it as the base: views share it and know their offset
        view = np.ndarray(size, dtype=arr.dtype, buffer=arr, offset=storage_offset * isz,
                          strides=tuple(s * isz for s in stride))
    if dtype_name == "bfloat16":
        view = view.view(_dt.bfloat16.np)
    if metadata:  # PyTorch's lazy conj/neg bits: Ember's tensors hold resolved values
        if metadata.get("neg"):
            view = np.negative(view)
        if metadata.get("conj"):
            view = np.conj(view)
    dev = canonical_device(device)
    data = view if dev is CPU else dev._backend.asarray(np.ascontiguousarray(view),
                                                        index=dev.index)
    t = make(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage: Any, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool, backward_hooks: Any, dtype: _dt.dtype,
                       metadata: Any = None) -> Tensor:
    """PyTorch's rebuild for dtypes without a typed storage class (uint16/32/64): the
    storage holds untyped bytes, viewed as ``dtype``; ``storage_offset`` counts elements."""
    if isinstance(storage, _LegacyStorage):
        if storage.entry[0] != dtype.name:  # PyTorch cannot read such legacy files either
            raise AttributeError("type object 'torch.storage.UntypedStorage' has no attribute "
                                 "'dtype'")
    else:
        arr, _, device = storage
        npd = np.dtype(np.uint16) if dtype is _dt.bfloat16 else dtype.np
        storage = (arr.view(npd), dtype.name, device)
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
                              backward_hooks, metadata)


# attributes torch.nn.Buffer sets on a plain tensor; Ember's plain tensors need not keep them
_BUFFER_MARKS = frozenset({"_is_buffer", "persistent"})


def _rebuild_from_type_v2(func: Callable, new_type: Any, args: tuple, state: Any) -> Any:
    """PyTorch's rebuild of a tensor subclass or of a tensor carrying Python attributes
    (``state``: its ``__dict__``, or a ``(dict, slots)`` pair)."""
    ret = func(*args)
    if isinstance(ret, _LegacyTensor):  # a legacy file's tensor: built once storages are read
        ret.from_type = (new_type, state)
        return ret
    if isinstance(new_type, type) and issubclass(new_type, Tensor) and type(ret) is not new_type:
        ret = ret.as_subclass(new_type)
    setstate = getattr(type(ret), "__setstate__", None)
    if setstate is not None and setstate is not getattr(Tensor, "__setstate__", None):
        ret.__setstate__(state)  # the subclass's own
        return ret
    items = {}
    for part in state if isinstance(state, tuple) else (state,):
        items.update(part or {})
    lost = [k for k, v in items.items() if not _try_setattr(ret, k, v) and k not in _BUFFER_MARKS]
    if lost:
        warnings.warn(f"ember.load: the tensor attributes {lost} are dropped: an ember.Tensor "
                      "holds no Python attributes (a Tensor subclass does)", stacklevel=3)
    return ret


def _try_setattr(obj: Any, name: str, value: Any) -> bool:
    try:
        setattr(obj, name, value)
    except AttributeError:
        return False
    return True


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any,
                       state: Any = None) -> Any:
    if isinstance(data, _LegacyTensor):
        return _LegacyTensor(data.args, parameter=(requires_grad, state))
    # the file names PyTorch's Parameter: Ember's lives in ember-nn, used when installed
    # (looked up by name, as the globals a checkpoint names are, not imported by core)
    try:
        parameter_cls = importlib.import_module("ember.nn").Parameter
    except ImportError:
        data.requires_grad_(requires_grad)
        return data
    p = parameter_cls(data, requires_grad)
    if state:
        for k, v in state.items():
            setattr(p, k, v)
    return p


def _rebuild_parameter_with_state(data: Tensor, requires_grad: bool, backward_hooks: Any,
                                  state: Any) -> Any:
    return _rebuild_parameter(data, requires_grad, backward_hooks, state)


def _torch_device(s: Any, index: int | None = None) -> _device_cls:
    return _device_cls(s, index) if index is not None else _device_cls(s)


_SAFE: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch._utils", "_rebuild_meta_tensor_no_storage"): _rebuild_meta_tensor_no_storage,
    ("torch", "Tensor"): Tensor,
    ("torch.storage", "UntypedStorage"): _StorageType("UntypedStorage"),
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("torch._utils", "_rebuild_sparse_tensor"): _rebuild_sparse_tensor,
    ("torch.serialization", "_get_layout"): _get_layout,
    ("torch", "Size"): Size,
    ("torch", "device"): _torch_device,
    ("builtins", "set"): set,
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray,
}


def _codecs_encode(s: str, encoding: str = "latin1") -> bytes:
    """Protocol-2 pickles store bytes as ``_codecs.encode(text, 'latin1')``."""
    if encoding not in ("latin1", "latin-1"):
        raise _weights_only_error("WeightsUnpickler error: _codecs.encode with encoding "
                                  f"{encoding!r} is not allowed")
    return s.encode(encoding)


_SAFE[("_codecs", "encode")] = _codecs_encode


def _py3_name(module: str, name: str) -> tuple[str, str]:
    """Protocol-2 pickles name Python 2's modules (__builtin__, copy_reg): map them back."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _allowed_global(module: str, name: str) -> Any:
    """What a weights-only load resolves ``module.name`` to; None where it refuses it."""
    if (module, name) in _SAFE:
        return _SAFE[(module, name)]
    if module == "torch" and name in _STORAGE_DTYPES:
        return _StorageType(name)
    if module == "torch" and name in _TORCH_DTYPES:
        return _dt.to_dtype(_TORCH_DTYPES[name])
    if module in _BLOCKED_MODULES:  # never, even when allowlisted
        return None
    return _user_safe.get(f"{module}.{name}")


def get_unsafe_globals_in_checkpoint(f: str | os.PathLike | BinaryIO) -> list[str]:
    """The ``module.name`` globals in a checkpoint that a weights-only load would refuse
    (read statically from its pickle, as PyTorch does; nothing is run)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return get_unsafe_globals_in_checkpoint(fh)
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    if head != b"PK\x03\x04":
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    with _open_zip(f, "<file object>") as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        data = z.read(pkl[0])
    names = {_py3_name(*arg.split(" ", 1)) for op, arg, _ in pickletools.genops(data)
             if op.name == "GLOBAL"}
    return [f"{module}.{name}" for module, name in names if _allowed_global(module, name) is None]


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, load_storage: Callable, weights_only: bool,
                 source: str, pickle_args: dict | None = None) -> None:
        # pickle's options (encoding="latin1" for Python 2 checkpoints): a weights-only load
        # keeps only the encoding, as PyTorch's restricted unpickler does
        args = {"encoding": "utf-8", **(pickle_args or {})}
        super().__init__(file, **(args if not weights_only else {"encoding": args["encoding"]}))
        self._load_storage = load_storage
        self._weights_only = weights_only
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        module, name = _py3_name(module, name)
        found = _allowed_global(module, name)
        if found is not None:
            return found
        full = f"{module}.{name}"
        if self._weights_only and module in _BLOCKED_MODULES:
            raise _weights_only_error(f"\n\nTrying to load unsupported GLOBAL {full} whose "
                                      f"module {module} is blocked.")
        if self._weights_only:
            raise _weights_only_error("", full)
        return _map_torch_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) > 1 and pid[0] == "module":
            return pid[1]  # a legacy stream's module class, with its source (not compared)
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise _weights_only_error(f"WeightsUnpickler error: unknown persistent id in "
                                      f"{self._source}: {pid!r}")
        return self._load_storage(pid)


_EMBER_OF = {"torch": "ember", "torchvision": "ember.vision"}


def _map_torch_global(module: str, name: str) -> Any:
    """weights_only=False: PyTorch's (and torchvision's) classes map to Ember's at the same
    paths (``torchvision.models.resnet.ResNet`` to ``ember.vision.models.resnet.ResNet``)."""
    import importlib

    top = module.split(".", 1)[0]
    if top in _EMBER_OF:
        target = _EMBER_OF[top] + module[len(top):]
        if module == "torch._utils" and name == "_rebuild_tensor":
            return lambda storage, offset, size, stride: _rebuild_tensor_v2(
                storage, offset, size, stride)
        for mod in (target, target.replace(".modules.", ".").rsplit(".", 1)[0]):
            try:
                m = importlib.import_module(mod)
                return getattr(m, name)
            except (ImportError, AttributeError):
                continue
        raise pickle.UnpicklingError(
            f"{module}.{name} has no Ember counterpart (looked for {target}.{name})")
    m = importlib.import_module(module)
    obj = m
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _MappedStorage:
    """What a ``map_location`` function gets as its storage: where the bytes go, moved as
    PyTorch's storages move (``storage.cpu()``, ``.cuda(i)``, ``.to(device)``); returning
    it (or None) keeps the place chosen. The bytes themselves are read afterwards."""

    def __init__(self, location: str) -> None:
        self.location = location

    @property
    def device(self) -> _device_cls:
        return _device_cls(self.location)

    @property
    def is_cuda(self) -> bool:
        return self.location.startswith("cuda")

    def cpu(self) -> _MappedStorage:
        return _MappedStorage("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> _MappedStorage:
        if device is None:
            return _MappedStorage("cuda")
        return _MappedStorage(f"cuda:{device}" if isinstance(device, int) else str(device))

    def to(self, device: Any = None, non_blocking: bool = False) -> _MappedStorage:
        return _MappedStorage(str(_device_cls(device)) if not isinstance(device, str)
                              else device)


class SourceChangeWarning(Warning):
    """PyTorch's warning class for a pickled module whose source changed (filtered by name
    in users' code; Ember never raises it)."""


def default_restore_location(storage: Any, location: str) -> Any:
    """What ``map_location`` does by default: the storage goes back where it was saved."""
    return storage.to(location) if isinstance(storage, _MappedStorage) else storage


def _location_fn(map_location: Any) -> Callable[[str], str]:
    """Turn ``map_location`` into a function from a saved location to a device string."""
    if map_location is None:
        return lambda loc: loc
    if isinstance(map_location, (str, _device_cls)):
        target = str(map_location)
        return lambda loc: target
    if isinstance(map_location, dict):
        def lookup(loc: str) -> str:
            r = map_location.get(loc, loc)
            if not isinstance(r, str):  # PyTorch's restore parses it as a string
                name = "ember.device" if isinstance(r, _device_cls) else type(r).__name__
                raise TypeError(f"expected string or bytes-like object, got '{name}'")
            return r

        return lookup
    if callable(map_location):
        def call(loc: str) -> str:
            r = map_location(_MappedStorage(loc), loc)
            if r is None:
                return loc
            if not isinstance(r, _MappedStorage):  # PyTorch wants a storage back
                raise TypeError("TypedStorage.__init__ received an invalid combination of "
                                "arguments: argument 'wrap_storage' must be UntypedStorage, but "
                                f"got {type(r)} (from the map_location function)")
            return r.location

        return call
    def not_callable(loc: str) -> str:  # PyTorch calls anything else, for each storage
        raise TypeError(f"'{type(map_location).__name__}' object is not callable")

    return not_callable


def _check_location(loc: str, source: str) -> str:
    kind = loc.split(":")[0]
    if kind == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use "
                "ember.load with map_location=ember.device('cpu') to map your storages to the "
                "CPU.")
    elif kind != "cpu":
        try:
            canonical_device(loc)
        except NotImplementedError:  # a device type without a backend here
            raise RuntimeError(f"ember.UntypedStorage(): Storage device not recognized: "
                               f"{kind}") from None
        except (RuntimeError, ValueError):
            raise RuntimeError("don't know how to restore data location of "
                               f"ember.storage.UntypedStorage (tagged with {loc})") from None
    return loc


def _open_zip(f: Any, source: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:  # PyTorch's zip reader raises RuntimeError
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: failed finding "
                           f"central directory ({source} is truncated or corrupt: {e})") from None
    for name in z.namelist():
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise pickle.UnpicklingError(f"{source} contains an unsafe record name {name!r}")
    return z


def _load_zip(z: zipfile.ZipFile, source: str, map_location: Any, weights_only: bool,
              mmap_file: str | None, pickle_args: dict | None = None) -> Any:
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pkl:
        raise ValueError(f"{source} is not a PyTorch/Ember checkpoint: no data.pkl record")
    prefix = pkl[0][: -len("data.pkl")]
    # a file without a byteorder record: little-endian unless the user says otherwise
    fallback = {LoadEndianness.NATIVE: sys.byteorder, LoadEndianness.BIG: "big"}
    byteorder = fallback.get(_load_config["endianness"], "little")
    if f"{prefix}byteorder" in z.namelist():
        byteorder = z.read(f"{prefix}byteorder").decode().strip()
    locate = _location_fn(map_location)
    loaded: dict[str, np.ndarray] = {}
    infos = {i.filename: i for i in z.infolist()}

    def load_storage(pid: tuple) -> tuple:
        _, stype, key, location, numel = pid[:5]
        dtype = stype.dtype if isinstance(stype, _StorageType) else _dt.uint8.name
        if isinstance(stype, _dt.dtype):
            dtype = stype.name
        if key not in loaded:
            name = f"{prefix}data/{key}"
            info = infos.get(name)
            if info is None:
                raise ValueError(f"{source}: storage record {name} is missing (truncated file?)")
            npd = np.dtype(np.uint16) if dtype == "bfloat16" else _np_dtype(dtype)
            nbytes = int(numel) * npd.itemsize
            if info.file_size < nbytes or numel < 0:
                raise ValueError(
                    f"{source}: storage {key} declares {numel} elements of {dtype} "
                    f"({nbytes} bytes) but its record holds {info.file_size} bytes")
            if _load_config["skip_data"]:  # PyTorch's storages are left uninitialised
                arr = np.zeros(int(numel), dtype=npd)
            elif mmap_file is not None and info.compress_type == zipfile.ZIP_STORED:
                shared = _load_config["mmap_flags"] == MAP_SHARED
                arr = np.memmap(mmap_file, dtype=npd, mode="r+" if shared else "c",
                                offset=_data_offset(
                    mmap_file, info), shape=(int(numel),))
            else:
                try:
                    raw = _read_record(z, info)
                except (zipfile.BadZipFile, EOFError, OSError) as e:
                    raise ValueError(f"{source}: storage record {name} is unreadable ({e}); the "
                                     "file is truncated or corrupt") from None
                arr = np.frombuffer(raw, dtype=npd, count=int(numel))
            if byteorder != sys.byteorder:
                arr = arr.byteswap()
            loaded[key] = arr
        loc = _check_location(locate(location), source)
        return _LoadedStorage((loaded[key], dtype, loc))

    try:
        data = z.read(f"{prefix}data.pkl")
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"{source}: data.pkl is unreadable ({e}); truncated file?") from None
    if weights_only:
        _warn_protocol(data)
    if weights_only:
        _refuse_unsupported_ops(io.BytesIO(data), lambda part: _Unpickler(
            io.BytesIO(part), load_storage, True, source).load())
    return _bare_storages(
        _Unpickler(io.BytesIO(data), load_storage, weights_only, source, pickle_args).load())


class _LoadedStorage(tuple):
    """A storage record as loaded: (array, dtype name, location), which tensors rebuild
    from; one met bare (a saved storage, not a tensor) becomes a TypedStorage."""

    __slots__ = ()


def _bare_storages(obj: Any) -> Any:
    """Storages saved as themselves load as ``TypedStorage`` (PyTorch gives one of the
    record's dtype, ``uint8`` for an untyped storage), in and under plain containers."""
    if type(obj) is _LoadedStorage:
        arr, dtype, loc = obj
        dev = canonical_device(loc)
        data = arr if dev is CPU else dev._backend.asarray(arr, index=dev.index)
        return TypedStorage._wrap(UntypedStorage._wrap(data, dev), _dt.to_dtype(dtype))
    if type(obj) in (dict, collections.OrderedDict):
        for k, v in obj.items():
            if type(v) in _HOLDS_STORAGES:
                obj[k] = _bare_storages(v)
    elif type(obj) is list:
        obj[:] = [_bare_storages(v) if type(v) in _HOLDS_STORAGES else v for v in obj]
    elif type(obj) is tuple and any(type(v) in _HOLDS_STORAGES for v in obj):
        return tuple(_bare_storages(v) for v in obj)
    return obj


_HOLDS_STORAGES = (_LoadedStorage, dict, collections.OrderedDict, list, tuple)


# the opcodes PyTorch's weights-only unpickler reads: those of the protocol 2 pickles it
# writes; it stops at any other (BINBYTES of protocol 3, FRAME and MEMOIZE of 4 and 5)
_WEIGHTS_ONLY_OPS = frozenset(getattr(pickle, n) for n in (
    "GLOBAL", "NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "MARK",
    "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE",
    "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1", "BININT2", "BINFLOAT",
    "BINUNICODE", "SHORT_BINSTRING", "BINPERSID", "BINGET", "LONG_BINGET", "BINPUT",
    "LONG_BINPUT", "LONG1", "PROTO", "STOP"))


def _refuse_unsupported_ops(fh: BinaryIO, unpickle: Callable[[bytes], Any]) -> None:
    """Refuse, as PyTorch's weights-only unpickler does, a pickle (at ``fh``'s position) using
    an opcode it does not read. It reads in order: a refused global met before that opcode is
    the error (``unpickle`` runs the pickle up to there). Only pickles not in protocol 2 are
    scanned: the ones PyTorch and Ember write use none of those opcodes."""
    start = fh.tell()
    if fh.read(2) == b"\x80\x02":
        fh.seek(start)
        return
    fh.seek(start)
    found = None
    try:  # each opcode is checked before its argument is read, as PyTorch's reader does
        while (code := fh.read(1)) and code != pickle.STOP:
            if code not in _WEIGHTS_ONLY_OPS:
                found = (code[0], fh.tell() - 1)
                break
            op = pickletools.code2op[code.decode("latin-1")]
            if op.arg is not None:
                op.arg.reader(fh)
    except Exception:  # noqa: S110 - a damaged pickle: the unpickler says what is wrong
        pass
    fh.seek(start)
    if found is None:
        return
    code, pos = found
    prefix = fh.read(pos - start)
    fh.seek(start)
    try:
        unpickle(prefix + pickle.STOP)
    except pickle.UnpicklingError as e:
        if str(e).startswith(_WEIGHTS_ONLY):
            raise
    except Exception:  # noqa: S110 - the cut pickle may be incomplete: only refusals count
        pass
    raise _weights_only_error(f"WeightsUnpickler error: \n\nUnsupported operand {code}")


def _warn_protocol(pkl: bytes, stacklevel: int = 5) -> None:
    """PyTorch's warning for a weights-only load of a pickle not in protocol 2."""
    if pkl[:1] == pickle.PROTO and pkl[1:2] != b"\x02":
        warnings.warn(f"Detected pickle protocol {pkl[1]} in the checkpoint, which was not the "
                      "default pickle protocol used by `ember.load` (2). The weights_only "
                      "Unpickler might not support all instructions implemented by this "
                      "protocol, please file an issue for adding support if you encounter this.",
                      stacklevel=stacklevel)


def _read_record(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytearray:
    """A record's bytes, writable. A stored one is read straight from its place without the
    CRC check, as PyTorch reads it (a file written through ``MAP_SHARED`` still loads)."""
    if info.compress_type != zipfile.ZIP_STORED:
        return bytearray(z.read(info))
    z.fp.seek(_record_start(z.fp, info))
    raw = bytearray(info.file_size)
    if z.fp.readinto(raw) != info.file_size:
        raise EOFError(f"{info.filename} ends early")
    return raw


def _data_offset(path: str, info: zipfile.ZipInfo) -> int:
    with open(path, "rb") as fh:
        return _record_start(fh, info)


def _record_start(fh: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where a record's bytes start in the open archive ``fh``: past its local header."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_legacy(f: BinaryIO, source: str, map_location: Any, weights_only: bool,
                 pickle_args: dict | None = None) -> Any:
    """PyTorch's pre-1.6 stream: magic, protocol, sys info, the pickle, then storages."""
    locate = _location_fn(map_location)

    def plain(name: str) -> Any:
        if weights_only:
            _refuse_unsupported_ops(f, lambda part: _Unpickler(
                io.BytesIO(part), lambda pid: None, True, source).load())
        return _Unpickler(f, lambda pid: None, True, source).load()

    magic = plain("magic")
    if magic != _MAGIC:
        raise RuntimeError(f"Invalid magic number; corrupt file? ({source} is not a "
                           "PyTorch checkpoint)")
    protocol = plain("protocol")
    if protocol != _LEGACY_PROTOCOL:
        raise RuntimeError(f"Invalid protocol version: {protocol} ({source})")
    plain("sys_info")
    storages: dict[str, list] = {}

    def load_storage(pid: tuple) -> tuple:
        _, stype, key, location, numel = pid[:5]
        view_meta = pid[5] if len(pid) > 5 else None
        entry = storages.setdefault(key, [stype.dtype, numel, locate(location), None])
        return _LegacyStorage(entry, view_meta)

    if weights_only:
        _refuse_unsupported_ops(f, lambda part: _Unpickler(
            io.BytesIO(part), load_storage, True, source).load())
    result = _Unpickler(f, load_storage, weights_only, source, pickle_args).load()
    keys = plain("keys")
    for key in keys:
        entry = storages[key]
        npd = np.dtype(np.uint16) if entry[0] == "bfloat16" else _np_dtype(entry[0])
        head = _read_exactly(f, 8, source)
        (n,) = struct.unpack("<q", head)
        raw = _read_exactly(f, n * npd.itemsize, source)
        entry[3] = np.frombuffer(raw, dtype=npd).copy()
    return _resolve_legacy(result)


def _read_exactly(f: BinaryIO, n: int, source: str) -> bytes:
    """``n`` bytes of a legacy checkpoint's storage part; PyTorch's error where it ends early."""
    raw = f.read(n)
    if len(raw) != n:
        raise RuntimeError(f"unexpected EOF, expected {n - len(raw)} more bytes. The file might "
                           f"be corrupted. ({source} is truncated)")
    return raw


class _LegacyStorage:
    def __init__(self, entry: list, view_meta: Any) -> None:
        self.entry, self.view_meta = entry, view_meta


class _LegacyTensor:
    def __init__(self, args: tuple, parameter: Any = None) -> None:
        self.args, self.parameter = args, parameter
        self.from_type: tuple | None = None  # (class, state) of _rebuild_from_type_v2
        self.built: Any = None  # one tensor per pickled tensor (the pickle's memo shares it)

    def build(self) -> Any:
        if self.built is None:
            self.built = self._build()
        return self.built

    def _build(self) -> Any:
        storage, offset, size, stride, requires_grad, metadata = self.args
        dtype, _, location, arr = storage.entry
        if storage.view_meta is not None:  # (view key, offset, size) into a larger storage
            offset += storage.view_meta[1]
        t = _rebuild_tensor_v2((arr, dtype, _check_location(location, "legacy checkpoint")),
                               offset, size, stride, requires_grad, None, metadata)
        if self.parameter is not None:
            t = _rebuild_parameter(t, self.parameter[0], None, self.parameter[1])
        if self.from_type is not None:
            t = _rebuild_from_type_v2(lambda: t, self.from_type[0], (),
                                      _resolve_legacy(self.from_type[1]))
        return t


def _resolve_legacy(obj: Any, seen: dict | None = None) -> Any:
    """``obj`` with a legacy stream's placeholders built into tensors and storages: in
    containers in place, and in the attributes of other objects (a whole pickled module's
    ``_parameters``); each container and object visited once (``seen``: by id, what it
    became)."""
    if isinstance(obj, _LegacyTensor):
        return obj.build()
    if isinstance(obj, _LegacyStorage):  # a storage saved as itself
        dtype, _, location, arr = obj.entry
        if obj.view_meta is not None:  # (view key, offset, size)
            arr = arr[obj.view_meta[1]:obj.view_meta[1] + obj.view_meta[2]]
        return _bare_storages(_LoadedStorage(
            (arr, dtype, _check_location(location, "legacy checkpoint"))))
    if obj is None or isinstance(obj, (str, bytes, int, float, complex, type, Tensor)):
        return obj
    seen = {} if seen is None else seen  # id -> the object it resolved to
    if id(obj) in seen:
        return seen[id(obj)]
    seen[id(obj)] = obj
    if isinstance(obj, tuple):  # only tuples holding tensors are rebuilt (Size stays Size)
        items = [_resolve_legacy(v, seen) for v in obj]
        if all(a is b for a, b in zip(items, obj)):
            return obj
        seen[id(obj)] = tuple(items) if type(obj) is tuple else type(obj)(*items)
        return seen[id(obj)]
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _resolve_legacy(obj[k], seen)
    elif isinstance(obj, list):
        obj[:] = [_resolve_legacy(v, seen) for v in obj]
    elif isinstance(getattr(obj, "__dict__", None), dict):
        _resolve_legacy(obj.__dict__, seen)
    return obj


_PICKLE_LOAD_ARGS = ("fix_imports", "encoding", "errors", "buffers")


def _check_pickle_load_args(args: dict, weights_only: bool) -> None:
    """``pickle_load_args`` are ``pickle.Unpickler``'s options, used by full loads only."""
    for k in args:
        if k not in _PICKLE_LOAD_ARGS:  # the words of PyTorch's two unpicklers
            raise TypeError(f"Unpickler.__init__() got an unexpected keyword argument {k!r}"
                            if weights_only else f"{k!r} is an invalid keyword argument for "
                            "Unpickler()")
    if args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=3)


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Load a checkpoint saved by ``ember.save`` or ``torch.save`` (zip or legacy format)."""
    if weights_only is None:  # an explicit pickle module asks for a full load, as in PyTorch
        weights_only = pickle_module is None
    elif weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    _check_pickle_load_args(pickle_load_args, weights_only)
    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "seek"):
        raise AttributeError(
            f"{type(f).__name__!r} object has no attribute 'seek'. You can only ember.load from "
            "a file that is seekable. Please pre-load the data into a buffer like io.BytesIO "
            "and try to load from it instead.")
    # weights_only=False, asked for explicitly, loads any pickle silently, as PyTorch does
    source = os.fspath(f) if isinstance(f, (str, os.PathLike)) else "<file object>"
    if isinstance(f, (str, os.PathLike)):
        if not os.path.exists(source):
            raise FileNotFoundError(f"[Errno 2] No such file or directory: '{source}'")
        with open(source, "rb") as fh:
            return _load_stream(fh, source, map_location, weights_only,
                                source if mmap else None, pickle_load_args,
                                isinstance(f, str) and bool(mmap))
    return _load_stream(f, source, map_location, weights_only, None, pickle_load_args,
                        bool(mmap))


def _load_stream(fh: BinaryIO, source: str, map_location: Any, weights_only: bool,
                 mmap_file: str | None, pickle_args: dict | None = None,
                 mmap_asked: bool = False) -> Any:
    """``mmap_asked``: ``mmap=True`` for a file object, or for a path given as a string."""
    start = fh.tell() if fh.seekable() else 0
    head = fh.read(4)
    fh.seek(start)
    if head == b"PK\x03\x04":
        if mmap_asked and mmap_file is None:  # PyTorch checks the format first
            raise ValueError("f must be a file path in order to use the mmap argument")
        with _open_zip(fh, source) as z:
            return _load_zip(z, source, map_location, weights_only, mmap_file, pickle_args)
    if not head:  # PyTorch's unpicklers meet the end of the file first: its weights-only
        raise EOFError() if weights_only else EOFError("Ran out of input")  # one says nothing
    if mmap_file is not None or mmap_asked:
        named = f"{source}, " if mmap_asked and mmap_file is not None else ""  # a str path
        raise RuntimeError(
            f"mmap can only be used with files saved with `ember.save({named}"
            "_use_new_zipfile_serialization=True), please ember.save your checkpoint with this "
            "option in order to use mmap.")
    if weights_only:
        _warn_protocol(head, 4)
    if weights_only and head[:2] in (b"\x80\x04", b"\x80\x05"):  # a plain pickle's FRAME
        raise _weights_only_error("WeightsUnpickler error: \n\nUnsupported operand 149")
    try:
        return _load_legacy(fh, source, map_location, weights_only, pickle_args)
    except (pickle.UnpicklingError, EOFError) as e:
        # a full load: pickle's own error, as PyTorch's; a weights-only one wraps it in its
        # message, except where the pickle ends early: PyTorch's unpickler then mostly
        # meets the end of the file (EOFError)
        if str(e).startswith(_WEIGHTS_ONLY) or not weights_only:
            raise
        if isinstance(e, EOFError) or "truncated" in str(e):
            raise EOFError(f"{source}: the pickle ends early (truncated file?)") from None
        raise _weights_only_error(f"WeightsUnpickler error: {source}: {e}") from None


# ------------------------------------------------------------------ safetensors
def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike,
              metadata: dict[str, str] | None = None) -> None:
    """Save a flat dict of tensors as safetensors (through the ``safetensors`` package)."""
    try:
        from safetensors.numpy import save_file as _save
    except ImportError as e:
        raise ImportError("safetensors support needs the safetensors package: "
                          "pip install 'ember-core[safetensors]'") from e
    arrays = {k: np.ascontiguousarray(v.detach()._host()) for k, v in tensors.items()}
    path = os.fspath(filename)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ember-", suffix=".safetensors", dir=folder)
    os.close(fd)
    try:
        _save(arrays, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_file(filename: str | os.PathLike, device: Any = "cpu") -> dict[str, Tensor]:
    """Load a safetensors file into a dict of tensors."""
    try:
        from safetensors.numpy import load_file as _load
    except ImportError as e:
        raise ImportError("safetensors support needs the safetensors package: "
                          "pip install 'ember-core[safetensors]'") from e
    dev = canonical_device(device)
    out = {}
    for k, arr in _load(os.fspath(filename)).items():
        data = arr if dev is CPU else dev._backend.asarray(arr, index=dev.index)
        out[k] = make(data, dev)
    return out
