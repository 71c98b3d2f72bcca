"""``QConfig``: the pair of observer or fake-quantize constructors (activation, weight) that
quantization preparation instantiates for each layer; the default QAT configurations."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ember import nn

from .fake_quantize import (
    FakeQuantize,
    FusedMovingAvgObsFakeQuantize,
    default_fake_quant,
    default_fused_act_fake_quant,
    default_fused_per_channel_wt_fake_quant,
    default_fused_wt_fake_quant,
    default_per_channel_weight_fake_quant,
    default_weight_fake_quant,
)
from .observer import (
    HistogramObserver,
    MovingAverageMinMaxObserver,
    default_observer,
    default_per_channel_weight_observer,
    default_weight_observer,
)

__all__ = ["QConfig", "default_qconfig", "default_per_channel_qconfig", "default_qat_qconfig",
           "default_qat_qconfig_v2", "default_weight_only_qconfig",
           "get_default_qat_qconfig", "get_default_qconfig"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """How to quantize a layer: constructors (classes or ``with_args`` wrappers, not
    instances) of the activation's and the weight's observer or fake-quantize module."""

    __slots__ = ()

    def __new__(cls, activation: Any, weight: Any) -> QConfig:
        if isinstance(activation, nn.Module) or isinstance(weight, nn.Module):
            raise ValueError(
                "QConfig received observer instance, please pass observer class instead. "
                "Use MyObserver.with_args(x=1) to override arguments to constructor if needed")
        return super().__new__(cls, activation, weight)


default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_per_channel_qconfig = QConfig(activation=default_observer,
                                      weight=default_per_channel_weight_observer)
default_qat_qconfig = QConfig(activation=default_fake_quant, weight=default_weight_fake_quant)
default_weight_only_qconfig = QConfig(activation=nn.Identity,
                                      weight=default_weight_fake_quant)
default_qat_qconfig_v2 = QConfig(activation=default_fused_act_fake_quant,
                                 weight=default_fused_wt_fake_quant)

_BACKENDS = ["fbgemm", "x86", "qnnpack", "onednn"]


def get_default_qat_qconfig(backend: str = "x86", version: int = 1) -> QConfig:
    """The default quantization-aware-training ``QConfig`` of ``backend`` (``x86``,
    ``fbgemm``, ``qnnpack`` or ``onednn``); version 1 uses the fused fake-quantize modules."""
    if backend not in _BACKENDS:
        raise AssertionError(
            f"backend: {backend} not supported. backend must be one of {_BACKENDS}")
    reduce = {"fbgemm": True, "x86": True, "qnnpack": False, "onednn": None}[backend]
    per_tensor_weight = backend == "qnnpack"
    act_kwargs = {} if reduce is None else {"reduce_range": reduce}
    if version == 0:
        act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                     quant_max=255, **act_kwargs)
        weight = (default_weight_fake_quant if per_tensor_weight
                  else default_per_channel_weight_fake_quant)
    elif version == 1:
        act = FusedMovingAvgObsFakeQuantize.with_args(observer=MovingAverageMinMaxObserver,
                                                      quant_min=0, quant_max=255, **act_kwargs)
        weight = (default_fused_wt_fake_quant if per_tensor_weight
                  else default_fused_per_channel_wt_fake_quant)
    else:
        raise AssertionError(f"Version number: {version}in get_default_qat_qconfig is not "
                             "supported. Version number must be 0 or 1")
    return QConfig(activation=act, weight=weight)


def get_default_qconfig(backend: str = "x86", version: int = 0) -> QConfig:
    """The default post-training ``QConfig`` of ``backend``: a ``HistogramObserver`` for
    activations, per-channel (per-tensor for ``qnnpack``) min/max weight observers."""
    if backend not in _BACKENDS:
        raise AssertionError(
            f"backend: {backend} not supported. backend must be one of {_BACKENDS}")
    if version != 0:
        raise AssertionError(f"Version number: {version} in get_default_qconfig is not "
                             "supported. Version number must be 0")
    weight = (default_weight_observer if backend == "qnnpack"
              else default_per_channel_weight_observer)
    return QConfig(activation=HistogramObserver.with_args(
        reduce_range=backend in ("fbgemm", "x86")), weight=weight)
