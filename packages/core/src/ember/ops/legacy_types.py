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
           "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


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
