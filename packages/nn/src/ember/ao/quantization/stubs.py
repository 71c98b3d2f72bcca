"""``QuantStub``/``DeQuantStub`` (identity modules marking where a model's quantized region
starts and ends, until a conversion replaces them) and ``QuantWrapper``."""

from __future__ import annotations

from typing import Any

from ember import nn

__all__ = ["QuantStub", "DeQuantStub", "QuantWrapper"]


def _stub_init(self: nn.Module, qconfig: Any = None) -> None:
    nn.Module.__init__(self)
    if qconfig:
        self.qconfig = qconfig


def _identity(self: nn.Module, x: Any) -> Any:
    return x


class QuantStub(nn.Module):
    """Marks where quantization starts; the identity before conversion."""

    __init__ = _stub_init
    forward = _identity


class DeQuantStub(nn.Module):
    """Marks where quantization ends; the identity before conversion."""

    __init__ = _stub_init
    forward = _identity


class QuantWrapper(nn.Module):
    """``module`` between a ``QuantStub`` and a ``DeQuantStub`` (given its ``qconfig``)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X: Any) -> Any:
        return self.dequant(self.module(self.quant(X)))
