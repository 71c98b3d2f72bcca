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
import importlib
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from . import dtypes as _dt
from ._device import device as _device_cls
from ._tensor import Size, Tensor, _contiguous_strides, make
from .backends.registry import CPU, canonical_device

__all__ = ["save", "load", "UnsafeCheckpointError", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "save_file", "load_file"]

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
_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


# What a weights-only load raises when a checkpoint asks for something it does not allow:
# PyTorch raises ``pickle.UnpicklingError`` itself, so this name is an alias kept for callers
UnsafeCheckpointError = pickle.UnpicklingError

_UNSAFE = ("`ember.load` defaults to `weights_only=True`, as `torch.load` does since PyTorch "
           "2.6. Re-running `ember.load` with `weights_only` set to `False` will likely succeed, "
           "but it can result in arbitrary code execution. Do it only if you got the file from "
           "a trusted source.")
_DOCS = ("\n\nCheck the documentation of torch.load (which ember.load follows) to learn more "
         "about types accepted by default with weights_only "
         "https://pytorch.org/docs/stable/generated/torch.load.html.")
_WEIGHTS_ONLY = "Weights only load failed."
# modules never allowed, even through add_safe_globals (PyTorch's list)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def _weights_only_error(detail: str, full: str | None = None) -> pickle.UnpicklingError:
    """PyTorch's weights-only failure, in its layout: for a global that may be allowlisted
    (``full``), the two options; otherwise the reason after the warning."""
    if full is not None:
        return pickle.UnpicklingError(
            f"{_WEIGHTS_ONLY} This file can still be loaded, to do so you have two options, "
            "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
            f"\n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with `weights_only=True` please "
            "check the recommended steps in the following error message.\n\tWeightsUnpickler "
            f"error: Unsupported global: GLOBAL {full} was not an allowed global by default. "
            f"Please use `ember.serialization.add_safe_globals([{full}])` or the "
            f"`ember.serialization.safe_globals([{full}])` context manager to allowlist this "
            f"global if you trust this class/function.{_DOCS}")
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
    """A placeholder written as ``GLOBAL module name`` (PyTorch's names, without PyTorch)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # pickle wants reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints only")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = collections.OrderedDict


class _StorageRef:
    __slots__ = ("key", "dtype", "numel", "location")

    def __init__(self, key: str, dtype: str, numel: int, location: str) -> None:
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location


class _Pickler(pickle._Pickler):  # the Python pickler lets GLOBALs be written by name
    def __init__(self, file: BinaryIO, storages: dict, legacy: bool = False) -> None:
        super().__init__(file, protocol=2)
        self._storages = storages  # id(root buffer) -> (key, root array, dtype)
        self._placeholders: dict = {}
        self._legacy = legacy  # the pre-1.6 stream's ids carry a sixth item, view metadata

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageRef):
            pid = ("storage", _Global("torch", _DTYPE_STORAGE[obj.dtype]), obj.key,
                   obj.location, obj.numel)
            return pid + (None,) if self._legacy else pid
        return None

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, _Global):
            x = self.memo.get(id(obj))
            if x is not None:
                self.write(self.get(x[0]))
                return
            self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
            self.memoize(obj)
            return
        super().save(obj, save_persistent_id)


def _reduce_for_save(obj: Any, storages: dict, memo: dict) -> Any:
    """Replace tensors, dtypes and devices by PyTorch-compatible reduce tuples."""
    oid = id(obj)
    if oid in memo:
        return memo[oid]
    if isinstance(obj, Tensor):
        out = _SparseReduce(obj, storages) if obj.is_sparse else _TensorReduce(obj, storages)
    elif isinstance(obj, _dt.dtype):
        out = _Global("torch", obj.name)
    elif isinstance(obj, _device_cls):
        out = _DeviceReduce(str(obj))
    elif isinstance(obj, Size):
        out = _SizeReduce(tuple(obj))
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


class _TensorReduce:
    def __init__(self, t: Tensor, storages: dict) -> None:
        self.t = t
        arr = t._host()
        root = arr
        while isinstance(getattr(root, "base", None), np.ndarray):
            root = root.base
        key_id = id(root)  # tensors viewing one buffer share one storage record, as in PyTorch
        if t.dtype is _dt.bfloat16:
            arr = arr.view(np.uint16)
            if root.dtype.itemsize == 2 and root.flags.c_contiguous:
                root = root.reshape(-1).view(np.uint16)
        isz = arr.dtype.itemsize
        shareable = (root.flags.c_contiguous and root.dtype == arr.dtype
                     and all(s % isz == 0 and s >= 0 for s in arr.strides) and arr.size > 0)
        if shareable:
            offset = (arr.__array_interface__["data"][0] - root.__array_interface__["data"][0])
            shareable = offset >= 0 and offset % isz == 0
        self.size = tuple(arr.shape)
        if shareable:
            self.stride = tuple(s // isz for s in arr.strides)
            root = root.reshape(-1)
        else:  # a contiguous copy of its own (ascontiguousarray would make 0-d arrays 1-d)
            root = np.ascontiguousarray(arr).reshape(-1)
            key_id = id(root)
            offset = 0
            self.stride = _contiguous_strides(self.size)
        if key_id not in storages:
            storages[key_id] = (str(len(storages)), root, t.dtype.name)
        self.key, root = storages[key_id][0], storages[key_id][1]
        self.numel = root.size
        self.offset = offset // isz
        self.location = "cpu" if t._device is CPU else str(t._device)

    def __reduce__(self) -> tuple:
        ref = _StorageRef(self.key, self.t.dtype.name, self.numel, self.location)
        args = (ref, self.offset, self.size, self.stride, self.t.requires_grad,
                collections.OrderedDict())
        if getattr(type(self.t), "_is_parameter", False) or type(self.t).__name__ == "Parameter":
            inner = _TensorReduceNoParam(args)
            return (_REBUILD_PARAMETER, (inner, self.t.requires_grad, collections.OrderedDict()))
        return (_REBUILD_TENSOR, args)


class _TensorReduceNoParam:
    def __init__(self, args: tuple) -> None:
        self.args = args

    def __reduce__(self) -> tuple:
        return (_REBUILD_TENSOR, (self.args[0], self.args[1], self.args[2], self.args[3], False,
                                  self.args[5]))


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
        self.args = (_TensorReduce(det._indices(), storages),
                     _TensorReduce(det._values(), storages), _SizeReduce(tuple(t.shape)),
                     t.is_coalesced())

    def __reduce__(self) -> tuple:
        return (_Global("torch._utils", "_rebuild_sparse_tensor"),
                (_LayoutReduce(), self.args))


class _LayoutReduce:
    def __reduce__(self) -> tuple:
        return (_Global("torch.serialization", "_get_layout"), ("torch.sparse_coo",))


def _rebuild_sparse_tensor(layout: Any, data: tuple) -> Tensor:
    from .ops.sparse_coo import sparse_coo_tensor

    indices, values, size, coalesced = data
    return sparse_coo_tensor(indices, values, size, is_coalesced=coalesced)


def _get_layout(name: str) -> Any:
    """A layout by its printed name (``"torch.sparse_coo"``), as PyTorch's files give it."""
    from ._tensor import strided
    from .ops.sparse_coo import sparse_coo

    layouts = {"torch.sparse_coo": sparse_coo, "torch.strided": strided}
    if name not in layouts:
        raise RuntimeError(f"Unsupported layout {name} in the checkpoint")
    return layouts[name]


class _SizeReduce:
    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def __reduce__(self) -> tuple:
        return (_Global("torch", "Size"), (self.shape,))


def _write_zip(obj: Any, f: BinaryIO, prefix: str) -> None:
    storages: dict = {}
    payload = _reduce_for_save(obj, storages, {})
    buf = io.BytesIO()
    _Pickler(buf, storages).dump(payload)
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little")]
    for key, root, _dtype in storages.values():
        arr = root if sys.byteorder == "little" else root.byteswap()
        records.append((f"data/{key}", np.ascontiguousarray(arr).tobytes()))
    records.append(("version", b"3\n"))
    records.append((".data/serialization_id", os.urandom(20).hex().encode()))
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


def _write_legacy(obj: Any, f: BinaryIO) -> None:
    """PyTorch's pre-1.6 stream: magic, protocol, sys info, the pickle, the storage keys,
    then each storage as its element count (int64) and raw little-endian bytes."""
    storages: dict = {}
    payload = _reduce_for_save(obj, storages, {})
    sys_info = {"protocol_version": _LEGACY_PROTOCOL, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for head in (_MAGIC, _LEGACY_PROTOCOL, sys_info):
        pickle.dump(head, f, protocol=2)
    _Pickler(f, storages, legacy=True).dump(payload)
    pickle.dump(sorted(key for key, _, _ in storages.values()), f, protocol=2)
    for _key, root, _dtype in sorted(storages.values(), key=lambda s: s[0]):
        arr = root if sys.byteorder == "little" else root.byteswap()
        f.write(struct.pack("<q", root.size))
        f.write(np.ascontiguousarray(arr).tobytes())


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module: Any = None,
         pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` in PyTorch's checkpoint format; a path is written atomically.

    ``_use_new_zipfile_serialization=False`` writes PyTorch's legacy (pre-1.6) stream."""
    if not _use_new_zipfile_serialization:
        def write(obj: Any, out: BinaryIO, prefix: str) -> None:
            _write_legacy(obj, out)
    else:
        write = _write_zip
    if not isinstance(f, (str, os.PathLike)):
        write(obj, f, "archive")
        return
    path = os.fspath(f)
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
        self.dtype = _STORAGE_DTYPES[name]


def _np_dtype(name: str) -> Any:
    return _dt.to_dtype(name).np


def _rebuild_tensor_v2(storage: Any, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None,
                       metadata: Any = None) -> Tensor:
    if isinstance(storage, _LegacyStorage):  # its bytes come after the pickle
        return _LegacyTensor((storage, storage_offset, size, stride, requires_grad))
    arr, dtype_name, device = storage
    isz = arr.dtype.itemsize
    size, stride = tuple(size), tuple(stride)
    if size and any(s == 0 for s in size):
        view = np.empty(size, dtype=arr.dtype)
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
    dev = canonical_device(device)
    data = view if dev is CPU else dev._backend.asarray(np.ascontiguousarray(view),
                                                        index=dev.index)
    t = make(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


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
    ("collections", "defaultdict"): collections.defaultdict,
    ("collections", "Counter"): collections.Counter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("torch._utils", "_rebuild_sparse_tensor"): _rebuild_sparse_tensor,
    ("torch.serialization", "_get_layout"): _get_layout,
    ("torch", "Size"): Size,
    ("torch", "device"): _torch_device,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "range"): range,
}


def _codecs_encode(s: str, encoding: str = "latin1") -> bytes:
    """Protocol-2 pickles store bytes as ``_codecs.encode(text, 'latin1')``."""
    if encoding not in ("latin1", "latin-1"):
        raise _weights_only_error("WeightsUnpickler error: _codecs.encode with encoding "
                                  f"{encoding!r} is not allowed")
    return s.encode(encoding)


_SAFE[("_codecs", "encode")] = _codecs_encode


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, load_storage: Callable, weights_only: bool,
                 source: str) -> None:
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage
        self._weights_only = weights_only
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        # protocol-2 pickles name Python 2's modules (__builtin__, copy_reg): map them back
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        key = (module, name)
        if key in _SAFE:
            return _SAFE[key]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "torch" and name in _TORCH_DTYPES:
            return _dt.to_dtype(_TORCH_DTYPES[name])
        full = f"{module}.{name}"
        if self._weights_only and module in _BLOCKED_MODULES:
            raise _weights_only_error(f"\n\nTrying to load unsupported GLOBAL {full} whose "
                                      f"module {module} is blocked.")
        if full in _user_safe:
            return _user_safe[full]
        if self._weights_only:
            raise _weights_only_error("", full)
        return _map_torch_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
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


def _location_fn(map_location: Any) -> Callable[[str], str]:
    """Turn ``map_location`` into a function from a saved location to a device string."""
    if map_location is None:
        return lambda loc: loc
    if isinstance(map_location, (str, _device_cls)):
        target = str(map_location)
        return lambda loc: target
    if isinstance(map_location, dict):
        return lambda loc: str(map_location.get(loc, loc))
    if callable(map_location):
        def call(loc: str) -> str:
            r = map_location(loc, loc)
            return loc if r is None else (r if isinstance(r, str) else str(r))

        return call
    raise TypeError(f"map_location should be a string, a device, a dict or a callable, "
                    f"got {type(map_location).__name__}")


def _check_location(loc: str, source: str) -> str:
    kind = loc.split(":")[0]
    if kind == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise RuntimeError(
                f"Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                f"is False ({source}). If you are running on a CPU-only machine, please use "
                "ember.load with map_location=ember.device('cpu') to map your storages to the "
                "CPU.")
    return loc


def _open_zip(f: Any, source: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:
        raise ValueError(f"{source} is not a valid checkpoint (truncated or corrupt zip: "
                         f"{e})") from None
    for name in z.namelist():
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise pickle.UnpicklingError(f"{source} contains an unsafe record name {name!r}")
    return z


def _load_zip(z: zipfile.ZipFile, source: str, map_location: Any, weights_only: bool,
              mmap_file: str | None) -> Any:
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pkl:
        raise ValueError(f"{source} is not a PyTorch/Ember checkpoint: no data.pkl record")
    prefix = pkl[0][: -len("data.pkl")]
    byteorder = "little"
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
            if mmap_file is not None and info.compress_type == zipfile.ZIP_STORED:
                arr = np.memmap(mmap_file, dtype=npd, mode="c", offset=_data_offset(
                    mmap_file, info), shape=(int(numel),))
            else:
                try:
                    raw = z.read(name)
                except (zipfile.BadZipFile, EOFError, OSError) as e:
                    raise ValueError(f"{source}: storage record {name} is unreadable ({e}); the "
                                     "file is truncated or corrupt") from None
                arr = np.frombuffer(raw, dtype=npd, count=int(numel)).copy()
            if byteorder != sys.byteorder:
                arr = arr.byteswap()
            loaded[key] = arr
        loc = _check_location(locate(location), source)
        return (loaded[key], dtype, loc)

    try:
        data = z.read(f"{prefix}data.pkl")
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"{source}: data.pkl is unreadable ({e}); truncated file?") from None
    return _Unpickler(io.BytesIO(data), load_storage, weights_only, source).load()


def _data_offset(path: str, info: zipfile.ZipInfo) -> int:
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len


def _load_legacy(f: BinaryIO, source: str, map_location: Any, weights_only: bool) -> Any:
    """PyTorch's pre-1.6 stream: magic, protocol, sys info, the pickle, then storages."""
    locate = _location_fn(map_location)

    def plain(name: str) -> Any:
        return _Unpickler(f, lambda pid: None, True, source).load()

    magic = plain("magic")
    if magic != _MAGIC:
        raise ValueError(f"{source} is not a PyTorch checkpoint (bad magic number)")
    protocol = plain("protocol")
    if protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"{source}: unsupported legacy protocol version {protocol}")
    plain("sys_info")
    storages: dict[str, list] = {}

    def load_storage(pid: tuple) -> tuple:
        _, stype, key, location, numel = pid[:5]
        view_meta = pid[5] if len(pid) > 5 else None
        entry = storages.setdefault(key, [stype.dtype, numel, locate(location), None])
        return _LegacyStorage(entry, view_meta)

    result = _Unpickler(f, load_storage, weights_only, source).load()
    keys = plain("keys")
    for key in keys:
        entry = storages[key]
        npd = np.dtype(np.uint16) if entry[0] == "bfloat16" else _np_dtype(entry[0])
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{source}: truncated legacy checkpoint (storage {key})")
        (n,) = struct.unpack("<q", head)
        raw = f.read(n * npd.itemsize)
        if len(raw) != n * npd.itemsize:
            raise ValueError(f"{source}: truncated legacy checkpoint (storage {key})")
        entry[3] = np.frombuffer(raw, dtype=npd).copy()
    return _resolve_legacy(result)


class _LegacyStorage:
    def __init__(self, entry: list, view_meta: Any) -> None:
        self.entry, self.view_meta = entry, view_meta


class _LegacyTensor:
    def __init__(self, args: tuple, parameter: Any = None) -> None:
        self.args, self.parameter = args, parameter

    def build(self) -> Any:
        storage, offset, size, stride, requires_grad = self.args
        dtype, _, location, arr = storage.entry
        if storage.view_meta is not None:  # (view key, offset, size) into a larger storage
            offset += storage.view_meta[1]
        t = _rebuild_tensor_v2((arr, dtype, _check_location(location, "legacy checkpoint")),
                               offset, size, stride, requires_grad)
        if self.parameter is not None:
            return _rebuild_parameter(t, self.parameter[0], None, self.parameter[1])
        return t


def _resolve_legacy(obj: Any) -> Any:
    if isinstance(obj, _LegacyTensor):
        return obj.build()
    if isinstance(obj, tuple):  # only tuples holding tensors are rebuilt (Size stays Size)
        items = [_resolve_legacy(v) for v in obj]
        if all(a is b for a, b in zip(items, obj)):
            return obj
        return tuple(items) if type(obj) is tuple else type(obj)(*items)
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _resolve_legacy(obj[k])
    elif isinstance(obj, list):
        obj[:] = [_resolve_legacy(v) for v in obj]
    return obj


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Load a checkpoint saved by ``ember.save`` or ``torch.save`` (zip or legacy format)."""
    if weights_only is None:
        weights_only = True
    # weights_only=False, asked for explicitly, loads any pickle silently, as PyTorch does
    source = os.fspath(f) if isinstance(f, (str, os.PathLike)) else "<file object>"
    if isinstance(f, (str, os.PathLike)):
        if not os.path.exists(source):
            raise FileNotFoundError(f"[Errno 2] No such file or directory: '{source}'")
        with open(source, "rb") as fh:
            return _load_stream(fh, source, map_location, weights_only,
                                source if mmap else None)
    return _load_stream(f, source, map_location, weights_only, None)


def _load_stream(fh: BinaryIO, source: str, map_location: Any, weights_only: bool,
                 mmap_file: str | None) -> Any:
    start = fh.tell() if fh.seekable() else 0
    head = fh.read(4)
    fh.seek(start)
    if head[:2] == b"PK":
        with _open_zip(fh, source) as z:
            return _load_zip(z, source, map_location, weights_only, mmap_file)
    if not head:
        raise ValueError(f"{source} is empty: not a checkpoint")
    if mmap_file is not None:
        raise RuntimeError("mmap can only be used with files saved with the zipfile format")
    try:
        return _load_legacy(fh, source, map_location, weights_only)
    except pickle.UnpicklingError as e:
        if str(e).startswith(_WEIGHTS_ONLY):
            raise
        raise ValueError(f"{source} is not a valid checkpoint ({type(e).__name__}: {e})") from None
    except (EOFError, struct.error) as e:
        raise ValueError(f"{source} is not a valid checkpoint ({type(e).__name__}: {e})") from None


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
