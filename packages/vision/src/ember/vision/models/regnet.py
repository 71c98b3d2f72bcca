"""RegNet ("Designing Network Design Spaces"): the RegNetX and RegNetY (with
squeeze-and-excitation) families, from 400MF to 128GF."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import WeightsEnum, register_model
from ._meta import _REF, _SWAG_LICENSE, _TV, InterpolationMode, _imagenet
from ._utils import _apply_weights_config, _load_weights, _make_divisible, _verify

__all__ = ["RegNet", "RegNet_Y_400MF_Weights", "RegNet_Y_800MF_Weights", "RegNet_Y_1_6GF_Weights",
           "RegNet_Y_3_2GF_Weights", "RegNet_Y_8GF_Weights", "RegNet_Y_16GF_Weights",
           "RegNet_Y_32GF_Weights", "RegNet_Y_128GF_Weights", "RegNet_X_400MF_Weights",
           "RegNet_X_800MF_Weights", "RegNet_X_1_6GF_Weights", "RegNet_X_3_2GF_Weights",
           "RegNet_X_8GF_Weights", "RegNet_X_16GF_Weights", "RegNet_X_32GF_Weights",
           "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf",
           "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
           "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf",
           "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf"]


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: a stride-2 3x3 convolution, norm and activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module]) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """1x1 (``a``), grouped 3x3 (``b``), optional squeeze-and-excitation (``se``), 1x1
    without activation (``c``)."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        groups = w_b // group_width
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride, groups=groups,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:  # the squeeze width is relative to the block's input width
            layers["se"] = SqueezeExcitation(input_channels=w_b,
                                             squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1,
                                           norm_layer=norm_layer, activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(x + f(x))``, with a 1x1 projection of ``x`` when the shape changes."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int = 1,
                 bottleneck_multiplier: float = 1.0, se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.proj(x) + self.f(x) if self.proj is not None else x + self.f(x)
        return self.activation(x)


class AnyStage(nn.Sequential):
    """``depth`` blocks of one output width, named ``block{stage_index}-{i}``; only the first
    changes width and stride."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None = None,
                 stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            block = block_constructor(width_in if i == 0 else width_out, width_out,
                                      stride if i == 0 else 1, norm_layer, activation_layer,
                                      group_width, bottleneck_multiplier, se_ratio)
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """Per-stage depths, widths, group widths, bottleneck multipliers and strides."""

    def __init__(self, depths: list[int], widths: list[int], group_widths: list[int],
                 bottleneck_multipliers: list[float], strides: list[int],
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0, se_ratio: float | None = None,
                         **kwargs: Any) -> BlockParams:
        """The stages of the quantized linear width rule: block ``j`` is ``w_0 + w_a * j``
        wide, snapped in log space to a power of ``w_m`` times ``w_0`` and rounded to a
        multiple of 8; consecutive blocks of one width form a stage (stride 2 each)."""
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        f32 = np.float32  # in float32, as PyTorch's default dtype computes it
        widths_cont = np.arange(depth, dtype=f32) * f32(w_a) + f32(w_0)
        capacity = np.round(np.log(widths_cont / f32(w_0)) / f32(math.log(w_m)))
        snapped = f32(w_0) * np.power(f32(w_m), capacity, dtype=f32)
        block_widths = (np.round(snapped / f32(quant)) * quant).astype(np.int32).tolist()
        num_stages = len(set(block_widths))
        starts = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths)]
        stage_widths = [w for w, t in zip(block_widths, starts[:-1]) if t]
        stage_depths = np.diff([d for d, t in enumerate(starts) if t]).tolist()
        multipliers = [bottleneck_multiplier] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, multipliers, [group_width] * num_stages)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=multipliers, strides=[stride] * num_stages,
                   se_ratio=se_ratio)

    def _get_expanded_params(self) -> Iterator[tuple[int, int, int, int, float]]:
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(
            stage_widths: list[int], bottleneck_ratios: list[float],
            group_widths: list[int]) -> tuple[list[int], list[int]]:
        """Stage widths whose bottleneck width is a multiple of the (capped) group width."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """A stem, the stages of ``block_params`` (``trunk_output``), global average pooling and
    a linear classifier."""

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type: Callable[..., nn.Module] | None = None,
                 block_type: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        stem_type = stem_type or SimpleStemIN
        norm_layer = norm_layer or nn.BatchNorm2d
        block_type = block_type or ResBottleneckBlock
        activation = activation or nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        width = stem_width
        stages = []
        for i, (width_out, stride, depth, group_width, mult) in enumerate(
                block_params._get_expanded_params()):
            stages.append((f"block{i + 1}", AnyStage(
                width, width_out, stride, depth, block_type, norm_layer, activation, group_width,
                mult, block_params.se_ratio, stage_index=i + 1)))
            width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(stages))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


def _regnet(block_params: BlockParams, weights: Any, progress: bool, **kwargs: Any) -> RegNet:
    _apply_weights_config(weights, kwargs)
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    model = RegNet(block_params, norm_layer=norm_layer, **kwargs)
    return _load_weights(model, weights, progress)


_DOCS_1 = ("These weights improve upon the results of the original paper by using a modified version "
    "of TorchVision's `new training recipe <https://pytorch.org/blog/how-to-train-state-of-the-"
    "art-models-using-torchvision-latest-primitives/>`_.")
_DOCS_2 = ("These weights are learnt via transfer learning by end-to-end fine-tuning the original "
    "`SWAG <https://arxiv.org/abs/2201.08371>`_ weights on ImageNet-1K data.")
_DOCS_3 = ("These weights are composed of the original frozen `SWAG "
    "<https://arxiv.org/abs/2201.08371>`_ trunk weights and a linear classifier learnt on top "
    "of them trained on ImageNet-1K data.")

class RegNet_Y_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_400mf-c65dace8.pth", crop_size=224,
        num_params=4344144, min_size=(1, 1), acc=(74.046, 91.716), ops=0.402, file_size=16.806,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_400mf-e6988f5f.pth", crop_size=224,
        resize_size=232, num_params=4344144, min_size=(1, 1), acc=(75.804, 92.742), ops=0.402,
        file_size=16.806, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_800mf-1b27b58c.pth", crop_size=224,
        num_params=6432512, min_size=(1, 1), acc=(76.42, 93.136), ops=0.834, file_size=24.774,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_800mf-58fc7688.pth", crop_size=224,
        resize_size=232, num_params=6432512, min_size=(1, 1), acc=(78.828, 94.502), ops=0.834,
        file_size=24.774, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_1_6gf-b11a554e.pth", crop_size=224,
        num_params=11202430, min_size=(1, 1), acc=(77.95, 93.966), ops=1.612, file_size=43.152,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_1_6gf-0d7bc02a.pth", crop_size=224,
        resize_size=232, num_params=11202430, min_size=(1, 1), acc=(80.876, 95.444), ops=1.612,
        file_size=43.152, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_3_2gf-b5a9779c.pth", crop_size=224,
        num_params=19436338, min_size=(1, 1), acc=(78.948, 94.576), ops=3.176, file_size=74.567,
        recipe=_REF + "#medium-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_3_2gf-9180c971.pth", crop_size=224,
        resize_size=232, num_params=19436338, min_size=(1, 1), acc=(81.982, 95.972), ops=3.176,
        file_size=74.567, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_8gf-d0d0e4a8.pth", crop_size=224,
        num_params=39381472, min_size=(1, 1), acc=(80.032, 95.048), ops=8.473, file_size=150.701,
        recipe=_REF + "#medium-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_8gf-dc2b1b54.pth", crop_size=224,
        resize_size=232, num_params=39381472, min_size=(1, 1), acc=(82.828, 96.33), ops=8.473,
        file_size=150.701, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_16gf-9e6ed7dd.pth", crop_size=224,
        num_params=83590140, min_size=(1, 1), acc=(80.424, 95.24), ops=15.912, file_size=319.49,
        recipe=_REF + "#large-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_16gf-3e4a00f9.pth", crop_size=224,
        resize_size=232, num_params=83590140, min_size=(1, 1), acc=(82.886, 96.328), ops=15.912,
        file_size=319.49, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_16gf_swag-43afe44d.pth", crop_size=384,
        resize_size=384, interpolation=InterpolationMode.BICUBIC, num_params=83590140,
        min_size=(1, 1), acc=(86.012, 98.054), ops=46.735, file_size=319.49,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE, docs=_DOCS_2)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_16gf_lc_swag-f3ec0043.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=83590140,
        min_size=(1, 1), acc=(83.976, 97.244), ops=15.912, file_size=319.49,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE, docs=_DOCS_3)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_32gf-4dee3f7a.pth", crop_size=224,
        num_params=145046770, min_size=(1, 1), acc=(80.878, 95.34), ops=32.28, file_size=554.076,
        recipe=_REF + "#large-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_32gf-8db6d4b5.pth", crop_size=224,
        resize_size=232, num_params=145046770, min_size=(1, 1), acc=(83.368, 96.498), ops=32.28,
        file_size=554.076, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_32gf_swag-04fdfa75.pth", crop_size=384,
        resize_size=384, interpolation=InterpolationMode.BICUBIC, num_params=145046770,
        min_size=(1, 1), acc=(86.838, 98.362), ops=94.826, file_size=554.076,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE, docs=_DOCS_2)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_32gf_lc_swag-e1583746.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=145046770,
        min_size=(1, 1), acc=(84.622, 97.48), ops=32.28, file_size=554.076,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE, docs=_DOCS_3)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_128gf_swag-c8ce3e52.pth", crop_size=384,
        resize_size=384, interpolation=InterpolationMode.BICUBIC, num_params=644812894,
        min_size=(1, 1), acc=(88.228, 98.682), ops=374.57, file_size=2461.564,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE, docs=_DOCS_2)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_y_128gf_lc_swag-cbe8ce12.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=644812894,
        min_size=(1, 1), acc=(86.068, 97.844), ops=127.518, file_size=2461.564,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE, docs=_DOCS_3)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_400mf-adf1edd5.pth", crop_size=224,
        num_params=5495976, min_size=(1, 1), acc=(72.834, 90.95), ops=0.414, file_size=21.258,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_400mf-62229a5f.pth", crop_size=224,
        resize_size=232, num_params=5495976, min_size=(1, 1), acc=(74.864, 92.322), ops=0.414,
        file_size=21.257, recipe=_TV + "issues/3995#new-recipe-with-fixres", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_800mf-ad17e45c.pth", crop_size=224,
        num_params=7259656, min_size=(1, 1), acc=(75.212, 92.348), ops=0.8, file_size=27.945,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_800mf-94a99ebd.pth", crop_size=224,
        resize_size=232, num_params=7259656, min_size=(1, 1), acc=(77.522, 93.826), ops=0.8,
        file_size=27.945, recipe=_TV + "issues/3995#new-recipe-with-fixres", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_1_6gf-e3633e7f.pth", crop_size=224,
        num_params=9190136, min_size=(1, 1), acc=(77.04, 93.44), ops=1.603, file_size=35.339,
        recipe=_REF + "#small-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_1_6gf-a12f2b72.pth", crop_size=224,
        resize_size=232, num_params=9190136, min_size=(1, 1), acc=(79.668, 94.922), ops=1.603,
        file_size=35.339, recipe=_TV + "issues/3995#new-recipe-with-fixres", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_3_2gf-f342aeae.pth", crop_size=224,
        num_params=15296552, min_size=(1, 1), acc=(78.364, 93.992), ops=3.177, file_size=58.756,
        recipe=_REF + "#medium-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_3_2gf-7071aa85.pth", crop_size=224,
        resize_size=232, num_params=15296552, min_size=(1, 1), acc=(81.196, 95.43), ops=3.177,
        file_size=58.756, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_8gf-03ceed89.pth", crop_size=224,
        num_params=39572648, min_size=(1, 1), acc=(79.344, 94.686), ops=7.995, file_size=151.456,
        recipe=_REF + "#medium-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_8gf-2b70d774.pth", crop_size=224,
        resize_size=232, num_params=39572648, min_size=(1, 1), acc=(81.682, 95.678), ops=7.995,
        file_size=151.456, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_16gf-2007eb11.pth", crop_size=224,
        num_params=54278536, min_size=(1, 1), acc=(80.058, 94.944), ops=15.941, file_size=207.627,
        recipe=_REF + "#medium-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_16gf-ba3796d7.pth", crop_size=224,
        resize_size=232, num_params=54278536, min_size=(1, 1), acc=(82.716, 96.196), ops=15.941,
        file_size=207.627, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_32gf-9d47f8d0.pth", crop_size=224,
        num_params=107811560, min_size=(1, 1), acc=(80.622, 95.248), ops=31.736,
        file_size=412.039, recipe=_REF + "#large-models")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/regnet_x_32gf-6eb8fdc6.pth", crop_size=224,
        resize_size=232, num_params=107811560, min_size=(1, 1), acc=(83.014, 96.288), ops=31.736,
        file_size=412.039, recipe=_TV + "issues/3995#new-recipe", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V2


def _builder(arch: str, enum: type[WeightsEnum], **params: Any) -> Callable[..., RegNet]:
    def build(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> RegNet:
        weights = _verify(enum, weights, kwargs)
        block_params = BlockParams.from_init_params(**params, **kwargs)
        return _regnet(block_params, weights, progress, **kwargs)

    kind, size = arch.split("_", 2)[1:]
    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"RegNet{kind.upper()}_{size.upper().replace('_', '.')} from "
                     "\"Designing Network Design Spaces\".")
    build.__annotations__ = {"weights": enum | None, "progress": bool, "kwargs": Any,
                             "return": RegNet}
    build.__module__ = __name__
    return register_model()(build)


_SE = {"se_ratio": 0.25}
regnet_y_400mf = _builder("regnet_y_400mf", RegNet_Y_400MF_Weights, depth=16, w_0=48, w_a=27.89,
                          w_m=2.09, group_width=8, **_SE)
regnet_y_800mf = _builder("regnet_y_800mf", RegNet_Y_800MF_Weights, depth=14, w_0=56, w_a=38.84,
                          w_m=2.4, group_width=16, **_SE)
regnet_y_1_6gf = _builder("regnet_y_1_6gf", RegNet_Y_1_6GF_Weights, depth=27, w_0=48, w_a=20.71,
                          w_m=2.65, group_width=24, **_SE)
regnet_y_3_2gf = _builder("regnet_y_3_2gf", RegNet_Y_3_2GF_Weights, depth=21, w_0=80, w_a=42.63,
                          w_m=2.66, group_width=24, **_SE)
regnet_y_8gf = _builder("regnet_y_8gf", RegNet_Y_8GF_Weights, depth=17, w_0=192, w_a=76.82,
                        w_m=2.19, group_width=56, **_SE)
regnet_y_16gf = _builder("regnet_y_16gf", RegNet_Y_16GF_Weights, depth=18, w_0=200, w_a=106.23,
                         w_m=2.48, group_width=112, **_SE)
regnet_y_32gf = _builder("regnet_y_32gf", RegNet_Y_32GF_Weights, depth=20, w_0=232, w_a=115.89,
                         w_m=2.53, group_width=232, **_SE)
regnet_y_128gf = _builder("regnet_y_128gf", RegNet_Y_128GF_Weights, depth=27, w_0=456,
                          w_a=160.83, w_m=2.52, group_width=264, **_SE)
regnet_x_400mf = _builder("regnet_x_400mf", RegNet_X_400MF_Weights, depth=22, w_0=24, w_a=24.48,
                          w_m=2.54, group_width=16)
regnet_x_800mf = _builder("regnet_x_800mf", RegNet_X_800MF_Weights, depth=16, w_0=56, w_a=35.73,
                          w_m=2.28, group_width=16)
regnet_x_1_6gf = _builder("regnet_x_1_6gf", RegNet_X_1_6GF_Weights, depth=18, w_0=80, w_a=34.01,
                          w_m=2.25, group_width=24)
regnet_x_3_2gf = _builder("regnet_x_3_2gf", RegNet_X_3_2GF_Weights, depth=25, w_0=88, w_a=26.31,
                          w_m=2.25, group_width=48)
regnet_x_8gf = _builder("regnet_x_8gf", RegNet_X_8GF_Weights, depth=23, w_0=80, w_a=49.56,
                        w_m=2.88, group_width=120)
regnet_x_16gf = _builder("regnet_x_16gf", RegNet_X_16GF_Weights, depth=22, w_0=216, w_a=55.59,
                         w_m=2.1, group_width=128)
regnet_x_32gf = _builder("regnet_x_32gf", RegNet_X_32GF_Weights, depth=23, w_0=320, w_a=69.86,
                         w_m=2.0, group_width=168)
