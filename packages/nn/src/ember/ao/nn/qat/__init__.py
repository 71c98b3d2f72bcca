"""``ember.ao.nn.qat``: ``Linear`` and convolutions whose weight passes through a
fake-quantize module (``weight_fake_quant``, built from the ``qconfig``) in ``forward``, for
quantization-aware training; ``from_float`` builds one sharing a float module's parameters."""

from __future__ import annotations

from typing import Any

from ember import nn
from ember.nn import functional as F

__all__ = ["Linear", "Conv1d", "Conv2d", "Conv3d"]


def _check_float(cls: type, mod: Any, message: str) -> Any:
    """The ``qconfig`` of ``mod``, checked to be a ``cls._FLOAT_MODULE`` with one."""
    if type(mod) is not cls._FLOAT_MODULE:
        raise AssertionError(message)
    if not hasattr(mod, "qconfig"):
        raise AssertionError("Input float module must have qconfig defined")
    if not mod.qconfig:
        raise AssertionError("Input float module must have a valid qconfig")
    return mod.qconfig


def _weight_fake_quant(self: nn.Module, qconfig: Any, device: Any, dtype: Any) -> None:
    if not qconfig:
        raise AssertionError("qconfig must be provided for QAT module")
    self.qconfig = qconfig
    self.weight_fake_quant = qconfig.weight(factory_kwargs={"device": device, "dtype": dtype})


class Linear(nn.Linear):
    """``nn.Linear`` with a fake-quantized weight."""

    _FLOAT_MODULE: Any = nn.Linear

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 qconfig: Any = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        _weight_fake_quant(self, qconfig, device, dtype)

    def forward(self, input: Any) -> Any:
        return F.linear(input, self.weight_fake_quant(self.weight), self.bias)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """A QAT module sharing the parameters of the float ``mod`` (given its qconfig)."""
        _check_float(cls, mod, f"qat.{cls.__name__}.from_float only works for "
                               f"{cls._FLOAT_MODULE.__name__}, got {type(mod).__name__}")
        if isinstance(mod, nn.Sequential):
            mod = mod[0]
        qat = cls(mod.in_features, mod.out_features, bias=mod.bias is not None,
                  qconfig=mod.qconfig)
        qat.weight = mod.weight
        qat.bias = mod.bias
        return qat

    def to_float(self) -> nn.Linear:
        """The plain ``nn.Linear`` with copies of the parameters."""
        linear = nn.Linear(self.in_features, self.out_features, self.bias is not None)
        linear.weight = nn.Parameter(self.weight.detach())
        if self.bias is not None:
            linear.bias = nn.Parameter(self.bias.detach())
        linear.train(self.training)
        return linear


def _qat_conv(name: str, base: type) -> type:
    class ConvNd(base):  # type: ignore[misc, valid-type]
        _FLOAT_MODULE: Any = base
        _FLOAT_CONV_MODULE: Any = base

        def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                     stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     bias: bool = True, padding_mode: str = "zeros", qconfig: Any = None,
                     device: Any = None, dtype: Any = None) -> None:
            base.__init__(self, in_channels, out_channels, kernel_size, stride=stride,
                          padding=padding, dilation=dilation, groups=groups, bias=bias,
                          padding_mode=padding_mode, device=device, dtype=dtype)
            _weight_fake_quant(self, qconfig, device, dtype)

        def forward(self, input: Any) -> Any:
            return self._conv_forward(input, self.weight_fake_quant(self.weight), self.bias)

        @classmethod
        def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
            """A QAT module sharing the parameters of the float ``mod``."""
            _check_float(cls, mod, f"qat.{cls.__name__}.from_float only works for "
                                   f"{cls._FLOAT_MODULE.__name__}, got {type(mod).__name__}")
            if isinstance(mod, nn.Sequential):
                mod = mod[0]
            qat = cls(mod.in_channels, mod.out_channels, mod.kernel_size, stride=mod.stride,
                      padding=mod.padding, dilation=mod.dilation, groups=mod.groups,
                      bias=mod.bias is not None, padding_mode=mod.padding_mode,
                      qconfig=mod.qconfig)
            qat.weight = mod.weight
            qat.bias = mod.bias
            return qat

    ConvNd.__name__ = ConvNd.__qualname__ = name
    ConvNd.__module__ = __name__
    ConvNd.__doc__ = f"``nn.{name}`` with a fake-quantized weight."
    return ConvNd


Conv1d = _qat_conv("Conv1d", nn.Conv1d)
Conv2d = _qat_conv("Conv2d", nn.Conv2d)
Conv3d = _qat_conv("Conv3d", nn.Conv3d)
