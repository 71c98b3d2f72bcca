"""``ember.ao.nn.intrinsic.qat``: quantization-aware-training versions of the fused modules.
``ConvBn*d`` keep the BatchNorm as a child (``bn``) and fake-quantize the convolution weight
scaled by ``bn.weight / sqrt(running_var + eps)``, dividing the scale back out before the
BatchNorm (PyTorch's one-pass approximation); ``ConvReLU*d``/``LinearReLU`` apply a ReLU."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.conv import _ConvNd
from ember.nn.modules.utils import _pair, _single, _triple

from ... import intrinsic as nni
from ... import qat as nnqat

__all__ = ["LinearReLU", "ConvReLU1d", "ConvReLU2d", "ConvReLU3d", "ConvBn1d", "ConvBn2d",
           "ConvBn3d", "ConvBnReLU1d", "ConvBnReLU2d", "ConvBnReLU3d",
           "freeze_bn_stats", "update_bn_stats"]


class LinearReLU(nnqat.Linear, nni._FusedModule):
    """QAT ``Linear`` followed by a ReLU."""

    _FLOAT_MODULE = nni.LinearReLU

    def forward(self, input: Any) -> Any:
        return F.relu(F.linear(input, self.weight_fake_quant(self.weight), self.bias))


def _conv_relu(name: str, qat_conv: type, fused: type) -> type:
    def forward(self: Any, input: Any) -> Any:
        return F.relu(self._conv_forward(input, self.weight_fake_quant(self.weight),
                                         self.bias))

    return type(name, (qat_conv, nni._FusedModule),
                {"_FLOAT_MODULE": fused, "_FLOAT_RELU_MODULE": nn.ReLU, "forward": forward,
                 "__module__": __name__, "__doc__": f"QAT ``{qat_conv.__name__}`` + ReLU."})


ConvReLU1d = _conv_relu("ConvReLU1d", nnqat.Conv1d, nni.ConvReLU1d)
ConvReLU2d = _conv_relu("ConvReLU2d", nnqat.Conv2d, nni.ConvReLU2d)
ConvReLU3d = _conv_relu("ConvReLU3d", nnqat.Conv3d, nni.ConvReLU3d)


class _ConvBnNd(_ConvNd, nni._FusedModule):
    """Convolution + BatchNorm for QAT (mixed into the ``nn.ConvNd`` classes)."""

    _BN: Any = None
    _NTUPLE: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: Any = None,
                 padding_mode: str = "zeros", eps: float = 1e-05, momentum: float = 0.1,
                 freeze_bn: bool = False, qconfig: Any = None) -> None:
        tup = self._NTUPLE
        _ConvNd.__init__(self, in_channels, out_channels, tup(kernel_size), tup(stride),
                         padding if isinstance(padding, str) else tup(padding), tup(dilation),
                         False, tup(0), groups, False, padding_mode)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.freeze_bn = freeze_bn if self.training else True
        self.bn = self._BN(out_channels, eps, momentum, True, True)
        self.weight_fake_quant = self.qconfig.weight()
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_bn_parameters()
        if self.training and not freeze_bn:
            self.update_bn_stats()
        else:
            self.freeze_bn_stats()
        self._enable_slow_path_for_better_numerical_stability = False

    def reset_running_stats(self) -> None:
        self.bn.reset_running_stats()

    def reset_bn_parameters(self) -> None:
        self.bn.reset_running_stats()
        init.uniform_(self.bn.weight)
        init.zeros_(self.bn.bias)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def update_bn_stats(self) -> Any:
        self.freeze_bn = False
        self.bn.training = True
        return self

    def freeze_bn_stats(self) -> Any:
        self.freeze_bn = True
        self.bn.training = False
        return self

    def _forward(self, input: Any) -> Any:
        if self.bn.running_var is None:
            raise AssertionError("self.bn.running_var must not be None")
        running_std = ember.sqrt(self.bn.running_var + self.bn.eps)
        scale_factor = self.bn.weight / running_std
        weight_shape = [1] * self.weight.dim()
        weight_shape[0] = -1
        bias_shape = [1] * self.weight.dim()
        bias_shape[1] = -1
        scaled_weight = self.weight_fake_quant(self.weight * scale_factor.reshape(weight_shape))
        if self.bias is not None:
            zero_bias = ember.zeros_like(self.bias, dtype=input.dtype)
        else:
            zero_bias = ember.zeros(self.out_channels, dtype=input.dtype)
        conv = self._conv_forward(input, scaled_weight, zero_bias)
        conv_orig = conv / scale_factor.reshape(bias_shape)
        if self.bias is not None:
            conv_orig = conv_orig + self.bias.reshape(bias_shape)
        return self.bn(conv_orig)

    def forward(self, input: Any) -> Any:
        return self._forward(input)

    def extra_repr(self) -> str:
        return _ConvNd.extra_repr(self)

    def train(self, mode: bool = True) -> Any:
        """Sets the mode; a frozen BatchNorm keeps its own."""
        self.training = mode
        if not self.freeze_bn:
            for module in self.children():
                module.train(mode)
        return self

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """A QAT module sharing the parameters and statistics of the fused float ``mod``."""
        nnqat._check_float(cls, mod, f"qat.{cls.__name__}.from_float only works for "
                                     f"{cls._FLOAT_MODULE.__name__}")
        conv, bn = mod[0], mod[1]
        qat = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                  conv.padding, conv.dilation, conv.groups, conv.bias is not None,
                  conv.padding_mode, bn.eps, bn.momentum, False, mod.qconfig)
        qat.weight = conv.weight
        qat.bias = conv.bias
        qat.bn.weight = bn.weight
        qat.bn.bias = bn.bias
        qat.bn.running_mean = bn.running_mean
        qat.bn.running_var = bn.running_var
        qat.bn.num_batches_tracked = bn.num_batches_tracked
        return qat


def _conv_bn(name: str, conv: type, bn: type, tup: Any, fused: type, relu: bool) -> type:
    attrs: dict = {"_FLOAT_MODULE": fused, "_FLOAT_CONV_MODULE": conv, "_FLOAT_BN_MODULE": bn,
                   "_BN": bn, "_NTUPLE": staticmethod(tup), "__module__": __name__,
                   "__doc__": f"QAT {conv.__name__} + {bn.__name__}{' + ReLU' if relu else ''}."}
    if relu:
        attrs["forward"] = lambda self, input: F.relu(self._forward(input))
        attrs["_FLOAT_RELU_MODULE"] = nn.ReLU
    return type(name, (_ConvBnNd, conv), attrs)


ConvBn1d = _conv_bn("ConvBn1d", nn.Conv1d, nn.BatchNorm1d, _single, nni.ConvBn1d, False)
ConvBn2d = _conv_bn("ConvBn2d", nn.Conv2d, nn.BatchNorm2d, _pair, nni.ConvBn2d, False)
ConvBn3d = _conv_bn("ConvBn3d", nn.Conv3d, nn.BatchNorm3d, _triple, nni.ConvBn3d, False)
ConvBnReLU1d = _conv_bn("ConvBnReLU1d", nn.Conv1d, nn.BatchNorm1d, _single, nni.ConvBnReLU1d,
                        True)
ConvBnReLU2d = _conv_bn("ConvBnReLU2d", nn.Conv2d, nn.BatchNorm2d, _pair, nni.ConvBnReLU2d,
                        True)
ConvBnReLU3d = _conv_bn("ConvBnReLU3d", nn.Conv3d, nn.BatchNorm3d, _triple, nni.ConvBnReLU3d,
                        True)


def update_bn_stats(mod: nn.Module) -> None:
    """Lets the BatchNorm of a QAT conv-bn module update its statistics (``model.apply``)."""
    if isinstance(mod, _ConvBnNd):
        mod.update_bn_stats()


def freeze_bn_stats(mod: nn.Module) -> None:
    """Freezes the BatchNorm statistics of a QAT conv-bn module (``model.apply``)."""
    if isinstance(mod, _ConvBnNd):
        mod.freeze_bn_stats()
