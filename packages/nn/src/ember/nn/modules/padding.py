"""Padding layers: zero, constant, reflection, replication and circular, in 1, 2 and 3-D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember import Tensor

from .. import functional as F
from .module import Module
from .utils import _ntuple, _pair, _quadruple

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]

_sextuple = _ntuple(6, "_sextuple")
_TUPLES = {1: _pair, 2: _quadruple, 3: _sextuple}


class _PadNd(Module):
    """Pads the last ``_dims`` dimensions with F.pad's ``_mode``."""

    __constants__ = ["padding"]
    _mode = "constant"
    _dims = 1
    padding: Sequence[int]

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _TUPLES[self._dims](padding)

    def _check_input_dim(self, input: Tensor) -> None:
        n = self._dims + 1
        if input.dim() not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return F.pad(input, self.padding, "circular")


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd:
    """Mixed in before ``ConstantPadNd``: PyTorch's ZeroPadNd subclasses ConstantPadNd."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


def _make(base: type | tuple, name: str, dims: int, doc: str) -> type:
    bases = base if isinstance(base, tuple) else (base,)
    return type(name, bases, {"_dims": dims, "__doc__": doc, "__module__": __name__})


CircularPad1d = _make(_CircularPadNd, "CircularPad1d", 1, "Circular padding of (N, C, L).")
CircularPad2d = _make(_CircularPadNd, "CircularPad2d", 2, "Circular padding of (N, C, H, W).")
CircularPad3d = _make(_CircularPadNd, "CircularPad3d", 3,
                      "Circular padding of (N, C, D, H, W).")
ConstantPad1d = _make(_ConstantPadNd, "ConstantPad1d", 1, "Pads the last dim with a constant.")
ConstantPad2d = _make(_ConstantPadNd, "ConstantPad2d", 2,
                      "Pads the last 2 dims with a constant.")
ConstantPad3d = _make(_ConstantPadNd, "ConstantPad3d", 3,
                      "Pads the last 3 dims with a constant.")
ZeroPad1d = _make((_ZeroPadNd, ConstantPad1d), "ZeroPad1d", 1, "Pads the last dim with zeros.")
ZeroPad2d = _make((_ZeroPadNd, ConstantPad2d), "ZeroPad2d", 2, "Pads the last 2 dims with zeros.")
ZeroPad3d = _make((_ZeroPadNd, ConstantPad3d), "ZeroPad3d", 3, "Pads the last 3 dims with zeros.")
ReflectionPad1d = _make(_ReflectionPadNd, "ReflectionPad1d", 1,
                        "Pads the last dim with its reflection.")
ReflectionPad2d = _make(_ReflectionPadNd, "ReflectionPad2d", 2,
                        "Pads the last 2 dims with their reflection.")
ReflectionPad3d = _make(_ReflectionPadNd, "ReflectionPad3d", 3,
                        "Pads the last 3 dims with their reflection.")
ReplicationPad1d = _make(_ReplicationPadNd, "ReplicationPad1d", 1,
                         "Pads the last dim by repeating its edge values.")
ReplicationPad2d = _make(_ReplicationPadNd, "ReplicationPad2d", 2,
                         "Pads the last 2 dims by repeating their edge values.")
ReplicationPad3d = _make(_ReplicationPadNd, "ReplicationPad3d", 3,
                         "Pads the last 3 dims by repeating their edge values.")
