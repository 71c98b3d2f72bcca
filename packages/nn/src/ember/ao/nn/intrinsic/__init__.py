"""``ember.ao.nn.intrinsic``: fused modules (``Sequential`` containers of a convolution or
linear layer with its BatchNorm and/or ReLU) that quantization treats as one layer."""

from __future__ import annotations

import importlib
from typing import Any

from ember import nn

__all__ = ["_FusedModule", "ConvReLU1d", "ConvReLU2d", "ConvReLU3d", "LinearReLU",
           "ConvBn1d", "ConvBn2d", "ConvBn3d", "ConvBnReLU1d", "ConvBnReLU2d",
           "ConvBnReLU3d", "BNReLU2d", "BNReLU3d", "LinearBn1d"]


class _FusedModule(nn.Sequential):
    """Base of the fused modules."""


def _fused(name: str, *types: type) -> type:
    """A fused ``Sequential`` of modules of exactly ``types`` (checked at construction)."""
    def __init__(self: Any, *mods: Any) -> None:
        if len(mods) != len(types) or any(type(m) is not t for m, t in zip(mods, types)):
            names = [type(m).__name__ for m in mods]
            listed = (" and ".join(names) if len(names) < 3
                      else ", ".join(names[:-1]) + ", and " + names[-1])
            raise AssertionError(f"Incorrect types for input modules: {listed}")
        _FusedModule.__init__(self, *mods)

    cls = type(name, (_FusedModule,), {"__init__": __init__, "__module__": __name__,
                                       "__doc__": f"Fused {' + '.join(t.__name__ for t in types)}."})
    cls.__init__.__qualname__ = f"{name}.__init__"
    return cls


ConvReLU1d = _fused("ConvReLU1d", nn.Conv1d, nn.ReLU)
ConvReLU2d = _fused("ConvReLU2d", nn.Conv2d, nn.ReLU)
ConvReLU3d = _fused("ConvReLU3d", nn.Conv3d, nn.ReLU)
LinearReLU = _fused("LinearReLU", nn.Linear, nn.ReLU)
ConvBn1d = _fused("ConvBn1d", nn.Conv1d, nn.BatchNorm1d)
ConvBn2d = _fused("ConvBn2d", nn.Conv2d, nn.BatchNorm2d)
ConvBn3d = _fused("ConvBn3d", nn.Conv3d, nn.BatchNorm3d)
ConvBnReLU1d = _fused("ConvBnReLU1d", nn.Conv1d, nn.BatchNorm1d, nn.ReLU)
ConvBnReLU2d = _fused("ConvBnReLU2d", nn.Conv2d, nn.BatchNorm2d, nn.ReLU)
ConvBnReLU3d = _fused("ConvBnReLU3d", nn.Conv3d, nn.BatchNorm3d, nn.ReLU)
BNReLU2d = _fused("BNReLU2d", nn.BatchNorm2d, nn.ReLU)
BNReLU3d = _fused("BNReLU3d", nn.BatchNorm3d, nn.ReLU)
LinearBn1d = _fused("LinearBn1d", nn.Linear, nn.BatchNorm1d)


def __getattr__(name: str) -> Any:
    if name == "qat":
        return importlib.import_module(".qat", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
