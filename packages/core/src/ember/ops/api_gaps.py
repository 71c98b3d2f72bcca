"""Small corners of PyTorch's top-level API that programs reach: ``empty_permuted``,
``segment_reduce``, eager ``cond``/``while_loop``, the ``sym_*`` helpers on plain numbers,
``set_flush_denormal``, the deterministic debug mode, ``is_storage``, ``get_device_module``,
the native ops ``adaptive_max_pool1d`` (a pair) and ``conv_tbc``, and the Tensor methods
``set_``, ``is_set_to``, ``dim_order``, ``storage_type`` and ``module_load``."""

from __future__ import annotations

import builtins
import ctypes
import importlib
import math
import platform
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._runtime import (
    are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled,
    use_deterministic_algorithms,
)
from ._dispatch import Tensor, make, methods, permute_dims, renamed, wrap_dim

__all__ = ["empty_permuted", "segment_reduce", "cond", "while_loop", "sym_int", "sym_float",
           "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_ite", "sym_sum", "sym_fresh_size",
           "sym_constrain_range", "sym_constrain_range_for_size", "set_flush_denormal",
           "get_deterministic_debug_mode", "set_deterministic_debug_mode", "is_storage",
           "get_device_module", "adaptive_max_pool1d", "conv_tbc"]

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


# ------------------------------------------------------------------ factories
def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """An uninitialised dense tensor of logical shape ``size`` whose dimensions lie in memory
    in the order ``physical_layout`` (outermost first): NHWC is ``(0, 2, 3, 1)``."""
    size = tuple(int(s) for s in size)
    order = tuple(int(p) for p in physical_layout)
    if len(size) != len(order):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}")
    order = tuple(wrap_dim(p, len(size), "empty_permuted") for p in order)
    if len(set(order)) != len(order):
        raise RuntimeError("Duplicate dim not allowed")
    from .creation import empty

    dense = empty(*(size[p] for p in order), dtype=dtype, device=device)
    res = make(permute_dims(dense._device._backend.xp, dense._data,
                            tuple(int(i) for i in np.argsort(order))), dense._device)
    return res.requires_grad_() if requires_grad else res


# ------------------------------------------------------------------ segment reductions
_SEGMENT_REDUCE = {"sum": "sum", "mean": "mean", "max": "amax", "amax": "amax", "min": "amin",
                   "amin": "amin", "prod": "prod"}


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices: Tensor | None = None, offsets: Tensor | None = None, axis: int = 0,
                   unsafe: bool = False, initial: Any = None) -> Tensor:
    """Reduce consecutive segments of ``data`` along ``axis`` (sum, mean, max, min, prod);
    segment sizes are ``lengths`` (or the gaps between ``offsets``), batched over the
    dimensions before ``axis``. Empty segments give ``initial`` (or the reduction's
    identity; NaN for a mean). Differentiable in ``data``."""
    from .creation import arange, full

    red = _SEGMENT_REDUCE.get(reduce)
    if red is None:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if data.dtype.kind != "f":
        raise NotImplementedError("\"_segment_reduce_cpu\" not implemented for "
                                  f"'{_SCALAR.get(data.dtype.name, data.dtype.name)}'")
    if lengths is None:
        lengths = offsets[..., 1:] - offsets[..., :-1]
    axis = wrap_dim(axis, data.dim(), "segment_reduce")
    if lengths.dim() - 1 != axis:
        raise RuntimeError("segment_reduce(): Expected axis to be the last dimension of lengths "
                           f"but got {axis}.")
    lens = lengths.detach().to(_dt.int64)
    if not unsafe:
        if bool((lens < 0).any()):
            raise RuntimeError("lengths contains negative value!")
        if bool((lens.sum(-1) != data.shape[axis]).any()):
            raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum "
                               "to data.size(lengths.dim()-1) when !unsafe.")
    # the segment of each position along ``axis``, per batch row: how many ends it has passed
    ends = lens.cumsum(-1)
    pos = arange(data.shape[axis], device=data.device)
    ids = (pos.unsqueeze(-1) >= ends.unsqueeze(-2)).sum(-1)  # shape data.shape[:axis+1]
    rest = data.dim() - axis - 1
    index = ids.reshape(tuple(ids.shape) + (1,) * rest).expand(*data.shape)
    nseg = lens.shape[-1]
    out_shape = tuple(data.shape[:axis]) + (nseg,) + tuple(data.shape[axis + 1:])
    if red in ("sum", "mean"):
        fill = 0.0 if initial is None else initial
    elif red == "prod":
        fill = 1.0 if initial is None else initial
    else:
        fill = (-math.inf if red == "amax" else math.inf) if initial is None else initial
    base = full(out_shape, fill, dtype=data.dtype, device=data.device)
    if red in ("amax", "amin"):
        return renamed(_segment_extreme(data, base, axis, index, red), "SegmentReduceBackward0")
    res = base.scatter_reduce(axis, index, data, "sum" if red == "mean" else red,
                              include_self=True)
    if red == "mean":
        counts = lens.reshape(tuple(lens.shape) + (1,) * rest).to(data.dtype)
        res = res / (counts if initial is None else counts.clamp(min=1))
    return renamed(res, "SegmentReduceBackward0")


def _segment_extreme(data: Tensor, base: Tensor, axis: int, index: Tensor, red: str) -> Tensor:
    """Segment max/min whose gradient, as PyTorch's, goes to the elements equal to their
    segment's result, shared evenly among ties (never to ``initial``)."""
    from .pointwise_binary import where

    res = base.scatter_reduce(axis, index, data.detach(), red, include_self=True)
    hit = data.detach() == res.gather(axis, index)
    ties = base.new_zeros(base.shape).scatter_add(axis, index, hit.to(data.dtype))
    share = where(hit, data - data.detach(), 0.0) / ties.clamp(min=1).gather(axis, index)
    return res + base.new_zeros(base.shape).scatter_add(axis, index, share)


_SCALAR = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


# ------------------------------------------------------------------ control flow (eager)
def cond(pred: Any, true_fn: Callable, false_fn: Callable, operands: tuple | list = ()) -> Any:
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``: ``torch.cond`` run
    eagerly (``pred`` a bool, a number, or a one-element tensor)."""
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError("Expected pred to be bool or single-element tensor, but got "
                           f"{pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    return true_fn(*operands) if bool(pred) else false_fn(*operands)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: tuple | list) -> tuple:
    """Run ``carried = body_fn(*carried)`` while ``cond_fn(*carried)``: ``torch.while_loop``
    run eagerly; returns the final carried values as a tuple."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(
            f"carried_inputs must be a tuple or list but got {type(carried_inputs)}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return carried


# ------------------------------------------------------------------ symbolic-number helpers
_NUMBERS = (np.integer, np.floating, int, float)


def sym_int(a: object) -> int:
    """``int(a)``, truncating floats toward zero."""
    if isinstance(a, float):
        return math.trunc(a)
    return builtins.int(a)


def sym_float(a: object) -> float:
    return builtins.float(a)


def _check_number(a: Any) -> None:
    if not isinstance(a, _NUMBERS):
        raise AssertionError(f"expected {_NUMBERS}, got {type(a)}")


def sym_max(a: Any, b: Any) -> Any:
    """``max(a, b)``, a float when either is one."""
    _check_number(a)
    _check_number(b)
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return builtins.float(builtins.max(a, b))
    return builtins.max(a, b)


def sym_min(a: Any, b: Any) -> Any:
    """``min(a, b)``, a float when either is one."""
    _check_number(a)
    _check_number(b)
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return builtins.float(builtins.min(a, b))
    return builtins.min(a, b)


def sym_not(a: object) -> object:
    return not a


def sym_sqrt(a: Any) -> Any:
    return math.sqrt(a)


def sym_ite(b: Any, t: Any, f: Any) -> Any:
    """``t if b else f`` (``b`` must be a bool)."""
    if not isinstance(b, (bool, np.bool_)):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    return t if b else f


def sym_sum(*args: Any) -> Any:
    """The sum of the numbers given (or of one sequence of them); 0 for none."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return builtins.sum(args)


def sym_fresh_size(expr: Any) -> Any:
    return expr


def sym_constrain_range(size: Any, min: int | None = None, max: int | None = None) -> None:
    """Check ``min <= size <= max`` (a no-op bound on plain integers)."""
    lo = _INT64_MIN if min is None else min
    hi = _INT64_MAX if max is None else max
    if not lo <= size <= hi:
        raise RuntimeError(f"Invalid value range for {size} between [{lo}, {hi}].")


def sym_constrain_range_for_size(size: Any, min: int | None = None,
                                 max: int | None = None) -> None:
    """Like ``sym_constrain_range`` for a size: ``min`` defaults to 0."""
    sym_constrain_range(size, 0 if min is None else min, max)


# ------------------------------------------------------------------ runtime switches
def _mxcsr_flush(mode: bool) -> bool:
    """Set the x86-64 SSE control register's flush-to-zero and denormals-are-zero bits for
    this thread through the C library's ``fegetenv``/``fesetenv`` (glibc's ``fenv_t``
    keeps MXCSR at byte 28); False where that is not available."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        libc = ctypes.CDLL(None)
        env = (ctypes.c_uint8 * 32)()
        if libc.fegetenv(env) != 0:
            return False
        mxcsr = int.from_bytes(bytes(env[28:32]), "little")
        mxcsr = (mxcsr | 0x8040) if mode else (mxcsr & ~0x8040)
        env[28:32] = list(mxcsr.to_bytes(4, "little"))
        return libc.fesetenv(env) == 0
    except (OSError, AttributeError):
        return False


def set_flush_denormal(mode: bool) -> bool:
    """Flush denormal floats to zero (``mode=True``) or not, on this thread's CPU
    arithmetic; returns whether the CPU supports it and it was set."""
    return _mxcsr_flush(bool(mode))


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def get_deterministic_debug_mode() -> int:
    """0 (default), 1 (warn) or 2 (error), from ``use_deterministic_algorithms``."""
    if are_deterministic_algorithms_enabled():
        return 1 if is_deterministic_algorithms_warn_only_enabled() else 2
    return 0


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """``"default"``/0, ``"warn"``/1 or ``"error"``/2: ``use_deterministic_algorithms``
    off, on with warnings only, or on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode == 0:
        use_deterministic_algorithms(False)
    elif debug_mode == 1:
        use_deterministic_algorithms(True, warn_only=True)
    elif debug_mode == 2:
        use_deterministic_algorithms(True)
    else:
        raise RuntimeError("invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")


def is_storage(obj: object) -> bool:
    """Whether ``obj`` is a storage (untyped, or a typed/legacy one)."""
    from .._storage import TypedStorage, UntypedStorage

    return isinstance(obj, (UntypedStorage, TypedStorage))


_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")


def get_device_module(device: Any = None) -> Any:
    """The module of a device type (``ember.cpu``, ``ember.cuda``); without ``device``, the
    accelerator's (``ember.cuda``, as PyTorch answers even on a CPU-only build)."""
    if device is None:
        name = "cuda"
    elif isinstance(device, str):
        name = device.split(":", 1)[0]
    else:
        name = getattr(device, "type", None)
        if name is None:
            raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, "
                               "or None")
    try:
        return importlib.import_module(f"ember.{name}")
    except ImportError:
        pass
    if name not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                           f"device string: {device}")
    raise RuntimeError(f"Device '{name}' does not have a corresponding module registered as "
                       f"'ember.{name}'.")


# ------------------------------------------------------------------ native-op spellings
def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple:
    """``torch.adaptive_max_pool1d``: the native op, which always returns ``(output, indices)``
    (``F.adaptive_max_pool1d`` returns the indices only when asked)."""
    from .pooling_adaptive import adaptive_max_pool1d as pool

    return pool(input, output_size, True)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """``torch.conv_tbc``: 1-D convolution in time-batch-channel layout; ``input`` is
    (time, batch, in), ``weight`` (kernel width, in, out), the result (time', batch, out)."""
    from .conv import conv1d

    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=int(pad))
    return renamed(out.permute(2, 0, 1).contiguous(), "ConvTbcBackward0")


# ------------------------------------------------------------------ Tensor methods
def _set_(self: Tensor, source: Any = None, storage_offset: int = 0, size: Any = None,
          stride: Any = None) -> Tensor:
    """Make ``self`` use ``source``'s memory: another tensor's (same shape and strides), a
    storage's (from ``storage_offset``, with ``size``/``stride``), or none (empty)."""
    from .._storage import TypedStorage, UntypedStorage
    from ._dispatch import grad_state
    from ._inplace import check_inplace

    check_inplace(self, "set_")  # a leaf (or its view) that requires grad: refused
    if self._rg and grad_state.enabled:  # PyTorch's node fails only in backward
        from ._dispatch import record

        record("NotImplemented", self, (self,), _set_not_differentiable)
    be = self._device._backend
    xp = be.xp
    if source is None:
        self._data = xp.empty((0,), dtype=self._data.dtype)
    elif isinstance(source, Tensor):
        if source.dtype is not self.dtype:
            raise RuntimeError(f"Could not set tensor of type {_c_name(source.dtype)} to a "
                               f"tensor of type {_c_name(self.dtype)}")
        self._data = source._data
    elif isinstance(source, (UntypedStorage, TypedStorage)):
        if isinstance(source, TypedStorage):
            if source.dtype is not self.dtype:
                raise RuntimeError(f"Expected a Storage of type {self.dtype} or an "
                                   f"UntypedStorage, but got type {source.dtype} for argument 1 "
                                   "'storage'")
            source = source.untyped()
        from .shape_views import strided

        flat = make(source._buffer.reshape(-1).view(xp.uint8).view(self._data.dtype),
                    self._device)
        if size is None:
            size, stride = (flat.shape[0] - storage_offset,), (1,)
        size = tuple(int(s) for s in size)
        if stride is None:
            stride = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
        self._data = strided(flat, size, stride, int(storage_offset))
    else:
        raise TypeError(f"set_() received an invalid combination of arguments - got "
                        f"({type(source).__name__})")
    self._vc[0] += 1
    return self


def _set_not_differentiable(g: Tensor) -> tuple:
    raise RuntimeError("derivative for set_ is not implemented")


def _c_name(dt: _dt.dtype) -> str:
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16"}.get(dt.name, dt.name)


def _is_set_to(self: Tensor, tensor: Tensor) -> bool:
    """Whether both tensors use the same memory with the same shape, strides and offset."""
    a, b = self._data, tensor._data
    return (self._device == tensor._device and a.shape == b.shape and a.strides == b.strides
            and self.data_ptr() == tensor.data_ptr() and a.dtype == b.dtype)


def _dim_order(self: Tensor, *, ambiguity_check: bool | list = False) -> tuple[int, ...]:
    """The dimensions from outermost to innermost in memory, as PyTorch orders them (its
    elementwise-output permutation); ``ambiguity_check`` (True, or memory formats to accept)
    refuses a tensor whose order is not unique (a size-1 dimension, or equal neighbouring
    strides)."""
    from .._tensor import memory_format

    if not isinstance(ambiguity_check, bool) and not (
            isinstance(ambiguity_check, list)
            and all(isinstance(f, memory_format) for f in ambiguity_check)):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                        "formats.")
    shape, strides = tuple(self.shape), self.stride()
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    if ambiguity_check is not False:
        ambiguous = (any(s == 1 for s in shape)
                     or any(a == b for a, b in zip(strides, strides[1:])))
        if ambiguous and sum(bool(self.is_contiguous(memory_format=f)) for f in formats) != 1:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to "
                               "exact one of the given memory formats.")
    perm, unordered = _physical_perm(self, shape, strides, bool(ambiguity_check))
    if unordered:
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(perm)


def _physical_perm(self: Tensor, shape: tuple, strides: tuple, check: bool) -> tuple:
    """PyTorch's ``compute_elementwise_output_logical_to_physical_perm`` of one tensor: the
    contiguous and channels-last layouts directly, else an insertion sort by stride that
    steps over the pairs it cannot order (a stride 0, equal strides of equal sizes); with
    ``check``, whether some neighbouring pair stayed unordered."""
    from .._tensor import channels_last

    nd = len(shape)
    if nd < 2:
        return list(range(nd)), False
    contig = self.is_contiguous()
    cl = nd == 4 and self.is_contiguous(memory_format=channels_last)
    if contig and not cl:
        return list(range(nd)), False
    if cl and not contig:
        return [0, *range(2, nd), 1], False

    def ge(a: int, b: int) -> bool:
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def should_swap(a: int, b: int) -> int:
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if ge(shape[b], shape[a]) else 1
        return -1 if ge(sb, sa) else 1

    perm = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        j = i
        for k in range(i - 1, -1, -1):
            cmp = should_swap(perm[k], perm[j])
            if cmp > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif cmp < 0:
                break
    unordered = check and any(should_swap(perm[i], perm[i + 1]) != -1 for i in range(nd - 1))
    return perm[::-1], unordered


def _storage_type(self: Tensor) -> type:
    """The legacy typed-storage class of ``self``'s dtype (``FloatStorage``, ...)."""
    return legacy_storage_class(self.dtype)


_LEGACY = {}


def legacy_storage_class(dt: _dt.dtype) -> type:
    """``ember.FloatStorage``-style class of a dtype: a TypedStorage of that dtype."""
    from .._storage import TypedStorage

    cls = _LEGACY.get(dt.name)
    if cls is None:
        name = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}.get(dt.name, dt.name.capitalize()) + "Storage"
        cls = _LEGACY[dt.name] = type(name, (TypedStorage,), {"dtype": dt,
                                                              "__module__": "ember"})
    return cls


def _module_load(self: Tensor, other: Tensor, assign: bool = False) -> Tensor:
    """How ``nn.Module.load_state_dict`` turns the loaded ``other`` into ``self``'s new
    value when swapping parameters: ``other`` itself with ``assign``, else ``self`` with
    ``other`` copied in (detached either way)."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


methods(set_=_set_, is_set_to=_is_set_to, dim_order=_dim_order, storage_type=_storage_type,
        module_load=_module_load)
