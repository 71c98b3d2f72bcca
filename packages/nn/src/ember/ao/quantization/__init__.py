"""``ember.ao.quantization``: observers, fake quantization and ``QConfig`` for
quantization-aware training and calibration (quantized tensors and modules are not here)."""

from __future__ import annotations

from .fake_quantize import (
                            FakeQuantize,
                            FakeQuantizeBase,
                            FixedQParamsFakeQuantize,
                            FusedMovingAvgObsFakeQuantize,
                            default_fake_quant,
                            default_fixed_qparams_range_0to1_fake_quant,
                            default_fixed_qparams_range_neg1to1_fake_quant,
                            default_fused_act_fake_quant,
                            default_fused_per_channel_wt_fake_quant,
                            default_fused_wt_fake_quant,
                            default_per_channel_weight_fake_quant,
                            default_weight_fake_quant,
                            disable_fake_quant,
                            disable_observer,
                            enable_fake_quant,
                            enable_observer,
)
from .fuse_modules import fuse_modules, fuse_modules_qat
from .observer import (
                            FixedQParamsObserver,
                            HistogramObserver,
                            MinMaxObserver,
                            MovingAverageMinMaxObserver,
                            MovingAveragePerChannelMinMaxObserver,
                            ObserverBase,
                            PerChannelMinMaxObserver,
                            UniformQuantizationObserverBase,
                            default_fixed_qparams_range_0to1_observer,
                            default_fixed_qparams_range_neg1to1_observer,
                            default_observer,
                            default_per_channel_weight_observer,
                            default_weight_observer,
)
from .qconfig import (
                            QConfig,
                            default_per_channel_qconfig,
                            default_qat_qconfig,
                            default_qat_qconfig_v2,
                            default_qconfig,
                            default_weight_only_qconfig,
                            get_default_qat_qconfig,
                            get_default_qconfig,
)
from .quantize import (
                            add_quant_dequant,
                            convert,
                            get_default_qat_module_mappings,
                            get_default_qconfig_propagation_list,
                            prepare,
                            prepare_qat,
                            propagate_qconfig_,
                            swap_module,
)
from .stubs import DeQuantStub, QuantStub, QuantWrapper

__all__ = ["DeQuantStub", "QuantStub", "QuantWrapper", "FakeQuantize", "FakeQuantizeBase", "FusedMovingAvgObsFakeQuantize", "MinMaxObserver",
           "MovingAverageMinMaxObserver", "MovingAveragePerChannelMinMaxObserver",
           "ObserverBase", "PerChannelMinMaxObserver", "QConfig",
           "UniformQuantizationObserverBase", "default_fake_quant",
           "default_fused_act_fake_quant", "default_fused_per_channel_wt_fake_quant",
           "default_fused_wt_fake_quant", "default_observer", "default_per_channel_qconfig",
           "default_per_channel_weight_fake_quant", "default_per_channel_weight_observer",
           "default_qat_qconfig", "default_qat_qconfig_v2", "default_qconfig",
           "default_weight_fake_quant", "default_weight_observer",
           "default_weight_only_qconfig", "disable_fake_quant", "disable_observer",
           "enable_fake_quant", "enable_observer", "get_default_qat_qconfig",
           "fuse_modules", "fuse_modules_qat", "add_quant_dequant", "convert",
           "get_default_qat_module_mappings", "get_default_qconfig_propagation_list", "HistogramObserver", "FixedQParamsObserver", "FixedQParamsFakeQuantize",
           "default_fixed_qparams_range_0to1_fake_quant",
           "default_fixed_qparams_range_neg1to1_fake_quant",
           "default_fixed_qparams_range_0to1_observer",
           "default_fixed_qparams_range_neg1to1_observer",
           "get_default_qconfig",
           "prepare", "prepare_qat", "propagate_qconfig_", "swap_module"]
