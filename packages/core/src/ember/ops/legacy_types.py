"""PyTorch's legacy tensor types: ``ember.FloatTensor(2, 3)``, ``isinstance(t, LongTensor)``,
``t.type(ember.DoubleTensor)``.

Each is a class whose instances are never made: calling it builds an Ember tensor of its dtype
on the CPU (sizes give an uninitialised tensor, data is copied, a tensor of the same dtype is
shared), and ``isinstance`` checks the dtype and device.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ._dispatch import CPU, Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
           "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor",
           "set_default_tensor_type", "set_warn_always", "is_warn_always_enabled"]


class _LegacyType(type):
    _legacy_dtype: _dt.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._legacy_dtype \
            and obj.device.type == "cpu"

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        from .creation import empty, tensor

        dt = cls._legacy_dtype
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                               f"{device} was passed")
        if not args:
            return empty(0, dtype=dt)
        if len(args) == 1 and isinstance(args[0], Tensor):
            src = args[0]
            if src.dtype is not dt:
                raise TypeError(f"expected {cls.__name__} (got {src.type()})")
            return src.detach()
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=dt)
        if len(args) == 1 and isinstance(args[0], tuple) and all(
                isinstance(a, int) for a in args[0]) and type(args[0]).__name__ == "Size":
            return empty(args[0], dtype=dt)
        if len(args) == 1:
            if args[0] is None or isinstance(args[0], (float, complex)):
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            return tensor(args[0], dtype=dt, device=CPU)
        raise TypeError(f"new(): invalid arguments for {cls.__name__}: {args!r}")

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _make(name: str, dtype: _dt.dtype) -> type:
    return _LegacyType(name, (), {"_legacy_dtype": dtype, "dtype": dtype, "is_cuda": False,
                                  "__module__": "ember"})


FloatTensor = _make("FloatTensor", _dt.float32)
DoubleTensor = _make("DoubleTensor", _dt.float64)
HalfTensor = _make("HalfTensor", _dt.float16)
BFloat16Tensor = _make("BFloat16Tensor", _dt.bfloat16)
ByteTensor = _make("ByteTensor", _dt.uint8)
CharTensor = _make("CharTensor", _dt.int8)
ShortTensor = _make("ShortTensor", _dt.int16)
IntTensor = _make("IntTensor", _dt.int32)
LongTensor = _make("LongTensor", _dt.int64)
BoolTensor = _make("BoolTensor", _dt.bool)


_BY_NAME = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor,
                                    ByteTensor, CharTensor, ShortTensor, IntTensor, LongTensor,
                                    BoolTensor)}


class _CudaLegacyType(_LegacyType):
    """``torch.cuda.FloatTensor`` and the like: the CPU type's constructor, then to the GPU
    (an error where there is none); ``isinstance`` checks for a CUDA tensor."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._legacy_dtype \
            and obj.device.type == "cuda"

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        from ._deprecated_overload import warn_deprecated

        warn_deprecated("cuda_ctor", "The torch.cuda.*DtypeTensor constructors are no longer "
                        "recommended. It's best to use methods such as torch.tensor(data, "
                        "dtype=*, device='cuda') to create tensors.")
        return _BY_NAME[cls.__name__](*args).to("cuda" if device is None else device)

    def __repr__(cls) -> str:
        return f"<class 'torch.cuda.{cls.__name__}'>"


CUDA_TYPES = {name: _CudaLegacyType(name, (), {"_legacy_dtype": t._legacy_dtype,
                                               "dtype": t._legacy_dtype, "is_cuda": True,
                                               "__module__": "ember.cuda"})
              for name, t in _BY_NAME.items()}

def set_default_tensor_type(t: Any) -> None:
    """Deprecated in PyTorch 2.1: sets the default floating dtype from a legacy type."""
    from ._deprecated_overload import warn_deprecated

    warn_deprecated("set_default_tensor_type", "torch.set_default_tensor_type() is deprecated "
                    "as of PyTorch 2.1, please use torch.set_default_dtype() and "
                    "torch.set_default_device() as alternatives. (Triggered internally at "
                    "/__w/pytorch/pytorch/torch/csrc/tensor/python_tensor.cpp:434.)")
    if isinstance(t, str):
        name = t.rsplit(".", 1)[-1]
        if name not in _BY_NAME:
            raise TypeError(f"invalid type: '{t}'")
        t = _BY_NAME[name]
    dt = getattr(t, "_legacy_dtype", None)
    if dt is None or not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dt.set_default_dtype(dt)


_warn_always = [False]


def set_warn_always(b: bool) -> None:
    """Whether warnings that PyTorch gives once per process are given every time."""
    _warn_always[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always[0]


def _narrow_copy(self: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` followed by a copy (a new tensor with its own memory)."""
    return self.narrow(dim, start, length).clone()


def _to_dense(self: Tensor, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
    """Strided tensors are dense already: ``self`` (or a conversion to ``dtype``)."""
    return self if dtype is None else self.to(dtype)


def _const_data_ptr(self: Tensor) -> int:
    return self.data_ptr()


Tensor.narrow_copy = _narrow_copy
Tensor.to_dense = _to_dense
Tensor.const_data_ptr = _const_data_ptr
