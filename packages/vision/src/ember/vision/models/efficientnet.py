"""EfficientNet B0-B7 ("EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks") and EfficientNetV2 S/M/L ("EfficientNetV2: Smaller Models and Faster Training")."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ember import Tensor, flatten, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, register_model
from ._meta import _REF, _TV, InterpolationMode, _imagenet
from ._utils import _apply_weights_config, _load_weights, _make_divisible, _verify

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


class _MBConvConfig:
    """A stage: expansion ratio, kernel, first stride, widths, depth and block type."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, block: Callable[..., nn.Module]) -> None:
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.block = block

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)

    def __repr__(self) -> str:
        fields = ("expand_ratio", "kernel", "stride", "input_channels", "out_channels",
                  "num_layers")
        return f"{type(self).__name__}(" + ", ".join(
            f"{f}={getattr(self, f)}" for f in fields) + ")"


class MBConvConfig(_MBConvConfig):
    """An MBConv stage, widths and depth scaled by ``width_mult``/``depth_mult``."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride,
                         self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult),
                         self.adjust_depth(num_layers, depth_mult), block or MBConv)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A Fused-MBConv stage (EfficientNetV2)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block or FusedMBConv)


class MBConv(nn.Module):
    """Expansion 1x1, depthwise kxk, squeeze-and-excitation, projection 1x1 (SiLU), with a
    stochastic-depth residual when the shape is kept."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    """A full kxk expansion convolution and a 1x1 projection (or one kxk convolution when
    ``expand_ratio == 1``), with a stochastic-depth residual when the shape is kept."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [
                Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel,
                                     stride=cnf.stride, norm_layer=norm_layer,
                                     activation_layer=nn.SiLU),
                Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                     norm_layer=norm_layer, activation_layer=None),
            ]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                           kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    """A stride-2 SiLU stem, the configured stages (stochastic depth growing linearly with
    the block index up to ``stochastic_depth_prob``), a 1x1 head convolution, global
    average pooling and a dropout + linear classifier."""

    def __init__(self, inverted_residual_setting: Sequence[_MBConvConfig], dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence) and all(
                isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
            norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # only a stage's first block changes width or stride
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _efficientnet_conf(arch: str, **kwargs: Any) -> tuple[list[_MBConvConfig], int | None]:
    """The stages of ``arch`` (B-series scaled by ``width_mult``/``depth_mult``) and its head
    width (None: four times the last stage's)."""
    if arch.startswith("efficientnet_b"):
        b = partial(MBConvConfig, width_mult=kwargs.pop("width_mult"),
                    depth_mult=kwargs.pop("depth_mult"))
        return [b(1, 3, 1, 32, 16, 1), b(6, 3, 2, 16, 24, 2), b(6, 5, 2, 24, 40, 2),
                b(6, 3, 2, 40, 80, 3), b(6, 5, 1, 80, 112, 3), b(6, 5, 2, 112, 192, 4),
                b(6, 3, 1, 192, 320, 1)], None
    F, M = FusedMBConvConfig, MBConvConfig
    if arch.startswith("efficientnet_v2_s"):
        stages = [F(1, 3, 1, 24, 24, 2), F(4, 3, 2, 24, 48, 4), F(4, 3, 2, 48, 64, 4),
                  M(4, 3, 2, 64, 128, 6), M(6, 3, 1, 128, 160, 9), M(6, 3, 2, 160, 256, 15)]
    elif arch.startswith("efficientnet_v2_m"):
        stages = [F(1, 3, 1, 24, 24, 3), F(4, 3, 2, 24, 48, 5), F(4, 3, 2, 48, 80, 5),
                  M(4, 3, 2, 80, 160, 7), M(6, 3, 1, 160, 176, 14), M(6, 3, 2, 176, 304, 18),
                  M(6, 3, 1, 304, 512, 5)]
    elif arch.startswith("efficientnet_v2_l"):
        stages = [F(1, 3, 1, 32, 32, 4), F(4, 3, 2, 32, 64, 7), F(4, 3, 2, 64, 96, 7),
                  M(4, 3, 2, 96, 192, 10), M(6, 3, 1, 192, 224, 19), M(6, 3, 2, 224, 384, 25),
                  M(6, 3, 1, 384, 640, 7)]
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return stages, 1280


def _efficientnet(arch: str, width_mult: float | None, depth_mult: float | None,
                  default_dropout: float, weights: Any, progress: bool,
                  **kwargs: Any) -> EfficientNet:
    conf = {} if width_mult is None else {"width_mult": width_mult, "depth_mult": depth_mult}
    setting, last_channel = _efficientnet_conf(arch, **conf)
    dropout = kwargs.pop("dropout", default_dropout)
    _apply_weights_config(weights, kwargs)
    model = EfficientNet(setting, dropout, last_channel=last_channel, **kwargs)
    return _load_weights(model, weights, progress)


_BN_TF = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # B5-B7: TensorFlow's settings
_BN_V2 = partial(nn.BatchNorm2d, eps=1e-03)


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth", crop_size=224,
        resize_size=256, interpolation=InterpolationMode.BICUBIC, num_params=5288548,
        min_size=(1, 1), acc=(77.692, 93.532), ops=0.386, file_size=20.451,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b1_rwightman-bac287d4.pth", crop_size=240,
        resize_size=256, interpolation=InterpolationMode.BICUBIC, num_params=7794184,
        min_size=(1, 1), acc=(78.642, 94.186), ops=0.687, file_size=30.134,
        recipe=_REF + "#efficientnet-v1")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b1-c27df63c.pth", crop_size=240,
        resize_size=255, interpolation=InterpolationMode.BILINEAR, num_params=7794184,
        min_size=(1, 1), acc=(79.838, 94.934), ops=0.687, file_size=30.136,
        recipe=_TV + "issues/3995#new-recipe-with-lr-wd-crop-tuning")
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth", crop_size=288,
        resize_size=288, interpolation=InterpolationMode.BICUBIC, num_params=9109994,
        min_size=(1, 1), acc=(80.608, 95.31), ops=1.088, file_size=35.174,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth", crop_size=300,
        resize_size=320, interpolation=InterpolationMode.BICUBIC, num_params=12233232,
        min_size=(1, 1), acc=(82.008, 96.054), ops=1.827, file_size=47.184,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b4_rwightman-23ab8bcd.pth", crop_size=380,
        resize_size=384, interpolation=InterpolationMode.BICUBIC, num_params=19341616,
        min_size=(1, 1), acc=(83.384, 96.594), ops=4.394, file_size=74.489,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b5_lukemelas-1a07897c.pth", crop_size=456,
        resize_size=456, interpolation=InterpolationMode.BICUBIC, num_params=30389784,
        min_size=(1, 1), acc=(83.444, 96.628), ops=10.266, file_size=116.864,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b6_lukemelas-24a108a5.pth", crop_size=528,
        resize_size=528, interpolation=InterpolationMode.BICUBIC, num_params=43040704,
        min_size=(1, 1), acc=(84.008, 96.916), ops=19.068, file_size=165.362,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_b7_lukemelas-c5b4e57e.pth", crop_size=600,
        resize_size=600, interpolation=InterpolationMode.BICUBIC, num_params=66347960,
        min_size=(1, 1), acc=(84.122, 96.908), ops=37.746, file_size=254.675,
        recipe=_REF + "#efficientnet-v1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_v2_s-dd5fe13b.pth", crop_size=384,
        resize_size=384, interpolation=InterpolationMode.BILINEAR, num_params=21458488,
        min_size=(33, 33), acc=(84.228, 96.878), ops=8.366, file_size=82.704,
        recipe=_REF + "#efficientnet-v2")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_v2_m-dc08266a.pth", crop_size=480,
        resize_size=480, interpolation=InterpolationMode.BILINEAR, num_params=54139356,
        min_size=(33, 33), acc=(85.112, 97.156), ops=24.582, file_size=208.01,
        recipe=_REF + "#efficientnet-v2")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/efficientnet_v2_l-59c71312.pth", crop_size=480,
        resize_size=480, interpolation=InterpolationMode.BICUBIC, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), num_params=118515272, min_size=(33, 33), acc=(85.808, 97.788),
        ops=56.08, file_size=454.573, recipe=_REF + "#efficientnet-v2")
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, enum: type[WeightsEnum], width: float | None, depth: float | None,
             dropout: float, norm: Callable[..., nn.Module] | None, doc: str) -> Callable:
    def build(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
        weights = _verify(enum, weights, kwargs)
        if norm is not None:
            kwargs.setdefault("norm_layer", norm)
        return _efficientnet(arch, width, depth, dropout, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = doc
    build.__annotations__ = {"weights": enum | None, "progress": bool, "kwargs": Any,
                             "return": EfficientNet}
    build.__module__ = __name__
    return register_model()(build)


_V1 = "EfficientNet {} from \"EfficientNet: Rethinking Model Scaling for Convolutional " \
      "Neural Networks\" (width x{}, depth x{})."
_V2 = "EfficientNetV2-{} from \"EfficientNetV2: Smaller Models and Faster Training\"."
efficientnet_b0 = _builder("efficientnet_b0", EfficientNet_B0_Weights, 1.0, 1.0, 0.2, None,
                           _V1.format("B0", 1.0, 1.0))
efficientnet_b1 = _builder("efficientnet_b1", EfficientNet_B1_Weights, 1.0, 1.1, 0.2, None,
                           _V1.format("B1", 1.0, 1.1))
efficientnet_b2 = _builder("efficientnet_b2", EfficientNet_B2_Weights, 1.1, 1.2, 0.3, None,
                           _V1.format("B2", 1.1, 1.2))
efficientnet_b3 = _builder("efficientnet_b3", EfficientNet_B3_Weights, 1.2, 1.4, 0.3, None,
                           _V1.format("B3", 1.2, 1.4))
efficientnet_b4 = _builder("efficientnet_b4", EfficientNet_B4_Weights, 1.4, 1.8, 0.4, None,
                           _V1.format("B4", 1.4, 1.8))
efficientnet_b5 = _builder("efficientnet_b5", EfficientNet_B5_Weights, 1.6, 2.2, 0.4, _BN_TF,
                           _V1.format("B5", 1.6, 2.2))
efficientnet_b6 = _builder("efficientnet_b6", EfficientNet_B6_Weights, 1.8, 2.6, 0.5, _BN_TF,
                           _V1.format("B6", 1.8, 2.6))
efficientnet_b7 = _builder("efficientnet_b7", EfficientNet_B7_Weights, 2.0, 3.1, 0.5, _BN_TF,
                           _V1.format("B7", 2.0, 3.1))
efficientnet_v2_s = _builder("efficientnet_v2_s", EfficientNet_V2_S_Weights, None, None, 0.2,
                             _BN_V2, _V2.format("S"))
efficientnet_v2_m = _builder("efficientnet_v2_m", EfficientNet_V2_M_Weights, None, None, 0.3,
                             _BN_V2, _V2.format("M"))
efficientnet_v2_l = _builder("efficientnet_v2_l", EfficientNet_V2_L_Weights, None, None, 0.4,
                             _BN_V2, _V2.format("L"))
